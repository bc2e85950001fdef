#!/usr/bin/python3
"""peer.py - external TLS peers on loopback for polysock's test suites.

Every language's suite (C, Python, Ruby, Node) starts the TLS peer it needs
with this one program, so that polysock's TLS layer is always tested against
implementations that are not polysock: Python's ssl module and the openssl
CLI.  Debian's /usr/bin/python3, standard library only.

    peer.py --certs DIR MODE [--count N] [--port P] [options]

Server modes print exactly one line "PORT <n>" (flushed) once they listen,
serve --count connections one after the other, and exit 0 when each went
as expected; otherwise they say why on stderr and exit 1.  Client modes
connect to --port, talk, and exit the same way.  Usage errors exit 2.
README.md in this directory is the full contract.
"""

import argparse
import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

PLAINTEXT_RESPONSE = (b"HTTP/1.0 400 Bad Request\r\n"
                      b"Content-Type: text/plain\r\n"
                      b"Connection: close\r\n\r\n"
                      b"This is not a TLS server.\r\n")
PYTHON_CLIENT_MESSAGE = b"hello from python"
S_CLIENT_MESSAGE = b"hello from s_client\n"
DEFAULT_ALPN = "h2,http/1.1"
# A record header: content type, version (2 bytes), length (2 bytes).
TLS_RECORD_HEADER = 5


class PeerError(Exception):
    """Something the mode did not expect: reported on stderr, exit 1."""


# --- arguments --------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="peer.py", description="External TLS peers for polysock's tests.")
    parser.add_argument("--certs", required=True,
                        help="directory made by test/tls/make-certs.sh")
    parser.add_argument("mode", choices=sorted(SERVER_MODES) + sorted(CLIENT_MODES))
    parser.add_argument("--count", type=int, default=1,
                        help="connections to serve or make (default 1)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on or connect to")
    parser.add_argument("--port", type=int, default=0,
                        help="server: port to listen on (default: a free one); "
                             "client: port to connect to (required)")
    parser.add_argument("--cert", default=None,
                        help="certificate to present, by its name in --certs "
                             "(servers: good; clients: none, client-python-cert: client)")
    parser.add_argument("--alpn", default=None,
                        help="comma-separated ALPN protocols to offer or select")
    parser.add_argument("--server-hostname", default="localhost",
                        help="clients: the name to send and verify (default localhost)")
    parser.add_argument("--expect-handshake", choices=("ok", "fail", "any"),
                        default="ok",
                        help="servers: how each handshake must end (default ok)")
    parser.add_argument("--strict-eof", action="store_true",
                        help="Python TLS servers: the client must end with "
                             "close_notify; a bare FIN is a failure")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="bound on every wait, in seconds (default 30)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.mode in CLIENT_MODES and args.port == 0:
        parser.error("client modes need --port")
    if not os.path.isfile(os.path.join(args.certs, "stamp")):
        parser.error("%s holds no certificates (no stamp file): run make-certs.sh"
                     % args.certs)
    return args


def cert_files(args, name):
    """(certificate, key) paths of a certificate of make-certs.sh."""
    key_name = "good" if name == "good-chain" else name
    return (os.path.join(args.certs, name + ".pem"),
            os.path.join(args.certs, key_name + ".key"))


def ca_file(args):
    return os.path.join(args.certs, "ca.pem")


def alpn_list(text):
    return [p for p in text.split(",") if p]


# --- lifetime -----------------------------------------------------------------

# The openssl processes started, killed when the peer has to go.
children = []


