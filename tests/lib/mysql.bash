# mysql.bash - throwaway MariaDB servers for the tests.  Load it after
# lib/common (it uses require_cmd, free_port and wait_for):
#
#   load lib/common
#   load lib/mysql
#   setup_file() {
#   	my_installed || return 0	# setup's my_require skips (or fails in CI)
#   	my_setup "$BATS_FILE_TMPDIR/my" || return 1
#   	my_schema
#   }
#   teardown_file() { my_teardown; }
#   setup() { my_require; }
#
# (bats 1.8 cannot skip from setup_file: a skip there fails the file.  So
# setup_file starts nothing when MariaDB is missing, and my_require in
# setup skips each test loudly - or, in CI, fails it.)
#
#   my_installed            true when mariadbd, mariadb-install-db, mariadb
#                           and mariadb-admin are here (quiet)
#   my_require              require_cmd each of them; also fails when
#                           my_setup did not leave a server to use
#   my_setup DIR            mariadb-install-db into a fresh directory, start
#                           mariadbd on 127.0.0.1, a free port and its own
#                           socket, wait until it answers; create the
#                           database "digest", the account digest_admin
#                           (everything on digest), digest_reader (SELECT on
#                           digest only) and digest_repl (REPLICATION SLAVE),
#                           all '@127.0.0.1' with random passwords.  Binary
#                           logging is on (server-id 1) for a replica.  DIR
#                           (made if missing) gets the option files
#   my_schema               load lib/myschema.h's MYSCHEMA_CREATE as
#                           digest_admin; idempotent
#   my_sql SQL...           run statements as digest_admin on the primary
#                           (batch mode, tab between columns); with no SQL,
#                           from stdin
#   my_sql_on PORT SQL...   the same on another server (the replica)
#   my_stop / my_start      stop the primary (SIGTERM to the PID in its pid
#                           file, that PID only; waited for; SIGKILL after
#                           30 s) / start it again on the same port and data
#   my_kill_primary         SIGKILL it (a crash), waited for
#   my_pids                 the primary's PID (for SIGSTOP)
#   my_replica_setup        a second server (server-id 2, read_only) on its
#                           own free port, loaded with a dump of the primary
#                           and replicating from it (binlog position from the
#                           dump); waits until the replica runs
#   my_replica_sync         wait until the replica has what the primary has
#   my_tls_on / my_tls_off  restart the primary with TLS (a CA and a
#                           server certificate for 127.0.0.1 and localhost,
#                           made with openssl in $MY_DIR/tls; also a second
#                           CA, other.pem, that signed nothing the server
#                           has) / without it
#   my_teardown             stop both servers, remove their directories
#
# Sets and exports:
#   MY_PORT, MY_DIR, MY_SOCK   the primary's port, directory (mktemp -d under
#                           /tmp, owned by the mysql user when run as root)
#                           and socket
#   MY_ADMIN_CNF            DIR/admin.cnf, a [client] option file for
#                           digest_admin on 127.0.0.1 (no port: give --port)
#   MY_READER_CNF           DIR/reader.cnf, the same for digest_reader
#   MY_ADMIN_PASSWORD, MY_READER_PASSWORD  the passwords (random)
#   MY_LOG                  the primary's error log
#   MY_REPLICA_PORT, MY_REPLICA_DIR, MY_REPLICA_LOG  after my_replica_setup
#   MY_TLS_DIR              after my_tls_on: ca.pem, other.pem
#
# mariadbd refuses to run as root without --user: when the tests run as
# root (CI), every server program runs as the mysql user (setpriv).

my_installed() {
	command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || return 1
	command -v mariadb-install-db >/dev/null 2>&1 &&
		command -v mariadb >/dev/null 2>&1 &&
		command -v mariadb-admin >/dev/null 2>&1
}

MY_MARIADBD=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)

my_require() {
	require_cmd "$MY_MARIADBD" || return 1
	require_cmd mariadb-install-db || return 1
	require_cmd mariadb || return 1
	require_cmd mariadb-admin || return 1
	if [ -z "${MY_PORT:-}" ]; then
		echo "my_require: no MariaDB server was set up (my_setup failed?)" >&2
		return 1
	fi
}

