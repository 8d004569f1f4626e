#!/usr/bin/env bash
# The main job: install what is missing, build, start udpecho-server on an
# ephemeral loopback port, and show the classic exchange plus the cases the
# classic example gets wrong (an empty datagram, a 65,507-byte one).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
bin=build/default

log=$(mktemp)
big=$(mktemp)
"$bin/udpecho-server" --port 0 -v >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log" "$big"' EXIT

port=
for _ in $(seq 200); do
	port=$(sed -n 's/^starting up on .* port \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "main: udpecho-server did not start" >&2; cat "$log" >&2; exit 1; }

status=0
echo "\$ udpecho send --port $port"
"$bin/udpecho" send --port "$port" || status=1
echo
echo "\$ udpecho send --port $port --hex ''     # an empty datagram"
"$bin/udpecho" send --port "$port" --hex '' || status=1
head -c 65507 /dev/urandom >"$big"
echo
echo "\$ udpecho send --port $port --file 65507-random-bytes | cut -c1-60"
"$bin/udpecho" send --port "$port" --file "$big" | cut -c1-60 || status=1

kill -INT "$server"
wait "$server" || status=1
echo
echo "--- udpecho-server -v (datagram reprs cut at 100 columns)"
cut -c1-100 "$log"
[ "$status" -eq 0 ] && echo "main: every echo exact" || echo "main: FAILED" >&2
exit "$status"
