#!/usr/bin/env bash
# Side by side, in one run, on loopback: udpecho-server with 1 and 2
# threads, the textbook loop (tests/baseline/textbook_server.c: a blocking
# recvfrom, a sendto), the plain recvmmsg/sendmmsg loop (tests/baseline/mmsg_server.c,
# batch 64, no GRO) and the classic Python example server
# (tests/baseline/classic_server.py, if python3 is installed), under the same
# `udpecho bench` closed-loop loads: plain and GSO sends at 64, 1400 and
# 65,507 bytes, servers alternating within each case, each round in a
# rotated order.  Prints echoes/s, the ratio to the textbook loop, server
# CPU time per echo (all threads of the server process), loss; then server
# CPU per echo measured in pairs (udpecho-server and one baseline at the same
# moment on the same CPU, their generators on the other, with an A/A pair for
# the noise left); then
# latency percentiles at a fixed open-loop rate; then the performance targets,
# each MET or MISSED (CPU targets from the paired figures).  Figures, not a
# test.
#
#   ci/bench.sh [SECONDS [ROUNDS]]   (default 3 s per case, 1 round; with
#                                     more rounds each figure is the median)
#
# UDPECHO_BUILD=build/dir uses that build as it is (no configure, no build).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../tests/lib/startup.sh
source tests/lib/startup.sh
secs=${1:-3}
rounds=${2:-1}

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
pair_pids=()
# $pid unquoted: empty when no server runs.
# shellcheck disable=SC2086
cleanup() {
	kill $pid "${pair_pids[@]}" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

start() { # NAME CMD...: sets port and pid
	: >"$tmp/$1.out" # before the background job opens it: sed must find it at once
	"${@:2}" >"$tmp/$1.out" 2>&1 &
	pid=$!
	port=$(startup_port "$tmp/$1.out") && return
	echo "bench: $1 did not start" >&2
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# utime + stime of the whole process (every thread), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# CPU time of the whole process (every thread) in nanoseconds, from the scheduler's own clock.
# printf, not print: mawk prints a sum past 2^31 as 2.3e+09, which bc cannot read.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{t += $1} END {printf "%.0f\n", t}'; }

# The textbook loop first: the ratio column is to it.
servers=("textbook loop:$bin/tests/integration/textbook_server --bind 127.0.0.1"
	"mmsg loop:$bin/tests/integration/mmsg_server --bind 127.0.0.1"
	"udpecho-server:$bin/udpecho-server --bind 127.0.0.1 --port 0"
	"udpecho-server x2:$bin/udpecho-server --bind 127.0.0.1 --port 0 --threads 2")
if command -v python3 >/dev/null; then
	servers+=("classic Python:python3 tests/baseline/classic_server.py 0")
fi
# Two sockets in every load, so that the two SO_REUSEPORT workers can both get work.
common="--sockets 2 --window 32"

hz=$(getconf CLK_TCK)
declare -A rate cpu
printf '%-18s %-24s %12s %8s %12s %8s\n' server load echoes/s ratio "CPU us/echo" "loss %"
for load in "--size 64" "--size 64 --gso" "--size 1400" "--size 1400 --gso" \
	"--size 65507 --window 1"; do
	base=
	for ((r = 0; r < rounds; r++)); do
		# Each round starts one server further on: no server always follows the same one.
		for ((k = 0; k < ${#servers[@]}; k++)); do
			entry=${servers[(k + r) % ${#servers[@]}]}
			name=${entry%%:*}
			# The classic server reads 4096 bytes at most: it cannot echo 65,507.
			[[ "$name" == "classic Python" && "$load" == *65507* ]] && continue
			# shellcheck disable=SC2086
			start server ${entry#*:}
			before=$(cpu_ticks "$pid")
			# shellcheck disable=SC2086
			"$bin/udpecho" bench 127.0.0.1 "$port" --duration "$secs" $common $load \
				--format json >"$tmp/r.json"
			after=$(cpu_ticks "$pid")
			stop
			jq .echoes_per_s "$tmp/r.json" >>"$tmp/rate.$name"
			echo "($after - $before) * 1000000 / $hz / ($(jq .echoed "$tmp/r.json") + 1)" |
				bc -l >>"$tmp/cpu.$name"
			jq .loss_pct "$tmp/r.json" >>"$tmp/loss.$name"
		done
	done
	for entry in "${servers[@]}"; do
		name=${entry%%:*}
		if [ ! -s "$tmp/rate.$name" ]; then
			printf '%-18s %-24s %12s\n' "$name" "$load" "(truncates at 4096)"
			continue
		fi
		rate[$name,$load]=$(median <"$tmp/rate.$name")
		cpu[$name,$load]=$(median <"$tmp/cpu.$name")
		[ -n "$base" ] || base=${rate[$name,$load]}
		printf '%-18s %-24s %12.0f %7.2fx %12.2f %8.3f\n' "$name" "$load" \
			"${rate[$name,$load]}" "$(echo "${rate[$name,$load]} / $base" | bc -l)" \
			"${cpu[$name,$load]}" "$(median <"$tmp/loss.$name")"
		rm -f "$tmp/rate.$name" "$tmp/cpu.$name" "$tmp/loss.$name"
	done
done

# pair_once CMD_A CMD_B LOAD: both servers at once, both pinned to CPU 0,
# each loaded by its own generator, both pinned to CPU 1.  Prints A's CPU
# time per echo over B's.
pair_once() {
	local cmds=("$1" "$2") load=$3 k
	local -a ports before gens per
	pair_pids=()
	for k in 0 1; do
		: >"$tmp/pair$k.out"
		# shellcheck disable=SC2086
		taskset -c 0 ${cmds[k]} >"$tmp/pair$k.out" 2>&1 &
		pair_pids+=($!)
	done
	for k in 0 1; do
		if ! ports[k]=$(startup_port "$tmp/pair$k.out"); then
			echo "bench: ${cmds[k]} did not start" >&2
			exit 1
		fi
	done
	for k in 0 1; do before[k]=$(cpu_ns "${pair_pids[k]}"); done
	for k in 0 1; do
		# shellcheck disable=SC2086
		taskset -c 1 "$bin/udpecho" bench 127.0.0.1 "${ports[k]}" --duration "$secs" \
			$common $load --format json >"$tmp/pair$k.json" &
		gens[k]=$!
	done
	wait "${gens[0]}"
	wait "${gens[1]}"
	for k in 0 1; do
		per[k]=$(echo "($(cpu_ns "${pair_pids[k]}") - ${before[k]}) / ($(jq .echoed "$tmp/pair$k.json") + 1)" | bc -l)
		if [ -z "${per[k]}" ]; then
			echo "bench: no CPU figure for ${cmds[k]} under $load" >&2
			exit 1
		fi
	done
	kill "${pair_pids[@]}"
	wait "${pair_pids[@]}" 2>/dev/null || true
	pair_pids=()
	echo "${per[0]} / ${per[1]}" | bc -l
}

# pair CMD_A CMD_B LOAD: A's CPU per echo over B's, measured with each
# started first in turn; the geometric mean cancels what the order does
# (under a load that fills the CPU, the first gets more of it).
pair() {
	local r1 r2
	r1=$(pair_once "$1" "$2" "$3")
	r2=$(pair_once "$2" "$1" "$3")
	echo "sqrt($r1 / $r2)" | bc -l
}

command_of() { # NAME: the server's command line
	local entry
	for entry in "${servers[@]}"; do
		[ "${entry%%:*}" = "$1" ] && echo "${entry#*:}"
	done
	return 0
}

# CPU time per echo, paired.  Measured one server after another, as in the
# table above, CPU per echo drifts too much on a shared machine to compare
# servers a few percent apart: copy costs here changed 2-3x within minutes.
# Here udpecho-server and one baseline run at the same moment on the same
# CPU, so the drift hits both alike.  (Each on its own CPU, an A/A pair
# still spread 0.87..1.04 at 65,507 bytes: this VM's two CPUs slow down
# independently; on one CPU A/A pairs agree within 0.5%.)  An A/A pair, the
# mmsg loop against itself, shows what noise is left: the resolution of
# these ratios.
declare -A pcpu aa_lo aa_hi
paired_loads=("--size 64" "--size 64 --gso" "--size 1400" "--size 1400 --gso" \
	"--size 65507 --window 1")
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	echo
	echo "CPU per echo, paired (udpecho-server over each baseline, both at once on CPU 0, their"
	echo "generators on CPU 1; median of $rounds, of $((2 * rounds)) at 65,507 bytes, the closest call):"
	printf '%-24s %14s %14s %22s\n' load "/ textbook" "/ mmsg" "A/A mmsg (min..max)"
	for load in "${paired_loads[@]}"; do
		prounds=$rounds
		[[ "$load" == *65507* ]] && prounds=$((2 * rounds))
		for ((r = 0; r < prounds; r++)); do
			for name in "textbook loop" "mmsg loop"; do
				pair "$(command_of udpecho-server)" "$(command_of "$name")" "$load" \
					>>"$tmp/p.$name"
			done
			pair "$(command_of "mmsg loop")" "$(command_of "mmsg loop")" "$load" >>"$tmp/p.aa"
		done
		for name in "textbook loop" "mmsg loop"; do
			pcpu[$name,$load]=$(median <"$tmp/p.$name")
			rm -f "$tmp/p.$name"
		done
		aa_lo[$load]=$(sort -g "$tmp/p.aa" | head -1)
		aa_hi[$load]=$(sort -g "$tmp/p.aa" | tail -1)
		rm -f "$tmp/p.aa"
		printf '%-24s %13.3fx %13.3fx %12.3f..%.3f\n' "$load" "${pcpu[textbook loop,$load]}" \
			"${pcpu[mmsg loop,$load]}" "${aa_lo[$load]}" "${aa_hi[$load]}"
	done
else
	echo
	echo "CPU per echo, paired: skipped (needs 2 CPUs and taskset)"
fi

echo
echo "latency at a fixed open-loop rate of 20,000/s, 64 bytes (ms):"
for entry in "${servers[@]}"; do
	name=${entry%%:*}
	# shellcheck disable=SC2086
	start server ${entry#*:}
	"$bin/udpecho" bench 127.0.0.1 "$port" --duration "$secs" --rate 20000 --format json \
		>"$tmp/r.json"
	stop
	printf '%-18s %s\n' "$name" "$(jq -r '.latency_ms | "p50 \(.p50)  p90 \(.p90)  p99 \(.p99)  p99.9 \(."p99.9")  max \(.max)"' "$tmp/r.json")"
done

# What "no worse" allows.  The targets state it for throughput: "with plain
# load, no worse than the recvmmsg loop (>= 0.97x)".  The CPU target says
# "CPU time per echo no worse than any baseline" in the same words, so it
# gets the same 3%: udpecho-server's CPU per echo over the leanest
# baseline's at most 1.03 (1 / 0.97 is 1.0309).  Each verdict line also says
# whether the ratio is at most 1, the strict reading, for anyone who wants
# that one.
no_worse=0.97
cpu_limit=1.03

# target WHAT VALUE OP LIMIT [NOTE]
target() {
	if [ "$(echo "$2 $3 $4" | bc -l)" -eq 1 ]; then
		printf 'MET     %-62s %.3f (%s %s)%s\n' "$1" "$2" "$3" "$4" "${5:-}"
	else
		printf 'MISSED  %-62s %.3f (%s %s)%s\n' "$1" "$2" "$3" "$4" "${5:-}"
	fi
}
ratio() { echo "${rate[$1,$3]} / ${rate[$2,$3]}" | bc -l; }
echo
echo "targets (one server thread):"
u=udpecho-server
for load in "--size 64 --gso" "--size 1400 --gso"; do
	target "$u / textbook loop, $load" "$(ratio "$u" "textbook loop" "$load")" ">=" 3
done
for load in "--size 64" "--size 1400"; do
	target "$u / mmsg loop, $load" "$(ratio "$u" "mmsg loop" "$load")" ">=" "$no_worse"
done
if [ -n "${rate[classic Python,--size 64 --gso]:-}" ]; then
	for load in "--size 64 --gso" "--size 1400 --gso"; do
		target "$u / classic Python, $load" "$(ratio "$u" "classic Python" "$load")" ">=" 5
	done
fi
for load in "--size 64" "--size 64 --gso" "--size 1400" "--size 1400 --gso" \
	"--size 65507 --window 1"; do
	worst=0
	for entry in "${servers[@]}"; do
		name=${entry%%:*}
		[[ "$name" == udpecho-server* || -z "${cpu[$name,$load]:-}" ]] && continue
		# CPU per echo of udpecho-server over each baseline's, paired where
		# measured so: the largest is the verdict's.
		r=${pcpu[$name,$load]:-$(echo "${cpu[$u,$load]} / ${cpu[$name,$load]}" | bc -l)}
		[ "$(echo "$r > $worst" | bc -l)" -eq 1 ] && worst=$r
	done
	if [ "$(echo "$worst <= 1" | bc -l)" -eq 1 ]; then
		note=", at most 1"
	else
		note=", above 1"
	fi
	if [ -n "${aa_hi[$load]:-}" ]; then
		note+=$(printf "; A/A pair %.3f..%.3f" "${aa_lo[$load]}" "${aa_hi[$load]}")
	fi
	target "$u CPU/echo over the leanest baseline's, $load" "$worst" "<=" "$cpu_limit" "$note"
done
echo
echo "load: udpecho bench $common, closed loop, ${secs} s per case, $rounds round(s)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
