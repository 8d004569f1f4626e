#!/usr/bin/env bash
# completion.sh SRC_DIR CLIENT_BIN
#
# Sources completion/udpecho and completion/udpecho-server in bash with
# bash-completion loaded and completes as a user would: subcommands, each
# command's flags (which must be exactly its parser's; commands from
# `udpecho --help`), --format values and
# check IDs (from the built binary's `check --list`).
set -uo pipefail

src=$1
client=$(realpath "$2")
flags="perl $src/tests/integration/manflags.pl"
bc=/usr/share/bash-completion/bash_completion
if [ ! -r "$bc" ]; then
	echo "SKIP: $bc not found (package bash-completion; bash ci/deps.sh installs it)"
	exit 0
fi
# shellcheck source=/dev/null
. "$bc"
# shellcheck source=/dev/null
. "$src/completion/udpecho"
# shellcheck source=/dev/null
. "$src/completion/udpecho-server"
failures=0

# complete FUNC WORD...: COMPREPLY for the last WORD, sorted, one per line.
complete_words() {
	local fn=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn"
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
}

# expect DESCRIPTION WANT GOT
expect() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"
		diff -u --label want --label got <(echo "$2") <(echo "$3")
		failures=$((failures + 1))
	else
		echo "ok: $1"
	fi
}

expect "udpecho <TAB> offers the commands of udpecho --help" \
	"$("$client" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}' | sort)" \
	"$(complete_words _udpecho "$client" "" | grep -v '^-')"
expect "udpecho se<TAB> completes send" "send" "$(complete_words _udpecho "$client" se)"
for cmd in $("$client" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
	parser=$(grep -l "^const char ${cmd}_usage\[\]" "$src"/src/client/*.c | head -n1)
	expect "udpecho $cmd -<TAB> offers exactly $cmd's flags" \
		"$($flags parser "$parser")" "$(complete_words _udpecho "$client" "$cmd" -)"
done
expect "udpecho check --format <TAB>" "$(printf '%s\n' html json junit tap text)" \
	"$(complete_words _udpecho "$client" check --format "")"
expect "udpecho check --only echo.<TAB> offers the echo checks" \
	"$("$client" check --list | awk '$1 ~ /^echo\./ {print $1}' | sort)" \
	"$(complete_words _udpecho "$client" check --only echo.)"
expect "udpecho-server -<TAB> offers exactly the server's flags" \
	"$($flags parser "$src/src/server/options.c")" \
	"$(complete_words _udpecho_server udpecho-server -)"
expect "udpecho-server --deny<TAB>" "--deny-ports" \
	"$(complete_words _udpecho_server udpecho-server --deny)"
expect "udpecho-server --user ro<TAB> completes user names" "root" \
	"$(complete_words _udpecho_server udpecho-server --user ro | grep -x root)"
expect "both are registered with complete" "$(printf '%s\n' _udpecho _udpecho_server)" \
	"$({ complete -p udpecho; complete -p udpecho-server; } | awk '{print $3}')"

if [ "$failures" -ne 0 ]; then
	echo "completion: $failures failure(s)"
	exit 1
fi
