#!/usr/bin/env bats
# digest_pgsql_auth (digest_pgsql_auth(8)) against a real PostgreSQL server
# on 127.0.0.1, started once for the file (tests/lib/pgsql.bash).  The
# helper logs in as the read-only role digest_reader; the store is made
# with digest_passwd --pgsql as digest_admin.  Every expected HA1 is
# computed here with md5sum, independently of our code.  The cases that
# read the same on MariaDB (mysql_auth.bats) are in tests/lib/sqlsuite.bash.
#
# The database "digest":
#   digest_users/digest_groups  the default schema (digest_passwd --init):
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
# fail-over drill (primary and hot standby) at the very end.

bats_require_minimum_version 1.5.0

load lib/common
load lib/bg
load lib/pgsql
load lib/sqlsuite

DPA="$top_builddir/digest_pgsql_auth"
DPW="$top_builddir/digest_passwd"
BG_PROG=$DPA BG_ASK_S=15 BG_FINISH_S=30	# lib/bg
SQL_PROG=digest_pgsql_auth	# lib/sqlsuite: the users, R1, R2, HA_*, the shared cases

# --- the store ------------------------------------------------------------------

# add_user REALM USER PASSWORD: with digest_passwd --pgsql
add_user() {
	printf '%s\n' "$3" | PGPASSFILE=$PG_PASSFILE "$DPW" -i --pgsql "$PG_CONNINFO_ADMIN" "$1" "$2" 2>/dev/null
}

store_setup() {
	PGPASSFILE=$PG_PASSFILE "$DPW" --pgsql "$PG_CONNINFO_ADMIN" --init >/dev/null 2>&1 ||
		pg_schema || return 1
	add_user "$R1" alice 'alice pw' && add_user "$R2" alice 'alice two' &&
		add_user "$R1" bob 'bob pw' && add_user "$R1" dave 'dave pw' || return 1
	local r
	for r in "${REALMS[@]}"; do add_user "$r" alice pw || return 1; done
	pg_psql <<-SQL
	UPDATE digest_users SET enabled = false WHERE username = 'dave';
	INSERT INTO digest_groups VALUES ('alice', '$R1', 'staff'), ('alice', '$R1', 'R&D "west"');
	CREATE TABLE accounts (login text, domain text, digest text,
	  locked boolean NOT NULL DEFAULT false, tag text, dept text);
	INSERT INTO accounts VALUES ('carol', 'shop', '${HA_CAROL^^}', false, 'gold', 'sales'),
	  ('carl', 'shop', '$(md5hex "carl:shop:x")', true, NULL, NULL),
	  ('nodept', 'shop', '$(md5hex "nodept:shop:x")', false, 'x', NULL),
	  ('nulldigest', 'shop', NULL, false, NULL, NULL),
	  ('badhex', 'shop', 'zz-not-hex', false, NULL, NULL);
	CREATE TABLE radcheck (id serial PRIMARY KEY, username text NOT NULL DEFAULT '',
	  attribute text NOT NULL DEFAULT '', op varchar(2) NOT NULL DEFAULT '==',
	  value text NOT NULL DEFAULT '');
	INSERT INTO radcheck (username, attribute, op, value) VALUES
	  ('bob', 'Cleartext-Password', ':=', 'bob pw'), ('bob', 'Simultaneous-Use', ':=', '1'),
	  ('twin', 'Cleartext-Password', ':=', 'one'), ('twin', 'Cleartext-Password', ':=', 'two'),
	  ('mallory', 'Cleartext-Password', ':=', 'not-an-ha1'),
	  ('mallet', 'Cleartext-Password', ':=', 'not-an-ha1 either');
	GRANT USAGE ON SEQUENCE radcheck_id_seq TO digest_reader;
	CREATE TABLE audit (who text);
	CREATE FUNCTION bump(u text) RETURNS text LANGUAGE sql
	  AS \$\$ INSERT INTO audit VALUES (u) RETURNING u \$\$;
	SQL
}

