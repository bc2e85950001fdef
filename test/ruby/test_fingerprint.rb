# frozen_string_literal: true

require_relative "helper"

# The generated loader refuses a library built from another IDL.  `make
# check` builds one from a changed IDL and names it in
# POLYSOCK_MISMATCHED_LIBRARY; under POLYSOCK_REQUIRE_ALL=1 its absence is a
# failure, never a silent skip.
class TestFingerprint < PolysockTest::Case
  def load_in_child(library)
    env = { "POLYSOCK_LIBRARY" => library }
    out = IO.popen(env, PolysockTest.ruby_command("-e", 'require "polysock"; puts Polysock.library_version'),
                   err: %i[child out], &:read)
    [$?, out]
  end

  def test_a_mismatched_library_is_refused_at_load
    path = ENV.fetch("POLYSOCK_MISMATCHED_LIBRARY", "")
    if path.empty?
      message = "POLYSOCK_MISMATCHED_LIBRARY is not set"
      flunk "#{message} (required by POLYSOCK_REQUIRE_ALL=1)" if ENV["POLYSOCK_REQUIRE_ALL"] == "1"
      skip message
    end
    assert File.exist?(path), path
    status, out = load_in_child(path)
    refute status.success?, "the mismatched library was accepted: #{out}"
    assert_match(/LoadError/, out)
    assert_match(/ABI fingerprint "\h{16}", but this binding was generated for "#{Polysock::ABI_FINGERPRINT}"/, out)
  end

  # The control: the same command with the real library loads, so the
  # refusal above is about the fingerprint alone.
  def test_the_matching_library_loads_in_a_child
    status, out = load_in_child(ENV.fetch("POLYSOCK_LIBRARY"))
    assert status.success?, out
    assert_equal Polysock.library_version, out.strip
  end

  def test_a_missing_library_is_a_clear_load_error
    status, out = load_in_child("/nonexistent/libpolysock.so.0")
    refute status.success?
    assert_match(/LoadError/, out)
    assert_match(%r{polysock: cannot load the library /nonexistent/libpolysock\.so\.0}, out)
    assert_match(/POLYSOCK_LIBRARY/, out)
  end
end
