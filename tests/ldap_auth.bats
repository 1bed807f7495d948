#!/usr/bin/env bats
# digest_ldap_auth (doc/protocol.md, digest_ldap_auth(8)) against a real slapd on 127.0.0.1,
# started once for the file (tests/lib/slapd.bash, with a StartTLS
# certificate).  Every answer is a real lookup; every expected HA1 is
# computed here with md5sum, independently of our code.
#
# The directory (dc=example,dc=org):
#   ou=people                 the users below, each an inetOrgPerson
#     userPassword            REALM:HA1, one value per realm (for -e)
#     description             REALM:password (plaintext, -l default ':')
#     title                   REALM#password (-l '#')
#     carLicense              the bare password (-r REALM -l '')
#     employeeType            the bare HA1 (-e -r REALM -l '')
#   ou=staff,ou=people        erin: only a subtree search finds her
#   ou=solo                   alice alone: any wildcard that slipped through
#                             the escaping would match exactly her (OK)
#   ou=groups                 groupOfNames entries (slapd's memberof overlay
#                             keeps memberOf on their members):
#     staff, admins, "R&D, west", meta, decoy   see groups_ldif
#     g001 .. g200            many's 200 groups
#     long01 .. long45        longg's 45 groups, names of 200 bytes
#
# The outage tests stop and restart slapd; they come last and leave it up.

bats_require_minimum_version 1.5.0

load lib/common
load lib/bg
load lib/slapd

DLA="$top_builddir/digest_ldap_auth"
BG_PROG=$DLA BG_ASK_S=5 BG_FINISH_S=15	# lib/bg: the reply to a lone request must come without more input
SQUID_DLA=/usr/lib/squid/digest_ldap_auth
PEOPLE="ou=people,$SLAPD_BASE"
SOLO="ou=solo,$SLAPD_BASE"
R1='Main Realm'
R2='Second'
SPECIAL='o(b)*r\x'		# a real uid made of filter metacharacters
COMMA='smith, j'		# a real uid that needs DN escaping
GBASE="ou=groups,$SLAPD_BASE"
RND='R&D, west'			# a group whose RDN needs DN escaping
DECOY='o(b)zz*r\x'		# decoy's description: matches $SPECIAL as a wildcard

HA_ALICE1=$(md5hex "alice:$R1:alice pw")
HA_ALICE2=$(md5hex "alice:$R2:alice:two")
HA_BOB1=$(md5hex "bob:$R1:bob pw")
HA_CAROL2=$(md5hex "carol:$R2:carol pw")
HA_HANK1=$(md5hex "hank:$R1:hank pw")
HA_ERIN1=$(md5hex "erin:$R1:erin pw")
HA_SPECIAL1=$(md5hex "$SPECIAL:$R1:special pw")
HA_COMMA1=$(md5hex "$COMMA:$R1:comma pw")
HA_MANY1=$(md5hex "many:$R1:many pw")
HA_LONGG1=$(md5hex "longg:$R1:longg pw")
NO_USER='ERR message="No such user"'

# --- directory ------------------------------------------------------------------

b64() { printf '%s' "$1" | base64 -w0; }

# person UID [LDIF attribute lines...]: one inetOrgPerson under $PEOPLE
person() {
	local uid=$1; shift
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n' \
		"$uid" "$PEOPLE" "$uid" "$uid" "$uid"
	printf '%s\n' "$@"
	echo
}

# group CN [LDIF attribute lines...]: a groupOfNames under $GBASE
group() {
	local cn=$1; shift
	printf 'dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\n' "$cn" "$GBASE" "$cn"
	printf '%s\n' "$@"
	echo
}

# The groups, after the users (the memberof overlay then adds memberOf to
# each member, in the order the groups are added).  alice: staff, R&D;
# bob: staff, admins, decoy; the metacharacter uid: meta; carol, dave and
# the others: none; many: 200 groups; longg: 45 groups of 200-byte names.
groups_ldif() {
	local sp i long
	sp="member:: $(b64 'uid=o(b)*r\\x,'"$PEOPLE")"
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: groups\n\n' "$GBASE"
	group staff "member: uid=alice,$PEOPLE" "member: uid=bob,$PEOPLE" \
		"description: Staff members"
	group admins "member: uid=bob,$PEOPLE"
	printf 'dn: cn=R&D\\, west,%s\nobjectClass: groupOfNames\ncn: %s\nmember: uid=alice,%s\n\n' \
		"$GBASE" "$RND" "$PEOPLE"
	group meta "$sp" "description:: $(b64 "$SPECIAL")"
	group decoy "member: uid=bob,$PEOPLE" "description:: $(b64 "$DECOY")"
	for i in $(seq -w 1 200); do group "g$i" "member: uid=many,$PEOPLE"; done
	long=$(printf 'L%.0s' $(seq 1 194))
	for i in $(seq -w 1 45); do group "long$i$long" "member: uid=longg,$PEOPLE"; done
}

setup_file() {
	[ -x "$DLA" ] || { echo "$DLA is not built"; return 1; }
	slapd_setup "$BATS_FILE_TMPDIR/slapd" tls memberof || return 1
	local l="$BATS_FILE_TMPDIR/users.ldif"
	{
		person alice \
			"userPassword: $R1:$HA_ALICE1" "userPassword: $R2:$HA_ALICE2" \
			"description: $R1:alice pw" "description: $R2:alice:two" \
			"title: $R1#alice pw" "title: $R2#alice:two" \
			"carLicense: alice pw" "employeeType: $HA_ALICE1"
		person bob "userPassword: $R1:$HA_BOB1" "description: $R1:bob pw" \
			"title: $R1#bob pw"
		# a value for the second realm only
		person carol "userPassword: $R2:$HA_CAROL2" "description: $R2:carol pw"
		# no password attribute at all
		person dave
		# an HA1 in capitals: answered in lowercase
		person hank "userPassword: $R1:${HA_HANK1^^}"
		# not an HA1 at all
		person mallet "userPassword: $R1:this-is-not-an-ha1-value-of-32-c"
		# two entries with the same cn: ambiguous for -F '(cn=%s)'
		printf 'dn: uid=twin1,%s\nobjectClass: inetOrgPerson\nuid: twin1\ncn: Twin\nsn: t\nuserPassword: %s:%s\n\n' \
			"$PEOPLE" "$R1" "$(md5hex "Twin:$R1:one")"
		printf 'dn: uid=twin2,%s\nobjectClass: inetOrgPerson\nuid: twin2\ncn: Twin\nsn: t\nuserPassword: %s:%s\n\n' \
			"$PEOPLE" "$R1" "$(md5hex "Twin:$R1:two")"
		# uids that only escaping lets us find (base64 in the LDIF)
		printf 'dn:: %s\nobjectClass: inetOrgPerson\nuid:: %s\ncn: special\nsn: s\nuserPassword: %s:%s\ndescription: %s:special pw\n\n' \
			"$(b64 'uid=o(b)*r\\x,'"$PEOPLE")" "$(b64 "$SPECIAL")" "$R1" "$HA_SPECIAL1" "$R1"
		printf 'dn:: %s\nobjectClass: inetOrgPerson\nuid:: %s\ncn: comma\nsn: c\nuserPassword: %s:%s\n\n' \
			"$(b64 'uid=smith\, j,'"$PEOPLE")" "$(b64 "$COMMA")" "$R1" "$HA_COMMA1"
		printf 'dn: ou=staff,%s\nobjectClass: organizationalUnit\nou: staff\n\n' "$PEOPLE"
		printf 'dn: uid=erin,ou=staff,%s\nobjectClass: inetOrgPerson\nuid: erin\ncn: erin\nsn: e\nuserPassword: %s:%s\n\n' \
			"$PEOPLE" "$R1" "$HA_ERIN1"
		person many "userPassword: $R1:$HA_MANY1"
		person longg "userPassword: $R1:$HA_LONGG1"
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: solo\n\n' "$SOLO"
		printf 'dn: uid=alice,%s\nobjectClass: inetOrgPerson\nuid: alice\ncn: alice\nsn: a\nuserPassword: %s:%s\n\n' \
			"$SOLO" "$R1" "$HA_ALICE1"
	} >"$l"
	slapd_add "$l" || { slapd_stop; return 1; }
	groups_ldif >"$BATS_FILE_TMPDIR/groups.ldif"
	slapd_add "$BATS_FILE_TMPDIR/groups.ldif" || { slapd_stop; return 1; }
	# a certificate nobody trusts, for the StartTLS refusal
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=stranger" \
		-keyout "$BATS_FILE_TMPDIR/other-key.pem" -out "$BATS_FILE_TMPDIR/other.pem" >/dev/null 2>&1
}

teardown_file() {
	slapd_stop
}

