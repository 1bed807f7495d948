# sqlsuite.bash - what the two SQL-server suites share (pgsql_auth.bats and
# mysql_auth.bats): the users and their HA1s, the tools around the helper,
# and the cases that read the same on both engines.  Load after lib/common
# and lib/bg.  The suite defines:
#
#   sqlh ARGS...       run its helper with the reader's connection and
#                      ARGS, stderr to $(ERRF)
#   sqlh_bg ARGS...    the same as the background helper (bg_start)
#   sql_exec SQL       run SQL on the server as the store's owner
#   SQL_PROG           the helper's name, which starts its messages
#
# Cases (each the body of one @test in both suites):
#   sql_case_default_schema  sql_case_groups  sql_case_disabled
#   sql_case_lone  sql_case_malformed  sql_case_corpus [ARGS]
#   sql_case_ids J  sql_case_ordered
#
# The store both suites build: digest_users/digest_groups of the default
# schema with
#   alice   $R1 'alice pw' (groups staff, 'R&D "west"'), $R2 'alice two'
#   bob     $R1 'bob pw', no groups
#   dave    $R1 'dave pw', disabled
#   alice   in the hostile corpus's realms ($REALMS), password 'pw'

R1='Main Realm'
R2='Second'
CORPUS="$top_srcdir/tests/hostile/corpus.txt"
CHECK="$top_srcdir/tests/hostile/check.py"
REALMS=("R" "x y" 'q"r' "ü" "Réalm")
NO_USER='ERR message="No such user"'

HA_ALICE1=$(md5hex "alice:$R1:alice pw")
HA_ALICE2=$(md5hex "alice:$R2:alice two")
HA_BOB1=$(md5hex "bob:$R1:bob pw")
HA_CAROL=$(md5hex "carol:shop:carol pw")
GROUPS_ALICE='group="R&D \"west\"" group="staff"'

ERRF() { printf '%s' "$BATS_TEST_TMPDIR/stderr"; }

req() { printf '"%s":"%s"\n' "$1" "${2:-$R1}"; }

ok() { printf 'OK ha1="%s"%s' "$1" "${2:+ $2}"; }

# one_line_error PATTERN: exit status 1, one line on stderr, nothing on stdout
one_line_error() {
	[ "$status" -eq 1 ] || { echo "status $status: $output $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout: $output"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "stderr: $stderr"; return 1; }
	[[ "${stderr_lines[0]}" == "$SQL_PROG: "*$1* ]] ||
		{ echo "stderr: $stderr"; return 1; }
}

# until_ok LINE WANT SECONDS: ask until the reply is WANT; every other reply
# must be a BH (never ERR); prints how many BH came first
until_ok() {
	local end=$(($(now_ms) + $3 * 1000)) got n=0
	while got=$(bg_ask "$1"); [ "$got" != "$2" ]; do
		[[ "$got" == *"BH message="* ]] || { echo "not BH while waiting: $got"; return 1; }
		[ "$(now_ms)" -lt "$end" ] || { echo "still '$got' after $3 s"; return 1; }
		n=$((n + 1))
		sleep 0.2
	done
	echo "$n"
}