setup_file() {
	# not built (configured without libpq): setup skips, or fails in CI
	[ -x "$DPA" ] || return 0
	write_stream_py
	python3 "$CHECK" stream "$CORPUS" "$BATS_FILE_TMPDIR/corpus.req" || return 1
	pg_installed || return 0	# setup's pg_require skips (or fails in CI)
	pg_setup "$BATS_FILE_TMPDIR/pg" || return 1
	store_setup || { pg_teardown; return 1; }
}

teardown_file() {
	pg_teardown
}

setup() {
	[ -x "$DPA" ] || require_cmd "$DPA"
	pg_require
	export PGPASSFILE=$PG_PASSFILE
	C=$PG_CONNINFO_READER
}

teardown() {
	bg_cleanup	# a helper left by a failed test
	# the outage tests freeze and stop the server: leave it up for the next
	pg_thaw
	[ -z "${PG_PORT:-}" ] || pg_up "$PG_PORT" || pg_start || true
}

# --- helpers --------------------------------------------------------------------

# dpa ARGS...: our helper, stderr to $(ERRF)
dpa() {
	"$DPA" "$@" 2>"$(ERRF)"
}

# lib/sqlsuite's hooks: the helper with the reader's CONNINFO (last), in
# the background, and SQL as the store's owner
sqlh() { dpa "$@" "$C"; }
sqlh_bg() { bg_start "$@" "$C"; }
sql_exec() { pg_psql "$@"; }

# pg_pids: the postmaster and its children
pg_pids() {
	local pm
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
	echo "$pm" $(cat "/proc/$pm/task/$pm/children" 2>/dev/null)
}

# pg_freeze / pg_thaw: SIGSTOP / SIGCONT the server, every process of it
pg_freeze() {
	PG_FROZEN=$(pg_pids)
	freeze $PG_FROZEN
}

pg_thaw() {
	[ -n "${PG_FROZEN:-}" ] || return 0
	kill -CONT $PG_FROZEN 2>/dev/null || true
	PG_FROZEN=
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
	sql_case_corpus
}

# --- concurrency ----------------------------------------------------------------

@test "1,000 requests with channel IDs, -j 16 and -j 1: every ID once, right answers" {
	sql_case_ids 16
}

@test "lines without channel IDs are answered in order" {
	sql_case_ordered
}

# --- custom queries -------------------------------------------------------------

@test "-q: :user and :realm bound as text; literals, comments and casts are left alone; columns become annotations" {
	local q
	q="SELECT digest, tag, dept AS \"dept_\", ':user' AS \"lit_\"
	   FROM accounts /* :nope /* nested :x */ */
	   WHERE login = :user AND domain = :realm::text -- :realm in a comment
	   AND NOT locked AND \$\$:dollar\$\$ = ':' || 'dollar' AND E'\\':x' = ''':x'"
	run --separate-stderr dpa -q "$q" "$C" <<-IN
	$(req carol shop)
	$(req carl shop)
	$(req nodept shop)
	$(req nulldigest shop)
	$(req carol other)
	IN
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = "$(ok "$HA_CAROL" 'tag="gold" dept_="sales" lit_=":user"')" ]
	[ "${lines[1]}" = "$NO_USER" ]	# locked
	[ "${lines[2]}" = "$(ok "$(md5hex "nodept:shop:x")" 'tag="x" lit_=":user"')" ]
	[ "${lines[3]}" = "$NO_USER" ]	# a NULL HA1
	[ "${lines[4]}" = "$NO_USER" ]
}

@test "-q without :realm answers every realm; -q alone has no groups" {
	run dpa -q 'SELECT ha1 FROM digest_users WHERE username = :user AND realm = '"'$R1'" "$C" <<-IN
	$(req alice)
	$(req alice elsewhere)
	IN
	[ "${lines[0]}" = "$(ok "$HA_ALICE1")" ]
	[ "${lines[1]}" = "$(ok "$HA_ALICE1")" ]
}

