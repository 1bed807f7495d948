#!/usr/bin/env bats
# digest_file_auth --group-file GROUPFILE (digest_file_auth(8), GROUPS;
# doc/protocol.md, "Annotations"): each OK reply carries the user's groups
# from an Apache-format group file as group="..." pairs.  Every reply is
# read back with tests/lib/squid_reply.py, a re-implementation of Squid's
# own reply parser, so "round-trips" below means: Squid gets back exactly
# the bytes of the group name.  The group file is reloaded by the password
# file's rules (lib/reload.h), tested here with one long-running helper.

load lib/common

bats_require_minimum_version 1.5.0	# run --separate-stderr

REPLY="$top_srcdir/tests/lib/squid_reply.py"
HOSTILE="$top_srcdir/tests/hostile/groups.py"

setup() {
	DIR="$BATS_TEST_TMPDIR"
	PW="$DIR/pw"
	GR="$DIR/groups"
	ERRLOG="$DIR/stderr"
	{
		echo "alice:R:alice-pw"
		echo "bob:R:bob-pw"
		echo "carol:R:carol-pw"
		echo "dave:R:dave-pw"
	} >"$PW"
	{
		echo "staff: alice bob"
		echo "students: bob"
		echo "# a comment: carol"
		echo "admins: bob"
		echo "staff: bob"	# a repeat: once in the reply
	} >"$GR"
	HA1_ALICE=$(md5hex 'alice:R:alice-pw')
	HA1_BOB=$(md5hex 'bob:R:bob-pw')
	HA1_CAROL=$(md5hex 'carol:R:carol-pw')
}

# The helper is ended by closing its input (end of input: it exits 0), then
# SIGTERM, then SIGKILL, never waited for unbounded: a SIGTERM that comes
# just before the helper blocks in read() is only seen at its next input
# (lib/loop.c checks the flag before it flushes and reads), which under
# valgrind once left a teardown waiting.
teardown() {
	[ -n "${HELPER_PID:-}" ] || return 0
	local fd=${HELPER[1]:-} i
	[ -z "$fd" ] || exec {fd}>&-
	for i in $(seq 50); do
		kill -0 "$HELPER_PID" 2>/dev/null || break
		[ "$i" != 20 ] || kill "$HELPER_PID" 2>/dev/null || true
		sleep 0.1
	done
	kill -KILL "$HELPER_PID" 2>/dev/null || true
	wait "$HELPER_PID" 2>/dev/null || true
}

# groups_of [--concurrency] < replies: each reply's groups, TAB-separated
groups_of() {
	python3 "$REPLY" values group "$@"
}

# well_formed [--ids] < replies: every line one well-formed reply
well_formed() {
	run python3 "$REPLY" check "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

# start_helper [args...]: a long-running helper on $PW with --group-file $GR
start_helper() {
	coproc HELPER { exec "$DFA" "$@" --group-file "$GR" "$PW" 2>"$ERRLOG"; }
	HELPER_PID=$HELPER_PID
}

# q USER [REALM]: one request, one reply (5 s at most)
q() {
	local reply=TIMEOUT
	printf '"%s":"%s"\n' "$1" "${2:-R}" >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}" || true
	printf '%s' "$reply"
}

# qg USER: the groups Squid would read from the reply to USER (not in a
# pipeline: bash closes a coprocess's descriptors there)
qg() {
	local r
	r=$(q "$1")
	groups_of <<<"$r"
}

# groups_within SECONDS USER EXPECTED: poll until USER's groups are EXPECTED
groups_within() {
	local end=$((SECONDS + $1)) got
	while :; do
		got=$(qg "$2")
		[ "$got" = "$3" ] && return 0
		[ "$SECONDS" -lt "$end" ] || { echo "last groups: '$got'" >&2; return 1; }
		sleep 0.1
	done
}

# groups_stay SECONDS USER EXPECTED: USER's groups never differ meanwhile
groups_stay() {
	local end=$((SECONDS + $1)) got
	while [ "$SECONDS" -lt "$end" ]; do
		got=$(qg "$2")
		[ "$got" = "$3" ] || { echo "groups: '$got'" >&2; return 1; }
		sleep 0.2
	done
}

