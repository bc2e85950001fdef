"""makefile() with the semantics of Python 3's socket.makefile."""

import io

import pytest

from helpers import polysock


def test_binary_reader_readline_and_eof(pair):
    a, b = pair
    f = a.makefile("rb")
    b.sendall(b"line one\nline two\nrest")
    b.shutdown(polysock.SHUT_WR)
    assert f.readline() == b"line one\n"
    assert f.readline() == b"line two\n"
    assert f.read() == b"rest"
    assert f.read() == b""
    assert f.readline() == b""
    f.close()


def test_reader_is_buffered(pair):
    a, b = pair
    f = a.makefile("rb")
    assert isinstance(f, io.BufferedReader)
    b.sendall(b"ab\ncd\n")
    assert f.readline() == b"ab\n"
    # The rest was read ahead into the buffer: the socket itself is empty.
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        a.recv(10)
    assert f.readline() == b"cd\n"
    f.close()


def test_reader_iterates_lines(pair):
    a, b = pair
    b.sendall(b"1\n2\n3\n")
    b.close()
    with a.makefile("rb") as f:
        assert list(f) == [b"1\n", b"2\n", b"3\n"]


def test_binary_writer_needs_flush(pair):
    a, b = pair
    w = a.makefile("wb")
    assert w.write(b"buffered") == 8
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(100)  # still in the writer's buffer
    w.flush()
    b.setblocking(True)
    assert b.recv(100) == b"buffered"
    w.close()


def test_text_mode_with_encoding(pair):
    a, b = pair
    r = a.makefile("r", encoding="utf-8")
    w = b.makefile("w", encoding="utf-8")
    assert isinstance(r, io.TextIOWrapper)
    w.write("h\u00e9llo w\u00f6rld\nsecond\n")
    w.flush()
    assert r.readline() == "h\u00e9llo w\u00f6rld\n"
    assert r.readline() == "second\n"
    r.close()
    w.close()


def test_text_mode_newline_translation(pair):
    a, b = pair
    b.sendall(b"dos\r\nline\r\n")
    b.shutdown(polysock.SHUT_WR)
    with a.makefile("r", encoding="ascii", newline=None) as r:
        assert r.read() == "dos\nline\n"


def test_unbuffered_binary_is_raw(pair):
    a, b = pair
    r = a.makefile("rb", buffering=0)
    assert isinstance(r, io.RawIOBase)
    b.sendall(b"raw bytes")
    assert r.read(100) == b"raw bytes"  # a raw read returns what is there
    w = a.makefile("wb", buffering=0)
    assert w.write(b"now") == 3
    assert b.recv(10) == b"now"  # no flush needed
    b.close()
    assert r.read(100) == b""
    r.close()
    w.close()


def test_unbuffered_text_is_refused(pair):
    with pytest.raises(ValueError):
        pair[0].makefile("r", buffering=0)


def test_read_write_pair(pair):
    a, b = pair
    f = a.makefile("rwb")
    f.write(b"question\n")
    f.flush()
    assert b.recv(100) == b"question\n"
    b.sendall(b"answer\n")
    assert f.readline() == b"answer\n"
    f.close()


def test_readinto(pair):
    a, b = pair
    b.sendall(b"12345")
    b.close()
    with a.makefile("rb") as f:
        buf = bytearray(8)
        assert f.readinto(buf) == 5
        assert buf[:5] == b"12345"


def test_file_keeps_the_socket_open_after_close(pair):
    a, b = pair
    f = a.makefile("rb")
    w = a.makefile("wb")
    a.close()  # the files still hold the socket
    b.sendall(b"still here\n")
    assert f.readline() == b"still here\n"
    w.write(b"and back")
    w.flush()
    assert b.recv(100) == b"and back"
    f.close()
    assert a.fileno() != -1  # one file left
    w.close()
    assert a.fileno() == -1  # the last file closed the socket
    assert b.recv(10) == b""  # and the peer sees it


def test_closing_the_file_leaves_an_open_socket_alone(pair):
    a, b = pair
    f = a.makefile("rb")
    f.close()
    a.sendall(b"ok")  # the socket was not closed by its file
    assert b.recv(10) == b"ok"


def test_makefile_in_timeout_mode_reads(pair):
    a, b = pair
    a.settimeout(5)
    b.sendall(b"timed\n")
    with a.makefile("rb") as f:
        assert f.readline() == b"timed\n"


def test_raw_file_of_a_nonblocking_socket_reads_none(pair):
    # Python 3's SocketIO: no data on a non-blocking socket is None (the
    # RawIOBase convention), not an exception and not EOF.
    a, b = pair
    a.setblocking(False)
    r = a.makefile("rb", buffering=0)
    assert r.read(10) is None
    r.close()


def test_makefile_read_times_out_with_the_socket(pair):
    a, b = pair
    a.settimeout(0.2)
    b.sendall(b"partial")
    with a.makefile("rb") as f:
        with pytest.raises(polysock.timeout):
            f.readline()  # no newline ever comes


def test_invalid_mode_is_valueerror(pair):
    with pytest.raises(ValueError):
        pair[0].makefile("x")
