# frozen_string_literal: true

# Mistakes the type check must catch: each line marked "error" must be
# reported (proving the check reads the signatures).  Never run.

require "polysock"

s = Polysock::Socket.new
s.recv("1024") # error
s.settimeout("slow") # error
s.sendall(42) # error
s.no_such_method # error
Polysock::Socket.new("AF_INET") # error
