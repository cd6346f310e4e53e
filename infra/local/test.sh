#!/usr/bin/env bash
# Runs every check: formatting, clippy, the template linters, and every test (unit,
# integration against real SecantusDB, Redis and LocalStack). Installs what is missing, starts
# its own services on test ports (so a running dev stack is left alone) and stops them on exit.
# Exit status is non-zero if any step fails. CI runs exactly this (.ci/run).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
source infra/local/lib.sh

# The stack under test listens on its own ports, so a running dev stack is left alone.
export STACK_DIR STACK_NAME=streamia-test MONGO_STORAGE=:memory:
export MONGO_PORT=${TEST_MONGO_PORT:-37017} REDIS_PORT=${TEST_REDIS_PORT:-36379}
export CACHE_REDIS_PORT=${TEST_CACHE_REDIS_PORT:-36380}
export LOCALSTACK_PORT=${TEST_LOCALSTACK_PORT:-34566} SMTP_PORT=${TEST_SMTP_PORT:-31025}
export LAMBDA_PORT=${TEST_LAMBDA_PORT:-39000} API_PORT=${TEST_API_PORT:-33000}
export VISIBILITY_TIMEOUT=2 MAX_RECEIVE_COUNT=3
# The browser test serves its page on a free port: http://127.0.0.1:PORT is an allowed origin
# (second in the list: the preflight must name each allowed origin, not just the first),
# http://localhost:PORT a disallowed one.
PAGE_PORT=${TEST_PAGE_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export CORS_ALLOWED_ORIGINS="http://localhost:5173,http://127.0.0.1:$PAGE_PORT"
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/streamia-test.XXXXXX")
STACK_DIR=$RUN_DIR/stack
trap 'stop_services; [ "${KEEP_TEST_LOGS:-}" ] || rm -rf "$RUN_DIR"' EXIT
trap 'exit 130' INT TERM
on_error() { log "failed; last lines of the stack logs:"; tail -n 20 "$STACK_DIR"/logs/{gateway,functions}.log 2>/dev/null || true; }
trap on_error ERR

started=$SECONDS
step() { log "$* (+$((SECONDS - started))s)"; }

step "tools"
ensure_tools
ensure_venv lint "$REPO_ROOT/infra/local/requirements/lint.txt"
ensure_venv browser "$REPO_ROOT/infra/local/requirements/browser.txt"
ensure_venv schemathesis "$REPO_ROOT/infra/local/requirements/schemathesis.txt"
ensure_apt chromium chromium
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add rustfmt clippy

step "cargo fmt --check"
cargo fmt --all --check

step "template lint (cfn-lint, sam validate --lint)"
"$VENVS/lint/bin/cfn-lint" template.yaml infra/messaging.yaml infra/bootstrap.yaml
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
  "$VENVS/lint/bin/sam" validate --lint --template template.yaml >/dev/null
bash infra/local/check-sam-build.sh "$VENVS/lint/bin/sam"   # the README's `sam build` (arm64, x86_64), stubbed cargo
step "SAM transform (what sam deploy runs; the linters miss what it rejects)"
AWS_DEFAULT_REGION=us-east-1 "$VENVS/lint/bin/python" infra/local/sam_translate.py template.yaml

step "cargo clippy"
# Every build from here on is this run's: afterwards, the older generations it replaced go.
export STREAMIA_BUILD_MARKER=$RUN_DIR/build-started
touch "$STREAMIA_BUILD_MARKER"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "local stack (the README's run command, on test ports)"
start_stack
ensure_admin admin@streamia.local "${STREAMIA_ADMIN_PASSWORD:-StreamiaAdmin1!}"
# The run command's seed, twice: the e2e suite checks that each sample movie is there once.
seed_movies admin@streamia.local "${STREAMIA_ADMIN_PASSWORD:-StreamiaAdmin1!}"
seed_movies admin@streamia.local "${STREAMIA_ADMIN_PASSWORD:-StreamiaAdmin1!}"

step "build tests"
cargo build --workspace --all-targets --all-features --locked
prune_target "$STREAMIA_BUILD_MARKER"

step "tests (unit, integration, end-to-end)"
export MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"   # the auth Redis (noeviction)
export CACHE_REDIS_URL="redis://127.0.0.1:$CACHE_REDIS_PORT/"
export AWS_ENDPOINT_URL="http://127.0.0.1:$LOCALSTACK_PORT"
export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export SMTP_PORT MAIL_OUTBOX="$STACK_DIR/mail.jsonl"
export STREAMIA_API_URL="http://127.0.0.1:$API_PORT"
export STREAMIA_LOGS="$STACK_DIR/logs"   # the e2e test that follows a correlation id
# The SMTP outage test stops the stack's mail sink for two minutes: it runs alone, afterwards.
OUTAGE_TEST='package(streamia-local-gateway) & binary(outage)'
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --locked --no-fail-fast --test-threads 8 \
    --status-level fail --final-status-level slow -E "not ($OUTAGE_TEST)"
  step "SMTP outage: sign-ups go on, emails wait and are all sent, none reaches a DLQ (~4 min)"
  cargo nextest run --workspace --all-features --locked -E "$OUTAGE_TEST" \
    --status-level fail --final-status-level slow
else
  cargo test --workspace --all-features --locked --no-fail-fast -- --test-threads 8 \
    --skip an_smtp_outage_delays_the_welcome_emails_and_loses_none
  step "SMTP outage: sign-ups go on, emails wait and are all sent, none reaches a DLQ (~4 min)"
  cargo test -p streamia-local-gateway --all-features --locked --test outage
fi
step "browser: CORS, a Spanish client's journey, the API reference page and the local console in headless Chromium"
"$VENVS/browser/bin/python" infra/browser/run.py --api "$STREAMIA_API_URL/api/v1" \
  --port "$PAGE_PORT" --out "$RUN_DIR/browser" --aws-endpoint "$AWS_ENDPOINT_URL" ||
  { log "screenshots: $RUN_DIR/browser (kept with KEEP_TEST_LOGS=1)"; false; }
# The pages as the browser showed them (the API reference page among them), for a person.
mkdir -p .streamia/screenshots && cp "$RUN_DIR"/browser/*.png .streamia/screenshots/
log "screenshots: $REPO_ROOT/.streamia/screenshots/ (docs.png: the API reference page; console.png: the local console)"

step "schemathesis over infra/openapi.yaml"
FUZZ_ADMIN_EMAIL=admin@streamia.local FUZZ_ADMIN_PASSWORD="${STREAMIA_ADMIN_PASSWORD:-StreamiaAdmin1!}" \
  bash infra/fuzz/run.sh "$STREAMIA_API_URL"

step "all checks passed"
