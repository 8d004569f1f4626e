#!/usr/bin/env bash
# systemd_units.sh SRC_DIR SERVER_BIN CLIENT_BIN
#
# The shipped units in systemd/: the socket listens for datagrams on port 7,
# IPv4 and IPv6; the service carries every sandbox directive we promise;
# `systemd-analyze verify` accepts both and `systemd-analyze security` rates
# the service's exposure at most 1.5 (when systemd-analyze can run here); and
# udpecho-server, started by systemd-socket-activate as systemd would start
# it, passes `udpecho check`.
set -euo pipefail

src=$1
server=$(realpath "$2")
client=$(realpath "$3")
units=$src/systemd
work=$(mktemp -d /tmp/udpecho-units-XXXXXX)
activator_pid=
cleanup() {
	[ -z "$activator_pid" ] || kill "$activator_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# has FILE LINE...: every LINE is in FILE exactly.
has() {
	local file=$1 line
	shift
	for line in "$@"; do
		grep -qxF -- "$line" "$file" || fail "$(basename "$file") lacks '$line'"
	done
}

has "$units/udpecho-server.socket" "ListenDatagram=7" "BindIPv6Only=both" \
	"WantedBy=sockets.target"
has "$units/udpecho-server.service" "DynamicUser=yes" "NoNewPrivileges=yes" \
	"ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK" "MemoryDenyWriteExecute=yes" \
	"SystemCallFilter=@system-service" "SystemCallArchitectures=native" \
	"CapabilityBoundingSet=" "LockPersonality=yes" "RestrictRealtime=yes" \
	"RestrictNamespaces=yes" "ProtectKernelTunables=yes" "ProtectKernelModules=yes" \
	"ProtectKernelLogs=yes" "ProtectControlGroups=yes" "ProtectClock=yes" \
	"ProtectHostname=yes" "UMask=0077" "ExecStart=/usr/bin/udpecho-server --rate-limit 1000,200"
# The service must not bind: no --bind/--port, the socket unit owns the address.
if grep -E '^ExecStart=.*--(bind|port)' "$units/udpecho-server.service"; then
	fail "ExecStart binds by itself"
fi
[ "$failures" -eq 0 ] && echo "ok: units carry the listener and every sandbox directive"

# systemd-analyze: offline, against copies whose ExecStart is the built binary
# (verify insists the binary exists) and with the man pages on MANPATH
# (verify runs `man` for every Documentation=man: line).
analyze() {
	local out
	mkdir -p "$work/units" "$work/man/man1" "$work/man/man8"
	cp "$units"/udpecho-server.socket "$units"/udpecho-server.service "$work/units/"
	sed -i "s|^ExecStart=/usr/bin/udpecho-server|ExecStart=$server|" \
		"$work/units/udpecho-server.service"
	cp "$src/man/udpecho.1" "$work/man/man1/"
	cp "$src/man/udpecho-server.8" "$work/man/man8/"
	# A unit known to be good first: if even that fails, this machine cannot verify.
	printf '[Service]\nExecStart=/bin/true\n' >"$work/units/control.service"
	if ! out=$(cd "$work/units" && timeout 30 systemd-analyze verify --man=no ./control.service 2>&1); then
		echo "SKIP: systemd-analyze verify cannot run here (a trivial unit fails too):"
		echo "$out"
		return 0
	fi
	if ! out=$(cd "$work/units" && MANPATH=$work/man timeout 30 systemd-analyze verify \
		./udpecho-server.socket ./udpecho-server.service 2>&1) || [ -n "$out" ]; then
		fail "systemd-analyze verify:"$'\n'"$out"
	else
		echo "ok: systemd-analyze verify accepts both units"
	fi
	if ! out=$(cd "$work/units" && timeout 30 systemd-analyze security --offline=yes \
		--threshold=15 ./udpecho-server.service 2>&1); then
		fail "systemd-analyze security: exposure above 1.5:"$'\n'"$(echo "$out" | tail -n 3)"
	else
		echo "ok: systemd-analyze security: $(echo "$out" | grep -o 'exposure level.*')"
	fi
}
if command -v systemd-analyze >/dev/null; then
	analyze
else
	echo "SKIP: systemd-analyze is not installed (package systemd): units not verified"
fi

# Activation as systemd does it, on a free loopback port instead of 7.
if command -v systemd-socket-activate >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1)
	systemd-socket-activate --datagram -l "[::]:$port" "$server" >"$work/server.out" 2>"$work/server.err" &
	activator_pid=$!
	for _ in $(seq 1 100); do
		grep -q '^starting up' "$work/server.out" 2>/dev/null && break
		"$client" send --port "$port" --timeout 0.05 >/dev/null 2>&1 || true
		sleep 0.05
	done
	if "$client" check 127.0.0.1 "$port" --only 'echo.*,reply.*' >"$work/check4" 2>&1 &&
		"$client" check ::1 "$port" --only 'echo.*,reply.*' >"$work/check6" 2>&1; then
		grep -qx "starting up on :: port $port" "$work/server.out" ||
			fail "startup line: $(head -n1 "$work/server.out")"
		echo "ok: activated by systemd-socket-activate, udpecho check passes on IPv4 and IPv6"
	else
		fail "udpecho check against the activated server:"$'\n'"$(cat "$work"/check* "$work/server.err")"
	fi
	kill "$activator_pid"
	wait "$activator_pid" || true
	activator_pid=
	grep -q '^summary: received=' "$work/server.out" || fail "no summary after SIGTERM"

	# The datagram that starts the server is echoed, on IPv4 and IPv6: it was
	# queued before the server asked for its arrival interface.
	for family in 4 6; do
		if [ "$family" = 4 ]; then listen=127.0.0.1 host=127.0.0.1; else listen='[::1]' host=::1; fi
		port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0)); print(s.getsockname()[1])')
		systemd-socket-activate --datagram -l "$listen:$port" "$server" -v \
			>"$work/first.out" 2>"$work/first.err" &
		activator_pid=$!
		for _ in $(seq 1 100); do
			grep -q '^Listening on' "$work/first.err" && break
			sleep 0.02
		done
		if "$client" send --host "$host" --port "$port" --timeout 5s first >"$work/first.send" 2>&1; then
			echo "ok: the datagram that activated the server (IPv$family) was echoed"
		else
			fail "the activating datagram (IPv$family) got no echo:"$'\n'"$(cat "$work/first.send" "$work/first.out")"
		fi
		kill "$activator_pid"
		wait "$activator_pid" || true
		activator_pid=
	done
else
	echo "SKIP: systemd-socket-activate is not installed (package systemd): activation not run"
fi

if [ "$failures" -ne 0 ]; then
	echo "systemd units: $failures failure(s)"
	exit 1
fi
