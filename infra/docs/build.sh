#!/usr/bin/env bash
# Builds the API reference page into OUT: index.html and start.js (this folder), the Swagger
# UI renderer (swagger-ui-dist, from the npm registry, pinned; installed once under
# ~/.cache/streamia) and infra/openapi.yaml. OUT is a static site: the local gateway serves it
# at /docs/, and it deploys as it is (e.g. `aws s3 sync OUT s3://BUCKET/docs/`).
#
# usage: infra/docs/build.sh OUT
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO_ROOT/infra/local/lib.sh"
out=${1:?usage: infra/docs/build.sh OUT}
SWAGGER_UI_VERSION=5.35.0
npm_dir=$STREAMIA_HOME/npm/swagger-ui-$SWAGGER_UI_VERSION
dist=$npm_dir/node_modules/swagger-ui-dist
if [ ! -f "$dist/swagger-ui-bundle.js" ]; then
  command -v npm >/dev/null 2>&1 || ensure_apt npm npm
  log "installing swagger-ui-dist $SWAGGER_UI_VERSION (npm, once)"
  mkdir -p "$npm_dir"
  # No install scripts: swagger-ui-dist's dependency @scarf/scarf would report the install.
  SCARF_ANALYTICS=false npm install --prefix "$npm_dir" --no-audit --no-fund --ignore-scripts \
    --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" >/dev/null ||
    die "npm install swagger-ui-dist failed"
fi
mkdir -p "$out"
cp "$REPO_ROOT/infra/docs/index.html" "$REPO_ROOT/infra/docs/start.js" "$out/"
cp "$dist/swagger-ui-bundle.js" "$dist/swagger-ui.css" "$out/"
cp "$REPO_ROOT/infra/openapi.yaml" "$out/openapi.yaml"
