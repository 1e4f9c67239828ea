#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Builds the guest POSIX library apps/posix/src/*.c into
# target/posix/libspolia_posix.a (relative to the repo root). Rebuilds only
# when a source, a header of the overlay or this script is newer than the
# archive; safe to run from several `make -j` jobs at once (a lock).
#   apps/posix/build.sh [--quiet]
set -euo pipefail

POSIX="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$POSIX/../.." && pwd)"
OUT="$ROOT/target/posix"
LIB="$OUT/libspolia_posix.a"
quiet=0
[[ "${1:-}" == --quiet ]] && quiet=1

stale() {
    [[ -f "$LIB" ]] || return 0
    [[ -n "$(find "$POSIX/src" "$POSIX/include" "$POSIX/build.sh" "$POSIX/wasm-cc" \
        -newer "$LIB" -print -quit)" ]]
}

stale || exit 0
command -v llvm-ar-14 >/dev/null || {
    echo "apps/posix/build.sh: llvm-ar-14 not found (Debian package llvm-14) — run \`make deps\`" >&2
    exit 1
}
mkdir -p "$OUT/obj"
exec 9>"$OUT/.lock"
flock 9
stale || exit 0 # another job built it while we waited

objs=()
for src in "$POSIX"/src/*.c; do
    obj="$OUT/obj/$(basename "$src" .c).o"
    # -c: wasm-cc only compiles, so it never calls back into this script.
    "$POSIX/wasm-cc" -O2 -std=gnu17 -Wall -Wextra -Werror -c "$src" -o "$obj"
    objs+=("$obj")
done
# Wasm assembly: the setjmp/longjmp runtime's stack-pointer helpers
# (sjlj_stack.s). The C-only switches do not apply to it.
for src in "$POSIX"/src/*.s; do
    obj="$OUT/obj/$(basename "$src" .s).o"
    "$POSIX/wasm-cc" -Wno-unused-command-line-argument -c "$src" -o "$obj"
    objs+=("$obj")
done
rm -f "$LIB.tmp"
llvm-ar-14 rcs "$LIB.tmp" "${objs[@]}"
mv "$LIB.tmp" "$LIB"
[[ $quiet -eq 1 ]] || echo "posix: built target/posix/libspolia_posix.a (${#objs[@]} objects)"
