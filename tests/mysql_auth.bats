#!/usr/bin/env bats
# digest_mysql_auth (digest_mysql_auth(8)) against a real MariaDB server on
# 127.0.0.1, started once for the file (tests/lib/mysql.bash): the cases
# of pgsql_auth.bats, for the other SQL engine (those that read the same on
# both are in tests/lib/sqlsuite.bash).  The helper logs in as
# digest_reader, which has SELECT on the database and nothing else (and
# EXECUTE on one function, to show that a writing query is refused); the
# store is made as digest_admin with lib/myschema.h.  Every expected HA1
# is computed here with md5sum, independently of our code.
#
# The database "digest":
#   digest_users/digest_groups  the default schema:
#     alice   $R1 'alice pw' (groups staff, 'R&D "west"'), $R2 'alice two'
#     bob     $R1 'bob pw', no groups
#     dave    $R1, disabled
#     alice   in the hostile corpus's realms, password 'pw'
#   accounts  an application's table, for -q: login, domain, digest,
#             locked, tag, dept
#   radcheck  FreeRADIUS's table, for --plaintext: bob's Cleartext-Password,
#             twin's twice (ambiguous), mallory's 'not-an-ha1' for -q
#   audit     written by the function bump(): a query using it must not
#             write
#
# The outage tests stop, freeze and kill the server; they come last, the
# fail-over drill (a primary and a binlog replica) at the very end.

bats_require_minimum_version 1.5.0

load lib/common
load lib/bg
load lib/mysql
load lib/sqlsuite

DMA="$top_builddir/digest_mysql_auth"
BG_PROG=$DMA BG_ASK_S=15 BG_FINISH_S=30	# lib/bg
SQL_PROG=digest_mysql_auth	# lib/sqlsuite: the users, R1, R2, HA_*, the shared cases

# --- the store ------------------------------------------------------------------

# sq STRING: STRING as an SQL string literal (quotes and backslashes doubled)
sq() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

# user_row REALM USER PASSWORD [ENABLED]: a digest_users row
user_row() {
	printf "INSERT INTO digest_users VALUES (%s, %s, '%s', %s);\n" \
		"$(sq "$2")" "$(sq "$1")" "$(md5hex "$2:$1:$3")" "${4:-TRUE}"
}

store_setup() {
	my_schema || return 1
	local r
	{
		user_row "$R1" alice 'alice pw'
		user_row "$R2" alice 'alice two'
		user_row "$R1" bob 'bob pw'
		user_row "$R1" dave 'dave pw' FALSE
		for r in "${REALMS[@]}"; do user_row "$r" alice pw; done
		cat <<-SQL
		INSERT INTO digest_groups VALUES ('alice', '$R1', 'staff'), ('alice', '$R1', 'R&D "west"');
		CREATE TABLE accounts (login VARCHAR(64), domain VARCHAR(64), digest VARCHAR(64),
		  locked BOOLEAN NOT NULL DEFAULT FALSE, tag VARCHAR(64), dept VARCHAR(64));
		INSERT INTO accounts VALUES ('carol', 'shop', '${HA_CAROL^^}', FALSE, 'gold', 'sales'),
		  ('carl', 'shop', '$(md5hex "carl:shop:x")', TRUE, NULL, NULL),
		  ('nodept', 'shop', '$(md5hex "nodept:shop:x")', FALSE, 'x', NULL),
		  ('nulldigest', 'shop', NULL, FALSE, NULL, NULL),
		  ('badhex', 'shop', 'zz-not-hex', FALSE, NULL, NULL);
		CREATE TABLE radcheck (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		  username VARCHAR(64) NOT NULL DEFAULT '', attribute VARCHAR(64) NOT NULL DEFAULT '',
		  op CHAR(2) NOT NULL DEFAULT '==', value VARCHAR(253) NOT NULL DEFAULT '');
		INSERT INTO radcheck (username, attribute, op, value) VALUES
		  ('bob', 'Cleartext-Password', ':=', 'bob pw'), ('bob', 'Simultaneous-Use', ':=', '1'),
		  ('twin', 'Cleartext-Password', ':=', 'one'), ('twin', 'Cleartext-Password', ':=', 'two'),
		  ('mallory', 'Cleartext-Password', ':=', 'not-an-ha1'),
		  ('mallet', 'Cleartext-Password', ':=', 'not-an-ha1 either');
		CREATE TABLE audit (who VARCHAR(255));
		DELIMITER //
		CREATE FUNCTION bump(u VARCHAR(255)) RETURNS VARCHAR(255) MODIFIES SQL DATA
		  BEGIN INSERT INTO audit VALUES (u); RETURN u; END//
		DELIMITER ;
		SQL
	} | my_sql || return 1
	my_root "$MY_DIR" <<-SQL
	GRANT EXECUTE ON FUNCTION digest.bump TO 'digest_reader'@'127.0.0.1';
	SQL
}

