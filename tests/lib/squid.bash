# squid.bash - a real Squid for the end-to-end suites: start one for a given
# `auth_param digest program ...` line, log in through it with curl, stop it.
# Load after lib/common:
#
#   load lib/common
#   load lib/squid
#
# Every instance lives in $W, a private directory under /tmp that Squid's
# user (proxy, when the tests run as root) can reach; everything started
# here is stopped by its PID, never by name.
#
#   squid_workdir PREFIX        make $W (/tmp/PREFIX.XXXXXX, mode 755, owned
#                               by proxy when root) and export it
#   squid_helper PROGRAM        print a path to PROGRAM that Squid's user can
#                               run: PROGRAM itself, or a copy in $W/bin
#   squid_readable FILE...      let Squid's user read FILE (root:proxy 640
#                               when root; nothing otherwise)
#   squid_ports N               N distinct free TCP ports on 127.0.0.1
#   origin_start NAME PORT DIR  python3 http.server on 127.0.0.1:PORT serving
#                               DIR; sets and exports ORIGIN_<NAME>_PID
#   origin_wait PORT            wait (20 s at most) until it answers
#   squid_start NAME PORT PROGRAM [LINE...]
#                               write $W/squid-NAME.conf and start squid -N
#                               in the background; sets and exports
#                               SQUID_<NAME>_PID.  The configuration: listen
#                               on 127.0.0.1:PORT, no cache, logs
#                               $W/cache-NAME.log and $W/access-NAME.log
#                               (Squid's native format), then
#                                 auth_param digest program PROGRAM
#                                 auth_param digest children $SQUID_CHILDREN
#                                 auth_param digest realm $REALM
#                               (SQUID_CHILDREN defaults to "3 concurrency=4",
#                               so requests carry channel IDs), then each
#                               LINE as given, or, with no LINE:
#                                 acl a proxy_auth REQUIRED
#                                 http_access allow a
#                                 http_access deny all
#                               PROGRAM is split on spaces by Squid: no
#                               quoting, so no spaces inside an argument.
#   squid_wait NAME PORT [S]    wait (S seconds, default 20) until the proxy
#                               asks for credentials (407); if it does not,
#                               print the tail of its cache.log and output,
#                               and fail
#   squid_stop NAME...          SIGINT each instance (their shut-downs
#                               overlap), then wait for each, SIGKILL after 5 s
#   origin_stop NAME...         the same for origins (SIGTERM)
#   proxy_status PORT URL [CURL-ARGS...]
#                               the final HTTP status of a GET of URL through
#                               the proxy on PORT; the body goes to $BODY
#                               (default: discarded); proxy variables of the
#                               environment are ignored; 10 s at most
#   proxy_login PORT URL USER PASSWORD
#                               the same with a Digest proxy login
#   alive PID                   running and not a zombie
#   stop_pid PID [SIGNAL]       SIGNAL (default TERM), 5 s, then SIGKILL
#
# A new store in tests/squid_groups.bats, for instance, needs only:
#
#   squid_start Q "$PORT_Q" "$(squid_helper "$top_builddir/digest_x_auth") ARGS" \
#       "${GROUP_ACCESS[@]}"
#   squid_wait Q "$PORT_Q"
#   [ "$(proxy_login "$PORT_Q" "$URL" user password)" = 200 ]
#   ...
#   squid_stop Q          (in teardown_file)

: "${SQUID_CHILDREN:=3 concurrency=4}"

alive() {
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $s != Z* ]]
}

# (Squid takes SIGINT as "shut down now"; background jobs of a
# non-interactive shell ignore SIGINT unless they set their own handler, as
# Squid does and python does not: origins get SIGTERM.)
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		alive "$pid" || break
		sleep 0.1
	done
	! alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

squid_workdir() {
	W=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$W"
	[ "$(id -u)" != 0 ] || chown proxy:proxy "$W"
	export W
}

squid_helper() {
	local prog=$1 copy
	if [ "$(id -u)" != 0 ] || runuser -u proxy -- test -x "$prog" 2>/dev/null; then
		printf '%s\n' "$prog"
		return
	fi
	mkdir -p "$W/bin"
	chmod 755 "$W/bin"
	copy="$W/bin/$(basename "$prog")"
	cp "$prog" "$copy"
	chmod 755 "$copy"
	printf '%s\n' "$copy"
}

