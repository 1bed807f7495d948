#!/usr/bin/env bats
# digest_sqlite_auth (digest_sqlite_auth(8)): the default schema made by
# digest_passwd, custom -q queries, locks, replacement on disk.

load lib/common

DSA="$top_builddir/digest_sqlite_auth"
DPW="$top_builddir/digest_passwd"

setup() {
	require_cmd sqlite3
	DB="$BATS_TEST_TMPDIR/users.db"
	"$DPW" --sqlite "$DB" --init
	printf 'wonderland\n' | "$DPW" -i --sqlite "$DB" "Realm" alice
	printf 'builder\n' | "$DPW" -i --sqlite "$DB" "Realm" bob
	printf 'other\n' | "$DPW" -i --sqlite "$DB" "Second Realm" alice
	HA_ALICE=$(md5hex 'alice:Realm:wonderland')
}

sqlask() {
	"$DSA" "$@" 2>/dev/null
}

one_line_error() {	# one_line_error PATTERN: status 1, one stderr line
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "digest_sqlite_auth: "* ]]
	[[ "${lines[0]}" == *$1* ]]
}

@test "known users get OK with their HA1 per realm; unknown users and realms ERR" {
	run sqlask "$DB" <<'IN'
"alice":"Realm"
"alice":"Second Realm"
1 "bob":"Realm"
2 "bob":"Second Realm"
"carol":"Realm"
IN
	[ "${lines[0]}" = "OK ha1=\"$HA_ALICE\"" ]
	[ "${lines[1]}" = "OK ha1=\"$(md5hex 'alice:Second Realm:other')\"" ]
	[ "${lines[2]}" = "1 OK ha1=\"$(md5hex 'bob:Realm:builder')\"" ]
	[ "${lines[3]}" = '2 ERR message="No such user"' ]
	[ "${lines[4]}" = 'ERR message="No such user"' ]
}

@test "a disabled user is ERR, and OK again once enabled" {
	"$DPW" --sqlite "$DB" --disable Realm alice
	run sqlask "$DB" <<<'"alice":"Realm"'
	[ "$output" = 'ERR message="No such user"' ]
	"$DPW" --sqlite "$DB" --enable Realm alice
	run sqlask "$DB" <<<'"alice":"Realm"'
	[ "$output" = "OK ha1=\"$HA_ALICE\"" ]
}

@test "SQL metacharacters in user and realm are data, never SQL" {
	run sqlask "$DB" <<'IN'
"x' OR 1=1 --":"Realm"
"alice":"x' OR '1'='1"
"alice' --":"Realm"
"%":"Realm"
IN
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do [ "$l" = 'ERR message="No such user"' ]; done
}

