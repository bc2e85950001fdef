"""bench_python.py - the polysock binding against Python's own socket module.

Usage: PYTHON bench_python.py               the table (bench/run-python-bench.sh
                                            runs it on each interpreter and mode)
       PYTHON bench_python.py --print-mode  the mode the binding loads: api, abi

Both modules run in the same process, on the same interpreter, in the same
run, against the same peer.  Each row measures

  socketpair ping-pong   1-byte round trips per second over socketpair()
  tcp ping-pong          the same over loopback TCP (TCP_NODELAY)
  tcp bulk sendall       MiB/s of sendall() with a 64 KiB buffer
  tcp bulk recv_into     MiB/s of recv_into() with a 64 KiB buffer
  gettimeout call        the cost of a trivial method call (ns per call)

The peer is a separate process that uses the stdlib socket module only (on
CPython whatever the bench runs on, since CPython's peer is the cheaper),
so it costs the same whichever module it serves.  The bench hands it the
far end of each connection over a Unix socket (SCM_RIGHTS): the module
under test creates its own end (socketpair(), or socket() + connect()), and
the far end of a TCP connection is accepted by a stdlib listener.

The two modules run back to back in every round, alternating which goes
first, and the ratio polysock/stdlib is taken per round, so noise that hits
a whole round cancels out; the table shows the median ratio and its spread
over the rounds.  Ratios are of speed: above 1 means polysock is faster
(for the call row too: stdlib ns / polysock ns).

Targets (median ratio): on PyPy >= 1.0 for ping-pong and bulk; on CPython
ping-pong >= 0.95 in API mode and >= 0.9 in ABI mode, bulk >= 0.98; the
call row is reported without a target.

The benchmark code (the loops the clock measures) is compiled once per
module, so that PyPy's JIT traces each module's loop on its own instead of
sharing one trace between two socket types.

Environment:
  POLYSOCK_BENCH_RUNS      rounds (default 7)
  POLYSOCK_BENCH_PINGPONG  round trips per ping-pong run (default 50000)
  POLYSOCK_BENCH_BULK_MB   MiB per bulk run (default 256)
  POLYSOCK_BENCH_CALLS     calls per call run (default 2000000)
  POLYSOCK_BENCH_ROWS      only the rows whose name contains this text
  POLYSOCK_BENCH_PIN       same (default): the bench and its peer share one
                           CPU; split: one CPU each; off: no pinning
  POLYSOCK_BENCH_STRICT    1: exit 1 when a row misses its target
  POLYSOCK_BENCH_PEER_PYTHON  the peer's interpreter
  POLYSOCK_PYTHON_MODE     api or abi: read by the binding; shown here
  POLYSOCK_LIBRARY         read by the binding

Why pin: on a VM a wake-up across CPUs costs tens of microseconds and
varies from run to run, which drowns the binding's own cost.  Sharing one
CPU makes a round trip two context switches: steady, and the share of the
wrapper code is the largest it can be, so the ratio is the strictest one.
"""

import os
import platform
import shutil
import socket as stdlib_socket  # the peer, the listener, fd passing
import statistics
import subprocess
import sys
import time

CHUNK = 64 * 1024          # one bulk call, both modules
PEER_BUF = 256 * 1024      # the peer reads and writes bigger, so it keeps up
WARMUP_TRIPS = 3000        # untimed round trips: caches, and PyPy's JIT
WARMUP_CALLS = 20000       # untimed calls, for the same reasons
IS_PYPY = platform.python_implementation() == "PyPy"


def die(message):
    print("bench_python: " + message, file=sys.stderr)
    sys.exit(1)


def env_int(name, default, lo, hi):
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        die("%s must be a number in %d..%d, not %r" % (name, lo, hi, text))
    return value


# ---- CPU pinning ---------------------------------------------------------

def allowed_cpus():
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    # PyPy 3.9 has no os.sched_getaffinity: read what the kernel says.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Cpus_allowed_list:"):
                return parse_cpu_list(line.split(":", 1)[1].strip())
    return [0]


def parse_cpu_list(text):
    cpus = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def current_cpu():
    """The CPU this process last ran on (field 39 of /proc/self/stat)."""
    with open("/proc/self/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[39 - 3])  # the fields after ")" start at field 3


