#!/usr/bin/env bash
# udpecho bench against known servers: its counts agree with udpecho-server's
# own counters, its latency is right against a server that delays every
# datagram by a known time, and loss is loss.  Bounded: about 20 s in all.
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
server_bin=$1 client_bin=$2 zoo_bin=$3
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

start() { # NAME CMD...: sets port (from the startup line) and pid
	local name=$1
	shift
	: >"$tmp/$name.out" # there before startup_port reads it, whenever the server starts
	"$@" >"$tmp/$name.out" 2>&1 &
	pid=$!
	pids+=("$pid")
	port=$(startup_port "$tmp/$name.out") && return
	fail "$name did not start"
	exit 1
}

# 1. Closed loop, plain and GSO, sizes with and without a header: every echo exact, and the
#    server counted exactly what bench sent.  The large buffer holds the whole open-loop run
#    (10,000 datagrams), so a server starved of CPU on a busy host is late, not lossy.
start server "$server_bin" --bind 127.0.0.1 --port 0 --rcvbuf 8388608
server_pid=$pid server_port=$port
total=0
for args in "--size 64" "--size 1400 --gso" "--size 8" "--size 65507 --window 2" \
	"--rate 20000 --sockets 2"; do
	# shellcheck disable=SC2086
	"$client_bin" bench 127.0.0.1 "$port" --duration 0.5 --format json $args >"$tmp/b.json" ||
		fail "bench $args exited non-zero"
	if jq -e '.echoed > 0 and .wrong == 0 and .lost == 0 and .echoed == .sent' "$tmp/b.json" \
		>/dev/null; then
		echo "ok   bench $args: $(jq -r '"\(.echoed) echoes, \(.echoes_per_s|floor)/s, p99 \(.latency_ms.p99) ms"' "$tmp/b.json")"
	else
		fail "bench $args: $(cat "$tmp/b.json")"
	fi
	total=$((total + $(jq .sent "$tmp/b.json")))
done
kill -INT "$server_pid"
wait "$server_pid" || true
received=$(sed -n 's/.*summary: received=\([0-9]*\) .*/\1/p' "$tmp/server.out")
[ "$received" = "$total" ] && echo "ok   server counted $received, bench sent $total" ||
	fail "server counted $received, bench sent $total"

# 1b. The IPv6 maximum, 65,527 bytes, more than a GSO send can carry twice: with --gso it
#     goes plainly (it used to send nothing at all).
start server6 "$server_bin" --bind ::1 --port 0
"$client_bin" bench ::1 "$port" --duration 0.3 --size 65527 --gso --window 2 --format json \
	>"$tmp/b6.json" || true
if jq -e '.echoed > 0 and .wrong == 0 and .lost == 0 and .echoed == .sent' "$tmp/b6.json" \
	>/dev/null; then
	echo "ok   bench ::1 --size 65527 --gso: $(jq .echoed "$tmp/b6.json") echoes"
else
	fail "bench ::1 --size 65527 --gso: $(cat "$tmp/b6.json")"
fi

# 1c. The JSON report names itself and its target as check's does: the tool, its version and
#     {"host", "port", "family"} (the target was a "127.0.0.1:PORT" string, with no version).
for host in 127.0.0.1 ::1; do
	family=ipv4
	[ "$host" = ::1 ] && family=ipv6
	start "json-$family" "$server_bin" --bind "$host" --port 0
	"$client_bin" bench "$host" "$port" --duration 0.2 --format json >"$tmp/j.json" || true
	if jq -e --arg host "$host" --argjson port "$port" --arg family "$family" \
		'.tool == "udpecho" and .command == "bench" and (.version | type) == "string" and
		(.version | length) > 0 and
		.target == {"host": $host, "port": $port, "family": $family}' "$tmp/j.json" >/dev/null; then
		echo "ok   bench $host --format json: $(jq -c '{tool, command, version, target}' "$tmp/j.json")"
	else
		fail "bench $host JSON header: $(cat "$tmp/j.json")"
	fi