teardown() {
	bg_cleanup	# a helper left by a failed test
	# a connection-breaking relay left by a failed test (by its PID only)
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null || true
		wait "$PROXY_PID" 2>/dev/null || true
		PROXY_PID=
	fi
	# the fail-over tests' fake server and second slapd (by their PIDs)
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
		FAKE_PID=
	fi
	if [ -n "${TWIN_DIR:-}" ]; then
		if [ -f "$TWIN_DIR/slapd.pid" ]; then
			kill -CONT "$(cat "$TWIN_DIR/slapd.pid")" 2>/dev/null || true
		fi
		slapd_twin_stop
		TWIN_DIR=
	fi
	# the outage tests freeze (SIGSTOP) and stop slapd: leave it up and
	# running for the next test
	if [ -f "$SLAPD_DIR/slapd.pid" ]; then
		kill -CONT "$(cat "$SLAPD_DIR/slapd.pid")" 2>/dev/null || true
	fi
	slapd_up || slapd_start
}

# --- helpers --------------------------------------------------------------------

ERRF() { printf '%s' "$BATS_TEST_TMPDIR/stderr"; }

# lda ARGS...: our helper bound as the root DN to our slapd; stderr to $(ERRF)
lda() {
	"$DLA" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI" "$@" 2>"$(ERRF)"
}

# req USER [REALM]: one request line (REALM defaults to $R1)
req() { printf '"%s":"%s"\n' "$1" "${2:-$R1}"; }

ok() { printf 'OK ha1="%s"' "$1"; }

# only_lines ERE FILE: every line of FILE matches ERE (else show the others)
only_lines() {
	if grep -Evq "$1" "$2"; then
		echo "lines not matching $1:"
		grep -Ev "$1" "$2" | head -n 20
		return 1
	fi
}

# the injection corpus: one request line per name, realm $R1 (a NUL inside one)
corpus() {
	python3 - "$R1" <<-'PY'
	import sys
	realm = sys.argv[1].encode()
	names = [
	    b"*", b"*)(uid=*", b")(|(uid=*", b"\\2a", b"\\00", b"(", b")", b"\\",
	    b"admin*", b"a*", b"*a", b"alice)(objectClass=*", b"alice\\",
	    b"a" * 5000, b"al" + b"i" * 4000 + b"ce*",
	    "Álice".encode(), "алиса".encode(), "アリス*".encode(),
	    b"uid=alice,ou=people", b"uid=alice", b",", b"+", b"#alice",
	    b" alice", b"alice ", b"Alice", b"al\x00ice", b"al\"ice", b"\"",
	    b"alice*", b"*lice", b"al*ce", b"a*e", b"alice)", b"(alice",
	    b"alice\\29", b"alice\\2a", b"\\61lice", b"=", b";", b"<alice>",
	    b"alice,ou=solo,dc=example,dc=org", b"alice+cn=alice", b"cn=alice",
	    b"alice)(|(uid=*)", b"*)(&", b"*))%00", b"%s", b"%s%s%d", b"\\*",
	    b"alice\t", b"alice\xff", b"\xc3(", b"o(b)*", b"o*",
	]
	out = sys.stdout.buffer
	for n in names:
	    out.write(b'"' + n + b'":"' + realm + b'"\n')
	PY
}

# --- modes ----------------------------------------------------------------------

@test "-F '(uid=%s)' -e: REALM:HA1 values, one per realm (multi-valued attribute)" {
	run lda -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req bob)
	$(req hank)
	$(req bob "$R2")
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE2")" ]
	[ "${lines[2]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[3]}" = "$(ok "$HA_HANK1")" ]	# stored in capitals
	[ "${lines[4]}" = "$NO_USER" ]
	[ "${lines[5]}" = "$NO_USER" ]
}

@test "-F: a pattern with several %s and %% is substituted by us" {
	run lda -b "$PEOPLE" -F '(&(objectClass=inetOrgPerson)(|(uid=%s)(cn=%s))(!(sn=100%%)))' \
		-A userPassword -e <<-IN
	$(req alice)
	$(req bob)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[2]}" = "$NO_USER" ]
}

@test "-u uid (scope sub by default) finds users in sub-trees; -s one does not" {
	run lda -b "$PEOPLE" -u uid -A userPassword -e <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req erin)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE2")" ]
	[ "${lines[2]}" = "$(ok "$HA_ERIN1")" ]	# in ou=staff,ou=people
	[ "${lines[3]}" = "$NO_USER" ]
	run lda -b "$PEOPLE" -u uid -s one -A userPassword -e <<-IN
	$(req alice)
	$(req erin)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$NO_USER" ]
}

@test "-u uid -s base reads the entry uid=USER,BASE (DN-escaped user)" {
	run lda -b "$PEOPLE" -u uid -s base -A userPassword -e -d <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req "$COMMA")
	$(req erin)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE2")" ]
	[ "${lines[2]}" = "$(ok "$HA_COMMA1")" ]
	[ "${lines[3]}" = "$NO_USER" ]		# exists, but not directly under BASE
	[ "${lines[4]}" = "$NO_USER" ]
	# a base-scope read of the user's DN, not a search of BASE
	grep -q 'search base "uid=alice,ou=people,dc=example,dc=org"' "$(ERRF)"
}

@test "-l (default ':'): plaintext REALM:password, HA1 computed per realm" {
	run lda -b "$PEOPLE" -F '(uid=%s)' -A description <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req bob)
	$(req carol "$R2")
	$(req carol)
	$(req dave)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE2")" ]	# the password holds ':'
	[ "${lines[2]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[3]}" = "$(ok "$HA_CAROL2")" ]
	[ "${lines[4]}" = "$NO_USER" ]
	[ "${lines[5]}" = "$NO_USER" ]
}

@test "-l '#': another delimiter" {
	run lda -b "$PEOPLE" -u uid -A title -l '#' <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req bob)
	$(req bob "$R2")
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE2")" ]
	[ "${lines[2]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[3]}" = "$NO_USER" ]
	# with ':' as the delimiter the same values hold no realm
	run lda -b "$PEOPLE" -u uid -A title <<<"$(req alice)"
	[ "$output" = "$NO_USER" ]
}

@test "-r REALM -l '': a bare password (and -e: a bare HA1); other realms ERR" {
	run lda -b "$PEOPLE" -F '(uid=%s)' -A carLicense -r "$R1" -l '' <<-IN
	$(req alice)
	$(req alice "$R2")
	$(req alice "${R1,,}")
	$(req bob)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$NO_USER" ]
	[ "${lines[2]}" = "$NO_USER" ]
	[ "${lines[3]}" = "$NO_USER" ]	# no carLicense
	run lda -b "$PEOPLE" -u uid -A employeeType -e -r "$R1" -l '' <<-IN
	$(req alice)
	$(req alice "$R2")
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$NO_USER" ]
}

@test "-r REALM with a delimiter: only that realm is answered, without a search" {
	run lda -d -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e -r "$R2" <<-IN
	$(req alice "$R2")
	$(req alice)
	$(req carol "$R2")
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE2")" ]
	[ "${lines[1]}" = "$NO_USER" ]		# alice has an R1 value, but -r is R2
	[ "${lines[2]}" = "$(ok "$HA_CAROL2")" ]
	# two searches, not three
	[ "$(grep -c 'search base' "$(ERRF)")" -eq 2 ]
}

# --- results --------------------------------------------------------------------

@test "no entry, an entry without the attribute, or without a value for the realm: ERR" {
	run lda -b "$PEOPLE" -u uid -A userPassword -e <<-IN
	$(req nobody)
	$(req dave)
	$(req carol)
	$(req carol "Other")
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do [ "$l" = "$NO_USER" ]; done
}

@test "two entries matching: ERR and a log line" {
	run --separate-stderr lda -b "$PEOPLE" -F '(cn=%s)' -A userPassword -e <<-IN
	$(req Twin)
	$(req alice)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$NO_USER" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE1")" ]
	grep -q '^digest_ldap_auth: .*more than one LDAP entry matches user "Twin"' "$(ERRF)"
	[ "$(wc -l <"$(ERRF)")" -eq 1 ]
	# the same through the subtree -u search
	run lda -b "$SLAPD_BASE" -u uid -A userPassword -e <<<"$(req alice)"
	[ "$output" = "$NO_USER" ]		# people/alice and solo/alice
	grep -q 'more than one LDAP entry matches user "alice"' "$(ERRF)"
}

@test "-e with a value that is not an HA1: BH and a log line, never OK or ERR" {
	run lda -b "$PEOPLE" -u uid -A userPassword -e <<-IN
	$(req mallet)
	1 $(req mallet)
	$(req bob)
	IN
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 'BH message="'* ]]
	[[ "${lines[1]}" == '1 BH message="'* ]]
	[ "${lines[2]}" = "$(ok "$HA_BOB1")" ]
	grep -q 'not a 32-digit HA1' "$(ERRF)"
	refute_grep -F 'this-is-not-an-ha1' "$(ERRF)"
}