@test "-q: a value that is not an HA1 is BH, logged once per user, never with the value" {
	run --separate-stderr dpa -q "SELECT value FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'" "$C" <<-IN
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
	run --separate-stderr dpa -q "SELECT md5(username || ':' || :realm || ':' || value) FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'" "$C" <<<"$(req twin)"
	[ "$output" = "$NO_USER" ]
	grep -q 'user "twin" realm .*returned 2 rows; answering ERR' "$(ERRF)"
}

@test "--plaintext over a FreeRADIUS radcheck table: the HA1 is computed for the realm asked" {
	local q="SELECT value FROM radcheck WHERE username = :user AND attribute = 'Cleartext-Password'"
	run --separate-stderr dpa --plaintext -q "$q" "$C" <<-IN
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
	run --separate-stderr "$DPA" --plaintext "$C" </dev/null
	one_line_error "--plaintext needs -q"
}

@test "-g: each row's column is a group; a failed group query is BH, never OK without the groups" {
	local g="SELECT 'g-' || :user || '-' || :realm UNION ALL SELECT NULL
	         UNION ALL SELECT (1 / CASE WHEN :user = 'bob' THEN 0 ELSE 1 END)::text"
	run --separate-stderr dpa -g "$g" "$C" <<-IN
	$(req alice)
	$(req bob)
	$(req nobody)
	IN
	[ "${lines[0]}" = "$(ok "$HA_ALICE1" "group=\"g-alice-$R1\" group=\"1\"")" ]
	[ "${lines[1]}" = 'BH message="PostgreSQL query failed"' ]
	[ "${lines[2]}" = "$NO_USER" ]
	# a data exception's message may quote values: only its SQLSTATE is logged
	grep -q 'group query failed: a data exception, SQLSTATE 22012' "$(ERRF)"
}

@test "bad -q and -g are refused at start-up, one line, exit 1" {
	local q
	for q in "SELECT ha1 FROM digest_users WHERE realm = :realm|bad -q query: it must use :user" \
		"SELECT ha1 FROM digest_users WHERE username = :user AND realm = :domain|unknown parameter :domain" \
		"SELECT ha1 FROM digest_users WHERE username = \$1|use :user and :realm, not \$1" \
		"SELEC ha1 WHERE :user = ''|syntax error" \
		"SELECT ha1 FROM nosuch WHERE u = :user|relation \"nosuch\" does not exist" \
		"SELECT ha1, realm FROM digest_users WHERE username = :user|column 2 is named \"realm\"" \
		"SELECT ha1 FROM digest_users WHERE username = :user; SELECT 1|cannot insert multiple commands" \
		"SELECT ha1 FROM digest_users WHERE username = :user::int|operator does not exist"; do
		run --separate-stderr "$DPA" -q "${q%%|*}" "$C" </dev/null
		one_line_error "${q#*|}"
	done
	run --separate-stderr "$DPA" -g "SELECT grp, username FROM digest_groups WHERE username = :user" "$C" </dev/null
	one_line_error "bad -g query: it returns 2 columns; it must return exactly one, the group"
	run --separate-stderr "$DPA" -q '' "$C" </dev/null
	one_line_error "-q needs an SQL query"
}

@test "a -q that would write is refused at start-up; the session writes nothing, ever" {
	local q
	for q in "INSERT INTO audit VALUES (:user) RETURNING who" \
		"WITH d AS (DELETE FROM audit WHERE who = :user RETURNING who) SELECT who FROM d" \
		"SELECT bump(:user)" \
		"SELECT nextval('radcheck_id_seq')::text WHERE :user = ''" \
		"UPDATE accounts SET tag = 'x' WHERE login = :user RETURNING digest"; do
		run --separate-stderr "$DPA" -q "$q" "$C" </dev/null
		one_line_error "bad -q query: it must only read, but cannot execute"
		[[ "$stderr" == *"in a read-only transaction"* ]]
	done
	# a write the start-up run cannot see (not for the empty user) fails
	# at the lookup: BH
	run dpa -q "SELECT CASE WHEN :user <> '' THEN bump(:user) END" "$C" <<<"$(req alice)"
	[ "$output" = 'BH message="PostgreSQL query failed"' ]
	grep -q 'read-only transaction (SQLSTATE 25006)' "$(ERRF)"
	[ "$(pg_psql 'SELECT count(*) FROM audit')" -eq 0 ]
}

