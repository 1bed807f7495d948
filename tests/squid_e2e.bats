#!/usr/bin/env bats
# End to end: a real Squid runs our helpers (file, SQLite, LDAP) for Digest
# proxy authentication, and curl logs in through it to a local origin.
#
# Four Squid instances, all with children 3 concurrency=4 (so requests carry
# channel IDs):
#   C: auth_param digest program $DFA -c ha1.txt   (htdigest-style HA1 file)
#   P: auth_param digest program $DFA plain.txt    (plaintext, without -c)
#   S: auth_param digest program digest_sqlite_auth users.db (made with
#      digest_passwd --sqlite)
#   L: auth_param digest program digest_ldap_auth -F (uid=%s) -e ... against
#      a throwaway slapd (tests/lib/slapd.bash) holding REALM:HA1 values
# Each file ends with a {HHA1} entry.  Everything lives in a private
# directory under /tmp that Squid's user (proxy) can reach; only the
# processes started here are stopped at the end, by PID.  The programs are
# the build tree's, or DH_HELPER_DIR's and DH_TOOL_DIR's (tests/lib/common.bash).

load lib/common
load lib/slapd
load lib/squid

REALM='DFA e2e realm'

# --- helpers ------------------------------------------------------------------
# (starting, asking and stopping Squid: tests/lib/squid.bash)

# http_code PROXY-PORT [curl args...]: the final HTTP status of a GET of the
# origin's / through the proxy, body to $BODY (default: discarded)
http_code() {
	proxy_status "$1" "http://127.0.0.1:$ORIGIN_PORT/" "${@:2}"
}

# login PROXY-PORT USER PASSWORD: the final status of a Digest proxy login
login() {
	http_code "$1" --proxy-digest -U "$2:$3"
}

stop_all() {
	squid_stop C P S L
	origin_stop E2E
}

# --- setup / teardown -----------------------------------------------------------

