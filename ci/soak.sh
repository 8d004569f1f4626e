#!/usr/bin/env bash
# Sustained mixed load on one udpecho-server for MINUTES: rounds of 5 s in
# which four `udpecho bench` clients run at once (0-byte, 64-byte, 1400-byte
# GSO, and 65,507-byte datagrams).  After every round a row: the server's
# memory (RSS) and CPU, and what the clients sent, got back exactly, got
# wrong and lost.  At the end the server's own counters must add up to what
# the clients sent.  Not part of the default CI run.
#
#   ci/soak.sh MINUTES      (decimals allowed: 0.5 is one 30-second soak)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: ci/soak.sh MINUTES}
round=5

bash ci/deps.sh >/dev/null
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
bin=build/default
tmp=$(mktemp -d)
"$bin/udpecho-server" --bind 127.0.0.1 --port 0 >"$tmp/server.out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do grep -q 'starting up' "$tmp/server.out" && break; sleep 0.05; done
port=$(sed -n '1s/.* port \([0-9]*\)$/\1/p' "$tmp/server.out")

loads=("--size 0" "--size 64" "--size 1400 --gso" "--size 65507 --window 2")
end=$(awk -v now="$(date +%s)" -v m="$minutes" 'BEGIN {printf "%d", now + m * 60}')
sent=0 echoed=0 wrong=0 lost=0 start=$(date +%s) first_rss=
printf '%8s %10s %10s %12s %12s %8s %8s\n' elapsed "RSS KiB" "CPU s" sent echoed wrong lost
while [ "$(date +%s)" -lt "$end" ]; do
	i=0
	for load in "${loads[@]}"; do
		# shellcheck disable=SC2086
		"$bin/udpecho" bench 127.0.0.1 "$port" --duration "$round" --format json $load \
			>"$tmp/r$i.json" &
		i=$((i + 1))
	done
	mapfile -t clients < <(jobs -p | grep -v "^$pid$")
	wait "${clients[@]}" 2>/dev/null || true
	for ((j = 0; j < i; j++)); do
		sent=$((sent + $(jq .sent "$tmp/r$j.json")))
		echoed=$((echoed + $(jq .echoed "$tmp/r$j.json")))
		wrong=$((wrong + $(jq .wrong "$tmp/r$j.json")))
		lost=$((lost + $(jq .lost "$tmp/r$j.json")))
	done
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	[ -n "$first_rss" ] || first_rss=$rss
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat")
	printf '%7ds %10s %10s %12s %12s %8s %8s\n' $(($(date +%s) - start)) "$rss" "$cpu" "$sent" \
		"$echoed" "$wrong" "$lost"
done
kill -TERM "$pid"
wait "$pid" || true
received=$(sed -n 's/.*summary: received=\([0-9]*\) .*/\1/p' "$tmp/server.out")
grep summary "$tmp/server.out"
status=0
echo "memory: $first_rss KiB after the first round, $rss KiB at the end"
[ $((rss - first_rss)) -le 2048 ] || { echo "FAIL: memory grew by more than 2 MiB"; status=1; }
[ "$wrong" -eq 0 ] || { echo "FAIL: $wrong wrong echoes"; status=1; }
# The server counts what reached it; the kernel may drop some when its buffer is full.
[ "$received" -le "$sent" ] && [ "$received" -ge "$echoed" ] ||
	{ echo "FAIL: server received $received, clients sent $sent and got $echoed back"; status=1; }
exit "$status"
