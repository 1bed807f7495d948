#!/usr/bin/env bats
# digest_passwd --ldap (digest_passwd(1)) against a real slapd on
# 127.0.0.1 (tests/lib/slapd.bash) whose ACLs let an admin DN write the
# password attribute and the helper's DN only read it.  Every change is
# checked twice: with ldapsearch as the root DN (what the directory holds)
# and with digest_ldap_auth given the same HELPER-ARGS (what Squid would
# get).  Expected HA1s are computed here with md5sum.

bats_require_minimum_version 1.5.0

load lib/common
load lib/slapd

DP="$top_builddir/digest_passwd"
DLA="$top_builddir/digest_ldap_auth"
PEOPLE="ou=people,$SLAPD_BASE"
ADMIN="cn=pwadmin,$SLAPD_BASE"
READER="cn=squid,$SLAPD_BASE"
HIDDEN="ou=hidden,ou=people,$SLAPD_BASE"	# only the admin sees in here
R1='Main Realm'
R2='Second'

ldap_built() { [ -x "$DLA" ]; }

setup_file() {
	ldap_built || return 0
	SLAPD_ACCESS="access to dn.subtree=\"$HIDDEN\"
	by dn.exact=\"$ADMIN\" write
	by * none
access to attrs=userPassword,description
	by dn.exact=\"$ADMIN\" write
	by dn.exact=\"$READER\" read
	by anonymous auth
	by * none
access to * by * read
limits dn.exact=\"$READER\" size=3 size.prtotal=unlimited"
	export SLAPD_ACCESS
	slapd_setup "$BATS_FILE_TMPDIR/slapd" || return 1
	head -c 12 /dev/urandom | base64 | tr -d '/+=\n' >"$BATS_FILE_TMPDIR/admin.pw"
	head -c 12 /dev/urandom | base64 | tr -d '/+=\n' >"$BATS_FILE_TMPDIR/reader.pw"
	local l="$BATS_FILE_TMPDIR/users.ldif" u
	{
		printf 'dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: pwadmin\nuserPassword: %s\n\n' \
			"$ADMIN" "$(cat "$BATS_FILE_TMPDIR/admin.pw")"
		printf 'dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: squid\nuserPassword: %s\n\n' \
			"$READER" "$(cat "$BATS_FILE_TMPDIR/reader.pw")"
		for u in alice bob carol dave erin frank 'o*(x)'; do
			printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: s\n\n' \
				"$(dn_escape "$u")" "$PEOPLE" "$u" "$u"
		done
		printf 'dn: uid=a\\,b,%s\nobjectClass: inetOrgPerson\nuid: a,b\ncn: ab\nsn: s\n\n' "$PEOPLE"
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: hidden\n\n' "$HIDDEN"
		printf 'dn: uid=ghost,%s\nobjectClass: inetOrgPerson\nuid: ghost\ncn: ghost\nsn: s\n\n' "$HIDDEN"
		printf 'dn: uid=twin1,%s\nobjectClass: inetOrgPerson\nuid: twin1\ncn: Twin\nsn: t\n\n' "$PEOPLE"
		printf 'dn: uid=twin2,%s\nobjectClass: inetOrgPerson\nuid: twin2\ncn: Twin\nsn: t\n\n' "$PEOPLE"
		# alice already holds a value for R2 and a plaintext description
		printf 'dn: uid=alice,%s\nchangetype: modify\nadd: userPassword\nuserPassword: %s:%s\n\n' \
			"$PEOPLE" "$R2" "$(md5hex "alice:$R2:old two")"
	} >"$l"
	ldapmodify -a -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" -f "$l" >/dev/null
}

teardown_file() {
	slapd_stop
}

setup() {
	if ! ldap_built; then
		[ -z "${CI:-}" ] || { echo "FATAL: digest_ldap_auth not built in CI" >&2; return 1; }
		echo "######## SKIPPING: built without LDAP ########" >&3
		skip "built without LDAP"
	fi
	ARGS="-H $SLAPD_URI -b $PEOPLE -u uid -A userPassword -e -D $READER -W $BATS_FILE_TMPDIR/reader.pw"
	ADMIN_OPTS=(--bind-dn "$ADMIN" --bind-secret-file "$BATS_FILE_TMPDIR/admin.pw")
}

# dn_escape VALUE: RFC 4514 escaping for the few characters used here
dn_escape() { printf '%s' "$1" | sed 's/[,+"\\<>;=]/\\&/g'; }

