# pgsql.bash - a throwaway PostgreSQL server for the tests.  Load it after
# lib/common (it uses require_cmd, free_port and wait_for):
#
#   load lib/common
#   load lib/pgsql
#   setup_file() {
#   	pg_installed || return 0	# setup's pg_require skips (or fails in CI)
#   	pg_setup "$BATS_FILE_TMPDIR/pg" || return 1
#   	pg_schema
#   }
#   teardown_file() { pg_teardown; }
#   setup() { pg_require; }
#   @test ... { PGPASSFILE=$PG_PASSFILE some_client "$PG_CONNINFO_READER"; }
#
# (bats 1.8 cannot skip from setup_file: a skip there fails the file.  So
# setup_file starts nothing when PostgreSQL is missing, and pg_require in
# setup skips each test loudly - or, in CI, fails it.)
#
#   pg_installed            true when the server programs, psql and
#                           pg_isready are here (quiet; for setup_file)
#   pg_require              require_cmd each of them (for setup: skips, or
#                           fails in CI); also fails when pg_setup did not
#                           leave a server to use
#   pg_setup DIR            initdb a cluster, start it on 127.0.0.1 and a free
#                           port and wait until pg_isready; create the
#                           database "digest" owned by the role digest_admin,
#                           a read-only role digest_reader (CONNECT on digest,
#                           USAGE on schema public and, by default
#                           privileges, SELECT on every table digest_admin
#                           creates there - and on the ones that exist) and
#                           a replication role digest_repl.  Every TCP
#                           login is scram-sha-256 from 127.0.0.1 only; no
#                           other address, no other role.  DIR (made if
#                           missing) gets the password file and postgres.log
#                           (a link to the server's log).
#   pg_schema               load lib/pgschema.h's PGSCHEMA_CREATE as
#                           digest_admin (what digest_passwd --pgsql --init
#                           does, without needing that tool); idempotent
#   pg_psql SQL...          run statements as digest_admin: psql -X -At,
#                           ON_ERROR_STOP, "|" between columns; with no SQL,
#                           the statements come from stdin
#   pg_psql_as CONNINFO SQL...  the same as another role (PG_PASSFILE used)
#   pg_stop                 stop the server (fast shutdown of the postmaster
#                           in postmaster.pid, that pid only; waited for;
#                           kill -9 after 15 s)
#   pg_start                start it again on the same port and data
#   pg_kill_primary         SIGKILL the postmaster (a crash: no shutdown),
#                           then wait until its backends have gone too, so
#                           that pg_start can bring it back (crash recovery)
#   pg_standby_setup DIR2   a hot standby streaming from the server above:
#                           pg_basebackup -R as digest_repl, started on
#                           another free port, read-only, same roles and
#                           passwords; waits until it takes connections
#   pg_standby_stop / pg_standby_start   as pg_stop / pg_start, the standby
#   pg_promote_standby      promote the standby (pg_ctl promote -w): it then
#                           takes writes
#   pg_teardown             stop both servers and remove their directories
#                           (a standby a test set up too: its directory is
#                           recorded in $PG_DIR/standby.dir)
#
# Sets and exports:
#   PG_PORT, PG_DIR         the server's port; its directory (the cluster in
#                           $PG_DIR/data, the unix socket in $PG_DIR; owned
#                           by the postgres user, made with mktemp -d under
#                           /tmp, since the server cannot reach the 0700
#                           bats directories root owns)
#   PG_CONNINFO_ADMIN       "host=127.0.0.1 port=$PG_PORT dbname=digest user=digest_admin"
#   PG_CONNINFO_READER      "host=127.0.0.1 port=$PG_PORT dbname=digest user=digest_reader"
#                           (keyword strings with no password: the password
#                           comes from the password file)
#   PG_PASSFILE             DIR/pgpass, .pgpass format, mode 0600, lines for
#                           digest_admin and digest_reader on 127.0.0.1, any
#                           port (so the standby's too); use it as
#                           PGPASSFILE=$PG_PASSFILE
#   PG_ADMIN_PASSWORD, PG_READER_PASSWORD   the passwords (random; for tests
#                           that check they are never printed, or that put
#                           one in a conninfo on purpose)
#   PG_LOG                  the server's log file
#   PG_STANDBY_PORT, PG_STANDBY_DIR, PG_STANDBY_LOG, PG_CONNINFO_STANDBY_READER,
#   PG_CONNINFO_STANDBY_ADMIN   after pg_standby_setup
#
# The server programs come from PG_BINDIR (default: PostgreSQL 15's, else
# the newest /usr/lib/postgresql/*/bin).  initdb and postgres refuse to run
# as root: when the tests run as root (CI), they run as the postgres user;
# run by hand as another user, they run as that user.  Without PostgreSQL
# installed, require_cmd skips the tests loudly (and fails them in CI).
# The server is tuned to start fast, not to survive the machine's crash:
# fsync=off (commits still reach the kernel: a SIGKILLed server keeps
# them).

