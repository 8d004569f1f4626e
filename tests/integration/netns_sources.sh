#!/usr/bin/env bash
# Sources no real sender has, sent for real.  Two hosts in namespaces made
# here; the client host forges datagrams with a raw socket and udpecho-server
# (dual-stack, -v) must drop each with its reason, requests to a broadcast
# address or a multicast group too, and still echo a normal one.  The server host accepts 127.0.0.0/8 sources on its veth
# (route_localnet, accept_local, no rp_filter) so that a spoofed loopback
# source reaches the server, which must refuse it itself.  Needs root.
set -euo pipefail
server_bin=$1 forge_bin=$2 client_bin=$3

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: raw sockets and network namespaces need root (CI runs as root)"
	exit 0
fi
srv=ue-ssrv-$$ cli=ue-scli-$$ tmp=$(mktemp -d) pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
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
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set ue-s$$ up
ip -n "$cli" link set ue-c$$ up
ip -n "$srv" addr add 198.18.1.1/24 dev ue-s$$
ip -n "$cli" addr add 198.18.1.2/24 dev ue-c$$
ip -n "$srv" addr add fd00:1::1/64 dev ue-s$$ nodad
ip -n "$cli" addr add fd00:1::2/64 dev ue-c$$ nodad
for key in route_localnet accept_local; do
	ip netns exec "$srv" sysctl -qw "net.ipv4.conf.all.$key=1" "net.ipv4.conf.ue-s$$.$key=1"
done
ip netns exec "$srv" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.ue-s$$.rp_filter=0"

ip netns exec "$srv" "$server_bin" --bind :: --port 7007 -v >"$tmp/server.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'starting up' "$tmp/server.out" && break; sleep 0.05; done

# The path is ready (carrier, ARP, neighbour discovery) once a real echo crosses it.
for target in 198.18.1.1 fd00:1::1; do
	for i in $(seq 20); do
		ip netns exec "$cli" "$client_bin" send --host "$target" --port 7007 --timeout 0.25 \
			>/dev/null 2>&1 && break
		[ "$i" -lt 20 ] || { echo "FAIL: no echo from $target"; cat "$tmp/server.out"; exit 1; }
	done
done

forge() { ip netns exec "$cli" "$forge_bin" "$@"; }
forge ::ffff:198.18.1.2 fd00:1::1 7007 mapped-in-ipv6 # an IPv4-mapped source in an IPv6 packet
forge :: fd00:1::1 7007 unspecified                   # the unspecified address
forge ::198.18.1.2 fd00:1::1 7007 compatible          # a deprecated IPv4-compatible address
forge 127.0.0.1 198.18.1.1 7007 loopback              # a loopback source off the wire
forge 198.18.1.2 198.18.1.255 7007 subnet-broadcast   # to every host of the subnet (Fraggle)
forge fd00:1::2 "ff02::1%ue-c$$" 7007 all-nodes       # to every IPv6 node on the link
forge 198.18.1.2 198.18.1.1 7007 normal               # a real one: echoed
sleep 0.5
kill -INT "$pid"
wait "$pid" || true
pid=

failures=0
expect() {
	if grep -q -- "$1" "$tmp/server.out"; then
		echo "ok   $2"
	else
		echo "FAIL $2: no '$1' in the server's transcript"
		failures=$((failures + 1))
	fi
}
# fate PAYLOAD REASON WHAT: -v prints each datagram, then its fate on the next lines.
fate() {
	if grep -A2 "b'$1'" "$tmp/server.out" | grep -q "dropped: $2"; then
		echo "ok   $3: $2"
	else
		echo "FAIL $3: not dropped as $2"
		failures=$((failures + 1))
	fi
}
fate mapped-in-ipv6 bad_source "v4-mapped source inside an IPv6 packet"
fate unspecified bad_source "unspecified source"
fate compatible bad_source "IPv4-compatible source"
fate loopback spoofed "loopback source from the veth"
fate subnet-broadcast not_unicast "request to the subnet's broadcast address"
fate all-nodes not_unicast "request to the IPv6 all-nodes group"
expect "sent 6 bytes back to ('::ffff:198.18.1.2', 40000, 0, 0)" "a real source is echoed"
expect " dropped=6 bad_peer=0 bad_source=3 spoofed=1 not_unicast=2 " "counters by reason"
if [ "$failures" -ne 0 ]; then
	cat "$tmp/server.out"
	exit 1
fi
echo "forged sources: every one dropped with its reason"
