# frozen_string_literal: true

require_relative "lib/polysock/version"

Gem::Specification.new do |spec|
  spec.name = "polysock"
  # The version of the IDL the binding was generated from.
  spec.version = Polysock::VERSION
  spec.summary = "The socket module of the reference for Ruby, on libpolysock (ffi gem)"
  spec.description = <<~TEXT
    Sockets with the API of the reference's socket module (socket objects,
    module functions, platform constants, timeouts) on libpolysock, one C
    socket core shared by every language.  Blocking calls release the GVL and
    stay interruptible (Thread#kill, Thread#raise, Timeout, trap handlers).
    Needs libpolysock.so.0: the soname, or the path in POLYSOCK_LIBRARY.
  TEXT
  spec.authors = ["The polysock authors"]
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.0"
  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb", "sig/*.rbs"] }.sort
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", "~> 1.15"
end