def pin_to(cpu):
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
        return
    # PyPy 3.9 has no os.sched_setaffinity: call libc's.
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    mask = (ctypes.c_ulong * 16)()  # a cpu_set_t: 1024 bits
    bits = 8 * ctypes.sizeof(ctypes.c_ulong)
    mask[cpu // bits] = 1 << (cpu % bits)
    if libc.sched_setaffinity(0, ctypes.sizeof(mask), ctypes.byref(mask)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "sched_setaffinity: " + os.strerror(errno))


def pin_setup():
    """Pin this process; return (bench CPU, peer CPU), None when unpinned."""
    how = os.environ.get("POLYSOCK_BENCH_PIN", "") or "same"
    if how not in ("same", "split", "off"):
        die("POLYSOCK_BENCH_PIN must be same, split or off, not %r" % how)
    if how == "off":
        return None, None
    cpus = allowed_cpus()
    if how == "split" and len(cpus) < 2:
        die("POLYSOCK_BENCH_PIN=split needs two CPUs")
    # Stay on the CPU the scheduler chose: likely the less busy one.
    here = current_cpu()
    bench = here if here in cpus else cpus[0]
    pin_to(bench)
    if how == "same":
        return bench, bench
    return bench, next(cpu for cpu in cpus if cpu != bench)


# ---- the peer: a separate process, stdlib socket only -------------------

def peer_echo(conn, _arg):
    while True:
        data = conn.recv(1024)
        if not data:
            return
        conn.sendall(data)


def peer_discard(conn, total):
    """Read TOTAL bytes, then acknowledge with one byte."""
    buf = bytearray(PEER_BUF)
    got = 0
    while got < total:
        n = conn.recv_into(buf)
        if not n:
            raise EOFError("bench closed after %d of %d bytes" % (got, total))
        got += n
    conn.sendall(b"k")


def peer_source(conn, total):
    """Wait for the bench's go byte (its clock starts there), then send."""
    if conn.recv(1) != b"g":
        raise EOFError("no go byte")
    view = memoryview(bytes(PEER_BUF))
    left = total
    while left:
        left -= conn.send(view[:min(left, PEER_BUF)])


PEER_COMMANDS = {"echo": peer_echo, "discard": peer_discard, "source": peer_source}


def peer_main(ctl_fd, cpu):
    if cpu >= 0:
        pin_to(cpu)
    ctl = stdlib_socket.socket(fileno=ctl_fd)
    while True:
        msg, fds, _, _ = stdlib_socket.recv_fds(ctl, 64, 1)
        if not msg:
            return
        command, arg = msg.decode().split()
        with stdlib_socket.socket(fileno=fds[0]) as conn:
            PEER_COMMANDS[command](conn, int(arg))
        ctl.sendall(b"d")


class Peer:
    def __init__(self, python, cpu):
        self.ctl, theirs = stdlib_socket.socketpair()
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--peer", str(theirs.fileno()),
             str(-1 if cpu is None else cpu)],
            pass_fds=[theirs.fileno()])
        theirs.close()
        self.listener = stdlib_socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.address = self.listener.getsockname()

    def hand(self, fd, command, arg):
        """Give the peer FD (a duplicate travels) and what to do with it."""
        stdlib_socket.send_fds(self.ctl, [("%s %d" % (command, arg)).encode()], [fd])

    def wait_done(self):
        """Wait until the peer has finished with the last connection."""
        if self.ctl.recv(1) != b"d":
            die("the peer died (exit status %s)" % self.proc.wait())

    def close(self):
        self.ctl.close()
        self.listener.close()
        self.proc.wait()


# ---- connections made by the module under test ---------------------------

def open_conn(mod, peer, transport, command, arg):
    if transport == "unix":
        mine, theirs = mod.socketpair()
        peer.hand(theirs.fileno(), command, arg)
        theirs.close()
        return mine
    mine = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    mine.setsockopt(mod.IPPROTO_TCP, mod.TCP_NODELAY, 1)
    mine.connect(peer.address)
    theirs, _ = peer.listener.accept()
    theirs.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
    peer.hand(theirs.fileno(), command, arg)
    theirs.close()
    return mine


