#!/bin/sh
# run-all.sh - the whole test suite, as the README's second command and CI
# run it: install what is missing, build with warnings as errors, run
# make check (unit tests, bats suites, parity with Squid's helper, real
# Squid and slapd end to end), run it again under AddressSanitizer+UBSan,
# run the helper suites under valgrind, fuzz every parser for a minute
# each (FUZZ_SECONDS), then make distcheck, then build, install and test
# the Debian packages (tests/packages.sh).  Builds go to _build/ so the source tree stays clean.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
summary="$top/_build/summary.txt"

sh tests/setup-debian.sh --test
# The README's first command builds in the source tree; out-of-tree builds
# need it clean again.
if [ -f config.status ]; then
	echo "==> cleaning the in-tree build (make distclean)"
	make distclean >/dev/null 2>&1 || true
fi
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p _build
: >"$summary"

# count_results DIR LABEL: add the TAP totals of one make check to the summary
count_results() {
	awk -v label="$2" '
		/^# PASS:/ { pass += $3 } /^# FAIL:/ { fail += $3 }
		/^# XPASS:/ { fail += $3 } /^# ERROR:/ { fail += $3 }
		/^# SKIP:/ { skip += $3 }
		END { printf "%s %d %d %d\n", label, pass, fail, skip }' "$1/test-suite.log" >>"$summary"
}

run_check() {	# run_check NAME CONFIGURE-ARGS...
	name=$1; shift
	dir="_build/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "==> $name: configure $*"
	(cd "$dir" && ../../configure -q "$@" >/dev/null)
	echo "==> $name: make"
	make -C "$dir" -j"$jobs" >/dev/null
	echo "==> $name: make check"
	if ! make -C "$dir" -j"$jobs" check; then
		cat "$dir/test-suite.log" >&2 || true
		count_results "$dir" "$name" || true
		return 1
	fi
	count_results "$dir" "$name"
}

status=0
run_check plain --enable-werror --with-sqlite --with-ldap --with-pgsql --with-mysql || status=1
run_check sanitize --enable-werror --with-sqlite --with-ldap --with-pgsql --with-mysql \
	CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	LDFLAGS='-fsanitize=address,undefined' || status=1

echo "==> check-valgrind (helper suites under memcheck)"
if make -C _build/plain check-valgrind >_build/valgrind.log 2>&1; then
	grep '^valgrind:' _build/valgrind.log
	awk '/^ok /{p++} /^not ok /{f++} END { printf "valgrind %d %d 0\n", p, f }' _build/valgrind.log >>"$summary"
else
	grep -E '^not ok|^valgrind' _build/valgrind.log >&2
	tail -80 _build/valgrind.log >&2
	awk '/^ok /{p++} /^not ok /{f++} END { printf "valgrind %d %d 0\n", p, f + 1 }' _build/valgrind.log >>"$summary"
	status=1
fi

echo "==> fuzz-smoke (libFuzzer, ${FUZZ_SECONDS:-60} s per target)"
rm -rf _build/fuzz
mkdir -p _build/fuzz
if (cd _build/fuzz && ../../configure -q CC=clang --enable-fuzzing CFLAGS='-O1 -g' >/dev/null) &&
	make -C _build/fuzz -j"$jobs" fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >_build/fuzz.log 2>&1; then
	grep '^fuzz:' _build/fuzz.log
	n=$(grep -c '^fuzz: .* exit 0' _build/fuzz.log)
	echo "fuzz $n 0 0" >>"$summary"
else
	tail -60 _build/fuzz.log >&2
	echo "fuzz 0 1 0" >>"$summary"
	status=1
fi

if [ "$status" = 0 ]; then
	echo "==> make distcheck"
	make -C _build/plain -j"$jobs" distcheck >_build/distcheck.log 2>&1 || {
		tail -50 _build/distcheck.log >&2
		status=1
	}
	[ "$status" = 0 ] && echo "==> distcheck passed"
fi

# The Debian packages, built from this tree, installed and tested
# (tests/packages.sh); a tree without debian/ (a dist tarball) skips it.
if [ -f tests/packages.sh ] && [ -d debian ]; then
	echo "==> packages (dpkg-buildpackage, lintian, AppArmor, installed e2e, purge)"
	sh tests/packages.sh --summary "$summary" || status=1
else
	echo "==> packages: skipped (no debian/ in this tree)"
	echo "packages 0 0 1" >>"$summary"
fi

end=$(date +%s)
echo "==> done in $((end - start)) s"
awk '{ p += $2; f += $3; s += $4; printf "    %-10s %d passed, %d failed, %d skipped\n", $1, $2, $3, $4 }
	END { printf "tests: %d passed, %d failed, %d skipped\n", p, f + 0, s + 0 }' "$summary"
exit "$status"
