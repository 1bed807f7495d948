#!/usr/bin/env bats
# The hostile corpus (tests/hostile/corpus.txt, 200+ request lines: over-long,
# NUL, CR-only, unbalanced quotes, ":" in realms, non-UTF-8 bytes, huge and
# zero-padded channel IDs, empty user, quoted key-extras ...) against every
# helper: one reply per line, each of the expected class, with its ID.

load lib/common
load lib/slapd

CORPUS="$top_srcdir/tests/hostile/corpus.txt"
CHECK="$top_srcdir/tests/hostile/check.py"
REALMS=("R" "x y" 'q"r' "ü" "Réalm")

setup_file() {
	D="$BATS_FILE_TMPDIR"
	export D
	python3 "$CHECK" stream "$CORPUS" "$D/requests"
	: >"$D/plain"
	: >"$D/ha1"
	local r
	for r in "${REALMS[@]}"; do
		printf 'alice:%s:pw\n' "$r" >>"$D/plain"
		printf 'alice:%s:%s\n' "$r" "$(md5hex "alice:$r:pw")" >>"$D/ha1"
	done
	"$top_builddir/digest_passwd" --sqlite "$D/users.db" --init 2>/dev/null
	for r in "${REALMS[@]}"; do
		printf 'pw\n' | "$top_builddir/digest_passwd" -i --sqlite "$D/users.db" "$r" alice 2>/dev/null
	done
}

teardown() {
	slapd_stop	# the slapd a test started, if any
}

verify() {	# verify REPLIES-FILE [--ldap]
	run python3 "$CHECK" verify "$CORPUS" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "hostile corpus has at least 200 lines of every class" {
	[ "$(wc -l <"$CORPUS")" -ge 200 ]
	[ "$(grep -c '^OK' "$CORPUS")" -ge 20 ]
	[ "$(grep -c '^ERR' "$CORPUS")" -ge 50 ]
	[ "$(grep -c '^BH' "$CORPUS")" -ge 50 ]
}

@test "hostile: digest_file_auth, plaintext file" {
	"$DFA" "$D/plain" <"$D/requests" >"$D/out-plain" 2>/dev/null
	verify "$D/out-plain"
}

@test "hostile: digest_file_auth -c, htdigest file" {
	"$DFA" -c "$D/ha1" <"$D/requests" >"$D/out-ha1" 2>/dev/null
	verify "$D/out-ha1"
}

@test "hostile: digest_sqlite_auth" {
	"$top_builddir/digest_sqlite_auth" "$D/users.db" <"$D/requests" >"$D/out-sqlite" 2>/dev/null
	verify "$D/out-sqlite"
}

@test "hostile: digest_ldap_auth against slapd (-F, then -u)" {
	slapd_setup "$D/slapd"
	{
		printf 'dn: uid=alice,ou=people,%s\nobjectClass: inetOrgPerson\nuid: alice\ncn: alice\nsn: alice\n' "$SLAPD_BASE"
		local r
		for r in "${REALMS[@]}"; do
			printf 'userPassword:: %s\n' "$(printf '%s:pw' "$r" | base64 -w0)"
		done
	} >"$D/alice.ldif"
	slapd_add "$D/alice.ldif"
	local args=(-H "$SLAPD_URI" -b "ou=people,$SLAPD_BASE" -A userPassword
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -j 1)
	"$top_builddir/digest_ldap_auth" "${args[@]}" -F '(uid=%s)' \
		<"$D/requests" >"$D/out-ldap-F" 2>"$D/err-ldap"
	# LDAP matches uid ignoring case and extra spaces; the helper then
	# insists the entry holds the name exactly, so "Alice" is not alice
	verify "$D/out-ldap-F"
	"$top_builddir/digest_ldap_auth" "${args[@]}" -u uid \
		<"$D/requests" >"$D/out-ldap-u" 2>>"$D/err-ldap"
	verify "$D/out-ldap-u"
	refute_grep "$(cat "$SLAPD_SECRET_FILE")" "$D/err-ldap"
}
