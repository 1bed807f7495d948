#!/usr/bin/env bats
# digest_passwd --sqlite (digest_passwd(1)): the schema of lib/sqlschema.h,
# every verb, bound values, --import in one transaction, concurrent writers.
# The store is inspected with the sqlite3 command-line tool.

load lib/common

DPW="$top_builddir/digest_passwd"

# sqlite_built: this build has SQLite support (config.h says so)
sqlite_built() {
	grep -q '^#define HAVE_SQLITE 1' "$top_builddir/config.h"
}

setup() {
	if ! sqlite_built && [[ "$BATS_TEST_DESCRIPTION" != *"not compiled in"* ]]; then
		skip "this build has no SQLite support"
	fi
	require_cmd sqlite3
	W="$BATS_TEST_TMPDIR"
	DB="$W/users.db"
}

# init_store: an empty, initialised store in $DB
init_store() {
	"$DPW" --sqlite "$DB" --init 2>/dev/null
}

teardown() {
	if [ -n "${LOCKER_PID:-}" ]; then
		kill "$LOCKER_PID" 2>/dev/null || true
		wait "$LOCKER_PID" 2>/dev/null || true
	fi
	# what the hand-over test made in the build's install directory
	[ -z "${MADE_DIR:-}" ] || rm -rf "$MADE_DIR"
}

# q SQL: ask the store with the sqlite3 tool ("|" between columns)
q() {
	sqlite3 -batch "$DB" "$1"
}

# set_pw REALM USER PASSWORD [OPTIONS...]: -i, quietly
set_pw() {
	local r=$1 u=$2 p=$3
	shift 3
	printf '%s\n' "$p" | "$DPW" -i --sqlite "$DB" "$@" "$r" "$u" 2>/dev/null
}

one_line_error() {
	[ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "expected one line: $output"; return 1; }
	[[ "${lines[0]}" == "digest_passwd: "* ]] || { echo "bad line: $output"; return 1; }
	[[ "${lines[0]}" == *"$1"* ]] || { echo "expected '$1' in: $output"; return 1; }
}

@test "--init creates the shared schema, 0640 or stricter, and can run again" {
	run bash -c "umask 022; '$DPW' --sqlite '$DB' --init"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: $DB: schema version 2 ready" ]
	[ "$(stat -c %a "$DB")" = 640 ]
	[ "$(q 'SELECT version FROM schema_version')" = 2 ]
	[ "$(q "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" | tr '\n' ' ')" = "digest_groups digest_users schema_version " ]
	printf 'pw\n' | "$DPW" -i --sqlite "$DB" R alice 2>/dev/null
	run "$DPW" --sqlite "$DB" --init
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM schema_version')" = 1 ]
	[ "$(q 'SELECT user FROM digest_users')" = alice ]
	(umask 077 && "$DPW" --sqlite "$W/strict.db" --init 2>/dev/null)
	[ "$(stat -c %a "$W/strict.db")" = 600 ]
	# an existing store keeps its mode
	chmod 0604 "$DB"
	"$DPW" --sqlite "$DB" --init 2>/dev/null
	[ "$(stat -c %a "$DB")" = 604 ]
}