@test "-q: an existing database used unchanged, :user and :realm bound" {
	local other="$BATS_TEST_TMPDIR/legacy.db"
	sqlite3 "$other" "CREATE TABLE accounts (login TEXT, domain TEXT, digest TEXT);
		INSERT INTO accounts VALUES ('alice', 'Realm', '$HA_ALICE');
		INSERT INTO accounts VALUES ('eve', 'Realm', '$(md5hex 'eve:Realm:x')');"
	run sqlask -q 'SELECT digest FROM accounts WHERE login = :user AND domain = :realm' "$other" <<'IN'
"alice":"Realm"
"alice":"Other"
"x' OR 1=1 --":"Realm"
"eve' --":"Realm"
IN
	[ "${lines[0]}" = "OK ha1=\"$HA_ALICE\"" ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
	[ "${lines[2]}" = 'ERR message="No such user"' ]
	[ "${lines[3]}" = 'ERR message="No such user"' ]
	# the database is untouched by the helper
	[ "$(sqlite3 "$other" 'SELECT count(*) FROM accounts')" = 2 ]
}

@test "-q: a query that may return several rows is ERR (ambiguous), logged" {
	local other="$BATS_TEST_TMPDIR/dup.db"
	sqlite3 "$other" "CREATE TABLE a (u TEXT, h TEXT);
		INSERT INTO a VALUES ('alice', '$HA_ALICE'), ('alice', '$HA_ALICE');"
	run "$DSA" -q 'SELECT h FROM a WHERE u = :user' "$other" <<<'"alice":"R"'
	[[ "$output" == *"more than one row"* ]]
	[[ "$output" == *'ERR message="No such user"'* ]]
}

@test "-q: a stored value that is not an HA1 is BH, logged without the value" {
	local other="$BATS_TEST_TMPDIR/bad.db"
	sqlite3 "$other" "CREATE TABLE a (u TEXT, h TEXT);
		INSERT INTO a VALUES ('alice', 'plaintext-secret'), ('bob', NULL);"
	run "$DSA" -q 'SELECT h FROM a WHERE u = :user' "$other" <<'IN'
"alice":"R"
"bob":"R"
IN
	[[ "$output" == *'BH message="Stored HA1 is malformed"'* ]]
	[[ "$output" == *'ERR message="No such user"'* ]]
	[[ "$output" != *plaintext-secret* ]]
}

@test "start-up errors: one line, exit 1" {
	run "$DSA" -q 'SELEC digest FROM accounts' "$DB"
	one_line_error "bad -q query"
	run "$DSA" -q 'SELECT ha1, enabled FROM digest_users WHERE user = :user' "$DB"
	one_line_error "the query's column 2 is named \"enabled\", which is not an annotation Squid takes"
	run "$DSA" -q 'SELECT ha1 FROM digest_users WHERE user = :user AND realm = :domain' "$DB"
	one_line_error "only use the parameters :user and :realm"
	run "$DSA" -q 'SELECT ha1 FROM digest_users WHERE realm = :realm' "$DB"
	one_line_error "must use :user"
	run "$DSA" -q "DELETE FROM digest_users WHERE user = :user RETURNING ha1" "$DB"
	one_line_error "must only read"
	run "$DSA" "$BATS_TEST_TMPDIR/missing.db"
	one_line_error "cannot open"
	printf 'not a database\n' >"$BATS_TEST_TMPDIR/junk"
	run "$DSA" "$BATS_TEST_TMPDIR/junk"
	one_line_error "not a database"
	sqlite3 "$BATS_TEST_TMPDIR/empty.db" 'CREATE TABLE x (y)'
	run "$DSA" "$BATS_TEST_TMPDIR/empty.db"
	one_line_error "--init"
	run "$DSA"
	one_line_error "no database file"
	# nothing was deleted by the refused DELETE
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM digest_users')" = 3 ]
}

@test "a schema newer than the helper knows is refused at start" {
	sqlite3 "$DB" 'UPDATE schema_version SET version = 99'
	run "$DSA" "$DB"
	one_line_error "schema version 99 is newer"
}

@test "the database is opened read-only and left byte for byte as it was" {
	local before
	before=$(md5sum <"$DB")
	"$DSA" "$DB" <<<'"alice":"Realm"' >/dev/null 2>&1
	[ "$(md5sum <"$DB")" = "$before" ]
	run "$DSA" -q "SELECT ha1 FROM digest_users WHERE user = :user; DELETE FROM digest_users" "$DB" <<<'"alice":"Realm"'
	one_line_error "single statement"
	run "$DSA" -q "SELECT ha1 FROM digest_users WHERE user = :user AND realm = :realm;  " "$DB" <<<'"alice":"Realm"'
	[ "$output" = "OK ha1=\"$HA_ALICE\"" ]
	[ "$(md5sum <"$DB")" = "$before" ]
}

# lock_db SECONDS READY-FILE: another process holds an exclusive lock on
# $DB for SECONDS, touching READY-FILE once it has it (background job)
lock_db() {
	python3 - "$DB" "$2" "$1" <<'PY' &
import sqlite3, sys, time, pathlib
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
pathlib.Path(sys.argv[2]).touch()
time.sleep(float(sys.argv[3]))
c.execute("COMMIT")
PY
	LOCKER=$!
}

@test "a writer holding an exclusive lock for 2.5 s: replies are OK or BH, never ERR" {
	local ready="$BATS_TEST_TMPDIR/locked"
	# the helper is running (database open) before the lock is taken;
	# then one request every 0.2 s for 4 s, while the lock is held and after
	( wait_for 10 test -e "$ready"
	  for i in $(seq 20); do printf '%d "alice":"Realm"\n' "$i"; sleep 0.2; done ) |
		"$DSA" "$DB" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	local helper=$!
	sleep 0.5
	lock_db 2.5 "$ready"
	wait "$helper"
	wait "$LOCKER"
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${#lines[@]}" -eq 20 ]
	refute_grep ERR "$BATS_TEST_TMPDIR/out"
	grep -q '^1 BH message="Database is locked"$' "$BATS_TEST_TMPDIR/out"
	grep -q "^20 OK ha1=\"$HA_ALICE\"\$" "$BATS_TEST_TMPDIR/out"
	[ "$(grep -Evc '^[0-9]+ (OK ha1="'"$HA_ALICE"'"|BH message="Database is locked")$' "$BATS_TEST_TMPDIR/out")" -eq 0 ]
}

@test "a database replaced on disk by rename is reopened; a deleted one keeps serving" {
	coproc H { exec "$DSA" "$DB" 2>"$BATS_TEST_TMPDIR/err"; }
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	local new="$BATS_TEST_TMPDIR/new.db"
	"$DPW" --sqlite "$new" --init
	printf 'changed\n' | "$DPW" -i --sqlite "$new" Realm alice
	mv "$new" "$DB"
	local want="OK ha1=\"$(md5hex 'alice:Realm:changed')\"" got end=$((SECONDS + 5))
	while got=$(q); [ "$got" != "$want" ]; do
		[ "$SECONDS" -lt "$end" ] || { echo "got $got" >&2; false; }
		[ "$got" = "OK ha1=\"$HA_ALICE\"" ]	# the old answer until then
		sleep 0.2
	done
	grep -q 'was replaced; reopened it' "$BATS_TEST_TMPDIR/err"
	rm "$DB"
	sleep 1.2
	[ "$(q)" = "$want" ]
	kill "$H_PID"
}

@test "a replacement that is not a valid store is refused; the old one keeps serving" {
	coproc H { exec "$DSA" "$DB" 2>"$BATS_TEST_TMPDIR/err"; }
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	printf 'garbage\n' >"$BATS_TEST_TMPDIR/garbage"
	mv "$BATS_TEST_TMPDIR/garbage" "$DB"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
		sleep 0.2
	done
	[ "$(grep -c 'still serving from the database opened before' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	kill "$H_PID"
}

@test "N lines in, N replies out; --realm filters; -d shows no HA1" {
	python3 -c '
for i in range(5000):
    user = "alice" if i % 3 else "nobody"
    realm = "Realm" if i % 5 else "Second Realm"
    print("%d \"%s\":\"%s\"" % (i, user, realm))
' >"$BATS_TEST_TMPDIR/req"
	"$DSA" -d --realm Realm "$DB" <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 5000 ]
	diff <(cut -d' ' -f1 "$BATS_TEST_TMPDIR/req") <(cut -d' ' -f1 "$BATS_TEST_TMPDIR/out")
	grep -q '^5 ERR message="Realm not accepted"$' "$BATS_TEST_TMPDIR/out"
	grep -q "^1 OK ha1=\"$HA_ALICE\"\$" "$BATS_TEST_TMPDIR/out"
	grep -q '^3 ERR message="No such user"$' "$BATS_TEST_TMPDIR/out"
	refute_grep "$HA_ALICE" "$BATS_TEST_TMPDIR/err"
	refute_grep wonderland "$BATS_TEST_TMPDIR/err"
}

@test "--help and -V" {
	run "$DSA" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"-q SQL"* ]]
	run "$DSA" -V
	[ "$output" = "digest_sqlite_auth (digest-helpers) $PACKAGE_VERSION" ]
}

