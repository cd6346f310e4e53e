#!/usr/bin/env bash
# Build times of the workspace's own crates, per Cargo profile: what a developer waits for
# after a change, as the number of functions grows. For each profile (default: release fast):
#   clean        every workspace package rebuilt, dependencies already built
#                (cargo clean -p <each workspace package>, then the build)
#   one binary   one function's src/bin/<name>.rs touched, then the build
#   its lib      that function's service library touched (every binary of the service relinks)
# Every build is `cargo build --profile P --workspace --bins --locked` under `nice`; the
# untimed first build of each profile (the libraries only) brings its dependencies up to date
# (minutes the first time). Each figure is wall-clock/CPU seconds: the wall clock is what one waits on this machine
# under its current load (printed), the CPU time (every compiler process's user + system) what
# the build costs, far less sensitive to other processes sharing the cores. Compare runs on one
# machine.
# Usage: build-times.sh [PROFILE...]   Touches source files' mtimes (no content changes).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
source infra/local/lib.sh

BIN=${BUILD_TIMES_BIN:-functions/users/src/bin/users-health.rs}
LIB=${BUILD_TIMES_LIB:-functions/users/src/lib.rs}
[ $# -gt 0 ] || set -- release fast

log_file=$(mktemp "${TMPDIR:-/tmp}/build-times.XXXXXX")
trap 'rm -f "$log_file"' EXIT
exec 3>&2 # errors reach the terminal even from inside a measurement
build() {
  nice cargo build --profile "$1" --workspace "${2:---bins}" --locked >>"$log_file" 2>&1 ||
    { tail -n 30 "$log_file" >&3; die "cargo build --profile $1 failed" 2>&3; }
}
# measure PROFILE: builds it; prints "<wall seconds>/<CPU seconds>" (user + system of every
# compiler process: what the build costs whatever else runs, unlike the wall clock).
measure() {
  local TIMEFORMAT='%R %U %S' report
  report=$({ time build "$1"; } 2>&1)
  awk '{printf "%.0f/%.0f", $1, $2 + $3}' <<<"$report"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

packages=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"]))')

for profile in "$@"; do
  log "build times, profile $profile: dependencies first (untimed), load average $(load)"
  # The libraries only: every dependency of every binary (the one bin-only package,
  # preflight, needs nothing the libraries do not), without linking the binaries, whose
  # release links (fat LTO, one per binary) are most of a clean build and are redone below.
  build "$profile" --lib
  # shellcheck disable=SC2086 # one -p per package
  cargo clean --profile "$profile" $packages --quiet
  clean=$(measure "$profile")
  touch "$BIN"
  one_bin=$(measure "$profile")
  touch "$LIB"
  its_lib=$(measure "$profile")
  printf '%-8s clean %9s s   one binary (%s) %9s s   its lib (%s) %9s s   [wall/CPU; load average after: %s]\n' \
    "$profile" "$clean" "$(basename "$BIN" .rs)" "$one_bin" "$LIB" "$its_lib" "$(load)"
done