# values UID ATTR: the attribute's values, sorted, as the root DN reads them
values() {
	ldapsearch -x -LLL -o ldif-wrap=no -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" \
		-y "$SLAPD_SECRET_FILE" -b "$PEOPLE" "(uid=$1)" "$2" |
		python3 -c '
import base64, sys
a = sys.argv[1] + ":"
for l in sys.stdin.read().splitlines():
    if l.startswith(a + ": "):
        print(base64.b64decode(l[len(a) + 2:]).decode())
    elif l.startswith(a + " "):
        print(l[len(a) + 1:])' "$2" | sort
}

# helper_ha1 USER REALM [ARGS]: what digest_ldap_auth answers
helper_ha1() {
	printf '"%s":"%s"\n' "$1" "$2" | "$DLA" ${3:-$ARGS}
}

setpw() {	# setpw PASSWORD [digest_passwd args...]
	local pw=$1; shift
	printf '%s\n' "$pw" | "$DP" --ldap "$ARGS" "${ADMIN_OPTS[@]}" -i "$@"
}

@test "add: one value REALM:HA1 on the entry, and the helper answers with it" {
	run setpw 'bob pw' "$R1" bob
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(values bob userPassword)" = "$R1:$(md5hex "bob:$R1:bob pw")" ]
	run helper_ha1 bob "$R1"
	[ "$output" = "OK ha1=\"$(md5hex "bob:$R1:bob pw")\"" ]
}

@test "change: the realm's value is replaced, another realm's value is untouched" {
	local before2
	before2=$(values alice userPassword | grep "^$R2:")
	setpw 'first' "$R1" alice
	run setpw 'second' "$R1" alice
	[ "$status" -eq 0 ]
	run values alice userPassword
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "$R1:$(md5hex "alice:$R1:second")" ]
	[ "${lines[1]}" = "$before2" ]
	run helper_ha1 alice "$R2"
	[ "$output" = "OK ha1=\"$(md5hex "alice:$R2:old two")\"" ]
}

@test "the helper's arguments may start with its path, as in squid.conf" {
	ARGS="/usr/lib/digest-helpers/digest_ldap_auth $ARGS"
	run setpw 'pathpw' "$R1" carol
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(values carol userPassword)" = "$R1:$(md5hex "carol:$R1:pathpw")" ]
}

@test "an unknown user: no entry is created, exit 1 with one line" {
	run setpw 'x' "$R1" nobody
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"user nobody not found in the directory"* ]]
	run ldapsearch -x -LLL -H "$SLAPD_URI" -b "$PEOPLE" "(uid=nobody)" dn
	[ -z "$output" ]
}

@test "an ambiguous search (two entries) changes nothing and says so" {
	ARGS="-H $SLAPD_URI -b $PEOPLE -F (cn=%s) -A userPassword -e"
	run setpw 'x' "$R1" Twin
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than one LDAP entry matches user Twin"* ]]
	[ -z "$(values twin1 userPassword)" ]
	[ -z "$(values twin2 userPassword)" ]
}

@test "filter metacharacters in the user are escaped: only the entry of that exact name" {
	run setpw 'star pw' "$R1" '*'
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
	run setpw 'o pw' "$R1" 'o*(x)'
	[ "$status" -eq 0 ]
	[ "$(values 'o\2a\28x\29' userPassword)" = "$R1:$(md5hex "o*(x):$R1:o pw")" ]
	[ -z "$(values dave userPassword)" ]
}

@test "-u ATTR -s base: the entry's DN is built with the name escaped (RFC 4514)" {
	ARGS="-H $SLAPD_URI -b $PEOPLE -u uid -s base -A userPassword -e"
	run setpw 'dn pw' "$R1" 'dave,ou=x'
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
	# uid=a\,b: found only through the escaped DN
	run setpw 'ab pw' "$R1" 'a,b'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(values 'a,b' userPassword)" = "$R1:$(md5hex "a,b:$R1:ab pw")" ]
	run setpw 'dave pw' "$R1" dave
	[ "$status" -eq 0 ]
	[ "$(values dave userPassword)" = "$R1:$(md5hex "dave:$R1:dave pw")" ]
}

@test "-D removes that realm's value only; again, it says there is none" {
	setpw 'e1' "$R1" erin
	setpw 'e2' "$R2" erin
	run "$DP" --ldap "$ARGS" "${ADMIN_OPTS[@]}" -D "$R1" erin
	[ "$status" -eq 0 ]
	[ "$(values erin userPassword)" = "$R2:$(md5hex "erin:$R2:e2")" ]
	run "$DP" --ldap "$ARGS" "${ADMIN_OPTS[@]}" -D "$R1" erin
	[ "$status" -eq 1 ]
	[[ "$output" == *"user erin has no password for realm $R1"* ]]
	run helper_ha1 erin "$R1"
	[ "$output" = 'ERR message="No such user"' ]
}

