#!/usr/bin/env bash
# The whole Streamia API on this machine, without Docker: SecantusDB (MongoDB protocol, data
# kept in .streamia/), two Redis (auth state, never evicted; the cache), LocalStack (SNS/SQS
# via CloudFormation), an SMTP sink, every function under cargo lambda watch, and the local API
# Gateway on http://127.0.0.1:3000.
# Installs what is missing first. Ctrl-C stops everything; running it again reuses the data.
#   STREAMIA_FAST=1 bash infra/local/dev.sh   fast mode: release builds, the gateway runs the
#   function binaries itself, STREAMIA_INSTANCES (default: one per core) instances per function.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
source infra/local/lib.sh

STACK_DIR=${STACK_DIR:-$REPO_ROOT/.streamia}
API_PORT=${API_PORT:-3000}
STREAMIA_ADMIN_PASSWORD=${STREAMIA_ADMIN_PASSWORD:-StreamiaAdmin1!}
ADMIN_EMAIL=admin@streamia.local
mkdir -p "$STACK_DIR"
trap 'log "stopping"; stop_services; exit 0' INT TERM
trap 'stop_services' EXIT

started=$SECONDS
ensure_tools
start_stack
ensure_admin "$ADMIN_EMAIL" "$STREAMIA_ADMIN_PASSWORD"
seed_movies "$ADMIN_EMAIL" "$STREAMIA_ADMIN_PASSWORD"
# Data kept from an earlier run may predate a consuming service: rebuild every copy.
republish_snapshots || log "republishing the snapshots failed: copies may lag until their data changes (see the logs)"

mode="default (debug builds, cargo lambda watch)"
[ -z "${STREAMIA_FAST:-}" ] || mode="fast (release builds, $STREAMIA_INSTANCES instances per function)"
cat <<MSG

  Streamia is up ($((SECONDS - started)) s).
    API            http://127.0.0.1:$API_PORT/api/v1   (health: /api/v1/health)
    Console        http://127.0.0.1:$API_PORT/_local/   (requests by correlation id, emails, queues, sagas, circuits, metrics)
    Emails         http://127.0.0.1:$API_PORT/_local/mail
    API reference  http://127.0.0.1:$API_PORT/docs/ (infra/openapi.yaml; infra/docs/build.sh OUT builds it as a static site)
    Admin          $ADMIN_EMAIL / \$STREAMIA_ADMIN_PASSWORD (default StreamiaAdmin1!)
    Movies         curl http://127.0.0.1:$API_PORT/api/v1/movies   (24 sample movies, seeded once)
    Mode           $mode
    Lambda API     http://127.0.0.1:$API_PORT (aws lambda invoke --endpoint-url)   LocalStack http://127.0.0.1:${LOCALSTACK_PORT}
    MongoDB        mongodb://127.0.0.1:${MONGO_PORT}/
    Redis          redis://127.0.0.1:${REDIS_PORT}/ (auth, noeviction)  redis://127.0.0.1:${CACHE_REDIS_PORT}/ (cache, allkeys-lru)
    Logs           $STACK_DIR/logs/
  Ctrl-C stops everything.

MSG
wait
