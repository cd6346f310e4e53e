#!/usr/bin/env bash
# A real build of what deploys, run as Lambda runs it. check-sam-build.sh only stubs cargo; this
# runs the README's `sam build` for one function for real (cargo-lambda, zig, the `release`
# profile: fat LTO, one codegen unit) and times it, then starts the bootstrap it built, the very
# file `sam deploy` would zip, behind a Lambda Runtime API: the local gateway's fast mode
# (infra/local-gateway/src/runtime.rs), which gives it Lambda's environment and hands it events
# through the Lambda Invoke API. It is built for x86_64 (`--parameter-overrides
# Architecture=x86_64`, the template's parameter): this x86-64 machine runs it, and cannot
# install Rust's arm64 standard library.
#
# What it does, on services of its own (SecantusDB, Redis, LocalStack on free ports, stopped on
# exit; a running dev stack is left alone):
#   1. sam build UsersGetMeFunction --parameter-overrides Architecture=x86_64, timed (wall and
#      CPU); prints the bootstrap's size and `file` (it must be an x86-64 ELF).
#   2. Builds the helpers in debug (the gateway, users-setup, users-register, the authorizer),
#      runs users-setup (indexes, the first access-token keys) and registers a user through the
#      API (POST /api/v1/auth/register).
#   3. Sends the bootstrap API Gateway REST (v1) proxy events for GET /api/v1/users/me through
#      the Invoke API (`aws lambda invoke`): without an authorizer context (it must answer 401)
#      and with the registered user's (200 with that user), each checked as a proxy response
#      (statusCode, headers, body in the contract's envelope); then the same route over HTTP
#      with the user's token (the authorizer, then the bootstrap). Prints each request and
#      answer, and shows that the process answering is the bootstrap (/proc/PID/exe).
# CI does not run it: from scratch it takes about 17 minutes on 2 cores (README, deploy).
#
# Usage: bash infra/local/sam-build-real.sh
#   SAM_BUILD_TARGET_DIR  cargo's target dir (default ~/.cache/streamia/target-sam, apart from
#                         the dev stack's: kept, so a second run only checks it is up to date;
#                         delete it to time a build from scratch)
#   KEEP_SAM_BUILD=1      keep the work dir (sam's build dir, the services' logs)
set -euo pipefail
started=$SECONDS
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
export CARGO_TARGET_DIR=${SAM_BUILD_TARGET_DIR:-${STREAMIA_HOME:-$HOME/.cache/streamia}/target-sam}
source infra/local/lib.sh

FUNCTION_ID=UsersGetMeFunction BINARY=users-get-me ARCHITECTURE=x86_64
[ "$(uname -m)" = x86_64 ] || die "the x86_64 bootstrap is run on this machine: it must be x86-64 (uname -m: $(uname -m))"
STACK_NAME=streamia-sam-build
WORK=$(mktemp -d "${TMPDIR:-/tmp}/streamia-sam-build.XXXXXX")
trap 'stop_services; if [ -n "${KEEP_SAM_BUILD:-}" ]; then log "kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
trap 'exit 130' INT TERM
exec 3>&2 # the build's output reaches the terminal while `time` reports to a file

log "tools"
ensure_tools
ensure_venv lint "$REPO_ROOT/infra/local/requirements/lint.txt" # sam
ensure_apt file file
# cargo-lambda from its venv, which also holds zig (the ziglang package, run by its python3).
export PATH="$VENVS/lambda/bin:$PATH"
command -v cargo-lambda >/dev/null || die "cargo-lambda is missing from $VENVS/lambda"
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx x86_64-unknown-linux-gnu; then
  die "Rust's x86_64-unknown-linux-gnu standard library is missing (rustup target add x86_64-unknown-linux-gnu)"
fi

# ---- 1. sam build, as the README's deploy runs it ----------------------------------------------
sam_args=(build "$FUNCTION_ID" --parameter-overrides "Architecture=$ARCHITECTURE")
log "sam ${sam_args[*]} (build dir $WORK/build, cargo target dir $CARGO_TARGET_DIR; the first time compiles every dependency in release: ~10 min on 2 cores)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
TIMEFORMAT='%R %U %S'
if ! { time (SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 "$VENVS/lint/bin/sam" "${sam_args[@]}" \
  --build-dir "$WORK/build" </dev/null 2>&1 |
  tee "$WORK/sam-build.log" >&3); } 2>"$WORK/sam-build.time"; then
  die "sam build failed (output above)"
