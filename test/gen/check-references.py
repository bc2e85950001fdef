#!/usr/bin/env python3
"""check-references.py - the bindings' API references agree with the model.

usage: check-references.py MODEL_JSON DOCS_DIR [LANGUAGE...]

MODEL_JSON is docs/api/polysock.json as the json backend writes it; DOCS_DIR
holds the references the docs backend writes (python.md, ruby.md, node.md).
For each LANGUAGE (default: all three) it checks, from the model alone:

- one entry (a "### " heading) per fn, and no other entry;
- each entry holds the fn's doc text, a code block with the call, the
  "**Blocking**" note exactly when the fn blocks, and what it raises or
  "It cannot fail." depending on whether the fn returns a status;
- each argument the caller gives has a row in the entry's table, with
  its default (Ruby and Node: Python shows the defaults it cannot keep
  in the signature only);
- each error class has a row in the "Error classes" table.

Prints one line per problem and exits 1 when there is any.
"""
import json
import re
import sys

LANGUAGES = ("python", "ruby", "node")

# What an entry says when the fn can fail.
RAISES = {"python": "**Raises**", "ruby": "**Raises**", "node": "**Throws**"}


def camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def headings(fn, language):
    """The headings an entry for fn may have."""
    if fn["method_of"] is None:
        return [fn["name"]]
    plain = "%s.%s" % (fn["method_of"], fn["method_name"])
    if language == "ruby":  # a class's method, or a Polysock::Raw function
        return ["%s#%s" % (camel(fn["method_of"]), fn["method_name"]), plain]
    return [plain]


def given_by_caller(fn, param):
    """Is param an argument the caller writes (the rule every binding
    shares: the handle a method is called on, out params, lengths of in
    buffers and capacities with a default are filled in by the binding)?"""
    if param["direction"] != "in":
        return False
    if fn["method_of"] is not None and param is fn["params"][0]:
        return False
    if param["length_of"] is not None:
        buf = next(p for p in fn["params"] if p["name"] == param["length_of"])
        return buf["direction"] == "out" and param["default"] is None
    return True


def split_entries(text):
    """{heading: entry text} of the "### " entries, and the duplicates."""
    entries, dups = {}, []
    parts = re.split(r"^### (.+)$", text, flags=re.M)
    for heading, body in zip(parts[1::2], parts[2::2]):
        if heading in entries:
            dups.append(heading)
        entries[heading] = body
    return entries, dups


def section(text, title):
    match = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(title), text,
                      flags=re.M | re.S)
    return match.group(1) if match else ""


def check_entry(fn, entry, language, problems):
    name = fn["name"]

    def need(cond, what):
        if not cond:
            problems.append("%s: %s: %s" % (language, name, what))

    need(fn["doc"] in entry, "the doc text is missing")
    need(re.search(r"^```\w+\n.+\n```$", entry, flags=re.M | re.S) is not None,
         "no code block with the call")
    need(("**Blocking**" in entry) == fn["blocking"],
         "a blocking note on a fn that does not block, or none on one that "
         "does")
    if fn["returns"]["kind"] == "status":
        need(RAISES[language] in entry, "does not say what it raises")
    else:
        need("It cannot fail." in entry, "does not say it cannot fail")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*)$", entry, flags=re.M))
    for param in fn["params"]:
        if not given_by_caller(fn, param):
            continue
        row = rows.get(param["name"], rows.get(param["name"] + "_"))
        need(row is not None, "no row for the argument %s" % param["name"])
        if row is not None and language != "python" and param["default"]:
            need(("efault `%s`" % param["default"]["text"]) in row,
                 "the row of %s lacks its default %s"
                 % (param["name"], param["default"]["text"]))


def check(model, path, language):
    problems = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    entries, dups = split_entries(text)
    for heading in dups:
        problems.append("%s: two entries named %s" % (language, heading))
    expected = set()
    for fn in model["functions"]:
        names = [h for h in headings(fn, language) if h in entries]
        expected.update(names)
        if len(names) != 1:
            problems.append("%s: %s: %d entries (one of %s expected)"
                            % (language, fn["name"], len(names),
                               " or ".join(headings(fn, language))))
            continue
        check_entry(fn, entries[names[0]], language, problems)
    for heading in sorted(set(entries) - expected):
        problems.append("%s: entry %s is no fn of the model"
                        % (language, heading))
    classes = section(text, "Error classes")
    for errclass in model["errclasses"]:
        if "| `%s` |" % errclass["name"] not in classes:
            problems.append("%s: error class %s is not in the Error classes "
                            "table" % (language, errclass["name"]))
    return problems


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        model = json.load(f)
    problems = []
    for language in argv[3:] or LANGUAGES:
        problems += check(model, "%s/%s.md" % (argv[2], language), language)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