@test "a statement that runs past -t is BH; the others of its batch are answered, on the same connection" {
	local q="SELECT ha1 FROM digest_users, pg_sleep(CASE WHEN :user = 'bob' THEN 5 ELSE 0 END)
	         WHERE username = :user AND realm = :realm"
	run --separate-stderr dpa -t 1 -q "$q" "$C" <<-IN
	1 $(req bob)
	2 $(req alice)
	3 $(req nobody)
	4 $(req alice "$R2")
	IN
	[ "${lines[0]}" = '1 BH message="PostgreSQL query timed out"' ]
	[ "${lines[1]}" = "2 $(ok "$HA_ALICE1")" ]
	[ "${lines[2]}" = "3 $NO_USER" ]
	[ "${lines[3]}" = "4 $(ok "$HA_ALICE2")" ]
	refute_grep 'connection to .* lost' "$(ERRF)"
}

# --- hostile input --------------------------------------------------------------

@test "SQL injection through user and realm: data, never SQL; never OK for another user" {
	local before
	before=$(pg_psql 'SELECT count(*) FROM digest_users')
	run dpa "$C" <<-'IN'
	"x' OR '1'='1":"Main Realm"
	"alice' --":"Main Realm"
	"alice'; DELETE FROM digest_users; --":"Main Realm"
	"alice":"x' OR '1'='1"
	"alice":"Main Realm' OR realm <> '"
	"%":"Main Realm"
	"_lice":"Main Realm"
	"alice\":"Main Realm"
	"$1":"$2"
	":user":":realm"
	"$$ OR true $$":"Main Realm"
	"alice') UNION SELECT ha1, true FROM digest_users --":"Main Realm"
	"ALICE":"Main Realm"
	"alice ":"Main Realm"
	"alice\xc3":"Main Realm"
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 15 ]
	for line in "${lines[@]}"; do
		[ "$line" = "$NO_USER" ] || { echo "got: $line"; false; }
	done
	# an invalid UTF-8 name is ERR too (the database cannot hold it)
	run dpa "$C" < <(printf '"alice\xc3":"%s"\n"alice":"\xff"\n' "$R1")
	[ "${lines[0]}" = "$NO_USER" ]
	[ "${lines[1]}" = "$NO_USER" ]
	# and through -q's parameters and annotation columns alike
	run dpa -q "SELECT digest, tag FROM accounts WHERE login = :user AND domain = :realm" "$C" <<-'IN'
	"carol' OR '1'='1":"shop"
	"carol":"shop' OR 'x'='x"
	IN
	[ "${lines[0]}" = "$NO_USER" ]
	[ "${lines[1]}" = "$NO_USER" ]
	[ "$(pg_psql 'SELECT count(*) FROM digest_users')" -eq "$before" ]
	run dpa "$C" <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ]
}

# --- secrets and the connection string -----------------------------------------

@test "-W FILE: the password is used, and never shown, debug included; nor is an HA1" {
	local pwf="$BATS_TEST_TMPDIR/pw"
	printf '%s\n' "$PG_READER_PASSWORD" >"$pwf"
	chmod 600 "$pwf"
	PGPASSFILE=$BATS_TEST_TMPDIR/none run --separate-stderr "$DPA" -d -W "$pwf" "$C" <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ]
	[[ "$stderr" == *"connected to 127.0.0.1:$PG_PORT"* ]]
	[[ "$stderr" != *"$PG_READER_PASSWORD"* ]]
	[[ "$stderr" != *"$HA_ALICE1"* ]]
	# a wrong password: BH (never ERR), logged without it
	printf 'wrong-%s\n' "$PG_READER_PASSWORD" >"$pwf"
	PGPASSFILE=$BATS_TEST_TMPDIR/none run --separate-stderr "$DPA" -d -W "$pwf" "$C" <<<"$(req alice)"
	[ "$output" = 'BH message="PostgreSQL server unreachable"' ]
	[[ "$stderr" == *"password authentication failed"* ]]
	[[ "$stderr" != *"$PG_READER_PASSWORD"* ]]
	# an empty or missing file is a start-up error
	: >"$pwf"
	run --separate-stderr "$DPA" -W "$pwf" "$C" </dev/null
	one_line_error "is empty"
	run --separate-stderr "$DPA" -W "$BATS_TEST_TMPDIR/none" "$C" </dev/null
	one_line_error "the password file"
}

