#!/usr/bin/env bash
# Regenerate the hand-made seeds, corpus/HARNESS/seed-*, from this script.
# Entries found by fuzzing (40-hex names, see ci/fuzz.sh --update-corpus) and
# crash reproducers (crash-*, regression-*) are left alone.
#
# Layouts of the structured harnesses are documented at the top of
# fuzz/fuzz_policy.c and fuzz/fuzz_parse.c; the helpers below spell them out.
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

for h in handle_datagram policy repr parse; do
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
peer() { printf '%s%s%s%s%s' "$(u8 "$1")" "$2" "$(u16 "$3")" "$(u32 0)" "$(u32 0)"; }
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
dflt=00         # max-size choice 0: the family maximum
deny_default=00 # deny choice 0: the default list
rest=0000       # size choice 0 (the rest of the input is the datagram), delta 0
msg=$(txt "$classic")
seed policy v4-classic-echo "$(peer 0 $v4 40000)" $dflt $deny_default $rest "$msg"
seed policy v6-classic-echo "$(peer 1 $v6 40000)" $dflt $deny_default $rest "$msg"
seed policy mapped-classic-echo "$(peer 2 $mapped 40000)" $dflt $deny_default $rest "$msg"
seed policy v4-empty-echo "$(peer 0 $v4 40000)" $dflt $deny_default $rest
for p in 0 7 13 17 19 37; do
	seed policy "v4-loop-port-$p-denied" "$(peer 0 $v4 $p)" $dflt $deny_default $rest "$msg"
done
seed policy family-none-bad-peer "$(peer 3 $v4 40000)" $dflt $deny_default $rest "$msg"
seed policy family-invalid-bad-peer "$(peer 4 $v4 40000)" $dflt $deny_default $rest "$msg"
seed policy family-uint-max-bad-peer "$(peer 5 $v4 7)" $dflt $deny_default $rest "$msg"
# Datagrams made up at the family limits: size choice 1 (65507 + d), 2 (65527 + d), d = 0 / 1.
for fam in "0 $v4 v4" "1 $v6 v6" "2 $mapped mapped"; do
	set -- $fam
	seed policy "$3-size-65507" "$(peer "$1" "$2" 40000)" $dflt $deny_default 01 00
	seed policy "$3-size-65508" "$(peer "$1" "$2" 40000)" $dflt $deny_default 01 01
	seed policy "$3-size-65527" "$(peer "$1" "$2" 40000)" $dflt $deny_default 02 00
	seed policy "$3-size-65528" "$(peer "$1" "$2" 40000)" $dflt $deny_default 02 01
done
# --max-size: 0; 42 against the 42-byte message (size choice 3: max + d, d = 0 / 1);
# 65507 - 1 (choice 1, delta -1: 15 << 3 | 1); 65527 + 1 (choice 2, delta +1: 17 << 3 | 2);
# a u16, a u64, SIZE_MAX - 3 (choice 7, 3 << 3 | 7).
seed policy max-size-0-classic "$(peer 0 $v4 40000)" 05 $deny_default $rest "$msg"
seed policy max-size-0-empty "$(peer 0 $v4 40000)" 05 $deny_default $rest
seed policy max-size-42-at "$(peer 0 $v4 40000)" 03 2a $deny_default 0300
seed policy max-size-42-over "$(peer 0 $v4 40000)" 03 2a $deny_default 0301
seed policy max-size-65506-v4 "$(peer 0 $v4 40000)" 79 $deny_default 0100
seed policy max-size-65528-v6 "$(peer 1 $v6 40000)" 8a $deny_default 0201
seed policy max-size-u16-1000 "$(peer 1 $v6 40000)" 04 "$(u16 1000)" $deny_default 0300
seed policy max-size-u64 "$(peer 0 $v4 40000)" 06 "$(u64 100000)" $deny_default 0100
seed policy max-size-near-size-max "$(peer 2 $mapped 40000)" 1f $deny_default 0101
# --deny-ports lists, set on top of the defaults.
i=0
for l in none '0,7,13-19,37' 7 65535 0-65535 40000 39999-40001 '5-3' 70000 '' '7,' ',7' \
	'none,7' '1-2-3' '-5' '5-' 'a' ' 7' '65535-65536' '000000000000007' '00001-00002'; do
	seed policy "deny-list-$((i++))-${l:-empty}" "$(peer 0 $v4 40000)" $dflt "$(list "$l")" \
		$rest "$msg"
done
seed policy deny-list-none-port-7 "$(peer 0 $v4 7)" $dflt "$(list none)" $rest "$msg"
# Bitmap: deny choice 2, fill byte, then the bytes at port / 8 and port / 8 + 1.
seed policy bitmap-all-denied "$(peer 0 $v4 40000)" $dflt 02 ff ff ff $rest "$msg"
seed policy bitmap-own-port-only "$(peer 0 $v4 40000)" $dflt 02 00 01 00 $rest "$msg"
seed policy bitmap-port-65535 "$(peer 1 $v6 65535)" $dflt 02 00 80 $rest "$msg"

# ---- parse: target byte, then its input (fuzz/fuzz_parse.c) -------------------
port=00 size=01 dur=02 hex=03 fmt=04 cli=05 addr=06
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

for h in handle_datagram policy repr parse; do
	printf '%-16s %4d seeds, %s bytes in all\n' "$h" "$(ls "corpus/$h" | grep -c '^seed-')" \
		"$(cat "corpus/$h"/* | wc -c)"
done
