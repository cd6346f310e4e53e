"""Deletes stale generations of the workspace's own build artifacts from a cargo target dir.

Every change to a workspace crate gives its artifacts a new hash; cargo never deletes the old
ones. With ~40 test and function binaries of ~40-120 MB each, a target dir shared by many runs
(STREAMIA_HOME/target, reused by every fresh clone) grows by gigabytes per commit until the disk
is full, and then a build fails half way ("No space left on device").

  prune_target.py TARGET_DIR MARKER WORKSPACE_TARGET_NAME...

An artifact's file name hashes the package id (for a path package: the checkout's path), its
features, profile and toolchain, not its source: an edit rebuilds in place, but every fresh clone
at a new path (CI) writes a whole new generation beside the old ones.

For each profile directory (debug, release, fast, ...) and each workspace target name, if this
run wrote artifacts of that name (newer than MARKER, a file touched when the run started), the
ones not written by this run and untouched for an hour are deleted: they belong to an older
generation (the hour spares a build another checkout sharing the directory has just made).
Names this run did not rebuild keep theirs. Dependencies' artifacts are left alone (they do not
change between commits). The incremental directories of the workspace's crates are pruned the
same way. A profile directory whose cargo lock is held (a build running) is skipped. Prints what
it freed; never fails the caller.
"""

import fcntl
import os
import re
import shutil
import sys
import time

# Older generations are deleted only once they have been untouched this long.
MIN_AGE_SECONDS = 3600

# `<name>-<16 hex>` then an optional extension: users_login-0123456789abcdef,
# libstreamia_users-0123456789abcdef.rlib, users_login-0123456789abcdef.d
ARTIFACT = re.compile(r"^(?:lib)?(?P<name>.+?)-[0-9a-f]{16}(?:\..*)?$")
# incremental/<name>-<the crate id in base 36, unpadded: up to 13 characters>/
INCREMENTAL = re.compile(r"^(?P<name>.+?)-[0-9a-z]{1,13}$")


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
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue
            groups.setdefault(m.group("name"), []).append((entry, mtime))
    freed = 0
    old_enough = time.time() - MIN_AGE_SECONDS
    for entries in groups.values():
        if not any(mtime >= since for _, mtime in entries):
            continue  # not rebuilt by this run: its artifacts are current
        for entry, mtime in entries:
            if mtime >= since or mtime > old_enough:
                continue
            try:
                size = size_of(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.remove(entry.path)
                freed += size
            except FileNotFoundError:
                pass  # gone already
    return freed


def locked(profile_dir):
    """The profile directory's cargo build lock, taken without waiting; None if a build holds it."""
    path = os.path.join(profile_dir, ".cargo-lock")
    if not os.path.exists(path):
        return None
    handle = open(path, "rb")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def main():
    target, marker, *names = sys.argv[1:]
    since = os.stat(marker).st_mtime
    names = {n.replace("-", "_") for n in names}
    freed = 0
    skipped = []
    for profile in os.scandir(target):
        if not profile.is_dir():
            continue
        lock = locked(profile.path)
        if lock is None:
            skipped.append(profile.name)
            continue
        with lock:
            for sub, pattern in (("deps", ARTIFACT), ("incremental", INCREMENTAL)):
                freed += prune(os.path.join(profile.path, sub), pattern, names, since)
    busy = f" (skipped, a build holds their lock: {', '.join(skipped)})" if skipped else ""
    print(f"pruned {freed / 1e9:.1f} GB of older builds from {target}{busy}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # never fail the build that called it
        print(f"prune_target: skipped ({e})")
