"""The Python soak client (CPython and PyPy): threads open, use and close
connections to soak_server (half of them TLS through polysock.ssl()) for a
set time, while a chaos thread closes random live sockets and SSL objects
under them and a watchdog looks for calls that overrun their timeout.

    soak_client.py PLAIN_PORT TLS_PORT CAFILE SECONDS THREADS [NAME]

The same policy as soak_client.c (README.md): random timeout modes (normal,
tiny, blocking), 1 to 16 frames of 1 B .. 256 KiB per connection, CRC-32
checked.  A timeout closes the connection and is counted; OSError(EBADF)
from a connection the chaos thread closed is counted; anything else is an
unexpected error.  Prints one SOAK-REPORT line; exit status 0 when clean.
"""
import errno
import json
import os
import random
import struct
import sys
import threading
import time
import zlib

import polysock

HEADER = struct.Struct(">II")  # payload length, CRC-32 of the payload
MAX_PAYLOAD = 256 * 1024
POOL_SIZE = 1 << 20
MAX_MESSAGES = 16
HUNG_SLACK = 15.0  # a shared, loaded machine: generous
BLOCKING_LIMIT = 60.0
ERRORS_SHOWN = 20


class Counts:
    FIELDS = ("connections", "tls_connections", "messages", "bytes_sent",
              "bytes_received", "timeouts", "chaos_closes",
              "checksum_errors", "unexpected_errors")

    def __init__(self):
        self._lock = threading.Lock()
        for f in self.FIELDS:
            setattr(self, f, 0)

    def add(self, field, n=1):
        with self._lock:
            setattr(self, field, getattr(self, field) + n)


class Watchdog:
    """Every blocking call runs inside watch(): one still running past its
    limit is counted (once) as hung."""

    def __init__(self):
        self._calls = {}  # thread id -> [started, limit, what, reported]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.hung = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def begin(self, what, limit):
        self._calls[threading.get_ident()] = [time.monotonic(), limit, what,
                                              False]

    def end(self):
        self._calls.pop(threading.get_ident(), None)

    def _scan(self):
        now = time.monotonic()
        for call in list(self._calls.values()):
            started, limit, what, reported = call
            if not reported and now - started > limit:
                call[3] = True
                self.hung += 1
                print("HUNG: %s running for %.1f s (limit %.1f s)"
                      % (what, now - started, limit), file=sys.stderr)

    def _run(self):
        while not self._stop.wait(0.1):
            self._scan()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._scan()


class Registry:
    """The live connection of each worker.  Whoever takes a slot's
    connection first closes it: the chaos thread by claiming it, the worker
    by withdrawing it; a worker whose connection was claimed expects EBADF
    from it."""

    def __init__(self, n):
        self._lock = threading.Lock()
        self._slots = [None] * n  # [sock, ssl, claimed]

    def publish(self, i, sock):
        with self._lock:
            self._slots[i] = [sock, None, False]

    def set_ssl(self, i, ssl):
        with self._lock:
            self._slots[i][1] = ssl

    def claimed(self, i):
        with self._lock:
            return self._slots[i] is not None and self._slots[i][2]

    def withdraw(self, i):
        with self._lock:
            slot, self._slots[i] = self._slots[i], None
            return slot[2]

    def claim(self, i):
        with self._lock:
            slot = self._slots[i]
            if slot is None or slot[2]:
                return None
            slot[2] = True
            return slot[0], slot[1]


