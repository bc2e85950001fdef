"""socket.makefile(): file objects over a socket, as Python 3 has them.

Hand-written because it is Python's io stack, not a C call: a raw
io.RawIOBase over recv_into/send (SocketIO), wrapped in io.BufferedReader,
BufferedWriter or BufferedRWPair and, in text mode, io.TextIOWrapper.  A
file keeps its socket alive, and the socket counts its open files
(_io_refs): socket.close() really closes only when the last file is closed
too.  This follows CPython's Lib/socket.py.
"""
import errno as _errno
import io as _io

_blocking_errnos = {_errno.EAGAIN, _errno.EWOULDBLOCK}


class SocketIO(_io.RawIOBase):
    """Raw I/O on a stream socket: the base of makefile()'s file objects.

    Unlike a FileIO on the descriptor it keeps the socket's timeout, and
    it works on any socket object with recv_into and send.
    """

    def __init__(self, sock, mode):
        if mode not in ("r", "w", "rw", "rb", "wb", "rwb"):
            raise ValueError("invalid mode: %r" % mode)
        _io.RawIOBase.__init__(self)
        self._sock = sock
        if "b" not in mode:
            mode += "b"
        self._mode = mode
        self._reading = "r" in mode
        self._writing = "w" in mode
        self._timeout_occurred = False

    def readinto(self, b):
        """Read up to len(b) bytes into b; None when a non-blocking socket
        has nothing, 0 at the end of the stream."""
        self._checkClosed()
        self._checkReadable()
        # After a timeout the buffered layers above may have lost data.
        if self._timeout_occurred:
            raise OSError("cannot read from timed out object")
        try:
            return self._sock.recv_into(b)
        except TimeoutError:
            self._timeout_occurred = True
            raise
        except OSError as e:
            if e.errno in _blocking_errnos:
                return None
            raise

    def write(self, b):
        """Send some of b; returns how much, None when a non-blocking socket
        would block."""
        self._checkClosed()
        self._checkWritable()
        try:
            return self._sock.send(b)
        except OSError as e:
            if e.errno in _blocking_errnos:
                return None
            raise

    def readable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._reading

    def writable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._writing

    def seekable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return super().seekable()

    def fileno(self):
        self._checkClosed()
        return self._sock.fileno()

    @property
    def name(self):
        return -1 if self.closed else self.fileno()

    @property
    def mode(self):
        return self._mode

    def close(self):
        """Close the file; the socket closes when it and all its files are."""
        if self.closed:
            return
        _io.RawIOBase.close(self)
        self._sock._decref_socketios()
        self._sock = None


def makefile(sock, mode="r", buffering=None, *, encoding=None, errors=None,
             newline=None):
    """A file object on sock; arguments as for open() after the file name,
    with mode made of 'r', 'w' and 'b' only."""
    if not set(mode) <= {"r", "w", "b"}:
        raise ValueError("invalid mode %r (only r, w, b allowed)" % (mode,))
    writing = "w" in mode
    reading = "r" in mode or not writing
    binary = "b" in mode
    if buffering is None or buffering < 0:
        buffering = _io.DEFAULT_BUFFER_SIZE
    if buffering == 0 and not binary:
        raise ValueError("unbuffered streams must be binary")
    raw = SocketIO(sock, ("r" if reading else "") + ("w" if writing else ""))
    sock._io_refs += 1
    if buffering == 0:
        return raw
    if reading and writing:
        buffer = _io.BufferedRWPair(raw, raw, buffering)
    elif reading:
        buffer = _io.BufferedReader(raw, buffering)
    else:
        buffer = _io.BufferedWriter(raw, buffering)
    if binary:
        return buffer
    if hasattr(_io, "text_encoding"):  # Python 3.10+
        encoding = _io.text_encoding(encoding)
    text = _io.TextIOWrapper(buffer, encoding, errors, newline)
    text.mode = mode
    return text