# --- the bind secret ------------------------------------------------------------

@test "-w works but warns that ps shows it; -W does not warn" {
	local s
	s=$(cat "$SLAPD_SECRET_FILE")
	run --separate-stderr "$DLA" -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -w "$s" -H "$SLAPD_URI" <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	[[ "$stderr" == *"-w"*"ps"* ]]
	[[ "$stderr" == "digest_ldap_auth: "* ]]
	run --separate-stderr "$DLA" -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI" <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	[ -z "$stderr" ]
}

@test "the bind secret and passwords never show: stdout, stderr with -d, ps" {
	local s out="$BATS_TEST_TMPDIR/out"
	s=$(cat "$SLAPD_SECRET_FILE")
	for w in "-w $s" "-W $SLAPD_SECRET_FILE"; do
		# shellcheck disable=SC2086
		"$DLA" -d -b "$PEOPLE" -u uid -A description $w -D "$SLAPD_ROOTDN" \
			-H "$SLAPD_URI" >"$out" 2>"$(ERRF)" <<-IN
		$(req alice)
		1 $(req bob)
		$(req nobody)
		IN
		[ "$(head -n1 "$out")" = "$(ok "$HA_ALICE1")" ]
		[ "$(wc -l <"$out")" -eq 3 ]
		grep -q 'debug' "$(ERRF)"		# -d did print
		refute_grep -F "$s" "$out" "$(ERRF)"
		refute_grep -F 'alice pw' "$(ERRF)"
		refute_grep -F 'bob pw' "$(ERRF)"
		refute_grep -F "$HA_ALICE1" "$(ERRF)"
	done
	# -w: the secret is gone from the command line ps shows
	bg_start -b "$PEOPLE" -u uid -A userPassword -e -D "$SLAPD_ROOTDN" -w "$s" -H "$SLAPD_URI"
	ask_expect "$(req alice)" "$(ok "$HA_ALICE1")"
	refute_grep -aF "$s" "/proc/$BG_PID/cmdline"
	ps -o args= -p "$BG_PID" | refute_grep -F "$s"
	bg_finish
}

@test "a refused bind (wrong secret): BH for every lookup and a log line, never ERR" {
	printf 'not-the-secret\n' >"$BATS_TEST_TMPDIR/wrong"
	run --separate-stderr "$DLA" -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$BATS_TEST_TMPDIR/wrong" -H "$SLAPD_URI" <<-IN
	$(req alice)
	7 $(req nobody)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == 'BH message="'* ]]
	[[ "${lines[1]}" == '7 BH message="'* ]]
	[[ "${lines[2]}" == 'BH message="'* ]]
	[[ "$stderr" == *"bind"*"Invalid credentials"* ]]
	[[ "$stderr" != *not-the-secret* ]]
}

# --- escaping -------------------------------------------------------------------

# The corpus is searched for under ou=solo, where alice is alone: a wildcard
# or a filter fragment that escaped the escaping would match exactly one
# entry and answer OK, so this test can fail.
@test "injection corpus (50 names): never OK, in -F, -u (sub) and -u -s base" {
	local n m i bad=0 names="$BATS_TEST_TMPDIR/names" out="$BATS_TEST_TMPDIR/out"
	corpus >"$BATS_TEST_TMPDIR/corpus"
	n=$(wc -l <"$BATS_TEST_TMPDIR/corpus")
	[ "$n" -ge 30 ]
	cut -c1-60 "$BATS_TEST_TMPDIR/corpus" | cat -v >"$names"
	# sanity: alice herself is found under ou=solo in every mode
	for m in "-F (uid=%s)" "-u uid" "-u uid -s base"; do
		# shellcheck disable=SC2086
		[ "$(lda -b "$SOLO" $m -A userPassword -e <<<"$(req alice)")" = "$(ok "$HA_ALICE1")" ]
	done
	for m in "-F (uid=%s)" "-u uid" "-u uid -s base"; do
		# shellcheck disable=SC2086
		lda -b "$SOLO" $m -A userPassword -e <"$BATS_TEST_TMPDIR/corpus" >"$out" || {
			echo "mode $m: helper failed"; cat "$(ERRF)"; bad=1; }
		[ "$(wc -l <"$out")" -eq "$n" ] || { echo "mode $m: $(wc -l <"$out") replies for $n lines"; bad=1; }
		if grep -q '^OK' "$out"; then
			echo "mode $m: OK for a name that is not alice:"
			paste -d' ' "$out" "$names" | grep '^OK'
			bad=1
		fi
		# the line with a NUL byte cannot be a user name
		i=$(grep -n -a 'al^@ice' "$names" | cut -d: -f1)
		[ "$(sed -n "${i}p" "$out")" = 'BH message="NUL byte in request"' ] || {
			echo "mode $m: NUL line answered $(sed -n "${i}p" "$out")"; bad=1; }
	done
	[ "$bad" -eq 0 ]
}

# Stricter than the above: a name that matches no entry is a definite "no
# such user" (ERR), not "could not decide" (BH), whatever bytes it holds.
@test "injection corpus: every name without a NUL is ERR (not BH) in every mode" {
	local m bad=0 names="$BATS_TEST_TMPDIR/names" out="$BATS_TEST_TMPDIR/out"
	corpus | grep -avP '\x00' >"$BATS_TEST_TMPDIR/corpus"
	cut -c1-60 "$BATS_TEST_TMPDIR/corpus" | cat -v >"$names"
	for m in "-F (uid=%s)" "-u uid" "-u uid -s base"; do
		# shellcheck disable=SC2086
		lda -b "$SOLO" $m -A userPassword -e <"$BATS_TEST_TMPDIR/corpus" >"$out" || bad=1
		if grep -vq "^$NO_USER\$" "$out"; then
			echo "mode $m: not ERR:"
			paste -d' ' "$out" "$names" | grep -v "^$NO_USER"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}

@test "a uid made of metacharacters (o(b)*r\\x) is found by its exact name only" {
	local m
	for m in "-F (uid=%s)" "-u uid" "-u uid -s base"; do
		# shellcheck disable=SC2086
		run lda -b "$PEOPLE" $m -A userPassword -e <<-IN
		$(req "$SPECIAL")
		$(req 'o(b)*')
		$(req 'o*')
		$(req '*r\x')
		$(req 'o\28b\29\2ar\5cx')
		$(req 'o(b)\2ar\x')
		IN
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 6 ]
		[ "${lines[0]}" = "$(ok "$HA_SPECIAL1")" ]
		[ "${lines[1]}" = "$NO_USER" ]
		[ "${lines[2]}" = "$NO_USER" ]
		[ "${lines[3]}" = "$NO_USER" ]
		[ "${lines[4]}" = "$NO_USER" ]
		[ "${lines[5]}" = "$NO_USER" ]
	done
	# plaintext: the HA1 is computed with the exact name
	run lda -b "$PEOPLE" -u uid -A description <<<"$(req "$SPECIAL")"
	[ "$output" = "$(ok "$HA_SPECIAL1")" ]
}

# --- channel IDs and order ------------------------------------------------------

# mkreq N WITH-IDS: N requests cycling over 6 cases; expected replies to
# $BATS_TEST_TMPDIR/want (ID-less lines get no ID; "mixed": every 3rd has none)
mkreq() {
	local n=$1 ids=$2 i u r w
	: >"$BATS_TEST_TMPDIR/req"
	: >"$BATS_TEST_TMPDIR/want"
	for ((i = 1; i <= n; i++)); do
		case $((i % 6)) in
		0) u=alice r=$R1 w="OK ha1=\"$HA_ALICE1\"" ;;
		1) u=bob r=$R1 w="OK ha1=\"$HA_BOB1\"" ;;
		2) u=alice r=$R2 w="OK ha1=\"$HA_ALICE2\"" ;;
		3) u=carol r=$R1 w=$NO_USER ;;
		4) u="nobody$i" r=$R1 w=$NO_USER ;;
		5) u=carol r=$R2 w="OK ha1=\"$HA_CAROL2\"" ;;
		esac
		if [ "$ids" = yes ] || { [ "$ids" = mixed ] && [ $((i % 3)) -ne 0 ]; }; then
			printf '%d "%s":"%s"\n' "$((i * 7 + 1000))" "$u" "$r" >>"$BATS_TEST_TMPDIR/req"
			printf '%d %s\n' "$((i * 7 + 1000))" "$w" >>"$BATS_TEST_TMPDIR/want"
		else
			printf '"%s":"%s"\n' "$u" "$r" >>"$BATS_TEST_TMPDIR/req"
			printf '%s\n' "$w" >>"$BATS_TEST_TMPDIR/want"
		fi
	done
}

