#!/usr/bin/env bash
# The main job: install what is missing, build, and run `udpecho check`
# with no target: it starts the built-in server on an ephemeral loopback
# port and runs the whole conformance suite against it.  Extra arguments
# go to `udpecho check` (e.g. a HOST and PORT, or --format json).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/deps.sh >&2
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
exec build/default/udpecho check "$@"