# stream.py: a client that keeps lookups with channel IDs in flight while a
# test breaks the server, and counts what came back.
write_stream_py() {
	cat >"$BATS_FILE_TMPDIR/stream.py" <<-'PY'
	"""stream.py SECONDS RATE WANT HELPER ARGS...: send alice's lookup with a
	fresh channel ID RATE times a second for SECONDS, then end the input.
	Every ID must be answered exactly once, with WANT (the OK line) or a
	BH; prints the counts and the time of the first and last BH."""
	import os, select, subprocess, sys, time
	secs, rate, want = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
	p = subprocess.Popen(sys.argv[4:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	out, buf, seen, bad, bh = p.stdout.fileno(), b"", {}, [], []
	t0 = time.time()
	def take(wait):
	    global buf
	    if not select.select([out], [], [], wait)[0]:
	        return True
	    d = os.read(out, 65536)
	    if not d:
	        return False
	    buf += d
	    while b"\n" in buf:
	        line, buf = buf.split(b"\n", 1)
	        i, rest = line.decode().split(" ", 1)
	        seen[i] = seen.get(i, 0) + 1
	        if rest.startswith("BH "):
	            bh.append(time.time() - t0)
	        elif rest != want:
	            bad.append(line.decode())
	    return True
	sent = 0
	while time.time() - t0 < secs:
	    sent += 1
	    p.stdin.write(b'%d "alice":"Main Realm"\n' % sent)
	    p.stdin.flush()
	    while time.time() < t0 + sent / rate:
	        take(max(0, t0 + sent / rate - time.time()))
	p.stdin.close()
	while take(30):
	    pass
	rc = p.wait()
	lost = sum(1 for i in range(1, sent + 1) if str(i) not in seen)
	dup = sum(1 for v in seen.values() if v > 1)
	print("requests=%d OK=%d BH=%d other=%d lost=%d twice=%d rc=%d" % (
	    sent, len(seen) - len(bh) - len(bad), len(bh), len(bad), lost, dup, rc))
	if bh:
	    print("BH from %.2f s to %.2f s" % (bh[0], bh[-1]))
	for b in bad[:5]:
	    print("unexpected:", b)
	sys.exit(0 if lost == 0 and dup == 0 and not bad and rc == 0 else 1)
	PY
}

# mkreq N: N lines with channel IDs for a mix of users into req, their
# replies into want
mkreq() {
	local i u r w
	: >"$BATS_TEST_TMPDIR/req"
	: >"$BATS_TEST_TMPDIR/want"
	for i in $(seq 1 "$1"); do
		case $((i % 5)) in
		0) u=alice r=$R1 w="$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ;;
		1) u=alice r=$R2 w="$(ok "$HA_ALICE2")" ;;
		2) u=bob r=$R1 w="$(ok "$HA_BOB1")" ;;
		3) u="nobody$i" r=$R1 w=$NO_USER ;;
		4) u=dave r=$R1 w=$NO_USER ;;
		esac
		printf '%d "%s":"%s"\n' "$i" "$u" "$r" >>"$BATS_TEST_TMPDIR/req"
		printf '%d %s\n' "$i" "$w" >>"$BATS_TEST_TMPDIR/want"
	done
}

# --- the cases --------------------------------------------------------------------

# the default schema: OK with the HA1 per realm, ERR for unknown users,
# realms and disabled users; names compared byte for byte
sql_case_default_schema() {
	run --separate-stderr sqlh <<-IN
	"alice":"$R2"
	1 "bob":"$R1"
	2 "bob":"$R2"
	"carol":"$R1"
	3 "dave":"$R1"
	"Alice":"$R1"
	"alice ":"$R1"
	IN
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 7 ]
	# lines with a channel ID are answered as their lookups finish (on
	# MariaDB several at once, on -j connections); those without keep
	# their order
	diff <(printf '%s\n' "${lines[@]}" | grep -E '^[0-9]+ ' | LC_ALL=C sort) \
		<(printf '%s\n' "1 $(ok "$HA_BOB1")" "2 $NO_USER" "3 $NO_USER")
	# alice, carol; then no case folding, no trailing pad
	diff <(printf '%s\n' "${lines[@]}" | grep -vE '^[0-9]+ ') \
		<(printf '%s\n' "$(ok "$HA_ALICE2")" "$NO_USER" "$NO_USER" "$NO_USER")
	[ -z "$stderr" ]
}

# groups from digest_groups, quoted, in order; a change is seen by the next
# lookup, without a restart
sql_case_groups() {
	run sqlh <<<"$(req alice)"
	[ "$output" = "$(ok "$HA_ALICE1" "$GROUPS_ALICE")" ]
	sql_exec "INSERT INTO digest_groups VALUES ('bob', '$R1', 'admins')"
	run sqlh <<<"$(req bob)"
	sql_exec "DELETE FROM digest_groups WHERE username = 'bob'"
	[ "$output" = "$(ok "$HA_BOB1" 'group="admins"')" ]
}

