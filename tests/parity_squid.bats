#!/usr/bin/env bats
# Parity with Squid's own digest_file_auth: the same password file and the
# same request lines must give byte-identical replies.
#
# The data comes from tests/lib/gen_users.py (deterministic, by seed).  It
# stays inside what both helpers are meant to agree on: no '"' in realms
# (Squid's helper cuts a realm at its first '"'), {HHA1} lines last in the
# file (Squid's loader lets a {HHA1} line leak into the plaintext entries
# after it), channel IDs at most 2^31-1 (Squid's helper keeps the ID in an
# int; see the last test).

load lib/common

GEN="$top_srcdir/tests/lib/gen_users.py"

setup() {
	T=$BATS_TEST_TMPDIR
}

# gen ARGS...: users.txt, req.txt and expect.txt in $T
gen() {
	python3 "$GEN" --out "$T/users.txt" --requests "$T/req.txt" \
		--expect "$T/expect.txt" "$@"
}

# show_diff A B: the first differing replies, with their request lines
# (requests hold user names and realms, never a password)
show_diff() {
	echo "--- first differences, $1 vs $2:"
	python3 - "$T/req.txt" "$T/$1" "$T/$2" <<-'EOF'
	import sys
	req, a, b = (open(f, encoding="utf-8", errors="replace").read().split("\n")
	             for f in sys.argv[1:])
	bad = [i for i in range(max(len(a), len(b)))
	       if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None)]
	for i in bad[:5]:
	    print("line %d: request %r" % (i + 1, req[i] if i < len(req) else None))
	    print("    %s: %r" % (sys.argv[2].rsplit("/", 1)[-1], a[i] if i < len(a) else None))
	    print("    %s: %r" % (sys.argv[3].rsplit("/", 1)[-1], b[i] if i < len(b) else None))
	print("%d line(s) differ" % len(bad))
	EOF
}

# parity [-c]: run both helpers on users.txt < req.txt, require the same bytes
parity() {
	local n rc
	n=$(wc -l <"$T/req.txt")
	[ "$n" -gt 0 ] || { echo "no requests generated"; return 1; }

	rc=0
	"$SQUID_DFA" "$@" "$T/users.txt" <"$T/req.txt" >"$T/squid.out" 2>"$T/squid.err" || rc=$?
	[ "$rc" -eq 0 ] || { echo "Squid's helper exited $rc"; cat "$T/squid.err"; return 1; }
	rc=0
	"$DFA" "$@" "$T/users.txt" <"$T/req.txt" >"$T/ours.out" 2>"$T/ours.err" || rc=$?
	[ "$rc" -eq 0 ] || { echo "our helper exited $rc"; head -n 20 "$T/ours.err"; return 1; }

	[ -s "$T/ours.out" ] || { echo "our helper wrote nothing"; return 1; }
	[ "$(wc -l <"$T/squid.out")" -eq "$n" ] ||
		{ echo "Squid's helper: $(wc -l <"$T/squid.out") replies to $n requests"; return 1; }
	[ "$(wc -l <"$T/ours.out")" -eq "$n" ] ||
		{ echo "our helper: $(wc -l <"$T/ours.out") replies to $n requests"; return 1; }

	# The data must be parity material: Squid's helper agrees with what the
	# generator computed independently (if not, fix the generator, not us).
	cmp -s "$T/squid.out" "$T/expect.txt" ||
		{ echo "test data problem: Squid's helper disagrees with gen_users.py"; show_diff squid.out expect.txt; return 1; }

	cmp -s "$T/squid.out" "$T/ours.out" ||
		{ echo "our helper differs from Squid's"; show_diff squid.out ours.out; return 1; }

	# and it exercised both answers
	grep -q ' ha1="[0-9a-f]\{32\}"$' "$T/ours.out" || { echo "no OK reply at all"; return 1; }
	grep -q 'ERR message="No such user"$' "$T/ours.out" || { echo "no ERR reply at all"; return 1; }
}

