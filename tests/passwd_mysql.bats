#!/usr/bin/env bats
# digest_passwd --mysql (digest_passwd(1)) against a real MariaDB server
# (tests/lib/mysql.bash, one server for the file): the schema of
# lib/myschema.h, every verb, bound values, --import in one transaction,
# concurrent writers, the option file's password never shown, and what
# digest_mysql_auth then answers.  The store is inspected with mariadb.

bats_require_minimum_version 1.5.0

load lib/common
load lib/mysql

DPW="$top_builddir/digest_passwd"
DMA="$top_builddir/digest_mysql_auth"

mysql_built() {
	grep -q '^#define HAVE_MYSQL 1' "$top_builddir/config.h"
}

setup_file() {
	mysql_built || return 0
	my_installed || return 0	# setup's my_require skips, or fails in CI
	my_setup "$BATS_FILE_TMPDIR/my" || return 1
}

teardown_file() {
	my_teardown
}

setup() {
	if ! mysql_built && [[ "$BATS_TEST_DESCRIPTION" != *"not compiled in"* ]]; then
		skip "this build has no MariaDB support"
	fi
	mysql_built || return 0
	my_require
	# the admin's option file with the port and the database
	A="$BATS_TEST_TMPDIR/admin.cnf"
	{ cat "$MY_ADMIN_CNF"; printf 'port=%s\ndatabase=digest\n' "$MY_PORT"; } >"$A"
	chmod 600 "$A"
	my_sql "DROP TABLE IF EXISTS digest_groups, digest_users, digest_schema_version"
}

init_store() {
	"$DPW" --mysql "$A" --init 2>/dev/null
}

set_pw() {	# set_pw REALM USER PASSWORD [OPTIONS...]
	local r=$1 u=$2 p=$3
	shift 3
	printf '%s\n' "$p" | "$DPW" -i --mysql "$A" "$@" "$r" "$u" 2>/dev/null
}

one_line_error() {
	[ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "expected one line: $output"; return 1; }
	[[ "${lines[0]}" == "digest_passwd: "*"$1"* ]] || { echo "expected '$1' in: $output"; return 1; }
}

@test "--init creates the shared schema, says where, and can run again" {
	run "$DPW" --mysql "$A" --init
	[ "$status" -eq 0 ]
	[[ "$output" == *"database digest: schema version 1 ready"* ]]
	run "$DPW" --mysql "$A" --init
	[ "$status" -eq 0 ]
	[ "$(my_sql 'SELECT version FROM digest_schema_version')" = 1 ]
	[ "$(my_sql "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'digest' AND table_name LIKE 'digest\\_%'")" = 3 ]
}

@test "add, change, verify, list, delete; the helper answers from the same rows" {
	init_store
	run set_pw "Squid proxy" alice 'alice pw'
	[ "$status" -eq 0 ]
	[ "$(my_sql "SELECT ha1 FROM digest_users WHERE username = 'alice'")" = "$(md5hex 'alice:Squid proxy:alice pw')" ]
	printf 'alice pw\n' | "$DPW" -v -i --mysql "$A" "Squid proxy" alice
	run --separate-stderr bash -c "printf 'nope\n' | '$DPW' -v -i --mysql '$A' 'Squid proxy' alice"
	[ "$status" -eq 3 ]
	run --separate-stderr bash -c "printf 'alice new\n' | '$DPW' -i --mysql '$A' 'Squid proxy' alice"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"changed the password of user alice in realm Squid proxy"* ]]
	run "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest <<<'"alice":"Squid proxy"'
	[ "$output" = "OK ha1=\"$(md5hex 'alice:Squid proxy:alice new')\"" ]
	run "$DPW" --mysql "$A" -l
	[ "$output" = "alice:Squid proxy" ]
	"$DPW" --mysql "$A" -D "Squid proxy" alice
	run "$DPW" --mysql "$A" -D "Squid proxy" alice
	one_line_error "user alice not found in realm Squid proxy"
	[ "$(my_sql 'SELECT count(*) FROM digest_users')" = 0 ]
}

@test "--disable and --enable keep the user; a password change keeps the flag" {
	init_store
	set_pw R bob 'bob pw'
	"$DPW" --mysql "$A" --disable R bob
	run "$DPW" --mysql "$A" -l
	[ "$output" = "bob:R (disabled)" ]
	set_pw R bob 'bob pw2'
	[ "$(my_sql "SELECT enabled FROM digest_users WHERE username = 'bob'")" = 0 ]
	run "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest <<<'"bob":"R"'
	[ "$output" = 'ERR message="No such user"' ]
	"$DPW" --mysql "$A" --enable R bob
	run "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest <<<'"bob":"R"'
	[ "$output" = "OK ha1=\"$(md5hex 'bob:R:bob pw2')\"" ]
}