@test "a lone request is answered at once, without more input or end of input" {
	local t0
	bg_start -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI"
	t0=$(now_ms)
	ask_expect "$(req alice)" "$(ok "$HA_ALICE1")"
	ask_expect "9 $(req bob)" "9 $(ok "$HA_BOB1")"
	ask_expect "$(req nobody)" "$NO_USER"
	ask_expect "10 $(req carol)" "10 $NO_USER"
	[ $(($(now_ms) - t0)) -lt 2000 ]
	bg_finish
}

@test "1,000 requests with channel IDs at once, -j 16 and -j 1: every ID once, right answers" {
	local j out="$BATS_TEST_TMPDIR/out"
	mkreq 1000 yes
	for j in 16 1; do
		lda -j "$j" -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e \
			<"$BATS_TEST_TMPDIR/req" >"$out"
		[ "$(wc -l <"$out")" -eq 1000 ]
		[ -z "$(cut -d' ' -f1 "$out" | sort | uniq -d)" ]
		diff <(sort "$BATS_TEST_TMPDIR/want") <(sort "$out")
	done
}

@test "without channel IDs replies keep the order of the requests" {
	mkreq 300 no
	lda -b "$PEOPLE" -u uid -A userPassword -e <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/out"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "IDs and no IDs mixed on one stream: N replies, ID-less ones in order" {
	local out="$BATS_TEST_TMPDIR/out" want="$BATS_TEST_TMPDIR/want"
	mkreq 300 mixed
	lda -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e <"$BATS_TEST_TMPDIR/req" >"$out"
	[ "$(wc -l <"$out")" -eq 300 ]
	diff <(sort "$want") <(sort "$out")
	diff <(grep -v '^[0-9]' "$want") <(grep -v '^[0-9]' "$out")
	[ -z "$(grep '^[0-9]' "$out" | cut -d' ' -f1 | sort | uniq -d)" ]
}

# --- start-up errors and --help -------------------------------------------------

one_line_error() {	# one_line_error PATTERN: exit 1, no stdout, one stderr line
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "digest_ldap_auth: "* ]]
	[[ "${stderr_lines[0]}" == *$1* ]]
}

@test "start-up errors: one line 'digest_ldap_auth: ...' and exit 1" {
	local H=(-H "$SLAPD_URI")
	run --separate-stderr "$DLA" "${H[@]}" -F '(uid=%s)' -A userPassword </dev/null
	one_line_error "-b"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -F '(uid=%s)' </dev/null
	one_line_error "-A"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -F '(uid=%s)' -u uid -A userPassword </dev/null
	one_line_error "-F"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -A userPassword </dev/null
	one_line_error "-u"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -F '(uid=alice)' -A userPassword </dev/null
	one_line_error "%s"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -F '(uid=%d)' -A userPassword </dev/null
	one_line_error "-F"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -F '(uid=%s)(cn=%n)' -A userPassword </dev/null
	one_line_error "-F"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -u uid -A userPassword -l '' </dev/null
	one_line_error "-r"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -u uid -A userPassword -s tree </dev/null
	one_line_error "-s"
	run --separate-stderr "$DLA" "${H[@]}" -b "$PEOPLE" -u uid -A userPassword -W /nonexistent/secret </dev/null
	one_line_error "/nonexistent/secret"
}

@test "-W: only the first line is the secret; a FIFO, a directory or a device is refused at once, one line, exit 1" {
	local f
	printf '%s\r\nnot the secret\n' "$(cat "$SLAPD_SECRET_FILE")" >"$BATS_TEST_TMPDIR/secret"
	run lda -b "$PEOPLE" -u uid -A userPassword -e -W "$BATS_TEST_TMPDIR/secret" <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	# a FIFO with no writer would block a reader forever: timeout makes a
	# hang fail the test
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	for f in "$BATS_TEST_TMPDIR/fifo" "$BATS_TEST_TMPDIR" /dev/null; do
		run --separate-stderr timeout 5 "$DLA" -H "$SLAPD_URI" -b "$PEOPLE" -u uid \
			-A userPassword -D "$SLAPD_ROOTDN" -W "$f" </dev/null
		one_line_error "$f is not a regular file"
	done
}

@test "-h is the host (with -p), --help prints the usage and exits 0" {
	run lda -b "$PEOPLE" -u uid -A userPassword -e <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	run "$DLA" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -h 127.0.0.1 -p "$SLAPD_PORT" \
		-b "$PEOPLE" -u uid -A userPassword -e <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	run --separate-stderr "$DLA" -h
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == "digest_ldap_auth: "*"-h"* ]]
	run --separate-stderr "$DLA" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: digest_ldap_auth "* ]]
	[[ "$output" == *"-h HOST"* ]]
	[[ "$output" != *"-h, --help"* ]]
	[ -z "$stderr" ]
}

# --- connection -----------------------------------------------------------------

@test "fail-over: -H 'ldap://127.0.0.1:DEAD ldap://127.0.0.1:LIVE'" {
	local dead
	dead=$(free_port)
	while [ "$dead" = "$SLAPD_PORT" ]; do dead=$(free_port); done
	run --separate-stderr "$DLA" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" \
		-H "ldap://127.0.0.1:$dead $SLAPD_URI" -b "$PEOPLE" -u uid -A userPassword -e <<-IN
	$(req alice)
	1 $(req bob)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "1 $(ok "$HA_BOB1")" ]
	[ "${lines[2]}" = "$NO_USER" ]
	# the log names the server that failed and the one used instead
	[[ "$stderr" == *"(ldap://127.0.0.1:$dead): "*"; trying $SLAPD_URI"* ]]
	[[ "$stderr" == *"now using $SLAPD_URI"* ]]
	# commas separate URIs too
	run --separate-stderr "$DLA" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" \
		-H "ldap://127.0.0.1:$dead,$SLAPD_URI" -b "$PEOPLE" -u uid -A userPassword -e <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(ok "$HA_ALICE1")" ]
	# and the dead one alone is BH, not ERR
	run --separate-stderr "$DLA" -D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" \
		-H "ldap://127.0.0.1:$dead" -b "$PEOPLE" -u uid -A userPassword -e <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[[ "$output" == 'BH message="'* ]]
}

@test "StartTLS (-Z) with the server's certificate trusted: OK" {
	LDAPTLS_CACERT="$SLAPD_CACERT" LDAPTLS_REQCERT=demand \
		run lda -Z -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e <<-IN
	$(req alice)
	5 $(req bob)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "5 $(ok "$HA_BOB1")" ]
}

@test "StartTLS (-Z) with an untrusted certificate: BH and a log line, never ERR" {
	LDAPTLS_CACERT="$BATS_FILE_TMPDIR/other.pem" LDAPTLS_REQCERT=demand \
		run --separate-stderr lda -Z -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e <<-IN
	$(req alice)
	5 $(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == 'BH message="'* ]]
	[[ "${lines[1]}" == '5 BH message="'* ]]
	grep -q '^digest_ldap_auth: .*StartTLS' "$(ERRF)"
}

# --- parity with Squid's digest_ldap_auth ---------------------------------------