squid_readable() {
	[ "$(id -u)" = 0 ] || return 0
	chown root:proxy "$@"
	chmod 640 "$@"
}

squid_ports() {
	python3 - "$1" <<-'EOF'
		import socket, sys
		socks = []
		for _ in range(int(sys.argv[1])):
		    s = socket.socket()
		    s.bind(("127.0.0.1", 0))
		    socks.append(s)
		print(" ".join(str(s.getsockname()[1]) for s in socks))
	EOF
}

origin_start() {
	local name=$1 port=$2 dir=$3
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir" \
		>"$W/origin-$name.log" 2>&1 3>&- &
	printf -v "ORIGIN_${name}_PID" '%s' "$!"
	export "ORIGIN_${name}_PID"
}

origin_up() {
	curl -s --max-time 2 --noproxy '*' -o /dev/null "http://127.0.0.1:$1/"
}

origin_wait() {
	wait_for 20 origin_up "$1" && return 0
	echo "origin on port $1 did not come up"
	return 1
}

proxy_status() {
	local port=$1 url=$2
	shift 2
	env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY \
		-u all_proxy -u ALL_PROXY -u no_proxy -u NO_PROXY \
		curl -s --max-time 10 --noproxy '' -o "${BODY:-/dev/null}" -w '%{http_code}' \
		-x "http://127.0.0.1:$port" "$@" "$url"
}

proxy_login() {
	proxy_status "$1" "$2" --proxy-digest -U "$3:$4"
}

# squid_conf NAME PORT PROGRAM [LINE...]: $W/squid-NAME.conf
squid_conf() {
	local name=$1 port=$2 prog=$3
	shift 3
	[ "$#" -gt 0 ] || set -- "acl a proxy_auth REQUIRED" "http_access allow a" \
		"http_access deny all"
	{
		echo "http_port 127.0.0.1:$port"
		echo "pid_filename $W/squid-$name.pid"
		echo "cache_log $W/cache-$name.log"
		echo "access_log stdio:$W/access-$name.log"
		echo "cache_store_log none"
		echo "coredump_dir $W"
		[ "$(id -u)" != 0 ] || echo "cache_effective_user proxy"
		echo "cache deny all"
		echo "visible_hostname test"
		echo "pinger_enable off"
		echo "netdb_filename none"
		echo "dns_nameservers 127.0.0.1"
		echo "shutdown_lifetime 1 seconds"
		echo "auth_param digest program $prog"
		echo "auth_param digest children $SQUID_CHILDREN"
		echo "auth_param digest realm $REALM"
		printf '%s\n' "$@"
	} >"$W/squid-$name.conf"
}

squid_start() {
	local name=$1
	squid_conf "$@"
	squid -N -f "$W/squid-$name.conf" >"$W/squid-$name.out" 2>&1 3>&- &
	printf -v "SQUID_${name}_PID" '%s' "$!"
	export "SQUID_${name}_PID"
}

# true once the proxy asks for credentials, or once its process is gone
# (then there is nothing left to wait for)
squid_ready_or_dead() {
	! alive "$1" || [ "$(proxy_status "$2" "http://127.0.0.1:$2/")" = 407 ]
}

squid_wait() {
	local name=$1 port=$2 pid_var="SQUID_$1_PID"
	wait_for "${3:-20}" squid_ready_or_dead "${!pid_var}" "$port" || true
	if alive "${!pid_var}" && [ "$(proxy_status "$port" "http://127.0.0.1:$port/")" = 407 ]; then
		return 0
	fi
	echo "Squid instance $name did not come up; tail of its cache.log:"
	tail -n 30 "$W/cache-$name.log" 2>&1 || true
	echo "its stdout/stderr:"
	cat "$W/squid-$name.out" 2>&1 || true
	return 1
}

squid_stop() {
	local n v
	for n in "$@"; do
		v="SQUID_${n}_PID"
		[ -z "${!v:-}" ] || kill -INT "${!v}" 2>/dev/null || true
	done
	for n in "$@"; do
		v="SQUID_${n}_PID"
		stop_pid "${!v:-}" INT
	done
}

origin_stop() {
	local n v
	for n in "$@"; do
		v="ORIGIN_${n}_PID"
		stop_pid "${!v:-}" TERM
	done
}
