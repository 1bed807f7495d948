#!/usr/bin/env bats
# digest_passwd --pgsql (digest_passwd(1)) against a real PostgreSQL server
# (tests/lib/pgsql.bash, one cluster for the file): the schema of
# lib/pgschema.h, every verb, bound values, --import in one transaction,
# concurrent writers, and the connection's password never shown.  The
# store is inspected with psql.

load lib/common
load lib/pgsql

DPW="$top_builddir/digest_passwd"

# pgsql_built: this build has PostgreSQL support (config.h says so)
pgsql_built() {
	grep -q '^#define HAVE_PGSQL 1' "$top_builddir/config.h"
}

setup_file() {
	pgsql_built || return 0
	pg_installed || return 0	# setup's pg_require skips, or fails in CI
	pg_setup "$BATS_FILE_TMPDIR/pg" || return 1
}

teardown_file() {
	pg_teardown
}

setup() {
	if ! pgsql_built && [[ "$BATS_TEST_DESCRIPTION" != *"not compiled in"* ]]; then
		skip "this build has no PostgreSQL support"
	fi
	pgsql_built || return 0
	pg_require
	W="$BATS_TEST_TMPDIR"
	A="$PG_CONNINFO_ADMIN"
	RD="$PG_CONNINFO_READER"
	export PGPASSFILE="$PG_PASSFILE"
	unset PGPASSWORD
	# every test starts from an empty database
	pg_up "$PG_PORT" || pg_start
	pg_psql "DROP TABLE IF EXISTS digest_groups, digest_users, digest_schema_version CASCADE" 2>/dev/null
}

teardown() {
	if [ -n "${BH_PID:-}" ]; then
		kill "$BH_PID" 2>/dev/null || true
		wait "$BH_PID" 2>/dev/null || true
	fi
	pg_standby_stop
	if [ -n "${PG_PORT:-}" ] && ! pg_up "$PG_PORT"; then
		pg_start
	fi
}

# init_store: an empty, initialised store
init_store() {
	"$DPW" --pgsql "$A" --init 2>/dev/null
}

# q SQL: ask the store with psql, as the admin ("|" between columns)
q() {
	pg_psql "$1"
}

# set_pw REALM USER PASSWORD [OPTIONS...]: -i, quietly, as the admin
set_pw() {
	local r=$1 u=$2 p=$3
	shift 3
	printf '%s\n' "$p" | "$DPW" -i --pgsql "$A" "$@" "$r" "$u" 2>/dev/null
}

one_line_error() {
	[ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "expected one line: $output"; return 1; }
	[[ "${lines[0]}" == "digest_passwd: "* ]] || { echo "bad line: $output"; return 1; }
	[[ "${lines[0]}" == *"$1"* ]] || { echo "expected '$1' in: $output"; return 1; }
}

# no_secret FILE: neither role's password, nor an HA1, is in FILE
no_secret() {
	refute_grep -qF "$PG_ADMIN_PASSWORD" "$1"
	refute_grep -qF "$PG_READER_PASSWORD" "$1"
	refute_grep -Eq '[0-9a-fA-F]{32}' "$1"
}

