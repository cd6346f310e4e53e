"""Deletes stale generations of the workspace's own build artifacts from a cargo target dir.

Every change to a workspace crate gives its artifacts a new hash; cargo never deletes the old
ones. With ~40 test and function binaries of ~40-120 MB each, a target dir shared by many runs
(STREAMIA_HOME/target, reused by every fresh clone) grows by gigabytes per commit until the disk
is full, and then a build fails half way ("No space left on device").

  prune_target.py TARGET_DIR MARKER WORKSPACE_TARGET_NAME...

For each profile directory (debug, release, fast, ...) and each workspace target name, if this
run wrote artifacts of that name (newer than MARKER, a file touched when the run started), the
ones not written by this run are deleted: they belong to an older generation. Names this run did
not rebuild (nothing changed) keep theirs. Dependencies' artifacts are left alone (they do not
change between commits). The incremental directories of the workspace's crates are pruned the
same way. Prints what it freed.
"""

import os
import re
import shutil
import sys

# `<name>-<16 hex>` then an optional extension: users_login-0123456789abcdef,
# libstreamia_users-0123456789abcdef.rlib, users_login-0123456789abcdef.d
ARTIFACT = re.compile(r"^(?:lib)?(?P<name>.+?)-[0-9a-f]{16}(?:\..*)?$")
# incremental/<name>-<13 base-36 characters>/
INCREMENTAL = re.compile(r"^(?P<name>.+?)-[0-9a-z]{13}$")


def size_of(path):
    if os.path.isdir(path) and not os.path.islink(path):
        return sum(
            os.path.getsize(os.path.join(root, f))
            for root, _, files in os.walk(path)
            for f in files
            if not os.path.islink(os.path.join(root, f))
        )
    return os.path.getsize(path)


def prune(directory, pattern, names, since):
    """Deletes the older generations in one directory; returns the bytes freed."""
    if not os.path.isdir(directory):
        return 0
    groups = {}
    for entry in os.scandir(directory):
        m = pattern.match(entry.name)
        if m and m.group("name") in names:
            groups.setdefault(m.group("name"), []).append(entry)
    freed = 0
    for entries in groups.values():
        fresh = [e for e in entries if e.stat(follow_symlinks=False).st_mtime >= since]
        if not fresh:
            continue  # not rebuilt by this run: its artifacts are current
        for e in entries:
            if e.stat(follow_symlinks=False).st_mtime < since:
                freed += size_of(e.path)
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.remove(e.path)
    return freed


def main():
    target, marker, *names = sys.argv[1:]
    since = os.stat(marker).st_mtime
    names = {n.replace("-", "_") for n in names}
    freed = 0
    for profile in os.scandir(target):
        if not profile.is_dir():
            continue
        for sub, pattern in (("deps", ARTIFACT), ("incremental", INCREMENTAL)):
            freed += prune(os.path.join(profile.path, sub), pattern, names, since)
    print(f"pruned {freed / 1e9:.1f} GB of older builds from {target}")


if __name__ == "__main__":
    main()