setup_file() {
	require_cmd squid
	require_cmd curl
	DSA="$DH_HELPER_DIR/digest_sqlite_auth"
	DPW="$DH_TOOL_DIR/digest_passwd"
	DLA="$DH_HELPER_DIR/digest_ldap_auth"
	export DPW	# the sqlite --enable test runs it
	local b
	for b in "$DFA" "$DSA" "$DPW" "$DLA"; do
		[ -x "$b" ] || { echo "$b is not built"; return 1; }
	done

	squid_workdir dfa-e2e

	# Squid runs helpers as proxy: it must be able to run ours.
	HELPER=$(squid_helper "$DFA")
	SQL_HELPER=$(squid_helper "$DSA")
	LDAP_HELPER=$(squid_helper "$DLA")

	# The origin serves one file, so a 200 can be told from a Squid page.
	mkdir "$W/www"
	TOKEN="digest-helpers e2e origin $RANDOM$RANDOM"
	echo "$TOKEN" >"$W/www/index.html"
	export TOKEN

	# -c file: realm-specific HA1 (htdigest), realm-less HA1, an entry for
	# another realm only, and a {HHA1} entry last.
	{
		echo "# htdigest-style"
		echo "alice:$REALM:$(md5hex "alice:$REALM:alice pw")"
		echo "bob:$(md5hex "bob:$REALM:b0b:s3cret")"
		echo "mallory:Other Realm:$(md5hex "mallory:Other Realm:mallory-pw")"
		echo "carol:$REALM:{HHA1}$(md5hex "carol:$REALM:carol-pw")"
	} >"$W/ha1.txt"
	# plaintext file: user:password, user:realm:password, another realm only,
	# and a {HHA1} entry last.
	{
		echo "# plaintext"
		echo "dave:dave pw!"
		echo "erin:$REALM:erin-pw"
		echo "frank:Other Realm:frank-pw"
		echo "gina:{HHA1}$(md5hex "gina:$REALM:gina-pw")"
	} >"$W/plain.txt"
	# SQLite store made by our admin tool: one user, one disabled user,
	# one user of another realm only.
	"$DPW" --sqlite "$W/users.db" --init
	printf 'hana pw\n' | "$DPW" -i --sqlite "$W/users.db" "$REALM" hana
	printf 'ivan-pw\n' | "$DPW" -i --sqlite "$W/users.db" "$REALM" ivan
	"$DPW" --sqlite "$W/users.db" --disable "$REALM" ivan
	printf 'judy-pw\n' | "$DPW" -i --sqlite "$W/users.db" "Other Realm" judy
	# LDAP: a slapd of our own; REALM:HA1 in userPassword (one user with a
	# value for two realms, one for another realm only, one only ever given
	# a wrong password).  The helper binds
	# with the root DN's secret, from a copy Squid's user can read.
	slapd_setup "$W/slapd" || { echo "slapd did not start"; return 1; }
	{
		printf 'dn: uid=lara,ou=people,%s\nobjectClass: inetOrgPerson\nuid: lara\ncn: Lara\nsn: L\n' "$SLAPD_BASE"
		printf 'userPassword: %s:%s\n' "$REALM" "$(md5hex "lara:$REALM:lara pw")"
		printf 'userPassword: Other Realm:%s\n\n' "$(md5hex "lara:Other Realm:lara other")"
		printf 'dn: uid=mike,ou=people,%s\nobjectClass: inetOrgPerson\nuid: mike\ncn: Mike\nsn: M\n' "$SLAPD_BASE"
		printf 'userPassword: Other Realm:%s\n\n' "$(md5hex "mike:Other Realm:mike-pw")"
		printf 'dn: uid=nora,ou=people,%s\nobjectClass: inetOrgPerson\nuid: nora\ncn: Nora\nsn: N\n' "$SLAPD_BASE"
		printf 'userPassword: %s:%s\n\n' "$REALM" "$(md5hex "nora:$REALM:nora pw")"
	} >"$W/users.ldif"
	slapd_add "$W/users.ldif" || { echo "ldapadd failed"; slapd_stop; return 1; }
	cp "$SLAPD_SECRET_FILE" "$W/ldap.secret"
	squid_readable "$W/ha1.txt" "$W/plain.txt" "$W/users.db" "$W/ldap.secret"

	read -r ORIGIN_PORT PORT_C PORT_P PORT_S PORT_L < <(squid_ports 5)
	export ORIGIN_PORT PORT_C PORT_P PORT_S PORT_L

	origin_start E2E "$ORIGIN_PORT" "$W/www"
	squid_start C "$PORT_C" "$HELPER -c $W/ha1.txt"
	squid_start P "$PORT_P" "$HELPER $W/plain.txt"
	squid_start S "$PORT_S" "$SQL_HELPER $W/users.db"
	# Squid splits the program line on spaces: a filter without spaces
	squid_start L "$PORT_L" "$LDAP_HELPER -b ou=people,$SLAPD_BASE -F (uid=%s) -A userPassword -e -D $SLAPD_ROOTDN -W $W/ldap.secret -H $SLAPD_URI"

	if ! origin_wait "$ORIGIN_PORT"; then
		cat "$W/origin-E2E.log"
		stop_all
		slapd_stop
		return 1
	fi
	local n port_var
	for n in C P S L; do
		port_var="PORT_$n"
		if ! squid_wait "$n" "${!port_var}"; then
			stop_all
			slapd_stop
			return 1
		fi
	done
}

teardown_file() {
	stop_all
	slapd_stop
	[ -z "${W:-}" ] || rm -rf "$W"
}

# --- tests ----------------------------------------------------------------------

# The request goes through the proxy (not straight to the origin), and a
# wrong login is refused, so a 200 below means our helper said OK.
@test "e2e: without credentials Squid asks for them (407)" {
	[ "$(http_code "$PORT_C")" = 407 ]
	[ "$(http_code "$PORT_P")" = 407 ]
	[ "$(http_code "$PORT_S")" = 407 ]
	[ "$(http_code "$PORT_L")" = 407 ]
}

@test "e2e -c: user:realm:HA1 (htdigest) entry logs in, body is the origin's" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_C" alice 'alice pw'
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
	# Squid logged the request as alice's (access.log may lag a little)
	wait_for 5 grep -q ' TCP_MISS/200 .* alice HIER_DIRECT' "$W/access-C.log"
}