# pty_run ANSWER... -- COMMAND...: run COMMAND on a pseudo-terminal, type
# each ANSWER after the next password prompt, print what it showed
PTY_PY=$(cat <<'EOF'
import os, pty, select, sys, time
args = sys.argv[1:]
sep = args.index("--")
answers, cmd = args[:sep], args[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, typed, deadline = b"", 0, time.time() + 20
while True:
    if typed < len(answers) and out.lower().count(b"password: ") > typed:
        os.write(fd, answers[typed].encode() + b"\n")
        typed += 1
        continue
    ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not ready:
        os.kill(pid, 9)
        out += b"\n[pty_run: timed out]\n"
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.replace(b"\r\n", b"\n").decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
EOF
)

pty_run() {
	python3 -c "$PTY_PY" "$@"
}

@test "--init creates the shared schema in one go, says where, and can run again" {
	run "$DPW" --pgsql "$A" --init
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: host=127.0.0.1 port=$PG_PORT dbname=digest: schema version 1 ready" ]
	[ "$(q 'SELECT version FROM digest_schema_version')" = 1 ]
	[ "$(q "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" | tr '\n' ' ')" = "digest_groups digest_schema_version digest_users " ]
	set_pw R alice a
	# again: no notice about existing tables, nothing duplicated or lost
	run "$DPW" --pgsql "$A" --init
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(q 'SELECT count(*) FROM digest_schema_version')" = 1 ]
	[ "$(q 'SELECT username FROM digest_users')" = alice ]
	# several at once on an empty database: all succeed, one schema
	q 'DROP TABLE digest_groups, digest_users, digest_schema_version'
	for i in 1 2 3 4 5 6; do
		"$DPW" --pgsql "$A" --init >"$W/init.$i" 2>&1 3>&- &
	done
	fail=0
	for job in $(jobs -p); do wait "$job" || fail=1; done
	cat "$W"/init.*
	[ "$fail" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM digest_schema_version')" = 1 ]
	# the read-only role may read what --init made, and write nothing
	[ "$(pg_psql_as "$RD" 'SELECT count(*) FROM digest_users')" = 0 ]
	run pg_psql_as "$RD" "INSERT INTO digest_users VALUES ('x', 'R', '$(md5hex x)', true)"
	[ "$status" -ne 0 ]
}

@test "--init refuses a newer schema and changes nothing" {
	init_store
	set_pw R alice a
	q 'UPDATE digest_schema_version SET version = 99'
	run "$DPW" --pgsql "$A" --init
	one_line_error "schema version 99 is newer than this digest_passwd knows (1)"
	run bash -c "printf 'pw\n' | '$DPW' -i --pgsql '$A' R bob"
	one_line_error "schema version 99 is newer than this digest_passwd knows (1)"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 1 ]
}

@test "add, change, verify, list, delete" {
	init_store
	run bash -c "printf 'wonder land\n' | '$DPW' -i --pgsql '$A' 'Squid proxy' alice"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: added user alice in realm Squid proxy" ]
	set_pw 'Squid proxy' bob b
	set_pw Other alice o
	[ "$(q "SELECT ha1, enabled FROM digest_users WHERE username = 'alice' AND realm = 'Squid proxy'")" = "$(md5hex 'alice:Squid proxy:wonder land')|t" ]
	run bash -c "printf 'new:pw\n' | '$DPW' -i --pgsql '$A' 'Squid proxy' alice"
	[ "$output" = "digest_passwd: changed the password of user alice in realm Squid proxy" ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'alice' AND realm = 'Squid proxy'")" = "$(md5hex 'alice:Squid proxy:new:pw')" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 3 ]

	run bash -c "printf 'new:pw\n' | '$DPW' -v -i --pgsql '$RD' 'Squid proxy' alice"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: password correct for user alice in realm Squid proxy" ]
	run bash -c "printf 'wonder land\n' | '$DPW' -v -i --pgsql '$RD' 'Squid proxy' alice"
	[ "$status" -eq 3 ]
	[ "$output" = "digest_passwd: wrong password for user alice in realm Squid proxy" ]
	run bash -c "printf 'x\n' | '$DPW' -v -i --pgsql '$RD' 'Squid proxy' carol"
	one_line_error "user carol not found in realm Squid proxy"

	[ "$("$DPW" --pgsql "$RD" -l)" = "$(printf 'alice:Other\nalice:Squid proxy\nbob:Squid proxy')" ]
	[ "$("$DPW" --pgsql "$RD" -l 'Squid proxy')" = "$(printf 'alice:Squid proxy\nbob:Squid proxy')" ]
	run "$DPW" --pgsql "$RD" -l Nope
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	run "$DPW" --pgsql "$A" -D 'Squid proxy' alice
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: deleted user alice in realm Squid proxy" ]
	[ "$(q 'SELECT username, realm FROM digest_users ORDER BY realm' | tr '\n' ' ')" = "alice|Other bob|Squid proxy " ]
	run "$DPW" --pgsql "$A" -D 'Squid proxy' alice
	one_line_error "user alice not found in realm Squid proxy"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
}

@test "on a terminal the password is asked for twice; -c creates the schema if needed" {
	run pty_run 's3cr3t pw' 's3cr3t pw' -- "$DPW" -c --pgsql "$A" R alice
	[ "$status" -eq 0 ]
	[[ "$output" == *"New password: "* ]]
	[[ "$output" == *"Re-type new password: "* ]]
	[[ "$output" == *"digest_passwd: added user alice in realm R"* ]]
	[[ "$output" != *"s3cr3t"* ]]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'alice'")" = "$(md5hex 'alice:R:s3cr3t pw')" ]
	run pty_run 'one' 'two' -- "$DPW" --pgsql "$A" R alice
	[ "$status" -eq 1 ]
	[[ "$output" == *"the passwords do not match; nothing changed"* ]]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'alice'")" = "$(md5hex 'alice:R:s3cr3t pw')" ]
	# -c never empties a store
	set_pw R bob b -c
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
	run pty_run 's3cr3t pw' -- "$DPW" -v --pgsql "$RD" R alice
	[ "$status" -eq 0 ]
	[[ "$output" == *"password correct for user alice in realm R"* ]]
}

