#!/usr/bin/env bash
# Benchmarks against the running local stack (start it with infra/local/dev.sh first).
#  1. Load: wrk drives a public route (GET /health) and an authenticated one (GET /users/me)
#     through the local gateway at fixed concurrency: requests/s, p50/p99 latency, errors.
#  2. Functions: every binary built with the release profile Lambda gets: size (and zipped
#     size), cold start (process start to first answered invocation through a Lambda Runtime
#     API) and peak memory.
# Speed is measured here, never in tests. Numbers depend on the machine; compare runs on one.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
source infra/local/lib.sh

STACK_DIR=${STACK_DIR:-$REPO_ROOT/.streamia}
API=http://127.0.0.1:${API_PORT:-3000}/api/v1
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
curl -sf "$API/health" >/dev/null || die "the local stack is not running: start it with 'bash infra/local/dev.sh'"
ensure_apt wrk wrk

log "bench user"
n=$(date +%s%N | tail -c 9)
curl -sf -X POST "$API/auth/register" -H 'content-type: application/json' \
  -d "{\"username\":\"bench$n\",\"email\":\"bench$n@example.com\",\"password\":\"Bench1234\"}" >/dev/null
token=$(curl -sf -X POST "$API/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"bench$n@example.com\",\"password\":\"Bench1234\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')

report() { # NAME, then wrk output on stdin
  python3 -c '
import re, sys
name, text = sys.argv[1], sys.stdin.read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
def pct(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % p, text, re.M)
    if not m: return "?"
    v, u = float(m.group(1)), m.group(2)
    return "%.1f ms" % (v / 1000 if u == "us" else v * 1000 if u == "s" else v)
total = re.search(r"(\d+) requests in", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = int(non2xx.group(1)) if non2xx else 0
if sock: errors += sum(int(x) for x in sock.groups())
print("%-28s %10s req/s   p50 %9s   p99 %9s   errors %d/%s" % (name, rps.group(1) if rps else "?", pct(50), pct(99), errors, total.group(1) if total else "?"))
' "$1"
}

log "load: $CONNECTIONS connections, $DURATION per route (wrk)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$API/health" | report "GET /health (public)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$API/users/me" |
  report "GET /users/me (authorizer)"

log "release build of every function (the profile Lambda ships)"
cargo build --release --workspace --bins --locked --exclude streamia-local-gateway
events=$(mktemp -d)
trap 'rm -rf "$events"' EXIT
cat >"$events/http.json" <<'JSON'
{"resource":"/api/v1/health","path":"/api/v1/health","httpMethod":"GET","headers":{},"multiValueHeaders":{},
 "queryStringParameters":null,"multiValueQueryStringParameters":null,"pathParameters":null,"stageVariables":null,
 "requestContext":{"resourcePath":"/api/v1/health","httpMethod":"GET","requestId":"bench","stage":"local",
 "identity":{"sourceIp":"127.0.0.1"},"requestTimeEpoch":0},"body":null,"isBase64Encoded":false}
JSON
echo '{"type":"TOKEN","authorizationToken":"Bearer nope","methodArn":"arn:aws:execute-api:us-east-1:0:api/v1/GET/x"}' >"$events/authorizer.json"
echo '{"Records":[]}' >"$events/sqs.json"

printf '\n%-32s %10s %10s %14s %12s\n' function size zipped "cold start" "peak RSS"
(
  # Secrets come from the dev stack's LocalStack (Secrets Manager takes a name for an ARN).
  export MONGODB_URI_SECRET_ARN=streamia-local/mongodb-uri REDIS_URL_SECRET_ARN=streamia-local/redis-url
  export JWT_SECRET_ARN=streamia-local/jwt-secret MONGODB_DATABASE_PREFIX=streamia_bench
  export AWS_ENDPOINT_URL="http://127.0.0.1:${LOCALSTACK_PORT:-4566}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export AWS_DEFAULT_REGION=us-east-1 SMTP_HOST=127.0.0.1 SMTP_PORT=${SMTP_PORT:-1025} SMTP_TLS=none RUST_LOG=warn
  for src in functions/*/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    bin=$CARGO_TARGET_DIR/release/$name
    case "$name" in
      *-setup) continue ;; # runs at deploy, not per request
      authorizer) event=$events/authorizer.json ;;
      *-on-*) event=$events/sqs.json ;;
      *) event=$events/http.json ;;
    esac
    size=$(stat -c %s "$bin")
    zipped=$(python3 -c 'import io,sys,zipfile; b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$bin")
    python3 infra/local/bench_runtime.py "$bin" "$event" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); size, zipped = int(sys.argv[1]), int(sys.argv[2])
print("%-32s %8.1f MB %8.1f MB %11s ms %9.1f MB" % (r["binary"], size/1e6, zipped/1e6, r["cold_start_ms"], r["peak_rss_kb"]/1024))
' "$size" "$zipped"
  done
)
