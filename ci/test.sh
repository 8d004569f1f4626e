#!/usr/bin/env bash
# Every test: static analysis (ci/lint.sh), the unit and integration tests
# in the default build (-Werror) and again under ASan + UBSan, Valgrind
# memcheck on the unit tests, the corpora and live traffic, then a short
# fuzzing smoke with libFuzzer and AFL++ and the corpus coverage gate.
# Between the ctest runs and Valgrind, the Debian package (ci/deb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/deps.sh

bash ci/lint.sh

# no_leftovers PRESET: no process of that build (a server, a zoo or relay server,
# a client) may outlive its tests; any that did is named, stopped, and fails the run.
no_leftovers() {
	local left
	left=$(pgrep -a -f "^($PWD/)?build/$1/" || true)
	if [ -n "$left" ]; then
		echo "left running after the $1 tests:"
		echo "$left"
		pkill -f "^($PWD/)?build/$1/" || true
		return 1
	fi
	echo "== $1: no process left behind"
}

for preset in default asan; do
	echo "== $preset"
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset" -j "$(nproc)"
	ctest --preset "$preset"
	no_leftovers "$preset"
done

echo "== debian package: build, lintian, install, udpecho check the installed server, purge"
bash ci/deb.sh

echo "== valgrind"
bash ci/valgrind.sh

echo "== fuzzing smoke: every harness, 10 s per engine"
bash ci/fuzz.sh libfuzzer 10
bash ci/fuzz.sh afl 10
bash ci/coverage.sh
echo "== all tests passed"