setup_file() {
	# not built (configured without libmariadb): setup skips, or fails in CI
	[ -x "$DMA" ] || return 0
	write_stream_py
	python3 "$CHECK" stream "$CORPUS" "$BATS_FILE_TMPDIR/corpus.req" || return 1
	my_installed || return 0	# setup's my_require skips (or fails in CI)
	my_setup "$BATS_FILE_TMPDIR/my" || return 1
	store_setup || { my_teardown; return 1; }
}

teardown_file() {
	my_teardown
}

setup() {
	[ -x "$DMA" ] || require_cmd "$DMA"
	my_require
	C=(--defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database digest)
}

teardown() {
	bg_cleanup	# a helper left by a failed test
	# the outage tests freeze and stop the server: leave it up for the next
	my_thaw
	[ -z "${MY_DIR:-}" ] || my_up "$MY_DIR" || my_start || true
}

# --- helpers --------------------------------------------------------------------

# dma ARGS...: our helper with the reader's connection, stderr to $(ERRF)
dma() {
	"$DMA" "${C[@]}" "$@" 2>"$(ERRF)"
}

# lib/sqlsuite's hooks: the helper with the reader's connection, in the
# background, and SQL as the store's owner
sqlh() { dma "$@"; }
sqlh_bg() { bg_start "${C[@]}" "$@"; }
sql_exec() { my_sql "$@"; }

# my_freeze / my_thaw: SIGSTOP / SIGCONT the server (one process)
my_freeze() {
	MY_FROZEN=$(my_pids)
	freeze $MY_FROZEN
}

my_thaw() {
	[ -n "${MY_FROZEN:-}" ] || return 0
	kill -CONT $MY_FROZEN 2>/dev/null || true
	MY_FROZEN=
}

# --- the default schema -----------------------------------------------------------

@test "the default schema: OK with the HA1 per realm, ERR for unknown users, realms and disabled users" {
	sql_case_default_schema
}

@test "groups from digest_groups: group=\"...\" annotations, quoted, in order" {
	sql_case_groups
}

@test "a disabled user is ERR, OK again once enabled; debug says why" {
	sql_case_disabled
}

@test "a lone request is answered at once, without more input or end of input" {
	sql_case_lone
}

@test "malformed lines are BH without a lookup, and the stream stays in step" {
	sql_case_malformed
}

@test "the hostile corpus: one reply per line, of the expected class, with its ID" {
	# -j 1: one lookup at a time, so the replies keep the corpus's order
	sql_case_corpus -j 1
}

# --- concurrency ----------------------------------------------------------------

@test "1,000 requests with channel IDs, -j 4 and -j 1: every ID once, right answers" {
	sql_case_ids 4
}

@test "lines without channel IDs are answered in order" {
	sql_case_ordered
}

# --- custom queries -------------------------------------------------------------