if [ -z "${PG_BINDIR:-}" ]; then
	if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
		PG_BINDIR=/usr/lib/postgresql/15/bin
	else
		PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
		: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"
	fi
fi

# pg_as CMD...: run a server program as the user that owns the cluster
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- \
			env HOME=/var/lib/postgresql "$@")
	else
		(cd / && "$@")
	fi
}

# pg_owned_tmpdir: a fresh directory under /tmp that the cluster owner owns
pg_owned_tmpdir() {
	local d
	d=$(mktemp -d /tmp/dh-pgsql.XXXXXX) || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$d" || return 1
	fi
	chmod 0700 "$d"
	echo "$d"
}

pg_random_secret() {
	head -c 18 /dev/urandom | base64 | tr -d '/+=\n'
}

pg_installed() {
	[ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] &&
		[ -x "$PG_BINDIR/pg_basebackup" ] &&
		command -v psql >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1
}

pg_require() {
	require_cmd "$PG_BINDIR/initdb" || return 1
	require_cmd "$PG_BINDIR/pg_ctl" || return 1
	require_cmd "$PG_BINDIR/pg_basebackup" || return 1
	require_cmd psql || return 1
	require_cmd pg_isready || return 1
	if [ -z "${PG_PORT:-}" ]; then
		echo "pg_require: no PostgreSQL server was set up (pg_setup failed?)" >&2
		return 1
	fi
}

pg_setup() {
	local dir=$1
	require_cmd "$PG_BINDIR/initdb" || return 1
	require_cmd "$PG_BINDIR/pg_ctl" || return 1
	require_cmd psql || return 1
	require_cmd pg_isready || return 1
	if [ "$(id -u)" -eq 0 ]; then
		require_cmd setpriv || return 1
		id postgres >/dev/null 2>&1 || { echo "pg_setup: no postgres user" >&2; return 1; }
	fi
	mkdir -p "$dir" || return 1
	PG_DIR=$(pg_owned_tmpdir) || return 1
	PG_PORT=$(free_port)
	PG_LOG="$PG_DIR/postgres.log"
	PG_ADMIN_PASSWORD=$(pg_random_secret)
	PG_READER_PASSWORD=$(pg_random_secret)
	PG_REPL_PASSWORD=$(pg_random_secret)
	PG_CONNINFO_ADMIN="host=127.0.0.1 port=$PG_PORT dbname=digest user=digest_admin"
	PG_CONNINFO_READER="host=127.0.0.1 port=$PG_PORT dbname=digest user=digest_reader"
	PG_PASSFILE="$dir/pgpass"
	(
		umask 077
		printf '127.0.0.1:*:digest:digest_admin:%s\n' "$PG_ADMIN_PASSWORD"
		printf '127.0.0.1:*:digest:digest_reader:%s\n' "$PG_READER_PASSWORD"
	) >"$PG_PASSFILE"
	chmod 0600 "$PG_PASSFILE"
	# the standby's pg_basebackup and walreceiver run as the cluster owner:
	# their own password file, in the cluster's directory
	(
		umask 077
		printf '127.0.0.1:*:replication:digest_repl:%s\n' "$PG_REPL_PASSWORD"
	) >"$PG_DIR/repl.pgpass"
	if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_DIR/repl.pgpass"; fi
	chmod 0600 "$PG_DIR/repl.pgpass"

	pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 --no-sync \
		>"$PG_DIR/initdb.log" 2>&1 ||
		{ echo "pg_setup: initdb failed:" >&2; cat "$PG_DIR/initdb.log" >&2; return 1; }
	# local socket (0700 directory: the cluster owner and root only) trusted
	# for the bootstrap superuser; TCP from 127.0.0.1 with passwords only
	pg_as sh -c 'cat >"$1"' sh "$PG_DIR/data/pg_hba.conf" <<-HBA
	local   all          postgres                           trust
	host    digest       digest_admin,digest_reader  127.0.0.1/32  scram-sha-256
	host    replication  digest_repl                 127.0.0.1/32  scram-sha-256
	HBA
	pg_as sh -c 'cat >>"$1"' sh "$PG_DIR/data/postgresql.conf" <<-CONF

	# tests/lib/pgsql.bash
	listen_addresses = '127.0.0.1'
	port = $PG_PORT
	unix_socket_directories = '$PG_DIR'
	fsync = off
	full_page_writes = off
	shared_buffers = 16MB
	max_connections = 120
	wal_level = replica
	max_wal_senders = 4
	wal_keep_size = 64MB
	hot_standby = on
	password_encryption = scram-sha-256
	logging_collector = off
	log_min_messages = warning
	log_line_prefix = '%m [%p] %u@%d '
	CONF
	ln -sf "$PG_LOG" "$dir/postgres.log"
	export PG_DIR PG_PORT PG_LOG PG_CONNINFO_ADMIN PG_CONNINFO_READER PG_PASSFILE \
		PG_ADMIN_PASSWORD PG_READER_PASSWORD PG_BINDIR
	pg_start || return 1
	pg_super <<-SQL || { echo "pg_setup: creating the roles failed" >&2; return 1; }
	\set ON_ERROR_STOP 1
	CREATE ROLE digest_admin LOGIN PASSWORD '$PG_ADMIN_PASSWORD';
	CREATE ROLE digest_reader LOGIN PASSWORD '$PG_READER_PASSWORD';
	CREATE ROLE digest_repl LOGIN REPLICATION PASSWORD '$PG_REPL_PASSWORD';
	CREATE DATABASE digest OWNER digest_admin;
	REVOKE ALL ON DATABASE digest FROM PUBLIC;
	GRANT CONNECT, TEMPORARY ON DATABASE digest TO digest_admin;
	GRANT CONNECT ON DATABASE digest TO digest_reader;
	\connect digest
	REVOKE ALL ON SCHEMA public FROM PUBLIC;
	GRANT USAGE, CREATE ON SCHEMA public TO digest_admin;
	GRANT USAGE ON SCHEMA public TO digest_reader;
	ALTER DEFAULT PRIVILEGES FOR ROLE digest_admin IN SCHEMA public
	  GRANT SELECT ON TABLES TO digest_reader;
	SQL
}