@test "the same user in two realms: independent rows" {
	init_store
	set_pw R1 alice one
	set_pw R2 alice two
	[ "$(q "SELECT realm, ha1 FROM digest_users WHERE username = 'alice' ORDER BY realm" | tr '\n' ' ')" = "R1|$(md5hex alice:R1:one) R2|$(md5hex alice:R2:two) " ]
	set_pw R1 alice uno
	[ "$(q "SELECT ha1 FROM digest_users WHERE realm = 'R2'")" = "$(md5hex alice:R2:two)" ]
	"$DPW" --pgsql "$A" --disable R1 alice 2>/dev/null
	"$DPW" --pgsql "$A" --group-add R1 alice admins 2>/dev/null
	"$DPW" --pgsql "$A" --group-add R2 alice users 2>/dev/null
	[ "$("$DPW" --pgsql "$RD" -l)" = "$(printf 'alice:R1 (disabled)\tadmins\nalice:R2\tusers')" ]
	printf 'two\n' | "$DPW" -v -i --pgsql "$RD" R2 alice 2>/dev/null
	run bash -c "printf 'two\n' | '$DPW' -v -i --pgsql '$RD' R1 alice"
	[ "$status" -eq 3 ]
	"$DPW" --pgsql "$A" -D R1 alice 2>/dev/null
	[ "$(q 'SELECT username, realm, enabled FROM digest_users')" = "alice|R2|t" ]
	[ "$(q 'SELECT username, realm, grp FROM digest_groups')" = "alice|R2|users" ]
}

@test "--disable and --enable keep the user; a password change keeps the flag" {
	init_store
	set_pw R alice a
	set_pw R bob b
	run "$DPW" --pgsql "$A" --disable R alice
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: disabled user alice in realm R" ]
	[ "$(q "SELECT enabled FROM digest_users WHERE username = 'alice'")" = f ]
	[ "$("$DPW" --pgsql "$RD" -l)" = "$(printf 'alice:R (disabled)\nbob:R')" ]
	set_pw R alice a2
	[ "$(q "SELECT ha1, enabled FROM digest_users WHERE username = 'alice'")" = "$(md5hex alice:R:a2)|f" ]
	run bash -c "printf 'a2\n' | '$DPW' -v -i --pgsql '$RD' R alice"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: user alice in realm R is disabled: logins are refused"* ]]
	run "$DPW" --pgsql "$A" --enable R alice
	[ "$output" = "digest_passwd: enabled user alice in realm R" ]
	[ "$(q "SELECT enabled FROM digest_users WHERE username = 'alice'")" = t ]
	[ "$("$DPW" --pgsql "$RD" -l R)" = "$(printf 'alice:R\nbob:R')" ]
	for verb in --disable --enable -D; do
		run "$DPW" --pgsql "$A" $verb R carol
		one_line_error "user carol not found in realm R"
		run "$DPW" --pgsql "$A" $verb Other alice
		one_line_error "user alice not found in realm Other"
	done
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2 ]
}

