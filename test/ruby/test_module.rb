# frozen_string_literal: true

require_relative "helper"

# Module functions, constants, versions and the exception classes.
class TestModule < PolysockTest::Case
  def test_versions
    assert_match(/\A\d+\.\d+\.\d+\z/, Polysock::VERSION)
    assert_equal Polysock::VERSION, Polysock.library_version
    assert_equal Polysock.library_version, Polysock.version
    major, minor, patch = Polysock.version.split(".").map(&:to_i)
    assert_equal major * 10_000 + minor * 100 + patch, Polysock.version_number
    assert_equal Polysock::ABI_FINGERPRINT, Polysock.abi_fingerprint
    assert_match(/\A\h{16}\z/, Polysock::ABI_FINGERPRINT)
  end

  def test_library_is_the_one_named_by_the_environment
    assert_equal ENV.fetch("POLYSOCK_LIBRARY"), Polysock::Native::LIBRARY
  end

  def test_socket_type_is_the_socket_class
    assert_same Polysock::Socket, Polysock::SocketType
    assert_instance_of Polysock::SocketType, socket
  end

  def test_has_ipv6_is_a_boolean
    assert_includes [true, false], Polysock.has_ipv6
    assert_equal Polysock.has_ipv6, Polysock::Raw.has_ipv6 == 1
  end

  REFERENCE_CONSTANTS = %i[AF_UNIX AF_INET AF_INET6 SOCK_STREAM SOCK_DGRAM SOCK_RAW SOCK_RDM
                           SOCK_SEQPACKET SOMAXCONN SOL_SOCKET SO_REUSEADDR SO_TYPE MSG_PEEK
                           IPPROTO_TCP IPPROTO_UDP INADDR_ANY EAI_NONAME AI_PASSIVE NI_NUMERICHOST
                           TCP_NODELAY SHUT_RD SHUT_WR SHUT_RDWR IP_TTL IPV6_V6ONLY IPPORT_RESERVED].freeze

  def test_reference_constants_have_the_platform_values
    REFERENCE_CONSTANTS.each do |name|
      assert Polysock.const_defined?(name, false), "Polysock::#{name} is missing"
      assert_equal ::Socket.const_get(name), Polysock.const_get(name), name.to_s
    end
  end

  def test_every_constant_group_is_present_and_nothing_else
    names = Polysock.constants.map(&:to_s).select { |n| n.match?(/\A[A-Z][A-Z0-9_]*\z/) }
    Polysock::CONSTANT_PREFIXES.each do |prefix|
      assert names.any? { |n| n.start_with?(prefix) }, "no constant of group #{prefix}"
    end
    table = Array.new(Polysock::Raw.constant_count) { |i| Polysock::Raw.constant_name(i) }
    grouped = table.select { |n| Polysock::CONSTANT_PREFIXES.any? { |p| n.start_with?(p) } }
    grouped.each { |n| assert_equal Polysock::Raw.constant_lookup(n), Polysock.const_get(n), n }
    assert_nil Polysock::Raw.constant_name(table.size)
  end

  def test_constant_lookup_of_an_unknown_name_is_argument_error
    assert_raises(ArgumentError) { Polysock::Raw.constant_lookup("AF_NO_SUCH_THING") }
  end

  def test_byte_order_16_bits
    assert_equal 0x0102, Polysock.htons(0x0201)
    assert_equal 0x0201, Polysock.ntohs(0x0102)
    [0, 1, 80, 0xffff].each { |v| assert_equal v, Polysock.ntohs(Polysock.htons(v)) }
  end

  def test_byte_order_32_bits
    assert_equal 0x01020304, Polysock.htonl(0x04030201)
    assert_equal 0x04030201, Polysock.ntohl(0x01020304)
    [0, 1, 0x7f000001, 0xffff_ffff].each { |v| assert_equal v, Polysock.ntohl(Polysock.htonl(v)) }
  end

  def test_byte_order_out_of_range_is_range_error
    [-1, 65_536].each { |v| assert_raises(RangeError) { Polysock.htons(v) } }
    [-1, 2**32, 2**64].each { |v| assert_raises(RangeError) { Polysock.ntohl(v) } }
  end

  def test_byte_order_refuses_non_integers
    assert_raises(TypeError) { Polysock.htons("1") }
    assert_raises(TypeError) { Polysock.htonl(nil) }
  end

  def test_inet_aton_and_ntoa
    packed = Polysock.inet_aton("1.2.3.4")
    assert_equal "\x01\x02\x03\x04".b, packed
    assert_equal Encoding::BINARY, packed.encoding
    assert_equal "1.2.3.4", Polysock.inet_ntoa(packed)
    assert_equal "\x7f\x00\x00\x01".b, Polysock.inet_aton("127.1") # the platform's rules
  end

  def test_inet_aton_refuses_garbage_with_error
    e = assert_raises(Polysock::Error) { Polysock.inet_aton("not an address") }
    assert_nil e.errno
  end

  def test_inet_ntoa_refuses_a_wrong_length
    assert_raises(Polysock::Error) { Polysock.inet_ntoa("\x01\x02\x03".b) }
  end

  def test_inet_pton_and_ntop
    assert_equal "\x01\x02\x03\x04".b, Polysock.inet_pton(Polysock::AF_INET, "1.2.3.4")
    assert_equal "1.2.3.4", Polysock.inet_ntop(Polysock::AF_INET, "\x01\x02\x03\x04".b)
    packed = Polysock.inet_pton(Polysock::AF_INET6, "5aef:2b::8")
    assert_equal 16, packed.bytesize
    assert_equal "5aef:2b::8", Polysock.inet_ntop(Polysock::AF_INET6, packed)
  end

  def test_inet_pton_is_strict_and_ntop_checks_the_length
    assert_raises(Polysock::Error) { Polysock.inet_pton(Polysock::AF_INET, "1.2.3") }
    assert_raises(ArgumentError) { Polysock.inet_ntop(Polysock::AF_INET6, "\x01\x02\x03\x04".b) }
    e = assert_raises(Polysock::Error) { Polysock.inet_pton(12_345, "1.2.3.4") }
    assert_equal Errno::EAFNOSUPPORT::Errno, e.errno
  end

  def test_default_timeout
    assert_nil Polysock.getdefaulttimeout
    Polysock.setdefaulttimeout(2.5)
    assert_equal 2.5, Polysock.getdefaulttimeout
    assert_equal 2.5, socket.gettimeout
    Polysock.setdefaulttimeout(0)
    assert_equal 0.0, Polysock.getdefaulttimeout
    assert_equal 0.0, socket.gettimeout
    Polysock.setdefaulttimeout(nil)
    assert_nil Polysock.getdefaulttimeout
    assert_nil socket.gettimeout
  end

  def test_default_timeout_refuses_bad_values
    assert_raises(ArgumentError) { Polysock.setdefaulttimeout(-1) }
    assert_raises(ArgumentError) { Polysock.setdefaulttimeout(Float::NAN) }
    assert_raises(RangeError) { Polysock.setdefaulttimeout(Float::INFINITY) }
    assert_raises(TypeError) { Polysock.setdefaulttimeout("1") }
    assert_nil Polysock.getdefaulttimeout
  end

  def test_exception_hierarchy
    assert_operator Polysock::Error, :<, StandardError
    [Polysock::HError, Polysock::GAIError, Polysock::Timeout, Polysock::SSLError,
     Polysock::WaitReadable, Polysock::WaitWritable].each do |klass|
      assert_operator klass, :<, Polysock::Error
    end
    assert_operator Polysock::WaitReadable, :<, IO::WaitReadable
    assert_operator Polysock::WaitWritable, :<, IO::WaitWritable
  end

  def test_gai_error_carries_the_eai_code_and_message
    e = assert_raises(Polysock::GAIError) do
      Polysock.getaddrinfo("1.2.3.4.5", nil, 0, 0, 0, Polysock::AI_NUMERICHOST)
    end
    assert_equal Polysock::EAI_NONAME, e.errno
    assert_equal "EAI_NONAME", e.errname
    refute_empty e.message
  end

  def test_herror_carries_h_errno_and_message
    e = assert_raises(Polysock::HError) { Polysock.gethostbyname_ex("polysock-tests.invalid") }
    # glibc's hstrerror texts: HOST_NOT_FOUND, or TRY_AGAIN with no resolver.
    messages = { 1 => "Unknown host", 2 => "Host name lookup failure" }
    assert_includes messages.keys, e.errno
    assert_equal "#{messages[e.errno]} - gethostbyname_ex", e.message
  end

  def test_error_functions_describe_codes
    code = -Errno::ECONNREFUSED::Errno
    assert_equal Polysock::Native::ERRCLASS_OS, Polysock.errclass(code)
    assert_equal "os", Polysock.errclass_name(Polysock.errclass(code))
    assert_equal Errno::ECONNREFUSED::Errno, Polysock.errno(code)
    assert_equal "ECONNREFUSED", Polysock.errname(code)
    assert_equal Errno::ECONNREFUSED.new.message, Polysock.strerror(code)
    assert_equal "timeout", Polysock.errclass_name(Polysock.errclass(Polysock::Native::ETIMEOUT))
    assert_equal Errno::ETIMEDOUT::Errno, Polysock.errno(Polysock::Native::ETIMEOUT)
  end

  def test_interrupt_mode_is_on_in_every_thread
    assert_equal 1, Polysock.get_interrupt_mode
    assert_equal 1, Thread.new { Polysock.get_interrupt_mode }.value
  end

  def test_stats_count_sockets
    before = Polysock.get_stats
    s = socket
    assert_equal before[:live_sockets] + 1, Polysock.get_stats[:live_sockets]
    s.close
    assert_equal before[:live_sockets], Polysock.get_stats[:live_sockets]
  end

  def test_allocation_failure_is_clean
    before = Polysock.get_stats
    Polysock.debug_fail_allocs(0, -1)
    e = assert_raises(Polysock::Error) { Polysock.socket }
    assert_equal Errno::ENOMEM::Errno, e.errno
  ensure
    Polysock.debug_fail_allocs(0, 0)
    after = Polysock.get_stats
    assert_equal before[:live_sockets], after[:live_sockets]
    assert_equal before[:live_bytes], after[:live_bytes]
  end

  def test_addr_set_fills_a_record
    assert_equal ["127.0.0.1", 80], Polysock.addr_set(Polysock::AF_INET, "127.0.0.1", 80)
  end
end
