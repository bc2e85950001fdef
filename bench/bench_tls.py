"""bench_tls.py - TLS of the polysock binding against Python's own ssl module.

Usage: PYTHON bench_tls.py PEER    PEER is bench/bench_tls built in the build
                                   tree; `bench_tls --serve` is the peer

Both modules run in the same process, on the same interpreter and the same
OpenSSL, against the same peer (a server on the OpenSSL C API, in another
process, so it costs the same whichever side it serves).  Rows:

  tls bulk 64K     MiB/s of 64 KiB writes (write() on both: all of the
                   buffer, one call), acknowledged by the peer at the end
  tls handshakes   full TLS 1.3 handshakes per second (EC P-256, chain and
                   host name verified, no session tickets): connect, wrap,
                   one byte, close.  The stdlib side reuses one SSLContext;
                   polysock.ssl() builds its configuration per call and the
                   core finds the context in its cache.

Noise: a round opens both sides' connections at once and alternates 16
timed blocks between them (who goes first alternating too); the round's
ratio polysock/stdlib is the median of its block ratios, and the table
shows the median and spread of the rounds' ratios.  Target: >= 0.95 on
both rows.

Environment:
  POLYSOCK_BENCH_RUNS        rounds (default 5)
  POLYSOCK_BENCH_BULK_MB     MiB per bulk run (default 1024)
  POLYSOCK_BENCH_HANDSHAKES  handshakes per run (default 300)
  POLYSOCK_BENCH_STRICT      1: exit 1 when a row misses its target
"""

import os
import platform
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import time

import polysock

CHUNK = 64 * 1024
BLOCKS = 16  # timed blocks per side and round
HOST = "localhost"
TARGET = 0.95


def env_int(name, default):
    text = os.environ.get(name, "")
    return int(text) if text else default


class Stdlib:
    name = "stdlib ssl"

    def __init__(self, cafile):
        self.ctx = ssl.create_default_context(cafile=cafile)

    def open(self, port):
        s = socket.create_connection(("127.0.0.1", port))
        return s, self.ctx.wrap_socket(s, server_hostname=HOST)

    def close(self, s, t):
        t.close()  # the stdlib wrapper owns its socket
        s.close()


class Polysock:
    name = "polysock"

    def __init__(self, cafile):
        self.cafile = cafile

    def open(self, port):
        s = polysock.socket(polysock.AF_INET, polysock.SOCK_STREAM)
        s.connect(("127.0.0.1", port))
        return s, polysock.ssl(s, server_hostname=HOST, cafile=self.cafile)

    def close(self, s, t):
        t.close()
        s.close()


def bulk_open(side, port, total):
    s, t = side.open(port)
    t.write(b"B" + struct.pack(">Q", total))
    return s, t


def bulk_block(t, count):
    buf = b"x" * CHUNK
    write = t.write
    t0 = time.perf_counter()
    for _ in range(count):
        write(buf)
    return time.perf_counter() - t0


def bulk_close(side, s, t):
    if t.read(1) != b"k":
        sys.exit("bench_tls.py: %s: no acknowledgement" % side.name)
    side.close(s, t)


def handshakes(side, port, count):
    t0 = time.perf_counter()
    for _ in range(count):
        s, t = side.open(port)
        t.write(b"H")
        side.close(s, t)
    return time.perf_counter() - t0


def alternate(first, second, r):
    """BLOCKS pairs of timed blocks, who goes first alternating; returns
    the median speed ratio second/first and each side's total time."""
    ratios, t1, t2 = [], 0.0, 0.0
    for b in range(BLOCKS):
        if (b + r) % 2 == 0:
            a = first()
            c = second()
        else:
            c = second()
            a = first()
        ratios.append(a / c)
        t1 += a
        t2 += c
    return statistics.median(ratios), t1, t2


def run_round(std, ours, port, total, count, r):
    chunks = max(1, total // CHUNK // BLOCKS)
    conns = [bulk_open(side, port, chunks * CHUNK * BLOCKS) for side in (std, ours)]
    ratio, t1, t2 = alternate(lambda: bulk_block(conns[0][1], chunks),
                              lambda: bulk_block(conns[1][1], chunks), r)
    for side, (s, t) in zip((std, ours), conns):
        bulk_close(side, s, t)
    mib = chunks * CHUNK * BLOCKS / (1024 * 1024)
    bulk_row = (mib / t1, mib / t2, ratio)
    per = max(1, count // BLOCKS)
    ratio, t1, t2 = alternate(lambda: handshakes(std, port, per),
                              lambda: handshakes(ours, port, per), r)
    hs_row = (per * BLOCKS / t1, per * BLOCKS / t2, ratio)
    return bulk_row, hs_row


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = env_int("POLYSOCK_BENCH_RUNS", 5)
    total = env_int("POLYSOCK_BENCH_BULK_MB", 1024) * 1024 * 1024
    count = env_int("POLYSOCK_BENCH_HANDSHAKES", 300)
    peer = subprocess.Popen([sys.argv[1], "--serve"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        word, port, cafile = peer.stdout.readline().split()
        assert word == "PORT"
        port = int(port)
        sides = [Stdlib(cafile), Polysock(cafile)]
        print("polysock %s TLS vs stdlib ssl on %s %s (%s): %d rounds, "
              "%d MiB bulk, %d handshakes"
              % (polysock.__version__, platform.python_implementation(),
                 platform.python_version(), ssl.OPENSSL_VERSION, runs,
                 total >> 20, count))
        sys.stdout.flush()
        std, ours = sides
        for side in sides:  # warm up: caches, PyPy's JIT
            handshakes(side, port, 20)
            s, t = bulk_open(side, port, 64 * CHUNK)
            bulk_block(t, 64)
            bulk_close(side, s, t)
        rows = [("tls bulk 64K", "MiB/s"), ("tls handshakes", "hs/s")]
        results = {name: ([], [], []) for name, _ in rows}
        for r in range(runs):
            for (name, _), row in zip(rows, run_round(std, ours, port, total, count, r)):
                for column, value in zip(results[name], row):
                    column.append(value)
            print("  round %d/%d done" % (r + 1, runs), file=sys.stderr)
        print("\n%-16s %18s %18s %7s %13s  %s" % ("row", "stdlib median",
              "polysock median", "ratio", "ratio spread", "target >= 0.95"))
        misses = 0
        for name, unit in rows:
            std, ours, ratio = results[name]
            q = statistics.median(ratio)
            misses += q < TARGET
            print("%-16s %12.0f %-5s %12.0f %-5s %7.3f %6.3f-%-6.3f  %s"
                  % (name, statistics.median(std), unit, statistics.median(ours),
                     unit, q, min(ratio), max(ratio), "PASS" if q >= TARGET else "FAIL"))
    finally:
        peer.stdin.close()
        peer.wait()
    if misses and os.environ.get("POLYSOCK_BENCH_STRICT") == "1":
        sys.exit(1)


if __name__ == "__main__":
    main()
