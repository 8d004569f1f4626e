#!/usr/bin/env bash
# Line coverage of src/core by the stored corpora alone: every corpus/HARNESS/
# replayed through its harness (the fuzz.replay.* tests), measured with
# clang's source-based coverage.  Fails below the threshold (default 95%).
#
#   ci/coverage.sh [THRESHOLD]
#
# Prints the per-file table, the src/core total and every line no corpus
# input reaches; an HTML report goes to build/fuzz-coverage/html/.  Every
# src/core/*.c file counts: one that no harness links is listed as such and
# counts with none of its lines covered (it wants a harness of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

threshold=${1:-95}
harnesses=(handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz)
build=build/fuzz-coverage
profdata=llvm-profdata-14
llvmcov=llvm-cov-14

bash ci/deps.sh >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=()
for h in "${harnesses[@]}"; do targets+=("replay_$h"); done
targets+=(udpecho_core)
if ! { cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
	-DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" -DUDPECHO_TESTS=OFF &&
	cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "coverage: build failed" >&2
	exit 1
fi

# Every src/core file counts, linked by a harness or not: core_all links the whole
# core library (and any src/core file the library lacks, compiled the same way), so
# that a function no replay runs, even in a file no harness links, counts as code
# not covered.  It is never run: its coverage mapping is all llvm-cov needs.  Its
# main() is not instrumented, so as not to clash with the replay drivers' main().
mapfile -t core < <(ls src/core/*.c)
mapfile -t in_library < <(ar t "$build/libudpecho_core.a")
extra=()
for f in "${core[@]}"; do
	[[ " ${in_library[*]} " == *" $(basename "$f").o "* ]] || extra+=("$PWD/$f")
done
printf 'int main(void);\n\nint main(void)\n{\n\treturn 0;\n}\n' >"$build/core_all.c"
if ! { clang -c "$build/core_all.c" -o "$build/core_all.o" &&
	clang -std=c17 -D_GNU_SOURCE -g -fprofile-instr-generate -fcoverage-mapping -Iinclude \
		-I"$build/generated" "$build/core_all.o" "${extra[@]}" -Wl,--whole-archive \
		"$build/libudpecho_core.a" -Wl,--no-whole-archive -o "$build/core_all"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "coverage: linking the whole core failed" >&2
	exit 1
fi

# The replays, as ctest runs them (known bugs' inputs run in a child that aborts: not counted).
rm -rf "$build/profiles"
mkdir -p "$build/profiles"
objects=(-object "$build/core_all") replays=()
for h in "${harnesses[@]}"; do
	LLVM_PROFILE_FILE="$build/profiles/$h-%p.profraw" "$build/fuzz/replay_$h" "corpus/$h" >"$log" 2>&1 ||
		{ cat "$log" >&2; echo "coverage: replay of corpus/$h failed" >&2; exit 1; }
	echo "coverage: $(tail -1 "$log" | sed "s/^replay:/corpus\/$h:/")"
	objects+=(-object "$build/fuzz/replay_$h")
	replays+=(-object "$build/fuzz/replay_$h")
done
"$profdata" merge -sparse "$build"/profiles/*.profraw -o "$build/corpus.profdata"

report=$("$llvmcov" report "${objects[@]:1}" -instr-profile "$build/corpus.profdata" "${core[@]}")
echo
echo "$report"
linked=$("$llvmcov" report "${replays[@]:1}" -instr-profile "$build/corpus.profdata" "${core[@]}")
for f in "${core[@]}"; do
	grep -q "^$(basename "$f") " <<<"$report" ||
		{ echo "coverage: FAILED: $f is missing from the report" >&2; exit 1; }
	grep -q "^$(basename "$f") " <<<"$linked" ||
		echo "coverage: $f: linked by no harness, counted with no line covered"
done

"$llvmcov" show "${objects[@]:1}" -instr-profile "$build/corpus.profdata" "${core[@]}" \
	-format=html -output-dir "$build/html" >/dev/null
# Lines no input reaches: "FILE:LINE: code".
uncovered=$("$llvmcov" show "${objects[@]:1}" -instr-profile "$build/corpus.profdata" \
	"${core[@]}" -show-line-counts | awk '
	/^\/.*:$/ { file = substr($0, 1, length($0) - 1); sub(".*/src/core/", "src/core/", file) }
	/^ *[0-9]+\| *0\|/ { line = $0; sub(/\|.*/, "", line); gsub(/ /, "", line)
		code = $0; sub(/^[^|]*\|[^|]*\|/, "", code); print file ":" line ":" code }')
if [ -n "$uncovered" ]; then
	echo
	echo "coverage: lines of src/core no corpus input reaches:"
	echo "$uncovered" | sed 's/^/  /'
fi

# TOTAL row: Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
read -r lines missed < <(awk '$1 == "TOTAL" { print $8, $9 }' <<<"$report")
pct=$(awk -v l="$lines" -v m="$missed" 'BEGIN { printf "%.2f", l ? 100 * (l - m) / l : 0 }')
echo
echo "coverage: src/core lines: $((lines - missed)) of $lines covered by the corpus alone: $pct%" \
	"(threshold $threshold%; HTML: $build/html/index.html)"
if awk -v p="$pct" -v t="$threshold" 'BEGIN { exit !(p < t) }'; then
	echo "coverage: FAILED: below $threshold%; add seeds (fuzz/make_seeds.sh) or run" \
		"ci/fuzz.sh ENGINE SECONDS --update-corpus" >&2
	exit 1
fi
