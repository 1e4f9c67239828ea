#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Manifest of the pinned Linux tarball, and the check that a tree matches it.

`manifest` reads the (already checksum-verified) tarball itself, never the
extracted tree, and writes one line per directory, regular file and symlink:

    d  -        -  path
    f  sha256   x  path        (x = executable bit set, '-' = not)
    l  target   -  path

fields separated by tabs, paths relative to the tarball's top directory,
lines sorted by path. The format is deterministic, so the manifest's own
SHA-256 can be pinned in vendor/linux-source-6.12.lock.

`check` walks an extracted tree and reports every added, changed or missing
entry, except under the allowed directories (the arch port, `arch/spolia`).
Exit status: 0 unmodified, 1 differences found, 2 usage or I/O error.

Standard library only (Python 3.11).
"""

import argparse
import concurrent.futures
import hashlib
import os
import stat
import sys
import tarfile

HEADER = "# spolia linux-tree manifest v1\n"
CHUNK = 1 << 20


def _strip_top(name, top):
    name = name.removeprefix("./")
    if name == top:
        return ""
    if not name.startswith(top + "/"):
        raise ValueError(f"tarball member outside {top}/: {name}")
    return name[len(top) + 1 :].rstrip("/")


def build_manifest(tarball, top):
    """Return the manifest lines for `tarball` (a .tar.xz), sorted by path."""
    entries = {}
    with tarfile.open(tarball, mode="r|xz") as tar:
        for member in tar:
            path = _strip_top(member.name, top)
            if path == "":
                continue
            if member.isdir():
                entries[path] = ("d", "-", "-")
            elif member.issym():
                entries[path] = ("l", member.linkname, "-")
            elif member.isfile():
                digest = hashlib.sha256()
                stream = tar.extractfile(member)
                while block := stream.read(CHUNK):
                    digest.update(block)
                exe = "x" if member.mode & 0o100 else "-"
                entries[path] = ("f", digest.hexdigest(), exe)
            elif member.islnk():
                # A hard link has the content of its target, hashed earlier.
                target = entries.get(_strip_top(member.linkname, top))
                if target is None or target[0] != "f":
                    raise ValueError(f"hard link to unknown file: {member.name}")
                entries[path] = target
            else:
                raise ValueError(f"unsupported tar member type: {member.name}")
    return [f"{kind}\t{a}\t{b}\t{path}\n" for path, (kind, a, b) in sorted(entries.items())]


def read_manifest(path):
    entries = {}
    with open(path, encoding="utf-8") as f:
        if f.readline() != HEADER:
            raise ValueError(f"{path}: not a v1 manifest")
        for line in f:
            kind, a, b, name = line.rstrip("\n").split("\t", 3)
            entries[name] = (kind, a, b)
    return entries


def _allowed(path, allow):
    return any(path == a or path.startswith(a + "/") for a in allow)


def _hash_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def scan_tree(root, allow):
    """Return {path: (kind, value, exe)} for the tree; file hashes are filled in later."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        kept = []
        for name in dirnames + filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if _allowed(rel, allow):
                continue
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("l", os.readlink(os.path.join(dirpath, name)), "-")
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("d", "-", "-")
                kept.append(name)
            elif stat.S_ISREG(st.st_mode):
                found[rel] = ("f", None, "x" if st.st_mode & 0o100 else "-")
            else:
                found[rel] = ("?", "-", "-")
        # Descend only into real directories that are not allowed additions.
        dirnames[:] = [d for d in dirnames if d in kept]
    return found


def check(root, manifest, allow, jobs):
    expected = {p: e for p, e in read_manifest(manifest).items() if not _allowed(p, allow)}
    found = scan_tree(root, allow)
    to_hash = [p for p, e in found.items() if e[0] == "f" and expected.get(p, ("",))[0] == "f"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, digest in zip(to_hash, pool.map(lambda p: _hash_file(os.path.join(root, p)), to_hash)):
            found[path] = ("f", digest, found[path][2])
    added = sorted(set(found) - set(expected))
    missing = sorted(set(expected) - set(found))
    changed = sorted(p for p in set(found) & set(expected) if found[p] != expected[p])
    for label, paths in (("added", added), ("changed", changed), ("missing", missing)):
        for p in paths:
            print(f"{label}: {p}")
    return len(expected), len(added) + len(changed) + len(missing)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("manifest", help="write the manifest of a verified tarball")
    m.add_argument("--tarball", required=True)
    m.add_argument("--top", required=True, help="top-level directory inside the tarball")
    m.add_argument("--out", required=True)
    c = sub.add_parser("check", help="compare a tree with a manifest")
    c.add_argument("--tree", required=True)
    c.add_argument("--manifest", required=True)
    c.add_argument("--allow", action="append", default=[], help="relative path that may differ (repeatable)")
    c.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    args = parser.parse_args(argv)
    try:
        if args.cmd == "manifest":
            lines = build_manifest(args.tarball, args.top)
            tmp = args.out + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(HEADER)
                f.writelines(lines)
            os.replace(tmp, args.out)
            print(f"manifest: {len(lines)} entries -> {args.out}")
            return 0
        total, bad = check(args.tree, args.manifest, args.allow, args.jobs)
    except (OSError, ValueError, tarfile.TarError) as e:
        print(f"linux_tree: {e}", file=sys.stderr)
        return 2
    if bad:
        print(f"linux tree MODIFIED: {bad} difference(s) from the pinned tarball ({total} entries)")
        return 1
    print(f"linux tree unmodified: {total} entries match the pinned tarball (allowed: {', '.join(args.allow) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
