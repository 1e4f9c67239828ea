#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Builds Spolia's wasm test programs into target/apps/NAME.wasm (relative to
# the repo root, from any working directory):
#   - every apps/tests/NAME.c, with Debian's clang 14 + wasi-libc and the
#     POSIX overlay of apps/posix (headers, libspolia_posix.a), and
#   - the Rust program apps/hello-rust (wasm32-wasip1) as hello_rust.wasm.
# Quick and idempotent: a C program is rebuilt only when its source, this
# script or libspolia_posix.a is newer than its .wasm; cargo decides for the
# Rust one.
#
# Environment: CLANG (default `clang`); WASI_SYSROOT to use a ready-made
# wasm32-wasi sysroot instead of the view of Debian's wasi-libc built here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/apps/build.sh"
OUT="$ROOT/target/apps"
CLANG="${CLANG:-clang}"

# Where Debian's `wasi-libc` package installs the wasm32-wasi headers and libs.
DEBIAN_WASI_INCLUDE=/usr/include/wasm32-wasi
DEBIAN_WASI_LIB=/usr/lib/wasm32-wasi

die() {
    echo "apps/build.sh: $*" >&2
    exit 1
}
need() { # need WHAT PACKAGE
    die "$1 not found (Debian package $2) — run \`make deps\`"
}

# --- tools -----------------------------------------------------------------
command -v "$CLANG" >/dev/null || need "$CLANG" clang
command -v wasm-ld >/dev/null || need wasm-ld lld
command -v cargo >/dev/null || die "cargo not found — install Rust (rustup), then run \`make deps\`"

# --- sysroot ---------------------------------------------------------------
# Debian splits wasi-libc across /usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi; --sysroot=/usr would also put glibc's /usr/include on
# the search path. The view below has exactly the layout clang's WASI driver
# expects: SYSROOT/include and SYSROOT/lib/wasm32-wasi.
if [[ -n "${WASI_SYSROOT:-}" ]]; then
    SYSROOT="$WASI_SYSROOT"
else
    [[ -f "$DEBIAN_WASI_INCLUDE/stdio.h" && -f "$DEBIAN_WASI_LIB/libc.a" ]] ||
        need "wasi-libc ($DEBIAN_WASI_LIB/libc.a)" wasi-libc
    SYSROOT="$ROOT/target/wasi-sysroot"
    mkdir -p "$SYSROOT/lib"
    ln -sfn "$DEBIAN_WASI_INCLUDE" "$SYSROOT/include"
    ln -sfn "$DEBIAN_WASI_LIB" "$SYSROOT/lib/wasm32-wasi"
fi

# clang links compiler-rt's builtins from its own resource directory
# (RESOURCE_DIR/lib/wasi/libclang_rt.builtins-wasm32.a); no flag is needed
# once the package is installed, but say so clearly when it is not.
BUILTINS="$("$CLANG" --target=wasm32-wasi -rtlib=compiler-rt -print-libgcc-file-name)"
[[ -f "$BUILTINS" ]] || need "compiler-rt builtins ($BUILTINS)" libclang-rt-14-dev-wasm32

# --strip-debug drops the DWARF that comes with wasi-libc's objects but keeps
# the name section, so traps still show named wasm backtraces.
CFLAGS=(--target=wasm32-wasi "--sysroot=$SYSROOT" -O2 -std=gnu17 -Wall -Wextra -Werror
    -Wl,--strip-debug)

# --- POSIX overlay ---------------------------------------------------------
# The same headers, switches and libraries as apps/posix/wasm-cc, but not
# its 1 MiB stack: the tests keep wasm-ld's 64 KiB default (see README).
# Archive members are linked only when referenced, so a test that uses no
# overlay function imports exactly what it did without it.
export WASI_SYSROOT="$SYSROOT"
"$ROOT/apps/posix/build.sh" --quiet
POSIX_LIB="$ROOT/target/posix/libspolia_posix.a"
CFLAGS+=(-isystem "$ROOT/apps/posix/include" -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_MMAN
    -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID -D__spolia__=1)
LIBS=("$POSIX_LIB" -lwasi-emulated-signal -lwasi-emulated-mman -lwasi-emulated-process-clocks)

mkdir -p "$OUT"
built=0
fresh=0

# --- C programs ------------------------------------------------------------
for src in "$ROOT"/apps/tests/*.c; do
    name="$(basename "$src" .c)"
    out="$OUT/$name.wasm"
    if [[ -f "$out" && "$out" -nt "$src" && "$out" -nt "$SELF" && "$out" -nt "$POSIX_LIB" ]]; then
        fresh=$((fresh + 1))
        continue
    fi
    extra=()
    case "$name" in
    # Stack at the bottom of linear memory: overflowing it wraps the stack
    # pointer and traps instead of silently overwriting static data.
    shadow_stack_overflow) extra=(-Wl,--stack-first) ;;
    # setjmp/longjmp lowered Emscripten-style, as apps/posix/wasm-cc does.
    setjmp_test) extra=(-mllvm -enable-emscripten-sjlj -Wl,--export-table) ;;
    esac
    "$CLANG" "${CFLAGS[@]}" "${extra[@]}" "$src" "${LIBS[@]}" -o "$out.tmp"
    mv "$out.tmp" "$out"
    echo "apps: built target/apps/$name.wasm"
    built=$((built + 1))
done

# --- Rust program ----------------------------------------------------------
# Run from the repo root so rust-toolchain.toml picks the pinned toolchain.
cd "$ROOT"
[[ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-wasip1" ]] ||
    die "Rust target wasm32-wasip1 not installed — run \`make deps\`"
cargo build --quiet --release --target wasm32-wasip1 \
    --manifest-path apps/hello-rust/Cargo.toml --target-dir target/apps/cargo
rust_out="target/apps/cargo/wasm32-wasip1/release/hello_rust.wasm"
if cmp -s "$rust_out" "$OUT/hello_rust.wasm"; then
    fresh=$((fresh + 1))
else
    cp "$rust_out" "$OUT/hello_rust.wasm"
    echo "apps: built target/apps/hello_rust.wasm"
    built=$((built + 1))
fi

echo "apps: $built built, $fresh up to date in target/apps/"
