#!/usr/bin/env bash
# ci/bench.sh's baseline servers echo exactly and stop on SIGTERM: a figure
# measured against a baseline that drops, alters or hangs would mean nothing.
# Each gets plain loads and GSO bursts (several datagrams per send, which a
# UDP_GRO receiver such as gro_server gets as one message and must echo as
# separate datagrams again).  Bounded: about 5 s in all.
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
client_bin=$1
shift
tmp=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for server_bin in "$@"; do
	name=$(basename "$server_bin")
	"$server_bin" --bind 127.0.0.1 >"$tmp/out" 2>&1 &
	pid=$!
	if ! port=$(startup_port "$tmp/out" 100); then
		fail "$name did not start"
		continue
	fi
	for args in "--size 64" "--size 0 --window 1" "--size 65507 --window 1" \
		"--size 64 --gso" "--size 1400 --gso"; do
		# shellcheck disable=SC2086
		"$client_bin" bench 127.0.0.1 "$port" --duration 0.3 --format json $args >"$tmp/b.json" ||
			true
		if jq -e '.echoed > 0 and .wrong == 0 and .lost == 0 and .echoed == .sent' \
			"$tmp/b.json" >/dev/null; then
			echo "ok   $name $args: $(jq .echoed "$tmp/b.json") echoes, every byte right"
		else
			fail "$name $args: $(cat "$tmp/b.json")"
		fi
	done
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name still runs 1 s after SIGTERM"
		kill -KILL "$pid"
	fi
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] && echo "ok   $name stopped on SIGTERM, exit 0" || fail "$name exited $rc"
	pid=
done
[ "$failures" -eq 0 ] || exit 1
echo "baselines: every one echoes exactly and stops"
