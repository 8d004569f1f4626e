#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh the way the ClusterFuzzLite (OSS-Fuzz)
# builder runs it for libFuzzer with AddressSanitizer, in a temporary
# $SRC/$WORK/$OUT, then checks what it wrote: every target, seed corpus,
# dictionary and options file, every target running clean over its whole
# seed corpus, and every known bug's input still caught by its target.
# Exit 77 (ctest: skipped) when clang cannot link a libFuzzer target.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
harnesses=(handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "test_clusterfuzzlite: FAILED: $*" >&2
	exit 1
}

printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (int)(d && n && 0); }' \
	>"$tmp/probe.c"
if ! command -v clang >/dev/null || ! command -v zip >/dev/null || ! command -v unzip >/dev/null ||
	! clang -fsanitize=fuzzer "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
	echo "test_clusterfuzzlite: skipped: needs clang with libFuzzer (libclang-rt-14-dev), zip, unzip"
	exit 77
fi

# The builder's environment for FUZZING_ENGINE=libfuzzer SANITIZER=address.
mkdir -p "$tmp/src" "$tmp/work" "$tmp/out"
ln -s "$repo" "$tmp/src/udpecho"
export SRC=$tmp/src WORK=$tmp/work OUT=$tmp/out
export CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS=$CFLAGS
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export FUZZING_ENGINE=libfuzzer SANITIZER=address ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c
(cd "$SRC" && bash "$SRC/udpecho/.clusterfuzzlite/build.sh") || fail "build.sh failed"
unset UDPECHO_FUZZ_KNOWN_BUGS

for h in "${harnesses[@]}"; do
	t=$OUT/fuzz_$h
	[ -x "$t" ] || fail "no target $t"
	[ -f "${t}_seed_corpus.zip" ] || fail "no ${t}_seed_corpus.zip"
	[ ! -f "$repo/fuzz/$h.dict" ] || cmp -s "$repo/fuzz/$h.dict" "$t.dict" || fail "no $t.dict"
	grep -qx 'max_len = 65507' "$t.options" && grep -qx '\[libfuzzer\]' "$t.options" ||
		fail "$t.options: want [libfuzzer] max_len = 65507"
	mkdir -p "$tmp/seeds/$h"
	unzip -q "${t}_seed_corpus.zip" -d "$tmp/seeds/$h"
	n=$(find "$tmp/seeds/$h" -type f | wc -l)
	[ "$n" -gt 0 ] || fail "${t}_seed_corpus.zip is empty"
	dict=()
	[ -f "$t.dict" ] && dict=(-dict="$t.dict")
	# -runs=0: read and run every seed once, fuzz no further.
	"$t" -runs=0 -max_len=65507 "${dict[@]}" "$tmp/seeds/$h" >"$tmp/$h.log" 2>&1 ||
		{ tail -20 "$tmp/$h.log" >&2; fail "fuzz_$h fails on its own seed corpus"; }
	grep -q 'INITED' "$tmp/$h.log" || fail "fuzz_$h did not run its corpus"
	echo "test_clusterfuzzlite: fuzz_$h: ran $n seeds clean ($(du -k "$t" | cut -f1) KiB target)"
done

# The targets catch what the fuzzers caught: each known bug's input still fails.
while read -r h id input _; do
	case $h in '' | '#'*) continue ;; esac
	if "$OUT/fuzz_$h" "$repo/corpus/$h/$input" >"$tmp/known.log" 2>&1; then
		fail "fuzz_$h passes known bug $id's input corpus/$h/$input"
	fi
	grep -q "\[$id\]" "$tmp/known.log" || fail "fuzz_$h: corpus/$h/$input does not fail check $id"
	echo "test_clusterfuzzlite: fuzz_$h: known bug $id still caught"
done <"$repo/fuzz/known_bugs.txt"
echo "test_clusterfuzzlite: ok"
