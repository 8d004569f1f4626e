# shellcheck shell=bash
# startup.sh: sourced by the shell scripts that start a server and load it.
#
# startup_port FILE [TRIES]: waits for the "... starting up on ADDR port N"
# line that every server here (udpecho-server, the baselines, the classic
# Python example) writes first, in FILE; prints N.  Returns 1 if the line is
# not there after TRIES looks 50 ms apart (default 200: 10 s), so that each
# caller fails in its own way.
startup_port() {
	local file=$1 tries=${2:-200} port i
	for ((i = 0; i < tries; i++)); do
		port=$(sed -n 's/^.*starting up on .* port \([0-9]*\)$/\1/p' "$file" | head -n 1)
		if [ -n "$port" ]; then
			echo "$port"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# start_zoo ZOO DIR BIND DEFECT [ARG]: starts the zoo server ZOO as --bind BIND
# DEFECT [ARG] in the background, its output in a file under DIR, its pid
# added to the caller's array pids (which the caller's EXIT trap stops), and
# sets the caller's port.  Exits the script when the server does not start.
start_zoo() {
	local zoo=$1 dir=$2 bind=$3 out
	shift 3
	out=$(mktemp "$dir/zoo.XXXXXX")
	"$zoo" --bind "$bind" "$@" >"$out" &
	pids+=($!)
	port=$(startup_port "$out" 100) || {
		echo "zoo server $* did not start"
		exit 1
	}
}