# pg_super: psql as the bootstrap superuser over the unix socket, stdin
pg_super() {
	pg_as psql -X -q -At -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -f - >/dev/null
}

# pg_schema: lib/pgschema.h's PGSCHEMA_CREATE, as digest_admin
pg_schema() {
	local sql
	sql=$(python3 - "$top_srcdir/lib/pgschema.h" <<-'PY'
	import re, sys
	src = open(sys.argv[1]).read()
	m = re.search(r'#define PGSCHEMA_CREATE((?:[^\n]*\\\n)*[^\n]*)', src)
	lits = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
	sys.stdout.write(''.join(lits).encode().decode('unicode_escape'))
	PY
	) || return 1
	pg_psql <<<"BEGIN; $sql GRANT SELECT ON ALL TABLES IN SCHEMA public TO digest_reader; COMMIT;"
}

pg_psql() {
	pg_psql_as "$PG_CONNINFO_ADMIN" "$@"
}

pg_psql_as() {
	local conninfo=$1; shift
	local args=() s
	if [ "$#" -eq 0 ]; then
		args=(-f -)
	else
		for s in "$@"; do args+=(-c "$s"); done
	fi
	PGPASSFILE=$PG_PASSFILE PGCONNECT_TIMEOUT=10 \
		psql -X -q -At -v ON_ERROR_STOP=1 -d "$conninfo" "${args[@]}"
}

pg_up() {
	pg_isready -q -h 127.0.0.1 -p "$1" -t 1
}

# pg_start_dir DATADIR LOG PORT
pg_start_dir() {
	# pg_ctl's postmaster keeps inherited descriptors: close the ones a test
	# may hold (bats on 3, fifos), or readers wait for it
	pg_as "$PG_BINDIR/pg_ctl" -D "$1" -l "$2" -w -t 60 -s start \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- >/dev/null ||
		{ echo "postgres did not start on port $3:" >&2; tail -n 20 "$2" >&2; return 1; }
	wait_for 30 pg_up "$3" || { echo "postgres is not ready on port $3" >&2; return 1; }
}

# pg_stop_dir DATADIR: fast shutdown of the postmaster in its pid file
pg_stop_dir() {
	local pid
	[ -f "$1/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$1/postmaster.pid")
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait_for 15 test ! -e "/proc/$pid" || kill -9 "$pid" 2>/dev/null || true
	wait_for 5 test ! -e "/proc/$pid" || true
}