@test "--group-add and --group-del; -l lists the groups; -D takes them along" {
	init_store
	set_pw R alice a
	set_pw R bob b
	run "$DPW" --pgsql "$A" --group-add R alice staff
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: added user alice in realm R to group staff" ]
	run "$DPW" --pgsql "$A" --group-add R alice staff
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: user alice in realm R is already in group staff" ]
	"$DPW" --pgsql "$A" --group-add R alice 'a,b\c' 2>/dev/null
	"$DPW" --pgsql "$A" --group-add R alice admins 2>/dev/null
	"$DPW" --pgsql "$A" --disable R alice 2>/dev/null
	[ "$("$DPW" --pgsql "$RD" -l)" = "$(printf 'alice:R (disabled)\ta\\x2cb\\x5cc,admins,staff\nbob:R')" ]
	run "$DPW" --pgsql "$A" --group-del R alice admins
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: removed user alice in realm R from group admins" ]
	run "$DPW" --pgsql "$A" --group-del R alice admins
	one_line_error "user alice in realm R is not in group admins"
	run "$DPW" --pgsql "$A" --group-add R carol staff
	one_line_error "user carol not found in realm R"
	run "$DPW" --pgsql "$A" --group-del R carol staff
	one_line_error "user carol not found in realm R"
	run "$DPW" --pgsql "$A" --group-add R alice ''
	one_line_error "invalid group name"
	[ "$(q "SELECT grp FROM digest_groups ORDER BY grp COLLATE \"C\"" | tr '\n' ' ')" = 'a,b\c staff ' ]
	# the reader may not change groups
	run "$DPW" --pgsql "$RD" --group-add R bob staff
	one_line_error "permission denied"
	# a deleted user's groups go with it: added again, it has none
	"$DPW" --pgsql "$A" -D R alice 2>/dev/null
	[ "$(q 'SELECT count(*) FROM digest_groups')" = 0 ]
	set_pw R alice a
	[ "$("$DPW" --pgsql "$RD" -l R)" = "$(printf 'alice:R\nbob:R')" ]
}

@test "-l and -v never show a hash" {
	init_store
	set_pw R alice a
	set_pw R bob b
	"$DPW" --pgsql "$A" --disable R bob 2>/dev/null
	{
		"$DPW" --pgsql "$RD" -l
		"$DPW" --pgsql "$RD" -l R
		printf 'a\n' | "$DPW" -v -i -d --pgsql "$RD" R alice
		printf 'x\n' | "$DPW" -v -i -d --pgsql "$RD" R alice || true
		printf 'b\n' | "$DPW" -v -i -d --pgsql "$RD" R bob
	} >"$W/out" 2>&1
	grep -q 'alice:R' "$W/out"
	no_secret "$W/out"
}

