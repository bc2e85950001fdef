# frozen_string_literal: true

# polysock for Ruby: the socket module of the reference, on libpolysock.
#
#   require "polysock"
#   s = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
#   s.connect(["127.0.0.1", 50007])
#   s.send("Hello, world")
#   data = s.recv(1024)
#   s.close
#
# Everything that follows mechanically from core/polysock.idl is generated
# into lib/polysock/ by polysock-gen: the FFI declarations, every function
# and socket method with its argument checks and conversions, the error
# mapping, the platform constants.  This file holds only what the IDL cannot
# say:
#
#  - socket addresses as Ruby values: ["host", port] for AF_INET,
#    ["host", port, flowinfo, scope_id] for AF_INET6, a path String for
#    AF_UNIX (a leading "\0" makes a Linux abstract name), [pid, groups]
#    for AF_NETLINK;
#  - results the library hands out as lists (getaddrinfo, gethostbyname_ex,
#    gethostbyaddr), walked into arrays and freed;
#  - Ruby habits: Socket.open with a block, getsockopt/setsockopt choosing
#    the integer or the bytes form by their arguments, setblocking(true),
#    has_ipv6 as a boolean, #to_io for IO.select, and read/write/gets
#    helpers.
#
# TLS (Polysock.ssl, Polysock::SSL) is in polysock/ssl.rb.

require_relative "polysock/version"
require_relative "polysock/native"
require_relative "polysock/errors"
require_relative "polysock/raw"
require_relative "polysock/api"
require_relative "polysock/ssl"