def exit_with_parent():
    """A peer never outlives the test that started it: when the parent
    dies (a test process killed by its framework's timeout, or ended with
    _exit), kill what we started and exit."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        for child in children:
            child.kill()
        report("the process that started this peer is gone")
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def start_child(command, **options):
    child = subprocess.Popen(command, **options)
    children.append(child)
    return child


# --- servers ------------------------------------------------------------------

def listen(args):
    family, kind, proto, _, address = socket.getaddrinfo(
        args.host, args.port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind, proto)
    listener.bind(address)
    listener.listen(args.count)
    listener.settimeout(args.timeout)
    announce_port(listener.getsockname()[1])
    return listener


def announce_port(port):
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()


def serve(args, handle):
    """Accept --count connections and give each to handle(conn, args); a
    PeerError of one connection is reported and the next one is served."""
    failures = 0
    with listen(args) as listener:
        for number in range(1, args.count + 1):
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                raise PeerError("no connection %d within %gs" % (number, args.timeout))
            with conn:
                conn.settimeout(args.timeout)
                try:
                    handle(conn, args)
                except PeerError as e:
                    report("connection %d: %s" % (number, e))
                    failures += 1
    return 1 if failures else 0


def new_context(protocol, strict_eof):
    """An SSLContext; strict_eof: a bare FIN is an error, not a clean EOF.
    CPython sets OP_IGNORE_UNEXPECTED_EOF by default, which reads both as
    a clean EOF.  Without it OpenSSL 3 fails the connection at a bare FIN
    (and answers with an alert), so a lenient server keeps it to still
    send its close_notify afterwards."""
    context = ssl.SSLContext(protocol)
    if strict_eof:
        context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    return context


def server_context(args, cert):
    context = new_context(ssl.PROTOCOL_TLS_SERVER, args.strict_eof)
    context.load_cert_chain(*cert_files(args, args.cert or cert))
    return context


def handshake(args, conn, context):
    """The server handshake, checked against --expect-handshake: the TLS
    socket, or None when it failed as expected."""
    try:
        tls = context.wrap_socket(conn, server_side=True, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        if args.expect_handshake == "ok":
            raise PeerError("handshake failed: %s" % e)
        return None
    if args.expect_handshake == "fail":
        tls.close()
        raise PeerError("handshake succeeded, a failure was expected")
    return tls


def echo(tls):
    """Send back what arrives until the client's EOF: close_notify, or a
    bare FIN unless --strict-eof."""
    while True:
        try:
            data = tls.recv(65536)
        except (ssl.SSLError, OSError) as e:
            if is_unexpected_eof(e):
                raise PeerError("the client closed without close_notify")
            raise PeerError("read failed: %s" % e)
        if not data:
            return
        try:
            tls.sendall(data)
        except (ssl.SSLError, OSError) as e:
            raise PeerError("write failed: %s" % e)


def is_unexpected_eof(error):
    # CPython 3.11 raises a bare SSLError for OpenSSL 3's reason, later
    # versions SSLEOFError.
    return (isinstance(error, ssl.SSLEOFError)
            or getattr(error, "reason", None) == "UNEXPECTED_EOF_WHILE_READING")


def send_close_notify(tls):
    # The client may already be gone (it closed after its own
    # close_notify): its socket then answers with a reset, which is fine.
    try:
        tls.unwrap()
    except (ssl.SSLError, OSError):
        pass


def tls_echo_server(cert="good", close_notify=True, setup=None):
    """A mode: Python ssl echo with the named certificate; close_notify at
    the end, or a bare FIN."""
    def handle(conn, args):
        context = server_context(args, cert)
        if setup is not None:
            setup(context, args)
        tls = handshake(args, conn, context)
        if tls is None:
            return
        echo(tls)
        if close_notify:
            send_close_notify(tls)
        else:
            # Take the descriptor back from the TLS object and close it:
            # the client sees the FIN with no close_notify before it.
            socket.socket(fileno=tls.detach()).close()
        tls.close()
    return lambda args: serve(args, handle)


def require_client_cert(context, args):
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(ca_file(args))


def select_alpn(context, args):
    context.set_alpn_protocols(alpn_list(args.alpn or DEFAULT_ALPN))


def read_first_record(conn):
    """Read the client's first TLS record (its ClientHello) whole, so that
    closing afterwards sends a FIN and not a reset for unread data."""
    data = b""
    need = TLS_RECORD_HEADER
    while len(data) < need:
        chunk = conn.recv(need - len(data))
        if not chunk:
            raise PeerError("client closed before its ClientHello was complete")
        data += chunk
        if len(data) == TLS_RECORD_HEADER:
            need += int.from_bytes(data[3:5], "big")
    return data


def drain(conn):
    """Read and drop until the client closes."""
    while conn.recv(65536):
        pass


def silent(conn, args):
    # Never send a byte; wait for the client to give up.
    try:
        drain(conn)
    except socket.timeout:
        raise PeerError("client still connected after %gs" % args.timeout)


def plaintext(conn, args):
    read_first_record(conn)
    conn.sendall(PLAINTEXT_RESPONSE)
    try:
        conn.shutdown(socket.SHUT_WR)
        drain(conn)
    except OSError:
        pass  # the client may have reset the connection after its failure


def close_mid_handshake(conn, args):
    read_first_record(conn)


def plaintext_reset(conn, args):
    read_first_record(conn)
    conn.sendall(PLAINTEXT_RESPONSE)
    # Linger with a zero timeout: close sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    (1).to_bytes(4, sys.byteorder) + (0).to_bytes(4, sys.byteorder))


def tcp_server(handle):
    return lambda args: serve(args, handle)


# --- openssl s_server -----------------------------------------------------------

# Lets the openssl CLI itself speak TLS 1.0 and 1.1: OpenSSL 3 refuses them
# at security level 1 and above, and Debian's openssl.cnf sets level 2.
LEGACY_OPENSSL_CONF = """\
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
"""


def s_server(version_option=None):
    """A mode: openssl s_server with the good certificate, replying to each
    line with the line reversed (-rev), for --count connections; with a
    version option, restricted to that protocol version."""
    def run(args):
        cert, key = cert_files(args, args.cert or "good")
        command = ["openssl", "s_server", "-accept", "%s:%d" % (args.host, args.port),
                   "-cert", cert, "-key", key, "-naccept", str(args.count), "-rev"]
        env = dict(os.environ)
        with tempfile.TemporaryDirectory(prefix="polysock-peer.") as tmp:
            if version_option is not None:
                command.append(version_option)
                env["OPENSSL_CONF"] = os.path.join(tmp, "openssl.cnf")
                with open(env["OPENSSL_CONF"], "w") as f:
                    f.write(LEGACY_OPENSSL_CONF)
            with open(os.path.join(tmp, "stderr"), "w+") as errors:
                return run_s_server(args, command, env, errors)
    return run


def run_s_server(args, command, env, errors):
    # Unbuffered (bufsize=0): select() sees the pipe, not a Python buffer.
    server = start_child(command, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=errors, bufsize=0)
    try:
        port = read_accept_line(server, args.timeout)
        announce_port(port)
        # Its stdout must keep being read, or a chatty server would block.
        reader = threading.Thread(target=server.stdout.readall, daemon=True)
        reader.start()
        try:
            status = server.wait(args.timeout * args.count)
        except subprocess.TimeoutExpired:
            raise PeerError("s_server still running after %gs" % (args.timeout * args.count))
        reader.join(args.timeout)
        if status != 0:
            raise PeerError("s_server exited with status %d" % status)
        return 0
    except PeerError:
        errors.seek(0)
        sys.stderr.write(errors.read())
        raise
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def read_accept_line(server, timeout):
    """s_server prints "ACCEPT host:port" once it listens."""
    deadline = time.monotonic() + timeout
    line = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([server.stdout], [], [], left)[0]:
            raise PeerError("s_server did not listen within %gs" % timeout)
        byte = server.stdout.read(1)
        if not byte:
            raise PeerError("s_server exited before listening")
        if byte != b"\n":
            line += byte
        elif line.startswith(b"ACCEPT "):
            return int(line.rsplit(b":", 1)[1])
        else:
            line = b""


# --- clients --------------------------------------------------------------------

def client_context(args, cert):
    # Strict: the Python clients fail a server that omits close_notify.
    context = new_context(ssl.PROTOCOL_TLS_CLIENT, strict_eof=True)
    context.load_verify_locations(ca_file(args))
    cert = args.cert or cert
    if cert is not None:
        context.load_cert_chain(*cert_files(args, cert))
    if args.alpn is not None:
        context.set_alpn_protocols(alpn_list(args.alpn))
    return context


def python_client(cert=None):
    """A mode: Python ssl client verifying the server (ca.pem, the name
    --server-hostname); sends PYTHON_CLIENT_MESSAGE, expects it back, ends
    with close_notify and waits for the server's."""
    def run(args):
        context = client_context(args, cert)
        for _ in range(args.count):
            with socket.create_connection((args.host, args.port), args.timeout) as sock:
                try:
                    tls = context.wrap_socket(sock, server_hostname=args.server_hostname)
                    tls.sendall(PYTHON_CLIENT_MESSAGE)
                    received = receive(tls, len(PYTHON_CLIENT_MESSAGE))
                    print("ECHOED %r" % received)
                    if args.alpn is not None:
                        print("ALPN %s" % (tls.selected_alpn_protocol() or ""))
                    sys.stdout.flush()
                    if received != PYTHON_CLIENT_MESSAGE:
                        raise PeerError("sent %r, received %r"
                                        % (PYTHON_CLIENT_MESSAGE, received))
                    tls.unwrap()
                except (ssl.SSLError, OSError) as e:
                    raise PeerError("%s: %s" % (type(e).__name__, e))
        return 0
    return run