@test "quotes, backslashes and SQL injection payloads are bound: stored and listed literally" {
	init_store
	local users=("x' OR 1=1 --" 'bob"' 'back\slash' "Robert'); DROP TABLE digest_users;--" \
		'$1' "E'\\x41'" 'semi;colon' '%s%n' 'J\u00fcrgen' "it's" '\\' '); SELECT pg_sleep(5); --')
	local realm="R'; DROP TABLE digest_users; --" u i=0
	for u in "${users[@]}"; do
		i=$((i + 1))
		set_pw "$realm" "$u" "p$i"
	done
	[ "$(q 'SELECT count(*) FROM digest_users')" = "${#users[@]}" ]
	printf '%s\n' "${users[@]}" | LC_ALL=C sort >"$W/expect"
	q 'SELECT username FROM digest_users ORDER BY username COLLATE "C"' >"$W/got"
	diff -u "$W/expect" "$W/got"
	[ "$(q 'SELECT DISTINCT realm FROM digest_users')" = "$realm" ]
	# each row's HA1 is over the literal bytes
	i=0
	for u in "${users[@]}"; do
		i=$((i + 1))
		pg_psql_as "$A" "SELECT ha1 FROM digest_users WHERE username = \$\$${u}\$\$" >"$W/ha1" 2>/dev/null ||
			continue	# a value with $$ in it cannot be quoted that way
		[ "$(cat "$W/ha1")" = "$(md5hex "$u:$realm:p$i")" ] || { echo "bad HA1 for $u"; return 1; }
		printf 'p%s\n' "$i" | "$DPW" -v -i --pgsql "$RD" "$realm" "$u" 2>/dev/null
	done
	# -l prints them back as they are
	while IFS= read -r u; do printf '%s:%s\n' "$u" "$realm"; done <"$W/expect" >"$W/expect.l"
	"$DPW" --pgsql "$RD" -l >"$W/got.l"
	diff -u "$W/expect.l" "$W/got.l"
	# a group with a payload too
	"$DPW" --pgsql "$A" --group-add "$realm" 'bob"' "g'); DELETE FROM digest_users; --" 2>/dev/null
	[ "$(q 'SELECT grp FROM digest_groups')" = "g'); DELETE FROM digest_users; --" ]
	# a quote trick matches nobody else
	run "$DPW" --pgsql "$A" -D "$realm" "' OR '1'='1"
	one_line_error "not found"
	run "$DPW" --pgsql "$A" --disable "' OR ''='" "x' OR 1=1 --"
	one_line_error "not found"
	run "$DPW" --pgsql "$A" --disable "$realm" "x' OR 1=1 --"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT username FROM digest_users WHERE NOT enabled')" = "x' OR 1=1 --" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = "${#users[@]}" ]
	[ "$(q 'SELECT count(*) FROM digest_groups')" = 1 ]
}

@test "a database without the schema: a clear error suggesting --init" {
	run bash -c "printf 'pw\n' | '$DPW' -i --pgsql '$A' R alice"
	one_line_error "host=127.0.0.1 port=$PG_PORT dbname=digest has no digest-helpers schema; create it with: digest_passwd --pgsql CONNINFO --init"
	for args in "-l" "-D R alice" "--disable R alice" "--group-add R alice g"; do
		run "$DPW" --pgsql "$A" $args
		one_line_error "has no digest-helpers schema"
	done
	run bash -c "printf 'pw\n' | '$DPW' -v -i --pgsql '$RD' R alice"
	one_line_error "has no digest-helpers schema"
	[ -z "$(q "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")" ]
	q 'CREATE TABLE digest_schema_version (version integer NOT NULL)'
	run "$DPW" --pgsql "$A" -l
	one_line_error "digest_schema_version is empty; run: digest_passwd --pgsql CONNINFO --init"
}

@test "refused values and empty passwords change nothing in the store" {
	init_store
	set_pw R alice a
	for bad in 'a:b' '' '#x' ' x' $'two\nlines'; do
		run bash -c 'printf "pw\n" | "$1" -i --pgsql "$2" R "$3"' _ "$DPW" "$A" "$bad"
		one_line_error "invalid user name"
		run bash -c 'printf "pw\n" | "$1" -i --pgsql "$2" "$3" bob' _ "$DPW" "$A" "$bad"
		[ "$bad" = '#x' ] || [ "$bad" = ' x' ] || one_line_error "invalid realm"
	done
	run bash -c "printf '\n' | '$DPW' -i --pgsql '$A' R carol"
	one_line_error "empty password refused"
	[ "$(q 'SELECT username, realm FROM digest_users ORDER BY username COLLATE "C", realm COLLATE "C"' | tr '\n' ' ')" = "alice|R bob| x bob|#x " ]
	printf '\n' | "$DPW" -i --allow-empty --pgsql "$A" R carol 2>/dev/null
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'carol'")" = "$(md5hex carol:R:)" ]
}

