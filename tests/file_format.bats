#!/usr/bin/env bats
# The password-file format (digest_file_auth(8)), through digest_file_auth.

load lib/common

setup() {
	PW="$BATS_TEST_TMPDIR/pw"
}

ok_line() {	# ok_line HA1 -> the expected OK reply
	printf 'OK ha1="%s"' "$1"
}

@test "comments, blank lines and indented lines are ignored" {
	printf '# alice:secret\n\n alice:secret\n\talice:secret\nbob:pw\n' >"$PW"
	run ask "$PW" <<'IN'
"alice":"R"
"# alice":"R"
" alice":"R"
"bob":"R"
IN
	[ "${lines[0]}" = 'ERR message="No such user"' ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
	[ "${lines[2]}" = 'ERR message="No such user"' ]
	[ "${lines[3]}" = "$(ok_line "$(md5hex 'bob:R:pw')")" ]
}

@test "user:password is plaintext for any realm" {
	printf 'alice:secret\n' >"$PW"
	run ask "$PW" <<'IN'
"alice":"One"
"alice":"Two words"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'alice:One:secret')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'alice:Two words:secret')")" ]
}

@test "user:realm:password is for that realm only; the password runs to the end of the line" {
	printf 'alice:One:pa:ss word\n' >"$PW"
	run ask "$PW" <<'IN'
"alice":"One"
"alice":"Two"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'alice:One:pa:ss word')")" ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
}

@test "the realm-specific entry wins over the realm-less one, in either order" {
	printf 'alice:generic\nalice:One:special\nbob:Two:special\nbob:generic\n' >"$PW"
	run ask "$PW" <<'IN'
"alice":"One"
"alice":"Other"
"bob":"Two"
"bob":"Other"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'alice:One:special')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'alice:Other:generic')")" ]
	[ "${lines[2]}" = "$(ok_line "$(md5hex 'bob:Two:special')")" ]
	[ "${lines[3]}" = "$(ok_line "$(md5hex 'bob:Other:generic')")" ]
}

@test "-c: user:realm:HA1 as htdigest writes it, and user:HA1" {
	local h1 h2
	h1=$(md5hex 'alice:One:secret')
	h2=$(md5hex 'bob:Any:pw')
	printf 'alice:One:%s\nbob:%s\n' "$h1" "$h2" >"$PW"
	run ask -c "$PW" <<'IN'
"alice":"One"
"alice":"Two"
"bob":"Whatever"
IN
	[ "${lines[0]}" = "$(ok_line "$h1")" ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
	[ "${lines[2]}" = "$(ok_line "$h2")" ]
}

@test "-c: an uppercase HA1 is answered in lowercase" {
	local h
	h=$(md5hex 'alice:One:secret')
	printf 'alice:One:%s\n' "${h^^}" >"$PW"
	run ask -c "$PW" <<<'"alice":"One"'
	[ "$output" = "$(ok_line "$h")" ]
}

@test "{HHA1} is an HA1 with or without -c" {
	printf 'alice:One:{HHA1}%s\nbob:{HHA1}%s\n' \
		"$(md5hex 'alice:One:x')" "$(md5hex 'bob:Two:y')" >"$PW"
	for flag in "" -c; do
		run ask $flag "$PW" <<'IN'
"alice":"One"
"bob":"Two"
IN
		[ "${lines[0]}" = "$(ok_line "$(md5hex 'alice:One:x')")" ]
		[ "${lines[1]}" = "$(ok_line "$(md5hex 'bob:Two:y')")" ]
	done
}

@test "plaintext entries after a {HHA1} line are answered correctly (Squid's loader gets this wrong)" {
	printf 'carol:R:{HHA1}0123456789abcdef0123456789abcdef\nbob:secret\n' >"$PW"
	run ask "$PW" <<'IN'
"bob":"R"
"carol":"R"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'bob:R:secret')")" ]
	[ "${lines[1]}" = "$(ok_line 0123456789abcdef0123456789abcdef)" ]
}

