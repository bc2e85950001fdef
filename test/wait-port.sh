#!/bin/sh
# wait-port.sh PORT [SECONDS] - wait until some socket LISTENs on TCP port
# PORT (any local address, IPv4 or IPv6), for at most SECONDS (default 10).
# Exit 0 as soon as it does, 1 on timeout, 2 on bad arguments.
#
# It reads /proc/net/tcp and /proc/net/tcp6 instead of connecting, because
# the echo servers under test serve exactly one client: a probing connect
# would use up the connection the real client needs.
#
# POSIX sh + awk only (Debian's awk is mawk, so no gawk extensions).

usage() {
    echo "usage: wait-port.sh PORT [SECONDS]" >&2
    exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
port=$1
seconds=${2:-10}
case $port in ''|*[!0-9]*) usage ;; esac
case $seconds in ''|*[!0-9]*) usage ;; esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then usage; fi

# /proc shows local_address as HEXIP:HEXPORT with the port in 4 upper-case
# hex digits, and the state as hex; 0A is TCP_LISTEN.
hexport=$(printf '%04X' "$port")

listening() {
    files=
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] && files="$files $f"
    done
    [ -n "$files" ] || return 1
    # shellcheck disable=SC2086 # word splitting of $files is wanted
    awk -v p="$hexport" '
        FNR > 1 {
            n = split($2, a, ":")
            if (a[n] == p && $4 == "0A") found = 1
        }
        END { exit found ? 0 : 1 }' $files
}

# POSIX sh has no sub-second clock: count naps instead.  Naps are 0.1 s
# where sleep takes fractions (GNU, busybox) and 1 s where it does not, so
# the bound holds either way.
if sleep 0.01 2>/dev/null; then
    nap=0.1 naps=$((seconds * 10))
else
    nap=1 naps=$seconds
fi
while :; do
    listening && exit 0
    [ "$naps" -gt 0 ] || break
    naps=$((naps - 1))
    sleep "$nap"
done
echo "wait-port.sh: nothing listens on TCP port $port after ${seconds}s" >&2
exit 1
