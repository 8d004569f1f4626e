#!/usr/bin/env bash
# manpages.sh SRC_DIR SERVER_BIN CLIENT_BIN
#
# (a) man/udpecho.1 and man/udpecho-server.8 render without a single warning
#     (mandoc -Tlint, groff -mdoc -ww, man -l);
# (b) for every command, the flags of its parser's option table, of its
#     --help text and of its man page (SYNOPSIS and the option list) are the
#     same set, the page names no flag that does not exist, the subcommands in
#     the page are those of `udpecho --help`, and the check IDs and levels are
#     those of `udpecho check --list`.  Then shows the comparison refusing a
#     page with a flag left out.
set -euo pipefail

src=$1
server=$2
client=$3
flags="perl $src/tests/integration/manflags.pl"
work=$(mktemp -d /tmp/udpecho-manpages-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# (a) ------------------------------------------------------------------
render() {
	local page=$1 out
	if command -v mandoc >/dev/null; then
		if ! out=$(mandoc -Tlint -W warning "$page" 2>&1) || [ -n "$out" ]; then
			fail "mandoc -Tlint $page:"$'\n'"$out"
		fi
	else
		echo "note: mandoc is not installed (bash ci/deps.sh installs it); linting with groff only"
	fi
	out=$(groff -mdoc -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$out" ] || fail "groff -mdoc -ww $page:"$'\n'"$out"
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2>&1 >"$work/rendered")
	[ -z "$out" ] || fail "man -l $page:"$'\n'"$out"
	[ "$(wc -l <"$work/rendered")" -gt 50 ] || fail "man -l $page rendered almost nothing"
	echo "ok: $page renders without warnings"
}

# (b) ------------------------------------------------------------------
# same WHAT A_NAME A_FILE B_NAME B_FILE: the two sorted lists are equal.
same() {
	if ! diff -u --label "$2" --label "$4" "$3" "$5" >"$work/diff"; then
		fail "$1: $2 and $4 differ"
		cat "$work/diff"
	fi
}

# compare_cmd PAGE CMD SECTION PARSER HELP_TEXT_FILE: CMD '' is the page's own command.
compare_cmd() {
	local page=$1 cmd=$2 section=$3 parser=$4 help=$5 name=${2:-$(basename "$1")}
	$flags "${parser%%:*}" "${parser#*:}" >"$work/parser"
	# A --help text need not list -h/--help: it is what printed it.
	{ $flags help <"$help"; grep -x -e -h -e --help "$work/parser" || true; } |
		sort -u >"$work/help"
	$flags synopsis "$page" "$cmd" >"$work/synopsis"
	same "$name" "parser ${parser#*:}" "$work/parser" "--help" "$work/help"
	same "$name" "parser ${parser#*:}" "$work/parser" "$(basename "$page") SYNOPSIS" \
		"$work/synopsis"
	if [ -n "$section" ]; then
		$flags items "$page" "$section" >"$work/items"
		same "$name" "parser ${parser#*:}" "$work/parser" \
			"$(basename "$page") option list${section:+ (.Ss $section)}" "$work/items"
	fi
}

# Every flag a page names must exist in one of the parsers.
known_flags() {
	{
		$flags parser "$src/src/server/options.c"
		$flags strcmp "$src/src/client/main.c"
		for f in "$src"/src/client/*.c; do
			grep -q 'struct cli_option options\[\]' "$f" && $flags parser "$f"
		done
	} | sort -u
}

# The file that defines CMD_usage[] holds CMD's option table (send_opts.c, check_main.c).
parser_of() {
	grep -l "^const char $1_usage\[\]" "$src"/src/client/*.c | head -n1
}

compare_pages() {
	local server_page=$1 client_page=$2 cmd p before=$failures
	"$server" --help >"$work/server.help"
	compare_cmd "$server_page" "" "" "parser:$src/src/server/options.c" "$work/server.help"
	$flags items "$server_page" "" >"$work/items"
	same udpecho-server "parser options.c" <($flags parser "$src/src/server/options.c") \
		"udpecho-server.8 option list" "$work/items"

	"$client" --help >"$work/client.help"
	compare_cmd "$client_page" "" "" "strcmp:$src/src/client/main.c" "$work/client.help"
	sed -n '/^Commands:/,/^$/p' "$work/client.help" | awk 'NR > 1 && NF {print $1}' |
		sort >"$work/commands"
	same udpecho "udpecho --help commands" "$work/commands" "udpecho.1 SYNOPSIS commands" \
		<($flags commands "$client_page")
	for cmd in $(cat "$work/commands"); do
		p=$(parser_of "$cmd")
		if [ -z "$p" ]; then
			fail "udpecho $cmd: no src/client/*.c defines ${cmd}_usage[]"
			continue
		fi
		"$client" "$cmd" --help >"$work/$cmd.help"
		compare_cmd "$client_page" "$cmd" "$cmd" "parser:$p" "$work/$cmd.help"
	done

	known_flags >"$work/known"
	for page in "$server_page" "$client_page"; do
		$flags mentions "$page" | comm -23 - "$work/known" >"$work/unknown"
		[ ! -s "$work/unknown" ] || fail "$(basename "$page") names flags no parser has: $(
			tr '\n' ' ' <"$work/unknown")"
	done
	"$client" check --list | awk '{print $1, $2}' | sort >"$work/ids"
	same "udpecho check" "check --list" "$work/ids" "udpecho.1 check IDs" \
		<($flags ids "$client_page" | sort)
	[ "$failures" -eq "$before" ]
}

render "$src/man/udpecho.1"
render "$src/man/udpecho-server.8"
compare_pages "$src/man/udpecho-server.8" "$src/man/udpecho.1" || true
if [ "$failures" -ne 0 ]; then
	echo "manpages: $failures failure(s)"
	exit 1
fi
echo "ok: flags of parsers, --help and man pages agree; check IDs agree"

# The comparison must notice drift: drop --retries from the page, add a flag no parser has.
grep -v '^\.It Fl -retries' "$src/man/udpecho.1" | sed 's/^\.Op Fl -list$/.Op Fl -list\n.Op Fl -bogus/' \
	>"$work/drifted.1"
if (compare_pages "$src/man/udpecho-server.8" "$work/drifted.1") >"$work/drift.log" 2>&1; then
	fail "a page without --retries and with --bogus passed the comparison"
fi
for want in "--retries" "names flags no parser has: --bogus"; do
	grep -q -- "$want" "$work/drift.log" || fail "the drifted page's report does not mention '$want'"
done
if [ "$failures" -ne 0 ]; then
	cat "$work/drift.log"
	exit 1
fi
echo "ok: a drifted page is refused"