done

# 1d. A low open-loop rate sleeps until its next send or echo is due: 10 requests a second
#     for 1.5 s take a small share of a core (it busy-polled a whole one). The bound is
#     generous, for a busy host: less than 30% of the wall time in CPU time.
start slow "$server_bin" --bind 127.0.0.1 --port 0
TIMEFORMAT='%R %U %S'
{ time "$client_bin" bench 127.0.0.1 "$port" --duration 1.5 --rate 10 --format json \
	>"$tmp/slow.json" 2>/dev/null; } 2>"$tmp/slow.time" || true
read -r real user sys <"$tmp/slow.time"
if awk -v r="$real" -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s < 0.3 * r) }' &&
	jq -e '.sent >= 14 and .echoed == .sent and .lost == 0' "$tmp/slow.json" >/dev/null; then
	echo "ok   --rate 10 for 1.5 s: ${user}s user + ${sys}s system CPU in ${real}s"
else
	fail "--rate 10: ${user}s user + ${sys}s system CPU in ${real}s: $(cat "$tmp/slow.json")"
fi

# 1e. No echo at all: no percentiles of nothing (it printed p50 0.000 ... max 0.000), as ping
#     prints no rtt line then; the JSON's latency_ms is null.
start silent "$zoo_bin" --bind 127.0.0.1 silent
status=0
"$client_bin" bench 127.0.0.1 "$port" --duration 0.2 --rate 50 >"$tmp/q.out" 2>&1 || status=$?
"$client_bin" bench 127.0.0.1 "$port" --duration 0.2 --format json >"$tmp/q.json" || true
if [ "$status" -eq 1 ] && grep -q "^sent " "$tmp/q.out" && ! grep -q "p50\|^latency" "$tmp/q.out" &&
	jq -e '.echoed == 0 and .lost == .sent and .latency_ms == null' "$tmp/q.json" >/dev/null; then
	echo "ok   a silent server: no percentiles, latency_ms null"
else
	fail "silent server: exit $status: $(cat "$tmp/q.out" "$tmp/q.json")"
fi

# 2. A server that answers every datagram 50 ms late: open-loop latency percentiles near 50 ms.
start delay "$zoo_bin" --bind 127.0.0.1 delay 50
"$client_bin" bench 127.0.0.1 "$port" --duration 1 --rate 200 --format json >"$tmp/d.json"
if jq -e '.latency_ms.p50 >= 49.5 and .latency_ms.p50 <= 60 and .latency_ms.p99 <= 75 and
	.lost == 0' "$tmp/d.json" >/dev/null; then
	echo "ok   a 50 ms server measures p50 $(jq .latency_ms.p50 "$tmp/d.json") ms"
else
	fail "delay: $(cat "$tmp/d.json")"
fi

# 3. A server that drops every other datagram: half lost, none called wrong, and the open
#    loop keeps its schedule: 20,000 requests on one socket are more than the 8,192 that a
#    ring of requests in flight used to hold, and the load then stood still until the
#    oldest lost one timed out (8,191 sent). 16,000 leaves room for a generator that a busy
#    host held back near the end.
#    At 8 bytes, too small for a header, echoes are matched by their bytes, which name the
#    request modulo 256: a lost request does not shift the others' echoes onto it.  That
#    holds while every echo is back within 256 requests' time: at 2,000/s that is 128 ms,
#    ten times the longest stall seen on a loaded host (at 20,000/s it was 12.8 ms, and a
#    busy host's late echoes were matched to later requests as duplicates).
start drop "$zoo_bin" --bind 127.0.0.1 drop-every-other
for run in "64 20000 16000" "8 2000 1600"; do
	read -r size rate least <<<"$run"
	"$client_bin" bench 127.0.0.1 "$port" --duration 1 --rate "$rate" --size "$size" \
		--format json >"$tmp/l.json"
	if jq -e --argjson least "$least" '.wrong == 0 and .duplicates == 0 and
		(.loss_pct >= 45 and .loss_pct <= 55) and .sent >= $least' "$tmp/l.json" >/dev/null; then
		echo "ok   drop-every-other, --size $size: $(jq .loss_pct "$tmp/l.json")% loss, $(jq .sent "$tmp/l.json") sent on schedule"
	else
		fail "loss, --size $size: $(cat "$tmp/l.json")"
	fi
