#!/usr/bin/env bats
# Reloading the password file (digest_file_auth(8), RELOADING): one long-running
# helper per test, the file changed under it in every way an admin does.

load lib/common

setup() {
	DIR="$BATS_TEST_TMPDIR"
	PW="$DIR/pw"
	ERRLOG="$DIR/stderr"
	printf 'alice:R:old\nbob:R:bob\n' >"$PW"
	OLD=$(printf 'OK ha1="%s"' "$(md5hex 'alice:R:old')")
	NEW=$(printf 'OK ha1="%s"' "$(md5hex 'alice:R:new')")
	coproc HELPER { exec "$DFA" "$PW" 2>"$ERRLOG"; }
	HELPER_PID=$HELPER_PID
	[ "$(q alice)" = "$OLD" ]
}

teardown() {
	if [ -n "${HELPER_PID:-}" ]; then
		kill "$HELPER_PID" 2>/dev/null || true
		wait "$HELPER_PID" 2>/dev/null || true
	fi
}

# q USER: one request for USER in realm R, one reply (5 s at most)
q() {
	local reply=TIMEOUT
	printf '"%s":"R"\n' "$1" >&"${HELPER[1]}"
	read -r -t 5 reply <&"${HELPER[0]}" || true
	printf '%s' "$reply"
}

# answers_within SECONDS USER EXPECTED: poll until the reply matches
answers_within() {
	local end=$((SECONDS + $1)) got
	while :; do
		got=$(q "$2")
		[ "$got" = "$3" ] && return 0
		[ "$SECONDS" -lt "$end" ] || { echo "last reply: $got" >&2; return 1; }
		sleep 0.2
	done
}

# stays_for SECONDS USER EXPECTED: the reply never differs meanwhile
stays_for() {
	local end=$((SECONDS + $1)) got
	while [ "$SECONDS" -lt "$end" ]; do
		got=$(q "$2")
		[ "$got" = "$3" ] || { echo "got: $got" >&2; return 1; }
		sleep 0.2
	done
}

@test "replacement by atomic mv is picked up" {
	printf 'alice:R:new\n' >"$DIR/pw.tmp"
	mv "$DIR/pw.tmp" "$PW"
	answers_within 4 alice "$NEW"
	[ "$(q bob)" = 'ERR message="No such user"' ]
	grep -q "reloaded $PW: 1 entries" "$ERRLOG"
}

@test "an in-place rewrite is picked up" {
	printf 'alice:R:new\nbob:R:bob\n' >"$PW"
	answers_within 4 alice "$NEW"
	[ "$(q bob)" = "OK ha1=\"$(md5hex 'bob:R:bob')\"" ]
}

@test "a replacement with the same size and an unchanged mtime is picked up" {
	# same length as the old contents, mtime copied back
	printf 'alice:R:new\nbob:R:bob\n' >"$DIR/pw.tmp"
	[ "$(stat -c %s "$DIR/pw.tmp")" = "$(stat -c %s "$PW")" ]
	touch -r "$PW" "$DIR/pw.tmp"
	mv "$DIR/pw.tmp" "$PW"
	answers_within 4 alice "$NEW"
}

@test "an in-place rewrite of the same size with the mtime put back is picked up" {
	local stamp="$DIR/stamp"
	touch -r "$PW" "$stamp"
	printf 'alice:R:new\nbob:R:bob\n' >"$PW"
	touch -r "$stamp" "$PW"
	answers_within 4 alice "$NEW"
}

@test "deletion: the last good contents keep serving, logged once; the file's return is picked up" {
	rm "$PW"
	stays_for 3 alice "$OLD"
	[ "$(grep -c "cannot stat $PW" "$ERRLOG")" -eq 1 ]
	grep -q "still serving the 2 entries" "$ERRLOG"
	kill -0 "$HELPER_PID"
	printf 'alice:R:new\n' >"$PW"
	answers_within 4 alice "$NEW"
}

@test "a half-written file (no final newline) is not used until it is complete" {
	printf 'alice:R:new\nbob:R:b' >"$PW"
	stays_for 3 alice "$OLD"
	[ "$(q bob)" = "OK ha1=\"$(md5hex 'bob:R:bob')\"" ]
	[ "$(grep -c 'last line has no newline' "$ERRLOG")" -eq 1 ]
	printf 'ob\n' >>"$PW"
	answers_within 4 alice "$NEW"
	[ "$(q bob)" = "OK ha1=\"$(md5hex 'bob:R:bob')\"" ]
}

@test "a file left without a final newline is loaded once it has settled" {
	printf 'alice:R:new' >"$PW"
	stays_for 2 alice "$OLD"
	answers_within 8 alice "$NEW"
	grep -q 'without a final newline; loading it' "$ERRLOG"
}

@test "an unreadable file keeps the last good contents" {
	if [ "$(id -u)" = 0 ]; then
		# root reads anything: replace the file with a directory instead
		rm "$PW"
		mkdir "$PW"
		stays_for 3 alice "$OLD"
		grep -q "not a regular file" "$ERRLOG"
		rmdir "$PW"
	else
		chmod 000 "$PW"
		stays_for 3 alice "$OLD"
		grep -q "Permission denied" "$ERRLOG"
		chmod 600 "$PW"
	fi
	printf 'alice:R:new\n' >"$PW"
	answers_within 4 alice "$NEW"
}

@test "a complete file of bad lines is loaded as it is: it parsed" {
	printf 'garbage\n' >"$PW"
	answers_within 4 alice 'ERR message="No such user"'
	grep -q "$PW:1:" "$ERRLOG"
}

@test "the file is not looked at more than about once a second" {
	# 300 lone requests over ~1.5 s; strace counts the stat calls
	require_cmd strace
	local out="$DIR/trace"
	printf '"alice":"R"\n' >"$DIR/one"
	( for i in $(seq 300); do cat "$DIR/one"; sleep 0.005; done ) |
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=stat,newfstatat,statx -o "$out" "$DFA" "$PW" >/dev/null 2>&1
	local n
	n=$(grep -c "$PW" "$out" || true)
	echo "stat calls on the file: $n" >&2
	[ "$n" -le 6 ]
}