@test "e2e -c: realm-less user:HA1 entry logs in (password holding ':')" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_C" bob 'b0b:s3cret'
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
}

@test "e2e -c: {HHA1} entry logs in" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_C" carol carol-pw
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
}

@test "e2e -c: wrong password is refused (407)" {
	run login "$PORT_C" alice 'alice pw2'
	[ "$output" = 407 ]
	run login "$PORT_C" carol 'Carol-pw'
	[ "$output" = 407 ]
}

@test "e2e -c: unknown user is refused (407)" {
	run login "$PORT_C" nobody 'alice pw'
	[ "$output" = 407 ]
	run login "$PORT_C" Alice 'alice pw'
	[ "$output" = 407 ]
}

@test "e2e -c: an entry for another realm only is refused (407)" {
	run login "$PORT_C" mallory mallory-pw
	[ "$output" = 407 ]
}

@test "e2e plaintext: user:password entry logs in, body is the origin's" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_P" dave 'dave pw!'
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
	wait_for 5 grep -q ' TCP_MISS/200 .* dave HIER_DIRECT' "$W/access-P.log"
}

@test "e2e plaintext: user:realm:password entry logs in" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_P" erin erin-pw
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
}

@test "e2e plaintext: {HHA1} entry logs in" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_P" gina gina-pw
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
}

@test "e2e plaintext: wrong password, unknown user, other realm are refused (407)" {
	run login "$PORT_P" dave 'dave pw'
	[ "$output" = 407 ]
	run login "$PORT_P" nobody 'dave pw!'
	[ "$output" = 407 ]
	run login "$PORT_P" frank frank-pw
	[ "$output" = 407 ]
}

@test "e2e sqlite: a user made with digest_passwd logs in, body is the origin's" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_S" hana 'hana pw'
	[ "$output" = 200 ]
	[ "$(cat "$BODY")" = "$TOKEN" ]
	wait_for 5 grep -q ' TCP_MISS/200 .* hana HIER_DIRECT' "$W/access-S.log"
}

@test "e2e sqlite: wrong password, unknown, disabled and other-realm users are refused (407)" {
	run login "$PORT_S" hana 'hana pw2'
	[ "$output" = 407 ]
	run login "$PORT_S" nobody 'hana pw'
	[ "$output" = 407 ]
	run login "$PORT_S" ivan ivan-pw
	[ "$output" = 407 ]
	run login "$PORT_S" judy judy-pw
	[ "$output" = 407 ]
}

@test "e2e sqlite: enabling the disabled user lets it in, without restarting anything" {
	"$DPW" --sqlite "$W/users.db" --enable "$REALM" ivan
	run login "$PORT_S" ivan ivan-pw
	[ "$output" = 200 ]
}

@test "e2e ldap: a directory user (REALM:HA1 in userPassword) logs in, body is the origin's" {
	BODY="$BATS_TEST_TMPDIR/body"
	run login "$PORT_L" lara 'lara pw'
	[ "$output" = 200 ] || { echo "HTTP status $output"; false; }
	[ "$(cat "$BODY")" = "$TOKEN" ]
	wait_for 5 grep -q ' TCP_MISS/200 .* lara HIER_DIRECT' "$W/access-L.log"
}

# A helper that never answers also ends in 407 (curl gives up after 10 s and
# reports the challenge): a refusal must also be quick.
@test "e2e ldap: wrong password, unknown user, other-realm-only user are refused (407), promptly" {
	local t0=$SECONDS
	run login "$PORT_L" lara 'lara pw2'
	[ "$output" = 407 ]
	run login "$PORT_L" lara 'lara other'
	[ "$output" = 407 ]
	run login "$PORT_L" nobody 'lara pw'
	[ "$output" = 407 ]
	run login "$PORT_L" 'lara*' 'lara pw'
	[ "$output" = 407 ]
	run login "$PORT_L" mike mike-pw
	[ "$output" = 407 ]
	[ $((SECONDS - t0)) -le 5 ] || { echo "5 refusals took $((SECONDS - t0)) s"; false; }
}