@test "-q: :user and :realm bound; literals, identifiers and comments are left alone; columns become annotations" {
	local q
	q='SELECT digest, tag, dept AS `dept_`, '"':user'"' AS lit_, ":realm" AS `qx_`
	   FROM accounts /* :nope */ # :hash to the end of the line
	   WHERE login = :user AND domain = :realm -- :realm in a comment
	   AND NOT locked AND '"'it\\'s :x'"' = "it'"'"'s :x" AND 1--1 = 2'
	run --separate-stderr dma -q "$q" <<-IN
	$(req carol shop)
	$(req carl shop)
	$(req nodept shop)
	$(req nulldigest shop)
	$(req carol other)
	IN
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = "$(ok "$HA_CAROL" 'tag="gold" dept_="sales" lit_=":user" qx_=":realm"')" ]
	[ "${lines[1]}" = "$NO_USER" ]	# locked
	[ "${lines[2]}" = "$(ok "$(md5hex "nodept:shop:x")" 'tag="x" lit_=":user" qx_=":realm"')" ]
	[ "${lines[3]}" = "$NO_USER" ]	# a NULL HA1
	[ "${lines[4]}" = "$NO_USER" ]
}

@test "-q without :realm answers every realm; -q alone has no groups; :user twice is bound twice" {
	run dma -q "SELECT ha1 FROM digest_users WHERE username = :user AND realm = '$R1'" <<-IN
	$(req alice)
	$(req alice elsewhere)
	IN
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE1")" ]
	run dma -q "SELECT ha1 FROM digest_users WHERE username = :user AND realm = :realm AND :user = username AND :realm <> ''" <<<"$(req bob)"
	[ "$output" = "$(ok "$HA_BOB1")" ]
}

@test "-q: a value that is not an HA1 is BH, logged once per user, never with the value" {
	run --separate-stderr dma -q "SELECT value FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'" <<-IN
	$(req mallory)
	$(req mallory)
	$(req mallet)
	IN
	[ "${lines[0]}" = 'BH message="Stored HA1 is malformed"' ]
	[ "${lines[1]}" = 'BH message="Stored HA1 is malformed"' ]
	[ "${lines[2]}" = 'BH message="Stored HA1 is malformed"' ]
	[ "$(grep -c 'user "mallory" .*not 32 hex digits' "$(ERRF)")" -eq 1 ]
	[ "$(grep -c 'user "mallet" .*not 32 hex digits' "$(ERRF)")" -eq 1 ]
	refute_grep -- 'not-an-ha1' "$(ERRF)"
}

@test "-q: more than one row is ERR (ambiguous), and logged" {
	run --separate-stderr dma -q "SELECT md5(CONCAT(username, ':', :realm, ':', value)) FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'" <<<"$(req twin)"
	[ "$output" = "$NO_USER" ]
	grep -q 'user "twin" realm .*returned 2 rows; answering ERR' "$(ERRF)"
}

@test "--plaintext over a FreeRADIUS radcheck table: the HA1 is computed for the realm asked" {
	local q="SELECT value FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'"
	run --separate-stderr dma --plaintext -q "$q" <<-IN
	$(req bob)
	1 $(req bob "$R2")
	$(req nobody)
	$(req twin)
	IN
	[ "${lines[0]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[1]}" = "1 $(ok "$(md5hex "bob:$R2:bob pw")")" ]
	[ "${lines[2]}" = "$NO_USER" ]
	[ "${lines[3]}" = "$NO_USER" ]
	refute_grep -- 'bob pw' "$(ERRF)"
	# the default schema holds HA1s: --plaintext needs -q
	run --separate-stderr "$DMA" "${C[@]}" --plaintext </dev/null
	one_line_error "--plaintext needs -q"
}

@test "-g: each row's column is a group; a failed group query is BH, never OK without the groups" {
	local g="SELECT CONCAT('g-', :user, '-', :realm) UNION ALL SELECT NULL
	         UNION ALL SELECT CASE WHEN :user = 'bob' THEN (SELECT 1 UNION SELECT 2) ELSE '1' END"
	run --separate-stderr dma -g "$g" <<-IN
	$(req alice)
	$(req bob)
	$(req nobody)
	IN
	[ "${lines[0]}" = "$(ok "$HA_ALICE1" "group=\"g-alice-$R1\" group=\"1\"")" ]
	[ "${lines[1]}" = 'BH message="MariaDB query failed"' ]
	[ "${lines[2]}" = "$NO_USER" ]
	grep -q 'group query failed: Subquery returns more than 1 row (error 1242' "$(ERRF)"
}

