#!/usr/bin/env python3
"""Compile the API-mode (out-of-line) cffi module polysock._polysock_api.

    python3 build_api.py --include DIR --libdir DIR --outdir DIR

writes OUTDIR/polysock/_polysock_api<ABI tag>.so for the interpreter that
runs it (run it once per interpreter: CPython and PyPy tags differ).  With
OUTDIR first on PYTHONPATH, `import polysock` finds the module there: the
package extends its __path__ over every polysock/ directory on sys.path.
--include and --libdir may repeat; --libdir is also the module's run path.
"""
import argparse
import os
import runpy
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include", action="append", default=[],
                        help="directory holding polysock.h")
    parser.add_argument("--libdir", action="append", default=[],
                        help="directory holding libpolysock.so")
    parser.add_argument("--outdir", required=True,
                        help="where polysock/_polysock_api*.so goes")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def build(includes, libdirs, outdir, verbose=False):
    """Compile in a scratch directory, then move the module into place."""
    # _ffi_build.py reads these when it is executed.
    os.environ["POLYSOCK_INCLUDE_DIR"] = os.pathsep.join(
        os.path.abspath(d) for d in includes)
    os.environ["POLYSOCK_LIBRARY_DIR"] = os.pathsep.join(
        os.path.abspath(d) for d in libdirs)
    ffibuilder = runpy.run_path(
        os.path.join(HERE, "polysock", "_ffi_build.py"))["ffibuilder"]
    target_dir = os.path.join(outdir, "polysock")
    os.makedirs(target_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="polysock-api-") as tmp:
        built = ffibuilder.compile(tmpdir=tmp, verbose=verbose)
        target = os.path.join(target_dir, os.path.basename(built))
        # Replace atomically: a running test may be importing the old one.
        shutil.copyfile(built, target + ".tmp")
        os.replace(target + ".tmp", target)
    return target


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        target = build(args.include, args.libdir, args.outdir, args.verbose)
    except Exception as e:  # a compiler error, a missing header or library
        print("build_api.py: %s" % e, file=sys.stderr)
        return 1
    if args.verbose:
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