@test "add, change, verify, list, delete" {
	init_store
	run bash -c "printf 'wonder land\n' | '$DPW' -i --sqlite '$DB' 'Squid proxy' alice"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: added user alice in realm Squid proxy" ]
	set_pw 'Squid proxy' bob b
	set_pw Other alice o
	[ "$(q "SELECT ha1, enabled FROM digest_users WHERE user = 'alice' AND realm = 'Squid proxy'")" = "$(md5hex 'alice:Squid proxy:wonder land')|1" ]
	run bash -c "printf 'new:pw\n' | '$DPW' -i --sqlite '$DB' 'Squid proxy' alice"
	[ "$output" = "digest_passwd: changed the password of user alice in realm Squid proxy" ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'alice' AND realm = 'Squid proxy'")" = "$(md5hex 'alice:Squid proxy:new:pw')" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 3 ]

	run bash -c "printf 'new:pw\n' | '$DPW' -v -i --sqlite '$DB' 'Squid proxy' alice"
	[ "$status" -eq 0 ]
	run bash -c "printf 'wonder land\n' | '$DPW' -v -i --sqlite '$DB' 'Squid proxy' alice"
	[ "$status" -eq 3 ]
	[ "$output" = "digest_passwd: wrong password for user alice in realm Squid proxy" ]
	run bash -c "printf 'x\n' | '$DPW' -v -i --sqlite '$DB' 'Squid proxy' carol"
	one_line_error "user carol not found in realm Squid proxy"

	[ "$("$DPW" --sqlite "$DB" -l)" = "$(printf 'alice:Other\nalice:Squid proxy\nbob:Squid proxy')" ]
	[ "$("$DPW" --sqlite "$DB" -l 'Squid proxy')" = "$(printf 'alice:Squid proxy\nbob:Squid proxy')" ]
	[ -z "$("$DPW" --sqlite "$DB" -l Nope)" ]

	run "$DPW" --sqlite "$DB" -D 'Squid proxy' alice
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: deleted user alice in realm Squid proxy" ]
	[ "$(q 'SELECT user, realm FROM digest_users ORDER BY realm' | tr '\n' ' ')" = "alice|Other bob|Squid proxy " ]
	run "$DPW" --sqlite "$DB" -D 'Squid proxy' alice
	one_line_error "user alice not found in realm Squid proxy"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
}

@test "--disable and --enable keep the user; a password change keeps the flag" {
	init_store
	set_pw R alice a
	set_pw R bob b
	run "$DPW" --sqlite "$DB" --disable R alice
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: disabled user alice in realm R" ]
	[ "$(q "SELECT enabled FROM digest_users WHERE user = 'alice'")" = 0 ]
	[ "$("$DPW" --sqlite "$DB" -l)" = "$(printf 'alice:R (disabled)\nbob:R')" ]
	set_pw R alice a2
	[ "$(q "SELECT ha1, enabled FROM digest_users WHERE user = 'alice'")" = "$(md5hex alice:R:a2)|0" ]
	# -v still tells whether the password is right, and warns
	run bash -c "printf 'a2\n' | '$DPW' -v -i --sqlite '$DB' R alice"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: user alice in realm R is disabled: logins are refused"* ]]
	"$DPW" --sqlite "$DB" --enable R alice 2>/dev/null
	[ "$(q "SELECT enabled FROM digest_users WHERE user = 'alice'")" = 1 ]
	[ "$("$DPW" --sqlite "$DB" -l R)" = "$(printf 'alice:R\nbob:R')" ]
	for verb in --disable --enable; do
		run "$DPW" --sqlite "$DB" $verb R carol
		one_line_error "user carol not found in realm R"
		run "$DPW" --sqlite "$DB" $verb Other alice
		one_line_error "user alice not found in realm Other"
	done
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
}

@test "-l and -v never show a hash" {
	init_store
	set_pw R alice a
	set_pw R bob b
	"$DPW" --sqlite "$DB" --disable R bob 2>/dev/null
	{
		"$DPW" --sqlite "$DB" -l
		"$DPW" --sqlite "$DB" -l R
		printf 'a\n' | "$DPW" -v -i --sqlite "$DB" R alice
		printf 'x\n' | "$DPW" -v -i --sqlite "$DB" R alice || true
		printf 'b\n' | "$DPW" -v -i --sqlite "$DB" R bob
	} >"$W/out" 2>&1
	grep -q 'alice:R' "$W/out"
	refute_grep -Eq '[0-9a-fA-F]{32}' "$W/out"
}