@test "parity: plaintext user:password file" {
	require_cmd "$SQUID_DFA"
	gen --seed 1 --users 300 --mode plain --max-channel 2147483647
	parity
}

@test "parity: realm-specific user:realm:password entries, with realm-less fallbacks" {
	require_cmd "$SQUID_DFA"
	gen --seed 2 --users 300 --mode realm --max-channel 2147483647
	parity
}

@test "parity: -c with user:realm:HA1 and user:HA1 entries (htdigest format)" {
	require_cmd "$SQUID_DFA"
	gen --seed 3 --users 300 --mode ha1 --hha1 0 --max-channel 2147483647
	parity -c
}

@test "parity: -c with {HHA1} lines last" {
	require_cmd "$SQUID_DFA"
	gen --seed 4 --users 300 --mode ha1 --hha1 30 --max-channel 2147483647
	grep -q '{HHA1}' "$T/users.txt"
	parity -c
}

@test "parity: plaintext and realm entries with {HHA1} lines last, without -c" {
	require_cmd "$SQUID_DFA"
	gen --seed 5 --users 300 --mode hha1 --max-channel 2147483647
	grep -q '{HHA1}' "$T/users.txt"
	parity
}

@test "parity: a channel ID on every line, 0 to 2147483647, with key-extras" {
	require_cmd "$SQUID_DFA"
	gen --seed 6 --users 300 --mode realm --channel-pct 100 --extras-pct 40 --max-channel 2147483647
	# the edge values are in the data (the seed fixes it)
	grep -q '^2147483647 ' "$T/req.txt"
	grep -q '^0 ' "$T/req.txt"
	parity
}

@test "parity: other seeds, every mode, small files" {
	require_cmd "$SQUID_DFA"
	local seed mode
	for seed in 11 12 13; do
		for mode in plain realm ha1 hha1; do
			gen --seed "$seed" --users 80 --mode "$mode" --hha1 8 --max-channel 2147483647
			if [ "$mode" = ha1 ]; then parity -c; else parity; fi ||
				{ echo "(seed $seed, mode $mode)"; return 1; }
		done
	done
}

# Known divergence, where Squid's helper is wrong: it parses the channel ID
# into an int, so 2147483648 and up come back truncated or missing.
# doc/protocol.md has the ID echoed unchanged up to 2^64-1.  (Squid itself only
# sends IDs below its concurrency setting, so this never shows in practice.)
# The answers themselves must still agree.
@test "big channel IDs (up to 2^64-1): same answers as Squid, ID echoed unchanged" {
	require_cmd "$SQUID_DFA"
	gen --seed 7 --users 300 --mode realm --channel-pct 100
	grep -q '^18446744073709551615 ' "$T/req.txt"
	n=$(wc -l <"$T/req.txt")

	"$SQUID_DFA" "$T/users.txt" <"$T/req.txt" >"$T/squid.out" 2>/dev/null
	"$DFA" "$T/users.txt" <"$T/req.txt" >"$T/ours.out" 2>"$T/ours.err"
	[ "$(wc -l <"$T/ours.out")" -eq "$n" ]
	[ "$(wc -l <"$T/squid.out")" -eq "$n" ]

	# without the IDs, byte-identical
	sed -E 's/^[0-9]+ //' "$T/squid.out" >"$T/squid.noid"
	sed -E 's/^[0-9]+ //' "$T/ours.out" >"$T/ours.noid"
	cmp -s "$T/squid.noid" "$T/ours.noid" || { show_diff squid.noid ours.noid; false; }
	# with them, ours is what the spec says
	cmp -s "$T/ours.out" "$T/expect.txt" || { show_diff ours.out expect.txt; false; }
	# and the data did hold IDs beyond Squid's int
	awk '$1 > 2147483647' "$T/req.txt" | grep -q .
}