# groups_stay_until_logged SECONDS USER EXPECTED PATTERN: keep asking (each
# request lets the helper look at the file, at most once a second) until
# PATTERN is in the log; USER's groups never differ meanwhile
groups_stay_until_logged() {
	local end=$((SECONDS + $1)) got
	until grep -q -- "$4" "$ERRLOG"; do
		[ "$SECONDS" -lt "$end" ] || { echo "not logged: '$4'" >&2; return 1; }
		got=$(qg "$2")
		[ "$got" = "$3" ] || { echo "groups: '$got'" >&2; return 1; }
		sleep 0.2
	done
}

# --- the reply ----------------------------------------------------------------

@test "groups: tests/lib/squid_reply.py reads replies as Squid's code does (its own cases)" {
	run python3 "$REPLY" selftest
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "groups: users in 0, 1 and several groups; the reply is exact" {
	run "$DFA" --group-file "$GR" "$PW" <<-EOF
		"carol":"R"
		"alice":"R"
		"bob":"R"
	EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "OK ha1=\"$HA1_CAROL\"" ]
	[ "${lines[1]}" = "OK ha1=\"$HA1_ALICE\" group=\"staff\"" ]
	# ordered by group name, each once
	[ "${lines[2]}" = "OK ha1=\"$HA1_BOB\" group=\"admins\" group=\"staff\" group=\"students\"" ]
	[ "${#lines[@]}" -eq 3 ]
	printf '%s\n' "${lines[@]}" >"$DIR/out"
	well_formed "$DIR/out"
	[ "$(groups_of "$DIR/out")" = $'\nstaff\nadmins\tstaff\tstudents' ]
}

@test "groups: without --group-file an OK reply carries ha1 only" {
	run ask "$PW" <<<'"bob":"R"'
	[ "$output" = "OK ha1=\"$HA1_BOB\"" ]
}

@test "groups: -c (HA1 file) and realm-less entries carry groups too" {
	printf 'alice:R:%s\nbob:%s\n' "$HA1_ALICE" "$HA1_BOB" >"$DIR/ha1"
	run "$DFA" -c --group-file "$GR" "$DIR/ha1" <<<$'"alice":"R"\n"bob":"R"'
	[ "${lines[0]}" = "OK ha1=\"$HA1_ALICE\" group=\"staff\"" ]
	[ "${lines[1]}" = "OK ha1=\"$HA1_BOB\" group=\"admins\" group=\"staff\" group=\"students\"" ]
}

@test "groups: realm-independent: the same groups in every realm the user logs in to" {
	{
		echo "alice:R:alice-pw"
		echo "alice:Other realm:alice-other"
		echo "alice:Third realm:alice-third"
		echo "bob:bob-pw"	# realm-less: any realm
	} >"$PW"
	run "$DFA" --group-file "$GR" "$PW" <<-EOF
		"alice":"R"
		"alice":"Other realm"
		"alice":"Third realm"
		"bob":"R"
		"bob":"Anything"
		"alice":"No such realm"
	EOF
	[ "${lines[0]}" = "OK ha1=\"$HA1_ALICE\" group=\"staff\"" ]
	[ "${lines[1]}" = "OK ha1=\"$(md5hex 'alice:Other realm:alice-other')\" group=\"staff\"" ]
	[ "${lines[2]}" = "OK ha1=\"$(md5hex 'alice:Third realm:alice-third')\" group=\"staff\"" ]
	[ "${lines[3]}" = "OK ha1=\"$HA1_BOB\" group=\"admins\" group=\"staff\" group=\"students\"" ]
	[ "${lines[4]}" = "OK ha1=\"$(md5hex 'bob:Anything:bob-pw')\" group=\"admins\" group=\"staff\" group=\"students\"" ]
	[ "${lines[5]}" = 'ERR message="No such user"' ]
}