@test "values with quotes are bound: stored and listed literally" {
	init_store
	set_pw R "x' OR 1=1 --" p1
	set_pw "R'; DROP TABLE digest_users; --" 'bob"' p2
	set_pw R 'semi;colon' p3
	[ "$(q 'SELECT count(*) FROM digest_users')" = 3 ]
	[ "$(q "SELECT user FROM digest_users WHERE realm = 'R' ORDER BY user" | tr '\n' '|')" = "semi;colon|x' OR 1=1 --|" ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'bob\"'")" = "$(md5hex "bob\":R'; DROP TABLE digest_users; --:p2")" ]
	[ "$("$DPW" --sqlite "$DB" -l)" = "$(printf '%s\n' "semi;colon:R" "x' OR 1=1 --:R" "bob\":R'; DROP TABLE digest_users; --")" ]
	# a quote trick does not match somebody else
	run "$DPW" --sqlite "$DB" -D R "' OR '1'='1"
	one_line_error "not found"
	run bash -c "printf 'p3\n' | '$DPW' -v -i --sqlite '$DB' R \"semi' OR '1'='1\""
	one_line_error "not found"
	run "$DPW" --sqlite "$DB" --disable R "x' OR 1=1 --"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT user, enabled FROM digest_users WHERE enabled = 0')" = "x' OR 1=1 --|0" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 3 ]
}

@test "a store that was not initialised: a clear error suggesting --init" {
	run bash -c "printf 'pw\n' | '$DPW' -i --sqlite '$DB' R alice"
	one_line_error "$DB does not exist (create it with: digest_passwd --sqlite $DB --init)"
	[ ! -e "$DB" ]
	run "$DPW" --sqlite "$DB" -l
	one_line_error "--init"
	[ ! -e "$DB" ]
	: >"$DB"
	run bash -c "printf 'pw\n' | '$DPW' -i --sqlite '$DB' R alice"
	one_line_error "$DB has no digest-helpers schema"
	[[ "$output" == *"create it with: digest_passwd --sqlite $DB --init"* ]]
	q 'CREATE TABLE other (x)'
	run "$DPW" --sqlite "$DB" -l
	one_line_error "has no digest-helpers schema"
	printf 'this is not a database, just text that is long enough ......\n%.0s' $(seq 1 100) >"$W/text"
	run "$DPW" --sqlite "$W/text" -l
	one_line_error "not a database"
}

@test "a store with a newer schema version is refused" {
	init_store
	set_pw R alice a
	q 'UPDATE schema_version SET version = 99'
	run bash -c "printf 'pw\n' | '$DPW' -i --sqlite '$DB' R bob"
	one_line_error "schema version 99 is newer than this digest_passwd knows (2)"
	run "$DPW" --sqlite "$DB" --init
	one_line_error "schema version 99"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 1 ]
}

@test "-c with --sqlite creates the store if needed, and never empties one" {
	run bash -c "umask 022; printf 'a\n' | '$DPW' -c -i --sqlite '$DB' R alice"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$DB")" = 640 ]
	[ "$(q 'SELECT user, ha1 FROM digest_users')" = "alice|$(md5hex alice:R:a)" ]
	set_pw R bob b -c
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
}

@test "refused values and empty passwords change nothing in the store" {
	init_store
	set_pw R alice a
	for bad in 'a:b' '' '#x' ' x' $'two\nlines'; do
		run bash -c 'printf "pw\n" | "$1" -i --sqlite "$2" R "$3"' _ "$DPW" "$DB" "$bad"
		one_line_error "invalid user name"
		run bash -c 'printf "pw\n" | "$1" -i --sqlite "$2" "$3" bob' _ "$DPW" "$DB" "$bad"
		[ "$bad" = '#x' ] || [ "$bad" = ' x' ] || one_line_error "invalid realm"
	done
	run bash -c "printf '\n' | '$DPW' -i --sqlite '$DB' R carol"
	one_line_error "empty password refused"
	[ "$(q 'SELECT user, realm FROM digest_users ORDER BY user, realm' | tr '\n' ' ')" = "alice|R bob| x bob|#x " ]
	printf '\n' | "$DPW" -i --allow-empty --sqlite "$DB" R carol 2>/dev/null
	[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'carol'")" = "$(md5hex carol:R:)" ]
}