@test "parity with Squid's digest_ldap_auth: -F -e REALM:HA1, byte-identical replies" {
	require_cmd "$SQUID_DLA"
	local in="$BATS_TEST_TMPDIR/in" ours="$BATS_TEST_TMPDIR/ours" theirs="$BATS_TEST_TMPDIR/theirs"
	{
		req alice; req alice "$R2"; req bob; req bob "$R2"; req carol "$R2"
		req carol; req dave; req nobody; req erin; req "$COMMA"; req 'x y'
	} >"$in"
	local args=(-v 3 -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI")
	"$DLA" "${args[@]}" <"$in" >"$ours"
	"$SQUID_DLA" "${args[@]}" <"$in" >"$theirs" 2>/dev/null
	[ "$(wc -l <"$ours")" -eq 11 ]
	[ "$(head -n1 "$ours")" = "$(ok "$HA_ALICE1")" ]
	cmp "$ours" "$theirs" || { diff "$ours" "$theirs"; false; }
	# Squid's helper reads channel IDs too (strtoll, then a space); ours
	# may answer them out of order, so the reply lines are compared sorted
	awk '{ print NR + 40 " " $0 }' "$in" >"$in.ids"
	"$DLA" "${args[@]}" <"$in.ids" | sort >"$ours"
	"$SQUID_DLA" "${args[@]}" <"$in.ids" 2>/dev/null | sort >"$theirs"
	[ "$(wc -l <"$ours")" -eq 11 ] || { cat "$ours"; false; }
	grep -qx "41 $(ok "$HA_ALICE1")" "$ours" || { cat "$ours"; false; }
	cmp "$ours" "$theirs" || { diff "$ours" "$theirs"; false; }
}

# --- groups ---------------------------------------------------------------------

# The memberOf tests need slapd's memberof overlay (Debian's slapd has it):
# a failure in CI, a loud skip by hand.
require_memberof() {
	[ "$SLAPD_MEMBEROF" != yes ] || return 0
	if [ -n "${CI:-}" ]; then
		echo "FATAL: slapd's memberof overlay (/usr/lib/ldap/memberof.la) is required in CI" >&2
		return 1
	fi
	echo "######## SKIPPING: no memberof overlay for slapd ########" >&3
	skip "no memberof overlay"
}

# okg HA1 GROUP...: an OK line with these group annotations, in this
# order, each value quoted as Squid reads it ('\' and '"' escaped)
okg() {
	local h=$1 g
	shift
	printf 'OK ha1="%s"' "$h"
	for g in "$@"; do
		g=${g//\\/\\\\}
		printf ' group="%s"' "${g//\"/\\\"}"
	done
}

GSEARCH=(--group-base "$GBASE" --group-filter '(&(objectClass=groupOfNames)(member=%D))')

@test "-G memberOf: the values of the user's attribute are groups, from the user's own search" {
	require_memberof
	run lda -d -b "$PEOPLE" -u uid -A userPassword -e -G memberOf <<-IN
	$(req alice)
	$(req bob)
	$(req carol "$R2")
	$(req dave)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "$(okg "$HA_ALICE1" 'cn=R&D\2C west,'"$GBASE" "cn=staff,$GBASE")" ]
	[ "${lines[1]}" = "$(okg "$HA_BOB1" "cn=admins,$GBASE" "cn=decoy,$GBASE" "cn=staff,$GBASE")" ]
	[ "${lines[2]}" = "$(ok "$HA_CAROL2")" ]		# in no group: OK without groups
	[ "${lines[3]}" = "$NO_USER" ]
	[ "${lines[4]}" = "$NO_USER" ]
	# no extra round trip: one search per lookup, and no group search
	[ "$(grep -c 'search base' "$(ERRF)")" -eq 5 ]
	refute_grep 'group search' "$(ERRF)"
	refute_grep -F -e "$HA_ALICE1" -e "$HA_BOB1" "$(ERRF)"
	# the same with -F, -s base and channel IDs
	run lda -b "$PEOPLE" -F '(uid=%s)' -s one -A userPassword -e -G memberOf <<<"7 $(req bob)"
	[ "$output" = "7 $(okg "$HA_BOB1" "cn=admins,$GBASE" "cn=decoy,$GBASE" "cn=staff,$GBASE")" ]
	run lda -b "$PEOPLE" -u uid -s base -A userPassword -e -G memberOf <<<"$(req alice)"
	[ "$output" = "$(okg "$HA_ALICE1" 'cn=R&D\2C west,'"$GBASE" "cn=staff,$GBASE")" ]
}

@test "-G memberOf --group-rdn: each DN's RDN value, the DN parsed (an escaped comma stays)" {
	require_memberof
	run lda -b "$PEOPLE" -u uid -A userPassword -e -G memberOf --group-rdn <<-IN
	$(req alice)
	3 $(req bob)
	$(req "$SPECIAL")
	$(req carol "$R2")
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(okg "$HA_ALICE1" "$RND" staff)" ]
	[ "${lines[1]}" = "3 $(okg "$HA_BOB1" admins decoy staff)" ]
	[ "${lines[2]}" = "$(okg "$HA_SPECIAL1" meta)" ]
	[ "${lines[3]}" = "$(ok "$HA_CAROL2")" ]
	# an attribute whose values are not DNs gives no group, and says so once
	run --separate-stderr lda -b "$PEOPLE" -u uid -A userPassword -e -G cn --group-rdn <<-IN
	$(req alice)
	$(req bob)
	IN
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_BOB1")" ]
	[ "$(grep -c 'a value of cn is not a DN' "$(ERRF)")" -eq 1 ]
}

@test "group search: --group-base --group-filter (member=%D) after the user's search; each group's cn; no group: OK without groups" {
	run lda -d -b "$PEOPLE" -u uid -A userPassword -e "${GSEARCH[@]}" <<-IN
	$(req alice)
	$(req bob)
	$(req carol "$R2")
	$(req carol)
	$(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "$(okg "$HA_ALICE1" "$RND" staff)" ]
	[ "${lines[1]}" = "$(okg "$HA_BOB1" admins decoy staff)" ]
	[ "${lines[2]}" = "$(ok "$HA_CAROL2")" ]
	[ "${lines[3]}" = "$NO_USER" ]		# no group search without an OK
	[ "${lines[4]}" = "$NO_USER" ]
	[ "$(grep -c 'group search base' "$(ERRF)")" -eq 3 ]
	grep -qF "group search base \"$GBASE\" filter \"(&(objectClass=groupOfNames)(member=uid=alice,$PEOPLE))\"" "$(ERRF)"
	refute_grep -F -e "$HA_ALICE1" -e "$HA_BOB1" -e "$HA_CAROL2" "$(ERRF)"
	# %s, --group-attr, -s base, -S and channel IDs
	run lda -b "$PEOPLE" -u uid -s base -S -A userPassword -e --group-base "$GBASE" \
		--group-filter '(member=uid=%s,ou=people,dc=example,dc=org)' --group-attr description <<-IN
	4 $(req alice)
	5 $(req bob)
	IN
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '4 %s\n5 %s' "$(okg "$HA_ALICE1" 'Staff members')" \
		"$(okg "$HA_BOB1" 'Staff members' "$DECOY")")" ]
	# a group search base that does not exist: BH (not OK without groups), logged once
	run --separate-stderr lda -b "$PEOPLE" -u uid -A userPassword -e \
		--group-base "ou=nowhere,$SLAPD_BASE" --group-filter '(member=%D)' <<-IN
	$(req alice)
	$(req bob)
	$(req nobody)
	IN
	[ "${lines[0]}" = 'BH message="LDAP group search base missing"' ]
	[ "${lines[1]}" = 'BH message="LDAP group search base missing"' ]
	[ "${lines[2]}" = "$NO_USER" ]
	[ "$(grep -c 'group search base ou=nowhere.* does not exist' "$(ERRF)")" -eq 1 ]
}

# meta's member is the metacharacter uid's DN; decoy's description is
# $DECOY, which $SPECIAL's '*' would match if it were left a wildcard.  The
# DN comes from the server (uid=o(b)*r\5Cx,...): %D must escape it too.
@test "a user whose name and DN hold filter metacharacters: %D and %s escaped, exactly its own group" {
	run lda -d -b "$PEOPLE" -u uid -A userPassword -e "${GSEARCH[@]}" <<<"$(req "$SPECIAL")"
	[ "$status" -eq 0 ]
	[ "$output" = "$(okg "$HA_SPECIAL1" meta)" ]
	grep -q 'group search .*(member=uid=o\\x5c28b\\x5c29\\x5c2ar\\x5c5c5Cx,ou=people' "$(ERRF)"
	run lda -d -b "$PEOPLE" -u uid -A userPassword -e --group-base "$GBASE" \
		--group-filter '(&(objectClass=groupOfNames)(description=%s))' <<-IN
	$(req "$SPECIAL")
	$(req alice)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(okg "$HA_SPECIAL1" meta)" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE1")" ]
	grep -qF '(description=o\x5c28b\x5c29\x5c2ar\x5c5cx)' "$(ERRF)"
	# the decoy is there, and a wildcard does find it
	run lda -b "$PEOPLE" -u uid -A userPassword -e --group-base "$GBASE" \
		--group-filter '(&(|(description=o\28b\29*r\5cx)(uid=%s))(objectClass=groupOfNames))' \
		<<<"$(req alice)"
	[ "$output" = "$(okg "$HA_ALICE1" decoy meta)" ]
}

@test "a user in 200 groups, and in 45 of 200 bytes: cut at 64 pairs and at 8 KiB, one log line per reply" {
	require_memberof
	local m long
	long=$(printf 'L%.0s' $(seq 1 194))
	for m in "-G memberOf --group-rdn" "--group-base $GBASE --group-filter (member=%D)"; do
		# shellcheck disable=SC2086
		run --separate-stderr lda -b "$PEOPLE" -u uid -A userPassword -e $m <<-IN
		$(req many)
		$(req alice)
		3 $(req longg)
		IN
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 3 ]
		# the first 64 in byte order, whatever order the server sent
		[ "${lines[0]}" = "$(okg "$HA_MANY1" $(seq -f 'g%03g' 1 64))" ]
		[ "${lines[1]}" = "$(okg "$HA_ALICE1" "$RND" staff)" ]
		# 39 pairs of 5 + 200 + 4 bytes: 8,151; a 40th would pass 8 KiB
		[ "${lines[2]}" = "3 $(okg "$HA_LONGG1" $(seq -f "long%02g$long" 1 39))" ]
		# one line per cut reply, naming the user, never a group
		[ "$(wc -l <"$(ERRF)")" -eq 2 ]
		grep -q '^digest_ldap_auth: .*user "many": 136 annotations dropped .*136 past the limit of 64 pairs or 8192 bytes' "$(ERRF)"
		grep -q '^digest_ldap_auth: .*user "longg": 6 annotations dropped' "$(ERRF)"
		refute_grep -e 'g0' -e LLLL "$(ERRF)"
	done
}

