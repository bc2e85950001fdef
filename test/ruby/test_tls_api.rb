# frozen_string_literal: true

require_relative "helper"
require "pathname"
require "rbs"

# The TLS layer's surface: option checking (the right Ruby exception for
# each bad value, nothing leaked), the exception classes, garbage
# collection of connections, and the RBS signatures of Polysock::SSL.
class TestTLSAPI < PolysockTest::Case
  def live_handles
    Polysock.get_stats[:live_handles]
  end

  # A connected client socket (the server end never speaks).
  def connected
    srv = listener
    sock = socket
    sock.connect(srv.getsockname)
    sock
  end

  def test_exception_classes
    assert_operator Polysock::SSLError, :<, Polysock::Error
    assert_operator Polysock::SSLCertVerificationError, :<, Polysock::SSLError
    assert_operator Polysock::SSLEOFError, :<, Polysock::SSLError
    assert_operator Polysock::SSLErrorWaitReadable, :<, Polysock::SSLError
    assert_operator Polysock::SSLErrorWaitReadable, :<, IO::WaitReadable
    assert_operator Polysock::SSLErrorWaitWritable, :<, IO::WaitWritable
    refute_operator Polysock::SSLError, :<, Polysock::Timeout
  end

  # Every TLS code becomes the class a Ruby program rescues it by, with the
  # engine's reason in the message; other errors pass through untouched.
  def test_tls_codes_map_to_their_classes
    expected = {
      ETLS_WANTREAD: Polysock::SSLErrorWaitReadable, ETLS_WANTWRITE: Polysock::SSLErrorWaitWritable,
      ETLS_CERT_VERIFY: Polysock::SSLCertVerificationError,
      ETLS_CERT_UNTRUSTED: Polysock::SSLCertVerificationError,
      ETLS_CERT_EXPIRED: Polysock::SSLCertVerificationError,
      ETLS_CERT_HOSTNAME: Polysock::SSLCertVerificationError, ETLS_EOF: Polysock::SSLEOFError,
      ETLS_HANDSHAKE: Polysock::SSLError, ETLS_VERSION: Polysock::SSLError,
      ETLS_PROTOCOL: Polysock::SSLError, ETLS_NONAME: Polysock::SSLError,
      ETLS_CONFIG: Polysock::SSLError, ETLS_CLOSED: Polysock::SSLError
    }
    tls_codes = Polysock::Native.constants.grep(/\AETLS_/)
    assert_equal tls_codes.sort, expected.keys.sort, "a TLS code without a class in this test"
    expected.each do |name, klass|
      code = Polysock::Native.const_get(name)
      generated = Polysock::Errors.build(code, "handshake")
      assert_instance_of Polysock::SSLError, generated
      e = Polysock::Errors.ssl_error(generated) { "why it failed" }
      assert_instance_of klass, e, name.to_s
      assert_equal code, e.code
      assert_equal "POLYSOCK_#{name}", e.errname
      if klass <= IO::WaitReadable || klass <= IO::WaitWritable
        # Nothing failed: there is no reason to ask the engine for.
        assert_nil e.reason
        assert_equal generated.message, e.message
      else
        assert_equal "why it failed", e.reason
        assert_equal "#{Polysock.strerror(code)} - handshake (why it failed)", e.message
      end
      assert_nil Polysock::Errors.ssl_error(generated) { "" }.reason, "an empty reason is none"
    end
    timeout = Polysock::Errors.build(Polysock::Native::ETIMEOUT, "read")
    assert_same timeout, Polysock::Errors.ssl_error(timeout) { flunk "a timeout has no TLS reason" }
  end

  def test_bad_option_types_are_type_errors_and_leak_nothing
    sock = connected
    live = live_handles
    bad = [
      { verify: nil }, { verify: "yes" }, { server_side: 1 }, { handshake: nil },
      { allow_unexpected_eof: "no" }, { require_client_cert: 0 },
      { alpn_protocols: "h2" }, { alpn_protocols: ["h2", :spdy] },
      { min_version: 1.3 }, { min_version: :TLSv1_3 },
      { cafile: 42 }, { capath: ["dir"] }, { server_hostname: :localhost },
    ]
    bad.each do |options|
      assert_raises(TypeError, options.inspect) { Polysock.ssl(sock, **options) }
    end
    assert_raises(TypeError) { Polysock.ssl(sock, 7, cert("good.pem"), verify: false) }
    assert_raises(TypeError) { Polysock.ssl(:not_a_socket) }
    poller = track(Polysock::Poller.new)
    assert_raises(TypeError) { Polysock.ssl(poller) }
    assert_equal live, live_handles - 1
  end

  def test_bad_option_values_are_argument_errors_and_leak_nothing
    sock = connected
    live = live_handles
    bad = [
      { alpn_protocols: [""] }, { alpn_protocols: ["x" * 256] }, { alpn_protocols: ["h2,http/1.1"] },
      { alpn_protocols: ["h\0"] }, { min_version: "TLSv1.1" }, { min_version: "tls1.3" },
      { min_version: 0x0301 }, { server_hostname: "" },
    ]
    bad.each do |options|
      assert_raises(ArgumentError, options.inspect) { Polysock.ssl(sock, cafile: cert("ca.pem"), **options) }
    end
    # Server-side mistakes.
    assert_raises(ArgumentError) { Polysock.ssl(sock, server_side: true) }
    assert_raises(ArgumentError) { Polysock.ssl(sock, cert("good.key"), nil) }
    assert_raises(ArgumentError) do
      Polysock.ssl(sock, cert("good.key"), cert("good.pem"), server_side: true, verify: false)
    end
    assert_raises(ArgumentError) do
      Polysock.ssl(sock, cert("good.key"), cert("good.pem"), server_side: true, server_hostname: "localhost")
    end
    assert_raises(ArgumentError) { Polysock.ssl(sock, unknown_option: true) }
    # An ALPN name of 255 bytes is fine (the call gets as far as the
    # handshake, which this silent server times out).
    sock.settimeout(0.2)
    assert_raises(Polysock::Timeout) do
      Polysock.ssl(sock, cafile: cert("ca.pem"), alpn_protocols: ["x" * 255])
    end
    assert_equal live, live_handles
  end

  def test_unusable_files_are_os_or_config_errors
    sock = connected
    live = live_handles
    e = assert_raises(Polysock::Error) { Polysock.ssl(sock, cafile: "/nonexistent/ca.pem") }
    assert_equal "ENOENT", e.errname
    e = assert_raises(Polysock::Error) { Polysock.ssl(sock, "/nonexistent.key", cert("good.pem")) }
    assert_equal "ENOENT", e.errname
    # good.key does not belong to client.pem; a key is no certificate.
    e = assert_raises(Polysock::SSLError) { Polysock.ssl(sock, cert("good.key"), cert("client.pem")) }
    assert_equal "POLYSOCK_ETLS_CONFIG", e.errname
    e = assert_raises(Polysock::SSLError) { Polysock.ssl(sock, nil, cert("good.key")) }
    assert_equal "POLYSOCK_ETLS_CONFIG", e.errname
    assert_equal live, live_handles
  end

  def test_paths_may_be_pathnames_and_capath_a_hashed_directory
    address, server = tls_server(Pathname(cert("good.key")), Pathname(cert("good.pem"))) { |ssl| ssl.read(2) }
    sock = socket
    sock.connect(address)
    ssl = track(Polysock.ssl(sock, capath: Pathname(cert("capath"))))
    ssl.write("ok")
    assert_equal "ok", join_within(server, 20).value
  end

  # ---- garbage collection ----

  def collect_until
    20.times do
      GC.start(full_mark: true, immediate_sweep: true)
      Thread.pass
      return true if yield

      sleep 0.01
    end
    false
  end

  def test_dropped_connections_are_freed_by_the_collector
    peer = tls_peer("echo", "--expect-handshake", "any")
    sock = socket
    sock.connect(["127.0.0.1", peer.port])
    3.times { GC.start(full_mark: true, immediate_sweep: true) }
    live = live_handles
    refs = ObjectSpace::WeakMap.new
    # Made in another thread: nothing of it stays on this thread's stack.
    Thread.new do
      refs[:ssl] = Polysock.ssl(sock, cafile: cert("ca.pem"))
      nil
    end.join
    assert_equal live + 1, live_handles, "a connection is one handle (its configuration is closed)"
    assert collect_until { live_handles == live }, "the dropped connection was never freed"
    refute refs.key?(:ssl), "the SSL object is still alive"
    refute sock.closed?, "the socket is the caller's, not the collector's"
  end

  # ---- signatures ----

  def test_signatures_cover_the_ssl_class
    loader = RBS::EnvironmentLoader.new
    loader.add(path: Pathname(File.expand_path("../../bindings/ruby/sig", __dir__)))
    env = RBS::Environment.from_loader(loader).resolve_type_names
    builder = RBS::DefinitionBuilder.new(env: env)
    ssl = RBS::TypeName.new(name: :SSL, namespace: RBS::Namespace.parse("::Polysock"))
    declared = builder.build_instance(ssl).methods.select { |_, m| m.defined_in.to_s == "::Polysock::SSL" }.keys
    assert_empty Polysock::SSL.public_instance_methods(false) - declared, "methods without a signature"
    assert_empty declared - Polysock::SSL.instance_methods(false) - Polysock::SSL.private_instance_methods(false),
                 "signatures of methods that do not exist"
    singleton = builder.build_singleton(ssl).methods.select { |_, m| m.defined_in.to_s == "::Polysock::SSL" }.keys
    assert_empty Polysock::SSL.singleton_methods(false) - singleton
    polysock = RBS::TypeName.new(name: :Polysock, namespace: RBS::Namespace.root)
    assert builder.build_singleton(polysock).methods.key?(:ssl)
  end
end
