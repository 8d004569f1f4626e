#!/usr/bin/env bash
# Regenerate the hand-made seeds, corpus/HARNESS/seed-*, from this script.
# Entries found by fuzzing (40-hex names, see ci/fuzz.sh --update-corpus) and
# crash reproducers (crash-*, regression-*) are left alone.
#
# Layouts of the structured harnesses are documented at the top of
# fuzz/fuzz_policy.c, fuzz/fuzz_parse.c and fuzz/fuzz_check.c; the helpers below
# spell them out.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- bytes ------------------------------------------------------------------
# Every helper prints hex; `seed HARNESS NAME HEX...` writes the bytes.
unhex() {
	local h=$1 i
	for ((i = 0; i < ${#h}; i += 2)); do printf "\\x${h:i:2}"; done
}
txt() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
u8() { printf '%02x' "$1"; }
u16() { printf '%04x' "$1"; }
u32() { printf '%08x' "$1"; }
u64() { printf '%016x' "$1"; }
rep() { local i; for ((i = 0; i < $2; i++)); do printf '%s' "$1"; done; }
seed() {
	local h=$1 name
	name=$(printf '%s' "$2" | tr -c 'A-Za-z0-9.=_-' '_')
	shift 2
	if [ -e "corpus/$h/seed-$name" ]; then
		echo "make_seeds: two seeds named corpus/$h/seed-$name" >&2
		exit 1
	fi
	unhex "$(printf '%s' "$@")" >"corpus/$h/seed-$name"
}
# A file of N bytes cycling through every byte value (quotes, backslash, NUL...).
cycle() {
	local all many i
	all=$(mktemp)
	many=$(mktemp)
	for ((i = 0; i < 256; i++)); do printf "\\x$(printf '%02x' "$i")"; done >"$all"
	for ((i = 0; i <= $1 / 256; i++)); do cat "$all"; done >"$many"
	head -c "$1" "$many"
	rm -f "$all" "$many"
}

classic='This is the message.  It will be repeated.'

for h in handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz; do
	mkdir -p "corpus/$h"
	rm -f "corpus/$h"/seed-*
done

# ---- handle_datagram and repr: raw datagrams ---------------------------------
for h in handle_datagram repr; do
	: >"corpus/$h/seed-empty"
	printf 'x' >"corpus/$h/seed-one-byte"
	printf '%s' "$classic" >"corpus/$h/seed-classic-42"
	cycle 256 >"corpus/$h/seed-all-256-byte-values"
	head -c 64 /dev/zero >"corpus/$h/seed-nul-run-64"
	cycle 4096 >"corpus/$h/seed-size-4096"
	cycle 4097 >"corpus/$h/seed-size-4097"
done
cycle 8192 >corpus/handle_datagram/seed-size-8192
cycle 65507 >corpus/handle_datagram/seed-size-65507-ipv4-max
# (Not in repr: a 65,507-byte repr costs libFuzzer's comparison tracing ~10 ms a run.)
# One byte over the IPv4 maximum: dropped from IPv4, echoed to IPv6 (replay only;
# libFuzzer's -max_len=65507 cuts it to 65507).
cycle 65508 >corpus/handle_datagram/seed-size-65508-ipv4-max-plus-1
seed repr quotes-single-only "$(txt "it's")"
seed repr quotes-double-only "$(txt 'say "hi"')"
seed repr quotes-both "$(txt "it's \"x\"")"
seed repr backslash "$(txt 'a\b\\c')"
seed repr named-escapes 090a0d 5c 27
seed repr edges 1f 20 7e 7f 80 ff 00

# ---- policy: peer, policy, size, datagram (fuzz/fuzz_policy.c) ----------------
# peer FAMILY-CHOICE ADDR-HEX(16 bytes) PORT: 0 v4, 1 v6, 2 v4-mapped, 3 none, 4/5 invalid
# then the address shape and arrival bytes: speer ... SHAPE ARRIVAL (bit 0 known,
# bit 1 on loopback, bit 2 as IPv6); peer is speer with both 0.
speer() {
	printf '%s%s%s%s%s%s%s' "$(u8 "$1")" "$2" "$(u16 "$3")" "$(u32 0)" "$(u32 0)" "$(u8 "$4")" \
		"$(u8 "$5")"
}
peer() { speer "$1" "$2" "$3" 0 0; }
v4=7f000001000000000000000000000000
v6=00000000000000000000000000000001
mapped=00000000000000000000ffff7f000001
# list TEXT: deny choice c with c % 3 == 1 and c >> 2 == length, then the text.
list() {
	local n=${#1} c
	for c in $((4 * n)) $((4 * n + 1)) $((4 * n + 2)) $((4 * n + 3)); do
		if ((c % 3 == 1)); then
			printf '%s%s' "$(u8 $c)" "$(txt "$1")"
			return
		fi
	done
}
pol=0000        # no subnet broadcasts, no --allow list
dflt=00         # max-size choice 0: the family maximum
deny_default=00 # deny choice 0: the default list
rest=0000       # size choice 0 (the rest of the input is the datagram), delta 0
msg=$(txt "$classic")
seed policy v4-classic-echo "$(peer 0 $v4 40000)" $dflt $deny_default $pol $rest "$msg"
seed policy v6-classic-echo "$(peer 1 $v6 40000)" $dflt $deny_default $pol $rest "$msg"
seed policy mapped-classic-echo "$(peer 2 $mapped 40000)" $dflt $deny_default $pol $rest "$msg"
seed policy v4-empty-echo "$(peer 0 $v4 40000)" $dflt $deny_default $pol $rest
for p in 0 7 13 17 19 37; do
	seed policy "v4-loop-port-$p-denied" "$(peer 0 $v4 $p)" $dflt $deny_default $pol $rest "$msg"
done
seed policy family-none-bad-peer "$(peer 3 $v4 40000)" $dflt $deny_default $pol $rest "$msg"
seed policy family-invalid-bad-peer "$(peer 4 $v4 40000)" $dflt $deny_default $pol $rest "$msg"
seed policy family-uint-max-bad-peer "$(peer 5 $v4 7)" $dflt $deny_default $pol $rest "$msg"
# Datagrams made up at the family limits: size choice 1 (65507 + d), 2 (65527 + d), d = 0 / 1.
for fam in "0 $v4 v4" "1 $v6 v6" "2 $mapped mapped"; do
	set -- $fam
	seed policy "$3-size-65507" "$(peer "$1" "$2" 40000)" $dflt $deny_default $pol 01 00
	seed policy "$3-size-65508" "$(peer "$1" "$2" 40000)" $dflt $deny_default $pol 01 01
	seed policy "$3-size-65527" "$(peer "$1" "$2" 40000)" $dflt $deny_default $pol 02 00
	seed policy "$3-size-65528" "$(peer "$1" "$2" 40000)" $dflt $deny_default $pol 02 01
done
# --max-size: 0; 42 against the 42-byte message (size choice 3: max + d, d = 0 / 1);
# 65507 - 1 (choice 1, delta -1: 15 << 3 | 1); 65527 + 1 (choice 2, delta +1: 17 << 3 | 2);
# a u16, a u64, SIZE_MAX - 3 (choice 7, 3 << 3 | 7).
seed policy max-size-0-classic "$(peer 0 $v4 40000)" 05 $deny_default $pol $rest "$msg"
seed policy max-size-0-empty "$(peer 0 $v4 40000)" 05 $deny_default $pol $rest
seed policy max-size-42-at "$(peer 0 $v4 40000)" 03 2a $deny_default $pol 0300
seed policy max-size-42-over "$(peer 0 $v4 40000)" 03 2a $deny_default $pol 0301
seed policy max-size-65506-v4 "$(peer 0 $v4 40000)" 79 $deny_default $pol 0100
seed policy max-size-65528-v6 "$(peer 1 $v6 40000)" 8a $deny_default $pol 0201
seed policy max-size-u16-1000 "$(peer 1 $v6 40000)" 04 "$(u16 1000)" $deny_default $pol 0300
seed policy max-size-u64 "$(peer 0 $v4 40000)" 06 "$(u64 100000)" $deny_default $pol 0100
seed policy max-size-near-size-max "$(peer 2 $mapped 40000)" 1f $deny_default $pol 0101
# --deny-ports lists, set on top of the defaults.
i=0
for l in none '0,7,13-19,37' 7 65535 0-65535 40000 39999-40001 '5-3' 70000 '' '7,' ',7' \
	'none,7' '1-2-3' '-5' '5-' 'a' ' 7' '65535-65536' '000000000000007' '00001-00002'; do
	seed policy "deny-list-$((i++))-${l:-empty}" "$(peer 0 $v4 40000)" $dflt "$(list "$l")" $pol \
		$rest "$msg"
done
seed policy deny-list-none-port-7 "$(peer 0 $v4 7)" $dflt "$(list none)" $pol $rest "$msg"
# Bitmap: deny choice 2, fill byte, then the bytes at port / 8 and port / 8 + 1.
seed policy bitmap-all-denied "$(peer 0 $v4 40000)" $dflt 02 ff ff ff $pol $rest "$msg"
seed policy bitmap-own-port-only "$(peer 0 $v4 40000)" $dflt 02 00 01 00 $pol $rest "$msg"
seed policy bitmap-port-65535 "$(peer 1 $v6 65535)" $dflt 02 00 80 $pol $rest "$msg"

# Sources no real sender has: shape 1 puts 0.0.0.0, 224.0.0.1, 239.255.255.255,
# 255.255.255.255, 127.0.0.1 or 10.0.0.255 (shape >> 3 % 6) at the IPv4 address, shape 2 makes
# ::, ::1 or ::a.b.c.d, shape 3 IPv6 multicast.
for k in 0 1 2 3 4 5; do
	seed policy "v4-special-$k" "$(speer 0 $v4 40000 $((k << 3 | 1)) 0)" $dflt 00 $pol $rest "$msg"
	seed policy "mapped-special-$k" "$(speer 2 $mapped 40000 $((k << 3 | 1)) 0)" $dflt 00 $pol \
		$rest "$msg"
done
seed policy v6-unspecified "$(speer 1 $v6 40000 $((0x12)) 0)" $dflt 00 $pol $rest "$msg"
seed policy v6-compatible "$(speer 1 $v6 40000 2 0)" $dflt 00 $pol $rest "$msg"
seed policy v6-multicast "$(speer 1 $v6 40000 3 0)" $dflt 00 $pol $rest "$msg"
# Arrival: a mapped source inside an IPv6 packet (bits known + ipv6), loopback sources that
# came in on another interface (known, not loopback) or on lo (known + loopback).
seed policy mapped-in-ipv6-packet "$(speer 2 $mapped 40000 0 5)" $dflt 00 $pol $rest "$msg"
seed policy v4-loopback-spoofed "$(speer 0 $v4 40000 0 1)" $dflt 00 $pol $rest "$msg"
seed policy v4-loopback-on-lo "$(speer 0 $v4 40000 0 3)" $dflt 00 $pol $rest "$msg"
seed policy v6-loopback-spoofed "$(speer 1 $v6 40000 0 5)" $dflt 00 $pol $rest "$msg"
seed policy mapped-loopback-spoofed "$(speer 2 $mapped 40000 0 1)" $dflt 00 $pol $rest "$msg"
# Subnet broadcasts: count 1, the peer's own address (bit 7), or one other address.
seed policy broadcast-own "$(peer 0 $v4 40000)" $dflt 00 81 00 $rest "$msg"
seed policy broadcast-other "$(peer 0 $v4 40000)" $dflt 00 01 0a0000ff 00 $rest "$msg"
seed policy broadcast-mapped-own "$(peer 2 $mapped 40000)" $dflt 00 81 00 $rest "$msg"
# --allow: choice 2 writes 1 + (c >> 2) % 4 well-formed prefixes (family bit, address bit 1 =
# the peer's own, then the length); choice 3 is raw text of c >> 2 bytes.
seed policy allow-v4-own-32 "$(peer 0 $v4 40000)" $dflt 00 00 02 00 7f000001 20 $rest "$msg"
seed policy allow-v4-other-8 "$(peer 0 $v4 40000)" $dflt 00 00 02 00 0a000000 08 $rest "$msg"
seed policy allow-v6-own-128 "$(peer 1 $v6 40000)" $dflt 00 00 02 03 80 $rest "$msg"
seed policy allow-mapped-by-v4 "$(peer 2 $mapped 40000)" $dflt 00 00 02 00 7f000000 08 $rest \
	"$msg"
seed policy allow-two "$(peer 1 $v6 40000)" $dflt 00 00 06 01 fd000000000000000000000000000000 \
	08 00 7f000000 08 $rest "$msg"
allow() { printf '%s%s' "$(u8 $((${#1} << 2 | 3)))" "$(txt "$1")"; }
i=0
for l in none 127.0.0.0/8 127.0.0.1 ::1/128 '198.18.0.0/15,fd00::/8' 127.0.0.1/33 127.0.0.1/8 \
	'10.0.0.0/8,' ',::1' '::1/' '::1/0000128' 'x' '1.2.3' '127.0.0.0/08'; do
	seed policy "allow-text-$((i++))" "$(peer 0 $v4 40000)" $dflt 00 00 "$(allow "$l")" $rest \
		"$msg"
done

# ---- ratelimit: pps, burst, table, seed, sources, then (op, step) pairs ------
# (fuzz/fuzz_ratelimit.c).  op bit 0: through echo_decide; op >> 1: the source.
rl() { printf '%s%s%s%s%s' "$(u32 "$1")" "$(u32 "$2")" "$(u8 "$3")" "$(u64 "$4")" "$(u8 "$5")"; }
ops() { local i; for ((i = 0; i < $1; i++)); do printf '%s%s' "$(u8 "$2")" "$(u32 "$3")"; done; }
seed ratelimit one-source-burst-5 "$(rl 10 5 0 1 0)" "$(ops 12 0 1000)"
seed ratelimit one-source-refill "$(rl 1000 2 0 1 0)" "$(ops 8 1 600)"
seed ratelimit four-sources-one-set "$(rl 100 3 0 7 3)" "$(ops 4 0 10)" "$(ops 4 2 10)" \
	"$(ops 4 4 10)" "$(ops 4 6 10)"
seed ratelimit mapped-twin-shares "$(rl 5 1 1 9 1)" "$(ops 2 0 1)" "$(ops 2 2 1)"
seed ratelimit many-sources-evict "$(rl 1 1 0 3 63)" "$(for s in $(seq 0 2 126); do ops 1 $s 5; done)"
seed ratelimit max-pps "$(rl 10000000 999 6 5 2)" "$(ops 6 1 1999999)"
seed ratelimit init-refused "$(rl 0 0 0 0 0)"
seed ratelimit parse-text "$(txt '100,10')"

# ---- parse: target byte, then its input (fuzz/fuzz_parse.c) -------------------
port=00 size=01 dur=02 hex=03 fmt=04 cli=05 addr=06 proc=07
i=0
for s in 0 65535 65536 00010000 '' -1 +1 ' 1' 0x10 99999999999999999999999 7x 70000x; do
	seed parse "port-$((i++))-${s:-empty}" $port "$(txt "$s")"
done
# size: max choice 0 (65527), 1 (65507), 3 (SIZE_MAX), 4 (a u64), 5 (10^k +- 1), 2 (small: 16 = 2 << 3).
seed parse size-65527-max $size 00 "$(txt 65527)"
seed parse size-65528-over $size 00 "$(txt 65528)"
seed parse size-65507-v4 $size 01 "$(txt 65507)"
seed parse size-size-max $size 03 "$(txt 18446744073709551615)"
seed parse size-size-max-plus-1 $size 03 "$(txt 18446744073709551616)"
seed parse size-u64-max-100 $size 04 "$(u64 100)" "$(txt 100)"
seed parse size-pow-999 $size 1d "$(txt 999)"
seed parse size-small-max-2 $size 14 "$(txt 2)"
seed parse size-bad $size 00 "$(txt 12a)"
i=0
for s in 2 0.25 250ms 2s 1.5s .5 3. 10us 1m 1.5m 0.0000015 86400 0 0.0000001 86401 '' s . -1 1h \
	'1 s' ms 2x 1.2.3 +1 99999999999999999999999 1441m 0.123456789123s; do
	seed parse "duration-$((i++))-${s:-empty}" $dur "$(txt "$s")"
done
seed parse hex-spaced $hex 00 "$(txt '48 65 6c 6c 6f')"
seed parse hex-separators $hex 00 "$(txt '48:65-6C	6c')"
seed parse hex-empty $hex 00
seed parse hex-odd $hex 00 "$(txt 486)"
seed parse hex-bad $hex 00 "$(txt zz)"
seed parse hex-split-pair $hex 00 "$(txt '4 8')"
seed parse hex-cap-2 $hex 82 "$(txt 48656c)"
seed parse proc-udp-v4 $proc "$(txt '  482: 0100007F:1E61 00000000:0000 07 00000000:00000000')"
seed parse proc-udp-v6 $proc "$(txt '   12: 00000000000000000000000000000000:0007 00000000000000000000000000000000:0000 07')"
seed parse proc-udp-header $proc "$(txt '   sl  local_address rem_address   st tx_queue rx_queue')"
seed parse proc-udp-5-digits $proc "$(txt '  1: 0100007F:1E610 ')"
for us in 2000000 250000 1 0 1000000 86400000000 18446744073709551615; do
	seed parse "format-seconds-$us" $fmt "$(u64 $us)" 27
done
seed parse format-seconds-cut-3 $fmt "$(u64 123456789)" 03
seed parse format-seconds-cut-0 $fmt "$(u64 123456789)" 00
# cli: errlen choice (0x80: 256 bytes; else choice % 24), then NUL-separated arguments.
args() {
	local a out=''
	for a in "$@"; do out+="$(txt "$a")00"; done
	printf '%s' "${out%00}"
}
seed parse cli-server $cli 80 "$(args --port 10000 -v --host=localhost pos -- --verbose -x)"
seed parse cli-short-inline $cli 80 "$(args -p10 -x4865 -t 2 -4 -h - --format json)"
seed parse cli-missing-value $cli 80 "$(args --timeout)"
seed parse cli-missing-short-value $cli 80 "$(args -p)"
seed parse cli-unknown-long $cli 80 "$(args --nope)"
seed parse cli-unknown-long-over-64 $cli 80 "$(args "--$(rep a 80)")"
seed parse cli-unknown-short $cli 80 "$(args -z)"
seed parse cli-flag-with-value $cli 80 "$(args --verbose=1)"
seed parse cli-short-flag-with-value $cli 80 "$(args -v1)"
seed parse cli-long-v $cli 80 "$(args --v --help)"
seed parse cli-small-errlen $cli 05 "$(args --unknown-option)"
seed parse cli-errlen-1 $cli 01 "$(args -z)"
seed parse cli-errlen-0 $cli 00 "$(args -z)"
seed parse cli-equals-only $cli 80 "$(args --=x)"
# addr: cap, then the peer: choice (family % 4: v4, v6, none, invalid; 0x40 scope; 0x80
# v4-mapped), 16 address bytes, port, flowinfo, [scope], zero-word mask; then other-peer flag.
apeer() { printf '%s%s%s%s%s' "$(u8 "$1")" "$2" "$(u16 "$3")" "$(u32 "$4")" "$5"; }
seed parse addr-v4 $addr 60 "$(apeer 0 $v4 57870 0 00)" 00
seed parse addr-v6-loopback $addr 60 "$(apeer 1 $v6 54228 0 00)" 00
seed parse addr-v6-mapped $addr 60 "$(apeer 129 $v6 36692 0 00)" 00
seed parse addr-v6-scope $addr 60 "$(apeer 65 fe800000000000000000000000000002 7 0 "$(u32 3)00")" 00
seed parse addr-v6-compat $addr 60 "$(apeer 1 000000000000000000000000c0a80001 7 0 00)" 00
seed parse addr-v6-all-zero $addr 60 "$(apeer 1 $v6 7 0 ff)" 00
seed parse addr-v6-full $addr 60 "$(apeer 65 20010db8123456789abcdef012345678 65535 4294967295 "$(u32 4294967295)00")" 00
seed parse addr-v6-two-runs $addr 60 "$(apeer 1 20010db8000000010000000000000001 7 0 00)" 00
seed parse addr-v6-single-zero $addr 60 "$(apeer 1 20010db8000000010001000100010001 7 0 00)" 00
seed parse addr-v6-trailing-run $addr 60 "$(apeer 1 20010db8000100000000000000000000 7 0 00)" 00
seed parse addr-none $addr 60 "$(apeer 2 $v4 7 0 00)" 00
seed parse addr-invalid $addr 60 "$(apeer 3 $v4 7 0 00)05" 00
seed parse addr-cut-5 $addr 05 "$(apeer 1 $v6 54228 0 00)" 00
seed parse addr-cut-0 $addr 00 "$(apeer 0 $v4 57870 0 00)" 00
seed parse addr-equal-other-port $addr 60 "$(apeer 0 $v4 57870 0 00)" 01 "$(apeer 0 $v4 57871 0 00)"
seed parse addr-equal-other-family $addr 60 "$(apeer 0 $v4 57870 0 00)" 01 "$(apeer 1 $v4 57870 0 00)"

# ---- check: target byte, then its input (fuzz/fuzz_check.c) -------------------
classify=00 tags=01 tag_read=02 bisect=03 only=04 catalogue=05
# classify: cap choice (0x80: the whole buffer; else choice % 128), shape, flip byte,
# k (u16), then the data.  Shapes: 0 req = data[0..k), rep = the rest; 1 rep = req;
# 2 rep = req cut to k; 3 req = data less its last k bytes, rep = data; 4 rep[k] ^= flip;
# 5 rep = req up to its first NUL.
cls() { printf '%s%s%s%s%s' $classify "$(u8 "$1")" "$(u8 "$2")" "$(u8 "$3")" "$(u16 "$4")"; }
seed check classify-exact-classic "$(cls 128 1 0 0)" "$msg"
seed check classify-exact-empty "$(cls 128 1 0 0)"
seed check classify-empty-request "$(cls 128 0 0 0)" "$(txt abc)"
seed check classify-empty-reply "$(cls 128 0 0 3)" "$(txt abc)"
seed check classify-truncate-1-byte "$(cls 128 2 0 1)" "$(txt ab)"
seed check classify-truncate-41 "$(cls 128 2 0 41)" "$msg"
seed check classify-truncate-4096 "$(cls 128 2 0 4096)" "$(cycle 4097 | od -An -tx1 -v | tr -d ' \n')"
seed check classify-nul-stops "$(cls 128 5 0 0)" "$(txt abc)" 00 "$(txt def)"
seed check classify-nul-first "$(cls 128 5 0 0)" "$(cycle 256 | od -An -tx1 -v | tr -d ' \n')" 00
seed check classify-nul-truncate-elsewhere "$(cls 128 2 0 2)" "$(txt abc)" 00 "$(txt def)"
seed check classify-longer-2 "$(cls 128 3 0 2)" "$msg"
seed check classify-longer-1 "$(cls 128 3 0 1)" "$msg"
seed check classify-altered-byte-17 "$(cls 128 4 32 17)" "$msg"
seed check classify-altered-first "$(cls 128 4 255 0)" "$msg"
seed check classify-altered-last "$(cls 128 4 1 41)" "$msg"
seed check classify-differs-other-length "$(cls 128 0 0 4)" "$(txt abcdabXdef)"
seed check classify-differs-nul-length "$(cls 128 0 0 4)" "$(txt ab)" 00 "$(txt dabc)"
seed check classify-cut-10 "$(cls 10 2 0 4096)" "$(cycle 4097 | od -An -tx1 -v | tr -d ' \n')"
seed check classify-cut-1 "$(cls 1 4 32 17)" "$msg"
seed check classify-cut-0 "$(cls 0 3 0 2)" "$msg"
# tags: seed, stream, attempt, seq, length choice (16 + choice), flags (1: fields out of
# range, cut by check_payload), then another attempt whose payload must match after the tag.
tg() {
	printf '%s%s%s%s%s%s%s%s' $tags "$(u32 "$1")" "$(u16 "$2")" "$(u16 "$3")" "$(u32 "$4")" \
		"$(u16 "$5")" "$(u8 "$6")" "$(u16 "$7")"
}
seed check tags-min-16 "$(tg 1 0 0 0 0 0 1)"
seed check tags-classic-42 "$(tg 0x12345678 3 0 9 26 0 1)"
seed check tags-seed-0 "$(tg 0 5 2 77 184 0 0)"
seed check tags-seed-nul-bytes "$(tg 0x00ff0000 16383 2 268435455 584 0 3)"
seed check tags-fields-max "$(tg 0xdeadbeef 16383 16383 268435455 1000 0 0)"
seed check tags-fields-cut "$(tg 0xdeadbeef 65535 65535 4294967295 1000 1 16383)"
# run ^ stream * 0x9e3779b9 ^ seq * 0x85ebca6b == 0, xorshift's forbidden seed: run
# 0x9e3779b9 (check_run_id(0xb979379e): the seed's bytes in reverse), stream 1, seq 0.
seed check tags-zero-random-state "$(tg 0xb979379e 1 0 0 100 0 5)"
seed check tags-size-65507 "$(tg 0x5e5e5e5e 7 1 1234567 65491 0 2)"
# tag_read: raw bytes.  tag RUN STREAM ATTEMPT SEQ: the 16 bytes check_payload writes
# first (src/core/check.c): 'u' 'e' 0x5e, a check byte over bytes 4-15, the run (a 0
# byte written as 1), stream and attempt (2 x 7 bits) and seq (4 x 7 bits), each 7-bit
# group with its top bit set.
g7() {
	local v=$1 i out=''
	for ((i = 0; i < $2; i++)); do
		out=$(u8 $((0x80 | (v & 0x7f))))$out
		v=$((v >> 7))
	done
	printf '%s' "$out"
}
# tagged BODY: the magic and the check byte, then BODY (tag bytes 4-15).
tagged() {
	local h=$((0x5e)) i
	for ((i = 0; i < 24; i += 2)); do h=$(((h * 31 + 16#${1:i:2}) % 255)); done
	printf '75655e%s%s' "$(u8 $((h + 1)))" "$1"
}
tag() {
	local run body='' i b
	run=$(printf '%08x' "$1")
	for ((i = 0; i < 8; i += 2)); do
		b=$((16#${run:i:2}))
		body+=$(u8 $((b ? b : 1)))
	done
	tagged "$body$(g7 "$2" 2)$(g7 "$3" 2)$(g7 "$4" 4)"
}
t1=$(tag 0x11223344 3 0 9)
seed check tag-read-empty $tag_read
seed check tag-read-valid $tag_read "$t1"
seed check tag-read-valid-payload $tag_read "$t1" "$msg"
seed check tag-read-valid-max $tag_read "$(tag 0xffffffff 16383 16383 268435455)"
seed check tag-read-15-bytes $tag_read "${t1:0:30}"
seed check tag-read-bad-magic $tag_read 75655f "${t1:6}"
seed check tag-read-bad-check $tag_read 75655e00 "${t1:8}"
# A well-formed check byte, but a 7-bit group without its top bit: in stream, in seq.
seed check tag-read-no-top-bit-stream $tag_read "$(tagged "${t1:8:8}7f${t1:18}")"
seed check tag-read-no-top-bit-seq $tag_read "$(tagged "${t1:8:22}7f")"
# bisect: good, bad choice (bad = good + 1 + choice % (65527 - good)), edge choice
# (edge = good + choice % (bad - good)), kind (1: answers at random from the bytes that
# follow; 2: a stale answer, from a u16, after every step).
bis() { printf '%s%s%s%s%s' $bisect "$(u16 "$1")" "$(u16 "$2")" "$(u16 "$3")" "$(u8 "$4")"; }
seed check bisect-truncate-4096 "$(bis 2048 6143 2048 0)"
seed check bisect-adjacent "$(bis 4096 0 0 0)"
seed check bisect-full-range-edge-0 "$(bis 0 65526 0 0)"
seed check bisect-v4-max-edge-top "$(bis 0 65506 65506 0)"
seed check bisect-v6-max-edge-top "$(bis 1 65525 65525 0)"
seed check bisect-random "$(bis 0 65526 0 1)" 55aa0ff0c3a5
seed check bisect-stale "$(bis 512 8000 1000 2)" "$(rep 1234 16)" "$(rep 4321 16)"
seed check bisect-random-stale "$(bis 0 65526 0 3)" "$(rep 01ffff 16)"
# only: badlen choice (0x80: 128; else choice % 80), then the --only list.
i=0
for l in echo.sizes 'echo.*,latency' 'echo.*,reply.*,burst.*,clients.*,safety.*,latency' \
	'echo.basic,echo.empty,echo.bytes,echo.sizes,reply.source,reply.once' \
	'burst.boundaries,clients.isolation,safety.amplification,burst.loss,safety.loop' \
	'echo.*,echo.basic' 'echo.basic,nope' 'echo.basic,' ',echo.basic' '' echo '*' '.*' \
	nothing.\* latency.\* 'echo.b*' 'echo.basic.*' ECHO.BASIC 'echo.basic ' 'echo.basic,,latency'; do
	seed check "only-$((i++))-${l:-empty}" $only 80 "$(txt "$l")"
done
seed check only-unknown-over-64 $only 80 "$(txt "echo.basic,$(rep x 80)")"
seed check only-badlen-5 $only 05 "$(txt echo.basic,unknown)"
seed check only-badlen-1 $only 01 "$(txt nope)"
seed check only-badlen-0 $only 00 "$(txt nope)"
# catalogue: a check id, a level and a status (u32 each), then a name for check_find.
cat_() { printf '%s%s%s%s' $catalogue "$(u32 "$1")" "$(u32 "$2")" "$(u32 "$3")"; }
seed check catalogue-echo-basic "$(cat_ 0 0 0)" "$(txt echo.basic)"
seed check catalogue-latency "$(cat_ 11 2 3)" "$(txt latency)"
seed check catalogue-out-of-range "$(cat_ 12 3 4)" "$(txt echo.basi)"
seed check catalogue-uint-max "$(cat_ 4294967295 4294967295 4294967295)" "$(txt echo.basicx)"
seed check catalogue-empty-name "$(cat_ 5 1 2)"
seed check catalogue-group "$(cat_ 3 0 1)" "$(txt 'echo.*')"

# ---- hist: u8 count, then (u64 value, u8 shift) pairs (fuzz/fuzz_hist.c) -------
hv() { printf '%s%s' "$(u64 "$1")" "$(u8 "$2")"; }
seed hist empty 00
seed hist one-small 01 "$(hv 100 0)"
seed hist exact-range 04 "$(hv 0 0)" "$(hv 1 0)" "$(hv 255 0)" "$(hv 256 0)"
seed hist microseconds 05 "$(hv 1000 0)" "$(hv 50000 0)" "$(hv 120000 0)" "$(hv 5000000 0)" \
	"$(hv 999999 0)"
seed hist beyond-max 03 "$(hv 18446744073709551615 0)" "$(hv 4398046511103 0)" "$(hv 7 0)"
seed hist shifted 04 "$(hv 18446744073709551615 20)" "$(hv 18446744073709551615 40)" \
	"$(hv 18446744073709551615 60)" "$(hv 12345 3)"

# ---- echoplus: the input is the datagram (fuzz/fuzz_echoplus.c) ----------------
# Header: TestGenSN, TestRespSN, recv stamp, reply stamp, failures, iteration.
eph() { printf '%s%s%s%s%s%s' "$(u32 "$1")" "$(u32 "$2")" "$(u32 "$3")" "$(u32 "$4")" \
	"$(u32 "$5")" "$(u32 "$6")"; }
seed echoplus empty ""
seed echoplus plain-19 "$(rep 41 19)"
seed echoplus five-fields-20 "$(eph 1 0 0 0 0 0 | head -c 40)"
seed echoplus five-fields-23 "$(eph 7 0 0 0 0 0 | head -c 40)" 616263
seed echoplus six-fields-24 "$(eph 1 0 0 0 0 1)"
seed echoplus six-fields-data-64 "$(eph 3 0 0 0 0 9)" "$(txt "$classic")" 00000000000000000000000000
seed echoplus answered "$(eph 3 5 1000 1020 0 9)" "$(txt "$classic")"
seed echoplus stamps-wrap "$(eph 3 4294967295 4294967280 16 2 9)"
# Two headers for the counter and clock rules, then missing (u16), gap (u32), rtt bytes.
seed echoplus rules-next-ok "$(eph 1 10 1000000 1000020 3 1)" "$(eph 2 11 1010000 1010030 3 1)" \
	0000 00002710 0064
seed echoplus rules-refused-counted "$(eph 1 10 1000000 1000020 3 1)" \
	"$(eph 3 12 1020000 1020030 4 1)" 0001 00004e20 0064
seed echoplus rules-byteswapped-clock "$(eph 1 10 1078071040 1078071040 0 1)" \
	"$(eph 2 11 1349062400 1349062400 0 1)" 0000 00002710 0064
seed echoplus rules-held-too-long "$(eph 1 10 1000000 1000020 3 1)" \
	"$(eph 2 11 1010000 1060000 3 1)" 0000 00002710 0064
seed echoplus rules-failures-shrank "$(eph 1 10 1000000 1000020 3 1)" \
	"$(eph 2 11 1010000 1010030 2 1)" 0005 00002710 0064
cycle 65507 >corpus/echoplus/seed-size-65507-ipv4-max

# ---- pingstat: u8 selector, then its section (fuzz/fuzz_pingstat.c) -----------
seed pingstat acc-empty 00 00
seed pingstat acc-three 00 03 "$(u32 100)" "$(u32 250)" "$(u32 175)"
seed pingstat acc-extremes 00 04 "$(u32 2147483647)" "$(u32 2147483648)" "$(u32 0)" "$(u32 4294967295)"
seed pingstat unwrap-32 01 "$(u64 5000000000)" "$(u32 705032704)" "$(u8 31)"
seed pingstat unwrap-none 01 "$(u64 3)" "$(u32 7)" "$(u8 7)" "$(u64 0)" "$(u32 1)" "$(u8 0)"
seed pingstat unwrap-bytes 01 "$(u64 1000)" "$(u32 232)" "$(u8 7)" "$(u64 65535)" "$(u32 65535)" "$(u8 15)"
# seqs ops: kind even = send arg << (kind >> 5); odd = reply to sent-1-arg (bit 1: sent+arg).
seed pingstat seqs-in-order 02 00 "$(u16 4)" 01 "$(u16 3)" 01 "$(u16 2)" 01 "$(u16 1)" 01 "$(u16 0)"
seed pingstat seqs-out-of-order-dup 02 00 "$(u16 4)" 01 "$(u16 0)" 01 "$(u16 2)" 01 "$(u16 2)" 03 "$(u16 1)"
seed pingstat seqs-ring-wrap 02 40 "$(u16 30000)" 01 "$(u16 0)" 60 "$(u16 20000)" 01 "$(u16 65535)" \
	01 "$(u16 1)" 00 "$(u16 1)"
seed pingstat dir-none 03 "$(u16 5)"
seed pingstat dir-split 03 "$(u16 9)" "$(u16 0)" "$(u32 5)" "$(u16 1)" "$(u32 6)" "$(u16 4)" "$(u32 8)" \
	"$(u16 6)" "$(u32 9)"
seed pingstat dir-shared 03 "$(u16 4)" "$(u16 1)" "$(u32 100)" "$(u16 2)" "$(u32 900)"
seed pingstat dir-wrapped-sn 03 "$(u16 3)" "$(u16 0)" "$(u32 4294967295)" "$(u16 2)" "$(u32 1)"
seed pingstat dir-restarted-server 03 "$(u16 6)" "$(u16 3)" "$(u32 7)" "$(u16 1)" "$(u32 7)" \
	"$(u16 5)" "$(u32 7)"
seed pingstat stamps 04 "$(u32 1000)" "$(u32 1020)" "$(u64 999)" "$(u32 4294967290)" "$(u32 5)" \
	"$(u64 4294967300)" "$(u32 50)" "$(u32 10)" "$(u64 0)"

# ---- verdict: u8 selector, then its section (fuzz/fuzz_verdict.c) --------------
# An exchange log: vlog SHAPE CLIENTS HINT SEED REQUESTS REPLIES [LIFE]: SHAPE is requests - 1
# | 16 tagged | 32 raw | 64 hint; REQUESTS are vreq bytes (raw payloads follow theirs); REPLIES
# start with their count.  vreq TRIES CLIENT LEN: LEN is 6 + 4 LEN bytes (model), LEN % 9 (raw).
# vop OP A B C, OP: 0 lost 1 exact 2 duplicated 3 altered (at B) 4 truncated (to B) 5 extended
# (by 1 + B % 16) 6 merged (A, B, and C / 2 when C is odd) 7 crossed 8 foreign (1 + B % 32
# bytes, on client C) 9 wrong source; + 16 also from the wrong source, + 32 to another client.
# vlife SENT ANSWERED LATE REFUSED HOME FRESH (probes: 0 none 1 answered 2 refused 3 silent).
vreq() { u8 $((($1 - 1) | $2 << 2 | $3 << 4)); }
vop() { printf '%s%s%s%s' "$(u8 "$1")" "$(u8 "$2")" "$(u8 "$3")" "$(u8 "$4")"; }
vflags() { u8 $(($1 | $2 << 1 | $3 << 3)); }
vlife() { printf '%s%s%s%s' "$(u8 "$1")" "$(u8 "$2")" "$(u8 "$3")" "$(vflags "$4" "$5" "$6")"; }
vlog() { printf '00%s%s%s%s' "$(u8 "$1")" "$(u8 $(($2 - 1)))" "$(u8 "$3")" "$(u32 "$4")"; }
alive=$(vlife 16 16 0 0 1 1)
seed verdict log-all-exact "$(vlog 3 1 0 1)" "$(rep "$(vreq 1 0 2)" 4)" 04 \
	"$(vop 1 0 0 0)$(vop 1 1 0 0)$(vop 1 2 0 0)$(vop 1 3 0 0)" "$alive"
seed verdict log-untagged-retries-answered-once "$(vlog 1 1 0 2)" "$(vreq 3 0 1)$(vreq 3 0 1)" 04 \
	"$(vop 1 0 0 0)$(vop 1 1 0 0)$(vop 1 2 0 0)$(vop 1 3 0 0)" "$alive"
seed verdict log-duplicated "$(vlog 17 1 0 3)" "$(vreq 2 0 3)$(vreq 1 0 3)" 03 \
	"$(vop 2 1 0 0)$(vop 1 0 0 0)$(vop 1 2 0 0)" "$alive"
seed verdict log-altered-start-middle-end "$(vlog 2 1 0 4)" "$(rep "$(vreq 1 0 1)" 3)" 03 \
	"$(vop 3 0 0 7)$(vop 3 1 5 7)$(vop 3 2 9 7)" "$alive"
seed verdict log-truncated "$(vlog 2 1 0 5)" "$(rep "$(vreq 1 0 4)" 3)" 03 \
	"$(vop 4 0 1 0)$(vop 4 1 11 0)$(vop 4 2 0 0)" "$alive"
seed verdict log-truncated-to-nothing-with-hint "$(vlog 65 1 1 5)" "$(rep "$(vreq 1 0 4)" 2)" 02 \
	"$(vop 4 0 0 0)$(vop 1 0 0 0)" "$alive"
seed verdict log-extended "$(vlog 1 1 0 6)" "$(rep "$(vreq 1 0 2)" 2)" 02 \
	"$(vop 5 0 1 0)$(vop 5 1 15 0)" "$alive"
seed verdict log-merged-2-and-3 "$(vlog 4 1 0 7)" "$(rep "$(vreq 1 0 0)" 5)" 02 \
	"$(vop 6 0 1 0)$(vop 6 2 3 9)" "$alive"
seed verdict log-self-merged-tries "$(vlog 16 1 0 8)" "$(vreq 3 0 1)" 01 "$(vop 6 0 1 5)" "$alive"
seed verdict log-self-merged-untagged "$(vlog 0 1 0 8)" "$(vreq 2 0 1)" 01 "$(vop 6 0 1 0)" "$alive"
seed verdict log-crossed "$(vlog 3 4 0 9)" "$(vreq 1 0 1)$(vreq 1 1 1)$(vreq 1 2 1)$(vreq 1 3 1)" \
	04 "$(vop 7 0 0 0)$(vop 7 1 0 1)$(vop 1 2 0 0)$(vop 33 3 0 2)" "$alive"
seed verdict log-foreign "$(vlog 1 2 0 10)" "$(vreq 1 0 1)$(vreq 1 1 1)" 03 \
	"$(vop 8 0 20 0)$(vop 8 0 0 1)$(vop 1 1 0 0)" "$alive"
seed verdict log-foreign-explained-by-hint "$(vlog 65 2 1 10)" "$(vreq 1 0 1)$(vreq 1 1 1)" 02 \
	"$(vop 8 0 20 1)$(vop 1 0 0 0)" "$alive"
seed verdict log-wrong-source "$(vlog 1 1 0 11)" "$(rep "$(vreq 1 0 1)" 2)" 02 \
	"$(vop 9 0 0 0)$(vop 17 1 0 0)" "$alive"
seed verdict log-all-altered-burst "$(vlog 15 1 0 12)" "$(rep "$(vreq 1 0 3)" 16)" 10 \
	"$(for i in $(seq 0 15); do vop 3 "$i" $((i * 5)) 1; done)" "$alive"
seed verdict log-all-lost "$(vlog 7 2 0 13)" "$(rep "$(vreq 2 1 0)" 8)" 03 "$(rep "$(vop 0 0 0 0)" 3)" \
	"$(vlife 16 0 0 0 3 3)"
seed verdict log-half-lost-burst "$(vlog 15 1 0 13)" "$(rep "$(vreq 1 0 0)" 16)" 10 \
	"$(for i in $(seq 0 15); do vop $((i % 2)) "$i" 0 0; done)" "$alive"
seed verdict log-tagged-tries-hinted "$(vlog 87 2 4 14)" "$(rep "$(vreq 3 1 2)$(vreq 2 0 5)" 4)" 08 \
	"$(vop 4 4 1 0)$(vop 3 4 2 0)$(vop 3 5 2 0)$(vop 2 7 0 0)$(vop 6 4 5 0)$(vop 5 0 3 0)$(vop 8 0 4 2)$(vop 54 1 2 3)" \
	"$alive"
seed verdict log-every-reply-kind "$(vlog 95 4 9 15)" \
	"$(for i in $(seq 0 15); do vreq $((i % 3 + 1)) $((i % 4)) $((i % 16)); done)" 40 \
	"$(for i in $(seq 0 63); do vop $((i * 7 % 64)) $((i * 5)) $((i * 3)) $((i * 11 % 256)); done)" \
	"$(vlife 200 150 3 1 3 2)"
# Raw payloads: equal, empty and prefixes of each other.
seed verdict log-raw-prefixes "$(vlog 35 1 0 16)" "$(vreq 1 0 2)" 6162 "$(vreq 1 0 4)" 61626364 \
	"$(vreq 1 0 0)" "$(vreq 2 0 2)" 6162 06 \
	"$(vop 6 0 1 0)$(vop 6 1 0 0)$(vop 4 1 3 0)$(vop 5 0 1 0)$(vop 1 2 0 0)$(vop 2 3 0 0)" "$alive"
seed verdict log-raw-tagged-hinted "$(vlog 114 2 3 17)" "$(vreq 3 0 3)" 616263 616264 616265 \
	"$(vreq 2 1 1)" 78 79 "$(vreq 1 0 8)" 6162636162636162 08 \
	"$(vop 1 0 0 0)$(vop 3 1 1 7)$(vop 4 2 0 0)$(vop 5 3 2 0)$(vop 6 0 1 9)$(vop 8 0 3 1)$(vop 7 4 0 0)$(vop 3 5 7 1)" \
	"$alive"
# Liveness: one observation per state (sent, answered, late: u64).
vobs() { printf '01%s%s%s%s' "$(u64 "$1")" "$(u64 "$2")" "$(u64 "$3")" "$(vflags "$4" "$5" "$6")"; }
seed verdict life-alive "$(vobs 10 10 0 0 1 1)"
seed verdict life-alive-unprobed "$(vobs 10 10 0 0 0 0)"
seed verdict life-nothing-listening "$(vobs 1 0 0 1 0 0)"
seed verdict life-refused-after-answers-closed "$(vobs 1 1 0 1 0 0)"
seed verdict life-refused-second-request-closed "$(vobs 2 0 0 1 0 0)"
seed verdict life-closed "$(vobs 20 12 0 1 2 2)"
seed verdict life-hung "$(vobs 20 12 0 0 3 3)"
seed verdict life-silent "$(vobs 20 0 0 0 3 3)"
seed verdict life-slow "$(vobs 20 3 3 0 3 3)"
seed verdict life-refuses-new "$(vobs 20 12 0 0 1 2)"
seed verdict life-ignores-new "$(vobs 20 12 0 0 1 3)"
seed verdict life-u64-max "$(vobs 18446744073709551615 18446744073709551615 18446744073709551615 1 3 3)"
# clients.many: count, home alive, states (0 waiting 1 served 2 unserved 3 refused).
seed verdict clients-none 02 00 01
seed verdict clients-all-served 02 08 01 "$(rep 01 8)"
seed verdict clients-limit-tail 02 08 01 010101 "$(rep 02 5)"
seed verdict clients-limit-refused 02 07 01 0101 0303020303
seed verdict clients-short-tail 02 07 01 010101 "$(rep 02 4)"
seed verdict clients-scattered 02 09 01 01020102 "$(rep 02 5)"
seed verdict clients-dead-home 02 08 00 0101 "$(rep 02 6)"
seed verdict clients-waiting-stop 02 07 01 0101 0200030002
seed verdict clients-64 02 40 01 "$(rep 01 40)" "$(rep 02 24)"
# The retry timer: min, max (us), count, then (shift, value) samples of value << shift % 25 us.
seed verdict rto-rfc6298 03 "$(u32 1000)" "$(u32 10000000)" 03 00 "$(u32 100000)" 00 \
	"$(u32 200000)" 00 "$(u32 112500)"
seed verdict rto-clamps-min 03 "$(u32 200000)" "$(u32 1000000)" 02 00 "$(u32 50)" 00 "$(u32 60)"
seed verdict rto-clamps-max 03 "$(u32 200000)" "$(u32 1000000)" 01 00 "$(u32 900000)"
seed verdict rto-min-above-max 03 "$(u32 3000000)" "$(u32 1000000)" 01 00 "$(u32 10)"
seed verdict rto-zero-samples 03 "$(u32 0)" "$(u32 4294967295)" 04 00 "$(u32 0)" 00 "$(u32 0)" 00 \
	"$(u32 0)" 00 "$(u32 100)"
seed verdict rto-huge-samples 03 "$(u32 1)" "$(u32 4294967295)" 03 18 "$(u32 4294967295)" 00 \
	"$(u32 1)" 18 "$(u32 1)"
# verdict_judge on made-up tallies: requests, judged, replies, exact (u32), then the flags.
vjudge() { printf '04%s%s%s%s%s' "$(u32 "$1")" "$(u32 "$2")" "$(u32 "$3")" "$(u32 "$4")" "$(u8 "$5")"; }
seed verdict judge-loss-1000-at-edge "$(vjudge 1000 990 990 990 0)"
seed verdict judge-loss-100-over-edge "$(vjudge 100 98 98 98 0)"
seed verdict judge-no-requests "$(vjudge 0 0 0 0 0)"
seed verdict judge-all-lost "$(vjudge 10 0 0 0 0)"
seed verdict judge-every-defect "$(vjudge 10 3 5 2 15)"
seed verdict judge-u32-max "$(vjudge 4294967295 4294967295 4294967295 4294967295 0)"

# ---- json: u8 selector (even: a report as it is, odd: a string's content) ----
report='{"tool": "udpecho", "version": "1.0.0", "checks": [
   {"id": "echo.basic", "level": "MUST", "status": "pass", "detail": "a \"quoted\" \u00e9 detail", "evidence": {"tried": [1, 2.5e3, -0.125, 0, 1E-2]}},
   {"id": "echo.sizes", "level": "MUST", "status": "fail", "detail": "x", "evidence": {"ok": true, "no": false, "none": null}}
 ], "summary": {"passed": 1, "failed": 1}}'
seed json report-two-checks 00 "$(txt "$report")"
seed json report-error-document 00 "$(txt '{"tool": "udpecho", "error": "nothing listening", "checks": [], "summary": {}}')"
seed json report-checks-not-objects 00 "$(txt '{"checks": [1, "two", [3], null, {"id": 4, "status": "fail"}]}')"
seed json report-deep 00 "$(txt "$(rep '[' 70)$(rep ']' 70)")"
seed json report-bad-escape 00 "$(txt '{"checks": [{"id": "\q"}]}')"
seed json report-cut-short 00 "$(txt '{"checks": [{"id": "echo.b')"
seed json report-leading-zero 00 "$(txt '{"n": 01}')"
seed json report-trailing-garbage 00 "$(txt '{} {}')"
seed json string-quotes-and-backslashes 01 "$(txt 'a"b\c"')"
seed json string-control-bytes 01 000102090a0d1f7f
seed json string-high-bytes 01 c3a9e282acff80
seed json string-longer-than-an-id 01 "$(txt "$(rep 'x' 100)")"
seed json report-bad-unicode-escape 00 "$(txt '{"a": "\u12g4"}')"
seed json report-control-in-string 00 "$(txt '{"a": "x')" 0a "$(txt 'y"}')"
seed json report-bad-literal 00 "$(txt '[tru]')"
seed json report-missing-colon 00 "$(txt '{"a" 1}')"
seed json report-missing-comma 00 "$(txt '[1 2]')"
seed json report-key-not-string 00 "$(txt '{1: 2}')"
seed json report-unclosed 00 "$(txt '{"checks": [{"id": "x"},')"
seed json report-bad-number 00 "$(txt '[-, 1., 1e, 01]')"
seed json report-escape-at-end 00 "$(txt '{"a": "\')"
seed json escape-controls-quotes 02 06 "$(txt 'a"b\c')" 00011f7f
seed json escape-utf8-valid-and-not 02 09 c3a9e282acf09f9880c3c080eda080ff
seed json escape-cut-inside-an-escape 02 03 616201

# ---- pcap: two peers (family, 16 address bytes, port), a capacity choice, the payload ----
peer4() { printf '01%s%s%s' "$1" "$(rep 00 12)" "$(u16 "$2")"; }
peer6() { printf '02%s%s' "$1" "$(u16 "$2")"; }
peer_mapped() { printf '02%s%s%s%s' "$(rep 00 10)" ffff "$1" "$(u16 "$2")"; }
lo6=$(rep 00 15)01
seed pcap ipv4-classic "$(peer4 7f000001 41000)" "$(peer4 7f000002 7)" 0001 "$(txt "$classic")"
seed pcap ipv4-empty "$(peer4 7f000001 1)" "$(peer4 7f000001 2)" 0001
seed pcap ipv6-odd-length "$(peer6 "$lo6" 7)" "$(peer6 "$lo6" 52000)" 0001 ff007f
seed pcap v4-mapped-to-ipv4 "$(peer_mapped 7f000003 9)" "$(peer4 7f000001 10)" 0001 00
seed pcap families-differ "$(peer4 7f000001 1)" "$(peer6 "$lo6" 2)" 0001 00
seed pcap one-byte-short "$(peer4 7f000001 1)" "$(peer4 7f000001 2)" 0000 "$(txt "$classic")"
seed pcap ipv6-classic "$(peer6 "$lo6" 41000)" "$(peer6 "$lo6" 7)" 0001 "$(txt "$classic")"
seed pcap ipv6-too-short-a-buffer "$(peer6 "$lo6" 1)" "$(peer6 "$lo6" 2)" 0000 "$(txt "$classic")"
seed pcap checksum-folds-to-zero "$(peer4 00000000 0)" "$(peer4 00000000 0)" 0001 ffef

# ---- batch: flags, max size, [burst], path's largest segment, loss, then messages
# (fuzz/fuzz_batch.c).  flags bit 0 GSO, bit 1 limiter (then a burst byte), bit 2
# --max-size.  bmsg ROUTE SEG DATAGRAMS LAST CUT STEP; routes: 0, 1 IPv4, 2 IPv6,
# 3 v4-mapped, 4 no family, 5 route 0 from another source, 6 and 7 route 0's bytes.
bhead() { printf '%s%s%s%s' "$(u8 "$1")" "$(u16 "$2")" "$(u16 "$3")" "$(u8 "$4")"; }
bhead_rl() { printf '%s%s%s%s%s' "$(u8 "$1")" "$(u16 "$2")" "$(u8 "$3")" "$(u16 "$4")" "$(u8 "$5")"; }
bmsg() {
	printf '%s%s%s%s%s%s' "$(u8 "$1")" "$(u16 "$2")" "$(u8 $(($3 - 1)))" "$(u16 "$4")" \
		"$(u16 "$5")" "$(u8 "$6")"
}
bone() { bmsg "$1" "$2" 1 "$2" 0 0; }
seed batch gro-run-10x64 "$(bhead 1 0 0 0)" "$(bmsg 0 64 10 64 0 0)"
seed batch gro-64x1000-last-17 "$(bhead 1 0 0 0)" "$(bmsg 0 1000 64 17 0 0)"
seed batch run-of-70-split-at-64 "$(bhead 1 0 0 0)" "$(bmsg 0 100 70 100 0 0)"
seed batch family-maximum "$(bhead 1 0 0 0)" "$(bmsg 2 20000 4 5527 0 0)" \
	"$(bmsg 0 20000 4 5527 0 0)" "$(bmsg 3 20000 4 5527 0 0)"
seed batch max-size-150 "$(bhead 5 150 0 0)" "$(bmsg 0 200 5 100 0 0)" "$(bmsg 0 150 6 150 0 0)"
seed batch rate-limit-burst-3 "$(bhead_rl 3 0 2 0 0)" "$(bmsg 0 64 12 64 0 0)" \
	"$(bmsg 0 64 12 64 0 100)"
seed batch plain-runs-of-one-peer "$(bhead 1 0 0 0)" "$(bone 0 100)" "$(bone 0 100)" \
	"$(bone 0 50)" "$(bone 1 100)" "$(bone 0 100)" "$(bone 0 100)" "$(bone 0 100)" \
	"$(bone 0 0)" "$(bone 0 7)"
seed batch sources-and-same-bytes "$(bhead 1 0 0 0)" "$(bone 0 64)" "$(bone 5 64)" "$(bone 5 64)" \
	"$(bone 6 64)" "$(bone 7 64)" "$(bone 0 64)"
seed batch path-refuses-1400 "$(bhead 1 0 1399 0)" "$(bmsg 0 1400 3 1400 0 0)" \
	"$(bmsg 0 1000 3 1000 0 0)" "$(bmsg 0 1400 3 1400 0 0)"
seed batch path-refuses-gso "$(bhead 1 0 100 0)" "$(bmsg 0 500 4 500 0 0)" "$(bmsg 0 64 4 64 0 0)"
seed batch sends-lost "$(bhead 1 0 0 255)" "$(bmsg 0 64 4 64 0 0)" "$(bone 1 10)" "$(bone 0 10)" \
	"$(bmsg 2 64 4 64 0 0)" "$(bone 1 10)"
seed batch truncated-tail "$(bhead 1 0 0 0)" "$(bmsg 0 100 5 100 250 0)" "$(bone 0 100)"
seed batch no-gso-fills-the-plan "$(bhead 0 0 0 0)" "$(bmsg 0 10 70 10 0 0)" "$(bone 1 10)"
seed batch no-family "$(bhead 1 0 0 0)" "$(bmsg 4 64 3 64 0 0)" "$(bone 0 64)"
seed batch whole-buffer "$(bhead 1 0 0 0)" "$(bmsg 2 1024 64 1024 0 0)" "$(bone 2 65527)" \
	"$(bone 0 65507)" "$(bone 0 65508)"

# ---- livefuzz: a selector, then its section (fuzz/fuzz_livefuzz.c) -------------------
# 0 generator: seed, max size, clients, corpus length and bytes.
seed livefuzz gen-seed-1 00 "$(u64 1)" "$(u16 2000)" 03 10 "$(txt 'GET / HTTP/1.0\r\n')"
seed livefuzz gen-max-0 00 "$(u64 7)" 0000 00 00
seed livefuzz gen-ipv4-max 00 "$(u64 99)" "$(u16 4095)" 0f 04 deadbeef
# 1 oracle: datagrams less one, replies; each datagram's client, length and bytes; each
# reply an op (datagram index, bits 3-5 how changed: 1 a byte (then where, what), 2 cut
# (then where), 3 grown (then the byte); bit 6 another socket, bit 7 another source); then
# refused, exited and the probe (each % 4: 0 refused/exited; probe 1 answered).
seed livefuzz oracle-exact 01 01 02 00 05 "$(txt first)" 01 06 "$(txt second)" 00 01 01 01 01
seed livefuzz oracle-altered 01 00 01 00 05 "$(txt hello)" 08 02 07 01 01 01
seed livefuzz oracle-cut 01 00 01 00 05 "$(txt hello)" 10 03 01 01 01
seed livefuzz oracle-grown 01 00 01 00 05 "$(txt hello)" 18 21 01 01 01
seed livefuzz oracle-crossed 01 01 02 00 05 "$(txt first)" 01 05 "$(txt other)" 40 01 01 01 01
seed livefuzz oracle-source 01 00 01 00 05 "$(txt hello)" 80 01 01 01
seed livefuzz oracle-duplicate 01 00 02 00 05 "$(txt hello)" 00 00 01 01 01
seed livefuzz oracle-silent 01 00 00 00 05 "$(txt hello)" 01 01 03
seed livefuzz oracle-refused 01 00 00 00 05 "$(txt hello)" 00 01 01
seed livefuzz oracle-empty-both 01 01 02 00 00 01 00 00 01 01 01 01
# 2 minimiser: bug kind (0 longer than, 1 a band of 8, 2 two bytes, 3 a length then a
# longer one) and parameter, datagrams less one, each a length and bytes, then a budget.
seed livefuzz min-over-100 02 00 "$(u16 100)" 01 "$(u16 300)" "$(rep 41 300)" "$(u16 5)" 4142434445 "$(u16 400)"
seed livefuzz min-band 02 01 "$(u16 50)" 00 "$(u16 60)" "$(rep 00 60)" "$(u16 400)"
seed livefuzz min-bytes 02 02 "$(u16 14099)" 00 "$(u16 8)" 0000133700000000 "$(u16 400)"
seed livefuzz min-two 02 03 "$(u16 3)" 02 "$(u16 3)" 414243 "$(u16 9)" "$(rep 42 9)" "$(u16 1)" 43 "$(u16 400)"
seed livefuzz min-budget-0 02 00 "$(u16 1)" 01 "$(u16 30)" "$(rep 41 30)" "$(u16 30)" "$(rep 42 30)" "$(u16 0)"
seed livefuzz min-budget-7 02 00 "$(u16 10)" 03 "$(u16 30)" "$(rep 41 30)" "$(u16 3)" 414141 "$(u16 40)" "$(rep 43 40)" "$(u16 0)" "$(u16 7)"
seed livefuzz min-stops-after-9 02 04 "$(u16 109)" 02 "$(u16 300)" "$(rep 41 300)" "$(u16 200)" "$(rep 42 200)" "$(u16 5)" 4142434445 "$(u16 400)"
seed livefuzz min-stops-at-once 02 04 "$(u16 100)" 00 "$(u16 300)" "$(rep 41 300)" "$(u16 400)"
# 3 waiting: floor, ceiling and first wait (u32 us), then round times (a flag byte, 0x80: a u64 follows, else a u32).
seed livefuzz wait-loopback 03 "$(u32 250000)" "$(u32 10000000)" "$(u32 1000000)" 00 "$(u32 50)" 00 "$(u32 40)" 00 "$(u32 60)"
seed livefuzz wait-slow-path 03 "$(u32 250000)" "$(u32 10000000)" "$(u32 1000000)" 00 "$(u32 300000)" 00 "$(u32 300000)" 00 "$(u32 300000)" 00 "$(u32 2000000)" 00 "$(u32 310000)"
seed livefuzz wait-clock-step 03 "$(u32 250000)" "$(u32 10000000)" "$(u32 1000000)" 00 "$(u32 300000)" 80 "$(u64 18446744073709551615)" 00 "$(u32 1)"
seed livefuzz wait-floor-above-ceiling 03 "$(u32 10000000)" "$(u32 250000)" "$(u32 20000000)" 00 "$(u32 5000000)"
seed livefuzz oracle-unanswered 01 01 01 00 05 "$(txt first)" 01 06 "$(txt second)" 00 01 01 01
seed livefuzz gen-no-corpus 00 "$(u64 5)" "$(u16 300)" 02 00

for h in handle_datagram policy repr parse check ratelimit hist echoplus pingstat verdict json pcap batch livefuzz; do
	printf '%-16s %4d seeds, %s bytes in all\n' "$h" "$(find "corpus/$h" -maxdepth 1 -name 'seed-*' | wc -l)" \
		"$(cat "corpus/$h"/* | wc -c)"
done
