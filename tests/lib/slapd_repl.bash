# slapd_repl.bash - a replicated throwaway directory: a provider and a
# consumer.  Load after lib/common and lib/slapd (it reuses slapd_setup,
# slapd_start, slapd_stop and slapd_up with SLAPD_DIR and SLAPD_URI pointed
# at the server in question).
#
#   repl_setup DIR          the provider: slapd_setup in DIR/provider, then
#                           slapd's syncprov overlay added to its database
#                           and the server restarted; the consumer: the
#                           same configuration in DIR/consumer with its own
#                           empty database and a syncrepl refreshAndPersist
#                           from the provider (bound as the provider's root
#                           DN, retry "1 +"), started and waited for until
#                           it holds what the provider holds.  Both on
#                           127.0.0.1, each on its own free port.  The
#                           SLAPD_* variables name the provider, so
#                           slapd_add writes to it.
#   repl_stop               stop both (thawed first), by their pid files
#   repl_slapd_stop DIR     stop the slapd of DIR/slapd.pid (slapd_stop, but
#                           done when the process is dead, not when reaped)
#   repl_consumer_kill      SIGKILL the consumer and wait until it is gone
#   repl_consumer_stop      stop the consumer (SIGTERM, as slapd_stop)
#   repl_consumer_start     start it again on the same port and database
#   repl_consumer_pause     SIGSTOP the consumer: it keeps accepting TCP
#                           connections (the kernel does) and answers none
#   repl_consumer_resume    SIGCONT it
#   repl_consumer_pid       the consumer's PID, from its pid file
#   repl_csn URI            the contextCSN values of the suffix on URI,
#                           sorted, one a line (empty if none or no answer)
#   repl_synced             the consumer's contextCSN is the provider's
#   repl_wait_synced [SECONDS]
#                           wait (at most SECONDS, default 15) until
#                           repl_synced; fails with both CSNs on stderr
#
# Sets and exports PROVIDER_URI, PROVIDER_PORT, PROVIDER_DIR, CONSUMER_URI,
# CONSUMER_PORT and CONSUMER_DIR.  Every signal goes to a PID read from a
# pid file of ours: nothing else is ever stopped.

REPL_SYNC_TIMEOUT_S=15	# a refresh of a few entries takes well under 1 s

