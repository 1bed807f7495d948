#!/bin/sh
# demo.sh - show the helpers answering real lookups, the way Squid asks.
#
# Run from the top of the source tree after an in-tree build:
#     sh doc/demo.sh
# or point it at any build of the programs:
#     DFA=/usr/local/libexec/digest-helpers/digest_file_auth \
#     DSA=/usr/local/libexec/digest-helpers/digest_sqlite_auth \
#     DPW=/usr/local/bin/digest_passwd sh doc/demo.sh
#
# It creates a small SQLite store with digest_passwd and a small password
# file in a temporary directory, feeds each helper a few request lines (one
# at a time, as Squid does) and prints each request with the reply.  The
# expected H(A1) values are computed here with md5sum, independently of the
# helpers.  Exit status 0 when every reply is as
# expected, 1 otherwise.

set -u

DFA=${DFA:-./digest_file_auth}
DSA=${DSA:-./digest_sqlite_auth}
DPW=${DPW:-./digest_passwd}
REALM='Demo Realm'

for prog in "$DSA" "$DPW" "$DFA"; do
	if [ ! -x "$prog" ]; then
		echo "demo.sh: $prog not found or not executable; build first (./configure && make) or set DFA=, DSA=, DPW=" >&2
		exit 1
	fi
done
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

fails=0

# ask HELPER STORE REQUEST EXPECTED-REPLY [HELPER-OPTIONS...]
ask() {
	helper=$1 store=$2 req=$3 want=$4
	shift 4
	got=$(printf '%s\n' "$req" | "$helper" "$@" "$store")
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

# --- the embedded default: an SQLite store made with digest_passwd -----------
db=$tmp/users.db
echo "== Creating an SQLite store with digest_passwd:"
echo "   $DPW --sqlite $db --init"
"$DPW" --sqlite "$db" --init || exit 1
for entry in "alice wonderland" "bob builder"; do
	user=${entry%% *}
	printf "   printf '<password>\\\\n' | %s -i --sqlite %s '%s' %s\\n" "$DPW" "$db" "$REALM" "$user"
	printf '%s\n' "${entry#* }" | "$DPW" -i --sqlite "$db" "$REALM" "$user" || exit 1
done
echo "   $DPW --sqlite $db --disable '$REALM' bob"
"$DPW" --sqlite "$db" --disable "$REALM" bob || exit 1
echo "   $DPW --sqlite $db -l"
"$DPW" --sqlite "$db" -l | sed 's/^/      /'
echo
echo "== Asking $DSA (stdin -> stdout):"
echo
echo "-- a known user: OK and the H(A1)"
ask "$DSA" "$db" "\"alice\":\"$REALM\"" "OK ha1=\"$alice_ha1\""
echo "-- an unknown user: ERR"
ask "$DSA" "$db" "\"mallory\":\"$REALM\"" 'ERR message="No such user"'
echo "-- a disabled user: ERR"
ask "$DSA" "$db" "\"bob\":\"$REALM\"" 'ERR message="No such user"'
echo "-- with a channel ID (Squid's concurrency=N): the reply carries the same ID"
ask "$DSA" "$db" "42 \"alice\":\"$REALM\"" "42 OK ha1=\"$alice_ha1\""

# --- a password file ---------------------------------------------------------
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
echo "== Asking $DFA (stdin -> stdout):"
echo
echo "-- a known user with a plaintext password: OK and the H(A1)"
ask "$DFA" "$pwfile" "\"alice\":\"$REALM\"" "OK ha1=\"$alice_ha1\""
echo "-- a known user stored as an H(A1): OK and that H(A1)"
ask "$DFA" "$pwfile" "\"bob\":\"$REALM\"" "OK ha1=\"$bob_ha1\""
echo "-- an unknown user: ERR"
ask "$DFA" "$pwfile" "\"mallory\":\"$REALM\"" 'ERR message="No such user"'
echo "-- a malformed line: BH (the helper could not decide)"
ask "$DFA" "$pwfile" 'this is not a request' 'BH message="Invalid line received"'
echo "-- a realm not allowed by --realm: ERR without a lookup"
ask "$DFA" "$pwfile" "\"alice\":\"Other Realm\"" 'ERR message="Realm not accepted"' --realm "$REALM"

if [ "$fails" -ne 0 ]; then
	echo "demo.sh: $fails answer(s) were not as expected" >&2
	exit 1
fi
echo "All answers as expected."
