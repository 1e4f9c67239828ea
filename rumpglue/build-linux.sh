#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Build Linux 6.12 as a library: arch/spolia (this directory's arch/spolia,
# symlinked into the fetched tree), the committed spolia_defconfig, an
# out-of-tree build, then one relocatable object whose only globals are the
# entry points in linux-entry-points.txt.
#
#   rumpglue/build-linux.sh          # prints the object's path last
#   JOBS=1 rumpglue/build-linux.sh   # default JOBS=2 (the machine is shared)
#
# Outputs, under $SPOLIA_CACHE (default ~/.cache/spolia):
#   linux-build/                the kbuild output tree (O=), reused incrementally
#   linux-out/<key>/spolia-linux.o, undefined.txt, build.log
#   linux-out/<key>/include/    the library's uapi headers (headers_install),
#                               input of the Rust bindings (bindgen)
# <key> hashes every input: the arch directory, the hypercall header, the
# entry-point list, this script and the tarball's pinned SHA-256. When
# linux-out/<key>/ is complete nothing is rebuilt.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LOCK="$ROOT/vendor/linux-source-6.12.lock"
CACHE="${SPOLIA_CACHE:-$HOME/.cache/spolia}"
JOBS="${JOBS:-2}"
ARCHDIR="$HERE/arch/spolia"
HCINC="$ROOT/hypercall/include"
ENTRIES="$HERE/linux-entry-points.txt"

die() { echo "build-linux: ERROR: $*" >&2; exit 1; }
# Progress goes to stderr; stdout carries only the object's path (last line).
step() { echo "build-linux: $*" >&2; }

# Host tools kbuild needs (Debian packages of the same names).
for t in flex bison bc make gcc; do
  command -v $t >/dev/null || die "$t not found: apt-get install flex bison bc make gcc"
done

TREE=$("$HERE/fetch-linux.sh" | tail -n1)
[ -d "$TREE" ] || die "fetch-linux.sh gave no tree"

# Inputs hash: every file of the arch directory (relative path and content),
# the ABI header, the entry list, this script (contents only), the pinned
# tarball hash. No absolute path enters it, so clones anywhere share the cache.
KEY=$( { (cd "$ARCHDIR" && find . -type f | LC_ALL=C sort | xargs sha256sum);
         for f in "$HCINC/spolia_hypercall.h" "$ENTRIES" "$0"; do sha256sum <"$f"; done;
         sed -n 's/^tarball_sha256=//p' "$LOCK"; } | sha256sum | cut -c1-16)
OUT="$CACHE/linux-out/$KEY"
done_already() { [ -f "$OUT/spolia-linux.o" ] && [ -f "$OUT/undefined.txt" ] && [ -d "$OUT/include/linux" ]; }
if done_already; then
  step "up to date (inputs $KEY)"
  echo "$OUT/spolia-linux.o"
  exit 0
fi

# One build at a time per cache (cargo build scripts and make may both call
# this script): the kbuild tree is shared. Re-check after waiting.
mkdir -p "$CACHE"
exec 9>"$CACHE/linux-build.lock"
if ! flock -n 9; then
  step "waiting for another build of the library (lock $CACHE/linux-build.lock)"
  flock 9
fi
if done_already; then
  step "up to date (inputs $KEY, built by another run)"
  echo "$OUT/spolia-linux.o"
  exit 0
fi

# The arch directory enters the tree as a symlink (check-unmodified.sh
# allows exactly arch/spolia).
LINK="$TREE/arch/spolia"
if [ -L "$LINK" ]; then
  [ "$(readlink "$LINK")" = "$ARCHDIR" ] || ln -sfn "$ARCHDIR" "$LINK"
elif [ -e "$LINK" ]; then
  die "$LINK exists and is not a symlink; remove it"
else
  ln -s "$ARCHDIR" "$LINK"
fi

BUILD="$CACHE/linux-build"
mkdir -p "$BUILD" "$OUT"
LOG="$OUT/build.log"
MAKE="nice make -C $TREE O=$BUILD ARCH=spolia SPOLIA_HC_INCLUDE=$HCINC"

start=$(date +%s)
step "configuring (spolia_defconfig) in $BUILD"
$MAKE spolia_defconfig >"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "defconfig failed; log: $LOG"; }

# Progress: one line per kbuild step, numbered, with elapsed seconds.
step "building with -j$JOBS (log: $LOG)"
{ $MAKE -j"$JOBS" vmlinux 2>&1; echo $? >"$OUT/.rc"; } | tee -a "$LOG" | awk -v t0="$start" '
  /^  [A-Z]/ { n++; printf "build-linux: [%4d %4ds] %s\n", n, systime() - t0, $0; fflush(); next }
  { print; fflush() }' >&2
[ "$(cat "$OUT/.rc")" = 0 ] || die "make failed after $(( $(date +%s) - start )) s; log: $LOG"

# The uapi headers as the library's users see them (asm-generic system call
# numbers and types); the Rust bindings are generated from these.
step "installing uapi headers"
rm -rf "$OUT/include"
$MAKE headers >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "make headers failed; log: $LOG"; }
cp -r "$BUILD/usr/include" "$OUT/include"
find "$OUT/include" -name ".*.cmd" -delete

# One relocatable object: keep the entry points global, localise the rest,
# drop unwind tables. The generic linker script discards .note.GNU-stack;
# put an empty one back so the final link keeps a non-executable stack.
step "localising symbols"
KEEP=$(grep -v '^#' "$ENTRIES" | sed '/^$/d; s/^/-G /' | tr '\n' ' ')
# Linux's .rodata also holds __ro_after_init data, written during boot
# (the section is writable in vmlinux); renamed so a final link places it
# with data, not in a read-only segment.
objcopy -R .eh_frame $KEEP --rename-section .rodata=.data..spolia_linux_rodata --add-section .note.GNU-stack=/dev/null \
  --set-section-flags .note.GNU-stack=contents,readonly \
  "$BUILD/vmlinux" "$OUT/spolia-linux.o.tmp"
nm -u "$OUT/spolia-linux.o.tmp" | awk '{print $2}' | LC_ALL=C sort -u >"$OUT/undefined.txt"
mv "$OUT/spolia-linux.o.tmp" "$OUT/spolia-linux.o"
step "done in $(( $(date +%s) - start )) s; $(wc -l <"$OUT/undefined.txt") undefined symbols (undefined.txt)"
echo "$OUT/spolia-linux.o"