@test "bad -q and -g are refused at start-up, one line, exit 1" {
	local q
	for q in "SELECT ha1 FROM digest_users WHERE realm = :realm|bad -q query: it must use :user" \
		"SELECT ha1 FROM digest_users WHERE username = :user AND realm = :domain|unknown parameter :domain" \
		"SELECT ha1 FROM digest_users WHERE username = ?|use :user and :realm, not ?" \
		"SELEC ha1 WHERE :user = ''|error in your SQL syntax" \
		"SELECT ha1 FROM nosuch WHERE u = :user|Table 'digest.nosuch' doesn't exist" \
		"SELECT ha1, realm FROM digest_users WHERE username = :user|column 2 is named \"realm\"" \
		"SELECT ha1 FROM digest_users WHERE username = :user; SELECT 1|error in your SQL syntax" \
		"SELECT ha1 FROM digest_users WHERE username = 'x' AND ':user'|it must use :user"; do
		run --separate-stderr "$DMA" "${C[@]}" -q "${q%%|*}" </dev/null
		one_line_error "${q#*|}"
	done
	run --separate-stderr "$DMA" "${C[@]}" -g "SELECT grp, username FROM digest_groups WHERE username = :user" </dev/null
	one_line_error "bad -g query: it returns 2 columns; it must return exactly one, the group"
	run --separate-stderr "$DMA" "${C[@]}" -q '' </dev/null
	one_line_error "-q needs an SQL query"
}

@test "a -q that would write is refused at start-up; the session writes nothing, ever" {
	local q
	# the reader may only SELECT: the server refuses to prepare a write
	for q in "INSERT INTO audit VALUES (:user) RETURNING who" \
		"DELETE FROM audit WHERE who = :user RETURNING who"; do
		run --separate-stderr "$DMA" "${C[@]}" -q "$q" </dev/null
		one_line_error "bad -q query: "*"command denied to user 'digest_reader'"
	done
	# a function that writes is caught at start-up (MariaDB checks it when
	# preparing, in the read-only session), even where the empty user of
	# the start-up run would not call it
	for q in "SELECT bump(:user)" "SELECT CASE WHEN :user <> '' THEN bump(:user) END"; do
		run --separate-stderr "$DMA" "${C[@]}" -q "$q" </dev/null
		one_line_error "bad -q query: it must only read, but Cannot execute statement in a READ ONLY transaction"
	done
	[ "$(my_sql 'SELECT count(*) FROM audit')" -eq 0 ]
}

@test "a statement that runs past -t is BH; the others are answered" {
	local q="SELECT ha1 FROM digest_users WHERE username = :user AND realm = :realm
	         AND SLEEP(CASE WHEN :user = 'bob' THEN 5 ELSE 0 END) = 0"
	run --separate-stderr dma -t 1 -q "$q" <<-IN
	1 $(req bob)
	2 $(req alice)
	3 $(req nobody)
	4 $(req alice "$R2")
	IN
	printf '%s\n' "${lines[@]}" | grep -qx '1 BH message="MariaDB query timed out"'
	grep -q 'MariaDB query timed out (-t 1 s)' "$(ERRF)"
	printf '%s\n' "${lines[@]}" | grep -qx "2 $(ok "$HA_ALICE1")"
	printf '%s\n' "${lines[@]}" | grep -qx "3 $NO_USER"
	printf '%s\n' "${lines[@]}" | grep -qx "4 $(ok "$HA_ALICE2")"
	[ "${#lines[@]}" -eq 4 ]
}

# --- hostile input --------------------------------------------------------------

