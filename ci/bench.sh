#!/usr/bin/env bash
# Side by side, in one run, on loopback: udpecho-server with 1 and 2
# threads, the textbook loop (tests/baseline/textbook_server.c: a blocking
# recvfrom, a sendto), the plain recvmmsg/sendmmsg loop (tests/baseline/mmsg_server.c,
# batch 64, no GRO), the GRO/GSO reference loop (tests/baseline/gro_server.c:
# recvmmsg with UDP_GRO, one UDP_SEGMENT send per coalesced message, the
# fastest known design with no policy) and the classic Python example server
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
#
# UDPECHO_AB=REV (any commit git names: HEAD~1, a tag, a hash) adds an A/B
# comparison: REV's udpecho-server, built in a temporary git worktree with
# this build's CMAKE_BUILD_TYPE and CMAKE_C_FLAGS (the default preset's when
# there is no cache to read) and the default preset's UDPECHO_WERROR, runs as
# one more server, "udpecho-server (REV)", in the table and the latency list;
# then, in pairs as above, the new udpecho-server's CPU per echo and echoes/s
# over REV's, beside the A/A noise, and a verdict per load: MET when the new
# over the old is within the A/A spread of that load, its largest ratio
# either way round (1.03 without one): no difference this run can resolve,
# which is not proof of none.  UDPECHO_AB=HEAD against an unchanged tree is
# itself an A/A check.
# The build of REV runs CMAKE_BUILD_PARALLEL_LEVEL jobs (default: every CPU).
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
	# REV's worktree, whether its build got anywhere or not.
	if [ -e "$tmp/ab-src" ]; then
		git worktree remove --force "$tmp/ab-src" >/dev/null 2>&1 || true
		rm -rf "$tmp/ab-src"
		git worktree prune || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
# An interrupted run cleans up too (bash runs no EXIT trap when a TERM kills it).
trap 'exit 130' INT
trap 'exit 143' TERM

# UDPECHO_AB=REV: REV's udpecho-server, built as this build was.
ab_name=
if [ -n "${UDPECHO_AB:-}" ]; then
	if ! ab_commit=$(git rev-parse --verify --quiet "$UDPECHO_AB^{commit}"); then
		echo "bench: UDPECHO_AB=$UDPECHO_AB names no commit" >&2
		exit 2
	fi
	# The name goes before a ':' in the servers list below: a REV such as
	# ':/message' is named by its hash instead.
	ab_rev=$UDPECHO_AB
	[[ "$ab_rev" == *:* ]] && ab_rev=$(git rev-parse --short "$ab_commit")
	ab_name="udpecho-server ($ab_rev)"
	cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$bin/CMakeCache.txt" 2>/dev/null || true; }
	ab_type=$(cache_var CMAKE_BUILD_TYPE)
	ab_cflags=$(cache_var CMAKE_C_FLAGS)
	# The default preset's (CMakePresets.json) when $bin has no cache.
	ab_type=${ab_type:-RelWithDebInfo}
	ab_built="commit $(git rev-parse --short "$ab_commit"), $ab_type${ab_cflags:+, CMAKE_C_FLAGS=$ab_cflags}"
	echo "A/B: building $ab_name: $ab_built"
	git worktree add --quiet --detach "$tmp/ab-src" "$ab_commit"
	cmake -S "$tmp/ab-src" -B "$tmp/ab-build" -DCMAKE_BUILD_TYPE="$ab_type" \
		-DUDPECHO_WERROR=ON -DCMAKE_C_FLAGS="$ab_cflags" >"$tmp/ab-build.log" 2>&1 ||
		{ cat "$tmp/ab-build.log" >&2; exit 1; }
	cmake --build "$tmp/ab-build" --target udpecho-server \
		-j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" >>"$tmp/ab-build.log" 2>&1 ||
		{ cat "$tmp/ab-build.log" >&2; exit 1; }
	# The binary is all the run needs.
	git worktree remove --force "$tmp/ab-src"