# mkgreq N: N requests with channel IDs over 7 cases, groups included;
# expected replies to $BATS_TEST_TMPDIR/want
mkgreq() {
	local n=$1 i u r w
	: >"$BATS_TEST_TMPDIR/req"
	: >"$BATS_TEST_TMPDIR/want"
	for ((i = 1; i <= n; i++)); do
		case $((i % 7)) in
		0) u=alice r=$R1 w=$(okg "$HA_ALICE1" "$RND" staff) ;;
		1) u=bob r=$R1 w=$(okg "$HA_BOB1" admins decoy staff) ;;
		2) u=alice r=$R2 w=$(okg "$HA_ALICE2" "$RND" staff) ;;
		3) u=carol r=$R1 w=$NO_USER ;;
		4) u="nobody$i" r=$R1 w=$NO_USER ;;
		5) u=carol r=$R2 w=$(ok "$HA_CAROL2") ;;
		6) u=$SPECIAL r=$R1 w=$(okg "$HA_SPECIAL1" meta) ;;
		esac
		printf '%d "%s":"%s"\n' "$((i * 7 + 1000))" "$u" "$r" >>"$BATS_TEST_TMPDIR/req"
		printf '%d %s\n' "$((i * 7 + 1000))" "$w" >>"$BATS_TEST_TMPDIR/want"
	done
}

@test "1,000 requests with channel IDs at -j 16, with groups (-G and the group search): every ID once, right groups" {
	require_memberof
	local m out="$BATS_TEST_TMPDIR/out"
	mkgreq 1000
	for m in "-G memberOf --group-rdn" "--group-base $GBASE --group-filter (&(objectClass=groupOfNames)(member=%D))"; do
		# shellcheck disable=SC2086
		lda -j 16 -b "$PEOPLE" -F '(uid=%s)' -A userPassword -e $m \
			<"$BATS_TEST_TMPDIR/req" >"$out"
		[ "$(wc -l <"$out")" -eq 1000 ]
		[ -z "$(cut -d' ' -f1 "$out" | sort | uniq -d)" ]
		diff <(sort "$BATS_TEST_TMPDIR/want") <(sort "$out")
		[ ! -s "$(ERRF)" ]
	done
}

@test "group options: start-up errors, one line and exit 1" {
	local H=(-H "$SLAPD_URI" -b "$PEOPLE" -u uid -A userPassword)
	run --separate-stderr "$DLA" "${H[@]}" --group-filter '(member=%D)' </dev/null
	one_line_error "--group-base"
	run --separate-stderr "$DLA" "${H[@]}" --group-base "$GBASE" </dev/null
	one_line_error "--group-filter"
	run --separate-stderr "$DLA" "${H[@]}" -G memberOf "${GSEARCH[@]}" </dev/null
	one_line_error "not both"
	run --separate-stderr "$DLA" "${H[@]}" --group-base "$GBASE" --group-filter '(member=%D' </dev/null
	one_line_error "parenthesised"
	run --separate-stderr "$DLA" "${H[@]}" --group-base "$GBASE" --group-filter '(member=%D))(' </dev/null
	one_line_error "parenthesised"
	run --separate-stderr "$DLA" "${H[@]}" --group-base "$GBASE" --group-filter '(member=%u)' </dev/null
	one_line_error "%D"
	run --separate-stderr "$DLA" "${H[@]}" --group-base "$GBASE" --group-filter '(cn=staff)' </dev/null
	one_line_error "must contain %D"
	run --separate-stderr "$DLA" "${H[@]}" --group-rdn </dev/null
	one_line_error "--group-rdn needs -G"
	run --separate-stderr "$DLA" "${H[@]}" -G memberOf --group-attr cn </dev/null
	one_line_error "--group-attr needs --group-filter"
	run --separate-stderr "$DLA" "${H[@]}" -G 'memberOf)(' </dev/null
	one_line_error "-G: not an attribute name"
	# a group attribute that is the password attribute would send it out
	run --separate-stderr "$DLA" "${H[@]}" -G userpassword </dev/null
	one_line_error "password attribute"
	run --separate-stderr "$DLA" "${H[@]}" "${GSEARCH[@]}" --group-attr userPassword </dev/null
	one_line_error "password attribute"
}

# gproxy_start MODE: a relay between the helper and slapd that acts on the
# second search request of its first connection, the group search of the
# first lookup (the user's search went through and was answered):
#   swallow  that search is not relayed: the server never answers it
#   reset    the connection is reset (RST); later connections are relayed
#   gone     reset, and the relay stops listening: the server is gone
# Sets PROXY_PID, PROXY_URI and PROXY_LOG ("conn N open", "search 2 MODE").
gproxy_start() {
	local port
	port=$(free_port)
	PROXY_LOG="$BATS_TEST_TMPDIR/proxy.log"
	cat >"$BATS_TEST_TMPDIR/gproxy.py" <<-'PY'
	import select, socket, struct, sys
	port, server, mode, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], open(sys.argv[4], "a", buffering=1)

	def frame(b):
	    """Length of the first whole BER element of b, or 0."""
	    if len(b) < 2:
	        return 0
	    n, off = b[1], 2
	    if n & 0x80:
	        k = n & 0x7F
	        if len(b) < 2 + k:
	            return 0
	        n, off = int.from_bytes(b[2:2 + k], "big"), 2 + k
	    return off + n if len(b) >= off + n else 0

	def op(m):
	    """The protocol op of an LDAPMessage: after SEQUENCE and messageID."""
	    off = 2 + (m[1] & 0x7F if m[1] & 0x80 else 0)
	    return m[off + 2 + m[off + 1]]

	ls = socket.socket()
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(("127.0.0.1", port))
	ls.listen(16)
	log.write("listening\n")
	peer, conn, buf, count, searches = {}, {}, {}, 0, 0

	def drop(c):
	    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	    for x in (c, peer[c]):
	        peer.pop(x, None)
	        x.close()

	while True:
	    r, _, _ = select.select(([ls] if ls else []) + list(peer), [], [], 0.05)
	    for x in r:
	        if x is ls:
	            c, _ = ls.accept()
	            s = socket.create_connection(("127.0.0.1", server))
	            count += 1
	            peer[c], peer[s], conn[c], buf[c] = s, c, count, b""
	            log.write("conn %d open\n" % count)
	            continue
	        if x not in peer:
	            continue
	        data = x.recv(65536)
	        if not data:
	            drop(x if x in conn else peer[x])
	            continue
	        if x not in conn:
	            peer[x].sendall(data)
	            continue
	        buf[x] += data
	        while x in peer and frame(buf[x]):
	            n = frame(buf[x])
	            m, buf[x] = buf[x][:n], buf[x][n:]
	            if conn[x] == 1 and op(m) == 0x63:
	                searches += 1
	                if searches == 2:
	                    log.write("search 2 %s\n" % mode)
	                    if mode != "swallow":
	                        drop(x)
	                    if mode == "gone":
	                        ls.close()
	                        ls = None
	                    continue
	            peer[x].sendall(m)
	PY
	python3 "$BATS_TEST_TMPDIR/gproxy.py" "$port" "$SLAPD_PORT" "$1" "$PROXY_LOG" 3>&- &
	PROXY_PID=$!
	PROXY_URI="ldap://127.0.0.1:$port"
	wait_for 10 grep -qs listening "$PROXY_LOG"
}

@test "the group search unanswered: BH when its time is up, never OK without the groups; then OK with them" {
	local t0 got
	gproxy_start swallow
	bg_start -t 1 -b "$PEOPLE" -u uid -A userPassword -e "${GSEARCH[@]}" \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$PROXY_URI"
	t0=$(now_ms)
	got=$(bg_ask "1 $(req alice)")
	[ "$got" = '1 BH message="LDAP group search timed out"' ]
	echo "BH $(($(now_ms) - t0)) ms after the request (-t 1: 3 s)" >&3
	[ $(($(now_ms) - t0)) -ge 2500 ]
	grep -q 'search 2 swallow' "$PROXY_LOG"
	grep -q 'LDAP group search timed out' "$BATS_TEST_TMPDIR/bg.err"
	ask_expect "2 $(req bob)" "2 $(okg "$HA_BOB1" admins decoy staff)"
	bg_finish
	proxy_stop
}