@test "SQL injection through user and realm: data, never SQL; never OK for another user" {
	local before
	before=$(my_sql 'SELECT count(*) FROM digest_users')
	run dma <<-'IN'
	"x' OR '1'='1":"Main Realm"
	"alice' --":"Main Realm"
	"alice'; DELETE FROM digest_users; --":"Main Realm"
	"alice":"x' OR '1'='1"
	"alice":"Main Realm' OR realm <> '"
	"%":"Main Realm"
	"_lice":"Main Realm"
	"alice\":"Main Realm"
	"alice\' OR 1=1 #":"Main Realm"
	"?":"?"
	":user":":realm"
	"alice`":"Main Realm"
	"alice') UNION SELECT ha1, 1 FROM digest_users #":"Main Realm"
	"ALICE":"Main Realm"
	"alice ":"Main Realm"
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 15 ]
	for line in "${lines[@]}"; do
		[ "$line" = "$NO_USER" ] || { echo "got: $line"; false; }
	done
	# an invalid UTF-8 name is ERR without a query (the session is utf8mb4)
	run --separate-stderr dma -d < <(printf '"alice\xc3":"%s"\n"alice":"\xff"\n' "$R1")
	[ "${lines[0]}" = "$NO_USER" ]
	[ "${lines[1]}" = "$NO_USER" ]
	[ "$(grep -c 'not valid UTF-8' "$(ERRF)")" -eq 2 ]
	# and through -q's parameters and annotation columns alike
	run dma -q "SELECT digest, tag FROM accounts WHERE login = :user AND domain = :realm" <<-'IN'
	"carol' OR '1'='1":"shop"
	"carol":"shop' OR 'x'='x"
	"carol\' OR 1 -- ":"shop"
	IN
	[ "${lines[0]}" = "$NO_USER" ]
	[ "${lines[1]}" = "$NO_USER" ]
	[ "${lines[2]}" = "$NO_USER" ]
	[ "$(my_sql 'SELECT count(*) FROM digest_users')" -eq "$before" ]
	run dma <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ]
}

# --- secrets and the connection options ---------------------------------------

@test "-W FILE: the password is used, and never shown, debug included; nor is an HA1" {
	local pwf="$BATS_TEST_TMPDIR/pw"
	printf '%s\n' "$MY_READER_PASSWORD" >"$pwf"
	chmod 600 "$pwf"
	run --separate-stderr "$DMA" -d -W "$pwf" --host 127.0.0.1 --port "$MY_PORT" \
		--user digest_reader --database digest <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ]
	[[ "$stderr" == *"connected to 127.0.0.1:$MY_PORT"* ]]
	[[ "$stderr" != *"$MY_READER_PASSWORD"* ]]
	[[ "$stderr" != *"$HA_ALICE1"* ]]
	# a wrong password: BH (never ERR), logged without it
	printf 'wrong-%s\n' "$MY_READER_PASSWORD" >"$pwf"
	run --separate-stderr "$DMA" -d -W "$pwf" --host 127.0.0.1 --port "$MY_PORT" \
		--user digest_reader --database digest <<<"$(req alice)"
	[ "$output" = 'BH message="MariaDB server unreachable"' ]
	[[ "$stderr" == *"Access denied for user 'digest_reader'"* ]]
	[[ "$stderr" != *"$MY_READER_PASSWORD"* ]]
	# an empty or missing file is a start-up error
	: >"$pwf"
	run --separate-stderr "$DMA" "${C[@]}" -W "$pwf" </dev/null
	one_line_error "is empty"
	run --separate-stderr "$DMA" "${C[@]}" -W "$BATS_TEST_TMPDIR/none" </dev/null
	one_line_error "the password file"
}

@test "the option file's password is used and never shown; no option takes a password" {
	run --separate-stderr "$DMA" -d "${C[@]}" <<<"$(req bob)"
	[ "$output" = "$(ok "$HA_BOB1")" ]
	[[ "$stderr" != *"$MY_READER_PASSWORD"* ]]
	run --separate-stderr "$DMA" "${C[@]}" --password "$MY_READER_PASSWORD" </dev/null
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"$MY_READER_PASSWORD"* ]]
	run --separate-stderr "$DMA" "${C[@]}" -p "$MY_READER_PASSWORD" </dev/null
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"$MY_READER_PASSWORD"* ]]
}

