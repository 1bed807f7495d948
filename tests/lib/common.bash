# common.bash - shared by the bats suites.  Load with: load lib/common
#
# make check exports top_builddir and top_srcdir; when a suite is run by hand
# (bats tests/x.bats from the source tree) they default to the tree itself.

: "${top_srcdir:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
: "${PACKAGE_VERSION:=$(sed -n 's/^AC_INIT(\[digest-helpers\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")}"
export PACKAGE_VERSION

# Where the programs under test are: the build tree, or, for the installed
# packages (tests/packages.sh), DH_HELPER_DIR=/usr/lib/digest-helpers and
# DH_TOOL_DIR=/usr/bin.  Only the suites that use these follow them.
: "${DH_HELPER_DIR:=$top_builddir}"
: "${DH_TOOL_DIR:=$top_builddir}"
export DH_HELPER_DIR DH_TOOL_DIR

DFA="$DH_HELPER_DIR/digest_file_auth"
SQUID_DFA=/usr/lib/squid/digest_file_auth

# A server or tool the suite needs.  In CI (CI=true) a missing one is a
# failure; run by hand without it, the test is skipped, loudly.
require_cmd() {
	local cmd=$1
	if command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ]; then
		return 0
	fi
	if [ -n "${CI:-}" ]; then
		echo "FATAL: $cmd is required in CI but is not installed" >&2
		return 1
	fi
	echo "######## SKIPPING: $cmd is not installed (install it: the README's test command does) ########" >&3
	skip "$cmd is not installed"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# md5hex STRING: lowercase hex MD5, computed independently of our code.
md5hex() {
	printf '%s' "$1" | md5sum | cut -d' ' -f1
}

# ask [helper args...] < requests: run our helper, stdout only.
ask() {
	"$DFA" "$@" 2>/dev/null
}

# Wait until a condition command succeeds, at most $1 seconds.
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# freeze PID...: SIGSTOP the processes and wait (at most 5 s) until every
# thread of each is stopped.  kill(2) returns before that: the kernel
# wakes one thread to take the signal and stops the others only once that
# thread has run, so for a moment after kill a server can still answer.
freeze() {
	local pid n=0
	kill -STOP "$@" || return 1
	for pid in "$@"; do
		until stopped "$pid"; do
			n=$((n + 1))
			[ "$n" -lt 500 ] || { echo "freeze: $pid has threads still running after 5 s" >&2; return 1; }
			sleep 0.01
		done
	done
}

# stopped PID: every thread of PID is stopped (state T), or PID is gone
# or dead (Z, X)
stopped() {
	local st
	for st in /proc/"$1"/task/*/stat; do
		[ -e "$st" ] || continue
		st=$(cat "$st" 2>/dev/null) || continue
		st=${st##*) }
		case ${st%% *} in T | Z | X) ;; *) return 1 ;; esac
	done
}

# refute_grep ARGS...: fail when grep finds a match (a bare "! grep" does not
# fail a bats test: errexit ignores negated commands).
refute_grep() {
	if grep -q "$@"; then
		echo "unexpected match: grep $*" >&2
		return 1
	fi
}
