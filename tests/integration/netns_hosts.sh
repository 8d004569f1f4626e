#!/usr/bin/env bash
# Two hosts in network namespaces made here (198.18.0.0/15 and fd00::/8),
# joined by a veth pair with a 1500-byte MTU: every datagram above 1472
# (IPv4) or 1452 (IPv6) bytes crosses as IP fragments.  The server host has
# two addresses on its interface.  udpecho check, run on the client host,
# must pass udpecho-server on IPv4 and IPv6 up to 65,507 / 65,527 bytes,
# and must catch a textbook wildcard server answering from the wrong one of
# the two addresses.  A batch of 3000-byte datagrams from one client, which
# the server would answer as one GSO run, is refused as such by the path's
# MTU and must go back datagram by datagram.  Needs root (CI runs as root); skips with a reason
# otherwise.
set -euo pipefail
server_bin=$1 client_bin=$2 zoo_bin=$3

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: network namespaces need root (CI runs as root)"
	exit 0
fi
srv=ue-srv-$$ cli=ue-cli-$$ tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
ip link add ue-s$$ type veth peer name ue-c$$
ip link set ue-s$$ netns "$srv"
ip link set ue-c$$ netns "$cli"
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up
ip -n "$srv" link set ue-s$$ mtu 1500 up
ip -n "$cli" link set ue-c$$ mtu 1500 up
ip -n "$srv" addr add 198.18.1.1/24 dev ue-s$$
ip -n "$srv" addr add 198.18.1.11/24 dev ue-s$$
ip -n "$cli" addr add 198.18.1.2/24 dev ue-c$$
ip -n "$srv" addr add fd00:1::1/64 dev ue-s$$ nodad
ip -n "$srv" addr add fd00:1::11/64 dev ue-s$$ nodad
ip -n "$cli" addr add fd00:1::2/64 dev ue-c$$ nodad

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# start NAME CMD...: runs CMD on the server host, waits for its "port N" line,
# and sets $port.  Not in a $(...) subshell: the pid must reach cleanup.
start() {
	local name=$1
	port=
	shift
	ip netns exec "$srv" "$@" >"$tmp/$name.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do
		port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$tmp/$name.out" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$tmp/$name.out"; return 1; }
}

# check NAME HOST PORT JQ: runs udpecho check from the client host; JQ must hold.
check() {
	local name=$1 host=$2 port=$3 want=$4 status=0
	ip netns exec "$cli" "$client_bin" check "$host" "$port" --format json \
		--only 'echo.*,reply.*,burst.*,clients.*,safety.amplification' >"$tmp/$name.json" || status=$?
	if jq -e "$want" "$tmp/$name.json" >/dev/null; then
		echo "ok   $name"
	else
		fail "$name (exit $status)"
		cat "$tmp/$name.json"
	fi
}

all_pass='.summary.failed == 0 and .summary.warned == 0'
max() { echo ".checks[] | select(.id == \"echo.sizes\") | .evidence.max_exact == $1"; }

start udpecho "$server_bin" --bind :: --port 0
check "udpecho-server, IPv4 across hosts, fragments up to 65507" 198.18.1.1 "$port" \
	"$all_pass and ($(max 65507))"
check "udpecho-server answers from the second address" 198.18.1.11 "$port" "$all_pass"
check "udpecho-server, IPv6 across hosts, fragments up to 65527" fd00:1::11 "$port" \
	"$all_pass and ($(max 65527))"

start naive "$zoo_bin" --bind 0.0.0.0 plain
check "a textbook wildcard server answers from the wrong address" 198.18.1.11 "$port" \
	'[.checks[] | select(.status == "fail") | .id] == ["reply.source"] and
	 (.checks[] | select(.id == "reply.source") | .detail | startswith("reply came from 198.18.1.1:"))'

# The server is stopped while the first batch arrives, so it finds the five
# datagrams together and tries one UDP_SEGMENT send of 3000-byte segments:
# above the 1500-byte MTU, refused.  Every echo must still come back whole,
# and a smaller size afterwards as well.
start batch "$server_bin" --bind 198.18.1.1 --port 0
batch_pid=${pids[-1]}
kill -STOP "$batch_pid"
for size in 3000 1000; do
	ip netns exec "$cli" "$client_bin" bench 198.18.1.1 "$port" --size "$size" --window 5 \
		--duration 1 --format json >"$tmp/bench$size.json" &
	bench_pid=$!
	sleep 0.3
	kill -CONT "$batch_pid"
	wait "$bench_pid" || true
	if jq -e '.echoed > 0 and .echoed == .sent and .wrong == 0 and .lost == 0' \
		"$tmp/bench$size.json" >/dev/null; then
		echo "ok   a $size-byte batch from one client comes back whole"
	else
		fail "a $size-byte batch from one client comes back whole"
		cat "$tmp/bench$size.json"
	fi
done
kill -TERM "$batch_pid"
wait "$batch_pid" || true
summary=$(grep '^summary: ' "$tmp/batch.out" || true)
sent=$(jq -s 'map(.sent) | add' "$tmp/bench3000.json" "$tmp/bench1000.json")
if [[ "$summary" == *" received=$sent "* && "$summary" == *" echoed=$sent "* &&
	"$summary" == *" send_errors=0 "* ]]; then
	echo "ok   the server counted every one of the $sent echoed"
else
	fail "server summary after the batches (wanted $sent received and echoed): $summary"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures namespace check(s) failed"
	exit 1
fi
echo "namespace hosts: all checks as expected"