@test "a password in CONNINFO is refused at start-up without being shown; PGPASSWORD is ignored" {
	local s=$PG_READER_PASSWORD ci
	for ci in "$C password=$s" "$C password='$s'" \
		"postgresql://digest_reader:$s@127.0.0.1:$PG_PORT/digest" \
		"postgresql://127.0.0.1:$PG_PORT/digest?user=digest_reader&password=$s" \
		"postgresql://digest_reader:$s%zz@127.0.0.1:$PG_PORT/digest" \
		"host=127.0.0.1 password $s"; do
		run --separate-stderr "$DPA" -d "$ci" </dev/null
		[ "$status" -eq 1 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" != *"$s"* ]] || { echo "shown: $stderr"; false; }
	done
	PGPASSWORD=$s PGPASSFILE=$BATS_TEST_TMPDIR/none run --separate-stderr "$DPA" -d "$C" <<<"$(req alice)"
	[ "$output" = 'BH message="PostgreSQL server unreachable"' ]
	[[ "$stderr" == *"PGPASSWORD is ignored"* ]]
	[[ "$stderr" != *"$s"* ]]
}

@test "CONNINFO: a URI works; bad strings, missing or extra arguments and bad options are one-line errors" {
	run dpa "postgresql://digest_reader@127.0.0.1:$PG_PORT/digest" <<<"$(req bob)"
	[ "$output" = "$(ok "$HA_BOB1")" ]
	run --separate-stderr "$DPA" "host=127.0.0.1 nosuchoption=1" </dev/null
	one_line_error 'invalid connection option "nosuchoption"'
	run --separate-stderr "$DPA" </dev/null
	one_line_error "no CONNINFO given"
	run --separate-stderr "$DPA" host=a dbname=b </dev/null
	one_line_error "expected one CONNINFO, got 2 arguments"
	run --separate-stderr "$DPA" -j 0 "$C" </dev/null
	one_line_error "-j must be 1 to 1024"
	run --separate-stderr "$DPA" -t 0 "$C" </dev/null
	one_line_error "-t) must be 1 to 3600 seconds"
}

@test "no digest-helpers schema: a start-up error naming digest_passwd --init" {
	# a search_path where digest_schema_version is not
	pg_psql "CREATE SCHEMA empty_one" "GRANT USAGE ON SCHEMA empty_one TO digest_reader"
	run --separate-stderr "$DPA" "$C options=-csearch_path=empty_one" </dev/null
	pg_psql "DROP SCHEMA empty_one"
	one_line_error "no digest-helpers schema in the database; create it with 'digest_passwd --pgsql CONNINFO --init'"
}

# --- outages (these stop, freeze and kill the server: keep them last) ----------

@test "a server that cannot be reached at start: the helper starts, answers BH (never ERR), exits 0" {
	local port
	port=$(free_port)
	run --separate-stderr "$DPA" "host=127.0.0.1 port=$port dbname=digest user=digest_reader" <<-IN
	$(req alice)
	1 $(req nobody)
	IN
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'BH message="PostgreSQL server unreachable"' ]
	[ "${lines[1]}" = '1 BH message="PostgreSQL server unreachable"' ]
	[[ "$stderr" == *"PostgreSQL connection failed"*"Connection refused"* ]]
}

