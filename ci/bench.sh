#!/usr/bin/env bash
# Side by side, in one run, on loopback: udpecho-server, the textbook
# recvfrom/sendto loop (tests/zoo/zoo_server.c "plain") and the classic
# Python example server (tests/baseline/classic_server.py, if python3 is
# installed), under `udpecho bench` closed-loop load with plain and GSO
# sends at 64, 1400 and 65,507 bytes, alternating servers per case.  Prints
# echoes/s, the ratio to the textbook loop, server CPU time per echo, and
# latency percentiles at a fixed open-loop rate.  Figures, not a test.
#
#   ci/bench.sh [SECONDS]     (default 3 per case)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3}

bash ci/deps.sh >/dev/null
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
bin=build/default
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

start() { # NAME CMD...: sets port and pid
	"${@:2}" >"$tmp/$1.out" 2>&1 &
	pid=$!
	port=
	for _ in $(seq 200); do
		port=$(sed -n '1s/.* port \([0-9]*\)$/\1/p' "$tmp/$1.out")
		[ -n "$port" ] && return
		sleep 0.05
	done
	echo "bench: $1 did not start" >&2
	exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The textbook loop first: the ratio column is to it.
servers=("textbook loop:$bin/tests/zoo_server --bind 127.0.0.1 plain"
	"udpecho-server:$bin/udpecho-server --bind 127.0.0.1 --port 0")
if command -v python3 >/dev/null; then
	servers+=("classic Python:python3 tests/baseline/classic_server.py 0")
fi

hz=$(getconf CLK_TCK)
printf '%-16s %-22s %12s %8s %14s %10s\n' server load echoes/s ratio "CPU us/echo" "loss %"
for load in "--size 64" "--size 64 --gso" "--size 1400" "--size 1400 --gso" \
	"--size 65507 --window 2"; do
	base=
	for entry in "${servers[@]}"; do
		name=${entry%%:*}
		cmd=${entry#*:}
		# The classic server reads 4096 bytes at most: it cannot echo 65,507.
		if [ "$name" = "classic Python" ] && [[ "$load" == *65507* ]]; then
			printf '%-16s %-22s %12s\n' "$name" "$load" "(truncates at 4096)"
			continue
		fi
		# shellcheck disable=SC2086
		start server $cmd
		before=$(cpu_ticks "$pid")
		# shellcheck disable=SC2086
		"$bin/udpecho" bench 127.0.0.1 "$port" --duration "$secs" --window 64 $load \
			--format json >"$tmp/r.json"
		after=$(cpu_ticks "$pid")
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		pid=
		rate=$(jq .echoes_per_s "$tmp/r.json")
		echoed=$(jq .echoed "$tmp/r.json")
		[ -n "$base" ] || base=$rate
		printf '%-16s %-22s %12.0f %7.2fx %14.2f %10.3f\n' "$name" "$load" "$rate" \
			"$(echo "$rate / $base" | bc -l)" \
			"$(echo "($after - $before) * 1000000 / $hz / ($echoed + 1)" | bc -l)" \
			"$(jq .loss_pct "$tmp/r.json")"
	done
done

echo
echo "latency at a fixed open-loop rate of 20,000/s, 64 bytes (ms):"
for entry in "${servers[@]}"; do
	name=${entry%%:*}
	# shellcheck disable=SC2086
	start server ${entry#*:}
	"$bin/udpecho" bench 127.0.0.1 "$port" --duration "$secs" --rate 20000 --format json \
		>"$tmp/r.json"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	printf '%-16s %s\n' "$name" "$(jq -r '.latency_ms | "p50 \(.p50)  p90 \(.p90)  p99 \(.p99)  p99.9 \(."p99.9")  max \(.max)"' "$tmp/r.json")"
done
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
