# frozen_string_literal: true

require_relative "helper"

# The reference's four echo examples, ported to Ruby (docs/examples/ruby),
# run against each other: each server serves one client and prints
# `Connected by [host, port]`, each client prints `Received "Hello, world"`.
class TestExamples < PolysockTest::Case
  EXAMPLES = File.expand_path("../../docs/examples/ruby", __dir__)
  WAIT_PORT = File.expand_path("../wait-port.sh", __dir__)

  def setup
    @pids = []
  end

  def teardown
    @pids.each do |pid|
      Process.kill("KILL", pid)
    rescue Errno::ESRCH
      nil
    end
    @pids.each { |pid| Process.wait(pid) rescue Errno::ECHILD } # rubocop:disable Style/RescueModifier
  end

  def free_port(family = Polysock::AF_INET, host = "127.0.0.1")
    Polysock::Socket.open(family) do |s|
      s.bind([host, 0])
      s.getsockname[1]
    end
  end

  def example(name, *args)
    PolysockTest.ruby_command(File.join(EXAMPLES, "#{name}.rb"), *args.map(&:to_s))
  end

  # Start a server example; its output goes to the pipe returned.
  def start_server(name, host, port)
    reader, writer = IO.pipe
    @pids << Process.spawn(*example(name, host, port), out: writer, err: writer)
    writer.close
    assert system("sh", WAIT_PORT, port.to_s, "20"), "#{name} never listened on #{port}"
    reader
  end

  def run_client(name, host, port)
    out = nil
    Timeout.timeout(20) { out = IO.popen(example(name, host, port), err: %i[child out], &:read) }
    [out, $?]
  end

  def converse(server, client, server_host, client_host, family = Polysock::AF_INET)
    port = free_port(family, family == Polysock::AF_INET6 ? "::1" : "127.0.0.1")
    output = start_server(server, server_host, port)
    out, status = run_client(client, client_host, port)
    assert status.success?, "#{client}: #{out}"
    assert_equal "Received \"Hello, world\"\n", out
    said = Timeout.timeout(20) { output.read }
    pid = @pids.pop
    Process.wait(pid)
    assert $?.success?, "#{server}: #{said}"
    said
  end

  def test_server_and_client
    said = converse("echo_server", "echo_client", "127.0.0.1", "127.0.0.1")
    assert_match(/\AConnected by \["127\.0\.0\.1", \d+\]\n\z/, said)
  end

  def test_server_and_dual_client
    said = converse("echo_server", "echo_client_dual", "", "127.0.0.1")
    assert_match(/\AConnected by \["127\.0\.0\.1", \d+\]\n\z/, said)
  end

  def test_dual_server_and_client
    said = converse("echo_server_dual", "echo_client", "127.0.0.1", "127.0.0.1")
    assert_match(/\AConnected by \["127\.0\.0\.1", \d+\]\n\z/, said)
  end

  def test_dual_server_and_dual_client_by_name
    said = converse("echo_server_dual", "echo_client_dual", "localhost", "localhost")
    assert_match(/\AConnected by \["(127\.0\.0\.1|::1)", \d+(, 0, 0)?\]\n\z/, said)
  end

  def test_dual_server_and_dual_client_over_ipv6
    skip "no IPv6 loopback on this machine" unless PolysockTest.ipv6_loopback?
    said = converse("echo_server_dual", "echo_client_dual", "::1", "::1", Polysock::AF_INET6)
    assert_match(/\AConnected by \["::1", \d+, 0, 0\]\n\z/, said)
  end

  def test_clients_with_nothing_to_talk_to
    port = free_port
    out, status = run_client("echo_client", "127.0.0.1", port)
    refute status.success?
    assert_match(/Connection refused - connect \(Polysock::Error\)/, out)
    out, status = run_client("echo_client_dual", "127.0.0.1", port)
    assert_equal 1, status.exitstatus
    assert_equal "could not open socket\n", out
  end
end
