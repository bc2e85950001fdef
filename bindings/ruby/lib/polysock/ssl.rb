# frozen_string_literal: true

# TLS over a connected socket: the reference's socket.ssl(sock, keyfile,
# certfile) and its SSL object (read, write, server, issuer), secure by
# default and grown by what Ruby programs expect of TLS (the peer's names
# as structures, the protocol, cipher and ALPN in use, IO.select, blocks).
#
#   s = Polysock.socket
#   s.connect(["example.com", 443])
#   Polysock::SSL.open(s) do |ssl|   # verifies the chain and "example.com"
#     ssl.write("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")
#     print ssl.read
#   end
#   s.close
#
# The generated layer (lib/polysock/api.rb) has the connection as
# Polysock::Tls and its settings as Polysock::TlsConfig; this file turns
# keyword options into a configuration (one per call: the core shares the
# engine context of equal settings, so that is cheap), runs the handshake,
# and raises the subclasses of ssl_errors.rb with the engine's reason.

require "strscan"
require_relative "ssl_errors"

module Polysock
  class << self
    # The reference's function: a TLS connection over sock, a connected
    # Polysock::Socket, handshake done (see Polysock::SSL.new).
    def ssl(sock, keyfile = nil, certfile = nil, **options)
      SSL.new(sock, keyfile, certfile, **options)
    end
  end

  # A TLS connection over a socket.  The socket stays the caller's: close
  # sends close_notify and frees the connection but leaves the socket open
  # (close it yourself, as the reference says).  The socket's timeout mode
  # holds for the handshake and every read and write.  One thread may read
  # while another writes.  A connection that is garbage-collected is freed
  # by the finalizer of its Polysock::Tls, which holds only the handle.
  class SSL
    # Bytes read at a time by read without a length.
    READ_CHUNK = 16 * 1024
    # min_version by name, as OpenSSL spells the protocols (and #version
    # reports them).
    VERSIONS = {
      "TLSv1.2" => POLYSOCK_TLS_VERSION_1_2,
      "TLSv1.3" => POLYSOCK_TLS_VERSION_1_3,
    }.freeze
    # The length of an ALPN protocol name is one byte on the wire.
    ALPN_NAME_BYTES = (1..255).freeze
    # An info item can change between its length and its copy (the error
    # reason of a call failing in another thread): copies tried before
    # giving up.
    INFO_TRIES = 5

    # The socket the connection runs over.
    attr_reader :socket

    # Like new; with a block, the connection is yielded and closed when the
    # block ends (the socket is not), and the block's value is returned.
    def self.open(sock, keyfile = nil, certfile = nil, **options)
      ssl = new(sock, keyfile, certfile, **options)
      return ssl unless block_given?

      begin
        yield ssl
      ensure
        ssl.close
      end
    end

    # A TLS connection over sock, a connected Polysock::Socket.
    #
    # Client (default): verifies the server's chain (against cafile/capath,
    # else the system's trust store) and its name: server_hostname, by
    # default the host given to sock.connect (IP literals are checked
    # against the certificate's IP addresses).  verify: false turns both
    # checks off.  keyfile/certfile: a client certificate, presented when
    # the server asks.
    #
    # server_side: true: certfile (the chain, PEM) is required, keyfile is
    # its key (nil: in certfile); require_client_cert: true demands a client
    # certificate verified against cafile/capath.
    #
    # alpn_protocols: protocol names in preference order; min_version:
    # "TLSv1.2" (default) or "TLSv1.3" (or POLYSOCK_TLS_VERSION_1_*);
    # allow_unexpected_eof: true reads a peer's close without close_notify
    # as a clean end of stream instead of raising SSLEOFError.
    #
    # handshake: false leaves the handshake to #handshake or the first read
    # or write; it is required on a non-blocking socket, where #handshake
    # raises SSLErrorWaitReadable/Writable until it completes.
    #
    # Bad option types raise TypeError, bad values ArgumentError; a failed
    # handshake raises an SSLError (the connection is freed, the socket
    # stays open), a timeout Polysock::Timeout.
    def initialize(sock, keyfile = nil, certfile = nil, server_side: false, server_hostname: nil,
                   cafile: nil, capath: nil, verify: true, require_client_cert: false,
                   alpn_protocols: nil, min_version: nil, allow_unexpected_eof: false,
                   handshake: true)
      raise ::TypeError, "sock must be a Polysock::Socket, not #{sock.class}" unless Socket === sock
      unless server_hostname.nil? || ::String === server_hostname
        raise ::TypeError, "server_hostname must be a String, not #{server_hostname.class}"
      end
      if Options.flag(handshake, "handshake") && sock.gettimeout == 0.0
        raise ::ArgumentError, "a non-blocking socket cannot complete the handshake here: " \
                               "pass handshake: false and repeat #handshake as the socket is ready"
      end

      cfg = Options.config(keyfile, certfile, server_side: server_side, cafile: cafile, capath: capath,
                                              verify: verify, require_client_cert: require_client_cert,
                                              alpn_protocols: alpn_protocols, min_version: min_version,
                                              allow_unexpected_eof: allow_unexpected_eof)
      begin
        @tls = Tls.new(sock, cfg, server_hostname)
      rescue SSLError => e
        raise Errors.ssl_error(e), cause: e.cause
      ensure
        cfg.close
      end
      @socket = sock
      return unless handshake

      begin
        self.handshake
      rescue ::Exception # rubocop:disable Lint/RescueException -- interrupts too: nobody else can free it
        close
        raise
      end
    end

    # Run the handshake (done by new unless handshake: false); nothing
    # happens once it is done.  Returns self.
    def handshake
      tls_call { @tls.handshake }
      self
    end

    # With length: between 1 and length bytes once any are available, ""
    # at the end of the stream (the peer's close_notify).  Without: all
    # bytes until the end of the stream.  Binary Strings.
    def read(length = nil)
      if length.nil?
        data = ::String.new(encoding: ::Encoding::BINARY)
        until (chunk = read(READ_CHUNK)).empty?
          data << chunk
        end
        return data
      end
      raise ::TypeError, "length must be an Integer, not #{length.class}" unless ::Integer === length
      raise ::ArgumentError, "negative length #{length} given" if length.negative?
      return ::String.new(encoding: ::Encoding::BINARY) if length.zero?

      tls_call { @tls.read(length) }
    end

    # Write the bytes of data; returns how many were written: all of them
    # in blocking and timeout mode, as many as fit now in non-blocking mode
    # (SSLErrorWaitWritable/Readable when none did).  A failure after some
    # were written says how many in #bytes_sent.
    def write(data)
      raise ::TypeError, "data must be a String, not #{data.class}" unless ::String === data

      tls_call { write_counted(data) }
    end

    # Decrypted bytes buffered, readable without waiting.
    def pending
      @tls.pending
    end

    # The subject of the peer's certificate in OpenSSL's one-line form
    # ("/C=US/O=Example/CN=example.com"), for display only: values
    # containing "/" or "=" make it ambiguous, so never parse it (use
    # #peer_subject or #subject_rfc4514).  nil without a peer certificate.
    def server
      text(POLYSOCK_TLS_INFO_SUBJECT_ONELINE)
    end

    # The issuer of the peer's certificate, one-line form as #server.
    def issuer
      text(POLYSOCK_TLS_INFO_ISSUER_ONELINE)
    end

    # The subject of the peer's certificate as RDNs in certificate order,
    # each an Array of [attribute, value] pairs (long names as Python's
    # ssl module gives them: "commonName", "organizationName", a dotted OID
    # when unknown; values UTF-8 with every character kept, NUL included):
    # [[["countryName", "US"]], [["commonName", "example.com"]]].  nil
    # without a peer certificate.
    def peer_subject
      names(POLYSOCK_TLS_INFO_SUBJECT_FIELDS)
    end

    # The issuer of the peer's certificate, as #peer_subject.
    def peer_issuer
      names(POLYSOCK_TLS_INFO_ISSUER_FIELDS)
    end

    # The subject as an RFC 4514 string ("CN=example.com,O=Example",
    # escaped, so unambiguous); nil without a peer certificate.
    def subject_rfc4514
      text(POLYSOCK_TLS_INFO_SUBJECT_RFC4514)
    end

    # The issuer as an RFC 4514 string.
    def issuer_rfc4514
      text(POLYSOCK_TLS_INFO_ISSUER_RFC4514)
    end

    # The protocol in use, "TLSv1.2" or "TLSv1.3"; nil before the handshake.
    def version
      text(POLYSOCK_TLS_INFO_VERSION)
    end

    # The cipher suite in use ("TLS_AES_256_GCM_SHA384"); nil before the
    # handshake.
    def cipher
      text(POLYSOCK_TLS_INFO_CIPHER)
    end

    # The ALPN protocol agreed on; nil when none was.
    def alpn_protocol
      text(POLYSOCK_TLS_INFO_ALPN)
    end

    # The name verified and sent as SNI (client), or the one the client
    # asked for (server); nil when there is none.
    def server_hostname
      text(POLYSOCK_TLS_INFO_SERVER_HOSTNAME)
    end

    # The peer's certificate, DER (a binary String); nil when there is none.
    def peer_cert
      info(POLYSOCK_TLS_INFO_PEER_CERT)
    end

    # The socket's descriptor.
    def fileno
      @socket.fileno
    end

    # The socket's IO, for IO.select([ssl]) (after SSLErrorWaitReadable; a
    # read can also be satisfied by #pending bytes without the socket
    # becoming readable).
    def to_io
      @socket.to_io
    end

    # Send close_notify (when the connection is healthy) and free the
    # connection; the socket stays open.  A second close does nothing; any
    # other call after close raises the closed-handle Polysock::Error.
    def close
      @tls.close
    end

    # Whether close has been called.
    def closed?
      @tls.closed?
    end

    def inspect
      return "#<#{self.class} (closed)>" if closed?

      "#<#{self.class} fd=#{fileno} #{version || 'handshake pending'}>"
    end

    # Options of new to a configuration, each checked for its type and value.
    module Options
      # true or false, else TypeError (a typo'd truthy value must not turn
      # verification off or on).
      def self.flag(value, name)
        return value if value == true || value == false

        raise ::TypeError, "#{name} must be true or false, not #{value.inspect}"
      end

      # A Polysock::TlsConfig for the options of SSL.new; the caller closes it.
      def self.config(keyfile, certfile, server_side:, cafile:, capath:, verify:, require_client_cert:,
                      alpn_protocols:, min_version:, allow_unexpected_eof:)
        server_side = flag(server_side, "server_side")
        raise ::ArgumentError, "certfile is required on the server side" if server_side && certfile.nil?
        raise ::ArgumentError, "keyfile given without certfile" if keyfile && certfile.nil?

        protocols = alpn(alpn_protocols)
        version = version_number(min_version)
        cfg = TlsConfig.new(server_side ? 1 : 0)
        begin
          cfg.set_verify(0) unless flag(verify, "verify")
          cfg.set_require_client_cert(1) if flag(require_client_cert, "require_client_cert")
          cfg.set_allow_unexpected_eof(1) if flag(allow_unexpected_eof, "allow_unexpected_eof")
          cfg.set_ca(path(cafile), path(capath)) if cafile || capath
          cfg.set_certificate(path(certfile), path(keyfile)) if certfile
          cfg.set_alpn(protocols) if protocols
          cfg.set_min_version(version) if version
        rescue ::Exception # rubocop:disable Lint/RescueException -- the config is ours to free
          cfg.close
          raise
        end
        cfg
      end

      # A path (String or Pathname) as a String; nil stays nil.
      def self.path(value)
        value.nil? ? nil : ::File.path(value)
      end

      # ALPN names joined for the core ("h2,http/1.1"); nil for none.
      def self.alpn(protocols)
        return nil if protocols.nil?
        unless ::Array === protocols
          raise ::TypeError, "alpn_protocols must be an Array of Strings, not #{protocols.class}"
        end

        protocols.each do |name|
          raise ::TypeError, "an ALPN protocol name is a String, not #{name.class}" unless ::String === name
          unless ALPN_NAME_BYTES.cover?(name.bytesize)
            raise ::ArgumentError, "an ALPN protocol name has 1 to 255 bytes, not #{name.bytesize}"
          end
          if name.include?(",") || name.include?("\0")
            raise ::ArgumentError, "an ALPN protocol name cannot contain ',' or NUL: #{name.inspect}"
          end
        end
        protocols.empty? ? nil : protocols.join(",")
      end

      # The core's number for min_version (a name of VERSIONS or a number).
      def self.version_number(value)
        case value
        when nil, ::Integer then value
        when ::String
          VERSIONS.fetch(value) do
            raise ::ArgumentError, "min_version is one of #{VERSIONS.keys.join(', ')}, not #{value.inspect}"
          end
        else
          raise ::TypeError, "min_version must be a String or an Integer, not #{value.class}"
        end
      end
    end

    # The FIELDS form of a name (see polysock.h) as RDNs.
    module Names
      # One record's head: "<rdn index> <attribute> <value length>:".
      FIELD_HEAD = /(\d+) ([^ ]+) (\d+):/n.freeze

      # The RDNs of a FIELDS record: every attribute in order, attributes
      # with the same RDN index together.
      def self.parse(record)
        scanner = ::StringScanner.new(record.b)
        rdns = []
        until scanner.eos?
          start = scanner.pos
          scanner.skip(FIELD_HEAD) or malformed(record, start)
          index = scanner[1].to_i
          attribute = scanner[2].force_encoding(::Encoding::UTF_8)
          length = scanner[3].to_i
          value = scanner.peek(length)
          malformed(record, start) if value.bytesize < length
          scanner.pos += length
          scanner.skip(/\n/) or malformed(record, start)
          # Indices come in order: the RDN being filled, or the next one.
          rdns << [] if index == rdns.size
          malformed(record, start) unless index == rdns.size - 1
          rdns.last << [attribute, value.force_encoding(::Encoding::UTF_8)]
        end
        rdns
      end

      def self.malformed(record, pos)
        raise Error, "malformed name record from the library at byte #{pos}: #{record.inspect}"
      end
    end

    private

    # Run the block, raising a TLS error as its subclass with the
    # connection's reason for it.
    def tls_call
      yield
    rescue SSLError => e
      # Not caused by the generated layer's exception: it is the same error.
      raise Errors.ssl_error(e) { error_reason }, cause: e.cause
    end

    # The engine's reason for the last TLS error; nil if it cannot be had.
    def error_reason
      text(POLYSOCK_TLS_INFO_ERROR)
    rescue Error
      nil
    end

    # The generated Tls#write returns nil: the IDL marks tls_write's count
    # `partial`, the annotation of sendall (whose result the reference says
    # is None), which keeps the count for errors only.  A non-blocking write
    # sends what fits, so its count is the result: this calls the function
    # itself, repeating it after an interrupt as the generated layer does.
    def write_counted(data)
      Native.thread_check if Native::CHECK_THREADS
      frame = Native::FRAMES.pop || Native.frame
      sent = 0
      begin
        loop do
          rest = sent.zero? ? data : data.byteslice(sent, data.bytesize - sent)
          rc = Native.polysock_tls_write(@tls.handle, rest, rest.bytesize, frame[0])
          sent += frame[0].get_ulong(0)
          return sent if rc.zero?
          Errors.raise_code(rc, "write", :w, sent) unless rc == Native::EINTR

          Native.interrupted
        end
      ensure
        Native::FRAMES.push(frame)
      end
    end

    # An info item as a binary String; nil when there is none.
    def info(what)
      tries = 0
      begin
        length = @tls.info_len(what)
        length.zero? ? nil : @tls.info(what, length)
      rescue ::ArgumentError # ETOOSMALL: it grew since info_len
        tries += 1
        retry if tries < INFO_TRIES
        raise
      end
    end

    def text(what)
      info(what)&.force_encoding(::Encoding::UTF_8)
    end

    def names(what)
      record = info(what)
      record && Names.parse(record)
    end
  end
end