@test "bad lines are skipped with a warning naming the line number, never a field" {
	printf '%s\n' 'good:R:GOODPASS' 'nocolonSECRET1' ':SECRET2' 'eve::SECRET3' 'frank:' \
		'gina:R:{HHA1}SECRET4' 'hank:R:0123SECRET5' 'last:R:LASTPASS' >"$PW"
	run "$DFA" -c "$PW" <<'IN'
"good":"R"
"last":"R"
IN
	# -c: good and last are not 32 hex digits either
	[[ "$output" == *"$PW:1:"* ]]
	for n in 2 3 4 5 6 7 8; do
		[[ "$output" == *"$PW:$n:"* ]]
	done
	[[ "$output" != *SECRET* ]]
	[[ "$output" != *GOODPASS* && "$output" != *LASTPASS* ]]
}

@test "without -c, a plaintext file with bad lines still serves the good ones" {
	printf '%s\n' 'good:R:pw' 'nocolon' ':x' 'eve::y' 'frank:' 'last:pw' >"$PW"
	"$DFA" "$PW" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" <<'IN'
"good":"R"
"last":"R"
"frank":"R"
"eve":"R"
IN
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'good:R:pw')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'last:R:pw')")" ]
	[ "${lines[2]}" = 'ERR message="No such user"' ]
	[ "${lines[3]}" = 'ERR message="No such user"' ]
	[ "$(grep -c 'line ignored' "$BATS_TEST_TMPDIR/err")" -eq 4 ]
}

@test "an HA1 that is not 32 hex digits is skipped with -c" {
	printf 'alice:R:%s\nbob:R:%sff\ncarol:R:%sZ\n' "$(md5hex a)" "$(md5hex b)" "$(md5hex c | cut -c2-)" >"$PW"
	run ask -c "$PW" <<'IN'
"alice":"R"
"bob":"R"
"carol":"R"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex a)")" ]
	[ "${lines[1]}" = 'ERR message="No such user"' ]
	[ "${lines[2]}" = 'ERR message="No such user"' ]
}

@test "CRLF password files work" {
	printf 'alice:R:secret\r\nbob:pw\r\n' >"$PW"
	run ask "$PW" <<'IN'
"alice":"R"
"bob":"X"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'alice:R:secret')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'bob:X:pw')")" ]
}

@test "duplicate entries: the first one wins, with a warning" {
	printf 'alice:R:first\nalice:R:second\n' >"$PW"
	run "$DFA" "$PW" <<<'"alice":"R"'
	[[ "$output" == *"$PW:2: duplicate entry"* ]]
	[[ "$output" == *"OK ha1=\"$(md5hex 'alice:R:first')\""* ]]
}

@test "user names with spaces, UTF-8 and punctuation" {
	printf '%s\n' 'jean dupont:R:pw1' 'zoë:R:pw2' "o'brien@example.org:R:pw3" >"$PW"
	run ask "$PW" <<IN
"jean dupont":"R"
"zoë":"R"
"o'brien@example.org":"R"
"zoe":"R"
IN
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'jean dupont:R:pw1')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'zoë:R:pw2')")" ]
	[ "${lines[2]}" = "$(ok_line "$(md5hex "o'brien@example.org:R:pw3")")" ]
	[ "${lines[3]}" = 'ERR message="No such user"' ]
}

@test "a 200000-user file: every user found, unknown users not" {
	python3 - "$PW" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write(f"user{i}:Realm:pw{i}\n")
PY
	printf '"user0":"Realm"\n"user199999":"Realm"\n"user200000":"Realm"\n"user77":"Other"\n' |
		ask "$PW" >"$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = "$(ok_line "$(md5hex 'user0:Realm:pw0')")" ]
	[ "${lines[1]}" = "$(ok_line "$(md5hex 'user199999:Realm:pw199999')")" ]
	[ "${lines[2]}" = 'ERR message="No such user"' ]
	[ "${lines[3]}" = 'ERR message="No such user"' ]
}