@test "--import: counts on stderr, bad lines named by number only, the first line wins" {
	init_store
	set_pw R old old-pw
	"$DPW" --pgsql "$A" --disable R old 2>/dev/null
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
	"$DPW" --pgsql "$A" --import "$W/import" >"$W/out" 2>"$W/err"
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
	alice|R|$(md5hex alice:R:a)|t
	bob|R|$(md5hex bob:R:b)|t
	carol|R|$(md5hex carol:R:c)|t
	dave|Other|$(md5hex dave:Other:d)|t
	erin|R|$(md5hex erin:R:e)|t
	old|R|$(md5hex old:R:new)|f
	EOF
	q 'SELECT username, realm, ha1, enabled FROM digest_users ORDER BY username' >"$W/got"
	diff -u "$W/expect" "$W/got"
	# and from standard input
	printf 'frank:R:%s\n' "$(md5hex frank:R:f)" | "$DPW" --pgsql "$A" --import - 2>"$W/err"
	[ "$(cat "$W/err")" = "digest_passwd: imported 1 users (1 new, 0 updated), 0 lines skipped" ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'frank'")" = "$(md5hex frank:R:f)" ]
	run "$DPW" --pgsql "$A" --import "$W/none"
	one_line_error "cannot open $W/none"
}

@test "--import is one transaction: a failure part way imports nothing" {
	init_store
	set_pw R u1 before
	python3 -c '
import hashlib
for i in range(1, 2001):
    u = "u%d" % i
    print("%s:R:%s" % (u, hashlib.md5(("%s:R:pw" % u).encode()).hexdigest()))
' >"$W/import"
	q "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
	   \$\$BEGIN IF NEW.username = 'u1500' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END\$\$;
	   CREATE TRIGGER boom BEFORE INSERT ON digest_users FOR EACH ROW EXECUTE FUNCTION boom()"
	run "$DPW" --pgsql "$A" --import "$W/import"
	one_line_error "$W/import:1500: import stopped, nothing imported: refused by a test trigger"
	# u1 was updated and u2..u1499 inserted before the failure: all rolled back
	[ "$(q 'SELECT count(*) FROM digest_users')" = 1 ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'u1'")" = "$(md5hex u1:R:before)" ]
	q 'DROP TRIGGER boom ON digest_users; DROP FUNCTION boom()'
	run "$DPW" --pgsql "$A" --import "$W/import"
	[ "$status" -eq 0 ]
	[ "$output" = "digest_passwd: imported 2000 users (1999 new, 1 updated), 0 lines skipped" ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 2000 ]
	[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'u2000'")" = "$(md5hex u2000:R:pw)" ]
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
' "$DPW" --pgsql "$A" --import "$W/import"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "digest_passwd: $W/import: 50000 lines read, 50000 users so far" ]
	[ "${lines[1]}" = "digest_passwd: imported 60000 users (60000 new, 0 updated), 0 lines skipped" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 60000 ]
}

