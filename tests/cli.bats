#!/usr/bin/env bats
# Command line: --help, -V, bad options and start-up errors (README.md).

load lib/common

setup() {
	PW="$BATS_TEST_TMPDIR/pw"
	printf 'alice:secret\n' >"$PW"
}

@test "--help and -h print usage to stdout and exit 0" {
	for opt in --help -h; do
		run "$DFA" $opt
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: digest_file_auth "* ]]
		[[ "$output" == *"--realm"* ]]
		[[ "$output" == *"-c "* ]]
	done
	# stdout only: nothing on stderr
	[ -z "$("$DFA" --help 2>&1 >/dev/null)" ]
}

@test "-V and --version print the package version" {
	for opt in -V --version; do
		run "$DFA" $opt
		[ "$status" -eq 0 ]
		[ "$output" = "digest_file_auth (digest-helpers) $PACKAGE_VERSION" ]
	done
}

one_line_error() {	# one_line_error PATTERN: status 1, one stderr line
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "digest_file_auth: "* ]]
	[[ "${lines[0]}" == *$1* ]]
}

@test "a bad option is one line on stderr and exit 1" {
	run "$DFA" -x "$PW"
	one_line_error "unknown option -x"
	run "$DFA" --bogus "$PW"
	one_line_error "unknown option --bogus"
	run "$DFA" --realm
	one_line_error "--realm needs a value"
}

@test "a missing, unreadable or wrong password file: one line and exit 1, nothing on stdout" {
	run "$DFA" "$BATS_TEST_TMPDIR/none"
	one_line_error "cannot open"
	run "$DFA" "$BATS_TEST_TMPDIR"
	one_line_error "not a regular file"
	run "$DFA"
	one_line_error "no password file"
	run "$DFA" "$PW" "$PW"
	one_line_error "expected one password file"
	[ -z "$("$DFA" "$BATS_TEST_TMPDIR/none" 2>/dev/null </dev/null)" ]
}

@test "an empty --realm is refused" {
	run "$DFA" --realm "" "$PW"
	one_line_error "--realm needs a non-empty realm"
}

@test "options may follow the file name, as with Squid's helper" {
	printf 'alice:R:%s\n' "$(md5hex 'alice:R:pw')" >"$PW"
	run "$DFA" "$PW" -c <<<'"alice":"R"'
	[ "$status" -eq 0 ]
	[ "$output" = "OK ha1=\"$(md5hex 'alice:R:pw')\"" ]
}

@test "closed stdin/stdout descriptors are handled: replies never go into the password file" {
	# start with fd 1 closed: the helper must not open its file as fd 1
	run sh -c '"$1" "$2" <"$3" 1>&-; echo "rc=$?"' sh "$DFA" "$PW" "$PW"
	cmp -s "$PW" <(printf 'alice:secret\n')
}
