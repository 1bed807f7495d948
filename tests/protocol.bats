#!/usr/bin/env bats
# The helper line protocol (doc/protocol.md), through digest_file_auth.

load lib/common

setup() {
	PW="$BATS_TEST_TMPDIR/pw"
	printf 'alice:secret\nbob:Realm One:pw\n' >"$PW"
	HA_ALICE_R=$(md5hex 'alice:R:secret')
}

# Every reply line must have one of the three shapes, messages without '"'.
assert_reply_shapes() {
	local bad
	bad=$(grep -Evc '^([0-9]+ )?(OK ha1="[0-9a-f]{32}"|ERR message="[^"]*"|BH message="[^"]*")$' <<<"$1" || true)
	[ "$bad" = 0 ]
}

@test "a known user gets OK with the HA1, lowercase hex" {
	run ask "$PW" <<<'"alice":"R"'
	[ "$status" -eq 0 ]
	[ "$output" = "OK ha1=\"$HA_ALICE_R\"" ]
}

@test "an unknown user gets ERR" {
	run ask "$PW" <<<'"mallory":"R"'
	[ "$output" = 'ERR message="No such user"' ]
}

@test "channel IDs are echoed unchanged, up to 2^64-1, leading zeros kept" {
	run ask "$PW" <<'IN'
0 "alice":"R"
18446744073709551615 "alice":"R"
007 "mallory":"R"
IN
	[ "${lines[0]}" = "0 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[1]}" = "18446744073709551615 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[2]}" = '007 ERR message="No such user"' ]
}

@test "a channel ID beyond 64 bits is BH (echoed), and the next line is still answered" {
	run ask "$PW" <<'IN'
18446744073709551616 "alice":"R"
1 "alice":"R"
IN
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = '18446744073709551616 BH message="Channel ID out of range"' ]
	[ "${lines[1]}" = "1 OK ha1=\"$HA_ALICE_R\"" ]
}

@test "key-extras after the realm are accepted and ignored" {
	run ask "$PW" <<'IN'
5 "alice":"R" group="admins" tag=x
"alice":"R" 
IN
	[ "${lines[0]}" = "5 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[1]}" = "OK ha1=\"$HA_ALICE_R\"" ]
}

@test "the realm may hold spaces, colons and quotes; it ends at '\"' + end or space" {
	printf 'carol:secret\n' >"$PW"
	run ask "$PW" <<'IN'
"carol":"Tom Landry Middle School"
"carol":"a:b"
"carol":"say "hi" now"
"carol":"x" extra"
IN
	[ "${lines[0]}" = "OK ha1=\"$(md5hex 'carol:Tom Landry Middle School:secret')\"" ]
	[ "${lines[1]}" = "OK ha1=\"$(md5hex 'carol:a:b:secret')\"" ]
	[ "${lines[2]}" = "OK ha1=\"$(md5hex 'carol:say "hi:secret')\"" ]
	[ "${lines[3]}" = "OK ha1=\"$(md5hex 'carol:x:secret')\"" ]
}

@test "a realm-specific entry only answers its own realm" {
	run ask "$PW" <<'IN'
"bob":"Realm One"
"bob":"Realm Two"
IN
	[ "${lines[0]}" = "OK ha1=\"$(md5hex 'bob:Realm One:pw')\"" ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
}

@test "CRLF line endings are accepted" {
	run ask "$PW" < <(printf '"alice":"R"\r\n7 "alice":"R"\r\n')
	[ "${lines[0]}" = "OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[1]}" = "7 OK ha1=\"$HA_ALICE_R\"" ]
}

@test "malformed lines get BH each, in step with the rest" {
	run ask "$PW" <<'IN'
garbage
3 garbage
"alice":"R
"":"R"
"alice":""
"alice" :"R"
 "alice":"R"

4 "alice":"R"
IN
	[ "${#lines[@]}" -eq 9 ]
	for i in 0 2 3 4 5 6 7; do
		[[ "${lines[$i]}" == 'BH message="'* ]]
	done
	[[ "${lines[1]}" == '3 BH message="'* ]]
	[ "${lines[8]}" = "4 OK ha1=\"$HA_ALICE_R\"" ]
	assert_reply_shapes "$output"
}

@test "a line with a NUL byte gets BH, with its channel ID" {
	run ask "$PW" < <(printf '1 "alice":"R\0"\n2 "alice":"R"\n\0\n')
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = '1 BH message="NUL byte in request"' ]
	[ "${lines[1]}" = "2 OK ha1=\"$HA_ALICE_R\"" ]
	[[ "${lines[2]}" == 'BH message="'* ]]
}

@test "an over-long line gets one BH and the stream stays in step" {
	run ask "$PW" < <(
		printf '1 "alice":"R"\n'
		head -c 100000 /dev/zero | tr '\0' 'x'
		printf '\n2 "alice":"R"\n77 "'
		head -c 20000 /dev/zero | tr '\0' 'u'
		printf '":"R"\n3 "alice":"R"\n')
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "1 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[1]}" = 'BH message="Request line too long"' ]
	[ "${lines[2]}" = "2 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[3]}" = '77 BH message="Request line too long"' ]
	[ "${lines[4]}" = "3 OK ha1=\"$HA_ALICE_R\"" ]
}

