#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script.  The builder sets CC, CFLAGS, CXX,
# CXXFLAGS, LIB_FUZZING_ENGINE (libFuzzer, AFL++, honggfuzz...), SRC, WORK and
# OUT.  Writes to $OUT, for each harness of fuzz/:
#   fuzz_HARNESS                    the target
#   fuzz_HARNESS_seed_corpus.zip    corpus/HARNESS/, less known bugs' inputs
#   fuzz_HARNESS.dict               fuzz/HARNESS.dict, where there is one
#   fuzz_HARNESS.options            max_len = 65507, the largest IPv4 datagram
cd "$SRC/udpecho"

harnesses=(handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz)
obj=$WORK/udpecho-build
rm -rf "$obj"
mkdir -p "$obj/generated/udpecho"

# version.h, as CMake's configure_file makes it.
version=$(sed -n 's/^project(udpecho VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
sed "s/@PROJECT_VERSION@/$version/" include/udpecho/version.h.in >"$obj/generated/udpecho/version.h"

# The core, every src/core file, as an archive: a target links only what it calls.
cflags=(-std=c17 -D_GNU_SOURCE -Iinclude -I"$obj/generated" -Ifuzz)
for f in src/core/*.c; do
	$CC $CFLAGS "${cflags[@]}" -c "$f" -o "$obj/core_$(basename "${f%.c}").o"
done
ar rcs "$obj/libudpecho_core.a" "$obj"/core_*.o

# Inputs of core bugs on file but not fixed (fuzz/known_bugs.txt) stay out of the seeds.
known=" "
while read -r h _ input _; do
	case $h in '' | '#'*) continue ;; esac
	known+="$h/$input "
done <fuzz/known_bugs.txt

for h in "${harnesses[@]}"; do
	$CC $CFLAGS "${cflags[@]}" -c "fuzz/fuzz_$h.c" -o "$obj/fuzz_$h.o"
	# Linked by the C++ driver: the engines are C++ libraries.
	${CXX:-$CC} ${CXXFLAGS:-$CFLAGS} "$obj/fuzz_$h.o" "$obj/libudpecho_core.a" \
		$LIB_FUZZING_ENGINE -o "$OUT/fuzz_$h"

	seeds=()
	for f in corpus/"$h"/*; do
		[ -f "$f" ] && [[ $known != *" $h/${f##*/} "* ]] && seeds+=("$f")
	done
	rm -f "$OUT/fuzz_${h}_seed_corpus.zip"
	zip -q -j "$OUT/fuzz_${h}_seed_corpus.zip" "${seeds[@]}"
	if [ -f "fuzz/$h.dict" ]; then
		cp "fuzz/$h.dict" "$OUT/fuzz_$h.dict"
	fi
	printf '[libfuzzer]\nmax_len = 65507\n' >"$OUT/fuzz_$h.options"
done
