#!/bin/sh
# libapi.sh - libdigestauth exports exactly its documented API.
#
# Four lists of function names must be the same set:
#   the .so      nm -D --defined-only lib/.libs/libdigestauth.so.0 (T symbols)
#   the map      the global: part of lib/libdigestauth.map
#   the headers  the declarations after DIGESTAUTH_API in include/digestauth/
#   the pages    the SYNOPSIS prototypes of doc/man3/digestauth_*.3
# and every function has a page of its own (a .so link to its group's).
# A mismatch fails with a diff.  Also: the SONAME is libdigestauth.so.0,
# every exported symbol carries the DIGESTAUTH_0 version, and no data is
# exported.  TAP output, one line per check.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
so=$top_builddir/lib/.libs/libdigestauth.so.0
man3=$top_srcdir/doc/man3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/libapi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
same() {	# same DESCRIPTION FILE-A FILE-B
	if diff -u "$2" "$3" >"$tmp/diff"; then ok "$1"; else
		not_ok "$1"; sed 's/^/# /' "$tmp/diff"; fi
}

echo "1..11"
[ -f "$so" ] || { echo "Bail out! $so not built"; exit 1; }

nm -D --defined-only "$so" >"$tmp/nm" || { echo "Bail out! nm failed"; exit 1; }
# "ADDR T name@@DIGESTAUTH_0"; the version node itself is an A symbol
awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' "$tmp/nm" | sort >"$tmp/so"
sed -n '/global:/,/local:/p' "$top_srcdir/lib/libdigestauth.map" |
    sed 's,/\*.*\*/,,' | tr -d ' \t' | grep ';$' | grep -v ':' |
    tr -d ';' | sort >"$tmp/map"
cat "$top_srcdir"/include/digestauth/*.h |
    awk 'prev == "DIGESTAUTH_API" { print } { prev = $0 }' |
    sed 's/(.*//; s/.*[ *]//' | sort >"$tmp/headers"
for page in "$man3"/digestauth_*.3; do
	# the prototypes of the SYNOPSIS: .B/.BI lines with "name(", not macros
	sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$page" |
	    grep '^\.BI\{0,1\} ' | grep -v '#define' |
	    grep -o '[a-z_0-9]*(' | tr -d '(' >"$tmp/page"
	cat "$tmp/page" >>"$tmp/man"
	# ... each described under DESCRIPTION as .BR name ()
	while read -r f; do
		grep -q "^\.BR $f ()" "$page" ||
		    echo "$f: in the SYNOPSIS of $(basename "$page") but not described" >>"$tmp/undescribed"
		[ "$(cat "$man3/$f.3" 2>/dev/null)" = ".so man3/$(basename "$page")" ] ||
		    echo "$f: no doc/man3/$f.3 pointing at $(basename "$page")" >>"$tmp/nolink"
	done <"$tmp/page"
done
sort -o "$tmp/man" "$tmp/man"

[ -s "$tmp/so" ] && ok "libdigestauth.so.0 exports $(wc -l <"$tmp/so") functions" ||
    not_ok "libdigestauth.so.0 exports no function"
same "the .so exports the functions of lib/libdigestauth.map" "$tmp/map" "$tmp/so"
same "the .so exports the DIGESTAUTH_API functions of include/digestauth/" "$tmp/headers" "$tmp/so"
same "the .so exports the functions of the man3 SYNOPSIS" "$tmp/man" "$tmp/so"
if [ -s "$tmp/undescribed" ] || [ -s "$tmp/nolink" ]; then
	not_ok "every function is described and has its own man3 page"
	cat "$tmp/undescribed" "$tmp/nolink" 2>/dev/null | sed 's/^/# /'
else
	ok "every function is described and has its own man3 page"
fi

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libdigestauth.so.0 ] && ok "SONAME is libdigestauth.so.0" ||
    not_ok "SONAME is libdigestauth.so.0 (got '$soname')"

# every T symbol is name@@DIGESTAUTH_0; nothing but functions and the node
if awk '$2 == "T" && $3 !~ /@@DIGESTAUTH_0$/ { bad = 1 } END { exit bad }' "$tmp/nm"; then
	ok "every export is versioned DIGESTAUTH_0"