@test "the server gone between the user's search and the group search: BH, never OK without the groups" {
	gproxy_start gone
	bg_start -b "$PEOPLE" -u uid -A userPassword -e "${GSEARCH[@]}" \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$PROXY_URI"
	ask_expect "1 $(req alice)" '1 BH message="LDAP server unreachable"'
	grep -q 'search 2 gone' "$PROXY_LOG"
	[[ "$(bg_ask "$(req bob)")" == 'BH message="'* ]]
	bg_finish
	proxy_stop
}

@test "the connection reset under the group search: re-sent once on a new connection, OK with the groups" {
	gproxy_start reset
	bg_start -b "$PEOPLE" -u uid -A userPassword -e "${GSEARCH[@]}" \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$PROXY_URI"
	ask_expect "1 $(req alice)" "1 $(okg "$HA_ALICE1" "$RND" staff)"
	grep -q 'search 2 reset' "$PROXY_LOG"
	[ "$(grep -c 'open$' "$PROXY_LOG")" -eq 2 ]
	ask_expect "2 $(req bob)" "2 $(okg "$HA_BOB1" admins decoy staff)"
	bg_finish
	proxy_stop
}

# --- a connection that dies under the helper -------------------------------------

# proxy_start MODE: tests/lib/ldap_proxy.py between the helper and slapd;
# it breaks the first connection (MODE idle or on-send) once
# $BATS_TEST_TMPDIR/break exists.  Sets PROXY_URI and PROXY_LOG.
proxy_start() {
	local port
	port=$(free_port)
	PROXY_LOG="$BATS_TEST_TMPDIR/proxy.log"
	python3 "$BATS_TEST_DIRNAME/lib/ldap_proxy.py" "$port" "$SLAPD_PORT" \
		"$BATS_TEST_TMPDIR/break" "$1" "$PROXY_LOG" 3>&- &
	PROXY_PID=$!
	PROXY_URI="ldap://127.0.0.1:$port"
	wait_for 10 grep -qs listening "$PROXY_LOG"
}

proxy_stop() {
	kill "$PROXY_PID"
	wait "$PROXY_PID" || true
	PROXY_PID=
}

# 16 requests for alice (IDs 2..17) in one write, so their searches are
# held and go out in one write (the helper's write layer); all must come
# back OK with her HA1, every ID once.
burst_all_ok() {
	local f="$BATS_TEST_TMPDIR/replies" i burst=
	for i in $(seq 2 17); do burst+="$i $(req alice)"$'\n'; done
	printf '%s' "$burst" >&7
	collect 16 10 "$f"
	only_lines "^[0-9]+ $(ok "$HA_ALICE1")\$" "$f"
	diff <(seq 2 17) <(cut -d' ' -f1 "$f" | sort -n)
}

@test "connection reset while idle: the next burst's write fails, one reconnect, every search re-sent and OK" {
	proxy_start idle
	bg_start -d -j 16 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$PROXY_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	touch "$BATS_TEST_TMPDIR/break"
	wait_for 5 grep -q 'conn 1 reset idle' "$PROXY_LOG"
	sleep 0.2	# the RST has arrived; the helper, idle, has not written since
	burst_all_ok
	# the path under test was taken: the held searches failed to go out ...
	grep -q 'sending LDAP searches failed' "$BATS_TEST_TMPDIR/bg.err"
	# ... and went out again on a second connection, the only other one
	[ "$(grep -c 'open$' "$PROXY_LOG")" -eq 2 ]
	ask_expect "18 $(req bob)" "18 $(ok "$HA_BOB1")"
	bg_finish
	proxy_stop
}

@test "connection reset right after a burst's searches went out: they are re-sent once on a new connection, all OK" {
	proxy_start on-send
	bg_start -j 16 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$PROXY_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	touch "$BATS_TEST_TMPDIR/break"
	burst_all_ok
	# the 16 searches went out in one write, and that write was swallowed
	grep -q 'conn 1 reset on-send' "$PROXY_LOG"
	[ "$(grep -c 'open$' "$PROXY_LOG")" -eq 2 ]
	ask_expect "18 $(req bob)" "18 $(ok "$HA_BOB1")"
	bg_finish
	proxy_stop
}

# --- outages (these stop slapd: keep them last) ---------------------------------

