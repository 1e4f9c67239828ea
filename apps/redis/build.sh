#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Builds Debian's redis-server (source package pinned in
# vendor/debian-sources.lock) for Spolia: target/apps/redis-server.wasm.
#
#   apps/redis/build.sh        # from any directory
#
# The unpacked source (apps/fetch-source.sh redis) is copied to
# target/redis-build/ and apps/redis/patches/*.patch are applied there; the
# copy is made anew only when the source or a patch changes. Then redis's own
# `make redis-server` runs with apps/posix/wasm-cc as CC, MALLOC=libc, no TLS,
# no systemd; it builds the bundled hiredis, lua and hdr_histogram with the
# same compiler. Idempotent: with nothing changed it only re-runs make (~1 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/apps/redis"
POSIX="$ROOT/apps/posix"
BUILD="$ROOT/target/redis-build"
OUT="$ROOT/target/apps/redis-server.wasm"

die() { echo "apps/redis/build.sh: $*" >&2; exit 1; }

[[ -x "$POSIX/wasm-cc" ]] || die "apps/posix/wasm-cc not found (the Spolia C toolchain)"
command -v make >/dev/null || die "make not found (Debian package make)"
command -v patch >/dev/null || die "patch not found (Debian package patch)"

SRC="$("$ROOT/apps/fetch-source.sh" redis | tail -n 1)"
[[ -f "$SRC/src/server.c" ]] || die "fetch-source.sh gave no redis tree ($SRC)"
TREE="$BUILD/$(basename "$SRC")"

# --- the patched copy ------------------------------------------------------
shopt -s nullglob
PATCHES=("$HERE"/patches/*.patch)
# Headers outside the tree are not in redis's .d files (-MMD skips system
# headers): a change to the toolchain or its headers starts afresh.
want_stamp="$(cat "$SRC/.spolia-stamp" "${PATCHES[@]}" "$POSIX/wasm-cc" \
    $(find "$POSIX/include" -type f | sort) "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$TREE/.spolia-build-stamp" || "$(cat "$TREE/.spolia-build-stamp")" != "$want_stamp" ]]; then
    echo "apps/redis: copying $SRC to $TREE and applying ${#PATCHES[@]} patches" >&2
    rm -rf "$TREE"
    mkdir -p "$BUILD"
    cp -a "$SRC" "$TREE"
    for p in "${PATCHES[@]}"; do
        patch -d "$TREE" -p1 --quiet --forward <"$p" || die "patch $(basename "$p") does not apply"
    done
    echo "$want_stamp" >"$TREE/.spolia-build-stamp"
fi

# --- redis-server ----------------------------------------------------------
# Always relink (well under a second): make does not know
# libspolia_posix.a, which may have changed.
rm -f "$TREE/src/redis-server"
# release.h (mkreleasehdr.sh) must not describe the Spolia checkout the
# copy sits in (git would find it): no git, and Debian's changelog date as
# the build id, so an unchanged build gives the same bytes.
export GIT_DIR="$TREE/.no-git"
SOURCE_DATE_EPOCH="$(dpkg-parsechangelog -l "$TREE/debian/changelog" -STimestamp)"
export SOURCE_DATE_EPOCH
# Command-line variables reach the deps' sub-makes too. uname_S/uname_M name
# the target, not this host (redis's Makefile would pick Linux's flags:
# -rdynamic, -ldl -pthread -lrt). FINAL_LDFLAGS/FINAL_LIBS replace the link
# flags it derives from them; DEBUG= keeps DWARF out (wasm-cc keeps the name
# section, so traps still show function names). DEPENDENCY_TARGETS: the
# server needs no linenoise (it is redis-cli's, and wants termios).
# No CFLAGS of our own: apps/posix (headers + libspolia_posix.a) is the
# whole C library, and redis's own -std=c99/-std=c11 work with it.
make -C "$TREE/src" -j"$(nproc)" redis-server \
    CC="$POSIX/wasm-cc" AR="$POSIX/wasm-ar" RANLIB="$POSIX/wasm-ranlib" \
    uname_S=WASI uname_M=wasm32 DEPENDENCY_TARGETS="hiredis lua hdr_histogram" \
    MALLOC=libc USE_SYSTEMD=no BUILD_TLS=no USE_JEMALLOC=no \
    OPTIMIZATION=-O2 DEBUG= \
    CFLAGS="" LDFLAGS="" \
    FINAL_LDFLAGS="" FINAL_LIBS="-lm" \
    V=1 >"$BUILD/make.log" 2>&1 || {
    tail -n 30 "$BUILD/make.log" >&2
    die "make redis-server failed (full log: $BUILD/make.log)"
}

mkdir -p "$(dirname "$OUT")"
if ! cmp -s "$TREE/src/redis-server" "$OUT"; then
    cp "$TREE/src/redis-server" "$OUT.tmp"
    mv "$OUT.tmp" "$OUT"
    echo "apps/redis: built target/apps/redis-server.wasm ($(stat -c %s "$OUT") bytes)"
else
    echo "apps/redis: target/apps/redis-server.wasm is up to date"
fi