@test "the server stopped mid-stream: BH, never ERR; OK again after its restart, same helper" {
	local n
	bg_start -j 16 "$C"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	ask_expect "$(req nobody)" "$NO_USER"
	pg_stop
	ask_expect "2 $(req alice)" '2 BH message="PostgreSQL server unreachable"'
	ask_expect "$(req nobody)" 'BH message="PostgreSQL server unreachable"'
	pg_start
	n=$(until_ok "3 $(req bob)" "3 $(ok "$HA_BOB1")" 20)
	echo "BH while the server came back: $n" >&3
	ask_expect "$(req nobody)" "$NO_USER"
	grep -q "PostgreSQL connection to 127.0.0.1:$PG_PORT is back" "$BATS_TEST_TMPDIR/bg.err"
	bg_finish
}

@test "a restart under a stream of lookups: none lost, none answered twice, never ERR" {
	local out="$BATS_TEST_TMPDIR/stream"
	python3 "$BATS_FILE_TMPDIR/stream.py" 7 200 "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" \
		"$DPA" -j 16 "$C" >"$out" 2>"$(ERRF)" &
	local sp=$!
	sleep 2
	pg_stop
	sleep 1
	pg_start
	wait "$sp" || { cat "$out" "$(ERRF)"; false; }
	echo "restart: $(head -n 2 "$out" | tr '\n' ' ')" >&3
	grep -q "is back" "$(ERRF)"
}

@test "a frozen server (SIGSTOP): BH within -t, the helper lives; OK after SIGCONT" {
	local t0 f="$BATS_TEST_TMPDIR/replies" took
	bg_start -t 2 -j 16 "$C connect_timeout=2"
	ask_expect "1 $(req alice)" "1 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	pg_freeze
	t0=$(now_ms)
	printf '%s\n' "2 $(req alice)" "3 $(req bob)" "4 $(req nobody)" >&7
	collect 3 10 "$f"
	took=$(($(now_ms) - t0))
	echo "the lookups on the frozen server answered in $took ms: $(cut -d' ' -f2- "$f" | sort | uniq -c | tr '\n' ' ')" >&3
	# never ERR, never OK: the server did not answer
	refute_grep -v 'BH message="PostgreSQL ' "$f"
	diff <(seq 2 4) <(cut -d' ' -f1 "$f" | sort -n)
	# -t 2 and the second of grace, then one connection attempt (2 s)
	[ "$took" -lt 6000 ]
	kill -0 "$BG_PID"
	grep -q "no answer for 3000 ms" "$BATS_TEST_TMPDIR/bg.err"
	pg_thaw
	until_ok "5 $(req bob)" "5 $(ok "$HA_BOB1")" 30 >/dev/null
	ask_expect "6 $(req alice)" "6 $(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	bg_finish
}

standby_has_alice() {
	[ "$(pg_psql_as "$PG_CONNINFO_STANDBY_READER" "SELECT count(*) FROM digest_users WHERE username = 'alice'" 2>/dev/null)" = 7 ]
}

@test "fail-over drill: the primary killed (-9) under a stream; the helper moves to the hot standby, no line without a reply" {
	local out="$BATS_TEST_TMPDIR/stream" sp ci
	pg_standby_setup "$BATS_TEST_TMPDIR/standby"
	ci="host=127.0.0.1,127.0.0.1 port=$PG_PORT,$PG_STANDBY_PORT dbname=digest user=digest_reader connect_timeout=2"
	# the standby has what the primary had
	wait_for 20 standby_has_alice
	python3 "$BATS_FILE_TMPDIR/stream.py" 8 300 "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" \
		"$DPA" -j 16 "$ci" >"$out" 2>"$(ERRF)" &
	sp=$!
	sleep 3
	pg_kill_primary
	wait "$sp" || { cat "$out" "$(ERRF)"; false; }
	echo "fail-over: $(head -n 2 "$out" | tr '\n' ' ')" >&3
	grep -q "now using 127.0.0.1:$PG_STANDBY_PORT instead of 127.0.0.1:$PG_PORT" "$(ERRF)"
	# only what was in flight may be BH: at most -j of them
	[ "$(sed -n 's/.* BH=\([0-9]*\) .*/\1/p' "$out")" -le 16 ]
	pg_start
}