@test "groups: '\"', '\\', spaces, '=', '%', tabs and UTF-8 round-trip exactly through Squid's parser" {
	# one group per line, alice in each; the names as Python bytes
	python3 - "$GR" "$DIR/names" <<-'EOF'
		import sys
		names = [b'say "hi"', b'back\\slash', b'end\\', b'\\n', b'\\r', b'\\"', b'"',
		         b'""', b'a b  c', b'k=v', b'x" group="admin', b'ha1="0"', b'%41',
		         b'%%', b'a%20b', b'tab\there', "Gr\u00fc\u00dfe".encode(),
		         "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac".encode(),
		         "\u65e5\u672c\u8a9e".encode(), "\U0001F600".encode(),
		         b'\xff\xfe raw', b'a#not a comment', b"it's", b'staff']
		with open(sys.argv[1], "wb") as f:
		    for n in names:
		        f.write(n + b": alice\n")
		with open(sys.argv[2], "wb") as f:
		    f.write(repr(names).encode())
	EOF
	"$DFA" --group-file "$GR" "$PW" <<<'"alice":"R"' >"$DIR/out" 2>"$ERRLOG"
	[ "$(wc -l <"$DIR/out")" -eq 1 ]
	well_formed "$DIR/out"
	# what Squid reads, byte for byte, is the names as written, in byte
	# order; the injection attempts stayed inside their values
	PYTHONPATH="$top_srcdir/tests/lib" python3 - "$DIR/out" "$DIR/names" "$HA1_ALICE" <<-'EOF'
		import ast, sys, squid_reply
		r = squid_reply.parse_line(open(sys.argv[1], "rb").read().rstrip(b"\n"))
		names = ast.literal_eval(open(sys.argv[2]).read())
		assert r.result == "OK", r.result
		assert r.values(b"ha1") == [sys.argv[3].encode()], r.notes[0]
		got = r.values(b"group")
		assert got == sorted(names), (got, sorted(names))
		assert [k for k, _ in r.notes] == [b"ha1"] + [b"group"] * len(names)
	EOF
	# nothing dropped, nothing warned
	refute_grep . "$ERRLOG"
}

@test "groups: a user in 10,000 groups: cut at 64 pairs, never a partial pair, one line, one warning naming the user" {
	python3 - "$GR" <<-'EOF'
		import sys
		with open(sys.argv[1], "w") as f:
		    for i in range(10000):
		        f.write("g%05d: alice bob\n" % i)
		    f.write("zz-last: carol\n")
	EOF
	"$DFA" --group-file "$GR" "$PW" <<-EOF >"$DIR/out" 2>"$ERRLOG"
		"alice":"R"
		7 "bob":"R"
		"carol":"R"
	EOF
	[ "$(wc -l <"$DIR/out")" -eq 3 ]
	well_formed "$DIR/out" --concurrency
	# the first 64 in byte order, every one whole
	seq -f 'g%05g' 0 63 | paste -sd '\t' >"$DIR/want"
	groups_of --concurrency "$DIR/out" | head -n 1 | cmp - "$DIR/want"
	groups_of --concurrency "$DIR/out" | sed -n 2p | cmp - "$DIR/want"
	[ "$(groups_of --concurrency "$DIR/out" | sed -n 3p)" = zz-last ]
	[ "$(grep -c 'annotations dropped' "$ERRLOG")" -eq 2 ]
	grep -q 'user "alice": 9936 annotations dropped' "$ERRLOG"
	grep -q 'user "bob": 9936 annotations dropped' "$ERRLOG"
	refute_grep -F 'user "carol"' "$ERRLOG"
	# a reply line stays small: 64 pairs of ' group="g00000"'
	[ "$(head -n 1 "$DIR/out" | wc -c)" -eq $((41 + 64 * 15 + 1)) ]
}

