#!/usr/bin/env bash
# udpecho fuzz against planted bugs: with a fixed seed and within 30 s each,
# it finds the bug, minimises it to one datagram of the triggering kind,
# the replay reproduces it (and a correct server replays clean), and with
# --exec the server's ASan report is kept with the finding.  Then
# udpecho-server survives a fuzz run with no finding.
#
#   fuzz_zoo.sh UDPECHO UDPECHO_SERVER ZOO [ZOO_ASAN]
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
client=$1 server=$2 zoo=$3 zoo_asan=${4:-}
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A free UDP port on 127.0.0.1 for --exec (the server binds it itself).
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# planted NAME KIND CHECK ZOO ARGS...: fuzz the zoo server ZOO ARGS (started by --exec),
# expect one finding of KIND whose one datagram passes CHECK (a jq-free shell test on
# the file and its length), and a replay that reproduces it.
planted() {
	local name=$1 kind=$2 check=$3 bin=$4 port out status=0 len dir
	shift 4
	port=$(free_port)
	out=$tmp/$name
	timeout 120 "$client" fuzz 127.0.0.1 "$port" --seed 1 --duration 30 --count 500 --out "$out" \
		--exec "$bin --bind 127.0.0.1 --port {port} $*" >"$tmp/$name.txt" 2>&1 || status=$?
	dir=$out/finding-1
	if [ "$status" -ne 1 ] || [ ! -f "$dir/finding.txt" ]; then
		fail "$name: exit $status, $(cat "$tmp/$name.txt")"
		return
	fi
	if ! grep -q "^kind: $kind$" "$dir/finding.txt" || ! grep -q "^datagrams: 1 (minimised)$" "$dir/finding.txt"; then
		fail "$name: $(cat "$dir/finding.txt")"
		return
	fi
	len=$(stat -c %s "$dir/datagram-0.bin")
	if ! eval "$check"; then
		fail "$name: the minimised datagram ($len bytes) is not of the triggering kind: $(xxd "$dir/datagram-0.bin" | head -3)"
		return
	fi
	status=0
	timeout 60 "$client" fuzz 127.0.0.1 "$port" --replay "$dir" \
		--exec "$bin --bind 127.0.0.1 --port {port} $*" >"$tmp/$name.replay" 2>&1 || status=$?
	[ "$status" -eq 1 ] || { fail "$name: the replay exited $status: $(cat "$tmp/$name.replay")"; return; }
	status=0
	timeout 60 "$client" fuzz 127.0.0.1 "$port" --replay "$dir" \
		--exec "$zoo --bind 127.0.0.1 --port {port} plain" >"$tmp/$name.clean" 2>&1 || status=$?
	[ "$status" -eq 0 ] || { fail "$name: a correct server's replay exited $status"; return; }
	echo "ok   $name: $(sed -n 's/^finding 1: //p' "$tmp/$name.txt")"
}

planted corrupt-band wrong-echo '[ "$len" -ge 1473 ] && [ "$len" -le 1480 ]' "$zoo" corrupt-band 1473
planted null-on-empty crash '[ "$len" -eq 0 ]' "$zoo" null-on-empty
planted hang-on hang 'xxd -p "$dir/datagram-0.bin" | tr -d "\n" | grep -q 1337' "$zoo" hang-on 4919
# An inetd echo that exits on its first datagram: the first datagram is judged, never a probe.
planted exit-first crash '[ "$len" -eq 0 ]' "$zoo" exit-after 0
: >"$tmp/first.out"
"$zoo" --bind 127.0.0.1 --port 0 exit-after 0 >"$tmp/first.out" 2>&1 &
pids+=($!)
port=$(startup_port "$tmp/first.out") || { fail "zoo exit-after 0 did not start"; exit 1; }
status=0
timeout 20 "$client" fuzz 127.0.0.1 "$port" --seed 1 --out "$tmp/first" >"$tmp/first.txt" 2>&1 || status=$?
if [ "$status" -eq 1 ] && grep -q "^kind: crash$" "$tmp/first/finding-1/finding.txt" &&
	grep -q "^found: after 1 datagram, " "$tmp/first/finding-1/finding.txt"; then
	echo "ok   exits on its first datagram, no --exec: $(sed -n 's/^finding 1: //p' "$tmp/first.txt")"
else
	fail "a server that exits on its first datagram, no --exec: exit $status: $(cat "$tmp/first.txt")"