module Polysock
  # The socket class, by the reference's name for it.
  SocketType = Socket

  # ---- Addresses ------------------------------------------------------------

  module Convert
    HOST_OFFSET = Native::Addr.offset_of(:host)
    HOST_MAX = Native::Addr.new.layout[:host].size
    U32 = (0..0xffff_ffff).freeze
    # AF_NETLINK where the platform has it (-1, no family, elsewhere).
    NETLINK = Polysock.const_defined?(:AF_NETLINK, false) ? Polysock.const_get(:AF_NETLINK) : -1

    class << self
      # A Ruby address as a Native::Addr, for a method of sock (or nil).
      # The library checks the values (port range, flowinfo, host syntax,
      # the family against the socket's); this checks their Ruby types, and
      # reads an array by the socket's family.  nil stays nil (the library
      # refuses it with a TypeError).
      def addr_in(value, sock = nil)
        case value
        when nil then nil
        when ::String then unix_addr(value)
        when ::Array
          case sock.is_a?(Socket) && value.size == 2 ? sock.family_of_address : nil
          when AF_UNIX then raise ::TypeError, "an AF_UNIX address is a path String, not an Array"
          when NETLINK then netlink_addr(value)
          else ip_addr(value)
          end
        else
          raise ::TypeError, "an address is [host, port], [host, port, flowinfo, " \
                             "scope_id] or an AF_UNIX path String, not #{value.class}"
        end
      end

      # A Native::Addr as a Ruby address; nil when there is none (family 0:
      # recvfrom on a connected stream socket).
      def addr_out(rec)
        family = rec[:family]
        case family
        when 0 then nil
        when AF_INET then [host_text(rec), rec[:port]]
        when AF_INET6 then [host_text(rec), rec[:port], rec[:flowinfo], rec[:scope_id]]
        when AF_UNIX then unix_path(host_bytes(rec))
        else
          family == NETLINK ? [rec[:pid], rec[:groups]] : [family, host_bytes(rec)]
        end
      end

      private

      # [host, port] leaves the family to the socket (0); the 3- and 4-element
      # forms are AF_INET6.
      def ip_addr(value)
        unless (2..4).cover?(value.size)
          raise ::TypeError, "an address array is [host, port] or [host, port, " \
                             "flowinfo, scope_id], not #{value.size} elements"
        end
        host, port, flowinfo, scope_id = value
        raise ::TypeError, "the host must be a String, not #{host.class}" unless ::String === host
        raise ::TypeError, "the port must be an Integer, not #{port.class}" unless ::Integer === port

        rec = Native::Addr.new
        rec[:port] = port # beyond int64: RangeError from ffi
        if value.size > 2
          rec[:family] = AF_INET6
          rec[:flowinfo] = u32(flowinfo || 0, "flowinfo")
          rec[:scope_id] = u32(scope_id || 0, "scope_id")
        end
        put_host(rec, host)
      end

      def netlink_addr(value)
        pid, groups = value
        rec = Native::Addr.new
        rec[:family] = NETLINK
        rec[:pid] = u32(pid, "pid")
        rec[:groups] = u32(groups, "groups")
        rec
      end

      def unix_addr(path)
        # More than the record holds is more than sun_path holds: the
        # library's own error for a path too long.
        raise Errors.build(Native::EPATHLEN, "address") if path.bytesize > HOST_MAX

        rec = Native::Addr.new
        rec[:family] = AF_UNIX
        put_host(rec, path)
      end

      # ffi would store -1 into a uint32_t field as 4294967295: refuse it.
      def u32(value, name)
        raise ::TypeError, "#{name} must be an Integer, not #{value.class}" unless ::Integer === value
        raise ::RangeError, "#{name} #{value} is out of range 0..#{U32.end}" unless U32.cover?(value)

        value
      end

      def put_host(rec, text)
        bytes = text.b
        if bytes.bytesize > HOST_MAX
          raise ::ArgumentError, "host name too long: #{bytes.bytesize} bytes (at most #{HOST_MAX})"
        end

        rec.pointer.put_bytes(HOST_OFFSET, bytes)
        rec[:host_len] = bytes.bytesize
        rec
      end

      def host_bytes(rec)
        rec.pointer.get_bytes(HOST_OFFSET, [rec[:host_len], HOST_MAX].min)
      end

      def host_text(rec)
        rec[:host].to_s.force_encoding(::Encoding::UTF_8)
      end

      # A path as text, an abstract name (leading NUL) or other bytes as
      # binary.
      def unix_path(bytes)
        return bytes if bytes.start_with?("\0")

        text = bytes.dup.force_encoding(::Encoding::UTF_8)
        text.valid_encoding? ? text : bytes
      end
    end
  end

  # ---- Module functions -----------------------------------------------------

  class << self
    # The version of the library loaded ("MAJOR.MINOR.PATCH"); VERSION is the
    # binding's.
    def library_version
      version
    end

    # Whether this platform can create AF_INET6 sockets.
    def has_ipv6 # rubocop:disable Naming/PredicateName -- the reference's name
      super != 0
    end

    # Resolve host and port (a service name, a number or nil) into
    # [family, socktype, proto, canonname, address] arrays.
    def getaddrinfo(host, port, family = 0, socktype = 0, proto = 0, flags = 0)
      port = port.to_s if ::Integer === port
      list = super(host, port, family, socktype, proto, flags)
      begin
        Array.new(Raw.addrinfo_count(list)) { |i| Raw.addrinfo_get(list, i) }
      ensure
        Raw.list_free(list)
      end
    end

    # [hostname, aliases, addresses] of a host name (IPv4 only).
    def gethostbyname_ex(name)
      hostent(super)
    end

    # [hostname, aliases, addresses] of the host at an IPv4 or IPv6 address.
    def gethostbyaddr(ip)
      hostent(super)
    end

    private

    def hostent(list)
      [Raw.hostent_name(list),
       Array.new(Raw.hostent_alias_count(list)) { |i| Raw.hostent_alias(list, i) },
       Array.new(Raw.hostent_addr_count(list)) { |i| Raw.hostent_addr(list, i) }]
    ensure
      Raw.list_free(list)
    end
  end

  # ---- Socket objects -------------------------------------------------------

  class Socket
    # Bytes read at a time by read and gets.
    READ_CHUNK = 16 * 1024

    # The family, kept: a two-element address array means [host, port] or,
    # on an AF_NETLINK socket, [pid, groups].
    def family_of_address
      @family_of_address ||= family
    end

    # A new socket (arguments as for Polysock.socket); with a block, the
    # socket is yielded and closed when the block ends, and the block's
    # value is returned.
    def self.open(*args)
      sock = new(*args)
      return sock unless block_given?

      begin
        yield sock
      ensure
        sock.close
      end
    end

    # Close the socket (a second close does nothing); the IO of #to_io too.
    def close
      io = @io
      @io = nil
      io.close if io && !io.closed?
      super
    end

    # An IO on a duplicate of the socket's descriptor, for IO.select (which
    # calls to_io): IO.select([sock]) works.  The same IO each time; close
    # closes it.  Use it to wait, not to read: data read through it bypasses
    # the socket's timeout and the buffer of gets and read.
    def to_io
      @io ||= IO.for_fd(fileno, autoclose: false).dup
    end

    # setblocking(true/false) as well as setblocking(1/0).
    def setblocking(flag)
      super(flag == true ? 1 : flag == false || flag.nil? ? 0 : flag)
    end

    # An option: its integer value, or with buflen its bytes (at most buflen).
    def getsockopt(level, optname, buflen = nil)
      buflen.nil? ? getsockopt_int(level, optname) : getsockopt_buf(level, optname, buflen)
    end

    # Set an option from an Integer (true/false are 1/0) or from the bytes
    # of a String.
    def setsockopt(level, optname, value)
      case value
      when ::Integer then setsockopt_int(level, optname, value)
      when true, false then setsockopt_int(level, optname, value ? 1 : 0)
      when ::String then setsockopt_buf(level, optname, value)
      else raise ::TypeError, "an option value is an Integer, true, false or a String, not #{value.class}"
      end
    end

    # ---- IO-style helpers ----
    #
    # read, readpartial and gets share a read buffer; recv and friends do
    # not look at it, so do not mix them on one socket.

    # Like IO#read: with length, up to length bytes (fewer only at end of
    # stream; nil if none are left); without, everything until end of
    # stream.
    def read(length = nil)
      if length.nil?
        data = take_buffered(nil)
        while (chunk = recv(READ_CHUNK)) && !chunk.empty?
          data << chunk
        end
        return data
      end
      raise ::ArgumentError, "negative length #{length} given" if length.negative?

      data = take_buffered(length)
      while data.bytesize < length
        chunk = recv(length - data.bytesize)
        break if chunk.empty?

        data << chunk
      end
      data.empty? && length.positive? ? nil : data
    end

    # Like IO#readpartial: what is buffered or arrives next, at most maxlen
    # bytes; EOFError at end of stream.
    def readpartial(maxlen)
      data = take_buffered(maxlen)
      return data unless data.empty? && maxlen.positive?

      data = recv(maxlen)
      raise ::EOFError, "end of file reached" if data.empty?

      data
    end

    # Like IO#gets: the next line including sep (binary), the rest at end of
    # stream, nil when nothing is left; gets(nil) reads everything.
    def gets(sep = $/) # rubocop:disable Style/SpecialGlobalVars
      return read if sep.nil?

      sep = sep.b
      buf = (@rbuf ||= ::String.new(encoding: ::Encoding::BINARY))
      scanned = 0
      loop do
        if (i = buf.index(sep, scanned))
          return buf.slice!(0, i + sep.bytesize)
        end

        scanned = [buf.bytesize - sep.bytesize + 1, 0].max
        chunk = recv(READ_CHUNK)
        if chunk.empty?
          return nil if buf.empty?

          @rbuf = nil
          return buf
        end
        buf << chunk
      end
    end

    # Like IO#write: send every argument (as a String) completely; returns
    # the number of bytes written.
    def write(*objects)
      objects.sum do |obj|
        data = obj.to_s
        sendall(data)
        data.bytesize
      end
    end

    # Like IO#<<.
    def <<(obj)
      write(obj)
      self
    end

    # Like IO#puts: each argument on a line of its own.
    def puts(*objects)
      objects = [""] if objects.empty?
      objects.flatten.each do |obj|
        line = obj.to_s
        write(line.end_with?("\n") ? line : "#{line}\n")
      end
      nil
    end

    def inspect
      return "#<#{self.class} (closed)>" if closed?

      "#<#{self.class} fd=#{fileno} family=#{Socket.name_of('AF_', family)} " \
        "type=#{Socket.name_of('SOCK_', type)} proto=#{proto}>"
    end

    # The name of the constant with prefix and value (the value itself when
    # none has it): the first in the library's table, which lists the
    # usual name before its aliases (AF_UNIX before AF_LOCAL and AF_FILE),
    # as Python's repr does.
    def self.name_of(prefix, value)
      Polysock.constants.find do |name|
        name.start_with?(prefix) && Polysock.const_get(name) == value
      end || value
    end

    private

    # Up to max bytes of the read buffer (all of it when max is nil).
    def take_buffered(max)
      buf = @rbuf
      return ::String.new(encoding: ::Encoding::BINARY) if buf.nil? || buf.empty?
      return buf.slice!(0, max) if max && max < buf.bytesize

      @rbuf = nil
      buf
    end
  end
end
