#!/usr/bin/env bash
# Fuzz every harness for a while, with libFuzzer or AFL++.
#
#   ci/fuzz.sh ENGINE SECONDS [--jobs N] [--update-corpus] [--only HARNESS]...
#
# ENGINE is libfuzzer or afl; SECONDS is per harness.  Builds
# build/fuzz-ENGINE (ASan + UBSan, and libFuzzer's or AFL++'s
# instrumentation), fuzzes each harness from its seeds in corpus/HARNESS/,
# and prints per harness: executions and executions per second, coverage
# (libFuzzer cov/ft, AFL++ edges and bitmap coverage) and new corpus
# entries.  Exits 1 on any crash, leak, timeout or hang, after keeping the
# input under build/fuzz-ENGINE/artifacts/HARNESS/ and printing the command
# that reproduces it.
#
#   --jobs N          N fuzzing processes per harness (AFL++: -M main plus
#                     N-1 -S; libFuzzer: -fork=N)
#   --update-corpus   merge and minimize what the run found into corpus/:
#                     libFuzzer -merge=1, AFL++ afl-cmin.  Hand-made seeds
#                     (seed-*) and crash reproducers stay; entries found by
#                     fuzzing are the 40-hex-digit names, replaced as a set.
#
# The CI smoke run, about 10 s per harness per engine:
#   ci/fuzz.sh libfuzzer 10 && ci/fuzz.sh afl 10
#
# Core bugs listed in fuzz/known_bugs.txt are stepped over (and counted),
# so that a bug already on file does not hide the next one.
set -euo pipefail
cd "$(dirname "$0")/.."

harnesses=(handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz)
max_len=65507 # the largest IPv4 datagram

usage() {
	echo "usage: ci/fuzz.sh libfuzzer|afl SECONDS [--jobs N] [--update-corpus] [--only HARNESS]..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
engine=$1 seconds=$2
shift 2
jobs=1 update=0 only=()
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#--jobs=}; shift ;;
	--update-corpus) update=1; shift ;;
	--only) [ $# -ge 2 ] || usage; only+=("$2"); shift 2 ;;
	*) usage ;;
	esac
done
case $engine in libfuzzer | afl) ;; *) usage ;; esac
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage
if [ ${#only[@]} -gt 0 ]; then
	for h in "${only[@]}"; do
		[[ " ${harnesses[*]} " == *" $h "* ]] || { echo "fuzz: no harness '$h' (${harnesses[*]})" >&2; exit 2; }
	done
	harnesses=("${only[@]}")
fi

bash ci/deps.sh >/dev/null

build=build/fuzz-$engine
export AFL_QUIET=1 # afl-clang-fast's banner, at build time
case $engine in
libfuzzer) cc=clang ;;
afl) cc=afl-clang-fast ;;
esac

# ---- build -------------------------------------------------------------------
echo "== fuzz: building $build ($cc, ASan + UBSan)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
if ! { cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DUDPECHO_WERROR=ON -DUDPECHO_TESTS=OFF -DUDPECHO_FUZZ=ON -DUDPECHO_FUZZ_ENGINE="$engine" &&
	cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "fuzz: build failed" >&2
	exit 1
fi

# ---- known bugs: "HARNESS CHECK-ID INPUT description" --------------------------
known_ids=()
declare -A known_inputs=()
while read -r h id input _; do
	case $h in '' | '#'*) continue ;; esac
	known_ids+=("$id")
	known_inputs[$h]+=" $input"
done <fuzz/known_bugs.txt
UDPECHO_FUZZ_KNOWN_BUGS=$(IFS=,; echo "${known_ids[*]}")
export UDPECHO_FUZZ_KNOWN_BUGS

# corpus/H/ into DIR, less the known bugs' inputs (they would stop the run at once).
seed_dir() {
	local h=$1 dir=$2 f
	mkdir -p "$dir"
	for f in corpus/"$h"/*; do
		[ -f "$f" ] || continue
		[[ " ${known_inputs[$h]:-} " == *" ${f##*/} "* ]] && continue
		cp "$f" "$dir/"
	done
}