# my_os_user: the system user the servers run as (unix_socket logins)
my_os_user() {
	if [ "$(id -u)" -eq 0 ]; then echo mysql; else id -un; fi
}

# my_as CMD...: run a server program as the user that owns the data
my_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && setpriv --reuid=mysql --regid=mysql --init-groups -- "$@")
	else
		(cd / && "$@")
	fi
}

my_owned_tmpdir() {
	local d
	d=$(mktemp -d /tmp/dh-mysql.XXXXXX) || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown mysql:mysql "$d" || return 1
	fi
	chmod 0700 "$d"
	echo "$d"
}

my_random_secret() {
	head -c 18 /dev/urandom | base64 | tr -d '/+=\n'
}

# my_write_cnf FILE USER PASSWORD: a [client] option file, mode 0600
my_write_cnf() {
	(
		umask 077
		printf '[client]\nhost=127.0.0.1\nuser=%s\npassword=%s\n' "$2" "$3"
	) >"$1"
	chmod 0600 "$1"
}

# my_init_dir DIR: a fresh data directory in DIR/data
my_init_dir() {
	my_as mariadb-install-db --no-defaults --datadir="$1/data" \
		--auth-root-authentication-method=socket --skip-test-db \
		--user="$(my_os_user)" \
		--skip-name-resolve >"$1/install.log" 2>&1 ||
		{ echo "mariadb-install-db failed:" >&2; tail -n 20 "$1/install.log" >&2; return 1; }
}

# my_start_dir DIR PORT SERVER-ID [EXTRA...]: mariadbd on 127.0.0.1:PORT
my_start_dir() {
	local dir=$1 port=$2 id=$3; shift 3
	# the server keeps inherited descriptors: close the ones a test may
	# hold (bats on 3, fifos), or readers wait for it
	my_as "$MY_MARIADBD" --no-defaults --datadir="$dir/data" \
		--bind-address=127.0.0.1 --port="$port" --socket="$dir/mysqld.sock" \
		--pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
		--skip-name-resolve --server-id="$id" --log-bin="$dir/data/binlog" \
		--innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
		--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
		--max-connections=200 --performance-schema=OFF \
		--log-bin-trust-function-creators=1 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin "$@" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- </dev/null >/dev/null 2>&1 &
	wait_for 60 my_up "$dir" ||
		{ echo "mariadbd did not start on port $port:" >&2; tail -n 20 "$dir/error.log" >&2; return 1; }
}

my_up() {
	my_as mariadb-admin --no-defaults --socket="$1/mysqld.sock" \
		-u "$(my_os_user)" --connect-timeout=2 status >/dev/null 2>&1
}

# my_root DIR: mariadb as the all-privilege account of the system user
# the server runs as (unix_socket), over DIR's socket; statements on stdin
my_root() {
	my_as mariadb --no-defaults --socket="$1/mysqld.sock" -u "$(my_os_user)" -N -B
}