@test "e2e: parallel logins of many users (channel IDs in use) all get the right answer" {
	local i d="$BATS_TEST_TMPDIR"
	# (a wrong password is only tried for users nobody logs in with the
	# right one at the same time: Squid 5.7 itself may let such a racing
	# wrong password through, whatever the helper)
	for i in 1 2 3; do
		BODY=/dev/null login "$PORT_C" alice 'alice pw' >"$d/c-alice-$i" 3>&- &
		BODY=/dev/null login "$PORT_C" bob 'b0b:s3cret' >"$d/c-bob-$i" 3>&- &
		BODY=/dev/null login "$PORT_C" carol 'wrong' >"$d/c-carol-$i" 3>&- &
		BODY=/dev/null login "$PORT_C" "nobody$i" x >"$d/c-nobody-$i" 3>&- &
		BODY=/dev/null login "$PORT_P" dave 'dave pw!' >"$d/p-dave-$i" 3>&- &
		BODY=/dev/null login "$PORT_P" erin erin-pw >"$d/p-erin-$i" 3>&- &
		BODY=/dev/null login "$PORT_P" gina 'wrong' >"$d/p-gina-$i" 3>&- &
		BODY=/dev/null login "$PORT_P" "nobody$i" x >"$d/p-nobody-$i" 3>&- &
		BODY=/dev/null login "$PORT_S" hana 'hana pw' >"$d/s-hana-$i" 3>&- &
		BODY=/dev/null login "$PORT_S" "nobody$i" x >"$d/s-nobody-$i" 3>&- &
		BODY=/dev/null login "$PORT_L" lara 'lara pw' >"$d/l-lara-$i" 3>&- &
		BODY=/dev/null login "$PORT_L" nora 'wrong' >"$d/l-wrong-$i" 3>&- &
		BODY=/dev/null login "$PORT_L" "nobody$i" x >"$d/l-nobody-$i" 3>&- &
	done
	wait
	for i in 1 2 3; do
		[ "$(cat "$d/c-alice-$i")" = 200 ]
		[ "$(cat "$d/c-bob-$i")" = 200 ]
		[ "$(cat "$d/c-carol-$i")" = 407 ]
		[ "$(cat "$d/c-nobody-$i")" = 407 ]
		[ "$(cat "$d/p-dave-$i")" = 200 ]
		[ "$(cat "$d/p-erin-$i")" = 200 ]
		[ "$(cat "$d/p-gina-$i")" = 407 ]
		[ "$(cat "$d/p-nobody-$i")" = 407 ]
		[ "$(cat "$d/s-hana-$i")" = 200 ]
		[ "$(cat "$d/s-nobody-$i")" = 407 ]
		[ "$(cat "$d/l-lara-$i")" = 200 ]
		[ "$(cat "$d/l-wrong-$i")" = 407 ] || { echo "l-wrong-$i: $(cat "$d/l-wrong-$i")"; false; }
		[ "$(cat "$d/l-nobody-$i")" = 407 ]
	done
}

# Squid kills a helper that writes what it was not asked for, and logs a
# helper that dies: neither may have happened during the tests above.
@test "e2e: no helper died or was killed, Squid is still up" {
	alive "$SQUID_C_PID"
	alive "$SQUID_P_PID"
	alive "$SQUID_S_PID"
	alive "$SQUID_L_PID"
	local bad
	bad=$(grep -hiE 'digestauthenticator.*(exited|crash)|helper.*(unexpected|unrecoverable|too few)|FATAL|Sanitizer|runtime error:' \
		"$W/cache-C.log" "$W/cache-P.log" "$W/cache-S.log" "$W/cache-L.log" || true)
	[ -z "$bad" ] || { head -n 20 <<<"$bad"; false; }
	grep -q "Starting new digestauthenticator helpers" "$W/cache-C.log"
	grep -q "Starting new digestauthenticator helpers" "$W/cache-P.log"
	grep -q "Starting new digestauthenticator helpers" "$W/cache-S.log"
	grep -q "Starting new digestauthenticator helpers" "$W/cache-L.log"
}
