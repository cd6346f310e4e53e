#!/usr/bin/env bash
# Checks that `sam build`, exactly as the README writes it (no --beta-features, no terminal),
# accepts the template's rust-cargolambda functions and hands each to cargo-lambda the way the
# deploy needs (release, the template's Architecture, the function's binary). A stub stands in
# for cargo so nothing is compiled; the real build is the release build CI does not run
# (infra/local/sam-build-real.sh).
# Each ARCHITECTURE (default: both) is checked on its own:
#   arm64    `sam build` as written (the parameter's default): cargo lambda build --release --arm64
#   x86_64   `sam build --parameter-overrides Architecture=x86_64`: cargo lambda build --release,
#            no architecture flag (SAM passes none for x86_64; cargo-lambda's default target is
#            x86_64-unknown-linux-gnu, which sam-build-real.sh sees in the built bootstrap)
# Usage: check-sam-build.sh SAM_BINARY [FUNCTION_ID BINARY [ARCHITECTURE...]]
set -euo pipefail
sam=$1 function=${2:-AuthorizerFunction} binary=${3:-authorizer}
shift $(($# < 3 ? $# : 3))
[ $# -gt 0 ] || set -- arm64 x86_64
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/streamia-sam-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cat >"$work/bin/cargo" <<STUB
#!/bin/sh
echo "cargo \$*" >>"$work/calls"
case "\$1 \$2" in
  "lambda build") exit 3 ;;  # recorded; nothing to build here
esac
exit 0
STUB
chmod +x "$work/bin/cargo"
cp "$work/bin/cargo" "$work/bin/cargo-lambda"
for architecture in "$@"; do
  overrides=()
  case "$architecture" in
    arm64) expected="cargo lambda build --release --arm64 --bin $binary" ;;
    x86_64)
      expected="cargo lambda build --release --bin $binary"
      overrides=(--parameter-overrides Architecture=x86_64)
      ;;
    *) echo "unknown architecture $architecture (arm64 or x86_64)" >&2; exit 2 ;;
  esac
  rm -f "$work/calls"
  out=$(cd "$REPO_ROOT" || exit; PATH="$work/bin:$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 \
    "$sam" build "$function" --template template.yaml --build-dir "$work/build" "${overrides[@]}" \
    </dev/null 2>&1 || true)
  if grep -qi "beta feature" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "sam build asks for --beta-features: update the README's deploy commands" >&2
    exit 1
  fi
  if ! grep -qxF "$expected" "$work/calls" 2>/dev/null; then
    printf '%s\n' "$out" >&2
    echo "sam build ($architecture) did not run: $expected" >&2
    [ ! -s "$work/calls" ] || { echo "it ran:" >&2; cat "$work/calls" >&2; }
    exit 1
  fi
done
