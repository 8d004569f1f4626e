#!/usr/bin/env bash
# Install the Debian 12 packages udpecho needs to build and test, and only
# those that are missing.  Run as root.  Downloads nothing but Debian packages.
set -euo pipefail

packages=(
	cmake make gcc libc6-dev # the build
	libcmocka-dev            # unit and integration tests
	clang-format clang-tidy cppcheck shellcheck # static analysis (ci/lint.sh)
	valgrind                 # ci/valgrind.sh
	jq libxml2-utils perl    # check report formats: JSON schema, JUnit XSD, TAP::Parser
	tcpdump                  # check --evidence: its pcap files read by a real reader
	tidy chromium            # check --format html: validated by HTML Tidy, drawn by Chromium
	fonts-dejavu-core        # the page's text for Chromium (its fonts are only recommended)
	bc                       # ci/bench.sh and ci/check_times.sh: their arithmetic
	clang libclang-rt-14-dev # fuzzing: libFuzzer and sanitizer runtimes (ci/fuzz.sh)
	afl++                    # fuzzing: AFL++ (ci/fuzz.sh afl)
	llvm-14                  # llvm-profdata-14, llvm-cov-14 (ci/coverage.sh)
	zip unzip                # ClusterFuzzLite seed corpora (fuzz/test_clusterfuzzlite.sh)
	mandoc groff-base man-db # man pages: lint and render (tests/integration/manpages.sh)
	bash-completion          # completion/ test (tests/integration/completion.sh)
	build-essential dpkg-dev debhelper lintian # the Debian package (ci/deb.sh)
	systemd                  # systemd-socket-activate, systemd-analyze (units tests, ci/deb.sh)
)

missing=()
for pkg in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run this script as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