# a disabled user is ERR, OK again once enabled; debug says why
sql_case_disabled() {
	run --separate-stderr sqlh -d <<<"$(req dave)"
	[ "$output" = "$NO_USER" ]
	grep -q "user \"dave\" realm \"$R1\" is disabled" "$(ERRF)"
	sql_exec "UPDATE digest_users SET enabled = TRUE WHERE username = 'dave'"
	run sqlh <<<"$(req dave)"
	sql_exec "UPDATE digest_users SET enabled = FALSE WHERE username = 'dave'"
	[ "$output" = "$(ok "$(md5hex "dave:$R1:dave pw")")" ]
}

# a lone request is answered at once, without more input or end of input
sql_case_lone() {
	local t0
	sqlh_bg
	t0=$(now_ms)
	ask_expect "$(req alice)" "$(ok "$HA_ALICE1" "$GROUPS_ALICE")"
	ask_expect "9 $(req bob)" "9 $(ok "$HA_BOB1")"
	ask_expect "$(req nobody)" "$NO_USER"
	echo "three lone lookups: $(($(now_ms) - t0)) ms" >&3
	[ $(($(now_ms) - t0)) -lt 2000 ]
	bg_finish
}

# malformed lines are BH without a lookup, and the stream stays in step
# (ID-less lines, so the replies keep the order of the lines)
sql_case_malformed() {
	run sqlh <<-IN
	garbage
	"bob":"$R1"
	7  "bob":"$R1"
	"":"$R1"
	"bob":"$R1"x
	$(req bob)
	IN
	[ "${lines[0]}" = 'BH message="Invalid line received"' ]
	[ "${lines[1]}" = "$(ok "$HA_BOB1")" ]
	[ "${lines[2]}" = '7 BH message="Invalid line received"' ]
	[ "${lines[3]}" = 'BH message="Invalid line received"' ]
	[ "${lines[4]}" = 'BH message="Invalid line received"' ]
	[ "${lines[5]}" = "$(ok "$HA_BOB1")" ]
	[ "${#lines[@]}" -eq 6 ]
}

# sql_case_corpus [ARGS...]: the hostile corpus, one reply per line, of the
# expected class, with its ID, in the corpus's order (check.py compares
# line by line)
sql_case_corpus() {
	sqlh "$@" <"$BATS_FILE_TMPDIR/corpus.req" >"$BATS_TEST_TMPDIR/out"
	run python3 "$CHECK" verify "$CORPUS" "$BATS_TEST_TMPDIR/out"
	echo "$output"
	[ "$status" -eq 0 ]
}

# sql_case_ids J: 1,000 requests with channel IDs at -j J and -j 1: every
# ID once, right answers
sql_case_ids() {
	local j t0 out="$BATS_TEST_TMPDIR/out"
	mkreq 1000
	for j in "$1" 1; do
		t0=$(now_ms)
		sqlh -j "$j" <"$BATS_TEST_TMPDIR/req" >"$out"
		echo "-j $j: 1,000 lookups in $(($(now_ms) - t0)) ms" >&3
		[ "$(wc -l <"$out")" -eq 1000 ]
		[ -z "$(cut -d' ' -f1 "$out" | sort | uniq -d)" ]
		diff <(sort "$BATS_TEST_TMPDIR/want") <(sort "$out")
	done
}

# lines without channel IDs are answered in order
sql_case_ordered() {
	local i
	for i in $(seq 1 40); do
		req "$([ $((i % 2)) -eq 0 ] && echo bob || echo "nobody$i")"
	done >"$BATS_TEST_TMPDIR/req"
	sqlh <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/out"
	for i in $(seq 1 40); do
		if [ $((i % 2)) -eq 0 ]; then ok "$HA_BOB1"; echo; else echo "$NO_USER"; fi
	done | diff - "$BATS_TEST_TMPDIR/out"
}
