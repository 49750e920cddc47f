#!/bin/sh
# The library as built for installation (docs/LIBRARY.md): libcryptonn.so
# carries the SONAME of its major version and exports only cryptonn_*
# functions, each declared in a public header, and every public function is
# exported; libcryptonn.a keeps only cryptonn_* global, so a program links it
# together with Debian's static libsodium.a, whose internal names (ge25519_add,
# sc25519_mul, ...) ours share. The same link against the internal archive,
# whose internal names are global, must fail: proof that the link tests a
# real clash.
set -u
BIN=${1:?usage: cli_library.sh path/to/cryptonn}
NAME=cli_library
. "$(dirname "$0")/clilib.sh"
B=$(cd "$(dirname "$BIN")" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)

version_part() { sed -n "s/^#define CRYPTONN_VERSION_$1 \([0-9]*\)\$/\1/p" "$SRC/include/cryptonn/version.h"; }
MAJOR=$(version_part MAJOR)
VERSION=$MAJOR.$(version_part MINOR).$(version_part PATCH)
SO=$B/libcryptonn.so.$VERSION
A=$B/libcryptonn.a
[ -f "$SO" ] && ok || bad "$SO missing"
[ -f "$A" ] && ok || bad "$A missing"
[ "$(readlink "$B/libcryptonn.so.$MAJOR")" = "libcryptonn.so.$VERSION" ] && ok \
    || bad "libcryptonn.so.$MAJOR does not point to libcryptonn.so.$VERSION"

# SONAME
readelf -d "$SO" >"$T/dyn"
contains "$T/dyn" "Library soname: \[libcryptonn.so.$MAJOR\]" "SONAME libcryptonn.so.$MAJOR"

# Exports: the version node CRYPTONN_<major> (an absolute symbol) and cryptonn_* only.
nm -D --defined-only "$SO" | awk '{print $NF}' | sed 's/@.*//' | sort >"$T/exported"
grep -v -e '^cryptonn_' -e "^CRYPTONN_$MAJOR\$" "$T/exported" >"$T/stray"
[ ! -s "$T/stray" ] && ok || { bad "libcryptonn.so exports non-cryptonn_ symbols:"; sed -n 1,20p "$T/stray" >&2; }
grep -q '^cryptonn_init$' "$T/exported" && ok || bad "cryptonn_init is not exported"

# Every export is declared CRYPTONN_API in a public header and every such
# declaration is exported (a missing definition would only show when a
# program links).
cat "$SRC"/include/cryptonn/*.h | tr '\n' ' ' | grep -o 'CRYPTONN_API[^;{}]*' \
    | grep -o 'cryptonn_[a-z0-9_]* *(' | tr -d ' (' | sort -u >"$T/declared"
grep '^cryptonn_' "$T/exported" >"$T/exported_fns"
comm -23 "$T/exported_fns" "$T/declared" >"$T/undeclared"
[ ! -s "$T/undeclared" ] && ok || { bad "exported but not declared CRYPTONN_API in include/cryptonn:"; cat "$T/undeclared" >&2; }
comm -13 "$T/exported_fns" "$T/declared" >"$T/unexported"
[ ! -s "$T/unexported" ] && ok || { bad "declared CRYPTONN_API but not exported:"; cat "$T/unexported" >&2; }
[ "$(wc -l <"$T/declared")" -gt 50 ] && ok || bad "too few declarations found: the header scan broke"

# The static archive: cryptonn_* and OpenMP's named critical sections (common
# symbols every OpenMP object shares by design) are its only globals.
nm -g --defined-only "$A" | awk 'NF == 3 {print $2, $3}' >"$T/globals"
grep -v -e ' cryptonn_' -e '^C \.gomp_critical_user_' "$T/globals" >"$T/stray_a"
[ ! -s "$T/stray_a" ] && ok || { bad "libcryptonn.a has non-cryptonn_ globals:"; sed -n 1,20p "$T/stray_a" >&2; }
nm "$A" | grep -q ' t ge25519_add$' && ok || bad "ge25519_add is not a local symbol of libcryptonn.a"

# Static link with libsodium.a; the other dependencies stay shared.
SODIUM_A=$(pkg-config --variable=libdir libsodium)/libsodium.a
if [ ! -f "$SODIUM_A" ]; then
    bad "$SODIUM_A missing (libsodium-dev ships it)"
    finish
fi
OTHERS=$(sed -n 's/^Requires.private: *//p' "$B/cryptonn.pc" | tr ' ' '\n' | grep -v '^libsodium$' | tr '\n' ' ')
# shellcheck disable=SC2086 # word splitting of the pkg-config output is meant
LIBS=$(pkg-config --libs $OTHERS) || bad "pkg-config --libs $OTHERS failed"
link() { # link ARCHIVE OUTPUT
    # shellcheck disable=SC2086
    cc -I"$SRC/include" $(pkg-config --cflags libsodium) "$SRC/tests/link_sodium.c" \
        "$1" "$SODIUM_A" $LIBS -fopenmp -lm -o "$2"
}
expect 0 "link libcryptonn.a with libsodium.a" -- link "$A" "$T/static"
if [ -x "$T/static" ]; then
    expect 0 "run the static program" -- "$T/static"
    contains "$T/out" "both right" "static program output"
    ldd "$T/static" >"$T/ldd"
    grep -q -e libsodium -e libcryptonn "$T/ldd" && bad "the static program loads libsodium or libcryptonn dynamically" || ok
fi
expect 1 "control: the internal archive clashes with libsodium.a" -- link "$B/libcryptonn_internal.a" "$T/clash"
contains "$T/err" "multiple definition of .ge25519_" "control fails on a duplicate ge25519_ symbol"
finish
