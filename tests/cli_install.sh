#!/bin/sh
# The installed library as a program of someone else's sees it: `cmake
# --install` of this build into a fresh prefix, then every examples/*.c built
# against that prefix four ways (pkg-config and find_package, each with the
# shared and with the static library). Each example runs in the two shared
# builds and exits non-zero on a wrong result; the static builds link the same
# code, so of those only a version probe runs, which checks that the installed
# headers, the loaded library, pkg-config and the installed CLI name one
# version.
set -u
BIN=${1:?usage: cli_install.sh path/to/cryptonn}
NAME=cli_install
. "$(dirname "$0")/clilib.sh"
B=$(cd "$(dirname "$BIN")" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
P=$T/prefix

expect 0 "cmake --install into a fresh prefix" -- env -u DESTDIR cmake --install "$B" --prefix "$P"
PC=$(find "$P" -name cryptonn.pc -path '*/pkgconfig/*' | head -n 1)
if [ -z "$PC" ]; then
    bad "no cryptonn.pc installed under $P"
    finish
fi
LIBDIR=$(cd "$(dirname "$PC")/.." && pwd)
for f in "$LIBDIR/libcryptonn.a" "$LIBDIR/libcryptonn.so" "$LIBDIR/cmake/cryptonn/cryptonnConfig.cmake" \
    "$LIBDIR/cmake/cryptonn/cryptonnConfigVersion.cmake" "$P/include/cryptonn/cryptonn.h" \
    "$P/include/cryptonn/version.h" "$P/bin/cryptonn"; do
    [ -e "$f" ] && ok || bad "not installed: $f"
done
ls "$P"/include/cryptonn >"$T/installed_h"
ls "$SRC"/include/cryptonn >"$T/source_h"
cmp -s "$T/installed_h" "$T/source_h" && ok || bad "installed headers differ from include/cryptonn"

export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
pkg-config --cflags --libs cryptonn >"$T/pcflags" 2>&1 && ok || bad "pkg-config cryptonn: $(cat "$T/pcflags")"
VERSION=$(pkg-config --modversion cryptonn)

# The version probe: headers, runtime and pkg-config agree.
cat >"$T/version_probe.c" <<'PROBE'
#include <stdio.h>
#include <string.h>
#include "cryptonn/cryptonn.h"
#include "cryptonn/version.h"
#if CRYPTONN_VERSION_NUMBER != CRYPTONN_VERSION_MAJOR * 10000 + CRYPTONN_VERSION_MINOR * 100 + CRYPTONN_VERSION_PATCH
#error "CRYPTONN_VERSION_NUMBER disagrees with its parts"
#endif
int main(void)
{
    printf("%s\n", CRYPTONN_VERSION_STRING);
    return strcmp(cryptonn_version(), CRYPTONN_VERSION_STRING) != 0;
}
PROBE

run_dir() { # run_dir DIR HOW [GLOB]: runs the programs of DIR, each in a fresh working directory
    for exe in "$1"/${3:-*}; do
        [ -x "$exe" ] && [ -f "$exe" ] || continue
        name=$(basename "$exe")
        mkdir -p "$T/run/$2/$name"
        (cd "$T/run/$2/$name" && "$exe") >"$T/out" 2>"$T/err"
        rc=$?
        if [ "$rc" = 0 ]; then ok; else bad "$name ($2) exited $rc"; sed -n 1,20p "$T/err" >&2; fi
        [ -s "$T/out" ] && ok || bad "$name ($2) printed nothing"
        case $name in *version_probe)
            [ "$(cat "$T/out")" = "$VERSION" ] && ok || bad "$name ($2) says $(cat "$T/out"), pkg-config $VERSION";;
        esac
        ldd "$exe" >"$T/ldd"
        if grep -q 'libcryptonn\.so' "$T/ldd"; then
            case $2 in
            *static) bad "$name ($2) loads libcryptonn.so";;
            *) grep -q "=> $LIBDIR/libcryptonn.so.0" "$T/ldd" && ok || bad "$name ($2) does not load the installed library: $(grep libcryptonn "$T/ldd")";;
            esac
        else
            case $2 in *static) ok;; *) bad "$name ($2) does not load libcryptonn.so";; esac
        fi
    done
}

# pkg-config, shared and static. Static means libcryptonn.a with shared
# dependencies (-l:libcryptonn.a picks the archive by name): `pkg-config
# --static` would also ask for static builds of libcurl's own dependencies,
# which Debian does not ship.
mkdir -p "$T/pc-shared" "$T/pc-static"
CFLAGS=$(pkg-config --cflags cryptonn)
SHARED_LIBS=$(pkg-config --libs cryptonn)
# shellcheck disable=SC2046 # one module name per word
STATIC_LIBS="-L$LIBDIR -l:libcryptonn.a $(pkg-config --libs $(pkg-config --print-requires-private cryptonn)) \
    $(sed -n 's/^Libs.private: *//p' "$PC")"
n=0
for src in "$SRC"/examples/*.c "$T/version_probe.c"; do
    name=$(basename "$src" .c)
    n=$((n + 1))
    # shellcheck disable=SC2086 # pkg-config output is meant to be split
    expect 0 "pkg-config shared build of $name" -- cc -Wall -Werror $CFLAGS "$src" -o "$T/pc-shared/$name" \
        $SHARED_LIBS -Wl,-rpath,"$LIBDIR"
    # shellcheck disable=SC2086
    expect 0 "pkg-config static build of $name" -- cc -Wall -Werror $CFLAGS "$src" -o "$T/pc-static/$name" \
        $STATIC_LIBS
done
[ "$n" -ge 2 ] && ok || bad "no examples found in $SRC/examples"
run_dir "$T/pc-shared" pkg-config-shared
run_dir "$T/pc-static" pkg-config-static '*version_probe'

# CMake: examples/CMakeLists.txt with find_package(cryptonn CONFIG), shared
# and static; the probe joins the examples' directory in a copy.
mkdir -p "$T/ex"
cp "$SRC"/examples/*.c "$SRC/examples/CMakeLists.txt" "$T/version_probe.c" "$T/ex/"
for kind in shared static; do
    static=OFF
    [ "$kind" = static ] && static=ON
    expect 0 "cmake configure ($kind)" -- cmake -S "$T/ex" -B "$T/cm-$kind" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$P" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCRYPTONN_EXAMPLES_STATIC=$static
    grep -q "^cryptonn_DIR:PATH=$LIBDIR/cmake/cryptonn\$" "$T/cm-$kind/CMakeCache.txt" && ok \
        || bad "cmake ($kind) found another cryptonn: $(grep '^cryptonn_DIR' "$T/cm-$kind/CMakeCache.txt")"
    expect 0 "cmake build ($kind)" -- cmake --build "$T/cm-$kind" -j 2
    mkdir -p "$T/cm-$kind-bin"
    cp "$T/cm-$kind"/example_* "$T/cm-$kind-bin/" 2>/dev/null
    [ "$(find "$T/cm-$kind-bin" -type f | wc -l)" = "$n" ] && ok || bad "cmake ($kind) built $(ls "$T/cm-$kind-bin" | wc -l) programs, wanted $n"
    if [ "$kind" = static ]; then run_dir "$T/cm-$kind-bin" "cmake-$kind" '*version_probe'; else run_dir "$T/cm-$kind-bin" "cmake-$kind"; fi
done

# The installed CLI names the same version.
expect 0 "installed cryptonn --version" -- "$P/bin/cryptonn" --version
contains "$T/out" "cryptonn $VERSION" "installed CLI version"
finish
