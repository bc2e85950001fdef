"""Summarize a soak run: one table row per client and one for the server,
from the SOAK-REPORT lines run.sh collected, then the verdict.

    summarize.py WORKDIR NAME...

For each NAME, WORKDIR holds NAME.out (the process's stdout, with its
SOAK-REPORT line), NAME.err (its stderr) and NAME.status (its exit status;
124 when run.sh's guard had to kill it).  The server's NAME is "server".
Exits 0 when every process reported ok, exited 0, and the server echoed at
least every message and byte the clients verified.
"""
import json
import os
import sys

LEAK_KEYS = ("fds", "live_handles", "live_sockets", "live_bytes")
COLUMNS = ("process", "conns", "tls", "msgs", "MiB out", "MiB in", "timeouts",
           "chaos", "aborted", "crc err", "unexpected", "hung", "leaks",
           "secs", "result")


def read(workdir, name, suffix):
    try:
        with open(os.path.join(workdir, name + suffix),
                  encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def report_of(text):
    for line in text.splitlines():
        if line.startswith("SOAK-REPORT "):
            return json.loads(line[len("SOAK-REPORT "):])
    return None


def leaks(report):
    """'0' when every counter is back where it started, else what moved."""
    moved = ["%s %d->%d" % (k, report[k][0], report[k][1])
             for k in LEAK_KEYS if report[k][0] != report[k][1]]
    return ", ".join(moved) if moved else "0"


def row(name, report, status):
    if report is None:
        verdict = "NO REPORT (killed: hung)" if status == 124 else \
            "NO REPORT (status %s)" % status
        return [name] + ["-"] * (len(COLUMNS) - 2) + [verdict], False
    ok = report["ok"] and status == 0
    mib = 1024.0 * 1024.0
    return [name, report["connections"], report["tls_connections"],
            report["messages"], "%.1f" % (report["bytes_sent"] / mib),
            "%.1f" % (report["bytes_received"] / mib), report["timeouts"],
            report["chaos_closes"], report["aborted"],
            report["checksum_errors"], report["unexpected_errors"],
            report["hung_calls"], leaks(report), report["seconds"],
            "ok" if ok else "FAIL (status %s)" % status], ok


def main(argv):
    workdir, names = argv[1], argv[2:]
    rows, failed, reports = [], [], {}
    for name in names:
        status_text = read(workdir, name, ".status").strip()
        status = int(status_text) if status_text else None
        report = report_of(read(workdir, name, ".out"))
        reports[name] = report
        cells, ok = row(name, report, status)
        rows.append([str(c) for c in cells])
        if not ok:
            failed.append(name)

    # Every echo a client verified went through the server.
    server = reports.get("server")
    clients = [r for n, r in reports.items() if n != "server" and r]
    consistency = []
    if server:
        for key, theirs in (("messages", "messages"),
                            ("bytes_sent", "bytes_received")):
            total = sum(r[theirs] for r in clients)
            if server[key] < total:
                consistency.append("the server's %s (%d) is less than the "
                                   "clients' verified %s (%d)"
                                   % (key, server[key], theirs, total))

    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows))
              for i in range(len(COLUMNS))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths))
    print(line(COLUMNS))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    for name in failed:
        err = read(workdir, name, ".err").strip().splitlines()
        if err:
            print("\n--- %s: stderr (last 20 lines)" % name)
            print("\n".join(err[-20:]))
    for problem in consistency:
        print("INCONSISTENT: " + problem)
    if failed or consistency:
        print("soak: FAILED (%s)" % ", ".join(failed + ["consistency"] *
                                              bool(consistency)))
        return 1
    print("soak: passed (%d clients, no leak, no hang, no corruption)"
          % len(clients))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
