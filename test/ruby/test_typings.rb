# frozen_string_literal: true

require_relative "helper"
require "open3"
require "rbs"

# The RBS signatures of the binding (bindings/ruby/sig/): well formed (rbs
# validate), right about a program that uses the binding and about one that
# misuses it (TypeProf reads them with typing/usage.rb and
# typing/mistakes.rb), and in step with the methods that exist at run time.
# rbs and TypeProf come with Ruby (Debian's libruby3.1); neither is on PATH.
class TestTypings < PolysockTest::Case
  SIG = File.expand_path("../../bindings/ruby/sig", __dir__)
  TYPING = File.expand_path("typing", __dir__)

  def gem_command(gem, *args)
    [RbConfig.ruby, "-e", "load Gem.bin_path(#{gem.inspect}, #{gem.inspect})", "--", *args]
  end

  def signatures
    Dir[File.join(SIG, "*.rbs")].sort
  end

  def test_the_signatures_validate
    out, status = Open3.capture2e(*gem_command("rbs", "-I", SIG, "validate"))
    assert status.success?, out
    assert_match(/Validating class\/module definition: `::Polysock::Socket`/, out)
  end

  # TypeProf's "[error]" lines for a file checked against the signatures.
  def typeprof_errors(file)
    out, status = Open3.capture2e(*gem_command("typeprof", "-v", file, *signatures))
    assert status.success?, out
    out.lines.grep(/\[error\]/).map(&:strip)
  end

  def test_a_program_using_the_binding_type_checks
    assert_equal [], typeprof_errors(File.join(TYPING, "usage.rb"))
  end

  def test_mistakes_are_caught
    file = File.join(TYPING, "mistakes.rb")
    marked = File.readlines(file).each_index.select { |i| File.readlines(file)[i].include?("# error") }.map { |i| i + 1 }
    refute_empty marked
    reported = typeprof_errors(file).map { |line| line[/:(\d+): \[error\]/, 1].to_i }
    assert_equal marked, reported.uniq.sort
  end

  # ---- the signatures against the running binding -----------------------------

  def definitions
    @definitions ||= begin
      loader = RBS::EnvironmentLoader.new
      loader.add(path: Pathname(SIG))
      env = RBS::Environment.from_loader(loader).resolve_type_names
      RBS::DefinitionBuilder.new(env: env)
    end
  end

  def type_name(path)
    RBS::TypeName.new(name: path.split("::").last.to_sym,
                      namespace: RBS::Namespace.parse("::#{path.split('::')[0..-2].join('::')}"))
  end

  # name => [required, optional] positional counts of each RBS overload.
  def declared(definition)
    definition.methods.each_with_object({}) do |(name, method), all|
      next unless method.defined_in.to_s.start_with?("::Polysock")

      all[name] = method.method_types.map do |mt|
        f = mt.type
        [f.required_positionals.size + f.trailing_positionals.size, f.optional_positionals.size]
      end
    end
  end

  def arity(method)
    kinds = method.parameters.map(&:first)
    [kinds.count(:req), kinds.count(:opt)]
  end

  # Every method of owners (the modules whose own public methods count) is
  # declared, and every declared method exists with an arity one of its
  # overloads allows.
  def assert_in_step(label, definition, owners, lookup)
    decl = declared(definition)
    defined = owners.flat_map { |o| o.public_instance_methods(false) }.uniq
    undeclared = defined.reject { |name| decl.key?(name) }
    assert_empty undeclared, "#{label}: methods without a signature"
    decl.each do |name, overloads|
      method = lookup.call(name)
      refute_nil method, "#{label}##{name} is declared but does not exist"
      next if method.parameters.any? { |kind, _| kind == :rest }

      req, opt = arity(method)
      ok = overloads.any? { |r, o| r >= req && r + o <= req + opt }
      assert ok, "#{label}##{name}: takes #{req} required and #{opt} optional arguments, " \
                 "the signature says #{overloads.inspect}"
    end
  end

  # An instance method of klass, private ones (initialize) included.
  def instance_method_of(klass)
    lambda do |name|
      klass.instance_method(name) if klass.method_defined?(name) || klass.private_method_defined?(name)
    end
  end

  def test_socket_signatures_match_the_methods
    definition = definitions.build_instance(type_name("Polysock::Socket"))
    assert_in_step("Polysock::Socket", definition, [Polysock::Socket, Polysock::API::SocketMethods],
                   instance_method_of(Polysock::Socket))
  end

  def test_poller_signatures_match_the_methods
    definition = definitions.build_instance(type_name("Polysock::Poller"))
    assert_in_step("Polysock::Poller", definition, [Polysock::Poller, Polysock::API::PollerMethods],
                   instance_method_of(Polysock::Poller))
  end

  def test_module_function_signatures_match_the_functions
    definition = definitions.build_singleton(type_name("Polysock"))
    assert_in_step("Polysock", definition, [Polysock.singleton_class, Polysock::API],
                   ->(name) { Polysock.method(name) if Polysock.respond_to?(name) })
  end

  def test_raw_signatures_match_the_functions
    definition = definitions.build_singleton(type_name("Polysock::Raw"))
    assert_in_step("Polysock::Raw", definition, [Polysock::Raw.singleton_class],
                   ->(name) { Polysock::Raw.method(name) if Polysock::Raw.respond_to?(name) })
  end
end

require "pathname"
