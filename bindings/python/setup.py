"""setup.py: the polysock package, with the API-mode module when it builds.

pyproject.toml holds the metadata; this file only adds the compiled cffi
module (polysock._polysock_api) as an optional extension: where there is no
compiler, no polysock.h or no libpolysock to link, pip still installs the
package, which then runs in ABI mode (dlopen).  POLYSOCK_INCLUDE_DIR and
POLYSOCK_LIBRARY_DIR point the build at a polysock outside the default
paths.
"""
import os
import runpy

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def api_extension():
    try:
        ffibuilder = runpy.run_path(
            os.path.join(HERE, "polysock", "_ffi_build.py"))["ffibuilder"]
    except ImportError:  # no cffi: nothing to build (ABI mode needs it too)
        return []
    # The generated C source goes under build/, beside setuptools' own
    # files; setuptools wants source paths relative to setup.py.
    ext = ffibuilder.distutils_extension(
        tmpdir=os.path.relpath(os.path.join(HERE, "build", "cffi")))
    ext.optional = True  # a failed build skips the module, not the install
    return [ext]


setup(ext_modules=api_extension())