fi
read -r wall user sys <"$WORK/sam-build.time"
build_report=$(awk -v w="$wall" -v u="$user" -v s="$sys" \
  'BEGIN { printf "%.0f s wall (%.1f min), %.0f s CPU", w, w / 60, u + s }')
log "sam build: $build_report; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"

bootstrap=$WORK/build/$FUNCTION_ID/bootstrap
[ -x "$bootstrap" ] || die "sam build left no executable $bootstrap"
size=$(stat -c %s "$bootstrap")
zipped=$(python3 -c 'import io, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(b.getvalue()))' "$bootstrap")
file_output=$(file -b "$bootstrap")
bootstrap_report=$(awk -v s="$size" -v z="$zipped" 'BEGIN { printf "%d bytes (%.1f MB; zipped as deployed %.1f MB)", s, s / 1e6, z / 1e6 }')
log "bootstrap: $bootstrap_report"
log "file: $file_output"
grep -q '^ELF 64-bit LSB .*x86-64' <<<"$file_output" || die "the bootstrap is not an x86-64 ELF executable"

# ---- 2. helpers, services, a registered user ---------------------------------------------------
log "building the helpers in debug (the gateway, users-setup, users-register, the authorizer; the first time ~7 min)"
cargo build --locked -p streamia-local-gateway -p streamia-users -p streamia-authorizer \
  --bin local-gateway --bin users-setup --bin users-register --bin authorizer
mkdir -p "$WORK/bin" "$WORK/functions" "$WORK/logs"
cp "$CARGO_TARGET_DIR/debug/local-gateway" "$CARGO_TARGET_DIR/debug/users-setup" "$WORK/bin/"
cp "$CARGO_TARGET_DIR/debug/users-register" "$CARGO_TARGET_DIR/debug/authorizer" "$WORK/functions/"
# The gateway runs each function's file by the template's binary name: this one is sam's output.
ln -s "$bootstrap" "$WORK/functions/$BINARY"

read -r MONGO_PORT REDIS_PORT LOCALSTACK_PORT API_PORT < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
log "starting SecantusDB :$MONGO_PORT, Redis :$REDIS_PORT, LocalStack :$LOCALSTACK_PORT"
start_mongo "$MONGO_PORT" :memory: "$WORK/logs/mongo.log"
start_redis "$REDIS_PORT" "$WORK/logs/redis.log" 256mb noeviction
start_localstack "$LOCALSTACK_PORT" "$WORK/localstack" "$WORK/logs/localstack.log"
wait_for "LocalStack" 120 curl -sf "http://127.0.0.1:$LOCALSTACK_PORT/_localstack/health"
log "deploying infra/messaging.yaml into LocalStack (the topics the template's functions name)"
bash localstack/deploy-messaging.sh "$LOCALSTACK_PORT" "$STACK_NAME" "$WORK/outputs.json"
wait_for "SecantusDB" 60 port_open "$MONGO_PORT"
wait_for "Redis" 30 port_open "$REDIS_PORT"

log "storing the secrets in LocalStack (Secrets Manager), as deployed: the functions get their ARNs"
mongo_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/users/mongodb-uri" "mongodb://127.0.0.1:$MONGO_PORT/")
redis_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/auth-redis-url" "redis://127.0.0.1:$REDIS_PORT/")
signing_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/jwt-signing-keys" '{}')
public_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/jwt-public-keys" '{}')
export AWS_ENDPOINT_URL="http://127.0.0.1:$LOCALSTACK_PORT" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 RUST_LOG=${RUST_LOG:-info}
export MONGODB_DATABASE_PREFIX=streamia CORS_ALLOWED_ORIGINS=http://localhost:5173
USER_EVENTS_TOPIC_ARN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Messaging.Outputs.UserEventsTopicArn"])' \
  "$WORK/outputs.json")
export USER_EVENTS_TOPIC_ARN

