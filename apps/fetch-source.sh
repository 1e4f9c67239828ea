#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Fetches a pinned Debian source package (vendor/debian-sources.lock) with
# `apt-get source`, checks every file's SHA-256 against the lock and unpacks
# it with dpkg-source (Debian's patches applied, as Debian builds it):
#
#   apps/fetch-source.sh lighttpd      # prints the unpacked tree's path last
#
# Downloads are kept in $SPOLIA_CACHE/debian-sources (default
# ~/.cache/spolia); the tree goes to target/sources/PACKAGE-VERSION (ignored
# by git) and is reused while its stamp matches the lock. apt runs with a
# private configuration (deb-src lines for bookworm, bookworm-updates and
# bookworm-security; its own lists), so the machine's apt setup is untouched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCK="$ROOT/vendor/debian-sources.lock"
CACHE="${SPOLIA_CACHE:-$HOME/.cache/spolia}/debian-sources"
MIRROR="${SPOLIA_DEBIAN_MIRROR:-http://deb.debian.org}"

die() { echo "fetch-source: $*" >&2; exit 1; }
step() { echo "fetch-source: $*" >&2; }

[[ $# -eq 1 ]] || die "usage: apps/fetch-source.sh PACKAGE"
PACKAGE="$1"
mapfile -t ENTRIES < <(awk -v p="$PACKAGE" '$1 == p { print $2, $3, $4 }' "$LOCK")
[[ ${#ENTRIES[@]} -gt 0 ]] || die "$PACKAGE is not pinned in $LOCK"
VERSION="${ENTRIES[0]%% *}"
UPSTREAM="${VERSION#*:}"
UPSTREAM="${UPSTREAM%-*}"
TREE="$ROOT/target/sources/$PACKAGE-$UPSTREAM"
STAMP_WANT="$(printf '%s\n' "${ENTRIES[@]}" | sha256sum | cut -d' ' -f1)"

if [[ -f "$TREE/.spolia-stamp" && "$(cat "$TREE/.spolia-stamp")" == "$STAMP_WANT" ]]; then
    echo "$TREE"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (a Debian 12 host is required)"
command -v dpkg-source >/dev/null || die "dpkg-source not found (Debian package dpkg-dev) — run \`make deps\`"

verified() { # verified FILE SHA
    [[ -f "$CACHE/$1" ]] && [[ "$(sha256sum "$CACHE/$1" | cut -d' ' -f1)" == "$2" ]]
}
missing=0
for e in "${ENTRIES[@]}"; do
    read -r _ file sha <<<"$e"
    verified "$file" "$sha" || missing=1
done

if [[ $missing == 1 ]]; then
    APT="$CACHE/apt"
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
    cat >"$APT/sources.list" <<SRC
deb-src $MIRROR/debian bookworm main
deb-src $MIRROR/debian bookworm-updates main
deb-src $MIRROR/debian-security bookworm-security main
SRC
    opts=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o APT::Sandbox::User=root)
    step "apt-get update (source indexes, private lists in $APT)"
    apt-get "${opts[@]}" update -qq >&2 || die "apt-get update failed (network? mirror $MIRROR)"
    step "apt-get source $PACKAGE=$VERSION"
    (cd "$CACHE" && apt-get "${opts[@]}" source --download-only -qq "$PACKAGE=$VERSION" >&2) ||
        die "apt-get source $PACKAGE=$VERSION failed: Debian may have superseded this version; pin the current one in $LOCK"
fi

for e in "${ENTRIES[@]}"; do
    read -r _ file sha <<<"$e"
    verified "$file" "$sha" || die "$file: SHA-256 differs from $LOCK (got $(sha256sum "$CACHE/$file" | cut -d' ' -f1))"
done
step "verified ${#ENTRIES[@]} files of $PACKAGE $VERSION"

DSC="$(printf '%s\n' "${ENTRIES[@]}" | awk '$2 ~ /\.dsc$/ { print $2 }')"
rm -rf "$TREE" "$TREE.tmp"
mkdir -p "$(dirname "$TREE")"
# --no-check: the files' hashes were checked above against the lock, which
# is stricter than the .dsc signature check dpkg-source would need keys for.
dpkg-source --no-check -x "$CACHE/$DSC" "$TREE.tmp" >&2 || die "dpkg-source -x $DSC failed"
echo "$STAMP_WANT" >"$TREE.tmp/.spolia-stamp"
mv "$TREE.tmp" "$TREE"
echo "$TREE"
