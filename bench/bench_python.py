"""bench_python.py - the polysock binding against Python's own socket module.

Usage: PYTHON bench_python.py               the table (bench/run-python-bench.sh
                                            runs it on each interpreter and mode)
       PYTHON bench_python.py --print-mode  the mode the binding loads: api, abi

Both modules run in the same process, on the same interpreter, in the same
run, against identical peers.  The rows:

  ping-pong, 2 CPUs    1-byte round trips per second over socketpair() and
                       over loopback TCP (TCP_NODELAY), the peer on another
                       CPU: what two processes see, about 50-60 us a round
                       trip on a VM, most of it the wake-up of the other CPU
  ping-pong, 1 CPU     the same with the peer on the bench's CPU: a round
                       trip is a few microseconds, so the wrapper code's
                       cost is the largest share it can ever be.  No
                       target: it magnifies that cost.  On one CPU the
                       scheduler preempts, at each wake-up, whichever of
                       bench and peer uses more CPU per round trip; the
                       stdlib bench is lighter than its peer and sleeps in
                       recv(), a bench with a Python-level wrapper is
                       heavier and is preempted instead, which costs the
                       peer too (measured: stdlib peer +0.5 us a round trip)
  tcp bulk sendall     MiB/s of sendall() with a 64 KiB buffer
  tcp bulk recv_into   MiB/s of recv_into() with a 64 KiB buffer (both on
                       1 CPU: across two CPUs of a VM bulk rates vary 2x
                       from round to round even between identical sides)
  gettimeout call      the cost of a trivial method call (no target)

Each peer is a separate process that uses the stdlib socket module only (on
CPython whatever the bench runs on: its peer is the cheaper).  The bench
hands it the far end of each connection over a Unix socket (SCM_RIGHTS):
the module under test creates its own end (socketpair(), or socket() +
connect()); the far end of a TCP connection is accepted by a stdlib
listener.

Fairness: nothing but the module may differ between the two sides.  Two
peer processes per CPU ("lanes") serve the two sides and swap sides every
round; every round also swaps which side opens its connection first; and
both sides of a row use the same buffer, so the kernel copies to and from
the same memory.  (Before, polysock always had the second peer process,
the second connection and its own buffer; A/A runs, the stdlib in both
slots, then gave the polysock slot 0.97-1.03 on bulk recv_into under
load, centred a little below 1.0: not proven a bias, but a confound.)
POLYSOCK_BENCH_CALIBRATE=1 runs the stdlib in both slots: every ratio
should then be 1.0 within the noise, which it measures.
POLYSOCK_BENCH_CALIBRATE=2 puts in the polysock slot the stdlib socket
behind a Python method per call that does nothing but delegate: the least
any binding adds whose methods are Python functions, as a cffi binding's
must be (only Python code can turn a caller's buffer into a pointer, with
ffi.from_buffer).  On CPython it shows that floor in this very harness.
POLYSOCK_BENCH_CALIBRATE=3 adds to each of those methods that take a
buffer one ffi.from_buffer of it, as cffi requires (the pointer is not
used: the stdlib still does the work): the cost of cffi's only way to
point into a caller's buffer, with nothing of polysock.
POLYSOCK_BENCH_CALIBRATE=4 makes those two methods call libc's send and
recv through cffi (a module of its own, compiled at start in API mode, or
ffi.dlopen(None) in ABI mode: as POLYSOCK_PYTHON_MODE says): a cffi
binding with no library code at all, the floor of the bulk rows.

Noise: in each round both modules' connections are open at once and the
timed work alternates between them in 16 blocks (alternating who goes
first).  A round's ratio polysock/stdlib is the median over its 16 pairs of
back-to-back blocks, so a slow spell of the machine (on a shared VM a block
can take ten times as long) costs neither side alone; the table shows the
median of the rounds' ratios and their spread, and each side's median
rate.  Ratios are of speed: above 1, polysock is faster (for the call row
too: stdlib ns / polysock ns).  "extra" is polysock's time minus stdlib's
per operation (round trip, 64 KiB call, call), the median likewise: what
the binding adds.

Targets (median ratio; ping-pong: the 2 CPU rows): on PyPy >= 1.0 for
ping-pong and bulk; on CPython ping-pong >= 0.95 in API mode and >= 0.9 in
ABI mode, bulk >= 0.98.

The timed loops are compiled once per module, so that PyPy's JIT traces
each module's loop on its own instead of sharing one trace between two
socket types.

Environment:
  POLYSOCK_BENCH_RUNS        rounds (default 16; an odd number is rounded up,
                             so that each side has each lane and opening
                             order equally often)
  POLYSOCK_BENCH_PINGPONG    round trips per side and round, 1 CPU
                             (default 40000)
  POLYSOCK_BENCH_PINGPONG_2CPU  the same with 2 CPUs (default 8000)
  POLYSOCK_BENCH_BULK_MB     MiB per side and round of a bulk row (default 256)
  POLYSOCK_BENCH_CALLS       calls per side and round (default 1000000)
  POLYSOCK_BENCH_ROWS        only the rows whose name contains this text
  POLYSOCK_BENCH_STRICT      1: exit 1 when a row misses its target
  POLYSOCK_BENCH_CALIBRATE   1: the stdlib in the polysock slot too (A/A),
                             to measure the harness's own bias; 2: there
                             behind one delegating Python method per call;
                             3: and an ffi.from_buffer per buffer call;
                             4: and libc's send/recv called through cffi
  POLYSOCK_BENCH_PEER_PYTHON the peers' interpreter
  POLYSOCK_PYTHON_MODE       api or abi: read by the binding; shown here
  POLYSOCK_LIBRARY           read by the binding
"""

