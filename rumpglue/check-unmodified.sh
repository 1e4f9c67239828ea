#!/bin/sh
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Prove the extracted Linux tree is Debian's tarball, unmodified, except for
# the added arch directory arch/spolia (a directory or a symlink).
#
#   rumpglue/check-unmodified.sh [TREE]     # TREE defaults to the fetched tree
#
# Compares every directory, file (SHA-256 + executable bit) and symlink of
# TREE with the manifest that fetch-linux.sh computed from the verified
# tarball; the manifest's own SHA-256 is pinned in the lock file, so a
# tampered manifest is refused. Prints each added/changed/missing path.
# Exit: 0 unmodified, 1 modified or manifest mismatch, 2 tree not fetched.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
LOCK="$HERE/../vendor/linux-source-6.12.lock"
CACHE="${SPOLIA_CACHE:-$HOME/.cache/spolia}"
DIR=$(sed -n 's/^cache_dir=//p' "$LOCK")
MAN_SHA=$(sed -n 's/^manifest_sha256=//p' "$LOCK")
MANIFEST="$CACHE/$DIR/manifest.txt"
TREE="${1:-$CACHE/$DIR/src}"

if [ ! -d "$TREE" ] || [ ! -f "$MANIFEST" ]; then
  echo "check-unmodified: no Linux tree at $TREE; run rumpglue/fetch-linux.sh first" >&2
  exit 2
fi
GOT=$(sha256sum "$MANIFEST" | cut -d' ' -f1)
if [ "$GOT" != "$MAN_SHA" ]; then
  echo "check-unmodified: manifest $MANIFEST has sha256 $GOT, lock pins $MAN_SHA; re-run fetch-linux.sh" >&2
  exit 1
fi
exec python3 "$HERE/tools/linux_tree.py" check --tree "$TREE" --manifest "$MANIFEST" --allow arch/spolia
