#!/usr/bin/env bats
# Secrets audit (README.md): every program run with -d over a session; no
# password, no bind secret and no HA1 appears in any output, except the
# HA1 a helper returns in its OK reply for the user asked about.

load lib/common
load lib/slapd

DSA="$top_builddir/digest_sqlite_auth"
DLA="$top_builddir/digest_ldap_auth"
DPW="$top_builddir/digest_passwd"
DCALC="$top_builddir/digest_calc"

PW_A='Sup3rS3cret-Alpha'
PW_B='Sup3rS3cret-Bravo'

teardown() {
	slapd_stop
}

# audit OUT ERR: no password/secret anywhere; HA1s only in OK replies
audit() {
	local f secret
	for f in "$1" "$2"; do
		for secret in "$PW_A" "$PW_B" "${BIND_SECRET:-no-bind-secret-here}"; do
			refute_grep -F -- "$secret" "$f"
		done
	done
	for h in "$HA_A" "$HA_B"; do
		refute_grep -F -- "$h" "$2"
		# on stdout only inside a reply line
		[ "$(grep -F -- "$h" "$1" | grep -Evc '^([0-9]+ )?OK ha1="[0-9a-f]{32}"$')" -eq 0 ]
	done
}

setup() {
	D="$BATS_TEST_TMPDIR"
	HA_A=$(md5hex "alice:R:$PW_A")
	HA_B=$(md5hex "bob:R:$PW_B")
	printf '2 "alice":"R"\n3 "bob":"Other"\n4 "nobody":"R"\ngarbage\n5 "alice":"R" x=1\n' >"$D/req"
}

@test "secrets: digest_file_auth -d, plaintext and -c files" {
	printf 'alice:R:%s\nbob:%s\nbad:R:{HHA1}%s\n' "$PW_A" "$PW_B" "${HA_B:0:20}" >"$D/plain"
	"$DFA" -d "$D/plain" <"$D/req" >"$D/out1" 2>"$D/err1"
	grep -q "^2 OK ha1=\"$HA_A\"" "$D/out1"
	audit "$D/out1" "$D/err1"
	printf 'alice:R:%s\nbob:R:%s\n' "$HA_A" "$HA_B" >"$D/ha1"
	"$DFA" -d -c "$D/ha1" <"$D/req" >"$D/out2" 2>"$D/err2"
	audit "$D/out2" "$D/err2"
	grep -q debug "$D/err2"
}

@test "secrets: digest_passwd -d (add, verify, list, import) and digest_sqlite_auth -d" {
	local db="$D/u.db" p="$D/htd"
	{
		"$DPW" -d --sqlite "$db" --init
		printf '%s\n' "$PW_A" | "$DPW" -d -i --sqlite "$db" R alice
		printf '%s\n' "$PW_B" | "$DPW" -d -i --sqlite "$db" R bob
		printf '%s\n' "$PW_A" | "$DPW" -d -v -i --sqlite "$db" R alice
		printf '%s\n' "$PW_B" | "$DPW" -d -v -i --sqlite "$db" R alice || true
		"$DPW" -d --sqlite "$db" -l
		printf '%s\n' "$PW_A" | "$DPW" -d -c -i "$p" R alice
		printf '%s\n' "$PW_B" | "$DPW" -d -i "$p" R bob
		printf '%s\n' "$PW_B" | "$DPW" -d -v -i "$p" R bob
		"$DPW" -d -l "$p"
		"$DPW" -d --sqlite "$D/u2.db" --init
		"$DPW" -d --sqlite "$D/u2.db" --import "$p"
	} >"$D/out1" 2>"$D/err1"
	audit "$D/out1" "$D/err1"
	"$DSA" -d "$db" <"$D/req" >"$D/out2" 2>"$D/err2"
	grep -q "^2 OK ha1=\"$HA_A\"" "$D/out2"
	audit "$D/out2" "$D/err2"
}

@test "secrets: digest_ldap_auth -d with -W, and with -w" {
	slapd_setup "$D/slapd"
	BIND_SECRET=$(cat "$SLAPD_SECRET_FILE")
	{
		printf 'dn: uid=alice,ou=people,%s\nobjectClass: inetOrgPerson\nuid: alice\ncn: a\nsn: a\nuserPassword: R:%s\n\n' "$SLAPD_BASE" "$PW_A"
		printf 'dn: uid=bob,ou=people,%s\nobjectClass: inetOrgPerson\nuid: bob\ncn: b\nsn: b\nuserPassword: R:%s\n' "$SLAPD_BASE" "$HA_B"
	} >"$D/u.ldif"
	slapd_add "$D/u.ldif"
	"$DLA" -d -H "$SLAPD_URI" -b "ou=people,$SLAPD_BASE" -F '(uid=%s)' -A userPassword \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" <"$D/req" >"$D/out1" 2>"$D/err1"
	grep -q "^2 OK ha1=\"$HA_A\"" "$D/out1"
	audit "$D/out1" "$D/err1"
	"$DLA" -d -e -H "$SLAPD_URI" -b "ou=people,$SLAPD_BASE" -u uid -A userPassword \
		-D "$SLAPD_ROOTDN" -w "$BIND_SECRET" <"$D/req" >"$D/out2" 2>"$D/err2"
	grep -q 'shows the bind password' "$D/err2"
	audit "$D/out2" "$D/err2"
}

@test "secrets: digest_calc verify -d, with the password and with a helper" {
	local nonce resp hdr
	printf 'alice:R:%s\n' "$PW_A" >"$D/plain"
	nonce=0123456789abcdef
	resp=$(printf '%s\n' "$PW_A" | "$DCALC" response --user alice --realm R --nonce "$nonce" \
		--method GET --uri /x --qop auth --nc 00000001 --cnonce c0ffee)
	hdr="Authorization: Digest username=\"alice\", realm=\"R\", nonce=\"$nonce\", uri=\"/x\", qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"$resp\""
	{
		printf '%s\n' "$PW_A" | "$DCALC" verify -d --method GET --header "$hdr"
		printf '%s\n' "$PW_B" | "$DCALC" verify -d --method GET --header "$hdr" || true
		"$DCALC" verify -d --method GET --header "$hdr" --helper "$DFA $D/plain"
	} >"$D/out1" 2>"$D/err1"
	grep -c . "$D/out1"
	audit "$D/out1" "$D/err1"
}