fi

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
	"gro loop:$bin/tests/integration/gro_server --bind 127.0.0.1"
	"udpecho-server:$bin/udpecho-server --bind 127.0.0.1 --port 0"
	"udpecho-server x2:$bin/udpecho-server --bind 127.0.0.1 --port 0 --threads 2")
if command -v python3 >/dev/null; then
	servers+=("classic Python:python3 tests/baseline/classic_server.py 0")
fi
if [ -n "$ab_name" ]; then
	servers+=("$ab_name:$tmp/ab-build/udpecho-server --bind 127.0.0.1 --port 0")
fi
# The server column: wide enough for the longest name.
w=18
for entry in "${servers[@]}"; do
	name=${entry%%:*}
	[ "${#name}" -le "$w" ] || w=${#name}
done
# Two sockets in every load, so that the two SO_REUSEPORT workers can both get work.
common="--sockets 2 --window 32"

hz=$(getconf CLK_TCK)
declare -A rate cpu
printf '%-*s %-24s %12s %8s %12s %8s\n' "$w" server load echoes/s ratio "CPU us/echo" "loss %"
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
			# A REV's name may hold a '/': not in a file's.
			f=${name//\//_}
			jq .echoes_per_s "$tmp/r.json" >>"$tmp/rate.$f"
			echo "($after - $before) * 1000000 / $hz / ($(jq .echoed "$tmp/r.json") + 1)" |
				bc -l >>"$tmp/cpu.$f"
			jq .loss_pct "$tmp/r.json" >>"$tmp/loss.$f"
		done
	done
	for entry in "${servers[@]}"; do
		name=${entry%%:*}
		f=${name//\//_}
		if [ ! -s "$tmp/rate.$f" ]; then
			printf '%-*s %-24s %12s\n' "$w" "$name" "$load" "(truncates at 4096)"
			continue
		fi
		rate[$name,$load]=$(median <"$tmp/rate.$f")
		cpu[$name,$load]=$(median <"$tmp/cpu.$f")
		[ -n "$base" ] || base=${rate[$name,$load]}
		printf '%-*s %-24s %12.0f %7.2fx %12.2f %8.3f\n' "$w" "$name" "$load" \
			"${rate[$name,$load]}" "$(echo "${rate[$name,$load]} / $base" | bc -l)" \
			"${cpu[$name,$load]}" "$(median <"$tmp/loss.$f")"
		rm -f "$tmp/rate.$f" "$tmp/cpu.$f" "$tmp/loss.$f"
	done
done

# pair_once CMD_A CMD_B LOAD: both servers at once, both pinned to CPU 0,
# each loaded by its own generator, both pinned to CPU 1.  Prints A's CPU
# time per echo over B's; leaves A's echoes/s over B's in $tmp/pair.rate.
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
	echo "$(jq .echoes_per_s "$tmp/pair0.json") / $(jq .echoes_per_s "$tmp/pair1.json")" |
		bc -l >"$tmp/pair.rate"
	echo "${per[0]} / ${per[1]}" | bc -l
}

# pair CMD_A CMD_B LOAD: A's CPU per echo over B's, measured with each
# started first in turn; the geometric mean cancels what the order does
# (under a load that fills the CPU, the first gets more of it).  Leaves A's
# echoes/s over B's, the same mean of the same runs, in $tmp/pair.rates.
pair() {
	local r1 r2 q1 q2
	r1=$(pair_once "$1" "$2" "$3")
	q1=$(cat "$tmp/pair.rate")
	r2=$(pair_once "$2" "$1" "$3")
	q2=$(cat "$tmp/pair.rate")
	echo "sqrt($q1 / $q2)" | bc -l >"$tmp/pair.rates"
	echo "sqrt($r1 / $r2)" | bc -l
}

command_of() { # NAME: the server's command line
	local entry
	for entry in "${servers[@]}"; do
		[ "${entry%%:*}" = "$1" ] && echo "${entry#*:}"
	done
	return 0
}

# What "no worse" allows.  The targets state it for throughput: "with plain
# load, no worse than the recvmmsg loop (>= 0.97x)".  The CPU target says
# "CPU time per echo no worse than any baseline" in the same words, so it
# gets the same 3%: udpecho-server's CPU per echo over the leanest
# baseline's at most 1.03 (1 / 0.97 is 1.0309).  Each verdict line also says
# whether the ratio is at most 1, the strict reading, for anyone who wants
# that one.
no_worse=0.97
cpu_limit=1.03

# CPU time per echo, paired.  Measured one server after another, as in the
# table above, CPU per echo drifts too much on a shared machine to compare
# servers a few percent apart: copy costs here changed 2-3x within minutes.
# Here udpecho-server and one baseline run at the same moment on the same
# CPU, so the drift hits both alike.  (Each on its own CPU, an A/A pair
# still spread 0.87..1.04 at 65,507 bytes: this VM's two CPUs slow down
# independently; on one CPU A/A pairs agree within 0.5%.)  An A/A pair, the
# mmsg loop against itself, shows what noise is left: the resolution of
# these ratios.
declare -A pcpu aa_lo aa_hi ab_cpu ab_rate aau_lo aau_hi
paired_loads=("--size 64" "--size 64 --gso" "--size 1400" "--size 1400 --gso" \
	"--size 65507 --window 1")
paired_baselines=("textbook loop" "mmsg loop" "gro loop")
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	echo
	echo "CPU per echo, paired (udpecho-server over each baseline, both at once on CPU 0, their"
	echo "generators on CPU 1; median of $rounds, of $((2 * rounds)) at 65,507 bytes, the closest call):"
	printf '%-24s %14s %14s %14s %22s\n' load "/ textbook" "/ mmsg" "/ gro" "A/A mmsg (min..max)"
	for load in "${paired_loads[@]}"; do
		prounds=$rounds
		[[ "$load" == *65507* ]] && prounds=$((2 * rounds))
		for ((r = 0; r < prounds; r++)); do
			for name in "${paired_baselines[@]}"; do
				pair "$(command_of udpecho-server)" "$(command_of "$name")" "$load" \
					>>"$tmp/p.$name"
			done
			if [ -n "$ab_name" ]; then
				pair "$(command_of udpecho-server)" "$(command_of "$ab_name")" "$load" \
					>>"$tmp/p.ab"
				cat "$tmp/pair.rates" >>"$tmp/p.abrate"
				# udpecho-server against itself: its own noise, which the
				# mmsg loop's understates (its load spreads less evenly).
				pair "$(command_of udpecho-server)" "$(command_of udpecho-server)" \
					"$load" >>"$tmp/p.aau"
			fi
			pair "$(command_of "mmsg loop")" "$(command_of "mmsg loop")" "$load" >>"$tmp/p.aa"
		done
		for name in "${paired_baselines[@]}"; do
			pcpu[$name,$load]=$(median <"$tmp/p.$name")
			rm -f "$tmp/p.$name"
		done
		if [ -n "$ab_name" ]; then
			ab_cpu[$load]=$(median <"$tmp/p.ab")
			ab_rate[$load]=$(median <"$tmp/p.abrate")
			aau_lo[$load]=$(sort -g "$tmp/p.aau" | head -1)
			aau_hi[$load]=$(sort -g "$tmp/p.aau" | tail -1)
			rm -f "$tmp/p.ab" "$tmp/p.abrate" "$tmp/p.aau"
		fi
		aa_lo[$load]=$(sort -g "$tmp/p.aa" | head -1)
		aa_hi[$load]=$(sort -g "$tmp/p.aa" | tail -1)
		rm -f "$tmp/p.aa"
		printf '%-24s %13.3fx %13.3fx %13.3fx %12.3f..%.3f\n' "$load" \
			"${pcpu[textbook loop,$load]}" "${pcpu[mmsg loop,$load]}" \
			"${pcpu[gro loop,$load]}" "${aa_lo[$load]}" "${aa_hi[$load]}"
	done
	if [ -n "$ab_name" ]; then
		echo
		echo "A/B: new udpecho-server over $ab_rev's, CPU per echo and echoes/s, paired as"
		echo "above (the two at once on CPU 0; medians as above), beside two A/A pairs' spread:"
		printf '%-24s %14s %14s %22s %22s\n' load "CPU/echo" "echoes/s" "A/A mmsg (min..max)" \
			"A/A udpecho (min..max)"
		for load in "${paired_loads[@]}"; do
			printf '%-24s %13.3fx %13.3fx %12.3f..%.3f %12.3f..%.3f\n' "$load" \
				"${ab_cpu[$load]}" "${ab_rate[$load]}" "${aa_lo[$load]}" "${aa_hi[$load]}" \
				"${aau_lo[$load]}" "${aau_hi[$load]}"
		done
		# MET says this run cannot tell the new from the old in CPU per echo:
		# the ratio is within what the A/A pairs (mmsg and udpecho-server, each
		# against itself) spread to.  It does not prove them equal; a MISSED
		# with few rounds wants a rerun with more.  Which side of an A/A pair
		# is "new" is arbitrary, so an A/A ratio of 0.99 is also one of
		# 1.0101: the bound is the largest of each pair's max and 1 / min.
		echo
		for load in "${paired_loads[@]}"; do
			if [ -n "${aa_hi[$load]:-}" ]; then
				limit=$(echo "m = 1 / ${aa_lo[$load]}; if (${aa_hi[$load]} > m) m = ${aa_hi[$load]}
					if (1 / ${aau_lo[$load]} > m) m = 1 / ${aau_lo[$load]}
					if (${aau_hi[$load]} > m) m = ${aau_hi[$load]}; m" | bc -l)
				what="A/A bound"
			else
				limit=$cpu_limit
				what="no A/A figure, limit"
			fi
			if [ "$(echo "${ab_cpu[$load]} <= $limit" | bc -l)" -eq 1 ]; then
				verdict=MET
			else
				verdict=MISSED
			fi
			printf 'A/B no worse than A/A noise, %-24s %-7s CPU/echo new/old %.3f, %s %.3f\n' \
				"$load:" "$verdict" "${ab_cpu[$load]}" "$what" "$limit"
		done
		echo "(MET: within the noise this run resolves, not proof of no change; MISSED: beyond it)"
	fi
else
	echo
	echo "CPU per echo, paired: skipped (needs 2 CPUs and taskset)"
	[ -z "$ab_name" ] || echo "A/B, paired: skipped too (the table above has both servers)"
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
	printf '%-*s %s\n' "$w" "$name" "$(jq -r '.latency_ms | "p50 \(.p50)  p90 \(.p90)  p99 \(.p99)  p99.9 \(."p99.9")  max \(.max)"' "$tmp/r.json")"
done

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
# Against the fastest known design alone, where GRO and GSO matter.
for load in "--size 64 --gso" "--size 1400 --gso"; do
	r=${pcpu[gro loop,$load]:-$(echo "${cpu[$u,$load]} / ${cpu[gro loop,$load]}" | bc -l)}
	note=
	if [ -n "${aa_hi[$load]:-}" ]; then
		note=$(printf "; A/A pair %.3f..%.3f" "${aa_lo[$load]}" "${aa_hi[$load]}")
	fi
	target "$u CPU/echo over the GRO/GSO reference loop, $load" "$r" "<=" "$cpu_limit" "$note"
done
echo
echo "load: udpecho bench $common, closed loop, ${secs} s per case, $rounds round(s)"
[ -z "$ab_name" ] || echo "A/B: $ab_name is $ab_built; the new one is $bin's"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
