#!/usr/bin/env bash
# Valgrind memcheck over what udpecho runs: every unit test, the corpus
# replay drivers over every stored corpus, and live traffic: udpecho-server
# under memcheck serving `udpecho check` (also under memcheck) through the
# whole suite on IPv4 and IPv6, plus `udpecho send` and the self-check,
# the server stopped by SIGINT.  Any memcheck report (invalid access,
# uninitialised use, definite or indirect leak) fails the script and is
# printed with its stack.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../tests/lib/startup.sh
source tests/lib/startup.sh

bash ci/deps.sh >/dev/null
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
bin=build/default
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# shellcheck disable=SC2054 # the commas separate valgrind's own lists
vg=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30
	--suppressions=ci/valgrind.supp)
runs=0 failures=0

# memcheck NAME CMD...: runs CMD under memcheck; a report fails the script.
memcheck() {
	local name=$1 log status=0
	shift
	log="$logs/$(echo "$name" | tr -c 'a-zA-Z0-9._-' _).log"
	"${vg[@]}" --log-file="$log" "$@" >"$log.out" 2>&1 || status=$?
	runs=$((runs + 1))
	if [ "$status" -eq 99 ] || grep -q 'ERROR SUMMARY: [1-9]' "$log"; then
		failures=$((failures + 1))
		echo "FAIL $name: memcheck reported errors"
		cat "$log"
	elif [ "$status" -ne 0 ] && [ "${EXPECT_STATUS:-0}" != "$status" ]; then
		failures=$((failures + 1))
		echo "FAIL $name: exited $status"
		tail -20 "$log.out"
	else
		echo "ok   $name"
	fi
}

echo "== unit tests"
for t in "$bin"/tests/test_*; do
	memcheck "unit $(basename "$t")" "$t"
done

echo "== corpus replay"
for driver in "$bin"/fuzz/replay_*; do
	[ -x "$driver" ] || continue
	harness=${driver##*/replay_}
	memcheck "replay $harness" "$driver" "corpus/$harness"
done

# live FAMILY BIND: udpecho-server under memcheck, the clients under memcheck too.
live() {
	local family=$1 bind=$2 out="$logs/server-$1.out" port="" pid status=0
	"${vg[@]}" --log-file="$logs/server-$family.log" "$bin/udpecho-server" --bind "$bind" \
		--port 0 -v >"$out" 2>&1 &
	pid=$!
	if ! port=$(startup_port "$out" 400); then
		echo "FAIL live $family: the server did not start"
		cat "$out" "$logs/server-$family.log"
		failures=$((failures + 1))
		kill "$pid" 2>/dev/null || true
		return
	fi
	# Memcheck slows both ends ~20x: give replies a longer first wait.
	memcheck "live $family: udpecho check" "$bin/udpecho" check "$bind" "$port" --timeout 2s
	memcheck "live $family: udpecho send" "$bin/udpecho" send --host "$bind" --port "$port"
	kill -INT "$pid"
	wait "$pid" || status=$?
	runs=$((runs + 1))
	if [ "$status" -ne 0 ] || grep -q 'ERROR SUMMARY: [1-9]' "$logs/server-$family.log"; then
		failures=$((failures + 1))
		echo "FAIL live $family: udpecho-server (exit $status)"
		cat "$logs/server-$family.log"
	else
		echo "ok   live $family: udpecho-server served the suite, stopped by SIGINT"
		grep '^summary:' "$out" | sed 's/^/     /'
	fi
}

echo "== live traffic"
live ipv4 127.0.0.1
live ipv6 ::1
memcheck "self-check: udpecho check (built-in server, forked)" "$bin/udpecho" check --timeout 2s

echo
if [ "$failures" -ne 0 ]; then
	echo "valgrind: $failures of $runs runs failed"
	exit 1
fi
echo "valgrind: $runs runs, no memcheck reports"