@test "50 concurrent additions: none lost, each verifies" {
	init_store
	for i in $(seq 1 50); do
		set_pw R "user$i" "pw$i" 3>&- &
	done
	fail=0
	for job in $(jobs -p); do wait "$job" || fail=1; done
	[ "$fail" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM digest_users')" = 50 ]
	for i in $(seq 1 50); do
		[ "$(q "SELECT ha1 FROM digest_users WHERE username = 'user$i'")" = "$(md5hex "user$i:R:pw$i")" ]
	done
	for i in 1 25 50; do
		printf 'pw%s\n' "$i" | "$DPW" -v -i --pgsql "$RD" R "user$i" 2>/dev/null
	done
	# and 20 concurrent changes of one user: one of them wins, whole
	for i in $(seq 1 20); do
		set_pw R user1 "new$i" 3>&- &
	done
	wait
	[ "$(q "SELECT count(*) FROM digest_users WHERE username = 'user1'")" = 1 ]
	got=$(q "SELECT ha1 FROM digest_users WHERE username = 'user1'")
	for i in $(seq 1 20); do
		[ "$got" = "$(md5hex "user1:R:new$i")" ] && return 0
	done
	echo "user1's HA1 is none of the passwords set: $got"
	return 1
}

@test "the connection's password is never printed, even with -d" {
	init_store
	set_pw R alice a
	{
		printf 'b\n' | "$DPW" -d -i --pgsql "$A" R bob
		printf 'b\n' | "$DPW" -d -v -i --pgsql "$RD" R bob
		"$DPW" -d --pgsql "$A" --init
		"$DPW" -d --pgsql "$A" --disable R bob
		"$DPW" -d --pgsql "$A" --group-add R bob g
		"$DPW" -d --pgsql "$RD" -l
		printf 'carol:R:%s\n' "$(md5hex carol:R:c)" | "$DPW" -d --pgsql "$A" --import -
		"$DPW" -d --pgsql "$A" -D R bob
		"$DPW" -d --pgsql "$RD" -D R alice || true
	} >"$W/out" 2>&1
	grep -q 'debug: connected to host=127.0.0.1' "$W/out"
	no_secret "$W/out"
	# the password on the command line: refused, never echoed
	for ci in "$A password=$PG_ADMIN_PASSWORD" \
		"password='$PG_ADMIN_PASSWORD' $A" \
		"postgresql://digest_admin:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/digest" \
		"postgresql://digest_admin@127.0.0.1:$PG_PORT/digest?password=$PG_ADMIN_PASSWORD"; do
		run "$DPW" -d --pgsql "$ci" -l
		one_line_error "CONNINFO holds a password"
		[[ "$output" != *"$PG_ADMIN_PASSWORD"* ]]
	done
	# a mistyped conninfo that libpq quotes back: the quoted part is left out
	for ci in "$A $PG_ADMIN_PASSWORD" "$A $PG_ADMIN_PASSWORD=x" \
		"postgresql://digest_admin:$PG_ADMIN_PASSWORD@[::1/digest" \
		"postgresql://u:%zz$PG_ADMIN_PASSWORD@h/d"; do
		run "$DPW" -d --pgsql "$ci" -l
		one_line_error "invalid --pgsql CONNINFO (not shown)"
		[[ "$output" != *"$PG_ADMIN_PASSWORD"* ]]
	done
	# PGPASSWORD: refused, not used
	run env PGPASSWORD="$PG_ADMIN_PASSWORD" "$DPW" -d --pgsql "$A" -l
	one_line_error "PGPASSWORD is set"
	[[ "$output" != *"$PG_ADMIN_PASSWORD"* ]]
	# passfile= in CONNINFO works in place of PGPASSFILE
	run env -u PGPASSFILE HOME="$W" "$DPW" -d --pgsql "$A passfile=$PG_PASSFILE" -l
	[ "$status" -eq 0 ]
	[[ "$output" == *"alice:R"* ]]
	[[ "$output" != *"$PG_ADMIN_PASSWORD"* ]]
	# no password anywhere, or a wrong one: the server's refusal, one line
	run env -u PGPASSFILE HOME="$W" "$DPW" --pgsql "$A" -l
	one_line_error "cannot connect:"
	[[ "$output" == *"no password supplied"* ]]
	printf '127.0.0.1:*:digest:digest_admin:wrong-%s\n' "$PG_ADMIN_PASSWORD" >"$W/badpass"
	chmod 600 "$W/badpass"
	run env PGPASSFILE="$W/badpass" "$DPW" --pgsql "$A" -l
	one_line_error "password authentication failed for user \"digest_admin\""
	[[ "$output" != *"$PG_ADMIN_PASSWORD"* ]]
}

@test "a bad conninfo: one line, exit 1" {
	init_store
	run "$DPW" --pgsql "hots=127.0.0.1" -l
	one_line_error 'invalid --pgsql CONNINFO (not shown): invalid connection option "..."'
	run "$DPW" --pgsql "host=127.0.0.1 port=$PG_PORT dbname='digest" -l
	one_line_error "unterminated quoted string"
	run "$DPW" --pgsql "host=127.0.0.1 port=$PG_PORT dbname=nope user=digest_admin" -l
	one_line_error "host=127.0.0.1 port=$PG_PORT dbname=nope: cannot connect:"
	run "$DPW" --pgsql "host=127.0.0.1 port=$PG_PORT dbname=digest user=nobody" -l
	one_line_error "cannot connect:"
	run "$DPW" --pgsql "host=127.0.0.1 port=notaport dbname=digest" -l
	one_line_error "cannot connect:"
	run "$DPW" --pgsql "host=no-such-host.invalid dbname=digest" -l
	one_line_error "cannot connect:"
	run "$DPW" --pgsql "$A" --sqlite "$W/db" -l
	one_line_error "--sqlite and --pgsql cannot be combined"
	run "$DPW" --sqlite "$W/db" --pgsql "$A" -l
	one_line_error "--sqlite and --pgsql cannot be combined"
	run "$DPW" --pgsql "$A" R
	one_line_error "takes REALM USER"
	run "$DPW" --pgsql "$A" --init extra
	one_line_error "--init takes no other arguments"
	run "$DPW" --pgsql "$A" -l R extra
	one_line_error "-l takes at most a REALM"
	run "$DPW" --pgsql "$A" --group-add R alice
	one_line_error "--group-add takes REALM USER GROUP"
	run "$DPW" --pgsql
	one_line_error "option --pgsql needs a value"
	[ "$(q 'SELECT count(*) FROM digest_users')" = 0 ]
}

@test "a server that is down or hangs: one line, exit 1; back up, it works" {
	init_store
	set_pw R alice a
	pg_stop
	run "$DPW" --pgsql "$RD" -l
	one_line_error "host=127.0.0.1 port=$PG_PORT dbname=digest: cannot connect: connection to server at \"127.0.0.1\", port $PG_PORT failed"
	run bash -c "printf 'b\n' | '$DPW' -i --pgsql '$A' R bob"
	one_line_error "cannot connect:"
	run bash -c "printf 'a\n' | '$DPW' -v -i --pgsql '$RD' R alice"
	one_line_error "cannot connect:"
	pg_start
	set_pw R bob b
	# killed (no shutdown at all), then restarted: crash recovery keeps it
	pg_kill_primary
	run "$DPW" --pgsql "$A" --import /dev/null
	one_line_error "cannot connect:"
	pg_start
	[ "$("$DPW" --pgsql "$RD" -l)" = "$(printf 'alice:R\nbob:R')" ]
	# a server that accepts and never answers: connect_timeout ends it
	port=$(free_port)
	python3 "$top_srcdir/tests/lib/blackhole.py" "$port" "$W/bh.log" 3>&- &
	BH_PID=$!
	wait_for 10 grep -q listening "$W/bh.log"
	start=$SECONDS
	run "$DPW" --pgsql "host=127.0.0.1 port=$port dbname=digest user=digest_admin connect_timeout=2" -l
	one_line_error "cannot connect:"
	[ $((SECONDS - start)) -lt 10 ]
}

@test "a hot standby: -l and -v read from it, writes are refused in one line" {
	init_store
	set_pw R alice a
	"$DPW" --pgsql "$A" --group-add R alice g 2>/dev/null
	pg_standby_setup "$W/standby"
	wait_for 20 bash -c '[ "$(PGPASSFILE=$PG_PASSFILE psql -X -At -d "$PG_CONNINFO_STANDBY_READER" -c "SELECT count(*) FROM digest_groups" 2>/dev/null)" = 1 ]'
	[ "$("$DPW" --pgsql "$PG_CONNINFO_STANDBY_READER" -l)" = "$(printf 'alice:R\tg')" ]
	printf 'a\n' | "$DPW" -v -i --pgsql "$PG_CONNINFO_STANDBY_READER" R alice 2>/dev/null
	run bash -c "printf 'b\n' | '$DPW' -i --pgsql '$PG_CONNINFO_STANDBY_ADMIN' R bob"
	one_line_error "read-only transaction"
	run "$DPW" --pgsql "$PG_CONNINFO_STANDBY_ADMIN" --init
	one_line_error "read-only"
	# the primary dies: the standby still answers reads
	pg_kill_primary
	[ "$("$DPW" --pgsql "$PG_CONNINFO_STANDBY_READER" -l)" = "$(printf 'alice:R\tg')" ]
	pg_start
}

@test "--pgsql in a build without PostgreSQL: \"PostgreSQL support not compiled in\"" {
	if pgsql_built; then
		run "$DPW" --pgsql "dbname=x" --sqlite x -l
		[[ "$output" != *"not compiled in"* ]]
		return 0
	fi
	run "$DPW" --pgsql "dbname=digest" --init
	one_line_error "PostgreSQL support not compiled in"
}