@test "-v: 0 for the right password, 3 for a wrong one, reading as the helper's DN" {
	setpw 'frank pw' "$R1" frank
	run bash -c "printf 'frank pw\n' | '$DP' --ldap '$ARGS' -v -i '$R1' frank"
	[ "$status" -eq 0 ]
	run bash -c "printf 'wrong\n' | '$DP' --ldap '$ARGS' -v -i '$R1' frank"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong password for user frank"* ]]
}

@test "-l [REALM]: user:realm lines, never a hash, past the reader's size limit of 3" {
	local u
	for u in alice bob carol dave; do setpw "$u" "$R1" "$u"; done
	run "$DP" --ldap "$ARGS" -l "$R1"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	for u in alice bob carol dave; do [[ "$output" == *"$u:$R1"* ]]; done
	[[ "$output" != *"$R2"* ]]
	run grep -Eq '[0-9a-f]{32}' <<<"$output"
	[ "$status" -eq 1 ]
	run "$DP" --ldap "$ARGS" -l
	[ "$status" -eq 0 ]
	[[ "$output" == *"alice:$R2"* ]]
}

@test "the helper's own DN cannot write: one line with the LDAP result text" {
	run bash -c "printf 'x\n' | '$DP' --ldap '$ARGS' -i '$R1' bob"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"Insufficient access"* ]]
}

@test "plaintext attributes: refused without --plaintext, stored with it" {
	ARGS="-H $SLAPD_URI -b $PEOPLE -u uid -A description -D $READER -W $BATS_FILE_TMPDIR/reader.pw"
	run setpw 'plain pw' "$R1" bob
	[ "$status" -eq 1 ]
	[[ "$output" == *"writing one needs --plaintext"* ]]
	[ -z "$(values bob description)" ]
	run setpw 'plain pw' --plaintext "$R1" bob
	[ "$status" -eq 0 ]
	[ "$(values bob description)" = "$R1:plain pw" ]
	run helper_ha1 bob "$R1"
	[ "$output" = "OK ha1=\"$(md5hex "bob:$R1:plain pw")\"" ]
}

@test "secrets are never printed, debug included" {
	run setpw 'secret pw 42' -d "$R1" carol
	[ "$status" -eq 0 ]
	[[ "$output" != *"secret pw 42"* ]]
	[[ "$output" != *"$(md5hex "carol:$R1:secret pw 42")"* ]]
	[[ "$output" != *"$(cat "$BATS_FILE_TMPDIR/admin.pw")"* ]]
	[[ "$output" != *"$(cat "$BATS_FILE_TMPDIR/reader.pw")"* ]]
}

@test "a wrong bind secret: one line, nothing changed" {
	echo wrong >"$BATS_TEST_TMPDIR/bad.pw"
	run bash -c "printf 'x\n' | '$DP' --ldap '$ARGS' --bind-dn '$ADMIN' --bind-secret-file '$BATS_TEST_TMPDIR/bad.pw' -i '$R1' bob"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"Invalid credentials"* ]]
}

@test "bad helper arguments: the helper's own start-up checks, one line" {
	run "$DP" --ldap "-H $SLAPD_URI -u uid -A userPassword" -l
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"-b"* ]]
	run "$DP" --ldap "-H $SLAPD_URI -b $PEOPLE -u uid -A userPassword -x" -l
	[ "$status" -eq 1 ]
	[[ "$output" == *"-x"* ]]
	run "$DP" --ldap "$ARGS -r Other" "${ADMIN_OPTS[@]}" -D "$R1" bob
	[ "$status" -eq 1 ]
	[[ "$output" == *"answers only realm"* ]]
	run "$DP" --ldap "$ARGS" --init
	[ "$status" -eq 1 ]
	run "$DP" --bind-dn "$ADMIN" -l "$BATS_TEST_TMPDIR/f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"go with --ldap"* ]]
}

@test "concurrent changes of different realms of one user lose nothing" {
	local i pids=()
	for i in $(seq 1 12); do
		setpw "pw$i" "realm$i" dave & pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	run values dave userPassword
	for i in $(seq 1 12); do
		[[ "$output" == *"realm$i:$(md5hex "dave:realm$i:pw$i")"* ]] || { echo "realm$i missing: $output"; false; }
	done
}