class Client:
    def __init__(self, name, plain_port, tls_port, cafile, nthreads):
        self.name = name
        self.ports = (plain_port, tls_port)
        self.cafile = cafile
        self.nthreads = nthreads
        self.counts = Counts()
        self.registry = Registry(nthreads)
        self.watchdog = Watchdog()
        self.pool = os.urandom(POOL_SIZE)
        self.stopping = threading.Event()
        self.deadline = 0.0

    # ---- How a failure counts ----

    def unexpected(self, what, exc):
        self.counts.add("unexpected_errors")
        if self.counts.unexpected_errors <= ERRORS_SHOWN:
            print("%s: UNEXPECTED: %s: %r" % (self.name, what, exc),
                  file=sys.stderr)

    def failed(self, index, what, exc):
        if isinstance(exc, polysock.timeout):
            self.counts.add("timeouts")
        elif (isinstance(exc, OSError) and exc.errno == errno.EBADF
              and self.registry.claimed(index)):
            self.counts.add("chaos_closes")
        else:
            self.unexpected(what, exc)

    # ---- One connection ----

    def call(self, what, limit, fn, *args):
        self.watchdog.begin(what, limit)
        try:
            return fn(*args)
        finally:
            self.watchdog.end()

    def pick_timeout(self, rng, sock, calm):
        """The timeout mode of the next calls; returns the watchdog's
        limit for them."""
        dice = 0 if calm else rng.randrange(10)
        if dice < 6:
            t = 30.0 if calm else rng.uniform(2.0, 10.0)
        elif dice < 8:
            t = rng.uniform(0.0002, 0.02)
        else:
            sock.settimeout(None)
            return BLOCKING_LIMIT
        sock.settimeout(t)
        return t + HUNG_SLACK

    def read_exact(self, conn, n, limit):
        data = bytearray()
        while len(data) < n:
            chunk = self.call("read", limit, conn.read if conn.is_tls
                              else conn.recv, n - len(data))
            if not chunk:
                raise EOFError("the server ended the stream inside an echo")
            data += chunk
        return data

    def exchange(self, rng, conn, limit):
        size = max(1, min(MAX_PAYLOAD, int(2 ** rng.uniform(0, 18))))
        offset = rng.randrange(POOL_SIZE - size + 1)
        payload = memoryview(self.pool)[offset:offset + size]
        header = HEADER.pack(size, zlib.crc32(payload))
        self.call("write", limit, conn.write, header)
        self.call("write", limit, conn.write, payload)
        self.counts.add("bytes_sent", size)
        echo = self.read_exact(conn, HEADER.size + size, limit)
        self.counts.add("bytes_received", size)
        length, crc = HEADER.unpack_from(echo)
        if (echo[:HEADER.size] != header
                or zlib.crc32(memoryview(echo)[HEADER.size:]) != crc):
            self.counts.add("checksum_errors")
            if self.counts.checksum_errors <= ERRORS_SHOWN:
                print("%s: CHECKSUM MISMATCH on a %d-byte echo (%s)"
                      % (self.name, size, "TLS" if conn.is_tls else "plain"),
                      file=sys.stderr)
            return False
        self.counts.add("messages")
        return True

    def run_connection(self, index, rng, use_tls, calm=False):
        try:
            sock = polysock.socket(polysock.AF_INET, polysock.SOCK_STREAM)
        except OSError as e:
            self.unexpected("socket", e)
            return
        self.counts.add("connections")
        if use_tls:
            self.counts.add("tls_connections")
        self.registry.publish(index, sock)
        conn = Conn(sock)
        try:
            limit = self.pick_timeout(rng, sock, calm)
            self.call("connect", limit, sock.connect,
                      ("127.0.0.1", self.ports[use_tls]))
            if use_tls:
                # ssl() runs the handshake, watched as one call.
                self.watchdog.begin("ssl", limit)
                try:
                    conn.ssl = polysock.ssl(sock, cafile=self.cafile,
                                            server_hostname="localhost")
                finally:
                    self.watchdog.end()
                self.registry.set_ssl(index, conn.ssl)
            messages = 1 if calm else rng.randint(1, MAX_MESSAGES)
            for i in range(messages):
                if self.stopping.is_set():
                    break
                if i and rng.randrange(4) == 0:
                    limit = self.pick_timeout(rng, sock, calm)
                if not self.exchange(rng, conn, limit):
                    break
        except (OSError, EOFError) as e:
            if isinstance(e, EOFError):
                self.unexpected("read", e)
            else:
                self.failed(index, "connection", e)
        finally:
            claimed = self.registry.withdraw(index)
            self.close(conn, claimed)

    def close(self, conn, claimed):
        # SSLObject.close() and socket.close() are idempotent and ignore a
        # close by another thread at the same moment (EBADF): nothing to
        # excuse here, a failure is unexpected.
        for what, obj in (("ssl close", conn.ssl), ("close", conn.sock)):
            if obj is None:
                continue
            try:
                obj.close()
            except OSError as e:
                self.unexpected(what, e)

    # ---- Threads ----

    def worker(self, index):
        rng = random.Random()
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            self.run_connection(index, rng, rng.randrange(2) == 1)

    def chaos(self):
        rng = random.Random()
        while not self.stopping.wait(rng.uniform(0.02, 0.2)):
            taken = self.registry.claim(rng.randrange(self.nthreads))
            if taken is None:
                continue
            sock, ssl = taken
            try:
                if ssl is not None and rng.randrange(2):
                    ssl.close()
                else:
                    sock.close()
            except OSError as e:
                self.unexpected("chaos close", e)

    def run(self, seconds):
        rng = random.Random()
        # Warm-up: the TLS context cache then holds what it will hold
        # until the end (the one context of this client's settings).
        self.run_connection(0, rng, False, calm=True)
        self.run_connection(0, rng, True, calm=True)
        if self.counts.messages != 2:
            print("%s: the warm-up exchanges failed" % self.name,
                  file=sys.stderr)
            return False
        self.counts = Counts()
        before = snapshot()
        started = time.monotonic()
        self.deadline = started + seconds
        threads = [threading.Thread(target=self.worker, args=(i,))
                   for i in range(self.nthreads)]
        threads.append(threading.Thread(target=self.chaos))
        for t in threads:
            t.start()
        time.sleep(seconds)
        self.stopping.set()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        after = snapshot()
        self.watchdog.stop()
        return report(self.name, self.counts, self.watchdog.hung, elapsed,
                      before, after)


