#!/usr/bin/env bash
# Static analysis gates, zero findings allowed: clang-format (style),
# cppcheck, clang-tidy with the checked-in .clang-tidy, and shellcheck
# (warnings and errors, not its style notes) over the shell scripts.  Needs the
# default build's compile_commands.json (configured here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files '*.c' '*.h')
mapfile -t units < <(git ls-files '*.c')

echo "== clang-format (${#sources[@]} files)"
clang-format --dry-run -Werror "${sources[@]}"

echo "== cppcheck (${#units[@]} files)"
cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	--std=c11 --inline-suppr -D_GNU_SOURCE -I include -I build/default/generated \
	-I src/server -I src/client -I tests/integration --suppress=missingIncludeSystem \
	"${units[@]}"

mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
echo "== shellcheck (${#scripts[@]} files)"
shellcheck --external-sources --severity=warning "${scripts[@]}"

[ -f build/default/compile_commands.json ] || cmake --preset default >/dev/null
# The harnesses' generated headers must exist before clang-tidy reads them.
cmake --build --preset default -j "$(nproc)" >/dev/null
# Only files the build compiles have flags to analyse with.
mapfile -t tidy < <(for f in "${units[@]}"; do
	grep -q "\"file\": \"$PWD/$f\"" build/default/compile_commands.json && echo "$f"
done)
echo "== clang-tidy (${#tidy[@]} files)"
# One file per process: clang-tidy 14 carries analyzer state from one file
# into the next and reports a false 'uninitialized va_list' when given many.
printf '%s\n' "${tidy[@]}" | xargs -n1 -P "$(nproc)" clang-tidy -p build/default --quiet \
	2>&1 | grep -v '^[0-9]* warnings\? generated' | tee build/clang-tidy.log || true
if grep -q 'error:\|warning:' build/clang-tidy.log; then
	echo "clang-tidy: findings above"
	exit 1
fi
echo "static analysis: no findings"
