#!/usr/bin/env bash
# ci/deb.sh [SRC_DIR]: the Debian package, end to end, on this machine (as
# root, Debian 12; ci/deps.sh installs the tools).
#
#  1. build: a scratch copy of the tree (tracked and untracked files, not
#     ignored ones; SRC_DIR defaults to this checkout), then
#     `dpkg-buildpackage -us -uc`: the source package and the binary one, so
#     that lintian sees debian/ itself too.  At most 2 jobs.
#  2. lintian on the .changes (source, .deb and -dbgsym): every tag shown, down
#     to pedantic, overridden ones too (O:); any error or warning fails.
#     Accepted, with its reason in debian/udpecho.lintian-overrides: package-
#     supports-alternative-init-but-no-init.d-script (info).  Not shown:
#     experimental tags (-E), which only flag long lines in binary fuzz
#     inputs in corpus/.
#  3. install with apt-get (`apt-get install ./udpecho_*.deb`), then test what
#     was installed: the file list, `--version` against debian/changelog, the
#     man pages (`man -l` with groff warnings on, and by name), bash
#     completion, neither unit enabled by the installation, systemd-analyze
#     verify on the installed units, and `udpecho check` (the whole suite, IPv4
#     and IPv6) against the installed server: through the real socket unit
#     where systemd runs, else started by systemd-socket-activate exactly as
#     the installed service's ExecStart says, as user nobody with no
#     capabilities, else plainly on an ephemeral port.
#  4. purge, and check nothing is left (enable symlinks included), so the
#     script can run again.  A udpecho package installed before the run is
#     upgraded to this build and left installed instead.
#
# PASS/FAIL/SKIP per check; exits 1 on any failure.  About 30 s.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src=$(cd "${1:-$root}" && pwd)
start=$SECONDS
failures=0
passes=0
pass() {
	echo "PASS: $*"
	passes=$((passes + 1))
}
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
skip() { echo "SKIP: $*"; }
die() {
	fail "$*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the package is installed on this machine and purged again"
for tool in dpkg-buildpackage dh lintian apt-get; do
	command -v "$tool" >/dev/null || die "$tool is missing: run bash ci/deps.sh"
done
[ -f "$src/debian/changelog" ] || die "$src has no debian/changelog"

# One run at a time on this machine: each installs and purges the package.
exec 9>/run/lock/udpecho-ci-deb.lock
if ! flock -w 600 9; then die "another ci/deb.sh has held /run/lock/udpecho-ci-deb.lock for 10 minutes"; fi

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${version#*:}
upstream=${upstream%-*}
arch=$(dpkg --print-architecture)
deb_version=${version#*:}

work=$(mktemp -d /tmp/udpecho-deb-XXXXXX)
chmod 755 "$work" # lintian runs as nobody; apt reads the .deb as _apt
tree=$work/udpecho-$upstream
installed_by_us=0
activator_pid=
cleanup() {
	local rc=$?
	if [ -n "$activator_pid" ]; then
		kill "$activator_pid" 2>/dev/null || true
		wait "$activator_pid" 2>/dev/null || true
	fi
	if [ "$installed_by_us" -eq 1 ]; then
		DEBIAN_FRONTEND=noninteractive timeout 180 apt-get -o DPkg::Lock::Timeout=120 purge -y -qq udpecho >"$work/purge.log" 2>&1 ||
			{ echo "FAIL: apt-get purge udpecho (at exit):"; sed 's/^/  /' "$work/purge.log"; rc=1; }
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Build, from a scratch copy.
mkdir "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked and untracked files, not ignored ones (build/, obj-*); a tracked
	# file deleted in the working tree is left out.
	git -C "$src" ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -e "$src/$f" ] || [ -L "$src/$f" ]; then printf '%s\0' "$f"; fi
		done |
		tar -C "$src" --null -T - -cf - | tar -C "$tree" -xf -
else
	tar -C "$src" --exclude=./.git --exclude=./build --exclude='./build-*' \
		--exclude='./obj-*' --exclude=./debian/.debhelper -cf - . | tar -C "$tree" -xf -
fi
jobs=$(nproc)
[ "$jobs" -le 2 ] || jobs=2
build_options=${DEB_BUILD_OPTIONS:-}
case " $build_options " in *" parallel="*) ;; *) build_options="$build_options parallel=$jobs" ;; esac
t0=$SECONDS
if (cd "$tree" && DEB_BUILD_OPTIONS=${build_options# } timeout 900 dpkg-buildpackage -us -uc) \
	>"$work/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc ($version, DEB_BUILD_OPTIONS='${build_options# }') in $((SECONDS - t0)) s"
else
	echo "--- last lines of the build log:"
	tail -n 60 "$work/build.log"
	die "dpkg-buildpackage failed"
fi
deb=$work/udpecho_${deb_version}_$arch.deb
changes=$work/udpecho_${deb_version}_$arch.changes
if [ ! -f "$deb" ] || [ ! -f "$changes" ]; then
	die "no $(basename "$deb") or $(basename "$changes") after the build"
fi
if grep -q 'tests passed' "$work/build.log"; then
	echo "  build-time tests: $(grep 'tests passed' "$work/build.log" | tail -n1)"
fi

# 2. lintian: show every tag down to pedantic, fail on errors and warnings.
lint=(lintian --display-info --pedantic --show-overrides --fail-on 'error,warning' "$changes")
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
	lint=(runuser -u nobody -- env HOME=/nonexistent TMPDIR=/tmp "${lint[@]}")
fi
t0=$SECONDS
if out=$(timeout 300 "${lint[@]}" 2>&1); then
	pass "lintian: no errors or warnings ($((SECONDS - t0)) s)${out:+; it says:}"
else
	fail "lintian:"
fi
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'

# 3. Install on this machine.
before=$(dpkg-query -W -f='${Status} ${Version}' udpecho 2>/dev/null || true)
apt_args=(-o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends)
if [[ $before == "install ok installed"* ]]; then
	echo "NOTE: udpecho ${before##* } was installed before this run: it is upgraded to this build and left installed"
	apt_args+=(--reinstall --allow-downgrades)
else
	installed_by_us=1
fi
if DEBIAN_FRONTEND=noninteractive timeout 300 apt-get "${apt_args[@]}" "$deb" >"$work/install.log" 2>&1; then
	pass "apt-get install ./$(basename "$deb")"
else
	sed 's/^/  /' "$work/install.log"
	die "apt-get install ./$(basename "$deb")"
fi

# The files: exactly these, each on disk.
expected=(
	/lib/systemd/system/udpecho-server.service
	/lib/systemd/system/udpecho-server.socket
	/usr/bin/udpecho
	/usr/bin/udpecho-server
	/usr/share/bash-completion/completions/udpecho
	/usr/share/bash-completion/completions/udpecho-server
	/usr/share/doc/udpecho/README.md.gz
	/usr/share/doc/udpecho/changelog.gz
	/usr/share/doc/udpecho/copyright
	/usr/share/doc/udpecho/override.conf.example
	/usr/share/lintian/overrides/udpecho
	/usr/share/man/man1/udpecho.1.gz
	/usr/share/man/man8/udpecho-server.8.gz
)
listed=$(dpkg -L udpecho | while IFS= read -r p; do [ -d "$p" ] || echo "$p"; done | sort)
want=$(printf '%s\n' "${expected[@]}" | sort)
missing_files=()
for f in "${expected[@]}"; do [ -e "$f" ] || missing_files+=("$f"); done
if [ "$listed" = "$want" ] && [ ${#missing_files[@]} -eq 0 ]; then
	pass "dpkg -L udpecho: the ${#expected[@]} expected files, all on disk"
else
	fail "dpkg -L udpecho: files differ from the expected list (< expected, > listed):"
	diff <(echo "$want") <(echo "$listed") | sed 's/^/  /' || true
	[ ${#missing_files[@]} -eq 0 ] || echo "  listed but not on disk (a dpkg path-exclude?): ${missing_files[*]}"
fi
for f in /usr/bin/udpecho /usr/bin/udpecho-server; do
	[ -x "$f" ] || fail "$f is not executable"
done

# --version against debian/changelog (which must match the CMake project version).
for cmd in udpecho udpecho-server; do
	got=$(timeout 10 "/usr/bin/$cmd" --version 2>&1 || true)
	if [ "$got" = "$cmd $upstream" ]; then
		pass "$cmd --version: '$got', the changelog's upstream version"
	else
		fail "$cmd --version: '$got', expected '$cmd $upstream' (debian/changelog and CMakeLists.txt project() must agree)"
	fi
done

# Man pages: render with every groff warning on, and man finds them by name.
for page in /usr/share/man/man1/udpecho.1.gz /usr/share/man/man8/udpecho-server.8.gz; do
	if ! warn=$(MANWIDTH=80 LC_ALL=C.UTF-8 timeout 30 man --warnings=w -l "$page" 2>&1 >"$work/rendered"); then
		fail "man -l $page exits non-zero: $warn"
	elif [ -n "$warn" ]; then
		fail "man -l $page warns:"$'\n'"$warn"
	elif [ "$(wc -l <"$work/rendered")" -lt 50 ]; then
		fail "man -l $page rendered only $(wc -l <"$work/rendered") lines"
	else
		pass "man -l $(basename "$page"): $(wc -l <"$work/rendered") lines, no warnings"
	fi
done
if [ "$(man -w 1 udpecho 2>/dev/null)" = /usr/share/man/man1/udpecho.1.gz ] &&
	[ "$(man -w 8 udpecho-server 2>/dev/null)" = /usr/share/man/man8/udpecho-server.8.gz ]; then
	pass "man finds udpecho(1) and udpecho-server(8) by name"
else
	fail "man -w: udpecho(1) -> '$(man -w 1 udpecho 2>&1)', udpecho-server(8) -> '$(man -w 8 udpecho-server 2>&1)'"
fi

# Bash completion, loaded on demand the way bash-completion does.
if [ -f /usr/share/bash-completion/bash_completion ]; then
	got=$(timeout 10 bash -c 'source /usr/share/bash-completion/bash_completion
		_completion_loader udpecho; _completion_loader udpecho-server
		complete -p udpecho udpecho-server' 2>&1 || true)
	if [ "$(echo "$got" | grep -c '^complete -F ')" -eq 2 ]; then
		pass "bash-completion loads the installed completion for both commands"
	else
		fail "bash completion: $got"
	fi
else
	skip "bash-completion is not installed: completion not loaded"
fi

# Installing opens no port: neither unit is enabled (debian/rules).
if [ -e /etc/systemd/system/sockets.target.wants/udpecho-server.socket ]; then
	if [ "$installed_by_us" -eq 0 ]; then
		skip "udpecho-server.socket is enabled: it was installed before this run, an admin may have enabled it"
	else
		fail "udpecho-server.socket is enabled by the installation (it must open no port by itself)"
	fi
else
	pass "udpecho-server.socket is not enabled by the installation"
fi
if find /etc/systemd/system -name udpecho-server.service -path '*.wants/*' | grep -q .; then
	fail "udpecho-server.service is enabled by itself (only the socket should be)"
else
	pass "udpecho-server.service is not enabled by itself"
fi

# systemd-analyze verify, on the installed units (binary and man pages in place).
if command -v systemd-analyze >/dev/null; then
	printf '[Service]\nExecStart=/bin/true\n' >"$work/control.service"
	if ! out=$(cd "$work" && timeout 30 systemd-analyze verify --man=no ./control.service 2>&1); then
		skip "systemd-analyze verify cannot run here (a trivial unit fails too): $out"
	elif out=$(timeout 30 systemd-analyze verify /lib/systemd/system/udpecho-server.socket \
		/lib/systemd/system/udpecho-server.service 2>&1) && [ -z "$out" ]; then
		pass "systemd-analyze verify accepts the installed units"
	else
		fail "systemd-analyze verify on the installed units:"$'\n'"$out"
	fi
else
	skip "systemd-analyze is not installed: the installed units are not verified"
fi

# udpecho check against the installed server.
has_ipv6_loopback() { grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; }
run_check() { # HOST PORT LABEL
	if timeout 120 /usr/bin/udpecho check "$1" "$2" >"$work/check.out" 2>&1; then
		pass "udpecho check $1 $2 ($3): $(tail -n1 "$work/check.out")"
	else
		fail "udpecho check $1 $2 ($3):"
		sed 's/^/  /' "$work/check.out"
	fi
}
mode=${UDPECHO_DEB_SERVE:-auto} # auto, or force: systemd, activate, plain
if [ "$mode" = auto ]; then
	if [ -d /run/systemd/system ]; then
		mode=systemd
	elif command -v systemd-socket-activate >/dev/null; then
		mode=activate
	else
		mode=plain
	fi
fi
case $mode in
systemd)
	# The real thing: the socket on port 7, started as an admin would.
	timeout 10 systemctl start udpecho-server.socket || true
	if timeout 10 systemctl is-active --quiet udpecho-server.socket; then
		pass "systemd runs here: udpecho-server.socket is active"
		run_check 127.0.0.1 7 "socket-activated by systemd"
		if has_ipv6_loopback; then run_check ::1 7 "socket-activated by systemd"; fi
		if timeout 10 systemctl is-active --quiet udpecho-server.service; then
			pass "udpecho-server.service was started by its socket"
		else
			fail "udpecho-server.service is not active after serving the checks"
		fi
	else
		fail "udpecho-server.socket is not active (port 7 taken?):"$'\n'"$(systemctl status --no-pager udpecho-server.socket 2>&1 | tail -n 8)"
	fi
	;;
activate)
	# As the installed units would run it: the service's ExecStart, handed a
	# dual-stack datagram socket on fd 3 (a free port instead of 7), as nobody
	# without capabilities (the unit uses DynamicUser=yes).
	execstart=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/udpecho-server.service | tail -n1)
	read -r -a cmd <<<"$execstart"
	grep -qx 'ListenDatagram=7' /lib/systemd/system/udpecho-server.socket ||
		fail "the installed socket unit does not listen on port 7"
	drop=()
	if command -v setpriv >/dev/null; then
		drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs
			--inh-caps=-all --bounding-set=-all)
	fi
	port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		shuf -i 20000-60000 -n 1)
	systemd-socket-activate --datagram -l "[::]:$port" "${drop[@]}" "${cmd[@]}" \
		>"$work/server.out" 2>"$work/server.err" 9>&- &
	activator_pid=$!
	# systemd-socket-activate execs the server on the first datagram.
	for _ in $(seq 1 100); do
		grep -q '^starting up' "$work/server.out" 2>/dev/null && break
		/usr/bin/udpecho send --port "$port" --timeout 0.05 >/dev/null 2>&1 || true
		sleep 0.05
	done
	if grep -qx "starting up on :: port $port" "$work/server.out"; then
		pass "systemd-socket-activate started '${drop[*]:+${drop[0]} (nobody) }$execstart' on the socket it was handed"
		run_check 127.0.0.1 "$port" "activated"
		if has_ipv6_loopback; then run_check ::1 "$port" "activated"; fi
	else
		fail "the activated server did not start:"$'\n'"$(cat "$work/server.out" "$work/server.err")"
	fi
	kill "$activator_pid" 2>/dev/null || true
	wait "$activator_pid" || true
	activator_pid=
	if grep -q '^summary: received=' "$work/server.out"; then
		pass "SIGTERM: the server stopped with its summary line"
	else
		fail "no summary line after SIGTERM:"$'\n'"$(cat "$work/server.out" "$work/server.err")"
	fi
	;;
plain)
	/usr/bin/udpecho-server --bind 127.0.0.1 --port 0 >"$work/server.out" 2>"$work/server.err" 9>&- &
	activator_pid=$!
	for _ in $(seq 1 100); do
		grep -q '^starting up' "$work/server.out" 2>/dev/null && break
		sleep 0.05
	done
	port=$(sed -n 's/^starting up on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' "$work/server.out")
	if [ -n "$port" ]; then
		pass "udpecho-server --bind 127.0.0.1 --port 0 started on port $port"
		run_check 127.0.0.1 "$port" "plain"
	else
		fail "udpecho-server did not start:"$'\n'"$(cat "$work/server.out" "$work/server.err")"
	fi
	kill "$activator_pid" 2>/dev/null || true
	wait "$activator_pid" || true
	activator_pid=
	;;
*) die "UDPECHO_DEB_SERVE=$mode: expected auto, systemd, activate or plain" ;;
esac

# 4. Purge, and nothing may be left behind.
if [ "$installed_by_us" -eq 1 ]; then
	installed_by_us=0
	if DEBIAN_FRONTEND=noninteractive timeout 180 apt-get -o DPkg::Lock::Timeout=120 purge -y -qq udpecho >"$work/purge.log" 2>&1; then
		left=$(find /usr/bin/udpecho /usr/bin/udpecho-server /lib/systemd/system /etc/systemd \
			/var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
			-name '*udpecho*' 2>/dev/null || true)
		if dpkg-query -W udpecho >/dev/null 2>&1; then
			fail "apt-get purge: dpkg still knows udpecho: $(dpkg-query -W -f='${Status}' udpecho)"
		elif [ -n "$left" ]; then
			fail "apt-get purge left: $left"
		else
			pass "apt-get purge udpecho: nothing left (binaries, units, enable symlinks, state)"
		fi
	else
		sed 's/^/  /' "$work/purge.log"
		fail "apt-get purge udpecho"
	fi
fi

echo "deb: $passes passed, $failures failed in $((SECONDS - start)) s"
[ "$failures" -eq 0 ]
