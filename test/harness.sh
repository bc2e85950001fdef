# harness.sh - helpers shared by the example and interop harnesses
# (sourced; POSIX sh), once $tmp exists.  The caller keeps the pids of
# what it starts in server_pid, client_pid, server_dog and client_dog,
# sets procfiles to the readable /proc/net/tcp* files, and defines
# show FILE PREFIX (how much of a program's output a failure prints).

cleanup() {
    for p in $server_pid $client_pid $server_dog $client_dog; do
        kill "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap cleans up.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# fail REASON: count the pair $n ($name) as failed and show its output.
fail() {
    echo "FAIL $n - $name: $1"
    show "$tmp/server.out" "    server stdout| "
    show "$tmp/server.err" "    server stderr| "
    show "$tmp/client.out" "    client stdout| "
    show "$tmp/client.err" "    client stderr| "
    failed=$((failed + 1))
    failures="$failures
    $name"
}

# watchdog PID SECONDS: kill PID after SECONDS unless the watchdog is
# stopped first; $dog is its pid.  Its sleep dies with it, so nothing
# lingers holding the output open.
watchdog() {
    (
        sleep "$2" &
        s=$!
        trap 'kill $s 2>/dev/null; exit 0' TERM
        wait $s
        kill "$1" 2>/dev/null
    ) >/dev/null 2>&1 &
    dog=$!
}

# stop_watchdog PID
stop_watchdog() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# True if PORT appears as a local port in any state.  Sockets in TIME_WAIT
# count too: the examples do not set SO_REUSEADDR, so bind would fail.
port_used() {
    # shellcheck disable=SC2086 # word splitting of $procfiles is wanted
    awk -v p="$(printf '%04X' "$1")" '
        FNR > 1 { n = split($2, a, ":"); if (a[n] == p) found = 1 }
        END { exit found ? 0 : 1 }' $procfiles
}

# Ports start at a random base below the usual ephemeral range
# (32768..60999), so clients' own ports do not collide with them; dash has
# no $RANDOM, awk does.
next_port=$(awk -v pid=$$ 'BEGIN { srand(); print 20000 + (int(rand() * 12000) + pid) % 12000 }')

# pick_port: set $port to the next port nothing uses.
pick_port() {
    tries=0
    while :; do
        port=$next_port
        next_port=$((next_port >= 31999 ? 20000 : next_port + 1))
        port_used "$port" || return 0
        tries=$((tries + 1))
        [ "$tries" -lt 1000 ] || return 1
    done
}