@test "connection options: bad values, arguments and files are one-line errors" {
	run --separate-stderr "$DMA" "${C[@]}" extra </dev/null
	one_line_error "unexpected argument"
	run --separate-stderr "$DMA" --host 127.0.0.1 </dev/null
	one_line_error "no database"
	run --separate-stderr "$DMA" "${C[@]}" --port 0 </dev/null
	one_line_error "--port must be 1 to 65535"
	run --separate-stderr "$DMA" "${C[@]}" --host 'a:99999' </dev/null
	one_line_error "--host: a port must be 1 to 65535"
	run --separate-stderr "$DMA" "${C[@]}" --host 'a,,b' </dev/null
	one_line_error "--host: an empty host name"
	run --separate-stderr "$DMA" "${C[@]}" --ssl-mode sometimes </dev/null
	one_line_error "--ssl-mode must be DISABLED, REQUIRED or VERIFY_IDENTITY"
	run --separate-stderr "$DMA" --defaults-file "$BATS_TEST_TMPDIR/none" --database digest </dev/null
	one_line_error "--defaults-file"
	run --separate-stderr "$DMA" "${C[@]}" -j 0 </dev/null
	one_line_error "-j must be 1 to 1024"
	run --separate-stderr "$DMA" "${C[@]}" -t 0 </dev/null
	one_line_error "-t) must be 1 to 3600 seconds"
}

@test "--ssl-mode REQUIRED against a server without TLS: BH, never ERR, and why is logged" {
	run --separate-stderr "$DMA" "${C[@]}" --ssl-mode REQUIRED <<<"$(req alice)"
	[ "$status" -eq 0 ]
	[ "$output" = 'BH message="MariaDB server unreachable"' ]
	[[ "$stderr" == *"MariaDB connection failed"*"the server did not use TLS (--ssl-mode REQUIRED)"* ]]
}

@test "TLS: REQUIRED and VERIFY_IDENTITY with --ssl-ca are used; a CA that signed nothing of the server's is BH" {
	# OK only when the session runs over TLS
	local q="SELECT ha1 FROM digest_users WHERE username = :user AND realm = :realm
	         AND (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS
	              WHERE VARIABLE_NAME = 'Ssl_cipher') <> ''"
	my_tls_on
	run dma --host 127.0.0.1 --ssl-mode REQUIRED -q "$q" <<<"$(req bob)"
	[ "$output" = "$(ok "$HA_BOB1")" ]
	run dma --host 127.0.0.1 --ssl-mode VERIFY_IDENTITY --ssl-ca "$MY_TLS_DIR/ca.pem" -q "$q" <<<"1 $(req bob)"
	[ "$output" = "1 $(ok "$HA_BOB1")" ]
	run dma --host 127.0.0.1 --ssl-mode DISABLED -q "$q" <<<"$(req bob)"
	[ "$output" = "$NO_USER" ]
	run --separate-stderr dma --host 127.0.0.1 --ssl-mode VERIFY_IDENTITY --ssl-ca "$MY_TLS_DIR/other.pem" <<<"$(req bob)"
	[ "$output" = 'BH message="MariaDB server unreachable"' ]
	grep -q 'MariaDB connection failed: 127.0.0.1:.*TLS/SSL error' "$(ERRF)"
	run --separate-stderr "$DMA" "${C[@]}" --ssl-ca "$BATS_TEST_TMPDIR/none" </dev/null
	one_line_error "--ssl-ca"
	my_tls_off
}

@test "no digest-helpers schema: a start-up error" {
	my_root "$MY_DIR" <<-SQL
	CREATE DATABASE IF NOT EXISTS empty_one;
	GRANT SELECT ON empty_one.* TO 'digest_reader'@'127.0.0.1';
	SQL
	run --separate-stderr "$DMA" --defaults-file "$MY_READER_CNF" --port "$MY_PORT" --database empty_one </dev/null
	echo 'DROP DATABASE empty_one' | my_root "$MY_DIR"
	one_line_error "no digest-helpers schema in the database"
}

# --- outages (these stop, freeze and kill the server: keep them last) ----------

@test "a server that cannot be reached at start: the helper starts, answers BH (never ERR), exits 0" {
	local port
	port=$(free_port)
	run --separate-stderr "$DMA" --defaults-file "$MY_READER_CNF" --port "$port" --database digest <<-IN
	$(req alice)
	1 $(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'BH message="MariaDB server unreachable"' ]
	[ "${lines[1]}" = '1 BH message="MariaDB server unreachable"' ]
	[[ "$stderr" == *"MariaDB connection failed"* ]]
}