@test "--import: counts on stderr, bad lines named by number only, nothing else" {
	init_store
	set_pw R old old-pw
	"$DPW" --sqlite "$DB" --disable R old 2>/dev/null
	{
		printf '# exported from htdigest\n\n'
		printf 'alice:R:%s\n' "$(md5hex alice:R:a)"
		printf 'bob:R:%s\r\n' "$(md5hex bob:R:b)"
		printf 'plain:R:SeCrEtPlaintext\n'
		printf 'carol:R:%s\n' "$(md5hex carol:R:c | tr a-f A-F)"
		printf 'norealm:%s\n' "$(md5hex x)"
		printf 'old:R:%s\n' "$(md5hex old:R:new)"
		printf 'alice:R:%s\n' "$(md5hex alice:R:second)"
		printf 'dave:Other:{HHA1}%s\n' "$(md5hex dave:Other:d)"
		printf ':R:%s\n' "$(md5hex x)"
		printf 'erin:R:%s' "$(md5hex erin:R:e)"
	} >"$W/import"
	"$DPW" --sqlite "$DB" --import "$W/import" >"$W/out" 2>"$W/err"
	[ ! -s "$W/out" ]
	cat >"$W/expect" <<-EOF
	digest_passwd: warning: $W/import:5: the HA1 field is not 32 hex digits (plaintext passwords cannot be imported); line skipped
	digest_passwd: warning: $W/import:7: expected user:realm:HA1; line skipped
	digest_passwd: warning: $W/import:9: an earlier line has the same user and realm (the first is used); line skipped
	digest_passwd: warning: $W/import:11: empty user name; line skipped
	digest_passwd: imported 6 users (5 new, 1 updated), 4 lines skipped
	EOF
	diff -u "$W/expect" "$W/err"
	refute_grep -q 'SeCrEt\|plain:\|norealm' "$W/err"
	cat >"$W/expect" <<-EOF
	alice|R|$(md5hex alice:R:a)|1
	bob|R|$(md5hex bob:R:b)|1
	carol|R|$(md5hex carol:R:c)|1
	dave|Other|$(md5hex dave:Other:d)|1
	erin|R|$(md5hex erin:R:e)|1
	old|R|$(md5hex old:R:new)|0
	EOF
	q 'SELECT user, realm, ha1, enabled FROM digest_users ORDER BY user' >"$W/got"
	diff -u "$W/expect" "$W/got"
	# and from standard input
	printf 'frank:R:%s\n' "$(md5hex frank:R:f)" | "$DPW" --sqlite "$DB" --import - 2>"$W/err"
	[ "$(cat "$W/err")" = "digest_passwd: imported 1 users (1 new, 0 updated), 0 lines skipped" ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'frank'")" = "$(md5hex frank:R:f)" ]
}

@test "--import is one transaction: a failure part way imports nothing" {
	init_store
	set_pw R u1 before
	python3 -c '
import hashlib, sys
for i in range(1, 1001):
    u = "u%d" % i
    print("%s:R:%s" % (u, hashlib.md5(("%s:R:pw" % u).encode()).hexdigest()))
' >"$W/import"
	q "CREATE TRIGGER boom BEFORE INSERT ON digest_users WHEN NEW.user = 'u500'
	   BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
	run "$DPW" --sqlite "$DB" --import "$W/import"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused by a test trigger"* ]]
	[[ "$output" == *"$W/import:500: import stopped; nothing imported"* ]]
	# u1 was updated and u2..u499 inserted before the failure: all rolled back
	[ "$(q 'SELECT count(*) FROM digest_users')" = 1 ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'u1'")" = "$(md5hex u1:R:before)" ]
	q 'DROP TRIGGER boom'
	run "$DPW" --sqlite "$DB" --import "$W/import"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: imported 1000 users (999 new, 1 updated), 0 lines skipped" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 1000 ]
}

