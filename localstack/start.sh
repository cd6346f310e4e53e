#!/usr/bin/env bash
# Runs LocalStack alone on the host (no Docker), in the foreground, from the pinned venv.
# usage: localstack/start.sh [PORT] [DATA_DIR]    (defaults 4566, .streamia/localstack)
# dev.sh and the test command start it themselves; this is for poking at SNS/SQS by hand:
#   bash localstack/deploy-messaging.sh 4566 streamia-local .streamia/outputs.json
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO_ROOT/infra/local/lib.sh"
port=${1:-4566}
data=${2:-$REPO_ROOT/.streamia/localstack}
ensure_venv localstack "$REPO_ROOT/localstack/requirements.txt" "$REPO_ROOT/localstack/constraints.txt"
trap stop_services EXIT INT TERM
mkdir -p "$data"
start_localstack "$port" "$data" /dev/stdout
wait_for "LocalStack" 120 curl -sf "http://127.0.0.1:$port/_localstack/health"
log "LocalStack on http://127.0.0.1:$port (Ctrl-C stops it)"
wait