# pg_kill_dir DATADIR: SIGKILL the postmaster; wait for its children to go
pg_kill_dir() {
	local pid kids k
	[ -f "$1/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$1/postmaster.pid")
	[ -n "$pid" ] || return 0
	kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
	kill -9 "$pid" 2>/dev/null || true
	wait_for 5 test ! -e "/proc/$pid" || true
	# the backends notice the postmaster's death and exit; the shared
	# memory must be free before a restart
	for k in $kids; do
		wait_for 10 test ! -e "/proc/$k" || kill -9 "$k" 2>/dev/null || true
	done
}

pg_start() {
	pg_start_dir "$PG_DIR/data" "$PG_LOG" "$PG_PORT"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_stop_dir "$PG_DIR/data"
}

pg_kill_primary() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_kill_dir "$PG_DIR/data"
}

pg_standby_setup() {
	local dir=$1
	mkdir -p "$dir" || return 1
	PG_STANDBY_DIR=$(pg_owned_tmpdir) || return 1
	PG_STANDBY_PORT=$(free_port)
	while [ "$PG_STANDBY_PORT" = "$PG_PORT" ]; do PG_STANDBY_PORT=$(free_port); done
	PG_STANDBY_LOG="$PG_STANDBY_DIR/postgres.log"
	pg_as env PGPASSFILE="$PG_DIR/repl.pgpass" "$PG_BINDIR/pg_basebackup" \
		-h 127.0.0.1 -p "$PG_PORT" -U digest_repl -D "$PG_STANDBY_DIR/data" \
		-R -X stream -c fast --no-sync >"$PG_STANDBY_DIR/basebackup.log" 2>&1 ||
		{ echo "pg_standby_setup: pg_basebackup failed:" >&2; cat "$PG_STANDBY_DIR/basebackup.log" >&2; return 1; }
	# later lines win: the standby's own port and socket, and a
	# primary_conninfo that reads the password from the file
	pg_as sh -c 'cat >>"$1"' sh "$PG_STANDBY_DIR/data/postgresql.auto.conf" <<-CONF
	port = $PG_STANDBY_PORT
	unix_socket_directories = '$PG_STANDBY_DIR'
	primary_conninfo = 'host=127.0.0.1 port=$PG_PORT user=digest_repl passfile=$PG_DIR/repl.pgpass'
	CONF
	ln -sf "$PG_STANDBY_LOG" "$dir/postgres.log"
	# for a pg_teardown in teardown_file, which does not see a test's variables
	printf '%s\n' "$PG_STANDBY_DIR" >"$PG_DIR/standby.dir"
	PG_CONNINFO_STANDBY_ADMIN="host=127.0.0.1 port=$PG_STANDBY_PORT dbname=digest user=digest_admin"
	PG_CONNINFO_STANDBY_READER="host=127.0.0.1 port=$PG_STANDBY_PORT dbname=digest user=digest_reader"
	export PG_STANDBY_DIR PG_STANDBY_PORT PG_STANDBY_LOG PG_CONNINFO_STANDBY_ADMIN PG_CONNINFO_STANDBY_READER
	pg_standby_start
}

pg_standby_start() {
	pg_start_dir "$PG_STANDBY_DIR/data" "$PG_STANDBY_LOG" "$PG_STANDBY_PORT"
}

# pg_standby_known: PG_STANDBY_DIR, from a test's pg_standby_setup if need be
pg_standby_known() {
	if [ -z "${PG_STANDBY_DIR:-}" ] && [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/standby.dir" ]; then
		PG_STANDBY_DIR=$(cat "$PG_DIR/standby.dir")
	fi
	[ -n "${PG_STANDBY_DIR:-}" ]
}

pg_standby_stop() {
	pg_standby_known || return 0
	pg_stop_dir "$PG_STANDBY_DIR/data"
}

pg_promote_standby() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_STANDBY_DIR/data" -w -t 30 -s promote >/dev/null
}

pg_teardown() {
	pg_standby_known || true
	pg_standby_stop
	pg_stop
	case "${PG_STANDBY_DIR:-}" in /tmp/dh-pgsql.*) rm -rf "$PG_STANDBY_DIR" ;; esac
	case "${PG_DIR:-}" in /tmp/dh-pgsql.*) rm -rf "$PG_DIR" ;; esac
	return 0
}