import os
import platform
import shutil
import socket as stdlib_socket  # the peers, the listener, fd passing
import statistics
import subprocess
import sys
import time

CHUNK = 64 * 1024          # one bulk call, both modules
PEER_BUF = 256 * 1024      # the peer reads and writes bigger, so it keeps up
BLOCKS = 16                # timed blocks per side and round
WARMUP_TRIPS = 3000        # untimed round trips: caches, and PyPy's JIT
WARMUP_TRIPS_2CPU = 300    # the same at ~60 us each (the loop is JITted by then)
PEER_TIMEOUT = 120         # seconds a peer may take to finish a connection
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
    """Pin the bench; return (its CPU, another CPU or None)."""
    cpus = allowed_cpus()
    # Stay on the CPU the scheduler chose: likely the less busy one.
    here = current_cpu()
    bench = here if here in cpus else cpus[0]
    pin_to(bench)
    other = next((cpu for cpu in cpus if cpu != bench), None)
    return bench, other


# ---- the peers: separate processes, stdlib socket only -------------------
#
# Each command serves one connection until the bench closes it, in blocks
# the bench times one by one.

def peer_echo(conn, _block):
    while True:
        data = conn.recv(1024)
        if not data:
            return
        conn.sendall(data)


def peer_discard(conn, block):
    """Read BLOCK bytes, acknowledge with one byte; again until EOF."""
    buf = bytearray(PEER_BUF)
    while True:
        got = 0
        while got < block:
            n = conn.recv_into(buf, min(PEER_BUF, block - got))
            if not n:
                if got:
                    raise EOFError("bench closed in a block")
                return
            got += n
        conn.sendall(b"k")


def peer_source(conn, block):
    """At each go byte (the bench's clock starts there), send BLOCK bytes."""
    view = memoryview(bytes(PEER_BUF))
    while True:
        go = conn.recv(1)
        if not go:
            return
        left = block
        while left:
            left -= conn.send(view[:min(left, PEER_BUF)])


PEER_COMMANDS = {"echo": peer_echo, "discard": peer_discard, "source": peer_source}


def peer_main(ctl_fd, cpu):
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
    """One peer process on one CPU, serving one connection at a time."""

    def __init__(self, python, cpu):
        self.ctl, theirs = stdlib_socket.socketpair()
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--peer", str(theirs.fileno()), str(cpu)],
            pass_fds=[theirs.fileno()])
        theirs.close()
        # Bounded: a peer that hangs ends the bench instead of stalling it.
        self.ctl.settimeout(PEER_TIMEOUT)

    def hand(self, fd, command, arg):
        """Give the peer FD (a duplicate travels) and what to do with it."""
        stdlib_socket.send_fds(self.ctl, [("%s %d" % (command, arg)).encode()], [fd])

    def wait_done(self):
        """Wait until the peer has finished with its connection."""
        if self.ctl.recv(1) != b"d":
            die("a peer died (exit status %s)" % self.proc.wait())

    def close(self):
        self.ctl.close()
        self.proc.wait()


