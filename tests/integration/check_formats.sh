#!/usr/bin/env bash
# `udpecho check` output formats, validated by independent tools: JUnit XML
# against tests/schema/junit.xsd (xmllint), TAP 13 with Perl's TAP::Parser,
# JSON against the report schema (tests/schema/check.jq, jq).  Each format
# is checked for a passing run (the built-in server), a failing one (a zoo
# server that truncates at 4096 bytes), one with inconclusive checks (a
# silent server), one that cannot start (nothing listening: the error in
# the document) and one interrupted by SIGINT.
set -euo pipefail
# shellcheck source=../lib/startup.sh
source "$(dirname "$0")/../lib/startup.sh"
udpecho=$1 zoo=$2 schema=$3
tmp=$(mktemp -d)
pids=()
port=
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT


start_zoo "$zoo" "$tmp" 127.0.0.1 truncate 4096

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME EXPECTED_STATUS ARGS...: writes $tmp/NAME.FORMAT for every format.
run() {
	local name=$1 want=$2 status
	shift 2
	for format in junit tap json; do
		status=0
		"$udpecho" check "$@" --format "$format" >"$tmp/$name.$format" || status=$?
		[ "$status" -eq "$want" ] || fail "$name --format $format exited $status, wanted $want"
	done
}

run pass 0 --only 'echo.*,reply.*,burst.*,clients.*,safety.amplification,latency'
run fail 1 127.0.0.1 "$port" --only 'echo.*,reply.*,latency'
start_zoo "$zoo" "$tmp" 127.0.0.1 silent
run silent 1 127.0.0.1 "$port" --timeout 20ms --only 'echo.*,server.alive'
# A port nothing listens on: bound, then closed.
closed=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run closed 2 127.0.0.1 "$closed"

# interrupted FORMAT: SIGINT once check has its first socket open (its handler is set by then).
interrupted() {
	local format=$1 pid status=0
	"$udpecho" check 127.0.0.1 "$port" --timeout 60s --format "$format" \
		>"$tmp/interrupted.$format" 2>/dev/null &
	pid=$!
	for _ in $(seq 200); do
		for fd in "/proc/$pid/fd/"*; do
			case $(readlink "$fd" 2>/dev/null) in socket:*) break 2 ;; esac
		done
		sleep 0.02
	done
	kill -INT "$pid"
	wait "$pid" || status=$?
	[ "$status" -eq 130 ] || fail "interrupted --format $format exited $status, wanted 130"
}
for format in text junit tap json; do interrupted "$format"; done
grep -q '^summary: .* inconclusive in .* (interrupted)$' "$tmp/interrupted.text" ||
	fail "interrupted.text has no summary: $(cat "$tmp/interrupted.text")"

# --output: the report in the file, nothing on stdout; --baseline: the truncation
# the first report had is known, and the run passes; --strict: a SHOULD that
# warns (burst.loss against a server that drops every other datagram) fails.
start_zoo "$zoo" "$tmp" 127.0.0.1 truncate 4096
"$udpecho" check 127.0.0.1 "$port" --only 'echo.*' --format json --output "$tmp/base.json" \
	>"$tmp/base.stdout" || true
[ -s "$tmp/base.json" ] && [ ! -s "$tmp/base.stdout" ] ||
	fail "--output: file $(wc -c <"$tmp/base.json") bytes, stdout $(wc -c <"$tmp/base.stdout")"
run known 0 127.0.0.1 "$port" --only 'echo.*' --baseline "$tmp/base.json"
start_zoo "$zoo" "$tmp" 127.0.0.1 drop-every-other
run warned 0 127.0.0.1 "$port" --only burst.loss
run strict 1 127.0.0.1 "$port" --only burst.loss --strict