def receive(tls, count):
    data = b""
    while len(data) < count:
        chunk = tls.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data


def s_client(args):
    """The mode client-s_client: openssl s_client verifying the server,
    sends S_CLIENT_MESSAGE, expects the same line back, then closes its
    input, which makes s_client send close_notify and exit."""
    command = ["openssl", "s_client", "-connect", "%s:%d" % (args.host, args.port),
               "-CAfile", ca_file(args), "-verify_return_error",
               "-servername", args.server_hostname,
               "-verify_hostname", args.server_hostname,
               "-quiet", "-no_ign_eof"]
    if args.cert is not None:
        command += ["-cert", cert_files(args, args.cert)[0],
                    "-key", cert_files(args, args.cert)[1]]
    if args.alpn is not None:
        command += ["-alpn", args.alpn]
    for _ in range(args.count):
        # Unbuffered (bufsize=0): select() sees the pipe, not a Python buffer.
        client = start_child(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, bufsize=0)
        try:
            client.stdin.write(S_CLIENT_MESSAGE)
            client.stdin.flush()
            line = read_line(client.stdout, args.timeout)
            print("ECHOED %r" % line)
            sys.stdout.flush()
            client.stdin.close()
            status = client.wait(args.timeout)
        except subprocess.TimeoutExpired:
            raise PeerError("s_client still running after %gs" % args.timeout)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
            errors = client.stderr.read().decode(errors="replace")
            client.stdout.close()
            client.stderr.close()
        if line != S_CLIENT_MESSAGE or status != 0:
            sys.stderr.write(errors)
            raise PeerError("s_client exited with status %d, received %r"
                            % (status, line))
    return 0


