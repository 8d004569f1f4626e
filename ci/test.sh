#!/usr/bin/env bash
# Every test: style check, then the unit and integration tests in the
# default build (-Werror) and again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/deps.sh

echo "== clang-format"
mapfile -t sources < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests fuzz -name '*.[ch]')
clang-format --dry-run -Werror "${sources[@]}"
echo "formatting ok (${#sources[@]} files)"

for preset in default asan; do
	echo "== $preset"
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset" -j "$(nproc)"
	ctest --preset "$preset"
done
echo "== all tests passed"
