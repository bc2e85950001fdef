# frozen_string_literal: true

require_relative "helper"
require "json"

# Every row of test/vectors/*.json (see its README): the bad inputs every
# binding must refuse, with the error class each must produce.  One test
# per row; a table this runner cannot read, or whose function the binding
# does not have, fails.
class TestVectors < PolysockTest::Case
  DIR = File.expand_path("../vectors", __dir__)
  TABLE_KEYS = %w[function description params rows].freeze
  ROW_KEYS = %w[name args error errno code requires layer skip note].freeze
  PARAM_TYPES = %w[const int size timeout str service bytes addr handle].freeze
  CLASSES = %w[none value type overflow error os gai herror timeout badhandle tls].freeze
  # The reference's names for three handle-level functions.
  SOCKET_FORMS = {
    "getsockopt_int" => "getsockopt",
    "getsockopt_buf" => "getsockopt",
    "setsockopt_int" => "setsockopt",
  }.freeze
  # Raw functions that return a new handle, and what frees it.
  RAW_RESULT_FREE = {
    "tls_config_new" => :tls_config_close,
    "tls_new" => :tls_close,
  }.freeze

  # ---- reading the tables -----------------------------------------------------

  def self.problems(table)
    found = []
    found << "unknown table keys #{table.keys - TABLE_KEYS}" unless (table.keys - TABLE_KEYS).empty?
    found << "no function" unless table["function"].is_a?(String)
    params = table["params"]
    if params.is_a?(Array)
      params.each do |p|
        found << "bad param #{p.inspect}" unless p.keys.sort == %w[name type] && PARAM_TYPES.include?(p["type"])
      end
    else
      found << "no params"
    end
    rows = table["rows"]
    found << "no rows" unless rows.is_a?(Array) && !rows.empty?
    found
  end

  def self.row_problems(table, row)
    found = []
    found << "unknown row keys #{row.keys - ROW_KEYS}" unless (row.keys - ROW_KEYS).empty?
    found << "no name" unless row["name"].is_a?(String)
    found << "unknown error class #{row['error'].inspect}" unless CLASSES.include?(row["error"])
    unless row["args"].is_a?(Array) && row["args"].size == table["params"].size
      found << "#{row['args'].inspect} does not match the params"
    end
    found << "unknown layer #{row['layer'].inspect}" unless [nil, "raw"].include?(row["layer"])
    found << "code given for class #{row['error'].inspect}" if row.key?("code") && row["error"] != "tls"
    found
  end

  Dir[File.join(DIR, "*.json")].sort.each do |path|
    file = File.basename(path)
    table = JSON.parse(File.read(path))
    problems = problems(table)
    define_method("test_vectors_#{file}_is_a_valid_table") do
      assert_empty problems, "#{file}: #{problems.join('; ')}"
    end
    next unless problems.empty?

    names = table["rows"].map { |r| r["name"] }
    define_method("test_vectors_#{file}_row_names_are_unique") do
      assert_equal names.uniq, names, "#{file}: duplicate row names"
    end
    table["rows"].each_with_index do |row, i|
      define_method(format("test_vectors_%s_%03d", file.delete_suffix(".json"), i)) do
        run_row(file, table, row)
      end
    end
  end

  # ---- one row ----------------------------------------------------------------

  def run_row(file, table, row)
    where = "#{file}: #{row['name']}"
    problems = self.class.row_problems(table, row)
    assert_empty problems, "#{where}: #{problems.join('; ')}"
    return skip("#{where}: #{row['skip']['ruby']}") if row["skip"]&.key?("ruby")

    missing = Array(row["requires"]).reject { |tag| holds?(tag) }
    return skip("#{where}: requires #{missing.join(', ')}") unless missing.empty?

    raw = row["layer"] == "raw"
    @made = []
    begin
      args = table["params"].zip(row["args"]).map { |param, value| convert(param["type"], value, raw, where) }
      got = outcome { call(table, args, raw, where) }
    ensure
      cleanup
    end
    check(where, row, got)
  end

  def holds?(tag)
    case tag
    when "ipv6" then Polysock.has_ipv6
    when "netdb"
      File.exist?("/etc/services") && File.exist?("/etc/protocols") &&
        File.read("/etc/services").match?(/^http\s/) && File.read("/etc/protocols").match?(/^tcp\s/)
    else flunk "unknown requires tag #{tag.inspect}"
    end
  end

  # The call a row makes: at the handle level, a method of the socket, or
  # a module function.
  def call(table, args, raw, where)
    fn = table["function"]
    if raw
      flunk "#{where}: unknown function #{fn} (Polysock::Raw has no #{fn})" unless Polysock::Raw.respond_to?(fn)
      check_arity(Polysock::Raw.method(fn), args.size, where)
      result = Polysock::Raw.public_send(fn, *args)
      Polysock::Raw.public_send(RAW_RESULT_FREE[fn], result) if RAW_RESULT_FREE.key?(fn)
      return result
    end
    if table["params"].first&.fetch("type") == "handle"
      name = SOCKET_FORMS.fetch(fn, fn)
      target = args.first
      flunk "#{where}: #{target.inspect} is not an object with methods" if target.is_a?(Integer)
      flunk "#{where}: unknown function #{fn} (#{target.class} has no #{name})" unless target.respond_to?(name)
      check_arity(target.method(name), args.size - 1, where)
      return target.public_send(name, *args.drop(1))
    end
    flunk "#{where}: unknown function #{fn} (Polysock has no #{fn})" unless Polysock.respond_to?(fn)
    check_arity(Polysock.method(fn), args.size, where)
    Polysock.public_send(fn, *args)
  end

  # A table cannot call a function with the wrong number of arguments.
  def check_arity(method, count, where)
    kinds = method.parameters.map(&:first)
    return if kinds.include?(:rest)

    required = kinds.count(:req)
    optional = kinds.count(:opt)
    assert_includes required..(required + optional), count, "#{where}: #{method.name} takes " \
                                                            "#{required}..#{required + optional} arguments"
  end

  # [:none, value] or [:raised, exception]
  def outcome
    [:none, yield]
  rescue Minitest::Assertion
    raise
  rescue StandardError => e
    [:raised, e]
  end

  # The class name of an exception, as the README's table has them.
  def classify(e)
    case e
    when Polysock::SSLError then "tls"
    when Polysock::Timeout then "timeout"
    when Polysock::GAIError then "gai"
    when Polysock::HError then "herror"
    when Polysock::Error
      if e.errno.nil? then "error"
      elsif e.errname.to_s.start_with?("POLYSOCK_") then "badhandle" # EBADHANDLE, EWRONGKIND
      else "os"
      end
    when ArgumentError then "value"
    when TypeError then "type"
    when RangeError then "overflow"
    else "an unexpected #{e.class}"
    end
  end

  def check(where, row, got)
    want = row["error"]
    kind, value = got
    if want == "none"
      assert_equal :none, kind, "#{where}: expected success, got #{value.class}: #{value.message rescue value}" # rubocop:disable Style/RescueModifier
      return
    end
    flunk "#{where}: expected #{want}, but the call succeeded (#{value.inspect[0, 200]})" if kind == :none
    assert_equal want, classify(value), "#{where}: expected #{want}, got #{value.class}: #{value.message}"
    check_errno(where, row, value) if row.key?("errno")
    assert_equal row["code"], value.errname, "#{where}: TLS code" if row.key?("code")
    assert_equal Errno::EBADF::Errno, value.errno, "#{where}: badhandle without EBADF" if want == "badhandle"
  end

  def check_errno(where, row, e)
    names = Array(row["errno"])
    ok = names.any? do |name|
      case row["error"]
      when "os" then Errno.const_defined?(name) && Errno.const_get(name)::Errno == e.errno
      when "gai" then Polysock.const_defined?(name) && Polysock.const_get(name) == e.errno
      else e.errname == name
      end
    end
    assert ok, "#{where}: expected errno #{names.join(' or ')}, got #{e.errname} (#{e.errno})"
  end

  # ---- arguments ------------------------------------------------------------

  def convert(type, value, raw, where)
    case type
    when "const" then constant(value, where)
    when "int", "size"
      assert_kind_of Integer, value, "#{where}: #{type} argument"
      value
    when "timeout" then timeout(value)
    when "str", "service" then value
    when "bytes" then value && [value.fetch("bytes_hex")].pack("H*")
    when "addr" then address(value)
    when "handle" then handle(value, raw, where)
    end
  end

  def constant(value, where)
    return value if value.is_a?(Integer)

    value.split("|").map do |name|
      flunk "#{where}: Polysock has no constant #{name}" unless Polysock.const_defined?(name, false)
      Polysock.const_get(name, false)
    end.reduce(:|)
  end

  def timeout(value)
    { "nan" => Float::NAN, "inf" => Float::INFINITY, "-inf" => -Float::INFINITY }.fetch(value, value)
  end

  def address(value)
    case value
    when Hash
      value.key?("unix") ? value["unix"] : [value.fetch("unix_hex")].pack("H*")
    else value # nil or [host, port, ...]
    end
  end

  def handle(value, raw, where)
    return value if value.is_a?(Integer)

    obj = symbol(value, where)
    return obj if !raw || obj.is_a?(Integer)

    obj.handle_for_vectors
  end

  # An object for a symbol, made once per row.
  def symbol(name, where)
    @symbols ||= {}
    @symbols[name] ||= make_symbol(name, where)
  end

  def make_symbol(name, where)
    case name
    when "@tcp_socket" then made(Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM))
    when "@tcp6_socket" then made(Polysock.socket(Polysock::AF_INET6, Polysock::SOCK_STREAM))
    when "@udp_socket" then made(Polysock.socket(Polysock::AF_INET, Polysock::SOCK_DGRAM))
    when "@udp6_socket" then made(Polysock.socket(Polysock::AF_INET6, Polysock::SOCK_DGRAM))
    when "@unix_socket" then made(Polysock.socket(Polysock::AF_UNIX, Polysock::SOCK_STREAM))
    when "@closed_socket" then closed(Polysock.socket)
    when "@stale_handle"
      old = closed(Polysock.socket).handle_for_vectors
      made(Polysock.socket) # may reuse the slot; kept open for the call
      old
    when "@forged_handle" then 2**53 - 1
    when "@zero_handle" then 0
    when "@list_handle" then list
    when "@freed_list"
      l = list
      Polysock::Raw.list_free(l)
      l
    when "@poller" then made(Polysock::Poller.new)
    when "@closed_poller" then closed(Polysock::Poller.new)
    when "@tls_client_config" then raw_handle(Polysock::Raw.tls_config_new(0), :tls_config_close)
    when "@tls_server_config" then raw_handle(Polysock::Raw.tls_config_new(1), :tls_config_close)
    when "@closed_tls_config" then Polysock::Raw.tls_config_new(0).tap { |c| Polysock::Raw.tls_config_close(c) }
    when "@open_tls" then raw_handle(unverified_tls, :tls_close)
    when "@closed_tls" then unverified_tls.tap { |t| Polysock::Raw.tls_close(t) }
    else flunk "#{where}: unknown symbol #{name}"
    end
  end

  def list
    raw_handle(Polysock::Raw.getaddrinfo("127.0.0.1", "80", Polysock::AF_INET, Polysock::SOCK_STREAM, 0,
                                         Polysock::AI_NUMERICHOST), :list_free)
  end

  # A client connection, verification off (no name needed), over a never
  # connected TCP socket of its own: tls_new does no I/O.  The configuration
  # is closed at once; the connection keeps its settings.
  def unverified_tls
    sock = made(Polysock.socket)
    cfg = Polysock::Raw.tls_config_new(0)
    begin
      Polysock::Raw.tls_config_set_verify(cfg, 0)
      Polysock::Raw.tls_new(sock.handle, cfg, nil)
    ensure
      Polysock::Raw.tls_config_close(cfg)
    end
  end

  # A handle of the raw layer, freed after the row by Polysock::Raw.<free>.
  def raw_handle(handle, free)
    @made << [handle, free]
    handle
  end

  def made(obj)
    obj.instance_variable_set(:@handle_for_vectors, obj.handle)
    obj.define_singleton_method(:handle_for_vectors) { @handle_for_vectors }
    @made << obj
    obj
  end

  # An object closed before the call; at the handle level the row needs
  # the handle it had.
  def closed(obj)
    made(obj).close
    obj
  end

  # Newest first: a TLS connection before the socket under it.
  def cleanup
    (@made || []).reverse_each do |obj|
      if obj.is_a?(Array)
        handle, free = obj
        begin
          Polysock::Raw.public_send(free, handle)
        rescue Polysock::Error
          nil # freed by the row
        end
      else
        obj.close
      end
    end
    @symbols = nil
  end
end