# ---- the timed loops, compiled once per module ---------------------------

KERNELS = '''
def pingpong(s, trips):
    for _ in range(trips):
        s.send(b"x")
        if not s.recv(1):
            raise EOFError("peer closed")

def bulk_send(s, chunk, count):
    for _ in range(count):
        s.sendall(chunk)

def bulk_recv(s, buf, total):
    got = 0
    while got < total:
        n = s.recv_into(buf)
        if not n:
            raise EOFError("peer closed")
        got += n

def calls(s, count):
    for _ in range(count):
        s.gettimeout()
'''


class Side:
    """One module under test, with its own copy of the timed loops."""

    def __init__(self, name, mod):
        self.name = name
        self.mod = mod
        code = compile(KERNELS, "<bench loops for %s>" % name, "exec")
        self.k = {}
        exec(code, self.k)


def run_pingpong(side, peer, params, transport):
    s = open_conn(side.mod, peer, transport, "echo", 0)
    side.k["pingpong"](s, WARMUP_TRIPS)
    trips = params["pingpong"]
    t0 = time.perf_counter()
    side.k["pingpong"](s, trips)
    elapsed = time.perf_counter() - t0
    s.close()
    peer.wait_done()
    return trips / elapsed


def run_bulk_send(side, peer, params):
    count = params["bulk"] // CHUNK
    s = open_conn(side.mod, peer, "tcp", "discard", count * CHUNK)
    chunk = bytes(CHUNK)
    t0 = time.perf_counter()
    side.k["bulk_send"](s, chunk, count)
    if s.recv(1) != b"k":  # the peer has read everything
        die("no acknowledgement from the peer")
    elapsed = time.perf_counter() - t0
    s.close()
    peer.wait_done()
    return count * CHUNK / elapsed / (1024 * 1024)


def run_bulk_recv(side, peer, params):
    total = params["bulk"]
    s = open_conn(side.mod, peer, "tcp", "source", total)
    buf = bytearray(CHUNK)
    t0 = time.perf_counter()
    s.send(b"g")
    side.k["bulk_recv"](s, buf, total)
    elapsed = time.perf_counter() - t0
    s.close()
    peer.wait_done()
    return total / elapsed / (1024 * 1024)


def run_calls(side, _peer, params):
    """Calls per second (shown as ns per call)."""
    with side.mod.socket(side.mod.AF_INET, side.mod.SOCK_STREAM) as s:
        side.k["calls"](s, WARMUP_CALLS)
        count = params["calls"]
        t0 = time.perf_counter()
        side.k["calls"](s, count)
        elapsed = time.perf_counter() - t0
    return count / elapsed


# ---- rows, rounds and the table ------------------------------------------

class Row:
    def __init__(self, name, kind, unit, run):
        self.name = name
        self.kind = kind          # pingpong, bulk or call: picks the target
        self.unit = unit
        self.run = run
        self.results = {"stdlib": [], "polysock": []}
        self.ratios = []

    def show(self, rate):
        if self.unit == "ns/call":
            return "%8.1f ns/call" % (1e9 / rate)
        return "%8.0f %s" % (rate, self.unit)


ROWS = [
    Row("socketpair ping-pong", "pingpong", "rt/s",
        lambda side, peer, p: run_pingpong(side, peer, p, "unix")),
    Row("tcp ping-pong", "pingpong", "rt/s",
        lambda side, peer, p: run_pingpong(side, peer, p, "tcp")),
    Row("tcp bulk sendall 64K", "bulk", "MiB/s", run_bulk_send),
    Row("tcp bulk recv_into 64K", "bulk", "MiB/s", run_bulk_recv),
    Row("gettimeout call", "call", "ns/call", run_calls),
]


def binding_mode(polysock):
    """The mode the binding loaded: api (compiled module) or abi (dlopen)."""
    return polysock.mode


def target(kind, mode):
    if kind == "call":
        return None
    if IS_PYPY:
        return 1.0
    if kind == "bulk":
        return 0.98
    return 0.95 if mode == "api" else 0.9