else
	not_ok "every export is versioned DIGESTAUTH_0"
	sed 's/^/# /' "$tmp/nm"
fi
if awk '$2 != "T" && !($2 == "A" && $3 == "DIGESTAUTH_0") { bad = 1 } END { exit bad }' "$tmp/nm"; then
	ok "no data or other symbol is exported"
else
	not_ok "no data or other symbol is exported"
	awk '$2 != "T"' "$tmp/nm" | sed 's/^/# /'
fi
# the names a program gets from the headers are all in the library's
# namespace: functions (exported or static inline), struct, union and enum
# tags and typedefs digest_*, macros and enum constants DIGEST_* (the
# include guards and DIGESTAUTH_API DIGESTAUTH_*); comments removed first
{
	sed 's/^/function /' "$tmp/so"
	perl -0pe 's{/\*.*?\*/}{}gs' "$top_srcdir"/include/digestauth/*.h |
	    awk '/^#[ \t]*define/ { sub(/^#[ \t]*define[ \t]+/, ""); sub(/[ \t(].*/, ""); print "macro " $0; next }
		/^(struct|union|enum) [A-Za-z_0-9]+ *[{;]/ { sub(/[ {;].*/, "", $2); print "tag " $2 }
		/^typedef/ { t = $0; sub(/;.*/, "", t); n = split(t, w, /[^A-Za-z_0-9]+/); print "typedef " w[n] }
		/^static inline/ { f = $0; sub(/\(.*/, "", f); sub(/.*[ *]/, "", f); print "function " f }
		/^enum .*{/ { inenum = 1; next } inenum && /^}/ { inenum = 0 }
		inenum && /^[ \t]+[A-Za-z_]/ { sub(/^[ \t]+/, ""); sub(/[ \t]*[,=].*/, ""); print "constant " $0 }'
} | sort -u >"$tmp/names"
grep -vE '^(function|tag|typedef) digest_[a-z_0-9]+$|^(macro|constant) DIGEST(AUTH)?_[A-Z_0-9]+$' \
    "$tmp/names" >"$tmp/outside"
if [ -s "$tmp/outside" ] || ! [ -s "$tmp/names" ]; then
	not_ok "every public name is digest_* or DIGEST_*"
	sed 's/^/# /' "$tmp/outside"
else
	ok "every public name is digest_* or DIGEST_* ($(wc -l <"$tmp/names") names)"
fi
# each public header alone, with nothing but include/ on the path
inc=$top_srcdir/include
: >"$tmp/cc.log"
for h in "$inc"/digestauth/*.h; do
	printf '#include <digestauth/%s>\ntypedef int not_empty;\n' "$(basename "$h")" >"$tmp/one.c"
	${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only \
	    -I"$inc" "$tmp/one.c" >>"$tmp/cc.log" 2>&1 || echo "C: $h" >>"$tmp/cc.log"
	if command -v "${CXX:-c++}" >/dev/null; then
		"${CXX:-c++}" -Wall -Wextra -Werror -fsyntax-only -x c++ \
		    -I"$inc" "$tmp/one.c" >>"$tmp/cc.log" 2>&1 || echo "C++: $h" >>"$tmp/cc.log"
	fi
done
if [ -s "$tmp/cc.log" ]; then
	not_ok "every public header compiles alone (C99, C++)"
	sed 's/^/# /' "$tmp/cc.log"
else
	ok "every public header compiles alone (C99, C++)"
fi
# #include "x.h" must be a sibling; <x.h> must not be a project header
grep -H '^#[[:space:]]*include' "$inc"/digestauth/*.h | while IFS= read -r line; do
	case $line in
	*'"'*)	f=$(echo "$line" | sed 's/.*"\(.*\)".*/\1/')
		[ -f "$inc/digestauth/$f" ] || echo "$line";;
	*'<digestauth/'*) ;;
	*)	f=$(echo "$line" | sed 's/.*<\(.*\)>.*/\1/')
		[ -f "$top_srcdir/lib/$f" ] && echo "$line";;
	esac
done >"$tmp/incl"
if [ -s "$tmp/incl" ]; then
	not_ok "the public headers include only the C library and each other"
	sed 's/^/# /' "$tmp/incl"
else
	ok "the public headers include only the C library and each other"
fi
exit "$failed"