for name in pass fail silent closed interrupted known warned strict; do
	xmllint --noout --schema "$schema/junit.xsd" "$tmp/$name.junit" 2>"$tmp/xmllint.err" ||
		fail "$name.junit does not validate: $(cat "$tmp/xmllint.err")"
	perl -MTAP::Parser -e '
		my $p = TAP::Parser->new({ source => $ARGV[0] });
		my $bail = 0;
		while (my $r = $p->next) { $bail = 1 if $r->is_bailout; }
		my @errors = $p->parse_errors;
		die "TAP errors: @errors\n" if @errors;
		die "no plan\n" unless $p->plan;
		die "not version 13\n" unless $p->version == 13;
		die "plan does not match\n" unless $p->tests_run == $p->tests_planned;
		exit(($p->failed || $bail ? 1 : 0) == $ARGV[1] ? 0 : 1);
	' "$tmp/$name.tap" "$(case $name in pass | known | warned) echo 0 ;; *) echo 1 ;; esac)" ||
		fail "$name.tap is not valid TAP 13 with the right verdict"
	jq -e -f "$schema/check.jq" "$tmp/$name.json" >/dev/null ||
		fail "$name.json does not match the schema: $(head -c 300 "$tmp/$name.json")"
done

# The failing run names the truncation in every format.
grep -q 'failures="1"' "$tmp/fail.junit" || fail "fail.junit does not count one failure"
grep -q '^not ok [0-9]* - echo.sizes (MUST)' "$tmp/fail.tap" || fail "fail.tap misses echo.sizes"
jq -e '.checks[] | select(.id == "echo.sizes") | .evidence.max_exact == 4096 and
	.evidence.truncated_to == 4096 and .status == "fail"' "$tmp/fail.json" >/dev/null ||
	fail "fail.json lacks max_exact/truncated_to 4096"

# Inconclusive MUSTs fail the run in every format; the silent server is named.
jq -e '.summary.inconclusive >= 1 and (.checks[] | select(.id == "server.alive") |
	.status == "fail" and .evidence.failure == "silence")' "$tmp/silent.json" >/dev/null ||
	fail "silent.json: $(cat "$tmp/silent.json")"
grep -q 'errors="[1-9]' "$tmp/silent.junit" || fail "silent.junit counts no inconclusive MUST as an error"
grep -q '^not ok [0-9]* - echo.basic (MUST)' "$tmp/silent.tap" || fail "silent.tap: echo.basic is ok"
# A run that cannot start: the error in the document.
jq -e '.error == "nothing listening on 127.0.0.1:'"$closed"' (ICMP port unreachable)"' \
	"$tmp/closed.json" >/dev/null || fail "closed.json: $(cat "$tmp/closed.json")"
grep -q '<error type="setup" message="nothing listening on' "$tmp/closed.junit" ||
	fail "closed.junit has no <error>"
grep -q '^Bail out! nothing listening on' "$tmp/closed.tap" || fail "closed.tap does not bail out"
jq -e '[.checks[] | select(.status == "inconclusive" and (.detail | test("interrupted")))] |
	length >= 1' "$tmp/interrupted.json" >/dev/null ||
	fail "interrupted.json: $(cat "$tmp/interrupted.json")"

jq -e '[.checks[] | select(.known)] | map(.id) == ["echo.sizes"]' "$tmp/known.json" >/dev/null ||
	fail "known.json: $(cat "$tmp/known.json")"
grep -q '^not ok [0-9]* - echo.sizes (MUST) # TODO known failure' "$tmp/known.tap" ||
	fail "known.tap: echo.sizes is not a TODO"
grep -q '<skipped type="known" message="known failure (--baseline): truncates' "$tmp/known.junit" ||
	fail "known.junit: echo.sizes is not skipped as known"
# A WARN shows in JUnit without failing it, and fails it with --strict.
grep -q '<skipped type="warn" message="WARN SHOULD: ' "$tmp/warned.junit" ||
	fail "warned.junit: the WARN is not visible"
grep -q '<failure type="SHOULD" message="WARN (--strict): ' "$tmp/strict.junit" ||
	fail "strict.junit: the WARN did not fail"

# The schema checks can fail: a broken document must be refused by each validator.
sed 's/tests="[0-9]*"/tests="many"/' "$tmp/pass.junit" >"$tmp/broken.junit"
if xmllint --noout --schema "$schema/junit.xsd" "$tmp/broken.junit" 2>/dev/null; then
	fail "the JUnit schema accepted a broken document"
fi
jq '.summary.passed += 1' "$tmp/pass.json" >"$tmp/broken.json"
if jq -e -f "$schema/check.jq" "$tmp/broken.json" >/dev/null; then
	fail "the JSON schema accepted a wrong summary"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures format problem(s)"
	exit 1
fi
echo "check formats: junit, tap and json valid for passing, failing, inconclusive, refused and interrupted runs"
