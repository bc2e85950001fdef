# frozen_string_literal: true

# The TLS exceptions under Polysock::SSLError, and the mapping of a TLS
# error code to them.
#
# errors.rb is generated from the IDL and maps every code of class TLS to
# Polysock::SSLError; which of them deserve a subclass of their own (the
# distinctions a Ruby program rescues by: a certificate refused, the peer
# gone without close_notify, a non-blocking call that must wait) is this
# binding's choice, so it lives here.  Polysock::SSL raises these, with the
# engine's reason for the failure added to the message.

module Polysock
  # Reopened from errors.rb: every TLS error also carries the engine's
  # reason (tls_info(POLYSOCK_TLS_INFO_ERROR), e.g. "certificate has
  # expired"), or nil when the connection could not say.
  class SSLError
    # The engine's reason for the failure, or nil.
    attr_accessor :reason
  end

  # The peer's certificate was refused: not trusted (self-signed, unknown
  # CA), expired or not yet valid, issued for another host, or another
  # verification failure.  #errname tells which (ETLS_CERT_UNTRUSTED,
  # ETLS_CERT_EXPIRED, ETLS_CERT_HOSTNAME, ETLS_CERT_VERIFY); #reason is the
  # engine's text ("certificate has expired", "Hostname mismatch", ...).
  class SSLCertVerificationError < SSLError; end

  # The peer closed the connection without close_notify (a truncation
  # attack, or a peer that never sends it: see allow_unexpected_eof).
  class SSLEOFError < SSLError; end

  # A TLS call on a non-blocking socket must wait until the socket is
  # readable (the engine needs the peer's data, even inside a write):
  # IO.select([ssl]) and repeat the call.  Like OpenSSL::SSL::SSLErrorWaitReadable.
  class SSLErrorWaitReadable < SSLError
    include ::IO::WaitReadable
  end

  # A TLS call on a non-blocking socket must wait until the socket is
  # writable: IO.select(nil, [ssl]) and repeat the call.
  class SSLErrorWaitWritable < SSLError
    include ::IO::WaitWritable
  end

  module Errors
    # The subclass of SSLError for each TLS code that has one.
    SSL_CLASSES = {
      Native::ETLS_WANTREAD => SSLErrorWaitReadable,
      Native::ETLS_WANTWRITE => SSLErrorWaitWritable,
      Native::ETLS_CERT_VERIFY => SSLCertVerificationError,
      Native::ETLS_CERT_UNTRUSTED => SSLCertVerificationError,
      Native::ETLS_CERT_EXPIRED => SSLCertVerificationError,
      Native::ETLS_CERT_HOSTNAME => SSLCertVerificationError,
      Native::ETLS_EOF => SSLEOFError,
    }.freeze

    # The TLS error e (as the generated layer raised it) as its subclass,
    # with the engine's reason in its message and #reason: the block's
    # value (nil or "" when there is none), asked for failures only, not
    # for a non-blocking call that must wait.  Any other exception is
    # returned as it is.
    def self.ssl_error(e)
      return e unless e.instance_of?(SSLError)

      klass = SSL_CLASSES.fetch(e.code, SSLError)
      waiting = klass <= ::IO::WaitReadable || klass <= ::IO::WaitWritable
      reason = waiting || !block_given? ? nil : yield
      reason = nil if reason&.empty?
      message = reason ? "#{e.message} (#{reason})" : e.message
      error = klass.new(message, errno: e.errno, code: e.code, errname: e.errname, bytes_sent: e.bytes_sent)
      error.reason = reason
      error.set_backtrace(e.backtrace) if e.backtrace
      error
    end
  end
end
