#!/usr/bin/env bash
# Checks that `sam build`, exactly as the README writes it (no --beta-features, no terminal),
# accepts the template's rust-cargolambda functions and hands each to cargo-lambda the way the
# deploy needs (release, arm64, the function's binary). A stub stands in for cargo so nothing
# is compiled; the real build is the release build CI does not run.
# Usage: check-sam-build.sh SAM_BINARY [FUNCTION_ID BINARY]
set -euo pipefail
sam=$1 function=${2:-AuthorizerFunction} binary=${3:-authorizer}
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
out=$(cd "$REPO_ROOT" && PATH="$work/bin:$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 \
  "$sam" build "$function" --template template.yaml --build-dir "$work/build" </dev/null 2>&1 || true)
if grep -qi "beta feature" <<<"$out"; then
  printf '%s\n' "$out" >&2
  echo "sam build asks for --beta-features: update the README's deploy commands" >&2
  exit 1
fi
expected="cargo lambda build --release --arm64 --bin $binary"
if ! grep -qxF "$expected" "$work/calls" 2>/dev/null; then
  printf '%s\n' "$out" >&2
  echo "sam build did not run: $expected" >&2
  exit 1
fi
