#!/usr/bin/env bash
# Runs every check: formatting, clippy, the template linters, and every test (unit,
# integration against real SecantusDB, Redis and LocalStack). Installs what is missing, starts
# its own services on test ports (so a running dev stack is left alone) and stops them on exit.
# Exit status is non-zero if any step fails. CI runs exactly this (.ci/run).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
source infra/local/lib.sh

MONGO_PORT=${TEST_MONGO_PORT:-37017}
REDIS_PORT=${TEST_REDIS_PORT:-36379}
LOCALSTACK_PORT=${TEST_LOCALSTACK_PORT:-34566}
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/streamia-test.XXXXXX")
trap 'stop_services; rm -rf "$RUN_DIR"' EXIT
trap 'exit 130' INT TERM

started=$SECONDS
step() { log "$* (+$((SECONDS - started))s)"; }

step "tools"
ensure_tools
ensure_venv lint "$REPO_ROOT/infra/local/requirements/lint.txt"
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy

step "services: SecantusDB :$MONGO_PORT, Redis :$REDIS_PORT, LocalStack :$LOCALSTACK_PORT"
for port in $MONGO_PORT $REDIS_PORT $LOCALSTACK_PORT; do
  port_open "$port" && die "port $port is taken; set TEST_*_PORT to free ones"
done
start_mongo "$MONGO_PORT" :memory: "$RUN_DIR/mongo.log"
start_redis "$REDIS_PORT" "$RUN_DIR/redis.log"
start_localstack "$LOCALSTACK_PORT" "$RUN_DIR/localstack" "$RUN_DIR/localstack.log"

step "cargo fmt --check"
cargo fmt --all --check

step "template lint (cfn-lint, sam validate --lint)"
"$VENVS/lint/bin/cfn-lint" template.yaml infra/messaging.yaml
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
  "$VENVS/lint/bin/sam" validate --lint --template template.yaml >/dev/null

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "build tests"
cargo build --workspace --all-targets --all-features --locked

wait_for "SecantusDB" 60 port_open "$MONGO_PORT"
wait_for "Redis" 30 port_open "$REDIS_PORT"
wait_for "LocalStack" 120 curl -sf "http://127.0.0.1:$LOCALSTACK_PORT/_localstack/health"

step "tests"
export MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"
export AWS_ENDPOINT_URL="http://127.0.0.1:$LOCALSTACK_PORT"
export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --locked --no-fail-fast --test-threads 8 \
    --status-level fail --final-status-level slow
else
  cargo test --workspace --all-features --locked --no-fail-fast -- --test-threads 8
fi
step "all checks passed"
