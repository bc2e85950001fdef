"""The generated loader refuses a library built from another IDL.

The mismatched library is built by the lead's `make check` from a changed
IDL and named by POLYSOCK_MISMATCHED_LIBRARY.  Under `make check`
(POLYSOCK_REQUIRE_ALL=1) its absence is a failure, never a silent skip."""

import os
import subprocess
import sys

import pytest


@pytest.mark.polysock_only
def test_mismatched_library_is_refused_at_import():
    path = os.environ.get("POLYSOCK_MISMATCHED_LIBRARY")
    if not path:
        message = "POLYSOCK_MISMATCHED_LIBRARY is not set"
        if os.environ.get("POLYSOCK_REQUIRE_ALL") == "1":
            pytest.fail(message + " (required by POLYSOCK_REQUIRE_ALL=1)")
        pytest.skip(message)
    assert os.path.exists(path), path
    env = dict(os.environ, POLYSOCK_LIBRARY=path, POLYSOCK_PYTHON_MODE="abi")
    proc = subprocess.run([sys.executable, "-c", "import polysock"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0, "the mismatched library was accepted"
    assert "ImportError" in proc.stderr, proc.stderr
    assert "fingerprint" in proc.stderr.lower(), proc.stderr


@pytest.mark.polysock_only
def test_matching_library_is_accepted_in_a_subprocess():
    # The control of the test above: the same command with the real
    # library imports, so the refusal is about the fingerprint alone.
    proc = subprocess.run(
        [sys.executable, "-c", "import polysock; print(polysock.mode)"],
        env=dict(os.environ, POLYSOCK_PYTHON_MODE="abi"),
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "abi"