repl_setup() {
	local dir=$1 secret
	slapd_setup "$dir/provider" || return 1
	PROVIDER_DIR=$SLAPD_DIR PROVIDER_URI=$SLAPD_URI PROVIDER_PORT=$SLAPD_PORT
	# syncprov on the provider's database (the last section of the file);
	# entryCSN and entryUUID indexed, as the syncprov man page asks
	repl_slapd_stop "$PROVIDER_DIR"
	sed -i -e 's|^moduleload back_mdb$|&\nmoduleload syncprov|' \
		-e 's|^index objectClass,uid,cn eq$|&\nindex entryCSN,entryUUID eq|' \
		"$PROVIDER_DIR/slapd.conf"
	printf '%s\n' "overlay syncprov" "syncprov-checkpoint 100 1" \
		"syncprov-sessionlog 1000" >>"$PROVIDER_DIR/slapd.conf"
	grep -q '^moduleload syncprov$' "$PROVIDER_DIR/slapd.conf" || {
		echo "repl_setup: no moduleload line to add syncprov after" >&2; return 1; }
	[ -e /usr/lib/ldap/syncprov.la ] || [ -e /usr/lib/ldap/syncprov.so ] || {
		echo "repl_setup: slapd's syncprov module is not installed (/usr/lib/ldap/syncprov.la)" >&2
		return 1; }
	slapd_start || return 1

	CONSUMER_DIR="$dir/consumer"
	mkdir -p "$CONSUMER_DIR/db"
	CONSUMER_PORT=$(free_port)
	while [ "$CONSUMER_PORT" = "$PROVIDER_PORT" ]; do CONSUMER_PORT=$(free_port); done
	CONSUMER_URI="ldap://127.0.0.1:$CONSUMER_PORT"
	secret=$(cat "$SLAPD_SECRET_FILE")
	# the provider's configuration without syncprov, its own files, and a
	# syncrepl clause in the database section (after "directory"), writes
	# referred to the provider (updateref), as a replica is set up; the
	# file holds the root DN's password: only we may read it
	( umask 077
	  sed -e "s|^pidfile .*|pidfile $CONSUMER_DIR/slapd.pid|" \
		-e "s|^argsfile .*|argsfile $CONSUMER_DIR/slapd.args|" \
		-e '/^overlay syncprov$/d' -e '/^syncprov-/d' -e '/^moduleload syncprov$/d' \
		-e "s|^directory .*|directory $CONSUMER_DIR/db\\
syncrepl rid=001 provider=$PROVIDER_URI type=refreshAndPersist retry=\"1 +\"\\
  searchbase=\"$SLAPD_BASE\" scope=sub bindmethod=simple\\
  binddn=\"$SLAPD_ROOTDN\" credentials=$secret\\
  network-timeout=2 timeout=2\\
updateref $PROVIDER_URI|" \
		"$PROVIDER_DIR/slapd.conf" >"$CONSUMER_DIR/slapd.conf" )
	grep -q '^syncrepl ' "$CONSUMER_DIR/slapd.conf" || {
		echo "repl_setup: no directory line to add syncrepl after" >&2; return 1; }
	export PROVIDER_URI PROVIDER_PORT PROVIDER_DIR CONSUMER_URI CONSUMER_PORT CONSUMER_DIR
	repl_consumer_start || return 1
	repl_wait_synced
}

repl_consumer_pid() {
	[ -f "${CONSUMER_DIR:-}/slapd.pid" ] && cat "$CONSUMER_DIR/slapd.pid"
}

repl_consumer_start() {
	SLAPD_DIR=$CONSUMER_DIR SLAPD_URI=$CONSUMER_URI slapd_start
}

repl_consumer_stop() {
	[ -n "${CONSUMER_DIR:-}" ] || return 0
	repl_consumer_resume
	repl_slapd_stop "$CONSUMER_DIR"
}

# repl_dead PID: the process is gone, or dead and not yet reaped (a zombie:
# its sockets are closed; whoever adopted the daemon may reap it late)
repl_dead() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# repl_slapd_stop DIR: stop the slapd whose pid file is DIR/slapd.pid
# (thawed first), as slapd_stop does, but done once it is dead rather than
# reaped: SIGKILL if it has not shut down within 15 s
repl_slapd_stop() {
	local pid
	[ -f "$1/slapd.pid" ] || return 0
	pid=$(cat "$1/slapd.pid")
	kill -CONT "$pid" 2>/dev/null || true
	kill "$pid" 2>/dev/null || true
	wait_for 15 repl_dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1/slapd.pid"
}

repl_consumer_kill() {
	local pid
	pid=$(repl_consumer_pid) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait_for 10 repl_dead "$pid" || { echo "consumer $pid survived SIGKILL" >&2; return 1; }
	rm -f "$CONSUMER_DIR/slapd.pid"
}

repl_consumer_pause() {
	local pid
	pid=$(repl_consumer_pid) || { echo "repl_consumer_pause: no consumer running" >&2; return 1; }
	freeze "$pid"
}

repl_consumer_resume() {
	local pid
	pid=$(repl_consumer_pid) || return 0
	kill -CONT "$pid" 2>/dev/null || true
}

repl_stop() {
	repl_consumer_stop
	[ -z "${PROVIDER_DIR:-}" ] || repl_slapd_stop "$PROVIDER_DIR"
}

repl_csn() {
	# -l 2: a frozen server must not hold the caller up
	timeout 3 ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=2 -l 2 -H "$1" \
		-D "$SLAPD_ROOTDN" -y "$SLAPD_SECRET_FILE" -s base -b "$SLAPD_BASE" contextCSN 2>/dev/null |
		sed -n 's/^contextCSN: //p' | sort
}

repl_synced() {
	local p c
	p=$(repl_csn "$PROVIDER_URI")
	c=$(repl_csn "$CONSUMER_URI")
	[ -n "$p" ] && [ "$p" = "$c" ]
}

repl_wait_synced() {
	wait_for "${1:-$REPL_SYNC_TIMEOUT_S}" repl_synced && return 0
	echo "the consumer did not catch up within ${1:-$REPL_SYNC_TIMEOUT_S} s:" \
		"provider contextCSN '$(repl_csn "$PROVIDER_URI")'," \
		"consumer contextCSN '$(repl_csn "$CONSUMER_URI")'" >&2
	return 1
}
