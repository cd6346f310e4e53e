#!/usr/bin/env bash
# Fuzzes a running stack with schemathesis over infra/openapi.yaml: every generated request
# that the schema calls valid must be accepted (or refused for a documented business reason),
# no request may cause a server error, and every answer must match its schema.
#
# Generated invalid requests (negative mode) are sent too and must not cause a server error or
# an undocumented answer; whether each is refused (`negative_data_rejection`) is not checked:
# the service trims surrounding spaces and accepts non-ASCII upper/lower-case letters in
# passwords, which the schema states more strictly. `unsupported_method` is not checked
# either: see schemathesis.toml.
#
# Usage: bash infra/fuzz/run.sh http://127.0.0.1:3000   (the test command runs it on its stack)
# Each run registers fresh users; POST /auth/logout gets a user of its own, since logging out
# revokes the token every other operation uses. Exit status 1 on any failure.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO_ROOT/infra/local/lib.sh"
BASE=${1:?usage: run.sh http://127.0.0.1:PORT}
API=$BASE/api/v1
ensure_venv schemathesis "$REPO_ROOT/infra/local/requirements/schemathesis.txt"

# token: registers a fresh user and prints its access token.
token() {
  local user=fz$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  curl -sf -X POST "$API/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"email\":\"$user@fuzz.test\",\"password\":\"Fuzz1234x\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["accessToken"])'
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/streamia-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
st() {
  # From a scratch directory: schemathesis keeps its example database in ./.schemathesis.
  (cd "$WORK" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$REPO_ROOT/infra/fuzz" \
    "$VENVS/schemathesis/bin/schemathesis" --config-file "$REPO_ROOT/infra/fuzz/schemathesis.toml" \
    run "$REPO_ROOT/infra/openapi.yaml" --url "$API" --checks all --exclude-checks unsupported_method,negative_data_rejection --no-color "$@")
}

log "schemathesis: every operation but logout, one fresh user"
st -H "Authorization: Bearer $(token)" --exclude-path /auth/logout
log "schemathesis: logout, with a user of its own"
# No stateful phase: the only links (POST /movies -> its movie) are outside this filter.
st -H "Authorization: Bearer $(token)" --include-path /auth/logout --phases examples,coverage,fuzzing
# The catalog's writes are for administrators: a user's token only ever gets their 403. With
# FUZZ_ADMIN_EMAIL set (the test command sets the local admin's), the movie routes and the
# comments' moderation routes run once more as that admin, so the writes' validation is fuzzed
# too. It adds fuzzed movies to the catalog: leave it unset against a dev stack whose catalog
# you keep.
if [ -n "${FUZZ_ADMIN_EMAIL:-}" ]; then
  admin_token=$(curl -sf -X POST "$API/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$FUZZ_ADMIN_EMAIL\",\"password\":\"${FUZZ_ADMIN_PASSWORD:?}\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["accessToken"])')
  log "schemathesis: the movie routes and the comments' moderation, as the admin $FUZZ_ADMIN_EMAIL"
  st -H "Authorization: Bearer $admin_token" --include-path-regex '^/movies|^/comments/(moderation|\{id\}/moderation)$'
fi