@test "concurrent changes of one realm: one value left, the last writer's" {
	local i pids=()
	for i in $(seq 1 8); do
		setpw "same$i" "$R2" frank & pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || { echo "writer $i failed"; false; }; done
	local got
	got=$(values frank userPassword | grep -c "^$R2:")
	[ "$got" -eq 1 ]
	got=$(values frank userPassword | sed -n "s/^$R2://p")
	local ok=no
	for i in $(seq 1 8); do [ "$got" = "$(md5hex "frank:$R2:same$i")" ] && ok=yes; done
	[ "$ok" = yes ]
}

@test "-l \"\" -r REALM: the attribute holds the HA1 alone, replaced whole" {
	ARGS="-H $SLAPD_URI -b $PEOPLE -u uid -A description -e -l \"\" -r $R2 -D $READER -W $BATS_FILE_TMPDIR/reader.pw"
	run setpw 'bare1' "$R2" carol
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run setpw 'bare2' "$R2" carol
	[ "$status" -eq 0 ]
	[ "$(values carol description)" = "$(md5hex "carol:$R2:bare2")" ]
	run bash -c "printf '\"carol\":\"$R2\"\n' | '$DLA' -H '$SLAPD_URI' -b '$PEOPLE' -u uid -A description -e -l '' -r '$R2' -D '$READER' -W '$BATS_FILE_TMPDIR/reader.pw'"
	[ "$output" = "OK ha1=\"$(md5hex "carol:$R2:bare2")\"" ]
	run "$DP" --ldap "$ARGS" "${ADMIN_OPTS[@]}" -D "$R2" carol
	[ "$status" -eq 0 ]
	[ -z "$(values carol description)" ]
	run "$DP" --ldap "-b \"$PEOPLE -u uid" -l
	[ "$status" -eq 1 ]
	[[ "$output" == *"quote is not closed"* ]]
}

@test "-w SECRET in HELPER-ARGS: gone from the command line others see in ps" {
	local secret pid i
	secret=$(cat "$BATS_FILE_TMPDIR/reader.pw")
	setpw 'bob pw' "$R1" bob
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$DP" --ldap "-H $SLAPD_URI -b $PEOPLE -u uid -A userPassword -e -D $READER -w $secret" \
		-v -i "$R1" bob <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	exec 9>"$BATS_TEST_TMPDIR/in"
	# it waits for the password on stdin, the arguments parsed by then
	for i in $(seq 1 50); do
		grep -q "bind password" "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	run tr '\0' ' ' <"/proc/$pid/cmdline"
	echo 'bob pw' >&9
	exec 9>&-
	wait "$pid" || true
	[[ "$output" == *digest_passwd* ]]
	if [ -n "${DH_UNDER_VALGRIND:-}" ]; then
		# valgrind keeps its own copy of the client's arguments, which
		# is what /proc shows; the program's wiping runs, memcheck looks
		echo "# under valgrind: the command line shown is valgrind's" >&3
		return 0
	fi
	[[ "$output" != *"$secret"* ]]
}

@test "the entry is found as the helper finds it (its DN), changed as --bind-dn" {
	# ghost is only visible to the admin: the helper cannot find it
	run helper_ha1 ghost "$R1"
	[ "$output" = 'ERR message="No such user"' ]
	run setpw 'ghost pw' "$R1" ghost
	[ "$status" -eq 1 ]
	[[ "$output" == *"user ghost not found in the directory"* ]]
	run ldapsearch -x -LLL -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" \
		-b "$HIDDEN" "(uid=ghost)" userPassword
	[[ "$output" != *userPassword* ]]
}

@test "the helper's -W file unreadable with --bind-dn: a warning, the admin finds and writes" {
	ARGS="-H $SLAPD_URI -b $PEOPLE -u uid -A userPassword -e -D $READER -W $BATS_TEST_TMPDIR/missing.pw"
	run setpw 'w pw' "$R2" carol
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"finding the user as --bind-dn instead"* ]]
	[[ "$(values carol userPassword)" == *"$R2:$(md5hex "carol:$R2:w pw")"* ]]
}

@test "options that do not fit the directory are refused, one line" {
	run setpw 'x' -c "$R1" bob
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not create directory entries"* ]]
	run "$DP" --ldap "$ARGS" --plaintext -D "$R1" bob
	[ "$status" -eq 1 ]
	[[ "$output" == *"--plaintext goes with adding or changing"* ]]
	run "$DP" --ldap "$ARGS" --init
	[ "$status" -eq 1 ]
	[[ "$output" == *"--init is not available with --ldap"* ]]
	ARGS="$ARGS -l #"
	run setpw 'x' 'Main#Realm' bob
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds the helper's delimiter"* ]]
}
