#!/bin/sh
# demo.sh - show digest_file_auth answering real lookups, the way Squid asks.
#
# Run from the top of the source tree after an in-tree build:
#     sh doc/demo.sh
# or point it at any build of the helper:
#     DFA=/usr/local/libexec/digest-helpers/digest_file_auth sh doc/demo.sh
#
# It writes a small password file in a temporary directory, feeds the helper
# a few request lines (one at a time, as Squid does) and prints each request
# with the reply.  The expected H(A1) values are computed here with md5sum,
# independently of the helper.  Exit status 0 when every reply is as
# expected, 1 otherwise.

set -u

DFA=${DFA:-./digest_file_auth}
REALM='Demo Realm'

if [ ! -x "$DFA" ]; then
	echo "demo.sh: $DFA not found or not executable; build first (./configure && make) or set DFA=path" >&2
	exit 1
fi
if ! command -v md5sum >/dev/null 2>&1; then
	echo "demo.sh: md5sum is needed to check the answers (Debian: coreutils)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/digest-demo.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# md5hex STRING: the lowercase hex MD5 of STRING.
md5hex() {
	printf '%s' "$1" | md5sum | cut -d' ' -f1
}

alice_ha1=$(md5hex "alice:$REALM:wonderland")
bob_ha1=$(md5hex "bob:$REALM:builder")

# One plaintext entry (user:realm:password) and one htdigest-style entry
# holding only the H(A1) ({HHA1} marks it, so no -c is needed).
pwfile=$tmp/digest.passwd
cat >"$pwfile" <<EOF
# demo password file
alice:$REALM:wonderland
bob:$REALM:{HHA1}$bob_ha1
EOF

echo "== Password file $pwfile:"
sed 's/^/   /' "$pwfile"
echo
echo "== Asking $DFA, one request line at a time (stdin -> stdout):"
echo

fails=0

# ask REQUEST EXPECTED-REPLY [HELPER-OPTIONS...]
ask() {
	req=$1 want=$2
	shift 2
	got=$(printf '%s\n' "$req" | "$DFA" "$@" "$pwfile")
	rc=$?
	printf '   request:  %s\n' "$req"
	printf '   reply:    %s\n' "$got"
	if [ "$rc" -ne 0 ]; then
		printf '   FAILED: helper exited with status %s\n' "$rc"
		fails=$((fails + 1))
	elif [ "$got" != "$want" ]; then
		printf '   FAILED: expected %s\n' "$want"
		fails=$((fails + 1))
	fi
	echo
}

echo "-- a known user with a plaintext password: OK and the H(A1)"
ask "\"alice\":\"$REALM\"" "OK ha1=\"$alice_ha1\""

echo "-- a known user stored as an H(A1): OK and that H(A1)"
ask "\"bob\":\"$REALM\"" "OK ha1=\"$bob_ha1\""

echo "-- an unknown user: ERR"
ask "\"mallory\":\"$REALM\"" 'ERR message="No such user"'

echo "-- with a channel ID (Squid's concurrency=N): the reply carries the same ID"
ask "42 \"alice\":\"$REALM\"" "42 OK ha1=\"$alice_ha1\""

echo "-- a malformed line: BH (the helper could not decide)"
ask 'this is not a request' 'BH message="Invalid line received"'

echo "-- a realm not allowed by --realm: ERR without a lookup"
ask "\"alice\":\"Other Realm\"" 'ERR message="Realm not accepted"' --realm "$REALM"

if [ "$fails" -ne 0 ]; then
	echo "demo.sh: $fails answer(s) were not as expected" >&2
	exit 1
fi
echo "All answers as expected."
