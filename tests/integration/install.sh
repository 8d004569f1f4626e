#!/usr/bin/env bash
# install.sh BUILD_DIR: `cmake --install` into a scratch prefix puts every
# shipped file where README's "Installing" says, and the installed pages and
# completion work from there.
set -euo pipefail

build=$1
prefix=$(mktemp -d /tmp/udpecho-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
failures=0
for f in bin/udpecho bin/udpecho-server share/man/man1/udpecho.1 \
	share/man/man8/udpecho-server.8 share/doc/udpecho/udpecho-server.socket \
	share/doc/udpecho/udpecho-server.service share/doc/udpecho/override.conf.example \
	share/bash-completion/completions/udpecho \
	share/bash-completion/completions/udpecho-server; do
	if [ -f "$prefix/$f" ]; then
		echo "ok: $f"
	else
		echo "FAIL: $f not installed"
		failures=$((failures + 1))
	fi
done
[ -x "$prefix/bin/udpecho-server" ] || { echo "FAIL: bin/udpecho-server not executable"; failures=$((failures + 1)); }
# man finds the installed pages by name through the prefix.
for page in "1 udpecho" "8 udpecho-server"; do
	set -- $page
	if MANPATH=$prefix/share/man MANWIDTH=80 man "$1" "$2" 2>/dev/null | grep -q '^NAME'; then
		echo "ok: man $1 $2 from the prefix"
	else
		echo "FAIL: man $1 $2 does not find the installed page"
		failures=$((failures + 1))
	fi
done
[ "$failures" -eq 0 ]
