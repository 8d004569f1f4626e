#!/usr/bin/env bash
# `udpecho check` output formats, validated by independent tools: JUnit XML
# against tests/schema/junit.xsd (xmllint), TAP 13 with Perl's TAP::Parser,
# JSON against DESIGN.md's schema (tests/schema/check.jq, jq).  Each format
# is checked for a passing run (the built-in server) and a failing one (a
# zoo server that truncates at 4096 bytes).
set -euo pipefail
udpecho=$1 zoo=$2 schema=$3
tmp=$(mktemp -d)
zoo_pid=
trap 'if [ -n "$zoo_pid" ]; then kill "$zoo_pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT

"$zoo" --bind 127.0.0.1 truncate 4096 >"$tmp/zoo.out" &
zoo_pid=$!
for _ in $(seq 100); do
	port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$tmp/zoo.out")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "zoo server did not start"; exit 1; }

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

for name in pass fail; do
	xmllint --noout --schema "$schema/junit.xsd" "$tmp/$name.junit" 2>"$tmp/xmllint.err" ||
		fail "$name.junit does not validate: $(cat "$tmp/xmllint.err")"
	perl -MTAP::Parser -e '
		my $p = TAP::Parser->new({ source => $ARGV[0] });
		while (my $r = $p->next) {}
		my @errors = $p->parse_errors;
		die "TAP errors: @errors\n" if @errors;
		die "no plan\n" unless $p->plan;
		die "not version 13\n" unless $p->version == 13;
		die "plan does not match\n" unless $p->tests_run == $p->tests_planned;
		exit(($p->failed ? 1 : 0) == $ARGV[1] ? 0 : 1);
	' "$tmp/$name.tap" "$([ $name = fail ] && echo 1 || echo 0)" ||
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
echo "check formats: junit, tap and json valid for a passing and a failing run"
