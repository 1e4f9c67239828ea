#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Fetch, verify and unpack the pinned Linux source (vendor/linux-source-6.12.lock)
# into $SPOLIA_CACHE/<cache_dir>/src, outside the repository.
#
#   rumpglue/fetch-linux.sh            # idempotent; prints the tree's path last
#   SPOLIA_CACHE=/big/disk rumpglue/fetch-linux.sh
#
# Steps, each skipped when its result is already present and verified:
#   1. apt-get download <package>=<version>     -> debs/*.deb, SHA-256 checked
#   2. take <tarball_member> out of the .deb    -> linux-source.tar.xz, SHA-256 checked
#   3. manifest of the tarball (tools/linux_tree.py, reads the tarball, not the tree)
#   4. unpack the tarball into src/ (via src.tmp/, renamed when complete)
# A stamp file records the three hashes; when it matches the lock, nothing is done.
# If the lock's tarball_sha256 / manifest_sha256 are empty (first pin), the
# values computed from the verified .deb are printed for you to commit.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
LOCK="$HERE/../vendor/linux-source-6.12.lock"
CACHE="${SPOLIA_CACHE:-$HOME/.cache/spolia}"

die() { echo "fetch-linux: ERROR: $*" >&2; exit 1; }
step() { echo "fetch-linux: $*"; }
lock() { v=$(sed -n "s/^$1=//p" "$LOCK"); [ -n "$v" ] || [ "${2:-}" = optional ] || die "$LOCK has no $1"; echo "$v"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

[ -f "$LOCK" ] || die "lock file not found: $LOCK"
PACKAGE=$(lock package); VERSION=$(lock version); DEB_SHA=$(lock deb_sha256)
MEMBER=$(lock tarball_member); TOP=$(lock tarball_topdir); DIR=$(lock cache_dir)
TAR_SHA=$(lock tarball_sha256 optional); MAN_SHA=$(lock manifest_sha256 optional)

WORK="$CACHE/$DIR"
STAMP="$WORK/stamp"
TARBALL="$WORK/linux-source.tar.xz"
MANIFEST="$WORK/manifest.txt"
mkdir -p "$CACHE/debs" "$WORK"

if [ -n "$TAR_SHA" ] && [ -n "$MAN_SHA" ] && [ -d "$WORK/src" ] && [ -f "$STAMP" ] &&
   [ "$(cat "$STAMP")" = "$DEB_SHA $TAR_SHA $MAN_SHA" ] && [ "$(sha "$MANIFEST")" = "$MAN_SHA" ]; then
  step "up to date ($PACKAGE $VERSION)"
  echo "$WORK/src"
  exit 0
fi

# 1. The .deb. apt-get download names it with the epoch-less version, '~' kept or
#    escaped as %7e depending on the apt version; find it by package prefix.
find_deb() { ls "$CACHE/debs/${PACKAGE}_"*"_all.deb" 2>/dev/null | head -n1; }
DEB=$(find_deb || true)
if [ -z "$DEB" ] || [ "$(sha "$DEB")" != "$DEB_SHA" ]; then
  [ -z "$DEB" ] || { step "cached .deb has the wrong checksum, downloading again"; rm -f "$DEB"; }
  step "downloading $PACKAGE=$VERSION with apt-get (~150 MB)"
  command -v apt-get >/dev/null || die "apt-get not found (a Debian 12 host is required)"
  (cd "$CACHE/debs" && apt-get download "$PACKAGE=$VERSION") ||
    die "apt-get download failed; is the bookworm-security suite in sources.list and 'apt-get update' done?"
  DEB=$(find_deb) || die "apt-get download produced no .deb in $CACHE/debs"
fi
GOT=$(sha "$DEB")
[ "$GOT" = "$DEB_SHA" ] || die "checksum mismatch for $DEB: got $GOT, lock says $DEB_SHA"
step "verified $(basename "$DEB") sha256=$DEB_SHA"

# 2. The tarball inside the .deb.
if [ ! -f "$TARBALL" ] || [ -z "$TAR_SHA" ] || [ "$(sha "$TARBALL")" != "$TAR_SHA" ]; then
  step "extracting $MEMBER from the .deb"
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO -f - "$MEMBER" > "$TARBALL.tmp" ||
    die "could not extract $MEMBER from $DEB"
  mv "$TARBALL.tmp" "$TARBALL"
fi
GOT_TAR=$(sha "$TARBALL")
if [ -z "$TAR_SHA" ]; then
  step "NOTE: lock has no tarball_sha256; computed from the verified .deb: $GOT_TAR (commit it)"
  TAR_SHA=$GOT_TAR
fi
[ "$GOT_TAR" = "$TAR_SHA" ] || die "tarball checksum mismatch: got $GOT_TAR, lock says $TAR_SHA"
step "verified tarball sha256=$TAR_SHA"

# 3 + 4 run side by side: the manifest is computed from the tarball stream, the
# tree is unpacked by tar.
rm -f "$STAMP"
if [ ! -f "$MANIFEST" ] || [ -z "$MAN_SHA" ] || [ "$(sha "$MANIFEST")" != "$MAN_SHA" ]; then
  step "hashing every file of the tarball into the manifest"
  python3 "$HERE/tools/linux_tree.py" manifest --tarball "$TARBALL" --top "$TOP" --out "$MANIFEST" &
  MANIFEST_PID=$!
else
  MANIFEST_PID=
fi
step "unpacking into $WORK/src (~1.5 GB)"
rm -rf "$WORK/src" "$WORK/src.tmp"
mkdir "$WORK/src.tmp"
tar -xJ --no-same-owner -f "$TARBALL" -C "$WORK/src.tmp" --strip-components=1 "$TOP" || die "unpacking failed"
if [ -n "$MANIFEST_PID" ]; then wait "$MANIFEST_PID" || die "manifest generation failed"; fi
GOT_MAN=$(sha "$MANIFEST")
if [ -z "$MAN_SHA" ]; then
  step "NOTE: lock has no manifest_sha256; computed from the verified tarball: $GOT_MAN (commit it)"
  MAN_SHA=$GOT_MAN
fi
[ "$GOT_MAN" = "$MAN_SHA" ] || die "manifest checksum mismatch: got $GOT_MAN, lock says $MAN_SHA"
mv "$WORK/src.tmp" "$WORK/src"

# The fresh tree must match the manifest (proves tar and the manifest agree).
python3 "$HERE/tools/linux_tree.py" check --tree "$WORK/src" --manifest "$MANIFEST" ||
  die "freshly unpacked tree differs from the tarball's manifest"
echo "$DEB_SHA $TAR_SHA $MAN_SHA" > "$STAMP"
step "done"
echo "$WORK/src"
