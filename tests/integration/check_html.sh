#!/usr/bin/env bash
# `udpecho check --format html`, judged by independent tools: HTML Tidy must
# find no error and no warning, and headless Chromium must draw the page (a
# screenshot with more than a blank page's colours) without a console
# message.  The pages: a passing run (the built-in server), a failing one (a
# zoo server that truncates at 4096 bytes: the ladder shows it) and one that
# cannot start (nothing listening).  Exits 77 (a skip) when a tool is missing.
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
udpecho=$1 zoo=$2

for tool in tidy chromium python3 timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (ci/deps.sh installs it)"
		exit 77
	fi
done

tmp=$(mktemp -d)
pids=()
port=
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }


# page NAME EXPECTED_STATUS ARGS...: $tmp/NAME.html from `udpecho check ARGS --format html`.
page() {
	local name=$1 want=$2 status=0
	shift 2
	timeout 120 "$udpecho" check "$@" --format html >"$tmp/$name.html" || status=$?
	[ "$status" -eq "$want" ] || fail "$name exited $status, wanted $want"
}

page builtin 0
start_zoo "$zoo" "$tmp" 127.0.0.1 truncate 4096
page truncate 1 127.0.0.1 "$port"
closed=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
page closed 2 127.0.0.1 "$closed"

# What each page must hold, and that it is self-contained: no script, nothing fetched.
grep -q '<title>4097 bytes: truncated to 4096</title>' "$tmp/truncate.html" ||
	fail "truncate.html: the ladder shows no truncation"
grep -q 'class="badge FAIL">FAIL</span></td><td>truncates to 4096' "$tmp/truncate.html" ||
	fail "truncate.html: echo.sizes is not a FAIL"
for name in builtin truncate; do
	[ "$(grep -c '<svg' "$tmp/$name.html")" -eq 2 ] || fail "$name.html: not two drawings"
	grep -q '>p99 [0-9.]* ms</text>' "$tmp/$name.html" || fail "$name.html: no p99 mark"
done
grep -q 'could not start: nothing listening on 127.0.0.1:'"$closed" "$tmp/closed.html" ||
	fail "closed.html: no error"
for name in builtin truncate closed; do
	if grep -Eiq '<script|<link|<img|<iframe|src=|url\(|@import|href="[^#]' "$tmp/$name.html"; then
		fail "$name.html refers to something outside itself"
	fi
done

# tidy: 0 is clean, 1 warnings, 2 errors.  Neither kind is allowed.
for name in builtin truncate closed; do
	status=0
	timeout 60 tidy -errors -quiet "$tmp/$name.html" >"$tmp/$name.tidy" 2>&1 || status=$?
	[ "$status" -eq 0 ] || fail "tidy on $name.html ($status): $(cat "$tmp/$name.tidy")"
done

# render NAME: $tmp/NAME.png and Chromium's log in $tmp/NAME.log.  Every
# host name resolves to nothing: a page that fetched would fail to, and no
# traffic leaves the machine.
render() {
	local name=$1 status=0
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$tmp/profile.$name" \
		--enable-logging=stderr --v=0 --window-size=1200,1600 \
		--screenshot="$tmp/$name.png" "file://$tmp/$name.html" >"$tmp/$name.log" 2>&1 ||
		status=$?
	[ "$status" -eq 0 ] && [ -s "$tmp/$name.png" ] ||
		fail "chromium on $name.html ($status): $(tail -5 "$tmp/$name.log")"
}

# pngstat FILE: "WIDTH HEIGHT COLOURS INKED", INKED the share of pixels not
# of the commonest colour.  The standard library only: zlib and the filters.
pngstat() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib

data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, []
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat.append(body)
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and not interlace, 'unexpected PNG type'
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(b''.join(idat)), w * bpp
prev, counts = bytearray(stride), {}
for y in range(h):
    at = y * (stride + 1)
    f, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
    if f == 1:
        for x in range(bpp, stride):
            line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        for x in range(stride):
            line[x] = (line[x] + prev[x]) & 255
    elif f in (3, 4):
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
                continue
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
    prev = line
print(w, h, len(counts), '%.4f' % (1 - max(counts.values()) / (w * h)))
EOF
}

# drawn NAME: the screenshot is the window's size and not blank; the log has
# no console message (the page has no script: any message is an error).
drawn() {
	local name=$1 w h colours inked
	render "$name"
	[ -s "$tmp/$name.png" ] || return 0
	read -r w h colours inked < <(pngstat "$tmp/$name.png") || {
		fail "$name.png cannot be decoded"
		return 0
	}
	[ "$w" -eq 1200 ] && [ "$h" -eq 1600 ] || fail "$name.png is ${w}x$h, not 1200x1600"
	[ "$colours" -gt 16 ] && python3 -c "import sys; sys.exit(not $inked > 0.001)" ||
		fail "$name.png looks blank: $colours colours, $inked inked"
	if grep -E ':CONSOLE|Uncaught' "$tmp/$name.log"; then
		fail "$name.html: console messages above"
	fi
}

for name in builtin truncate closed; do drawn "$name"; done

# The judges can fail: a blank page is blank, and a script error is seen.
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>\n' >"$tmp/blank.html"
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>broken</title></head><body><p>x</p><script>nosuch();</script></body></html>\n' >"$tmp/broken.html"
render blank
read -r _ _ colours _ < <(pngstat "$tmp/blank.png")
[ "$colours" -le 16 ] || fail "a blank page has $colours colours: the blank test cannot fail"
render broken
grep -q 'Uncaught ReferenceError' "$tmp/broken.log" ||
	fail "a script error left no console message: the console test cannot fail"

if [ "$failures" -ne 0 ]; then
	echo "$failures html problem(s)"
	exit 1
fi
echo "check html: tidy-clean, drawn by chromium without console messages, for passing, failing and refused runs"