done

# 3b. Closed loop: the first 3 requests lost (a burst that overflowed the server's buffer)
#     while the rest of the window goes on. Lost exactly 3, and the load does not stop at a
#     ring's worth of requests (it did, at 8,191, until the lost ones timed out).  3 s: a
#     loaded host sent 7,700 a second here, an idle one 30,000.
start dropfirst "$zoo_bin" --bind 127.0.0.1 drop-first 3
"$client_bin" bench 127.0.0.1 "$port" --duration 3 --window 4 --format json >"$tmp/l.json"
if jq -e '.wrong == 0 and .lost == 3 and .echoed == .sent - 3 and .sent > 8200' \
	"$tmp/l.json" >/dev/null; then
	echo "ok   drop-first 3: 3 lost of $(jq .sent "$tmp/l.json"), the window went on"
else
	fail "drop-first 3: $(cat "$tmp/l.json")"
fi

# 3c. A server that answers twice: every request echoed once, and every second copy a
#     duplicate, with a header (64 bytes) and without (8, and 1 in an open loop).
start twice "$zoo_bin" --bind 127.0.0.1 twice
for args in "--size 64" "--size 8" "--size 1 --rate 5000"; do
	# shellcheck disable=SC2086
	"$client_bin" bench 127.0.0.1 "$port" --duration 0.5 --format json $args >"$tmp/t.json"
	# The last echo's copy may come after the drain.
	if jq -e '.wrong == 0 and .lost == 0 and .echoed == .sent and
		.duplicates >= .echoed - 1 and .duplicates <= .echoed' "$tmp/t.json" >/dev/null; then
		echo "ok   twice, bench $args: $(jq .duplicates "$tmp/t.json") duplicates, none wrong"
	else
		fail "twice, bench $args: $(cat "$tmp/t.json")"
	fi
done

# 3d. An open loop beyond what the generator can send (10^8/s for 0.3 s): it says so, with
#     how late its requests left and how many never did, and the two add up to the schedule.
start fast "$server_bin" --bind 127.0.0.1 --port 0 --rcvbuf 8388608
"$client_bin" bench 127.0.0.1 "$port" --duration 0.3 --rate 100000000 --format json >"$tmp/o.json"
if jq -e '.wrong == 0 and .sent + .unsent == 30000000 and .unsent > 0 and .late_sends > 0 and
	.max_late_ms >= 1' "$tmp/o.json" >/dev/null &&
	"$client_bin" bench 127.0.0.1 "$port" --duration 0.1 --rate 100000000 |
	grep -q "^behind schedule: .* never left: the generator's limit"; then
	echo "ok   --rate 10^8: $(jq .sent "$tmp/o.json") sent, $(jq .unsent "$tmp/o.json") never left, up to $(jq .max_late_ms "$tmp/o.json") ms late"
else
	fail "--rate 10^8: $(cat "$tmp/o.json")"
fi

# 4. Altered echoes are counted as wrong, never timed, also when they arrive as GRO runs.
start flip "$zoo_bin" --bind 127.0.0.1 flip-at 700
for args in "--size 1400" "--size 1400 --gso"; do
	# shellcheck disable=SC2086
	"$client_bin" bench 127.0.0.1 "$port" --duration 0.3 --format json $args >"$tmp/f.json" || true
	if jq -e '.echoed == 0 and .wrong > 0 and .wrong == .sent' "$tmp/f.json" >/dev/null; then
		echo "ok   flip-at 700, bench $args: $(jq .wrong "$tmp/f.json") wrong, none timed"
	else
		fail "flip-at 700, bench $args: $(cat "$tmp/f.json")"
	fi
