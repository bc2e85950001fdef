# frozen_string_literal: true

require_relative "helper"

# Name and service lookups.  Only local sources (/etc/hosts, /etc/services,
# /etc/protocols, numeric addresses) are used, and Ruby's own Socket is the
# oracle where both answer from the same files.
class TestResolver < PolysockTest::Case
  NETDB = File.exist?("/etc/services") && File.exist?("/etc/protocols")
  NUMERIC = Polysock::NI_NUMERICHOST | Polysock::NI_NUMERICSERV
  AF_INET = Polysock::AF_INET
  AF_INET6 = Polysock::AF_INET6
  SOCK_STREAM = Polysock::SOCK_STREAM

  def needs_netdb
    skip "no /etc/services or /etc/protocols" unless NETDB
  end

  # ---- getaddrinfo -----------------------------------------------------------

  def test_getaddrinfo_returns_five_element_arrays
    result = Polysock.getaddrinfo("127.0.0.1", 80, AF_INET, SOCK_STREAM)
    assert_equal [[AF_INET, SOCK_STREAM, Polysock::IPPROTO_TCP, "", ["127.0.0.1", 80]]], result
  end

  def test_getaddrinfo_numeric_flag_and_datagrams
    result = Polysock.getaddrinfo("10.1.2.3", 443, AF_INET, Polysock::SOCK_DGRAM, 0,
                                  Polysock::AI_NUMERICHOST)
    assert_equal [["10.1.2.3", 443]], result.map(&:last)
    assert_equal [Polysock::SOCK_DGRAM], result.map { |r| r[1] }
  end

  def test_getaddrinfo_passive_without_host_is_the_any_address
    result = Polysock.getaddrinfo(nil, 8080, AF_INET, SOCK_STREAM, 0, Polysock::AI_PASSIVE)
    assert_equal [["0.0.0.0", 8080]], result.map(&:last)
  end

  def test_getaddrinfo_without_host_is_loopback
    assert_equal [["127.0.0.1", 8080]], Polysock.getaddrinfo(nil, 8080, AF_INET, SOCK_STREAM).map(&:last)
  end

  def test_getaddrinfo_canonname_matches_ruby
    result = Polysock.getaddrinfo("localhost", nil, AF_INET, SOCK_STREAM, 0, Polysock::AI_CANONNAME)
    ruby = Addrinfo.getaddrinfo("localhost", nil, :INET, :STREAM, nil, ::Socket::AI_CANONNAME)
    refute_empty result[0][3]
    assert_equal ruby[0].canonname, result[0][3]
  end

  def test_getaddrinfo_ipv6_gives_four_elements
    result = Polysock.getaddrinfo("::1", 80, AF_INET6, SOCK_STREAM, 0, Polysock::AI_NUMERICHOST)
    assert_equal [["::1", 80, 0, 0]], result.map(&:last)
    assert_equal AF_INET6, result[0][0]
  end

  def test_getaddrinfo_service_name
    needs_netdb
    assert_equal [["127.0.0.1", 80]], Polysock.getaddrinfo("127.0.0.1", "http", AF_INET, SOCK_STREAM).map(&:last)
  end

  def test_getaddrinfo_port_as_numeric_string
    assert_equal [["127.0.0.1", 8080]], Polysock.getaddrinfo("127.0.0.1", "8080", AF_INET, SOCK_STREAM).map(&:last)
  end

  def test_getaddrinfo_unknown_service_is_gai_error
    e = assert_raises(Polysock::GAIError) do
      Polysock.getaddrinfo("127.0.0.1", "polysock-no-such-service", AF_INET, SOCK_STREAM)
    end
    assert_equal Polysock::EAI_SERVICE, e.errno
  end

  def test_getaddrinfo_for_an_invalid_name
    e = assert_raises(Polysock::GAIError) { Polysock.getaddrinfo("polysock-tests.invalid", 80) }
    # RFC 6761: .invalid never resolves; without a resolver glibc may say EAI_AGAIN.
    assert_includes [Polysock::EAI_NONAME, Polysock::EAI_AGAIN], e.errno
  end

  def test_getaddrinfo_frees_its_lists
    before = Polysock.get_stats[:live_handles]
    3.times { Polysock.getaddrinfo("127.0.0.1", 80) }
    assert_raises(Polysock::GAIError) { Polysock.getaddrinfo("1.2.3.4.5", nil, 0, 0, 0, Polysock::AI_NUMERICHOST) }
    Polysock.gethostbyname_ex("localhost")
    assert_equal before, Polysock.get_stats[:live_handles]
  end

  def test_ipv6_scope_syntax_resolves_to_the_interface_index
    index = Integer(File.read("/sys/class/net/lo/ifindex"))
    result = Polysock.getaddrinfo("fe80::1%lo", 80, AF_INET6, SOCK_STREAM, 0, Polysock::AI_NUMERICHOST)
    assert_equal 1, result.size
    host, port, flowinfo, scope_id = result[0][4]
    assert_includes ["fe80::1", "fe80::1%lo"], host
    assert_equal [80, 0, index], [port, flowinfo, scope_id]
    assert_equal ["fe80::1%lo", "80"], Polysock.getnameinfo(["fe80::1", 80, 0, index], NUMERIC)
  end

  # ---- the handle-level lists ------------------------------------------------

  def test_raw_addrinfo_list_walk
    list = Polysock::Raw.getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0, Polysock::AI_NUMERICHOST)
    assert_kind_of Integer, list
    assert_equal 1, Polysock::Raw.addrinfo_count(list)
    assert_equal [AF_INET, SOCK_STREAM, Polysock::IPPROTO_TCP, "", ["127.0.0.1", 80]],
                 Polysock::Raw.addrinfo_get(list, 0)
    assert_raises(ArgumentError) { Polysock::Raw.addrinfo_get(list, 1) }
    assert_nil Polysock::Raw.list_free(list)
    e = assert_raises(Polysock::Error) { Polysock::Raw.addrinfo_count(list) }
    assert_equal Errno::EBADF::Errno, e.errno
  end

  # ---- gethostby* ------------------------------------------------------------

  def test_gethostname_matches_the_system
    assert_equal ::Socket.gethostname, Polysock.gethostname
    assert_equal Etc.uname[:nodename], Polysock.gethostname
  end

  def test_gethostbyname
    assert_equal "127.0.0.1", Polysock.gethostbyname("127.0.0.1")
    assert_equal "127.0.0.1", Polysock.gethostbyname("localhost")
    assert_equal "0.0.0.0", Polysock.gethostbyname("")
    assert_equal "255.255.255.255", Polysock.gethostbyname("<broadcast>")
  end

  def test_gethostbyname_unknown_name_is_gai_error
    assert_raises(Polysock::GAIError) { Polysock.gethostbyname("polysock-tests.invalid") }
  end

  def test_gethostbyname_ex
    name, aliases, addrs = Polysock.gethostbyname_ex("localhost")
    assert_kind_of String, name
    refute_empty name
    assert_kind_of Array, aliases
    assert_includes addrs, "127.0.0.1"
  end

  def test_gethostbyname_ex_of_an_unknown_name_is_herror
    e = assert_raises(Polysock::HError) { Polysock.gethostbyname_ex("polysock-tests.invalid") }
    # glibc's h_errno: HOST_NOT_FOUND (1), or TRY_AGAIN (2) with no resolver.
    assert_includes [1, 2], e.errno
    assert_includes %w[HOST_NOT_FOUND TRY_AGAIN], e.errname
  end

  def test_gethostbyaddr
    name, aliases, addrs = Polysock.gethostbyaddr("127.0.0.1")
    assert_equal ["127.0.0.1"], addrs
    assert_kind_of Array, aliases
    assert_equal Addrinfo.ip("127.0.0.1").getnameinfo[0], name
  end

  def test_getfqdn
    assert_equal "polysock-tests.invalid", Polysock.getfqdn("polysock-tests.invalid")
    refute_empty Polysock.getfqdn
    assert_equal Polysock.getfqdn, Polysock.getfqdn("")
    assert_kind_of String, Polysock.getfqdn("localhost")
  end

  # ---- getnameinfo -----------------------------------------------------------

  def test_getnameinfo_numeric
    assert_equal ["127.0.0.1", "80"], Polysock.getnameinfo(["127.0.0.1", 80], NUMERIC)
  end

  def test_getnameinfo_names_match_ruby
    assert_equal Addrinfo.tcp("127.0.0.1", 80).getnameinfo, Polysock.getnameinfo(["127.0.0.1", 80], 0)
  end

  def test_getnameinfo_ipv6
    assert_equal ["::1", "8080"], Polysock.getnameinfo(["::1", 8080, 0, 0], NUMERIC)
    assert_equal ["::1", "8080"], Polysock.getnameinfo(["::1", 8080], NUMERIC)
  end

  def test_getnameinfo_needs_an_address_array
    assert_raises(TypeError) { Polysock.getnameinfo(5, NUMERIC) }
  end

  # ---- services and protocols ------------------------------------------------

  def test_getprotobyname
    needs_netdb
    assert_equal 6, Polysock.getprotobyname("tcp")
    assert_equal 17, Polysock.getprotobyname("udp")
  end

  def test_getprotobyname_unknown_is_an_error_without_errno
    e = assert_raises(Polysock::Error) { Polysock.getprotobyname("polysock-no-such-proto") }
    assert_nil e.errno
  end

  def test_getservbyname
    needs_netdb
    assert_equal 80, Polysock.getservbyname("http", "tcp")
    assert_equal 80, Polysock.getservbyname("http")
    assert_equal ::Socket.getservbyname("domain", "udp"), Polysock.getservbyname("domain", "udp")
  end

  def test_getservbyport
    needs_netdb
    assert_equal "http", Polysock.getservbyport(80, "tcp")
    assert_equal "http", Polysock.getservbyport(80)
    assert_equal ::Socket.getservbyport(53, "udp"), Polysock.getservbyport(53, "udp")
  end

  def test_getservbyport_out_of_range_is_range_error
    [-1, 65_536].each { |port| assert_raises(RangeError) { Polysock.getservbyport(port, "tcp") } }
  end

  def test_ipv6_loopback_lookup_matches_ruby
    skip "no IPv6 loopback on this machine" unless PolysockTest.ipv6_loopback?
    ruby = Addrinfo.getaddrinfo("::1", 9, :INET6, :DGRAM).map do |ai|
      [ai.afamily, ai.socktype, ai.protocol, "", [ai.ip_address, ai.ip_port, 0, 0]]
    end
    assert_equal ruby, Polysock.getaddrinfo("::1", 9, AF_INET6, Polysock::SOCK_DGRAM)
  end
end

require "etc"