class Conn:
    """A socket, and the SSL object over it once there is one: read and
    write go to whichever carries the data."""

    def __init__(self, sock):
        self.sock = sock
        self.ssl = None

    @property
    def is_tls(self):
        return self.ssl is not None

    def read(self, n):
        return self.ssl.read(n)

    def recv(self, n):
        return self.sock.recv(n)

    def write(self, data):
        if self.ssl is not None:
            self.ssl.write(data)
        else:
            self.sock.sendall(data)


def snapshot():
    stats = polysock.lowlevel.get_stats()
    return {"fds": len(os.listdir("/proc/self/fd")) - 1,  # listdir's own
            "live_handles": stats.live_handles,
            "live_sockets": stats.live_sockets,
            "live_bytes": stats.live_bytes}


def report(name, counts, hung, seconds, before, after):
    ok = (counts.checksum_errors == 0 and counts.unexpected_errors == 0
          and hung == 0 and before == after and counts.messages > 0)
    line = {"client": name}
    line.update((f, getattr(counts, f)) for f in Counts.FIELDS)
    line.update(aborted=0, hung_calls=hung, seconds=round(seconds, 1))
    line.update((k, [before[k], after[k]]) for k in before)
    line["ok"] = ok
    print("SOAK-REPORT " + json.dumps(line), flush=True)
    return ok


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    plain_port, tls_port = int(argv[1]), int(argv[2])
    seconds, nthreads = float(argv[4]), int(argv[5])
    name = argv[6] if len(argv) == 7 else (
        "pypy" if sys.implementation.name == "pypy" else "python")
    client = Client(name, plain_port, tls_port, argv[3], nthreads)
    return 0 if client.run(seconds) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