@test "writes wait for another writer instead of failing" {
	init_store
	mkfifo "$W/ready"
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO digest_users (user, realm, ha1) VALUES (?, ?, ?)", ("held", "R", "0" * 32))
open(sys.argv[2], "w").write("locked\n")
time.sleep(1.5)
c.execute("COMMIT")
' "$DB" "$W/ready" 3>&- &
	LOCKER_PID=$!
	read -r line <"$W/ready"
	[ "$line" = locked ]
	start=$(date +%s%N)
	printf 'alice:R:%s\n' "$(md5hex alice:R:a)" >"$W/import"
	"$DPW" --sqlite "$DB" --import "$W/import" 2>/dev/null
	set_pw R bob b
	waited=$((($(date +%s%N) - start) / 1000000))
	[ "$waited" -ge 1000 ] || { echo "did not wait: $waited ms"; return 1; }
	wait "$LOCKER_PID"
	LOCKER_PID=
	[ "$(q 'SELECT user FROM digest_users ORDER BY user' | tr '\n' ' ')" = "alice bob held " ]
}

@test "50 concurrent additions to one store: none lost, each verifies" {
	init_store
	for i in $(seq 1 50); do
		set_pw R "user$i" "pw$i" 3>&- &
	done
	wait
	[ "$(q 'SELECT count(*) FROM digest_users')" = 50 ]
	for i in $(seq 1 50); do
		[ "$(q "SELECT ha1 FROM digest_users WHERE user = 'user$i'")" = "$(md5hex "user$i:R:pw$i")" ]
		printf 'pw%s\n' "$i" | "$DPW" -v -i --sqlite "$DB" R "user$i" 2>/dev/null
	done
}

@test "a large --import on a terminal shows progress lines" {
	init_store
	python3 -c '
for i in range(60000):
    print("user%d:R:%032x" % (i, i))
' >"$W/import"
	run python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.replace(b"\r\n", b"\n").decode())
sys.exit(os.WEXITSTATUS(st))
' "$DPW" --sqlite "$DB" --import "$W/import"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "digest_passwd: $W/import: 50000 lines read, 50000 users so far" ]
	[ "${lines[1]}" = "digest_passwd: imported 60000 users (60000 new, 0 updated), 0 lines skipped" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 60000 ]
}

@test "--sqlite usage errors are one line and exit 1" {
	init_store
	run "$DPW" --sqlite "$DB" R
	one_line_error "takes REALM USER"
	run "$DPW" --sqlite "$DB" -D R
	one_line_error "-D takes REALM USER"
	run "$DPW" --sqlite "$DB" --init extra
	one_line_error "--init takes no other arguments"
	run "$DPW" --sqlite "$DB" --import
	one_line_error "option --import needs a value"
	run "$DPW" --sqlite "$DB" --import "$W/f" extra
	one_line_error "--import takes no other arguments"
	run "$DPW" --sqlite "$DB" -l R extra
	one_line_error "-l takes at most a REALM"
	run "$DPW" --sqlite "$DB" --disable --enable R u
	one_line_error "--disable and --enable cannot be combined"
	run "$DPW" --sqlite "$DB" -c --disable R u
	one_line_error "-c cannot be combined with --disable"
	run "$DPW" --import "$W/f"
	one_line_error "--import needs --sqlite DB"
	run "$DPW" --sqlite "$DB" --import "$W/none"
	one_line_error "cannot open $W/none"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 0 ]
}