@test "the server stopped mid-stream: BH, never ERR; OK again after its restart, same helper" {
	local n
	bg_start "${C[@]}" --host 127.0.0.1
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	ask_expect "$(req nobody)" "$NO_USER"
	my_stop
	ask_expect "2 $(req alice)" '2 BH message="MariaDB server unreachable"'
	ask_expect "$(req nobody)" 'BH message="MariaDB server unreachable"'
	my_start
	n=$(until_ok "3 $(req bob)" "3 $(ok "$HA_BOB1")" 20)
	echo "BH while the server came back: $n" >&3
	ask_expect "$(req nobody)" "$NO_USER"
	grep -q "MariaDB connection to 127.0.0.1:$MY_PORT is back" "$BATS_TEST_TMPDIR/bg.err"
	bg_finish
}

@test "a restart under a stream of lookups: none lost, none answered twice, never ERR" {
	local out="$BATS_TEST_TMPDIR/stream"
	python3 "$BATS_FILE_TMPDIR/stream.py" 7 200 "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" \
		"$DMA" "${C[@]}" --host 127.0.0.1 >"$out" 2>"$(ERRF)" &
	local sp=$!
	sleep 2
	my_stop
	sleep 1
	my_start
	wait "$sp" || { cat "$out" "$(ERRF)"; false; }
	echo "restart: $(head -n 2 "$out" | tr '\n' ' ')" >&3
	grep -q "is back" "$(ERRF)"
}

@test "a frozen server (SIGSTOP): BH within -t, the helper lives; OK after SIGCONT" {
	local t0 f="$BATS_TEST_TMPDIR/replies" took
	bg_start -t 2 "${C[@]}"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	my_freeze
	t0=$(now_ms)
	printf '%s\n' "2 $(req alice)" "3 $(req bob)" "4 $(req nobody)" >&7
	collect 3 10 "$f"
	took=$(($(now_ms) - t0))
	echo "the lookups on the frozen server answered in $took ms: $(cut -d' ' -f2- "$f" | sort | uniq -c | tr '\n' ' ')" >&3
	# never ERR, never OK: the server did not answer
	refute_grep -v 'BH message="MariaDB ' "$f"
	diff <(seq 2 4) <(cut -d' ' -f1 "$f" | sort -n)
	# -t 2 and the second of grace
	[ "$took" -lt 4500 ]
	kill -0 "$BG_PID"
	my_thaw
	until_ok "5 $(req bob)" "5 $(ok "$HA_BOB1")" 30 >/dev/null
	ask_expect "6 $(req alice)" "6 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	bg_finish
}

replica_has_alice() {
	[ "$(my_sql_on "$MY_REPLICA_PORT" "SELECT count(*) FROM digest_users WHERE username = 'alice'" 2>/dev/null)" = 7 ]
}

@test "fail-over drill: the primary killed (-9) under a stream; the helper moves to the replica, no line without a reply" {
	local out="$BATS_TEST_TMPDIR/stream" sp
	my_replica_setup
	wait_for 20 replica_has_alice
	# a change on the primary reaches the replica
	my_sql "INSERT INTO digest_groups VALUES ('bob', '$R1', 'replicated')"
	my_replica_sync
	[ "$(my_sql_on "$MY_REPLICA_PORT" "SELECT grp FROM digest_groups WHERE username = 'bob'")" = replicated ]
	my_sql "DELETE FROM digest_groups WHERE username = 'bob'"
	python3 "$BATS_FILE_TMPDIR/stream.py" 8 300 "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" \
		"$DMA" --defaults-file "$MY_READER_CNF" --database digest \
		--host "127.0.0.1:$MY_PORT,127.0.0.1:$MY_REPLICA_PORT" >"$out" 2>"$(ERRF)" &
	sp=$!
	sleep 3
	my_kill_primary
	wait "$sp" || { cat "$out" "$(ERRF)"; false; }
	echo "fail-over: $(head -n 2 "$out" | tr '\n' ' ')" >&3
	grep -q "now using 127.0.0.1:$MY_REPLICA_PORT instead of 127.0.0.1:$MY_PORT" "$(ERRF)"
	# only what was in flight may be BH: at most -j of them
	[ "$(sed -n 's/.* BH=\([0-9]*\) .*/\1/p' "$out")" -le 4 ]
	my_start
}