my_setup() {
	local dir=$1
	require_cmd "$MY_MARIADBD" || return 1
	require_cmd mariadb-install-db || return 1
	if [ "$(id -u)" -eq 0 ]; then
		require_cmd setpriv || return 1
		id mysql >/dev/null 2>&1 || { echo "my_setup: no mysql user" >&2; return 1; }
	fi
	mkdir -p "$dir" || return 1
	MY_DIR=$(my_owned_tmpdir) || return 1
	MY_PORT=$(free_port)
	MY_SOCK="$MY_DIR/mysqld.sock"
	MY_LOG="$MY_DIR/error.log"
	MY_ADMIN_PASSWORD=$(my_random_secret)
	MY_READER_PASSWORD=$(my_random_secret)
	MY_REPL_PASSWORD=$(my_random_secret)
	MY_ADMIN_CNF="$dir/admin.cnf"
	MY_READER_CNF="$dir/reader.cnf"
	my_write_cnf "$MY_ADMIN_CNF" digest_admin "$MY_ADMIN_PASSWORD"
	my_write_cnf "$MY_READER_CNF" digest_reader "$MY_READER_PASSWORD"
	printf '%s\n' "$MY_REPL_PASSWORD" >"$MY_DIR/repl.pw"
	export MY_DIR MY_PORT MY_SOCK MY_LOG MY_ADMIN_CNF MY_READER_CNF \
		MY_ADMIN_PASSWORD MY_READER_PASSWORD
	my_init_dir "$MY_DIR" || return 1
	my_start_dir "$MY_DIR" "$MY_PORT" 1 || return 1
	my_root "$MY_DIR" <<-SQL || { echo "my_setup: creating the accounts failed" >&2; return 1; }
	CREATE DATABASE digest CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
	CREATE USER 'digest_admin'@'127.0.0.1' IDENTIFIED BY '$MY_ADMIN_PASSWORD';
	CREATE USER 'digest_reader'@'127.0.0.1' IDENTIFIED BY '$MY_READER_PASSWORD';
	CREATE USER 'digest_repl'@'127.0.0.1' IDENTIFIED BY '$MY_REPL_PASSWORD';
	GRANT ALL ON digest.* TO 'digest_admin'@'127.0.0.1';
	GRANT SELECT ON digest.* TO 'digest_reader'@'127.0.0.1';
	GRANT REPLICATION SLAVE ON *.* TO 'digest_repl'@'127.0.0.1';
	SQL
}

# my_schema: lib/myschema.h's MYSCHEMA_CREATE, as digest_admin
my_schema() {
	local sql
	sql=$(python3 - "$top_srcdir/lib/myschema.h" <<-'PY'
	import re, sys
	src = open(sys.argv[1]).read()
	m = re.search(r'#define MYSCHEMA_CREATE((?:[^\n]*\\\n)*[^\n]*)', src)
	lits = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
	sys.stdout.write(''.join(lits).encode().decode('unicode_escape'))
	PY
	) || return 1
	my_sql <<<"$sql"
}

my_sql() {
	my_sql_on "$MY_PORT" "$@"
}

my_sql_on() {
	local port=$1 s; shift
	if [ "$#" -eq 0 ]; then
		mariadb --defaults-file="$MY_ADMIN_CNF" --port="$port" -N -B \
			--connect-timeout=10 digest
	else
		for s in "$@"; do
			mariadb --defaults-file="$MY_ADMIN_CNF" --port="$port" -N -B \
				--connect-timeout=10 digest -e "$s" || return 1
		done
	fi
}

# my_stop_dir DIR: SIGTERM to the server in DIR's pid file, that PID only
my_stop_dir() {
	local pid
	[ -f "$1/mysqld.pid" ] || return 0
	pid=$(cat "$1/mysqld.pid")
	[ -n "$pid" ] || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	wait_for 30 test ! -e "/proc/$pid" || kill -9 "$pid" 2>/dev/null || true
	wait_for 5 test ! -e "/proc/$pid" || true
	rm -f "$1/mysqld.pid"
}

my_pids() {
	cat "$MY_DIR/mysqld.pid" 2>/dev/null
}

my_stop() {
	[ -n "${MY_DIR:-}" ] || return 0
	my_stop_dir "$MY_DIR"
}

my_start() {
	my_start_dir "$MY_DIR" "$MY_PORT" 1
}

my_kill_primary() {
	local pid
	pid=$(my_pids) || return 0
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null || true
	wait_for 10 test ! -e "/proc/$pid" || true
	rm -f "$MY_DIR/mysqld.pid"
}

my_tls_on() {
	local d="$MY_DIR/tls"
	MY_TLS_DIR=$d
	export MY_TLS_DIR
	mkdir -p "$d" || return 1
	(
		cd "$d" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
			-days 2 -subj "/CN=digest-helpers test CA" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem \
			-days 2 -subj "/CN=another CA" &&
		openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
			-subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 2 -extfile ext.cnf
	) >"$MY_DIR/tls.log" 2>&1 || { echo "my_tls_on: openssl failed:" >&2; cat "$MY_DIR/tls.log" >&2; return 1; }
	if [ "$(id -u)" -eq 0 ]; then chown -R mysql:mysql "$d"; fi
	my_stop
	my_start_dir "$MY_DIR" "$MY_PORT" 1 --ssl-cert="$d/server.pem" \
		--ssl-key="$d/server.key" --ssl-ca="$d/ca.pem"
}

