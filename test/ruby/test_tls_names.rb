# frozen_string_literal: true

require_relative "helper"

# The peer's names in their three forms: one-line (#server, #issuer: for
# display), RFC 4514 and structured (RDNs of [attribute, value] pairs), for
# the certificates of test/tls/make-certs.sh whose subjects are built to
# break naive formatters.  The expected values are the fixtures' own
# definitions, rebuilt here.
class TestTLSNames < PolysockTest::Case
  CA = [[["countryName", "US"]], [["organizationName", "polysock test"]],
        [["commonName", "polysock test CA"]]].freeze
  CA_ONELINE = "/C=US/O=polysock test/CN=polysock test CA"
  CA_RFC4514 = "CN=polysock test CA,O=polysock test,C=US"

  GOOD = [[["countryName", "US"]], [["stateOrProvinceName", "California"]],
          [["localityName", "Mountain View"]], [["organizationName", "polysock test"]],
          [["commonName", "localhost"]]].freeze

  # make-certs.sh: ten OUs of 58 characters, so the one-line form is longer
  # than 512 bytes.
  LONG_OUS = (1..10).map { |i| format("organizational unit %02d of a subject longer than 512 bytes", i) }.freeze
  LONG = [[["countryName", "US"]], [["organizationName", "polysock test"]],
          *LONG_OUS.map { |ou| [["organizationalUnitName", ou]] },
          [["commonName", "localhost"]]].freeze

  # test/tls/odd-subject.h: '/', ',', '+', '=', NUL and UTF-8 in values,
  # RDN 2 multi-valued.
  ODD = [[["countryName", "US"]], [["organizationName", "polysock/test, Inc."]],
         [["localityName", "multi"], ["organizationalUnitName", "a+b=c"]],
         [["stateOrProvinceName", "Zürich"]], [["commonName", "localhost\0/odd, name+x"]]].freeze

  # The names our client sees when the server presents certfile.
  def names_of(certfile)
    keyfile = certfile.sub(/\.pem\z/, ".key")
    address, server = tls_server(cert(keyfile), cert(certfile)) { :served }
    ssl = tls_client(address, server_hostname: "localhost")
    names = { server: ssl.server, issuer: ssl.issuer, subject: ssl.peer_subject, issuer_rdns: ssl.peer_issuer,
              subject_rfc4514: ssl.subject_rfc4514, issuer_rfc4514: ssl.issuer_rfc4514 }
    ssl.close
    assert_equal :served, join_within(server, 20).value
    names
  end

  def assert_utf8(rdns)
    rdns.flatten.each do |s|
      assert_equal Encoding::UTF_8, s.encoding, s.inspect
      assert s.valid_encoding?, s.inspect
    end
  end

  def test_names_of_a_plain_certificate
    names = names_of("good.pem")
    assert_equal "/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost", names[:server]
    assert_equal CA_ONELINE, names[:issuer]
    assert_equal GOOD, names[:subject]
    assert_equal CA, names[:issuer_rdns]
    assert_equal "CN=localhost,O=polysock test,L=Mountain View,ST=California,C=US", names[:subject_rfc4514]
    assert_equal CA_RFC4514, names[:issuer_rfc4514]
    assert_utf8(names[:subject])
    assert_equal Encoding::UTF_8, names[:server].encoding
  end

  def test_names_longer_than_512_bytes_are_whole
    names = names_of("long.pem")
    oneline = "/C=US/O=polysock test#{LONG_OUS.map { |ou| "/OU=#{ou}" }.join}/CN=localhost"
    assert_operator oneline.bytesize, :>, 512
    assert_equal oneline, names[:server]
    assert_equal LONG, names[:subject]
    assert_equal "CN=localhost,#{LONG_OUS.reverse.map { |ou| "OU=#{ou}" }.join(',')},O=polysock test,C=US",
                 names[:subject_rfc4514]
    assert_equal CA, names[:issuer_rdns]
  end

  def test_names_with_separators_nul_and_utf8_keep_every_character
    names = names_of("odd.pem")
    assert_equal ODD, names[:subject]
    assert_utf8(names[:subject])
    assert_equal "localhost\0/odd, name+x", names[:subject].last.first.last
    assert_equal 22, names[:subject].last.first.last.bytesize
    # RFC 4514 escapes what would split it (',', '+', '\\', a NUL as \00);
    # the RDNs come last first.
    assert_equal "CN=localhost\\00/odd\\, name\\+x,ST=Zürich,OU=a\\+b=c+L=multi," \
                 "O=polysock/test\\, Inc.,C=US", names[:subject_rfc4514]
    # The one-line form is for display: values verbatim (UTF-8, the NUL
    # too), so it cannot tell a '/' inside a value from a separator, which
    # is why the other two forms exist.
    assert_equal "/C=US/O=polysock/test, Inc./L=multi/OU=a+b=c/ST=Zürich/CN=localhost\0/odd, name+x",
                 names[:server]
    assert_equal CA, names[:issuer_rdns]
  end

  def test_no_names_before_the_handshake
    address, server = tls_server { :served }
    sock = socket
    sock.connect(address)
    ssl = track(Polysock.ssl(sock, cafile: cert("ca.pem"), handshake: false))
    assert_nil ssl.server
    assert_nil ssl.peer_subject
    assert_nil ssl.subject_rfc4514
    assert_nil ssl.peer_cert
    assert_nil ssl.version
    assert_nil ssl.cipher
    assert_equal "#<Polysock::SSL fd=#{sock.fileno} handshake pending>", ssl.inspect
    ssl.handshake
    assert_equal GOOD, ssl.peer_subject
    assert_equal "#<Polysock::SSL fd=#{sock.fileno} TLSv1.3>", ssl.inspect
    ssl.close
    join_within(server, 20)
  end

  # The FIELDS parser on records it must refuse (the library never sends
  # them; a parser that accepted them would misread a name).
  def test_malformed_fields_records_are_refused
    assert_equal [[["commonName", "a\nb"]]], Polysock::SSL::Names.parse("0 commonName 3:a\nb\n")
    ["0 commonName 5:abc\n", "0 commonName 1:ab\n", "1 commonName 1:a\n", "0 commonName x:a\n",
     "0 commonName 1:a\n2 commonName 1:b\n"].each do |record|
      assert_raises(Polysock::Error, record.inspect) { Polysock::SSL::Names.parse(record) }
    end
  end
end