def peer_python():
    chosen = os.environ.get("POLYSOCK_BENCH_PEER_PYTHON", "")
    if chosen:
        return chosen
    if not IS_PYPY:
        return sys.executable
    # CPython's peer is cheaper per call than PyPy's (no JIT warm-up).
    for python in ("/usr/bin/python3", shutil.which("python3")):
        if python and os.access(python, os.X_OK):
            return python
    return sys.executable


def run_rounds(rows, sides, peer, params, runs):
    start = time.perf_counter()
    for r in range(runs):
        for row in rows:
            # Alternate who goes first, so a trend (another load starting,
            # frequency changes) is not always paid by the same side.
            order = sides if r % 2 == 0 else sides[::-1]
            for side in order:
                row.results[side.name].append(row.run(side, peer, params))
            row.ratios.append(row.results["polysock"][-1] / row.results["stdlib"][-1])
        print("  round %d/%d done (%.1f s)" % (r + 1, runs, time.perf_counter() - start),
              file=sys.stderr, flush=True)


def print_table(rows, mode):
    print("\n%-24s %16s %16s %7s %13s  %s" % (
        "row", "stdlib median", "polysock median", "ratio", "ratio spread", "target"))
    misses = 0
    for row in rows:
        ratio = statistics.median(row.ratios)
        want = target(row.kind, mode)
        if want is None:
            verdict = "(no target)"
        else:
            verdict = ">= %.2f %s" % (want, "PASS" if ratio >= want else "FAIL")
            misses += ratio < want
        print("%-24s %16s %16s %7.3f %6.3f-%-6.3f  %s" % (
            row.name,
            row.show(statistics.median(row.results["stdlib"])),
            row.show(statistics.median(row.results["polysock"])),
            ratio, min(row.ratios), max(row.ratios), verdict))
    return misses


def main():
    runs = env_int("POLYSOCK_BENCH_RUNS", 7, 1, 101)
    params = {
        "pingpong": env_int("POLYSOCK_BENCH_PINGPONG", 50000, 1, 10**8),
        "bulk": env_int("POLYSOCK_BENCH_BULK_MB", 256, 1, 1 << 20) * 1024 * 1024,
        "calls": env_int("POLYSOCK_BENCH_CALLS", 2000000, 1, 10**10),
    }
    strict = env_int("POLYSOCK_BENCH_STRICT", 0, 0, 1)
    only = os.environ.get("POLYSOCK_BENCH_ROWS", "")
    rows = [row for row in ROWS if only in row.name]
    if not rows:
        die("POLYSOCK_BENCH_ROWS=%r matches no row" % only)

    import polysock  # after the peer's entry point, which must not need it
    mode = binding_mode(polysock)
    sides = [Side("stdlib", stdlib_socket), Side("polysock", polysock)]
    bench_cpu, peer_cpu = pin_setup()
    python = peer_python()
    peer = Peer(python, peer_cpu)

    print("polysock %s (%s mode) vs stdlib socket on %s %s: %d rounds, "
          "%d round trips, %d MiB bulk, %d calls" % (
              getattr(polysock, "__version__", "?"), mode,
              platform.python_implementation(), platform.python_version(),
              runs, params["pingpong"], params["bulk"] // (1024 * 1024),
              params["calls"]))
    print("interpreter %s; peer: %s with stdlib socket; %s" % (
        sys.executable, python,
        "not pinned" if bench_cpu is None else
        "pinned: bench on CPU %d, peer on CPU %d" % (bench_cpu, peer_cpu)))
    sys.stdout.flush()

    start = time.perf_counter()
    try:
        run_rounds(rows, sides, peer, params, runs)
    finally:
        peer.close()
    misses = print_table(rows, mode)
    print("\n%s (%.1f s)" % (
        "all rows meet their targets" if misses == 0 else "some rows miss their targets",
        time.perf_counter() - start))
    return 1 if strict and misses else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--peer":
        peer_main(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:] == ["--print-mode"]:
        # For run-python-bench.sh: which mode this interpreter loads.
        import polysock
        print(binding_mode(polysock))
    else:
        sys.exit(main())