@test "-q may end with a semicolon and a comment" {
	run sqlask -q 'SELECT ha1 FROM digest_users WHERE user = :user AND realm = :realm; -- the lookup' "$DB" <<<'"alice":"Realm"'
	[ "$output" = "OK ha1=\"$HA_ALICE\"" ]
}

@test "a refused replacement that is then fixed in place is picked up" {
	coproc H { exec "$DSA" "$DB" 2>"$BATS_TEST_TMPDIR/err"; }
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	# a new database without the schema: refused, the old one serves
	sqlite3 "$BATS_TEST_TMPDIR/new.db" 'CREATE TABLE x (y)'
	mv "$BATS_TEST_TMPDIR/new.db" "$DB"
	sleep 1.3
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	grep -q 'no digest-helpers schema' "$BATS_TEST_TMPDIR/err"
	# fixed where it lies: picked up
	"$DPW" --sqlite "$DB" --init
	printf 'fixed\n' | "$DPW" -i --sqlite "$DB" Realm alice
	local want="OK ha1=\"$(md5hex 'alice:Realm:fixed')\"" end=$((SECONDS + 5))
	while [ "$(q)" != "$want" ]; do
		[ "$SECONDS" -lt "$end" ]
		sleep 0.2
	done
	kill "$H_PID"
}