@test "--group-add and --group-del; -l lists the groups; -D takes them along" {
	init_store
	set_pw R alice pw
	"$DPW" --mysql "$A" --group-add R alice staff
	"$DPW" --mysql "$A" --group-add R alice 'a,b\c'
	run "$DPW" --mysql "$A" --group-add R alice staff
	[[ "$output" == *"is already in group staff"* ]]
	run "$DPW" --mysql "$A" --group-del R alice nosuch
	one_line_error "is not in group nosuch"
	run "$DPW" --mysql "$A" --group-add R nobody staff
	one_line_error "user nobody not found in realm R"
	run "$DPW" --mysql "$A" -l R
	[ "$output" = "$(printf 'alice:R\ta\\x2cb\\x5cc,staff')" ]
	run "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest <<<'"alice":"R"'
	[ "$output" = "OK ha1=\"$(md5hex 'alice:R:pw')\" group=\"a,b\\\\c\" group=\"staff\"" ]
	"$DPW" --mysql "$A" -D R alice
	[ "$(my_sql 'SELECT count(*) FROM digest_groups')" = 0 ]
}

@test "SQL injection payloads are bound: stored and listed literally" {
	local u
	init_store
	for u in "x' OR '1'='1" "a\\' --" "b\"c" "d\`e" '?'; do
		set_pw R "$u" pw || { echo "failed for $u"; false; }
	done
	[ "$(my_sql 'SELECT count(*) FROM digest_users')" = 5 ]
	run "$DPW" --mysql "$A" -l R
	[ "${#lines[@]}" -eq 5 ]
	[[ "$output" == *"x' OR '1'='1:R"* ]]
	[[ "$output" == *"a\\' --:R"* ]]
}

@test "a database without the schema: a clear error suggesting --init; -c creates it" {
	run bash -c "printf 'pw\n' | '$DPW' -i --mysql '$A' R alice"
	one_line_error "has no digest-helpers schema; create it with: digest_passwd --mysql FILE --init"
	run "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest_passwd --mysql FILE --init"* ]]
	set_pw R alice pw -c
	[ "$(my_sql 'SELECT count(*) FROM digest_users')" = 1 ]
}

@test "--import: counts, bad lines by number only, the first line wins; one transaction" {
	local f="$BATS_TEST_TMPDIR/import"
	init_store
	set_pw R old 'old pw'
	printf '%s\n' "a:R:$(md5hex a:R:1)" "a:R:$(md5hex a:R:2)" "not a line" '# c' \
		"old:R:$(md5hex old:R:new)" >"$f"
	run --separate-stderr "$DPW" --mysql "$A" --import "$f"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"imported 2 users (1 new, 1 updated), 2 lines skipped"* ]]
	[[ "$stderr" == *"$f:3: expected user:realm:HA1"* ]]
	[[ "$stderr" != *"$(md5hex a:R:1)"* ]]
	[ "$(my_sql "SELECT ha1 FROM digest_users WHERE username = 'a'")" = "$(md5hex a:R:1)" ]
	# a line the server refuses (a name too long for the column) stops it all
	printf '%s\n' "b:R:$(md5hex b:R:1)" "$(head -c 300 /dev/zero | tr '\0' x):R:$(md5hex x:R:1)" >"$f"
	run --separate-stderr "$DPW" --mysql "$A" --import "$f"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"import stopped, nothing imported"* ]]
	[ "$(my_sql "SELECT count(*) FROM digest_users WHERE username = 'b'")" = 0 ]
}

@test "20 concurrent additions: none lost, each verifies" {
	local i pids=()
	init_store
	for i in $(seq 1 20); do
		set_pw R "u$i" "pw$i" & pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(my_sql 'SELECT count(*) FROM digest_users')" = 20 ]
	for i in $(seq 1 20); do
		printf 'pw%s\n' "$i" | "$DPW" -v -i --mysql "$A" R "u$i" 2>/dev/null
	done
}

@test "the option file's password is never printed, even with -d; a bad file is one line" {
	init_store
	run bash -c "printf 'pw\n' | '$DPW' -d -i --mysql '$A' R alice 2>&1"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$MY_ADMIN_PASSWORD"* ]]
	run "$DPW" --mysql "$BATS_TEST_TMPDIR/none" -l
	one_line_error "the option file"
	sed "s/^password=.*/password=wrong-$MY_ADMIN_PASSWORD/" "$A" >"$BATS_TEST_TMPDIR/bad.cnf"
	run "$DPW" -d --mysql "$BATS_TEST_TMPDIR/bad.cnf" -l
	[ "$status" -eq 1 ]
	[[ "$output" == *"Access denied"* ]]
	[[ "$output" != *"$MY_ADMIN_PASSWORD"* ]]
	grep -v '^database=' "$A" >"$BATS_TEST_TMPDIR/nodb.cnf"
	run "$DPW" --mysql "$BATS_TEST_TMPDIR/nodb.cnf" -l
	one_line_error "names no database"
	run "$DPW" --mysql "$A" --sqlite x.db -l
	one_line_error "and --mysql cannot be combined"
}

@test "--mysql in a build without MariaDB: \"MariaDB support not compiled in\"" {
	if mysql_built; then
		# nothing to skip: in this build --mysql is there
		run "$DPW" --mysql "$BATS_TEST_TMPDIR/none.cnf" -l
		[[ "$output" != *"not compiled in"* ]]
		return 0
	fi
	run "$DPW" --mysql x.cnf -l
	one_line_error "MariaDB support not compiled in"
}