my_tls_off() {
	my_stop
	my_start
}

my_replica_known() {
	if [ -z "${MY_REPLICA_DIR:-}" ] && [ -n "${MY_DIR:-}" ] && [ -f "$MY_DIR/replica.dir" ]; then
		MY_REPLICA_DIR=$(cat "$MY_DIR/replica.dir")
	fi
	[ -n "${MY_REPLICA_DIR:-}" ]
}

my_replica_setup() {
	MY_REPLICA_DIR=$(my_owned_tmpdir) || return 1
	MY_REPLICA_PORT=$(free_port)
	while [ "$MY_REPLICA_PORT" = "$MY_PORT" ]; do MY_REPLICA_PORT=$(free_port); done
	MY_REPLICA_LOG="$MY_REPLICA_DIR/error.log"
	printf '%s\n' "$MY_REPLICA_DIR" >"$MY_DIR/replica.dir"
	export MY_REPLICA_DIR MY_REPLICA_PORT MY_REPLICA_LOG
	my_init_dir "$MY_REPLICA_DIR" || return 1
	my_start_dir "$MY_REPLICA_DIR" "$MY_REPLICA_PORT" 2 --read-only || return 1
	my_root "$MY_REPLICA_DIR" <<-SQL || return 1
	CREATE USER 'digest_admin'@'127.0.0.1' IDENTIFIED BY '$MY_ADMIN_PASSWORD';
	CREATE USER 'digest_reader'@'127.0.0.1' IDENTIFIED BY '$MY_READER_PASSWORD';
	GRANT ALL ON digest.* TO 'digest_admin'@'127.0.0.1';
	GRANT SELECT ON digest.* TO 'digest_reader'@'127.0.0.1';
	SQL
	# the server first (a CHANGE MASTER TO naming the host starts from the
	# primary's first log), then the dump, which carries the binlog
	# position it was taken at (--master-data=1: a CHANGE MASTER TO with
	# the file and the position alone)
	{
		echo "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MY_PORT,"
		echo "  MASTER_USER='digest_repl', MASTER_PASSWORD='$(cat "$MY_DIR/repl.pw")',"
		echo "  MASTER_USE_GTID=no;"
		echo "CREATE DATABASE digest CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; USE digest;"
		my_as mariadb-dump --no-defaults --socket="$MY_DIR/mysqld.sock" -u "$(my_os_user)" \
			--single-transaction --master-data=1 --routines digest || return 1
		echo "START SLAVE;"
	} | my_root "$MY_REPLICA_DIR" || { echo "my_replica_setup: loading the replica failed" >&2; return 1; }
	wait_for 30 my_replica_running ||
		{ echo "the replica does not run:" >&2; echo 'SHOW SLAVE STATUS\G' | my_root "$MY_REPLICA_DIR" >&2; return 1; }
}

my_replica_running() {
	echo "SHOW GLOBAL STATUS LIKE 'Slave_running'" | my_root "$MY_REPLICA_DIR" | grep -q 'ON$'
}

# my_replica_sync: the replica has applied what the primary has logged
my_replica_sync() {
	local pos
	pos=$(echo 'SELECT @@gtid_binlog_pos' | my_root "$MY_DIR") || return 1
	echo "SELECT MASTER_GTID_WAIT('$pos', 30)" | my_root "$MY_REPLICA_DIR" | grep -qx 0
}

my_teardown() {
	if my_replica_known; then
		my_stop_dir "$MY_REPLICA_DIR"
		case "$MY_REPLICA_DIR" in /tmp/dh-mysql.*) rm -rf "$MY_REPLICA_DIR" ;; esac
	fi
	my_stop
	case "${MY_DIR:-}" in /tmp/dh-mysql.*) rm -rf "$MY_DIR" ;; esac
	return 0
}