class Peers:
    """The peer of each lane (0 or 1) on each CPU, started when first
    needed.  run_round gives the sides alternate lanes."""

    def __init__(self, python):
        self.python = python
        self.peers = {}
        self.listener = stdlib_socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)

    def get(self, lane, cpu):
        key = (lane, cpu)
        if key not in self.peers:
            self.peers[key] = Peer(self.python, cpu)
        return self.peers[key]

    def close(self):
        for peer in self.peers.values():
            peer.close()
        self.listener.close()


def open_conn(side, peer, listener, transport, command, arg):
    """The module under test's end of a connection whose far end PEER has."""
    mod = side.mod
    if transport == "unix":
        mine, theirs = mod.socketpair()
        peer.hand(theirs.fileno(), command, arg)
        theirs.close()
        return mine
    mine = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    mine.setsockopt(mod.IPPROTO_TCP, mod.TCP_NODELAY, 1)
    mine.connect(listener.getsockname())
    theirs, _ = listener.accept()
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
    if s.recv(1) != b"k":
        raise EOFError("no acknowledgement from the peer")

def bulk_recv(s, buf, total):
    s.send(b"g")
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


class DelegatingSocket:
    """A stdlib socket behind one Python method per call that only
    delegates (POLYSOCK_BENCH_CALIBRATE=2)."""

    __slots__ = ("_s",)

    def __init__(self, s):
        self._s = s

    def send(self, data, flags=0, /):
        return self._s.send(data, flags)

    def recv(self, n, flags=0, /):
        return self._s.recv(n, flags)

    def sendall(self, data, flags=0, /):
        return self._s.sendall(data, flags)

    def recv_into(self, buf, nbytes=0, flags=0, /):
        return self._s.recv_into(buf, nbytes, flags)

    def gettimeout(self):
        return self._s.gettimeout()

    def setsockopt(self, level, name, value, /):
        return self._s.setsockopt(level, name, value)

    def connect(self, address, /):
        return self._s.connect(address)

    def fileno(self):
        return self._s.fileno()

    def close(self):
        self._s.close()


FFI = CHAR_ARRAY = None  # cffi's FFI and "char[]", when CALIBRATE >= 3


class FromBufferSocket(DelegatingSocket):
    """DelegatingSocket, plus what cffi makes a binding do with a caller's
    buffer (POLYSOCK_BENCH_CALIBRATE=3)."""

    __slots__ = ()

    def sendall(self, data, flags=0, /):
        if type(data) is not bytes:  # polysock's rule: bytes go as they are
            FFI.from_buffer(data)
        return self._s.sendall(data, flags)

    def recv_into(self, buf, nbytes=0, flags=0, /):
        FFI.from_buffer(CHAR_ARRAY, buf, True)
        return self._s.recv_into(buf, nbytes, flags)


LIBC = None  # libc's send and recv through cffi, when CALIBRATE=4


class LibcSocket(DelegatingSocket):
    """DelegatingSocket whose bulk calls go to libc through cffi
    (POLYSOCK_BENCH_CALIBRATE=4)."""

    __slots__ = ()

    def sendall(self, data, flags=0, /):
        view = data if type(data) is bytes else FFI.from_buffer(data)
        fd, total, done = self._s.fileno(), len(data), 0
        while done < total:
            n = LIBC.send(fd, view if done == 0 else FFI.from_buffer(data) + done,
                          total - done, flags)
            if n < 0:
                raise OSError(FFI.errno, os.strerror(FFI.errno))
            done += n

    def recv_into(self, buf, nbytes=0, flags=0, /):
        ptr = FFI.from_buffer(CHAR_ARRAY, buf, True)
        n = LIBC.recv(self._s.fileno(), ptr, nbytes or len(ptr), flags)
        if n < 0:
            raise OSError(FFI.errno, os.strerror(FFI.errno))
        return n