@test "digest_passwd runs digest_passwd-sqlite of its build tree or its install directory only, and only when nobody else may change it" {
	local d="$W/bin" installed prog="$top_builddir/digest_passwd-sqlite" top
	# the helpers' directory of this build, where a copy of the tool
	# outside the build tree looks
	installed=$(strings "$top_builddir/digest_passwd" | grep -m1 '/digest-helpers$')
	[ -n "$installed" ] && [ ! -e "$installed" ] ||
		skip "$installed exists: this test needs it absent"
	# a copy elsewhere never runs what lies beside it
	mkdir "$d"
	cp "$top_builddir/digest_passwd" "$prog" "$d/"
	run "$d/digest_passwd" --sqlite "$DB" --init
	one_line_error "no $installed/digest_passwd-sqlite (Debian: install digest-helpers-sqlite)"
	[ ! -e "$DB" ]
	# the install directory's: refused while others may write to it (as
	# root only: the test makes that directory, and removes it)
	if [ "$(id -u)" -eq 0 ]; then
		top=$installed
		while [ ! -e "$(dirname "$top")" ]; do top=$(dirname "$top"); done
		MADE_DIR=$top
		mkdir -p "$installed"
		cp "$prog" "$installed/"
		chmod g+w "$installed/digest_passwd-sqlite"
		run "$d/digest_passwd" --sqlite "$DB" --init
		one_line_error "$installed/digest_passwd-sqlite is not run"
		[ ! -e "$DB" ]
		chmod g-w "$installed/digest_passwd-sqlite"
		run "$d/digest_passwd" --sqlite "$DB" --init
		[ "$status" -eq 0 ]
		rm -rf "$MADE_DIR"
		MADE_DIR=
		rm -f "$DB"
	fi
	# the build tree's own
	run "$top_builddir/digest_passwd" --sqlite "$DB" --init
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 0 ]
	# it speaks as digest_passwd, and gets the command line as typed
	run "$top_builddir/digest_passwd" -l --sqlite "$W/none.db"
	one_line_error "$W/none.db does not exist"
	# the tool itself links no database library
	! ldd "$top_builddir/digest_passwd" | grep -E 'libsqlite3|libldap|libpq|libmariadb'
}

@test "--sqlite in a build without SQLite: \"SQLite support not compiled in\"" {
	run "$DPW" --sqlite "$DB" --init
	if sqlite_built; then
		[ "$status" -eq 0 ]
		[[ "$output" != *"not compiled in"* ]]
		return 0
	fi
	one_line_error "SQLite support not compiled in"
	[ ! -e "$DB" ]
	run bash -c "printf 'pw\n' | '$DPW' -i --sqlite '$DB' R alice"
	one_line_error "SQLite support not compiled in"
}

# --- groups (schema version 2) -------------------------------------------------

# v1_store: $DB as digest-helpers 0.1 made it (schema version 1, no
# digest_groups), with alice and bob in R (bob disabled) and alice in S
v1_store() {
	q "CREATE TABLE schema_version (version INTEGER NOT NULL);
	   INSERT INTO schema_version (version) VALUES (1);
	   CREATE TABLE digest_users (
	     user TEXT NOT NULL, realm TEXT NOT NULL,
	     ha1 TEXT NOT NULL CHECK (length(ha1) = 32),
	     enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	     PRIMARY KEY (user, realm)) WITHOUT ROWID;
	   INSERT INTO digest_users VALUES ('alice', 'R', '$(md5hex alice:R:a)', 1),
	     ('bob', 'R', '$(md5hex bob:R:b)', 0), ('alice', 'S', '$(md5hex alice:S:s)', 1);"
}

@test "--init migrates a version-1 store to 2, keeping every user, HA1 and flag" {
	v1_store
	q 'SELECT * FROM digest_users ORDER BY user, realm' >"$W/before"
	# a version-1 store is used as it is, without groups
	[ "$("$DPW" --sqlite "$DB" -l)" = "$(printf 'alice:R\nbob:R (disabled)\nalice:S')" ]
	set_pw R carol c
	"$DPW" --sqlite "$DB" -D R carol 2>/dev/null
	run "$DPW" --sqlite "$DB" --group-add R alice staff
	one_line_error "$DB: schema version 1 has no groups; upgrade it with: digest_passwd --sqlite $DB --init"
	[ "$(q 'SELECT version FROM schema_version')" = 1 ]
	run "$DPW" --sqlite "$DB" --init
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: $DB: schema version 2 ready (migrated from version 1)" ]
	[ "$(q 'SELECT version FROM schema_version')" = 2 ]
	[ "$(q 'SELECT count(*) FROM digest_groups')" = 0 ]
	q 'SELECT * FROM digest_users ORDER BY user, realm' >"$W/after"
	diff -u "$W/before" "$W/after"
	printf 'a\n' | "$DPW" -v -i --sqlite "$DB" R alice 2>/dev/null
	run "$DPW" --sqlite "$DB" --init
	[ "$output" = "digest_passwd: $DB: schema version 2 ready" ]
	"$DPW" --sqlite "$DB" --group-add R alice staff 2>/dev/null
	[ "$("$DPW" --sqlite "$DB" -l R)" = "$(printf 'alice:R\tstaff\nbob:R (disabled)')" ]
}

