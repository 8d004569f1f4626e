#!/usr/bin/env bash
# udpecho fuzz's speed against udpecho bench's verified rate, side by side
# on one udpecho-server on loopback: for each size, bench --size N (every
# echo checked) and fuzz --max-size N (sizes 0..N, every reply judged),
# alternating, ROUNDS times; prints each one's datagrams/s (median) and the
# ratio.  The target: fuzz at least a third of bench.  Figures, not a test.
#
#   ci/fuzz_speed.sh [SECONDS [ROUNDS]]   (default 3 s, 3 rounds)
#
# UDPECHO_BUILD=build/dir uses that build as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../tests/lib/startup.sh
source tests/lib/startup.sh
secs=${1:-3}
rounds=${2:-3}
if [ -n "${UDPECHO_BUILD:-}" ]; then
	bin=$UDPECHO_BUILD
else
	bash ci/deps.sh >/dev/null
	cmake --preset default >/dev/null
	cmake --build --preset default -j "$(nproc)" >/dev/null
	bin=build/default
fi
tmp=$(mktemp -d)
pid=
# shellcheck disable=SC2317
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

: >"$tmp/server.out"
"$bin/udpecho-server" --bind 127.0.0.1 --port 0 >"$tmp/server.out" 2>&1 &
pid=$!
port=$(startup_port "$tmp/server.out")

printf '%-8s %16s %16s %8s %s\n' size "bench echoes/s" "fuzz dgrams/s" ratio target
for size in 64 1400; do
	for ((r = 0; r < rounds; r++)); do
		"$bin/udpecho" bench 127.0.0.1 "$port" --size "$size" --duration "$secs" \
			--format json | jq .echoes_per_s >>"$tmp/bench.$size"
		"$bin/udpecho" fuzz 127.0.0.1 "$port" --max-size "$size" --duration "$secs" \
			--seed "$r" --out "$tmp/findings" --format json |
			jq '.datagrams / .seconds' >>"$tmp/fuzz.$size"
	done
	b=$(median <"$tmp/bench.$size")
	f=$(median <"$tmp/fuzz.$size")
	ratio=$(echo "$f / $b" | bc -l)
	printf '%-8s %16.0f %16.0f %7.3fx %s\n' "$size" "$b" "$f" "$ratio" \
		"$([ "$(echo "$ratio >= 1/3" | bc -l)" -eq 1 ] && echo "MET (>= 1/3)" || echo "MISSED (>= 1/3)")"
done
echo
echo "bench: closed loop, 1 socket x window 32, fixed size; fuzz: rounds of 1-32 datagrams of"
echo "0..size bytes from 2 sockets, each round waiting for its replies (polling without sleep for"
echo "its first ms); ${secs} s, median of $rounds"
echo "machine: $(nproc) cores, $(uname -sr)"
