# bg.bash - one helper run in the background as a coprocess, for the
# suites that talk to it line by line (fail-over drills, time-outs).
# Load after lib/common.  The suite sets:
#
#   BG_PROG       the program to run
#   BG_ASK_S      seconds bg_ask waits for a reply (default 10)
#   BG_FINISH_S   seconds bg_finish waits for the end of output (default 15)
#
#   bg_start ARGS...        start BG_PROG ARGS; requests go to fd 7, replies
#                           come on fd 8, stderr to $BATS_TEST_TMPDIR/bg.err;
#                           BG_PID is its pid
#   bg_ask LINE             send one line, print its reply (TIMEOUT...)
#   ask_expect LINE WANT    the reply to LINE must be WANT
#   collect N SECONDS FILE  read N replies into FILE within SECONDS in all
#   bg_finish               close its input: it must exit 0 having written
#                           nothing more
#   bg_cleanup              for teardown: stop a helper a failed test left
#                           (by BG_PID only)
#   peer_ports PID          the server ports of PID's established TCP
#                           connections, one a line (which server a helper
#                           is connected to)

now_ms() { echo $(($(date +%s%N) / 1000000)); }

bg_start() {
	coproc BGH { exec "$BG_PROG" "$@" 2>"$BATS_TEST_TMPDIR/bg.err" 3>&-; }
	BG_PID=$BGH_PID
	exec 7>&"${BGH[1]}" 8<&"${BGH[0]}"
	# only fds 7 and 8 from here: closing 7 is the helper's end of input
	eval "exec ${BGH[1]}>&- ${BGH[0]}<&-"
}

bg_ask() {
	local r s=${BG_ASK_S:-10}
	printf '%s\n' "$1" >&7
	IFS= read -r -t "$s" -u 8 r || r="TIMEOUT (no reply within $s s)"
	printf '%s' "$r"
}

ask_expect() {
	local got
	got=$(bg_ask "$1")
	[ "$got" = "$2" ] || { printf 'request:  %s\nexpected: %s\nactual:   %s\n' "$1" "$2" "$got"; return 1; }
}

collect() {
	local n=$1 end=$(($(now_ms) + $2 * 1000)) f=$3 got=0 line left
	: >"$f"
	while [ "$got" -lt "$n" ]; do
		left=$((end - $(now_ms)))
		[ "$left" -gt 0 ] || break
		IFS= read -r -t "$((left / 1000)).$(printf '%03d' $((left % 1000)))" -u 8 line || break
		printf '%s\n' "$line" >>"$f"
		got=$((got + 1))
	done
	[ "$got" -eq "$n" ] || { echo "only $got of $n replies within $2 s" >&2; return 1; }
}

bg_finish() {
	local extra rc=0
	exec 7>&-
	extra=$(timeout "${BG_FINISH_S:-15}" cat <&8) || true
	exec 8<&-
	wait "$BG_PID" || rc=$?
	BG_PID=
	[ -z "$extra" ] || { echo "unexpected output after the last reply: $extra" >&2; return 1; }
	[ "$rc" -eq 0 ] || { echo "helper exit status $rc" >&2; cat "$BATS_TEST_TMPDIR/bg.err" >&2; return 1; }
}

bg_cleanup() {
	[ -n "${BG_PID:-}" ] || return 0
	exec 7>&- 8<&-
	kill "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	BG_PID=
}

peer_ports() {
	python3 - "$1" <<-'PY'
	import os, sys
	pid = sys.argv[1]
	inodes = set()
	for fd in os.listdir("/proc/%s/fd" % pid):
	    try:
	        link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
	    except OSError:
	        continue
	    if link.startswith("socket:["):
	        inodes.add(link[8:-1])
	# a socket once, even if the kernel's table shows it twice while it
	# changes under the read
	for line in open("/proc/%s/net/tcp" % pid).readlines()[1:]:
	    f = line.split()
	    if f[3] == "01" and f[9] in inodes:	# 01: ESTABLISHED
	        inodes.discard(f[9])
	        print(int(f[2].split(":")[1], 16))
	PY
}
