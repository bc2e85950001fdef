# harness.sh - helpers shared by the example and interop harnesses
# (sourced; POSIX sh), once $tmp exists.  The caller sets demo, START_SECS,
# RUN_SECS and wait_port, sets procfiles (before starting a server) to the
# readable /proc/net/tcp* files, and defines
#   show FILE PREFIX     how much of a program's output a failure prints
#   launch_server ARG... become the server (exec) on the port in $port;
#                        start_server passes its ARGs on.
# The pids of what runs are kept in server_pid, client_pid, server_dog and
# client_dog; the counts in n, passed, failed and failures.

server_pid=
client_pid=
server_dog=
client_dog=
passed=0
failed=0
failures=
n=0

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

# pass: count the pair $n ($name) as passed.
pass() {
    passed=$((passed + 1))
    [ "$demo" = 1 ] || echo "ok $n - $name"
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

# Naps of 0.1 s where sleep takes fractions (GNU, busybox), else 1 s.
if sleep 0.01 2>/dev/null; then
    nap=0.1 naps_per_sec=10
else
    nap=1 naps_per_sec=1
fi

# start_server ARG...: start launch_server ARG... on a free port ($port)
# and wait until it listens; on failure, start_error says why.  A port
# taken between pick_port and bind makes the server exit at once; then try
# another port.
start_server() {
    attempt=0
    while [ "$attempt" -lt 3 ]; do
        attempt=$((attempt + 1))
        pick_port || { start_error="no free port"; return 1; }
        launch_server "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
        server_pid=$!
        # One look of wait-port.sh per nap, to notice at once a server
        # that died (a broken binding must not cost a second a pair).
        waited=0
        while [ "$waited" -lt $((START_SECS * naps_per_sec)) ]; do
            if sh "$wait_port" "$port" 0 2>/dev/null; then
                kill -0 "$server_pid" 2>/dev/null && return 0
                break # someone else's listener: ours died
            fi
            kill -0 "$server_pid" 2>/dev/null || break
            sleep "$nap"
            waited=$((waited + 1))
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            kill "$server_pid" 2>/dev/null
            wait "$server_pid" 2>/dev/null
            server_pid=
            start_error="server did not listen on port $port within ${START_SECS}s"
            return 1
        fi
        wait "$server_pid" 2>/dev/null
        server_pid=
        grep -qi 'in use' "$tmp/server.err" 2>/dev/null || {
            start_error="server exited before listening on port $port"
            return 1
        }
    done
    start_error="ports kept being taken"
    return 1
}

# watch_server [SECONDS]: bound the running server by a watchdog (default
# twice RUN_SECS).
watch_server() {
    watchdog "$server_pid" "${1:-$((RUN_SECS * 2))}"
    server_dog=$dog
}

# finish_server: wait for the server to end; sets server_rc.
finish_server() {
    wait "$server_pid" 2>/dev/null
    server_rc=$?
    server_pid=
    stop_watchdog "$server_dog"
    server_dog=
}

# run_client COMMAND ARG...: run the client to the end, or kill it after
# RUN_SECS; sets client_rc.  COMMAND may be a function that execs.
run_client() {
    run_client_within "$RUN_SECS" "$@"
}

# run_client_within SECONDS COMMAND ARG...: the same with another bound.
run_client_within() {
    secs=$1
    shift
    "$@" >"$tmp/client.out" 2>"$tmp/client.err" &
    client_pid=$!
    watchdog "$client_pid" "$secs"
    client_dog=$dog
    wait "$client_pid"
    client_rc=$?
    client_pid=
    stop_watchdog "$client_dog"
    client_dog=
}