def load_libc(mode):
    """libc's send and recv through cffi, compiled (api) or dlopen'ed (abi:
    also all CALIBRATE=3 needs, FFI.from_buffer being the same in both)."""
    global FFI, CHAR_ARRAY, LIBC
    import cffi
    import tempfile
    decls = ("ssize_t send(int, const void *, size_t, int);\n"
             "ssize_t recv(int, void *, size_t, int);")
    if mode == "api":
        builder = cffi.FFI()
        builder.cdef(decls)
        builder.set_source("_bench_libc", "#include <sys/socket.h>")
        where = tempfile.mkdtemp(prefix="polysock-bench-")
        sys.path.insert(0, os.path.dirname(builder.compile(tmpdir=where)))
        import _bench_libc
        FFI, LIBC = _bench_libc.ffi, _bench_libc.lib
    else:
        FFI = cffi.FFI()
        FFI.cdef(decls)
        LIBC = FFI.dlopen(None)
    CHAR_ARRAY = FFI.typeof("char[]")


class DelegatingModule:
    """What open_conn and the call row use of a socket module."""

    wrap = DelegatingSocket

    AF_INET = stdlib_socket.AF_INET
    SOCK_STREAM = stdlib_socket.SOCK_STREAM
    IPPROTO_TCP = stdlib_socket.IPPROTO_TCP
    TCP_NODELAY = stdlib_socket.TCP_NODELAY

    @classmethod
    def socket(cls, family, type):
        return cls.wrap(stdlib_socket.socket(family, type))

    @classmethod
    def socketpair(cls):
        a, b = stdlib_socket.socketpair()
        return cls.wrap(a), cls.wrap(b)


class FromBufferModule(DelegatingModule):
    wrap = FromBufferSocket


class LibcModule(DelegatingModule):
    wrap = LibcSocket


class Side:
    """One module under test, with its own copy of the timed loops."""

    def __init__(self, name, mod):
        self.name = name
        self.mod = mod
        self.k = {}
        exec(compile(KERNELS, "<bench loops for %s>" % name, "exec"), self.k)


# ---- rows ----------------------------------------------------------------

class Row:
    """A measurement: open() each side's object (its far end served by the
    peer process of LANE), time block() BLOCKS times per side, close().
    ops: operations per side and round."""

    kind = None       # pingpong, bulk or call: picks the target
    unit = None
    op = None         # what "extra" is per
    cpus = 1          # 2: the peer runs on another CPU

    def __init__(self, name):
        self.name = name
        self.rates = {"stdlib": [], "polysock": []}
        self.ratios = []
        self.extras = []

    def open(self, side, peers, lane):
        raise NotImplementedError

    def block(self, side, obj):
        raise NotImplementedError

    def close(self, side, obj):
        obj.close()

    def show(self, rate):
        return "%8.0f %s" % (rate, self.unit)