log "running users-setup (collections, indexes, the first access-token key pair)"
MONGODB_URI_SECRET_ARN=$mongo_arn JWT_SIGNING_KEYS_SECRET_ARN=$signing_arn JWT_PUBLIC_KEYS_SECRET_ARN=$public_arn \
  "$WORK/bin/users-setup" >"$WORK/logs/setup.log" 2>&1 || die "users-setup failed: $(tail -n 5 "$WORK/logs/setup.log")"

# The gateway gives each function the secrets its template entry names, so it needs every
# secret the template names (main.rs): the ones no function run here reads get a placeholder.
gateway=(
  "$WORK/bin/local-gateway" --template "$REPO_ROOT/template.yaml" --listen "127.0.0.1:$API_PORT"
  --aws-endpoint "$AWS_ENDPOINT_URL" --outputs "$WORK/outputs.json" --stack-name "$STACK_NAME"
  --parameter StageName=local --parameter CorsAllowedOrigins="$CORS_ALLOWED_ORIGINS"
  --parameter UsersMongoDbUriSecretArn="$mongo_arn" --parameter AuthRedisUrlSecretArn="$redis_arn"
  --parameter JwtSigningKeys="$signing_arn" --parameter JwtPublicKeys="$public_arn"
  --parameter CacheRedisUrlSecretArn=unused --parameter RefreshTokenPepper=unused --parameter SmtpPasswordSecretArn=
  # Only routes are served here: no SQS pollers, no schedules (their functions are not built).
  --no-event-sources --functions-dir "$WORK/functions" --instances 1
)
for setup in "$REPO_ROOT"/functions/*/src/bin/*-setup.rs; do
  service=$(basename "$(dirname "$(dirname "$(dirname "$setup")")")")
  [ "$service" = users ] || gateway+=(--parameter "$(sed -E 's/(^|[-_])([a-z])/\U\2/g' <<<"$service")MongoDbUriSecretArn=unused")
done
log "starting the gateway :$API_PORT (Lambda Runtime API; $BINARY is $bootstrap)"
"${gateway[@]}" >"$WORK/logs/gateway.log" 2>&1 &
STREAMIA_PIDS+=($!)
wait_for "the gateway" 30 port_open "$API_PORT"

email="sam-build-$$@streamia.local"
log "registering $email (POST /api/v1/auth/register: users-register)"
code=$(curl -s -o "$WORK/register.json" -w '%{http_code}' -X POST "http://127.0.0.1:$API_PORT/api/v1/auth/register" \
  -H 'content-type: application/json' -d "{\"username\":\"sambuild$$\",\"email\":\"$email\",\"password\":\"SamBuild1234\"}")
[ "$code" = 201 ] || die "register answered $code: $(cat "$WORK/register.json"); $(tail -n 5 "$WORK/logs/gateway.log")"

# ---- 3. the bootstrap, through the Lambda Invoke API and over HTTP --------------------------------
# Two API Gateway REST proxy events for GET /api/v1/users/me, shaped as the gateway builds them
# (infra/local-gateway/src/proxy.rs): one without an authorizer context, one with the context the
# authorizer gives for the registered user's token (its claims: shared::http::Identity).
python3 - "$WORK" <<'PY'
import base64, json, sys, time, uuid
work = sys.argv[1]
token = json.load(open(f"{work}/register.json"))["data"]["accessToken"]
part = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
def event(authorizer):
    now = int(time.time() * 1000)
    context = {"accountId": "000000000000", "apiId": "local", "resourceId": "local", "stage": "local",
               "requestId": str(uuid.uuid4()), "requestTimeEpoch": now, "resourcePath": "/api/v1/users/me",
               "httpMethod": "GET", "path": "/local/api/v1/users/me", "protocol": "HTTP/1.1",
               "domainName": "127.0.0.1", "identity": {"sourceIp": "127.0.0.1", "userAgent": "sam-build-real"}}
    if authorizer:
        context["authorizer"] = authorizer
    headers = {"accept": "application/json", "user-agent": "sam-build-real"}
    return {"resource": "/api/v1/users/me", "path": "/api/v1/users/me", "httpMethod": "GET",
            "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "requestContext": context, "body": None, "isBase64Encoded": False}
json.dump(event(None), open(f"{work}/anonymous.json", "w"))
json.dump(event({"principalId": claims["sub"], "userId": claims["sub"], "email": claims["email"],
                 "role": claims["role"], "tokenId": claims["jti"], "sessionId": claims["sid"],
                 "expiresAt": str(claims["exp"])}), open(f"{work}/signed-in.json", "w"))
PY

# check_answer EVENT ANSWER STATUS: prints the request's context and the answer; fails unless
# the answer is an API Gateway proxy response with STATUS and the contract's envelope (for 200:
# the registered user).
check_answer() {
  python3 - "$1" "$2" "$3" "$WORK/register.json" <<'PY'
import json, sys
event, answer, status = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
user = json.load(open(sys.argv[4]))["data"]["user"]
print("  request:  %s %s, requestContext.authorizer %s" % (event["httpMethod"], event["path"],
      json.dumps(event["requestContext"].get("authorizer"))))
print("  response: %s" % json.dumps(answer))
problems = []
if not isinstance(answer, dict) or not isinstance(answer.get("statusCode"), int):
    sys.exit("  not an API Gateway proxy response (no integer statusCode)")
if answer["statusCode"] != status:
    problems.append("statusCode %s, expected %s" % (answer["statusCode"], status))
# lambda_http answers a REST event with multiValueHeaders (API Gateway merges both maps).
headers = {k.lower() for k in (answer.get("headers") or {})} | {k.lower() for k in (answer.get("multiValueHeaders") or {})}
if "content-type" not in headers:
    problems.append("no content-type header")
try:
    body = json.loads(answer.get("body") or "")
except ValueError:
    sys.exit("  the body is not JSON")
if status == 200:
    if body.get("success") is not True or body.get("data", {}).get("id") != user["id"] \
            or body["data"].get("email") != user["email"]:
        problems.append("not {success: true, data: the registered user}")
elif body.get("success") is not False or not isinstance(body.get("error"), str) or not isinstance(body.get("message"), str):
    problems.append("not {success: false, error, message}")
if problems:
    sys.exit("  " + "; ".join(problems))
print("  ok: %s in the contract's envelope" % status)
PY
}

log "aws lambda invoke $BINARY: GET /api/v1/users/me without an authorizer context (expect 401)"
invoke_function "$BINARY" "$WORK/anonymous.json" "$WORK/anonymous-answer.json" ||
  die "$(tail -n 20 "$WORK/logs/gateway.log")"
check_answer "$WORK/anonymous.json" "$WORK/anonymous-answer.json" 401
log "aws lambda invoke $BINARY: GET /api/v1/users/me as $email (expect 200 with the user)"
invoke_function "$BINARY" "$WORK/signed-in.json" "$WORK/signed-in-answer.json" ||
  die "$(tail -n 20 "$WORK/logs/gateway.log")"
check_answer "$WORK/signed-in.json" "$WORK/signed-in-answer.json" 200

log "GET /api/v1/users/me over HTTP with the user's token (the authorizer, then the bootstrap)"
token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["data"]["accessToken"])' "$WORK/register.json")
code=$(curl -s -o "$WORK/http.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$API_PORT/api/v1/users/me")
echo "  HTTP $code $(cat "$WORK/http.json")"
if [ "$code" != 200 ] || ! grep -qF "\"email\":\"$email\"" "$WORK/http.json"; then
  die "expected 200 with the user: $(tail -n 20 "$WORK/logs/gateway.log")"
fi

# The process that answered: its executable is sam's bootstrap (through the functions dir's link).
real=$(readlink -f "$bootstrap") pid=
for exe in /proc/[0-9]*/exe; do
  [ "$(readlink "$exe" 2>/dev/null)" = "$real" ] && { pid=${exe#/proc/}; pid=${pid%/exe}; break; }
done
[ -n "$pid" ] || die "no running process has $real as its executable"
log "the instance answering: pid $pid, /proc/$pid/exe -> $real"

cat <<MSG

  sam build is real and its bootstrap runs as Lambda runs it.
    command    sam ${sam_args[*]}
    build      $build_report (load average before: $load_before)
    bootstrap  $bootstrap_report
    file       $file_output
    invoked    GET /api/v1/users/me: 401 without an authorizer context, 200 with the registered
               user (Lambda Invoke API), 200 over HTTP through the authorizer
    total      $((SECONDS - started)) s (tools, sam build, helpers, services, checks)

MSG