fi
status=0
timeout 20 "$client" fuzz 127.0.0.1 "$port" --seed 1 --out "$tmp/none" >"$tmp/none.txt" 2>&1 || status=$?
if [ "$status" -eq 2 ] && grep -q "nothing listens" "$tmp/none.txt"; then
	echo "ok   a closed port is a setup error: $(tail -1 "$tmp/none.txt")"
else
	fail "a closed port: exit $status: $(cat "$tmp/none.txt")"
fi
# A correct server behind a slow path (every echo 300 ms late) is waited for: no finding.
status=0
timeout 60 "$client" fuzz 127.0.0.1 "$(free_port)" --seed 1 --duration 4 --max-size 1400 --out "$tmp/slow" \
	--exec "$zoo --bind 127.0.0.1 --port {port} delay 300" >"$tmp/slow.txt" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
	echo "ok   300 ms late echoes are no finding: $(tail -1 "$tmp/slow.txt")"
else
	fail "a server 300 ms slow: exit $status: $(cat "$tmp/slow.txt")"
fi
# A server that answers nothing at all is a setup error, not a hang.
: >"$tmp/mute.out"
"$zoo" --bind 127.0.0.1 --port 0 hang-after 0 >"$tmp/mute.out" 2>&1 &
pids+=($!)
port=$(startup_port "$tmp/mute.out") || { fail "zoo hang-after 0 did not start"; exit 1; }
status=0
timeout 30 "$client" fuzz 127.0.0.1 "$port" --seed 1 --out "$tmp/mute" >"$tmp/mute.txt" 2>&1 || status=$?
if [ "$status" -eq 2 ] && grep -q "answers nothing" "$tmp/mute.txt" && [ ! -d "$tmp/mute" ]; then
	echo "ok   a server that answers nothing is a setup error: $(tail -1 "$tmp/mute.txt")"
else
	fail "a server that answers nothing: exit $status: $(cat "$tmp/mute.txt")"
fi
# The same seed against a server that behaves the same: the same findings, byte for byte.
port=$(free_port)
for run in a b; do
	timeout 120 "$client" fuzz 127.0.0.1 "$port" --seed 5 --count 300 --out "$tmp/same-$run" \
		--exec "$zoo --bind 127.0.0.1 --port {port} corrupt-band 1473" >/dev/null 2>&1 || true
done
if [ -f "$tmp/same-a/finding-1/datagram-0.bin" ] &&
	diff -r -x finding.txt "$tmp/same-a" "$tmp/same-b" >/dev/null; then
	echo "ok   seed 5 twice: the same findings ($(find "$tmp/same-a" -name 'finding-*' -type d | wc -l))"
else
	fail "seed 5 twice: the findings differ"
fi

if [ -n "$zoo_asan" ]; then
	planted overflow crash '[ "$len" -gt 1024 ]' "$zoo_asan" overflow 1024
	# ASan's report; in a build where UBSan also checks bounds, it stops the server first.
	report=$(grep -m1 -o -E "AddressSanitizer: stack-buffer-overflow|runtime error: index [0-9]+ out of bounds" \
		"$tmp/overflow/finding-1/server-stderr.txt" 2>/dev/null || true)
	if [ -z "$report" ]; then
		fail "overflow: no sanitizer report kept with the finding"
	else
		echo "ok   overflow: the sanitizer's report is kept with the finding: $report"
	fi
else
	echo "skip overflow: no zoo server built with ASan (clang or gcc with libasan needed)"
fi

# udpecho-server: a run with no finding.
: >"$tmp/server.out"
"$server" --bind 127.0.0.1 --port 0 >"$tmp/server.out" 2>&1 &
pids+=($!)
port=$(startup_port "$tmp/server.out") || { fail "udpecho-server did not start"; exit 1; }
status=0
"$client" fuzz 127.0.0.1 "$port" --seed 7 --duration 10 --out "$tmp/ours" >"$tmp/ours.txt" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
	echo "ok   udpecho-server: $(tail -1 "$tmp/ours.txt")"
else
	fail "udpecho-server: exit $status: $(cat "$tmp/ours.txt")"
fi

# check's built-in server: udpecho fuzz with no target fuzzes it.
status=0
"$client" fuzz --seed 8 --duration 10 --out "$tmp/builtin" >"$tmp/builtin.txt" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
	echo "ok   the built-in server: $(tail -1 "$tmp/builtin.txt")"
else
	fail "the built-in server: exit $status: $(cat "$tmp/builtin.txt")"
fi

[ "$failures" -eq 0 ] || exit 1
echo "fuzz: every planted bug found, minimised and replayed; udpecho-server passes"