done
"$client_bin" bench 127.0.0.1 "$port" --duration 0.3 --format json --size 600 --gso >"$tmp/f.json"
jq -e '.echoed > 0 and .wrong == 0' "$tmp/f.json" >/dev/null ||
	fail "flip-at 700 altered a 600-byte echo: $(cat "$tmp/f.json")"

# 4b. Every byte is checked, the header too: byte 10 is in the due time (also at --size 16,
#     all header), byte 3 in the sequence number. An echo naming a request never sent is
#     wrong, matched to the oldest request in flight: not ignored, and not loss. At 8
#     bytes, without a header, byte 3 is pattern: wrong too, and pinned on its request.
for at in 10 3; do
	start "flip$at" "$zoo_bin" --bind 127.0.0.1 flip-at "$at"
	sizes="64 16"
	[ "$at" -lt 8 ] && sizes="$sizes 8"
	for size in $sizes; do
		"$client_bin" bench 127.0.0.1 "$port" --duration 0.3 --format json --size "$size" \
			>"$tmp/f.json" || true
		if jq -e '.echoed == 0 and .wrong > 0 and .wrong == .sent and .lost == 0' \
			"$tmp/f.json" >/dev/null; then
			echo "ok   flip-at $at, bench --size $size: $(jq .wrong "$tmp/f.json") wrong"
		else
			fail "flip-at $at, bench --size $size: $(cat "$tmp/f.json")"
		fi
	done
done

# 5. Usage errors exit 2 with one line, sizes beyond the family's too (v4-mapped is IPv4).
usage_error() { # WANT ARGS...: bench ARGS exits 2, saying WANT in one line
	local want=$1 status=0
	shift
	"$client_bin" bench "$@" >"$tmp/u.out" 2>"$tmp/u.err" || status=$?
	if [ "$status" -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(wc -l <"$tmp/u.err")" -eq 1 ] &&
		grep -qF "$want" "$tmp/u.err"; then
		echo "ok   bench $*: $(cat "$tmp/u.err")"
	else
		fail "bench $* exited $status: $(cat "$tmp/u.out" "$tmp/u.err")"
	fi
}
usage_error "give HOST and PORT" 127.0.0.1
usage_error "larger than the IPv4 maximum of 65507" 127.0.0.1 9 --size 65508
usage_error "larger than the IPv4 maximum of 65507" ::ffff:127.0.0.1 9 --size 65508
usage_error "not a number from 0 to 65527" ::1 9 --size 65528
usage_error "give -4 or -6, not both" 127.0.0.1 9 -4 -6
usage_error "'86401' is out of range (more than 0, at most 86400s)" 127.0.0.1 9 --duration 86401
usage_error "'1441m' is out of range" 127.0.0.1 9 --duration 1441m
usage_error "'0' is out of range" 127.0.0.1 9 --duration 0
usage_error "'soon' is not a duration" 127.0.0.1 9 --duration soon
# The open loop has no window: --window with --rate was silently ignored.
usage_error "give --rate (open loop) or --window (closed loop), not both" 127.0.0.1 9 \
	--rate 10 --window 4

# 6. Nothing listening (the port of the server stopped in 1): sends refused, and bench says why.
#    A network error, exit 2, as check, ping and send say it (it was 1, as for a silent server).
status=0
"$client_bin" bench 127.0.0.1 "$server_port" --duration 0.2 >/dev/null 2>"$tmp/r.err" ||
	status=$?
if [ "$status" -eq 2 ] && grep -q "Connection refused during the run" "$tmp/r.err"; then
	echo "ok   nothing listening: exit 2, $(cat "$tmp/r.err")"
else
	fail "nothing listening: exit $status: $(cat "$tmp/r.err")"
fi

[ "$failures" -eq 0 ] || exit 1
echo "bench: counts, latency and loss as expected"