@test "--init migrates in one transaction: a failure part way leaves version 1" {
	v1_store
	q "CREATE TRIGGER boom BEFORE UPDATE ON schema_version
	   BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
	run "$DPW" --sqlite "$DB" --init
	one_line_error "cannot migrate the schema: refused by a test trigger"
	[ "$(q 'SELECT version FROM schema_version')" = 1 ]
	[ -z "$(q "SELECT name FROM sqlite_master WHERE name = 'digest_groups'")" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 3 ]
	# -c migrates as --init does
	q 'DROP TRIGGER boom'
	run bash -c "printf 'd\n' | '$DPW' -c -i --sqlite '$DB' R dave"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT version FROM schema_version')" = 2 ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 4 ]
}

@test "--group-add, --group-del and -l with groups" {
	init_store
	set_pw R alice a
	set_pw R bob b
	set_pw S alice s
	run "$DPW" --sqlite "$DB" --group-add R alice staff
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: added user alice in realm R to group staff" ]
	"$DPW" --sqlite "$DB" --group-add R alice 'wi,fi' 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add R alice 'back\slash	tab' 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add S alice "x' OR 1=1 --" 2>/dev/null
	# already a member: nothing changes, not an error
	run "$DPW" --sqlite "$DB" --group-add R alice staff
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: user alice in realm R is already in group staff" ]
	[ "$(q "SELECT count(*) FROM digest_groups WHERE grp = 'staff'")" = 1 ]
	"$DPW" --sqlite "$DB" --disable R alice 2>/dev/null
	# sorted by realm and user; groups after a tab, by name, ',' '\' and
	# control bytes as \xHH
	cat >"$W/expect" <<-'EOF'
	alice:R (disabled)	back\x5cslash\x09tab,staff,wi\x2cfi
	bob:R
	alice:S	x' OR 1=1 --
	EOF
	"$DPW" --sqlite "$DB" -l >"$W/got"
	diff -u "$W/expect" "$W/got"
	[ "$("$DPW" --sqlite "$DB" -l S)" = "$(printf "alice:S\tx' OR 1=1 --")" ]
	run "$DPW" --sqlite "$DB" --group-del R alice staff
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: removed user alice in realm R from group staff" ]
	run "$DPW" --sqlite "$DB" --group-del R alice staff
	one_line_error "user alice in realm R is not in group staff"
	run "$DPW" --sqlite "$DB" --group-del S alice 'wi,fi'
	one_line_error "user alice in realm S is not in group wi,fi"
	# the user must exist in that realm
	run "$DPW" --sqlite "$DB" --group-add R carol staff
	one_line_error "user carol not found in realm R"
	run "$DPW" --sqlite "$DB" --group-add S bob staff
	one_line_error "user bob not found in realm S"
	run "$DPW" --sqlite "$DB" --group-del S bob staff
	one_line_error "user bob not found in realm S"
	[ "$(q 'SELECT user, realm, grp FROM digest_groups ORDER BY realm, grp' | tr '\n' '|')" = "alice|R|back\\slash	tab|alice|R|wi,fi|alice|S|x' OR 1=1 --|" ]
}

@test "--group-add: refused group names change nothing" {
	init_store
	set_pw R alice a
	local long
	long=$(printf 'g%.0s' $(seq 1025))
	run "$DPW" --sqlite "$DB" --group-add R alice ''
	one_line_error "invalid group name: it must not be empty; nothing changed"
	run "$DPW" --sqlite "$DB" --group-add R alice $'two\nlines'
	one_line_error "invalid group name: it must not contain a line break"
	run "$DPW" --sqlite "$DB" --group-add R alice $'cr\rhere'
	one_line_error "invalid group name: it must not contain a line break"
	run "$DPW" --sqlite "$DB" --group-add R alice "$long"
	one_line_error "invalid group name: it must not be longer than 1024 bytes"
	run "$DPW" --sqlite "$DB" --group-del R alice ''
	one_line_error "invalid group name"
	run "$DPW" --sqlite "$DB" --group-add R 'a:b' staff
	one_line_error "invalid user name"
	[ "$(q 'SELECT count(*) FROM digest_groups')" = 0 ]
	"$DPW" --sqlite "$DB" --group-add R alice "${long%g}" 2>/dev/null
	[ "$(q 'SELECT length(grp) FROM digest_groups')" = 1024 ]
}

@test "-D deletes the user's groups in that realm, in the same transaction" {
	init_store
	set_pw R alice a
	set_pw S alice s
	set_pw R bob b
	"$DPW" --sqlite "$DB" --group-add R alice staff 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add R alice wifi 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add S alice other 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add R bob staff 2>/dev/null
	# the group delete fails: the user stays too
	q "CREATE TRIGGER boom BEFORE DELETE ON digest_groups
	   BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
	run "$DPW" --sqlite "$DB" -D R alice
	one_line_error "refused by a test trigger"
	[ "$(q "SELECT count(*) FROM digest_users WHERE user = 'alice'")" = 2 ]
	q 'DROP TRIGGER boom'
	run "$DPW" --sqlite "$DB" -D R alice
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT user, realm, grp FROM digest_groups ORDER BY realm, user, grp' | tr '\n' ' ')" = "bob|R|staff alice|S|other " ]
	# added again, the user starts without groups
	set_pw R alice new
	[ "$("$DPW" --sqlite "$DB" -l R)" = "$(printf 'alice:R\nbob:R\tstaff')" ]
}

@test "--group-add, --group-del: usage errors are one line and exit 1" {
	init_store
	set_pw R alice a
	run "$DPW" --sqlite "$DB" --group-add R alice
	one_line_error "--group-add takes REALM USER GROUP (see --help)"
	run "$DPW" --sqlite "$DB" --group-del R alice g extra
	one_line_error "--group-del takes REALM USER GROUP (see --help)"
	run "$DPW" --group-add "$W/file" R alice g
	one_line_error "--group-add needs --sqlite DB"
	run "$DPW" --sqlite "$DB" --group-add --group-del R alice g
	one_line_error "--group-add and --group-del cannot be combined"
	run "$DPW" --sqlite "$DB" -D --group-add R alice g
	one_line_error "-D and --group-add cannot be combined"
	run "$DPW" --sqlite "$DB" -c --group-add R alice g
	one_line_error "-c cannot be combined with --group-add"
	run "$DPW" --sqlite "$DB" -i --group-del R alice g
	one_line_error "-i cannot be combined with --group-del"
	[ "$(q 'SELECT count(*) FROM digest_groups')" = 0 ]
}

@test "30 concurrent --group-add on one user: none lost" {
	init_store
	set_pw R alice a
	for i in $(seq 1 30); do
		"$DPW" --sqlite "$DB" --group-add R alice "g$i" 2>/dev/null 3>&- &
	done
	wait
	[ "$(q "SELECT count(*) FROM digest_groups WHERE user = 'alice' AND realm = 'R'")" = 30 ]
	"$DPW" --sqlite "$DB" -l R | grep -q $'^alice:R\tg1,g10,g11,'
}
