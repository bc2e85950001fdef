# harness.sh - helpers shared by the example and interop harnesses
# (sourced; POSIX sh).  The caller sets procfiles to the readable
# /proc/net/tcp* files.

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
