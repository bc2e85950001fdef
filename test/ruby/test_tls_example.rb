# frozen_string_literal: true

require_relative "helper"

# The reference's SSL example in Ruby (docs/examples/ruby/ssl_client.rb),
# run against the Python ssl echo peer: it prints the server's and the
# issuer's one-line names and the first chunk of the reply (the echoed
# request).
class TestTLSExample < PolysockTest::Case
  EXAMPLE = File.expand_path("../../docs/examples/ruby/ssl_client.rb", __dir__)

  def run_example(*args)
    out = nil
    Timeout.timeout(30) do
      out = IO.popen(PolysockTest.ruby_command(EXAMPLE, *args.map(&:to_s)), err: %i[child out], &:read)
    end
    [out, $?]
  end

  def test_ssl_client_against_an_echo_server
    peer = tls_peer("echo")
    out, status = run_example("--cafile", cert("ca.pem"), "127.0.0.1", peer.port)
    assert status.success?, out
    assert_equal <<~OUT, out
      "/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost"
      "/C=US/O=polysock test/CN=polysock test CA"
      Received "GET / HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n"
    OUT
    status, output = finish_peer(peer)
    assert status.success?, output
  end

  def test_ssl_client_refuses_a_server_it_cannot_verify
    peer = tls_peer("echo", "--expect-handshake", "fail")
    out, status = run_example("127.0.0.1", peer.port) # no --cafile: the system's store
    refute status.success?
    assert_match(/ - handshake \(unable to get local issuer certificate\b.*\) \(Polysock::SSLCertVerificationError\)$/, out)
    status, output = finish_peer(peer)
    assert status.success?, output
  end
end
