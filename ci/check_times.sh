#!/usr/bin/env bash
# How long `udpecho check` takes to judge a server, side by side in one run:
# the built-in server (correct, local), a zoo server that answers nothing,
# one that crashes on its first datagram and one that hangs mid-run.  Each
# is run ROUNDS times (default 5); the table shows min, median and max
# wall-clock seconds and the exit status.  Loopback only; every server is
# stopped on exit.
#
#   bash ci/check_times.sh [ROUNDS]      # UDPECHO_BUILD=build/default by default
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
build=${UDPECHO_BUILD:-build/default}
udpecho=$build/udpecho zoo=$build/tests/zoo_server
[ -x "$udpecho" ] && [ -x "$zoo" ] || {
	echo "check_times: build first (cmake --preset default && cmake --build --preset default)" >&2
	exit 2
}
case $rounds in '' | *[!0-9]* | 0) echo "check_times: ROUNDS is a number from 1" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
zoo_pid=
cleanup() {
	if [ -n "$zoo_pid" ]; then kill "$zoo_pid" 2>/dev/null || true; wait "$zoo_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# start_zoo DEFECT [ARG]: a fresh zoo server; its port in $port.
start_zoo() {
	cleanup_zoo
	"$zoo" --bind 127.0.0.1 "$@" >"$tmp/zoo.out" 2>/dev/null &
	zoo_pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$tmp/zoo.out")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "check_times: zoo $* did not start" >&2
	exit 1
}
cleanup_zoo() {
	if [ -n "$zoo_pid" ]; then kill "$zoo_pid" 2>/dev/null || true; wait "$zoo_pid" 2>/dev/null || true; fi
	zoo_pid=
}

# measure LABEL ZOO_ARGS|builtin: times of ROUNDS runs, one line of the table.
measure() {
	local label=$1 target=$2 t0 t1 status times=()
	for _ in $(seq "$rounds"); do
		local args=()
		if [ "$target" = builtin ]; then
			cleanup_zoo
		else
			# shellcheck disable=SC2086 # the defect and its argument are two words
			start_zoo $target
			args=(127.0.0.1 "$port")
		fi
		t0=$(date +%s.%N)
		status=0
		timeout 120 "$udpecho" check "${args[@]}" >/dev/null 2>&1 || status=$?
		t1=$(date +%s.%N)
		times+=("$(echo "$t1 - $t0" | bc)")
	done
	printf '%s\n' "${times[@]}" | sort -n >"$tmp/times"
	printf '%-34s %7.2f %7.2f %7.2f   %s\n' "$label" "$(head -n1 "$tmp/times")" \
		"$(sed -n "$(((rounds + 1) / 2))p" "$tmp/times")" "$(tail -n1 "$tmp/times")" "$status"
}

printf '%-34s %7s %7s %7s   %s\n' "udpecho check against" min median max exit
measure "the built-in server (correct)" builtin
measure "a silent server" silent
measure "a server that exits on datagram 1" "exit-after 0"
measure "a server that hangs after 30" "hang-after 30"
echo "targets: a silent server judged in 5 s or less, a correct local one in 2 s or less"