@test "groups: the 8 KiB limit: long names are cut whole, the reply stays one line of at most 8 KiB of pairs" {
	# 300-byte names: 26 pairs of 309 bytes fit in 8192, the 27th does not
	python3 - "$GR" <<-'EOF'
		import sys
		with open(sys.argv[1], "w") as f:
		    for i in range(200):
		        f.write("%03d%s: alice\n" % (i, "x" * 297))
		    f.write("%s: bob\n" % ("B" * 8183))     # 9 + 8183 = 8192: fits
		    f.write("%s: bob\n" % ("C" * 8184))     # one byte more: dropped
		    f.write("%s: carol\n" % ('"' * 4091))   # escaped: 9 + 8182 fits
		    f.write("%s: carol\n" % ('\\' * 4092))  # escaped: 9 + 8184 does not
	EOF
	"$DFA" --group-file "$GR" "$PW" <<-EOF >"$DIR/out" 2>"$ERRLOG"
		"alice":"R"
		"bob":"R"
		"carol":"R"
	EOF
	[ "$(wc -l <"$DIR/out")" -eq 3 ]
	well_formed "$DIR/out"
	local a b c
	a=$(sed -n 1p "$DIR/out")
	b=$(sed -n 2p "$DIR/out")
	c=$(sed -n 3p "$DIR/out")
	[ "$(groups_of <<<"$a" | tr '\t' '\n' | wc -l)" -eq 26 ]
	[ "$(groups_of <<<"$a" | tr '\t' '\n' | tail -n 1)" = "025$(printf 'x%.0s' $(seq 297))" ]
	# the pairs after 'OK ha1="..."' (41 bytes) are at most 8192 bytes
	[ $(( ${#a} - 41 )) -le 8192 ]
	[ "$(groups_of <<<"$b")" = "$(printf 'B%.0s' $(seq 8183))" ]
	[ $(( ${#b} - 41 )) -eq 8192 ]
	[ "$(groups_of <<<"$c")" = "$(printf '"%.0s' $(seq 4091))" ]
	grep -q 'user "alice": 174 annotations dropped' "$ERRLOG"
	grep -q 'user "bob": 1 annotations dropped' "$ERRLOG"
	grep -q 'user "carol": 1 annotations dropped' "$ERRLOG"
	[ "$(grep -c 'annotations dropped' "$ERRLOG")" -eq 3 ]
}

@test "groups: hostile group file (tests/hostile/groups.py): one well-formed reply per line, groups exact, drops warned per reply" {
	python3 "$HOSTILE" make "$DIR"
	"$DFA" --group-file "$DIR/groups" "$DIR/pw" <"$DIR/requests" >"$DIR/out" 2>"$ERRLOG"
	run python3 "$HOSTILE" verify "$DIR" "$DIR/out" "$ERRLOG"
	echo "$output"
	[ "$status" -eq 0 ]
	# the lines that do not parse are warned with their numbers
	grep -qE "$DIR/groups:[0-9]+: NUL byte in line; line ignored" "$ERRLOG"
	grep -qE "$DIR/groups:[0-9]+: empty group name; line ignored" "$ERRLOG"
}

@test "groups: ERR and BH replies carry no annotations" {
	printf 'staff: alice nobody\n' >"$GR"
	"$DFA" --realm R --realm Q --group-file "$GR" "$PW" >"$DIR/out" 2>/dev/null <<-EOF
		"nobody":"R"
		"alice":"Q"
		"alice":"Elsewhere"
		"alice"
		4 "nobody":"R"
		5 "alice":"R"x
		"nobody":"R" group="staff"
	EOF
	printf '"alice":"R\0"\n6 %s\n' "$(head -c 20000 /dev/zero | tr '\0' a)" |
		"$DFA" --group-file "$GR" "$PW" >>"$DIR/out" 2>/dev/null
	cat "$DIR/out"
	[ "$(wc -l <"$DIR/out")" -eq 9 ]
	[ "$(sed -n 1p "$DIR/out")" = 'ERR message="No such user"' ]
	[ "$(sed -n 2p "$DIR/out")" = 'ERR message="No such user"' ]
	[ "$(sed -n 3p "$DIR/out")" = 'ERR message="Realm not accepted"' ]
	[ "$(sed -n 4p "$DIR/out")" = 'BH message="Invalid line received"' ]
	[ "$(sed -n 5p "$DIR/out")" = '4 ERR message="No such user"' ]
	[ "$(sed -n 6p "$DIR/out")" = '5 BH message="Invalid line received"' ]
	# key-extras that look like a group are not echoed
	[ "$(sed -n 7p "$DIR/out")" = 'ERR message="No such user"' ]
	[ "$(sed -n 8p "$DIR/out")" = 'BH message="NUL byte in request"' ]
	[ "$(sed -n 9p "$DIR/out")" = '6 BH message="Request line too long"' ]
	well_formed --concurrency "$DIR/out"
	refute_grep -F 'group=' "$DIR/out"
}

@test "groups: channel IDs (Squid's concurrency): each reply has its ID and its user's groups" {
	local i
	for i in $(seq 1 60); do
		case $((i % 4)) in
		0) printf '%d "alice":"R"\n' "$i" ;;
		1) printf '%d "bob":"R"\n' "$i" ;;
		2) printf '%d "carol":"R"\n' "$i" ;;
		3) printf '%d "nobody":"R"\n' "$i" ;;
		esac
	done >"$DIR/req"
	"$DFA" --group-file "$GR" "$PW" <"$DIR/req" >"$DIR/out" 2>/dev/null
	[ "$(wc -l <"$DIR/out")" -eq 60 ]
	well_formed --ids "$DIR/out"
	python3 "$REPLY" show --concurrency "$DIR/out" >"$DIR/json"
	python3 - "$DIR/json" <<-'EOF'
		import json, sys
		want = {0: ["staff"], 1: ["admins", "staff", "students"], 2: [], 3: None}
		for n, line in enumerate(open(sys.argv[1]), 1):
		    r = json.loads(line)
		    assert r["id"] == str(n), (n, r)
		    w = want[n % 4]
		    if w is None:
		        assert r["result"] == "ERR" and r["notes"] == [["message", "No such user"]], r
		    else:
		        assert r["result"] == "OK", r
		        assert [v for k, v in r["notes"] if k == "group"] == w, (n, r)
	EOF
}

# --- the group file -------------------------------------------------------------

@test "groups: bad lines are warned with their line numbers, the good ones still count" {
	printf 'staff: alice\nno colon\n  : bob\n#c: bob\nbad\0line: bob\n\nstudents :\tbob  alice \r\nlast: carol' >"$GR"
	"$DFA" --group-file "$GR" "$PW" <<-EOF >"$DIR/out" 2>"$ERRLOG"
		"alice":"R"
		"bob":"R"
		"carol":"R"
	EOF
	cat "$ERRLOG"
	[ "$(groups_of "$DIR/out")" = $'staff\tstudents\nstudents\nlast' ]
	grep -qF "$GR:2: expected group: user1 user2 ...; line ignored" "$ERRLOG"
	grep -qF "$GR:3: empty group name; line ignored" "$ERRLOG"
	grep -qF "$GR:5: NUL byte in line; line ignored" "$ERRLOG"
	[ "$(grep -c 'line ignored' "$ERRLOG")" -eq 3 ]
}

@test "groups: an empty group file or one of comments only: no groups, the helper answers" {
	: >"$GR"
	run "$DFA" --group-file "$GR" "$PW" <<<'"bob":"R"'
	[ "$status" -eq 0 ]
	[ "$output" = "OK ha1=\"$HA1_BOB\"" ]
	printf '# nothing here\n\n' >"$GR"
	run ask --group-file "$GR" "$PW" <<<'"bob":"R"'
	[ "$output" = "OK ha1=\"$HA1_BOB\"" ]
}

@test "groups: a group file missing, unreadable or not a file at start-up: one line on stderr, exit 1, nothing on stdout" {
	local bad
	mkfifo "$DIR/fifo"
	mkdir "$DIR/dir"
	for bad in "$DIR/missing" "$DIR/dir" "$DIR/fifo"; do
		run --separate-stderr timeout 5 "$DFA" --group-file "$bad" "$PW" <<<'"bob":"R"'
		echo "$bad: status $status, stderr: $stderr"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ $stderr == *"$bad"* ]]
	done
	run --separate-stderr "$DFA" "$PW" --group-file <<<'"bob":"R"'
	[ "$status" -ne 0 ]
	[ -z "$output" ]
}

# --- reloading (lib/reload.h, the password file's rules) -----------------------

@test "groups reload: an atomic mv is picked up within about a second" {
	start_helper
	[ "$(qg alice)" = staff ]
	printf 'students: alice\nstaff: bob\n' >"$DIR/groups.tmp"
	mv "$DIR/groups.tmp" "$GR"
	local t0=$SECONDS
	groups_within 3 alice students
	[ $((SECONDS - t0)) -le 2 ]
	[ "$(qg bob)" = staff ]
	grep -q "reloaded $GR: 2 group memberships from 2 lines" "$ERRLOG"
	# the password file was not touched: alice still logs in with it
	[ "$(q alice)" = "OK ha1=\"$HA1_ALICE\" group=\"students\"" ]
}

@test "groups reload: an in-place rewrite is picked up; the password file reloads on its own" {
	start_helper
	[ "$(qg carol)" = "" ]
	printf 'staff: alice bob carol\n' >"$GR"
	groups_within 3 carol staff
	# a password file change leaves the groups alone
	printf 'carol:R:new\n' >"$DIR/pw.tmp"
	mv "$DIR/pw.tmp" "$PW"
	local want
	want="OK ha1=\"$(md5hex 'carol:R:new')\" group=\"staff\""
	local end=$((SECONDS + 3))
	while [ "$(q carol)" != "$want" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
	[ "$(q carol)" = "$want" ]
	[ "$(q alice)" = 'ERR message="No such user"' ]
}

@test "groups reload: SIGHUP makes the helper look at once" {
	start_helper
	[ "$(qg alice)" = staff ]
	# less than a second after the last look: only SIGHUP makes it look now
	printf 'students: alice\n' >"$DIR/groups.tmp"
	mv "$DIR/groups.tmp" "$GR"
	kill -HUP "$HELPER_PID"
	sleep 0.1
	[ "$(qg alice)" = students ]
	grep -q "SIGHUP: looking at the store now" "$ERRLOG"
	grep -q "reloaded $GR" "$ERRLOG"
}

@test "groups reload: a missing group file keeps the last good groups, logged once; its return is picked up" {
	start_helper
	[ "$(qg bob)" = $'admins\tstaff\tstudents' ]
	rm "$GR"
	groups_stay 3 bob $'admins\tstaff\tstudents'
	[ "$(grep -c "cannot stat $GR" "$ERRLOG")" -eq 1 ]
	grep -q "still serving the 4 group memberships loaded before" "$ERRLOG"
	printf 'staff: bob\n' >"$GR"
	groups_within 3 bob staff
}

@test "groups reload: a FIFO in place of the group file keeps the last good groups, logged once, no hang" {
	start_helper
	[ "$(qg alice)" = staff ]
	rm "$GR"
	mkfifo "$GR"
	groups_stay 3 alice staff
	[ "$(grep -c "$GR" "$ERRLOG")" -eq 1 ]
	grep -q "not a regular file" "$ERRLOG"
	rm "$GR"
	printf 'students: alice\n' >"$GR"
	groups_within 3 alice students
}

@test "groups reload: a group file emptied while being rewritten is waited for, then its new contents used" {
	start_helper
	[ "$(qg alice)" = staff ]
	: >"$GR"
	groups_stay_until_logged 5 alice staff 'now empty (still being written?)'
	groups_stay 2 alice staff
	[ "$(grep -c 'now empty (still being written?)' "$ERRLOG")" -eq 1 ]
	printf 'students: alice\n' >"$GR"
	groups_within 3 alice students
}

@test "groups reload: a group file left empty is loaded once it has settled (5 s): no groups" {
	start_helper
	[ "$(qg alice)" = staff ]
	: >"$GR"
	groups_stay 2 alice staff
	groups_within 8 alice ""
	grep -q "unchanged for 5 s and empty; loading it" "$ERRLOG"
}

@test "groups reload: a half-written group file (no final newline) is not used until complete" {
	start_helper
	[ "$(qg bob)" = $'admins\tstaff\tstudents' ]
	printf 'staff: alice\nstudents: b' >"$GR"
	groups_stay_until_logged 5 bob $'admins\tstaff\tstudents' 'last line has no newline'
	groups_stay 2 bob $'admins\tstaff\tstudents'
	[ "$(grep -c 'last line has no newline' "$ERRLOG")" -eq 1 ]
	printf 'ob\n' >>"$GR"
	groups_within 3 bob students
	[ "$(qg alice)" = staff ]
}