def read_line(stream, timeout):
    """One line of a pipe, or what came before EOF or the timeout."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            break
        byte = stream.read(1)
        if not byte:
            break
        line += byte
    return line


# --- modes ----------------------------------------------------------------------

SERVER_MODES = {
    "echo": tls_echo_server(),
    "echo-fin": tls_echo_server(close_notify=False),
    "require-client-cert": tls_echo_server(setup=require_client_cert),
    "alpn": tls_echo_server(setup=select_alpn),
    "expired": tls_echo_server(cert="expired"),
    "otherhost": tls_echo_server(cert="otherhost"),
    "selfsigned": tls_echo_server(cert="selfsigned"),
    "silent": tcp_server(silent),
    "plaintext": tcp_server(plaintext),
    "close-mid-handshake": tcp_server(close_mid_handshake),
    "plaintext-reset": tcp_server(plaintext_reset),
    "s_server": s_server(),
    "tls1.0": s_server("-tls1"),
    "tls1.1": s_server("-tls1_1"),
}

CLIENT_MODES = {
    "client-python": python_client(),
    "client-python-cert": python_client(cert="client"),
    "client-s_client": s_client,
}


def report(message):
    sys.stderr.write("peer.py: %s\n" % message)
    sys.stderr.flush()


def main(argv):
    args = parse_args(argv)
    exit_with_parent()
    run = SERVER_MODES.get(args.mode) or CLIENT_MODES[args.mode]
    try:
        return run(args)
    except PeerError as e:
        report("%s: %s" % (args.mode, e))
        return 1
    except OSError as e:
        report("%s: %s: %s" % (args.mode, type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