@test "a disabled user whose stored HA1 is malformed is still ERR" {
	sqlite3 "$DB" "UPDATE digest_users SET ha1 = 'xx', enabled = 0 WHERE user = 'bob'" 2>/dev/null ||
		sqlite3 "$DB" "PRAGMA ignore_check_constraints = 1; UPDATE digest_users SET ha1 = 'not-hex-not-hex-not-hex-not-hex!', enabled = 0 WHERE user = 'bob'"
	run sqlask "$DB" <<<'"bob":"Realm"'
	[ "$output" = 'ERR message="No such user"' ]
}

@test "a burst during a long lock waits once, not once per request" {
	local ready="$BATS_TEST_TMPDIR/locked" start="$BATS_TEST_TMPDIR/t0"
	( wait_for 10 test -e "$ready"; date +%s%N >"$start"
	  # one write: the eight lines arrive as one burst
	  printf '%d "alice":"Realm"\n' 1 2 3 4 5 6 7 8 ) |
		"$DSA" "$DB" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	local helper=$!
	sleep 0.5
	lock_db 6 "$ready"
	wait "$helper"
	local took_ms=$(( ($(date +%s%N) - $(cat "$start")) / 1000000 ))
	wait "$LOCKER"
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${#lines[@]}" -eq 8 ]
	for l in "${lines[@]}"; do [[ "$l" == *' BH message="Database is locked"' ]]; done
	echo "# 8 requests during the lock took ${took_ms} ms" >&3
	[ "$took_ms" -lt 2500 ]
}

# hold_db FILE SECONDS: another process holds FILE locked EXCLUSIVE
# (rollback journal, a write pending: readers are shut out) and touches
# $BATS_TEST_TMPDIR/hold.ready.  After SECONDS, or as soon as hold.stop
# appears, it writes the time (ns since the epoch) to hold.releasing,
# commits, and writes the time to hold.released.  Background job; its PID
# is in HOLDER, which teardown stops if the test did not.
hold_db() {
	python3 - "$1" "$2" "$BATS_TEST_TMPDIR/hold" <<'PY' &
import os, pathlib, sqlite3, sys, time
path, secs, base = sys.argv[1], float(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(path, isolation_level=None)
c.execute("PRAGMA journal_mode=DELETE")
c.execute("BEGIN EXCLUSIVE")
c.execute("UPDATE digest_users SET enabled = enabled")
pathlib.Path(base + ".ready").touch()
end = time.monotonic() + secs
while time.monotonic() < end and not os.path.exists(base + ".stop"):
    time.sleep(0.05)
pathlib.Path(base + ".releasing").write_text("%d\n" % time.time_ns())
c.execute("COMMIT")
pathlib.Path(base + ".released").write_text("%d\n" % time.time_ns())
PY
	HOLDER=$!
}

teardown() {
	local pid
	for pid in "${HOLDER:-}" "${HELPER_PID:-}"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# new_locked_db PASSWORD [SECONDS]: $BATS_TEST_TMPDIR/new.db with alice's
# PASSWORD, held locked by hold_db for SECONDS (60) or until hold.stop
new_locked_db() {
	local new="$BATS_TEST_TMPDIR/new.db"
	"$DPW" --sqlite "$new" --init
	printf '%s\n' "$1" | "$DPW" -i --sqlite "$new" Realm alice
	hold_db "$new" "${2:-60}"
	wait_for 10 test -e "$BATS_TEST_TMPDIR/hold.ready"
	# really exclusive: a reader is shut out
	run sqlite3 "$new" 'SELECT count(*) FROM digest_users'
	[ "$status" -ne 0 ]
	[[ "$output" == *"database is locked"* ]]
}

@test "a locked replacement: the old database answers without stalling until the lock is released" {
	local t="$BATS_TEST_TMPDIR"
	local old_ok="OK ha1=\"$HA_ALICE\"" new_ok="OK ha1=\"$(md5hex 'alice:Realm:changed')\""
	new_locked_db changed 12
	# One request every 0.5 s for about 17 s; before the third, the locked
	# database is renamed over the served one.  Requests and replies are
	# stamped with the time they were sent and received.
	( for i in $(seq 34); do
		if [ "$i" -eq 3 ]; then mv "$t/new.db" "$DB"; date +%s%N >"$t/moved"; fi
		printf '%d %s\n' "$i" "$(date +%s%N)" >>"$t/sent"
		printf '%d "alice":"Realm"\n' "$i"
		sleep 0.5
	  done ) | "$DSA" "$DB" 2>"$t/err" |
		while read -r line; do printf '%s %s\n' "$(date +%s%N)" "$line"; done >"$t/out"
	wait "$HOLDER"
	HOLDER=
	[ "$(wc -l <"$t/out")" -eq 34 ]
	# Every reply within 1.5 s (the old code stalled 10 s per check); the
	# old answer until the lock is released, the new one from 2 s after.
	awk -v moved="$(cat "$t/moved")" -v releasing="$(cat "$t/hold.releasing")" \
	    -v released="$(cat "$t/hold.released")" -v old="$old_ok" -v new="$new_ok" '
		FNR == NR { sent[$1] = $2; next }
		{
			reply = $0; sub(/^[0-9]+ [0-9]+ /, "", reply)
			ms = ($1 - sent[$2]) / 1e6
			if (ms > max) max = ms
			if (sent[$2] >= moved && sent[$2] < releasing) asked++
			if ($1 >= moved && $1 < releasing) answered++
			bad = ms >= 1500 ? "slow" : \
			    $1 < releasing && reply != old ? "not the old answer" : \
			    sent[$2] >= released + 2e9 && reply != new ? "not the new answer" : \
			    reply != old && reply != new ? "unexpected" : ""
			if (bad != "") { printf "request %d: %s after %d ms: %s\n", $2, bad, ms, reply; fail = 1 }
		}
		END {
			printf "# while locked: %d requests, %d replies; slowest reply %d ms\n", asked, answered, max
			if (answered < asked - 1) fail = 1
			exit fail
		}' "$t/sent" "$t/out" >"$t/verdict" || { cat "$t/verdict" "$t/err" >&2; false; }
	cat "$t/verdict" >&3
	# logged once for the locked file, then the reopen
	[ "$(grep -c 'still serving from the database opened before' "$t/err")" -eq 1 ]
	grep -q 'was replaced; reopened it' "$t/err"
}

@test "a locked replacement: the wait is bounded per file, and a changed file gets a new one" {
	local t="$BATS_TEST_TMPDIR" i checks
	local spent='each check now tries it without waiting' refused='still serving from the database opened before'
	new_locked_db changed
	coproc H { exec "$DSA" -d "$DB" 2>"$t/err"; }
	HELPER_PID=$H_PID
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	# hup_until N PATTERN: SIGHUP (a check now) every 0.1 s until the log
	# has N lines matching PATTERN; 100 signals at most
	hup_until() {
		for i in $(seq 100); do
			[ "$(grep -c -- "$2" "$t/err")" -lt "$1" ] || return 0
			kill -HUP "$HELPER_PID"
			sleep 0.1
		done
		false
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	mv "$t/new.db" "$DB"
	# each check waits 50 ms at most: the 1 s budget lasts about 20
	hup_until 1 "$spent"
	checks=$(grep -c 'SIGHUP: looking at the store now' "$t/err")
	echo "# the wait budget was spent after $checks checks" >&3
	[ "$checks" -ge 5 ]
	[ "$checks" -le 40 ]
	# further checks go on trying, and log nothing more
	for i in 1 2 3 4 5 6 7 8 9 10; do kill -HUP "$HELPER_PID"; sleep 0.1; done
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	[ "$(grep -c -- "$refused" "$t/err")" -eq 1 ]
	[ "$(grep -c -- "$spent" "$t/err")" -eq 1 ]
	# the file changes (new times): logged again, with a new budget
	touch "$DB"
	hup_until 2 "$spent"
	[ "$(grep -c -- "$refused" "$t/err")" -eq 2 ]
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	# released: the next check opens it
	touch "$t/hold.stop"
	wait "$HOLDER"
	HOLDER=
	kill -HUP "$HELPER_PID"
	wait_for 5 grep -q 'was replaced; reopened it' "$t/err"
	[ "$(q)" = "OK ha1=\"$(md5hex 'alice:Realm:changed')\"" ]
}

# --- groups and annotations (schema version 2, -q columns, -g) ---------------

# v1_store FILE: a store of schema version 1 (no digest_groups), with
# alice in Realm (password wonderland), as digest-helpers 0.1 made it
v1_store() {
	sqlite3 "$1" "CREATE TABLE schema_version (version INTEGER NOT NULL);
		INSERT INTO schema_version (version) VALUES (1);
		CREATE TABLE digest_users (
		  user TEXT NOT NULL, realm TEXT NOT NULL,
		  ha1 TEXT NOT NULL CHECK (length(ha1) = 32),
		  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
		  PRIMARY KEY (user, realm)) WITHOUT ROWID;
		INSERT INTO digest_users (user, realm, ha1) VALUES ('alice', 'Realm', '$HA_ALICE');"
}

@test "groups: each OK carries the user's groups in that realm (none, one, several), quoted" {
	"$DPW" --sqlite "$DB" --group-add Realm alice staff 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add Realm alice 'wi"fi\x' 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add "Second Realm" alice other 2>/dev/null
	printf 'd\n' | "$DPW" -i --sqlite "$DB" Realm dave 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add Realm dave staff 2>/dev/null
	"$DPW" --sqlite "$DB" --disable Realm dave 2>/dev/null
	run sqlask "$DB" <<'IN'
1 "alice":"Realm"
2 "alice":"Second Realm"
3 "bob":"Realm"
4 "dave":"Realm"
5 "carol":"Realm"
IN
	[ "${lines[0]}" = "1 OK ha1=\"$HA_ALICE\" group=\"staff\" group=\"wi\\\"fi\\\\x\"" ]
	[ "${lines[1]}" = "2 OK ha1=\"$(md5hex 'alice:Second Realm:other')\" group=\"other\"" ]
	[ "${lines[2]}" = "3 OK ha1=\"$(md5hex 'bob:Realm:builder')\"" ]
	[ "${lines[3]}" = '4 ERR message="No such user"' ]
	[ "${lines[4]}" = '5 ERR message="No such user"' ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "groups: many requests with channel IDs, each reply with its own user's groups" {
	"$DPW" --sqlite "$DB" --group-add Realm alice staff 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add Realm alice wifi 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add Realm bob builders 2>/dev/null
	"$DPW" --sqlite "$DB" --group-add "Second Realm" alice other 2>/dev/null
	local a1="OK ha1=\"$HA_ALICE\" group=\"staff\" group=\"wifi\""
	local a2="OK ha1=\"$(md5hex 'alice:Second Realm:other')\" group=\"other\""
	local b1="OK ha1=\"$(md5hex 'bob:Realm:builder')\" group=\"builders\""
	local i
	for i in $(seq 0 2999); do
		case $((i % 4)) in
		0) printf '%d "alice":"Realm"\n' "$i"; echo "$i $a1" >&3 ;;
		1) printf '%d "bob":"Realm"\n' "$i"; echo "$i $b1" >&3 ;;
		2) printf '%d "alice":"Second Realm"\n' "$i"; echo "$i $a2" >&3 ;;
		3) printf '%d "bob":"Second Realm"\n' "$i"; echo "$i ERR message=\"No such user\"" >&3 ;;
		esac
	done >"$BATS_TEST_TMPDIR/req" 3>"$BATS_TEST_TMPDIR/want"
	sqlask "$DB" <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/out"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "groups: the first group given to a store without any is in the next reply" {
	coproc H { exec "$DSA" "$DB" 2>"$BATS_TEST_TMPDIR/err"; }
	HELPER_PID=$H_PID
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	"$DPW" --sqlite "$DB" --group-add Realm alice staff 2>/dev/null
	[ "$(q)" = "OK ha1=\"$HA_ALICE\" group=\"staff\"" ]
	"$DPW" --sqlite "$DB" --group-del Realm alice staff 2>/dev/null
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
}

@test "groups: a version-1 store is read without groups, and picked up once migrated in place" {
	local old="$BATS_TEST_TMPDIR/v1.db"
	v1_store "$old"
	coproc H { exec "$DSA" "$old" 2>"$BATS_TEST_TMPDIR/err"; }
	HELPER_PID=$H_PID
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\"" ]
	"$DPW" --sqlite "$old" --init 2>/dev/null
	"$DPW" --sqlite "$old" --group-add Realm alice staff 2>/dev/null
	local want="OK ha1=\"$HA_ALICE\" group=\"staff\"" got end=$((SECONDS + 5))
	while got=$(q); [ "$got" != "$want" ]; do
		[ "$SECONDS" -lt "$end" ] || { echo "got $got" >&2; false; }
		[ "$got" = "OK ha1=\"$HA_ALICE\"" ]
		sleep 0.2
	done
	grep -q 'the schema is now version 2; reopened it' "$BATS_TEST_TMPDIR/err"
}

@test "groups: a failing group lookup is BH, never an OK without the groups" {
	"$DPW" --sqlite "$DB" --group-add Realm alice staff 2>/dev/null
	coproc H { exec "$DSA" "$DB" 2>"$BATS_TEST_TMPDIR/err"; }
	HELPER_PID=$H_PID
	q() {
		local r=TIMEOUT
		printf '"alice":"Realm"\n' >&"${H[1]}"
		read -r -t 5 r <&"${H[0]}" || true
		printf '%s' "$r"
	}
	[ "$(q)" = "OK ha1=\"$HA_ALICE\" group=\"staff\"" ]
	sqlite3 "$DB" 'DROP TABLE digest_groups'
	[ "$(q)" = 'BH message="Database error"' ]
	grep -q 'group lookup failed: no such table: digest_groups' "$BATS_TEST_TMPDIR/err"
}

@test "-q: the columns after the HA1 are annotations named by their columns; NULL adds nothing" {
	local other="$BATS_TEST_TMPDIR/app.db"
	sqlite3 "$other" "CREATE TABLE accounts (login TEXT, digest TEXT, dept TEXT, team TEXT);
		INSERT INTO accounts VALUES ('alice', '$HA_ALICE', 'sci\"ence\\lab', 'red');
		INSERT INTO accounts VALUES ('bob', '$(md5hex 'bob:Realm:b')', NULL, NULL);
		INSERT INTO accounts VALUES ('eve', '$(md5hex 'eve:Realm:e')', '', 'blue');"
	run sqlask -q 'SELECT digest, dept AS dept_, team AS "tag", 42 AS n_ FROM accounts WHERE login = :user' "$other" <<'IN'
"alice":"Realm"
7 "bob":"Realm"
"eve":"Realm"
IN
	[ "${lines[0]}" = "OK ha1=\"$HA_ALICE\" dept_=\"sci\\\"ence\\\\lab\" tag=\"red\" n_=\"42\"" ]
	[ "${lines[1]}" = "7 OK ha1=\"$(md5hex 'bob:Realm:b')\" n_=\"42\"" ]
	[ "${lines[2]}" = "OK ha1=\"$(md5hex 'eve:Realm:e')\" dept_=\"\" tag=\"blue\" n_=\"42\"" ]
	# a second row is still ambiguous: ERR, and no annotation of the first
	sqlite3 "$other" "INSERT INTO accounts VALUES ('alice', '$HA_ALICE', 'x', 'y')"
	run sqlask -q 'SELECT digest, dept AS dept_ FROM accounts WHERE login = :user' "$other" <<<'"alice":"Realm"'
	[ "$output" = 'ERR message="No such user"' ]
}

@test "-q: a column name that is not an annotation Squid takes is refused at start-up, named" {
	local other="$BATS_TEST_TMPDIR/app.db" col
	sqlite3 "$other" "CREATE TABLE accounts (login TEXT, digest TEXT, dept TEXT)"
	run "$DSA" -q 'SELECT digest, dept FROM accounts WHERE login = :user' "$other"
	one_line_error "the query's column 2 is named \"dept\", which is not an annotation Squid takes"
	for col in '"ha1"' '"message"' '"a b_"' '"_"' '"x"' "'lit'"; do
		run "$DSA" -q "SELECT digest, 1 AS dept_, dept AS $col FROM accounts WHERE login = :user" "$other"
		one_line_error "the query's column 3 is named"
	done
	run "$DSA" -q 'SELECT digest, upper(dept) FROM accounts WHERE login = :user' "$other"
	one_line_error 'column 2 is named "upper(dept)"'
	# the keys Squid takes
	run "$DSA" -q 'SELECT digest, dept AS "group", dept AS tag, dept AS clt_conn_tag, dept AS "Dept-2_" FROM accounts WHERE login = :user' "$other" </dev/null
	[ "$status" -eq 0 ]
}

@test "-g: the rows of a group query are the user's groups, :user and :realm bound" {
	local other="$BATS_TEST_TMPDIR/app.db"
	sqlite3 "$other" "CREATE TABLE accounts (login TEXT, domain TEXT, digest TEXT);
		CREATE TABLE members (login TEXT, domain TEXT, grp TEXT);
		INSERT INTO accounts VALUES ('alice', 'Realm', '$HA_ALICE'), ('bob', 'Realm', '$(md5hex 'bob:Realm:b')');
		INSERT INTO members VALUES ('alice', 'Realm', 'web'), ('alice', 'Realm', 'mail'),
		  ('alice', 'Other', 'elsewhere'), ('alice', 'Realm', NULL), ('x'' OR 1=1 --', 'Realm', 'leak');"
	run sqlask -q 'SELECT digest FROM accounts WHERE login = :user AND domain = :realm' \
		-g 'SELECT grp FROM members WHERE login = :user AND domain = :realm ORDER BY grp' "$other" <<'IN'
1 "alice":"Realm"
2 "bob":"Realm"
IN
	[ "${lines[0]}" = "1 OK ha1=\"$HA_ALICE\" group=\"mail\" group=\"web\"" ]
	[ "${lines[1]}" = "2 OK ha1=\"$(md5hex 'bob:Realm:b')\"" ]
	# with the default schema, -g replaces digest_groups
	"$DPW" --sqlite "$DB" --group-add Realm alice staff 2>/dev/null
	run sqlask -g "SELECT 'g-' || :user" "$DB" <<<'"alice":"Realm"'
	[ "$output" = "OK ha1=\"$HA_ALICE\" group=\"g-alice\"" ]
}

@test "-g: checked at start-up like -q" {
	run "$DSA" -g 'SELEC grp FROM digest_groups' "$DB"
	one_line_error "$DB: bad -g query: "
	run "$DSA" -g 'SELECT grp FROM nowhere WHERE user = :user' "$DB"
	one_line_error "bad -g query: no such table: nowhere"
	run "$DSA" -g 'SELECT grp, realm FROM digest_groups WHERE user = :user' "$DB"
	one_line_error "the -g query returns 2 columns; it must return exactly one, the group"
	run "$DSA" -g 'SELECT grp FROM digest_groups WHERE user = :user AND realm = :domain' "$DB"
	one_line_error "the -g query may only use the parameters :user and :realm (found :domain)"
	run "$DSA" -g 'SELECT grp FROM digest_groups WHERE realm = :realm' "$DB"
	one_line_error "the -g query must use :user"
	run "$DSA" -g 'DELETE FROM digest_groups WHERE user = :user RETURNING grp' "$DB"
	one_line_error "the -g query must only read (a SELECT)"
	run "$DSA" -g 'SELECT grp FROM digest_groups WHERE user = :user; DELETE FROM digest_users' "$DB"
	one_line_error "bad -g query: it must be a single statement"
	run "$DSA" -g '' "$DB"
	one_line_error "-g needs an SQL query"
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM digest_users')" = 3 ]
}

@test "-g: a group query that fails for a user is BH, logged; the others are answered" {
	"$DSA" -g "SELECT CASE WHEN :user = 'bob' THEN abs(-9223372036854775808) ELSE 'staff' END" "$DB" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" <<'IN'
1 "alice":"Realm"
2 "bob":"Realm"
3 "alice":"Second Realm"
4 "carol":"Realm"
IN
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = "1 OK ha1=\"$HA_ALICE\" group=\"staff\"" ]
	[ "${lines[1]}" = '2 BH message="Database error"' ]
	[ "${lines[2]}" = "3 OK ha1=\"$(md5hex 'alice:Second Realm:other')\" group=\"staff\"" ]
	[ "${lines[3]}" = '4 ERR message="No such user"' ]
	grep -q "$DB: group lookup failed: integer overflow" "$BATS_TEST_TMPDIR/err"
}