is_found_entry() { [[ ${1##*/} =~ ^[0-9a-f]{40}$ ]]; }

# Keep a failing input: artifacts/H/KIND-SHA1, and say how to reproduce it.
failures=0
keep_failure() {
	local h=$1 kind=$2 file=$3 sum dest
	sum=$(sha1sum "$file" | cut -c1-40)
	mkdir -p "$build/artifacts/$h"
	dest=$build/artifacts/$h/$kind-$sum
	cp "$file" "$dest"
	failures=$((failures + 1))
	echo "fuzz: $h: $kind: input kept as $dest"
	echo "  reproduce: $build/fuzz/fuzz_$h $dest"
	echo "  keep it:   cp $dest corpus/$h/$kind-WHAT-IT-BREAKS   (ctest replays it; until the"
	echo "             bug is fixed, list it in fuzz/known_bugs.txt with the check id it fails)"
}

summary=()
add_summary() { summary+=("$(printf '%-9s %-16s %10s %9s  %-30s %5s' "$@")"); }

# ---- libFuzzer -----------------------------------------------------------------
run_libfuzzer() {
	local h=$1 run=$2
	local bin=$build/fuzz/fuzz_$h rc=0 f name last execs rate cov ft new
	# -keep_seed=1: the size ladder stays in the corpus though it adds no coverage.
	local flags=(-max_len="$max_len" -keep_seed=1 -timeout=10 -rss_limit_mb=2048
		-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$run/artifacts/")
	[ -f "fuzz/$h.dict" ] && flags+=(-dict="fuzz/$h.dict")
	[ "$jobs" -gt 1 ] && flags+=(-fork="$jobs")
	mkdir -p "$run/new" "$run/artifacts"
	"$bin" "${flags[@]}" "$run/new" "$run/seeds" >"$run/log" 2>&1 || rc=$?

	last=$(grep -E 'cov: [0-9]+' "$run/log" | tail -1 || true)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log" | tail -1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
	[ -n "$rate" ] || rate=$(sed -n 's/.*exec\/s:* *\([0-9]*\).*/\1/p' <<<"$last")
	new=$(find "$run/new" -type f | wc -l)
	add_summary libfuzzer "$h" "${execs:-?}" "${rate:-?}" "cov ${cov:-?} ft ${ft:-?}" "$new"
	echo "fuzz: $h: ${execs:-?} executions, ${rate:-?}/s, cov ${cov:-?} ft ${ft:-?}, $new new corpus entries"
	grep -m1 'known bug' "$run/log" | sed 's/^/  /' || true

	for f in "$run"/artifacts/*; do
		[ -f "$f" ] || continue
		name=${f##*/}
		case $name in
		crash-* | leak-* | timeout-* | oom-*) keep_failure "$h" "${name%%-*}" "$f" ;;
		esac
	done
	if [ "$rc" -ne 0 ]; then
		grep -E 'fuzz check failed|ERROR: |SUMMARY: |runtime error' "$run/log" | head -5 | sed 's/^/  /'
		[ -n "$(ls -A "$run/artifacts")" ] || failures=$((failures + 1))
		echo "fuzz: $h: libFuzzer exited $rc; log: $run/log"
	fi
}

update_libfuzzer() {
	local h=$1 run=$2
	local bin=$build/fuzz/fuzz_$h f
	mkdir -p "$run/merged"
	for f in corpus/"$h"/*; do
		is_found_entry "$f" || [[ " ${known_inputs[$h]:-} " == *" ${f##*/} "* ]] || cp "$f" "$run/merged/"
	done
	# Known bugs are not stepped over here: an input that hits one crashes the
	# merge's inner process and is left out, so the corpus replays clean.
	env -u UDPECHO_FUZZ_KNOWN_BUGS "$bin" -merge=1 -max_len=$max_len -timeout=10 \
		"$run/merged" "$run/seeds" "$run/new" >"$run/merge.log" 2>&1
	install_found "$h" "$run/merged"
}

# ---- AFL++ ---------------------------------------------------------------------
stat_of() { sed -n "s/^$1 *: *//p" "$2"; }

run_afl() {
	local h=$1 run=$2
	local bin=$build/fuzz/fuzz_$h i pids=() rc=0 st name
	local execs=0 rate=0 edges=0 total=0 cvg='?' new=0 f
	local flags=(-i "$run/seeds" -o "$run/out" -V "$seconds" -t 1000 -m none)
	[ -f "fuzz/$h.dict" ] && flags+=(-x "fuzz/$h.dict")
	export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
	export AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
	if [ "$jobs" -eq 1 ]; then
		afl-fuzz "${flags[@]}" -- "$bin" >"$run/log" 2>&1 || rc=$?
	else
		afl-fuzz "${flags[@]}" -M main -- "$bin" >"$run/log" 2>&1 &
		pids+=($!)
		for ((i = 1; i < jobs; i++)); do
			afl-fuzz "${flags[@]}" -S "s$i" -- "$bin" >"$run/log.s$i" 2>&1 &
			pids+=($!)
		done
		for i in "${pids[@]}"; do wait "$i" || rc=$?; done
	fi
	for st in "$run"/out/*/fuzzer_stats; do
		[ -f "$st" ] || continue
		execs=$((execs + $(stat_of execs_done "$st")))
		rate=$(awk -v a="$rate" -v b="$(stat_of execs_per_sec "$st")" 'BEGIN { printf "%d", a + b }')
		new=$((new + $(stat_of corpus_found "$st")))
		if [ "$(stat_of edges_found "$st")" -gt "$edges" ]; then
			edges=$(stat_of edges_found "$st")
			total=$(stat_of total_edges "$st")
			cvg=$(stat_of bitmap_cvg "$st")
		fi
	done
	add_summary afl "$h" "$execs" "$rate" "edges $edges/$total ($cvg)" "$new"
	echo "fuzz: $h: $execs executions, $rate/s, edges $edges of $total (bitmap $cvg), $new new corpus entries"
	for f in "$run"/out/*/crashes/id:* "$run"/out/*/hangs/id:*; do
		[ -f "$f" ] || continue
		case $f in */hangs/*) name=timeout ;; *) name=crash ;; esac
		keep_failure "$h" "$name" "$f"
	done
	if [ "$rc" -ne 0 ]; then
		tail -5 "$run/log" | sed 's/^/  /'
		echo "fuzz: $h: afl-fuzz exited $rc; log: $run/log"
		failures=$((failures + 1))
	fi
}

update_afl() {
	local h=$1 run=$2
	local bin=$build/fuzz/fuzz_$h f sum
	declare -A named=()
	mkdir -p "$run/union" "$run/merged"
	for f in "$run"/seeds/* "$run"/out/*/queue/id:*; do
		[ -f "$f" ] || continue
		sum=$(sha1sum "$f" | cut -c1-40)
		is_found_entry "$f" || [[ $f == */queue/* ]] || named[$sum]=1
		cp "$f" "$run/union/$sum"
	done
	# Known bugs are not stepped over here: afl-cmin leaves crashing inputs out.
	env -u UDPECHO_FUZZ_KNOWN_BUGS AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 \
		AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		afl-cmin -i "$run/union" -o "$run/cmin" -m none -t 5000 -- "$bin" >"$run/cmin.log" 2>&1
	for f in "$run"/cmin/*; do
		[ -f "$f" ] && [ -z "${named[${f##*/}]:-}" ] && cp "$f" "$run/merged/"
	done
	install_found "$h" "$run/merged"
}

# Replace corpus/H's found entries (40-hex names) with those in DIR.
install_found() {
	local h=$1 dir=$2 f before after
	before=$(find "corpus/$h" -type f | wc -l)
	for f in corpus/"$h"/*; do is_found_entry "$f" && rm -f "$f"; done
	for f in "$dir"/*; do is_found_entry "$f" && cp "$f" "corpus/$h/"; done
	after=$(find "corpus/$h" -type f | wc -l)
	echo "fuzz: $h: corpus/$h: $before -> $after files ($(cat corpus/"$h"/* | wc -c) bytes)"
}

# ---- run -------------------------------------------------------------------------
start=$(date +%s)
for h in "${harnesses[@]}"; do
	run=$build/run/$h
	rm -rf "$run"
	seed_dir "$h" "$run/seeds"
	echo "== fuzz: $engine $h, ${seconds}s, $jobs job(s), $(find "$run/seeds" -type f | wc -l) seeds"
	"run_$engine" "$h" "$run"
	if [ "$update" -eq 1 ]; then
		"update_$engine" "$h" "$run"
	fi
done

echo
echo "== fuzz: $engine, ${seconds}s per harness, $(($(date +%s) - start))s in all"
printf '%-9s %-16s %10s %9s  %-30s %5s\n' engine harness executions exec/s coverage new
printf '%s\n' "${summary[@]}"
if [ "$failures" -gt 0 ]; then
	echo "fuzz: FAILED: $failures crash(es), leak(s), timeout(s) or fuzzer error(s); see above" >&2
	exit 1
fi
[ ${#known_ids[@]} -eq 0 ] || echo "fuzz: known bugs stepped over (fuzz/known_bugs.txt): ${known_ids[*]}"
echo "fuzz: no crash, leak or timeout"