# Fail-over between two servers with the same entries: the second is a
# copy of our slapd (slapd_twin).  -c 2 -t 2: a search is given up on after
# 4 s, a bind after 2 s.
@test "fail-over: a server that hangs (SIGSTOP) costs only the lookups in flight; the next server answers, and is kept" {
	local pid t0 i got f="$BATS_TEST_TMPDIR/replies"
	slapd_twin "$BATS_TEST_TMPDIR/twin"
	bg_start -j 16 -c 2 -t 2 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI $TWIN_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	[ "$(peer_ports "$BG_PID")" = "$SLAPD_PORT" ]
	pid=$(cat "$SLAPD_DIR/slapd.pid")
	freeze "$pid"
	t0=$(now_ms)
	# lookups in flight on the frozen server: BH (or OK from the next one)
	# once their time is up
	for i in 2 3 4 5; do printf '%d %s\n' "$i" "$(req alice)" >&7; done
	collect 4 8 "$f"
	only_lines "^[0-9]+ (BH message=\"[^\"]*\"|$(ok "$HA_ALICE1"))\$" "$f"
	diff <(seq 2 5) <(cut -d' ' -f1 "$f" | sort -n)
	echo "the lookups in flight answered $(($(now_ms) - t0)) ms after SIGSTOP" >&3
	# from then on every lookup is OK at once: no more waiting for it
	t0=$(now_ms)
	for i in $(seq 10 29); do
		ask_expect "$i $(req bob)" "$i $(ok "$HA_BOB1")"
	done
	echo "20 lookups after the fail-over: $(($(now_ms) - t0)) ms" >&3
	[ $(($(now_ms) - t0)) -lt 3000 ]
	grep -q "LDAP server $SLAPD_URI did not answer" "$BATS_TEST_TMPDIR/bg.err"
	grep -q "now using $TWIN_URI instead of $SLAPD_URI" "$BATS_TEST_TMPDIR/bg.err"
	# the first server answers again: the helper stays where it is ...
	kill -CONT "$pid"
	ask_expect "30 $(req alice)" "30 $(ok "$HA_ALICE1")"
	[ "$(peer_ports "$BG_PID")" = "$TWIN_PORT" ]
	# ... until that server goes: then back to the first
	slapd_twin_stop
	t0=$(now_ms)
	i=40
	while got=$(bg_ask "$i $(req alice)"); [ "$got" != "$i $(ok "$HA_ALICE1")" ]; do
		[[ "$got" == "$i BH message="* ]] || { echo "while failing back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 10000 ] || { echo "no fail-back after 10 s: $got"; false; }
		i=$((i + 1))
		sleep 0.2
	done
	[ "$(peer_ports "$BG_PID")" = "$SLAPD_PORT" ]
	bg_finish
}

# The server's own time limit is an answer, not a hang: tests/lib/ldap_stub.py
# answers every search with timeLimitExceeded (3), at once.
@test "fail-over: the server's own time limit exceeded is BH, and its connection is kept (no fail-over)" {
	local stub i stublog="$BATS_TEST_TMPDIR/stub.log"
	stub=$(free_port)
	while [ "$stub" = "$SLAPD_PORT" ]; do stub=$(free_port); done
	python3 "$BATS_TEST_DIRNAME/lib/ldap_stub.py" "$stub" 3 "$stublog" 3>&- &
	FAKE_PID=$!
	wait_for 10 grep -qs listening "$stublog"
	bg_start -c 2 -t 2 -b "$PEOPLE" -u uid -A userPassword -e \
		-H "ldap://127.0.0.1:$stub $SLAPD_URI"
	for i in 1 2 3 4 5; do
		ask_expect "$i $(req alice)" "$i BH message=\"LDAP search timed out\""
	done
	[ "$(grep -c 'search$' "$stublog")" -eq 5 ]
	[ "$(grep -c 'open$' "$stublog")" -eq 1 ]
	[ "$(peer_ports "$BG_PID")" = "$stub" ]
	refute_grep -e 'did not answer' -e 'now using' "$BATS_TEST_TMPDIR/bg.err"
	bg_finish
}

# A server that accepts the TCP connection and never answers: the bind
# times out (-c 2) and the next server is used.  When that one restarts, the
# reconnection goes to it first, not to the black hole again.
@test "fail-over: a first server that accepts and never answers (black hole) is passed over, and not gone back to first" {
	local bh t0 i got bhlog="$BATS_TEST_TMPDIR/bh.log"
	bh=$(free_port)
	while [ "$bh" = "$SLAPD_PORT" ]; do bh=$(free_port); done
	python3 "$BATS_TEST_DIRNAME/lib/blackhole.py" "$bh" "$bhlog" 3>&- &
	FAKE_PID=$!
	wait_for 10 grep -qs listening "$bhlog"
	bg_start -c 2 -t 2 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "ldap://127.0.0.1:$bh $SLAPD_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	[ "$(grep -c 'open$' "$bhlog")" -eq 1 ]
	grep -q "(ldap://127.0.0.1:$bh): .*; trying $SLAPD_URI" "$BATS_TEST_TMPDIR/bg.err"
	# the server in use restarts: the next lookup reconnects to it at once
	slapd_stop
	slapd_start
	t0=$(now_ms)
	ask_expect "2 $(req bob)" "2 $(ok "$HA_BOB1")"
	echo "OK $(($(now_ms) - t0)) ms after the restart" >&3
	[ $(($(now_ms) - t0)) -lt 1500 ]	# under -c: the black hole was not tried
	[ "$(grep -c 'open$' "$bhlog")" -eq 1 ]
	# down for a while: BH, never ERR; then OK again from it
	slapd_stop
	for i in 3 4 5; do
		got=$(bg_ask "$i $(req alice)")
		[[ "$got" == "$i BH message="* ]] || { echo "while down: $got"; false; }
	done
	slapd_start
	t0=$(now_ms)
	i=10
	while got=$(bg_ask "$i $(req alice)"); [ "$got" != "$i $(ok "$HA_ALICE1")" ]; do
		[[ "$got" == "$i BH message="* ]] || { echo "while coming back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 15000 ] || { echo "not back after 15 s: $got"; false; }
		i=$((i + 1))
		sleep 0.2
	done
	t0=$(now_ms)
	for i in $(seq 100 109); do
		ask_expect "$i $(req bob)" "$i $(ok "$HA_BOB1")"
	done
	[ $(($(now_ms) - t0)) -lt 1500 ]
	echo "$(grep -c 'open$' "$bhlog") connections to the black hole in all" >&3
	bg_finish
}

@test "outage: slapd killed with searches pending, then stopped mid-stream: BH, never ERR, nothing lost; back without a restart" {
	local f="$BATS_TEST_TMPDIR/replies" pid t0 i got
	bg_start -j 16 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"

	# 1. slapd frozen: 20 searches go out (16 in flight), none answered
	pid=$(cat "$SLAPD_DIR/slapd.pid")
	freeze "$pid"
	for i in $(seq 2 21); do printf '%d %s\n' "$i" "$(req alice)" >&7; done
	sleep 0.5
	! IFS= read -r -t 0.2 -u 8 got || { kill -CONT "$pid"; echo "reply while slapd was frozen: $got"; false; }
	# ... then it dies: every one of them is BH, promptly (well inside the
	# 10 s search time-out)
	t0=$(now_ms)
	kill -KILL "$pid"
	collect 20 5 "$f"
	echo "pending -> BH in $(($(now_ms) - t0)) ms" >&3
	only_lines '^[0-9]+ BH message="[^"]*"$' "$f"
	diff <(seq 2 21) <(cut -d' ' -f1 "$f" | sort -n)
	rm -f "$SLAPD_DIR/slapd.pid"

	# 2. new requests while it is down: BH at once
	for i in $(seq 100 149); do printf '%d %s\n' "$i" "$(req alice)" >&7; done
	t0=$(now_ms)
	collect 50 3 "$f"
	only_lines '^[0-9]+ BH message="[^"]*"$' "$f"
	diff <(seq 100 149) <(cut -d' ' -f1 "$f" | sort -n)

	# 3. back: OK again from the same helper process
	slapd_start
	t0=$(now_ms)
	i=200
	while got=$(bg_ask "$i $(req alice)"); [ "$got" != "$i $(ok "$HA_ALICE1")" ]; do
		[[ "$got" == "$i BH message="* ]] || { echo "while coming back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 15000 ] || { echo "not back after 15 s: $got"; false; }
		i=$((i + 1))
		sleep 0.2
	done
	echo "OK again $(($(now_ms) - t0)) ms after slapd_start" >&3
	kill -0 "$BG_PID"

	# 4. a graceful slapd_stop while requests stream in (one every 10 ms)
	(
		for i in $(seq 1000 1199); do
			printf '%d %s\n' "$i" "$(req alice)"
			sleep 0.01
		done >&7
	) 3>&- &
	local writer=$!
	sleep 0.5
	slapd_stop
	wait "$writer"
	collect 200 8 "$f"
	diff <(seq 1000 1199) <(cut -d' ' -f1 "$f" | sort -n)
	only_lines "^[0-9]+ (BH message=\"[^\"]*\"|OK ha1=\"$HA_ALICE1\")\$" "$f"
	grep -q '^[0-9]* BH' "$f"		# the stop was seen ...
	[ "$(tail -n1 "$f" | cut -d' ' -f2)" = BH ]	# ... and lasted
	refute_grep ERR "$f"
	slapd_start
	t0=$(now_ms)
	i=2000
	while got=$(bg_ask "$i $(req bob)"); [ "$got" != "$i $(ok "$HA_BOB1")" ]; do
		[[ "$got" == "$i BH message="* ]] || { echo "while coming back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 15000 ] || { echo "not back after 15 s: $got"; false; }
		i=$((i + 1))
		sleep 0.2
	done
	ask_expect "$(req nobody)" "$NO_USER"
	bg_finish
	grep -q 'lookups answer BH until it is back' "$BATS_TEST_TMPDIR/bg.err"
	grep -q 'is back' "$BATS_TEST_TMPDIR/bg.err"
}

# "Re-established on failure with back-off": not one connection attempt per
# lookup.  With the back-off doubling from LDAP_RETRY_MIN_MS, a 1.5 s outage
# is worth about 4 attempts, and the next attempt after it ends comes within
# about as long again, far below LDAP_RETRY_MAX_MS.
@test "outage: reconnection is spaced by the back-off, not one attempt per lookup; a short outage is short" {
	local f="$BATS_TEST_TMPDIR/replies" pid t0 i got attempts
	bg_start -d -j 16 -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1")"
	pid=$(cat "$SLAPD_DIR/slapd.pid")
	freeze "$pid"
	for i in $(seq 2 17); do printf '%d %s\n' "$i" "$(req alice)" >&7; done
	sleep 0.3
	kill -KILL "$pid"
	t0=$(now_ms)
	for i in $(seq 100 159); do
		printf '%d %s\n' "$i" "$(req alice)" >&7
		sleep 0.02
	done
	collect 76 5 "$f"
	only_lines '^[0-9]+ BH message="[^"]*"$' "$f"
	# the debug log has one line per failed attempt to reach the directory
	attempts=$(grep -c 'LDAP .*failed' "$BATS_TEST_TMPDIR/bg.err" || true)
	echo "$attempts failed connection attempts in $(($(now_ms) - t0)) ms of outage" >&3
	[ "$attempts" -le 6 ] || { grep 'LDAP .*failed' "$BATS_TEST_TMPDIR/bg.err" | head -n 20; false; }
	slapd_start
	t0=$(now_ms)
	i=200
	while got=$(bg_ask "$i $(req alice)"); [ "$got" != "$i $(ok "$HA_ALICE1")" ]; do
		[[ "$got" == "$i BH message="* ]] || { echo "while coming back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 15000 ] || { echo "not back after 15 s: $got"; false; }
		i=$((i + 1))
		sleep 0.2
	done
	echo "OK again $(($(now_ms) - t0)) ms after slapd_start" >&3
	[ $(($(now_ms) - t0)) -lt 4000 ] || { echo "a ~2 s outage kept lookups failing $(($(now_ms) - t0)) ms after slapd was back"; false; }
	bg_finish
}

@test "outage: a helper started while slapd is down starts, answers BH, then OK once it is up" {
	local got t0 i=1
	slapd_stop
	bg_start -b "$PEOPLE" -u uid -A userPassword -e \
		-D "$SLAPD_ROOTDN" -W "$SLAPD_SECRET_FILE" -H "$SLAPD_URI"
	[[ "$(bg_ask "$(req alice)")" == 'BH message="'* ]]
	[[ "$(bg_ask "3 $(req nobody)")" == '3 BH message="'* ]]
	kill -0 "$BG_PID"
	grep -q '^digest_ldap_auth: .*failed' "$BATS_TEST_TMPDIR/bg.err"
	slapd_start
	t0=$(now_ms)
	while got=$(bg_ask "$(req alice)"); [ "$got" != "$(ok "$HA_ALICE1")" ]; do
		[[ "$got" == 'BH message="'* ]] || { echo "while coming back: $got"; false; }
		[ $(($(now_ms) - t0)) -lt 15000 ] || { echo "not back after 15 s: $got"; false; }
		sleep 0.2
	done
	ask_expect "$(req nobody)" "$NO_USER"
	bg_finish
}