@test "a line as long as Squid sends (8191 bytes) is answered normally" {
	local user
	user=$(head -c 8180 /dev/zero | tr '\0' 'u')
	printf '%s:pw\n' "$user" >"$PW"
	run ask "$PW" <<<"\"$user\":\"R\""
	[ "$output" = "OK ha1=\"$(md5hex "$user:R:pw")\"" ]
}

@test "the last line without a newline is still answered" {
	run ask "$PW" < <(printf '1 "alice":"R"\n2 "alice":"R"')
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[1]}" = "2 OK ha1=\"$HA_ALICE_R\"" ]
}

@test "N lines in, N replies out (20000 lines, mixed)" {
	local n=20000
	python3 - "$n" >"$BATS_TEST_TMPDIR/req" <<'PY'
import sys, random
random.seed(7)
n = int(sys.argv[1])
for i in range(n):
    k = random.random()
    if k < 0.5: print(f'{i} "alice":"R"')
    elif k < 0.7: print(f'{i} "nobody{i}":"R"')
    elif k < 0.8: print(f'{i} bad line')
    elif k < 0.9: print(f'"bob":"Realm One" extra={i}')
    else: print('x' * random.randint(0, 300))
PY
	ask "$PW" <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq "$n" ]
	assert_reply_shapes "$(cat "$BATS_TEST_TMPDIR/out")"
	# every channel ID comes back exactly once, in order
	diff <(grep -o '^[0-9]\+ ' "$BATS_TEST_TMPDIR/req") <(grep -o '^[0-9]\+ ' "$BATS_TEST_TMPDIR/out")
}

@test "a lone request is answered while stdin stays open" {
	local fifo="$BATS_TEST_TMPDIR/in" reply
	mkfifo "$fifo"
	"$DFA" "$PW" <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	local pid=$!
	exec 7>"$fifo"
	printf '9 "alice":"R"\n' >&7
	wait_for 5 grep -q . "$BATS_TEST_TMPDIR/out"
	reply=$(cat "$BATS_TEST_TMPDIR/out")
	kill -0 "$pid"		# still running: input is open
	exec 7>&-
	wait "$pid"
	[ "$reply" = "9 OK ha1=\"$HA_ALICE_R\"" ]
}

@test "end of input: exit 0, nothing printed for no requests" {
	run "$DFA" "$PW" </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--realm (repeatable) answers ERR for any other realm without a lookup" {
	run ask --realm R --realm "Realm One" "$PW" <<'IN'
1 "alice":"R"
2 "bob":"Realm One"
3 "alice":"Other"
4 "alice":"r"
IN
	[ "${lines[0]}" = "1 OK ha1=\"$HA_ALICE_R\"" ]
	[ "${lines[1]}" = "2 OK ha1=\"$(md5hex 'bob:Realm One:pw')\"" ]
	[ "${lines[2]}" = '3 ERR message="Realm not accepted"' ]
	[ "${lines[3]}" = '4 ERR message="Realm not accepted"' ]
}

@test "-d debug output never shows a password or an HA1" {
	printf 'alice:SuperSecret42\ndave:R:{HHA1}0123456789abcdef0123456789abcdef\nbad:R:{HHA1}feedfacefeedfacefeedface\n' >"$PW"
	"$DFA" -d "$PW" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" <<'IN'
"alice":"R"
"dave":"R"
"nobody":"R"
garbage
IN
	grep -q 'debug' "$BATS_TEST_TMPDIR/err"
	grep -q 'user "alice" realm "R": OK' "$BATS_TEST_TMPDIR/err"
	refute_grep 'SuperSecret42' "$BATS_TEST_TMPDIR/err"
	refute_grep "$(md5hex 'alice:R:SuperSecret42')" "$BATS_TEST_TMPDIR/err"
	refute_grep '0123456789abcdef0123456789abcdef' "$BATS_TEST_TMPDIR/err"
	refute_grep 'feedface' "$BATS_TEST_TMPDIR/err"
	# and stdout holds nothing but the four replies
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 4 ]
}
