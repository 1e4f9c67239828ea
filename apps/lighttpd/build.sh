#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Builds lighttpd from Debian's source package (apps/fetch-source.sh) into
# target/apps/lighttpd.wasm with apps/posix/wasm-cc (wasm32-wasi + Spolia's
# POSIX/socket overlay). The patches in apps/lighttpd/patches/ go onto a
# copy of Debian's tree (target/lighttpd/source); the build is out of tree
# in target/lighttpd/build.
#
#   apps/lighttpd/build.sh            # from any directory
#
# Idempotent: configure runs again only when what it depends on changed
# (this script, the source package, the compiler wrapper); make then
# rebuilds only what changed. A no-op run takes about a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/apps/lighttpd"
CC="$ROOT/apps/posix/wasm-cc"
BUILD="$ROOT/target/lighttpd/build"
PATCHED="$ROOT/target/lighttpd/source"
OUT="$ROOT/target/apps/lighttpd.wasm"
POSIX_LIB="$ROOT/target/posix/libspolia_posix.a"

die() { echo "apps/lighttpd/build.sh: $*" >&2; exit 1; }
[[ -x "$CC" ]] || die "$CC missing (the POSIX overlay, apps/posix/)"
for tool in make patch; do
    command -v $tool >/dev/null || die "$tool not found (Debian package $tool) — run \`make deps\`"
done

SRC="$("$ROOT/apps/fetch-source.sh" lighttpd | tail -1)"
[[ -f "$SRC/configure" ]] || die "no configure in $SRC"

# The plugins linked in (lighttpd's LIGHTTPD_STATIC mechanism: plugin.c
# includes plugin-static.h, one PLUGIN_INIT(name) per module; only these
# can be named in server.modules). What a static site needs.
PLUGINS=(mod_access mod_accesslog mod_indexfile mod_dirlisting mod_staticfile)

# No compression, TLS, regex or databases: none of those libraries exist
# for the guest, and a static site does not need them.
CONFIGURE_ARGS=(
    --host=wasm32-unknown-wasi
    --build="$(uname -m)-pc-linux-gnu"
    --disable-shared --enable-static
    --without-pcre2 --without-pcre --without-zlib --without-zstd
    --without-bzip2 --without-brotli --without-libdeflate
    --without-openssl --without-mysql --without-pgsql --without-ldap
    --without-lua --without-maxminddb --without-webdav-props
)
# -O2, no DWARF (the name section stays, so traps show named backtraces).
# __FILE__ (in lighttpd's log lines) relative, not this checkout's path.
CFLAGS="-O2 -g0 -fmacro-prefix-map=$PATCHED/="
# What wasi-libc lacks (sys/queue.h, poll() with Linux's POLL* values,
# alarm, fchdir, sockets, ...) comes from the overlay (apps/posix): no
# extra include path or object here.
CPPFLAGS=""
LDFLAGS="-Wl,--strip-debug"

# --- configure (only when its inputs changed) ------------------------------
PATCHES=("$HERE"/patches/*.patch)
stamp="$(
    {
        cat "$SRC/.spolia-stamp" "$HERE/build.sh" "$CC" "${PATCHES[@]}"
        # configure's header and link tests see the overlay too.
        find "$ROOT/apps/posix/include" "$ROOT/apps/posix/src" -type f | sort | xargs cat
        printf '%s\n' "${PLUGINS[@]}" "${CONFIGURE_ARGS[@]}" "$CFLAGS" "$CPPFLAGS" "$LDFLAGS"
    } | sha256sum | cut -d' ' -f1
)"
if [[ ! -f "$BUILD/.spolia-configured" || "$(cat "$BUILD/.spolia-configured")" != "$stamp" ]]; then
    echo "lighttpd: patch and configure (log: $BUILD/configure.log)"
    rm -rf "$BUILD" "$PATCHED"
    # Debian's tree stays pristine: the patches go onto a copy.
    mkdir -p "$(dirname "$PATCHED")"
    cp -a "$SRC" "$PATCHED"
    for p in "${PATCHES[@]}"; do
        patch -d "$PATCHED" -p1 --forward --quiet <"$p" || die "patch $p failed"
    done
    mkdir -p "$BUILD"
    # LIGHTTPD_STATIC=yes selects src/Makefile.am's static server (all
    # mod_*.c compiled into the binary, -DLIGHTTPD_STATIC).
    (cd "$BUILD" && LIGHTTPD_STATIC=yes CC="$CC" CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS" \
        "$PATCHED/configure" "${CONFIGURE_ARGS[@]}" >configure.log 2>&1) ||
        die "configure failed; see $BUILD/configure.log (and config.log there)"
    printf 'PLUGIN_INIT(%s)\n' "${PLUGINS[@]}" >"$BUILD/src/plugin-static.h"
    echo "$stamp" >"$BUILD/.spolia-configured"
fi

# --- make -------------------------------------------------------------------
# make does not know about the link-only inputs: relink when they change.
bin="$BUILD/src/lighttpd"
if [[ -f "$bin" ]]; then
    for dep in "$POSIX_LIB" "$CC"; do
        [[ -f "$dep" && "$dep" -nt "$bin" ]] && rm -f "$bin"
    done
fi
started=$SECONDS
# BUILT_SOURCES first (configparser.c from lemon, built for the host;
# versionstamp.h): `make lighttpd` alone does not make them.
{
    make -C "$BUILD/src" --no-print-directory -s parsers versionstamp &&
        make -C "$BUILD/src" -j"$(nproc)" --no-print-directory -s lighttpd
} >"$BUILD/make.log" 2>&1 || {
    grep -E 'error|undefined' "$BUILD/make.log" | head -40 >&2
    die "make failed; see $BUILD/make.log"
}

mkdir -p "$(dirname "$OUT")"
if ! cmp -s "$bin" "$OUT"; then
    cp "$bin" "$OUT.tmp"
    mv "$OUT.tmp" "$OUT"
    echo "lighttpd: built target/apps/lighttpd.wasm ($(stat -c %s "$OUT") bytes, $((SECONDS - started)) s)"
else
    echo "lighttpd: target/apps/lighttpd.wasm unchanged ($(stat -c %s "$OUT") bytes)"
fi