class PingPong(Row):
    kind, unit, op = "pingpong", "rt/s", "rt"

    def __init__(self, name, transport, cpus, trips):
        super().__init__(name)
        self.transport = transport
        self.cpus = cpus
        self.ops = trips // BLOCKS * BLOCKS
        self.peer = {}

    def open(self, side, peers, lane):
        peer = peers.get(lane, peers.peer_cpu if self.cpus == 2 else peers.bench_cpu)
        self.peer[side.name] = peer
        s = open_conn(side, peer, peers.listener, self.transport, "echo", 0)
        side.k["pingpong"](s, WARMUP_TRIPS_2CPU if self.cpus == 2 else WARMUP_TRIPS)
        return s

    def block(self, side, s):
        side.k["pingpong"](s, self.ops // BLOCKS)

    def close(self, side, s):
        s.close()
        self.peer[side.name].wait_done()


class Bulk(Row):
    kind, unit, op = "bulk", "MiB/s", "64K"

    def __init__(self, name, command, total):
        super().__init__(name)
        self.command = command
        self.count = max(1, total // CHUNK // BLOCKS)  # 64 KiB calls per block
        self.ops = self.count * BLOCKS
        self.peer = {}
        # One buffer for both sides: the same memory (alignment, cache and
        # TLB state) under the kernel's copy, whichever module calls.
        self.buf = bytes(CHUNK) if command == "discard" else bytearray(CHUNK)

    def open(self, side, peers, lane):
        peer = peers.get(lane, peers.bench_cpu)
        self.peer[side.name] = peer
        s = open_conn(side, peer, peers.listener, "tcp", self.command, self.count * CHUNK)
        self.block(side, s)  # warm-up
        return s

    def block(self, side, s):
        if self.command == "discard":
            side.k["bulk_send"](s, self.buf, self.count)
        else:
            side.k["bulk_recv"](s, self.buf, self.count * CHUNK)

    def close(self, side, s):
        s.close()
        self.peer[side.name].wait_done()

    def show(self, rate):
        return "%8.0f %s" % (rate * CHUNK / (1024 * 1024), self.unit)


class Calls(Row):
    kind, unit, op = "call", "ns/call", "call"

    def __init__(self, name, count):
        super().__init__(name)
        self.ops = count // BLOCKS * BLOCKS

    def open(self, side, _peers, _lane):
        s = side.mod.socket(side.mod.AF_INET, side.mod.SOCK_STREAM)
        side.k["calls"](s, 20000)  # warm-up
        return s

    def block(self, side, s):
        side.k["calls"](s, self.ops // BLOCKS)

    def show(self, rate):
        return "%8.1f %s" % (1e9 / rate, self.unit)


def make_rows(params):
    return [
        PingPong("socketpair ping-pong, 2 CPUs", "unix", 2, params["pingpong_2cpu"]),
        PingPong("tcp ping-pong, 2 CPUs", "tcp", 2, params["pingpong_2cpu"]),
        PingPong("socketpair ping-pong, 1 CPU", "unix", 1, params["pingpong"]),
        PingPong("tcp ping-pong, 1 CPU", "tcp", 1, params["pingpong"]),
        Bulk("tcp bulk sendall 64K", "discard", params["bulk"]),
        Bulk("tcp bulk recv_into 64K", "source", params["bulk"]),
        Calls("gettimeout call", params["calls"]),
    ]


def target(row, mode):
    if row.kind == "call" or (row.kind == "pingpong" and row.cpus == 1):
        return None
    if IS_PYPY:
        return 1.0
    if row.kind == "bulk":
        return 0.98
    return 0.95 if mode == "api" else 0.9


# ---- rounds and the table ------------------------------------------------

def run_round(row, sides, peers, r):
    """Time BLOCKS blocks per side, alternating sides; record the round's
    rates and its ratio: the median of the ratios of paired blocks (run
    back to back), so that a slow spell, which on a shared VM can make one
    block ten times slower, neither counts for one side only nor sways
    the round.  Odd rounds swap the sides' peer processes and which side
    opens (and closes) first: see "Fairness" above."""
    order = sides if r % 2 == 0 else sides[::-1]
    objs = {side.name: row.open(side, peers, lane) for lane, side in enumerate(order)}
    times = {side.name: [] for side in sides}
    clock = time.perf_counter
    for b in range(BLOCKS):
        # Alternate who goes first, so a trend is not paid by one side.
        for side in (sides if (b + r) % 2 == 0 else sides[::-1]):
            obj = objs[side.name]
            t0 = clock()
            row.block(side, obj)
            times[side.name].append(clock() - t0)
    for side in order:
        row.close(side, objs[side.name])
    per_block = row.ops // BLOCKS
    for side in sides:
        row.rates[side.name].append(per_block / statistics.median(times[side.name]))
    pairs = list(zip(times["stdlib"], times["polysock"]))
    row.ratios.append(statistics.median(std / poly for std, poly in pairs))
    row.extras.append(statistics.median((poly - std) for std, poly in pairs) / per_block * 1e9)


def run_rounds(rows, sides, peers, runs):
    start = time.perf_counter()
    for r in range(runs):
        for row in rows:
            run_round(row, sides, peers, r)
        print("  round %d/%d done (%.1f s)" % (r + 1, runs, time.perf_counter() - start),
              file=sys.stderr, flush=True)


def print_table(rows, mode):
    print("\n%-29s %15s %16s %7s %13s %14s  %s" % (
        "row", "stdlib median", "polysock median", "ratio", "ratio spread",
        "extra", "target"))
    misses = 0
    for row in rows:
        ratio = statistics.median(row.ratios)
        want = target(row, mode)
        if want is None:
            verdict = "(none)"
        else:
            verdict = ">= %.2f %s" % (want, "PASS" if ratio >= want else "FAIL")
            misses += ratio < want
        extra = "%+.0f ns/%s" % (statistics.median(row.extras), row.op)
        print("%-29s %15s %16s %7.3f %6.3f-%-6.3f %14s  %s" % (
            row.name,
            row.show(statistics.median(row.rates["stdlib"])),
            row.show(statistics.median(row.rates["polysock"])),
            ratio, min(row.ratios), max(row.ratios), extra, verdict))
    return misses


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


def binding_mode(polysock):
    """The mode the binding loaded: api (compiled module) or abi (dlopen)."""
    return polysock.mode


def main():
    runs = env_int("POLYSOCK_BENCH_RUNS", 16, 1, 100)
    runs += runs % 2  # rounds come in pairs that swap lanes and order
    params = {
        "pingpong": env_int("POLYSOCK_BENCH_PINGPONG", 40000, BLOCKS, 10**8),
        "pingpong_2cpu": env_int("POLYSOCK_BENCH_PINGPONG_2CPU", 8000, BLOCKS, 10**8),
        "bulk": env_int("POLYSOCK_BENCH_BULK_MB", 256, 1, 1 << 20) * 1024 * 1024,
        "calls": env_int("POLYSOCK_BENCH_CALLS", 1000000, BLOCKS, 10**10),
    }
    strict = env_int("POLYSOCK_BENCH_STRICT", 0, 0, 1)
    calibrate = env_int("POLYSOCK_BENCH_CALIBRATE", 0, 0, 4)
    only = os.environ.get("POLYSOCK_BENCH_ROWS", "")
    rows = [row for row in make_rows(params) if only in row.name]
    if not rows:
        die("POLYSOCK_BENCH_ROWS=%r matches no row" % only)

    import polysock  # here: the peers' entry point must not need it
    mode = binding_mode(polysock)
    if calibrate >= 3:
        load_libc(mode if calibrate == 4 else "abi")
    sides = [Side("stdlib", stdlib_socket),
             Side("polysock", (polysock, stdlib_socket, DelegatingModule,
                               FromBufferModule, LibcModule)[calibrate])]
    bench_cpu, peer_cpu = pin_setup()
    if peer_cpu is None:
        skipped = [row.name for row in rows if row.cpus == 2]
        rows = [row for row in rows if row.cpus == 1]
        print("one CPU only: skipped %s" % ", ".join(skipped))
    peers = Peers(peer_python())
    peers.bench_cpu, peers.peer_cpu = bench_cpu, peer_cpu

    print("polysock %s (%s mode) vs stdlib socket on %s %s (%s)" % (
        polysock.__version__, mode, platform.python_implementation(),
        platform.python_version(), sys.executable))
    if calibrate == 1:
        print("CALIBRATION: the stdlib in both slots (the 'polysock' column)")
    elif calibrate >= 2:
        print("CALIBRATION: the 'polysock' column is the stdlib behind a "
              "delegating Python method per call%s" % {
                  2: "", 3: ", with ffi.from_buffer per buffer",
                  4: ", its bulk calls libc's through cffi (%s mode)" % mode,
              }[calibrate])
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    print("%d rounds of %d blocks per side: %d / %d round trips (1 / 2 CPUs), "
          "%d MiB bulk, %d calls" % (
              runs, BLOCKS, params["pingpong"], params["pingpong_2cpu"],
              params["bulk"] // (1024 * 1024), params["calls"]))
    print("bench on CPU %d; peers: %s with stdlib socket, on CPU %d (1 CPU rows)%s" % (
        bench_cpu, peers.python, bench_cpu,
        "" if peer_cpu is None else " or %d (2 CPU rows)" % peer_cpu))
    sys.stdout.flush()

    start = time.perf_counter()
    try:
        run_rounds(rows, sides, peers, runs)
    finally:
        peers.close()
    misses = print_table(rows, mode)
    print("\n%s (%.1f s)" % (
        "all rows meet their targets" if misses == 0 else "some rows miss their targets",
        time.perf_counter() - start))
    sys.stdout.flush()
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
