#!/usr/bin/env bash
# `udpecho check --evidence DIR`, read by a real capture reader: for a
# failing check (a server that truncates at 4096 bytes) and for a server
# that answers nothing, on IPv4 and IPv6, tcpdump must list the exchange
# with the right addresses, ports and lengths and every UDP checksum right;
# the text must hold the hex around the first difference and a command
# that, run, reproduces the failure.
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
udpecho=$1 zoo=$2
tmp=$(mktemp -d)
pids=()
port=
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v tcpdump >/dev/null; then
	echo "SKIP: tcpdump is not installed (package tcpdump): no reader to prove the pcap files"
	exit 77
fi

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }


# truncated HOST: echo.sizes against the 4096-byte buffer.
truncated() {
	local host=$1 dir=$tmp/trunc.$1 dump
	start_zoo "$zoo" "$tmp" "$host" truncate 4096
	"$udpecho" check "$host" "$port" --only 'echo.*' --evidence "$dir" >/dev/null || true
	[ -s "$dir/echo.sizes.pcap" ] && [ -s "$dir/echo.sizes.txt" ] ||
		{ fail "$host: no echo.sizes evidence: $(ls "$dir" 2>&1)"; return; }
	[ ! -e "$dir/echo.basic.pcap" ] || fail "$host: evidence for a check that passed"
	local h=${host//./\\.}
	dump=$(tcpdump -r "$dir/echo.sizes.pcap" -n -vv 2>/dev/null)
	# The request of 4097 bytes to the server, and its reply of 4096 from it.
	echo "$dump" | grep -Eq "(^| )$h\.[0-9]+ > $h\.$port: \[udp sum ok\] UDP, length 4097$" ||
		fail "$host: tcpdump shows no 4097-byte request to port $port:"$'\n'"$dump"
	echo "$dump" | grep -Eq "(^| )$h\.$port > $h\.[0-9]+: \[udp sum ok\] UDP, length 4096$" ||
		fail "$host: tcpdump shows no 4096-byte reply from port $port"
	[ "$(echo "$dump" | grep -c 'UDP, length')" -eq 40 ] ||
		fail "$host: wanted 20 requests and 20 replies, tcpdump read $(echo "$dump" | grep -c 'UDP, length')"
	if echo "$dump" | grep -q 'bad udp cksum\|bad cksum'; then
		fail "$host: a checksum is wrong"
	fi
	grep -q '^first difference at byte 4096' "$dir/echo.sizes.txt" ||
		fail "$host: no hex around the difference: $(cat "$dir/echo.sizes.txt")"
	# The command in the text reproduces the truncation.
	local cmd
	cmd=$(sed -n 's/^reproduce: udpecho //p' "$dir/echo.sizes.txt")
	[ -n "$cmd" ] || { fail "$host: no reproduce line"; return; }
	if eval "\"\$udpecho\" $cmd" >"$tmp/send.out" 2>&1; then
		fail "$host: the reproduce command passed: $cmd"
	fi
	grep -q 'reply is 4096 bytes, request was 4097' "$tmp/send.out" ||
		fail "$host: the reproduce command said: $(cat "$tmp/send.out")"
}

# silent HOST: server.alive's evidence holds the requests nobody answered.
silent() {
	local host=$1 dir=$tmp/silent.$1 dump
	start_zoo "$zoo" "$tmp" "$host" silent
	"$udpecho" check "$host" "$port" --timeout 20ms --evidence "$dir" >/dev/null || true
	[ -s "$dir/server.alive.pcap" ] || { fail "$host: no server.alive evidence"; return; }
	local h=${host//./\\.}
	dump=$(tcpdump -r "$dir/server.alive.pcap" -n 2>/dev/null)
	echo "$dump" | grep -Eq " $h\.[0-9]+ > $h\.$port: UDP, length 24$" ||
		fail "$host: the silent server's requests are not in the pcap:"$'\n'"$dump"
	if echo "$dump" | grep -Eq " $h\.$port > "; then
		fail "$host: a reply from a silent server"
	fi
	grep -q '^request 1 (24 bytes) got no reply' "$dir/server.alive.txt" ||
		fail "$host: $(cat "$dir/server.alive.txt")"
}

for host in 127.0.0.1 ::1; do
	truncated "$host"
	silent "$host"
done
if [ "$failures" -ne 0 ]; then
	echo "$failures evidence problem(s)"
	exit 1
fi
echo "check evidence: pcap read by tcpdump (addresses, ports, lengths, checksums) and text, IPv4 and IPv6"
