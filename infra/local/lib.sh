# Shared by the run and test commands: installs what is missing, starts and stops the real
# services (SecantusDB, Redis, LocalStack, an SMTP sink). Source it; it defines functions only.
#
# Everything installed lives outside the checkout, under $STREAMIA_HOME (default
# ~/.cache/streamia), so a fresh clone reuses venvs and the cargo target dir.

STREAMIA_HOME=${STREAMIA_HOME:-$HOME/.cache/streamia}
VENVS=$STREAMIA_HOME/venv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$STREAMIA_HOME/target}
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
STREAMIA_PIDS=()

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# prune_target MARKER: deletes the older generations of the workspace's own artifacts that a
# build since MARKER (a file touched before it) replaced (prune_target.py says why). Call it
# after a build; a shared target dir otherwise fills the disk, a fresh clone at a time.
prune_target() {
  local names
  names=$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
print(" ".join(t["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"]))') ||
    { log "prune_target: skipped (cargo metadata failed)"; return 0; }
  # shellcheck disable=SC2086 # one argument per target name
  python3 "$REPO_ROOT/infra/local/prune_target.py" "$CARGO_TARGET_DIR" "$1" $names >&2 || true
}

# ensure_apt COMMAND PACKAGE: installs PACKAGE with apt when COMMAND is missing.
_apt_updated=
ensure_apt() {
  local cmd=$1 pkg=$2 sudo=
  command -v "$cmd" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || sudo=sudo
  log "installing $pkg (apt)"
  if [ -z "$_apt_updated" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    _apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null || die "apt-get install $pkg failed"
}

# ensure_venv NAME REQUIREMENTS [CONSTRAINTS]: a venv under $VENVS/NAME with exactly these
# pins; reinstalled when the files change.
ensure_venv() {
  local name=$1 req=$2 cons=${3:-} dir=$VENVS/$1 stamp
  stamp=$(cat "$req" ${cons:+"$cons"} | sha256sum | cut -c1-16)
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
    return 0
  fi
  log "installing Python tools: $name (pip, once)"
  rm -rf "$dir"
  python3 -m venv "$dir" || die "python3 -m venv failed (apt-get install python3-venv?)"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req" ${cons:+-c "$cons"} \
    || die "pip install for $name failed"
  echo "$stamp" > "$dir/.stamp"
}

# ensure_tools: every tool the stack and the tests need.
ensure_tools() {
  command -v cargo >/dev/null || die "cargo is required (rustup)"
  command -v python3 >/dev/null || die "python3 is required"
  ensure_apt redis-server redis-server
  ensure_apt openssl openssl   # the TLS Redis test makes its certificates with it
  ensure_apt curl curl
  ensure_venv mongo "$REPO_ROOT/infra/local/requirements/mongo.txt" &
  local p1=$!
  ensure_venv localstack "$REPO_ROOT/localstack/requirements.txt" "$REPO_ROOT/localstack/constraints.txt" &
  local p2=$!
  ensure_venv lambda "$REPO_ROOT/infra/local/requirements/lambda.txt" &
  local p3=$!
  ensure_venv mail "$REPO_ROOT/infra/local/requirements/mail.txt" &
  local p4=$!
  wait $p1 && wait $p2 && wait $p3 && wait $p4 || die "installing Python tools failed"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what did not come up within ${secs}s"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_mongo PORT STORAGE LOG: SecantusDB (MongoDB wire protocol); STORAGE is a directory or :memory:.
start_mongo() {
  [ "$2" = ":memory:" ] || mkdir -p "$2"
  "$VENVS/mongo/bin/secantusd-py" --host 127.0.0.1 --port "$1" --storage-path "$2" >"$3" 2>&1 &
  STREAMIA_PIDS+=($!)
}

# start_redis PORT LOG [MAXMEMORY POLICY]: a redis-server without persistence, with a memory
# limit and what it does at the limit: the auth instance never evicts (the default: noeviction,
# 256mb; full, it refuses writes), the cache's evicts (allkeys-lru). README: deploy.
start_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save "" --appendonly no --daemonize no \
    --maxmemory "${3:-256mb}" --maxmemory-policy "${4:-noeviction}" >"$2" 2>&1 &
  STREAMIA_PIDS+=($!)
}

# start_localstack PORT DATA_DIR LOG: LocalStack on the host (SNS, SQS, CloudFormation, S3).
# S3_SKIP_SIGNATURE_VALIDATION=0: presigned GET URLs (playback) are checked as S3 checks them
# (LocalStack skips it by default). It never checks a presigned POST's signature (its code has
# a TODO there), only the POST policy's conditions and expiry: media tests say so.
start_localstack() {
  mkdir -p "$2"
  GATEWAY_LISTEN=127.0.0.1:$1 LOCALSTACK_HOST=127.0.0.1:$1 DISABLE_EVENTS=1 S3_SKIP_SIGNATURE_VALIDATION=0 \
    SKIP_SSL_CERT_DOWNLOAD=1 DNS_ADDRESS=0 SQS_ENDPOINT_STRATEGY=path LS_LOG=${LS_LOG:-warn} \
    FILESYSTEM_ROOT=$2 TMPDIR=$2/tmp \
    "$VENVS/localstack/bin/python" -m localstack.runtime.main >"$3" 2>&1 &
  STREAMIA_PIDS+=($!)
  mkdir -p "$2/tmp"
}

# start_mail_sink SMTP_PORT OUTBOX LOG: an SMTP server recording each delivered mail as JSON.
start_mail_sink() {
  "$VENVS/mail/bin/python" "$REPO_ROOT/infra/local/mailsink.py" --port "$1" --outbox "$2" >"$3" 2>&1 &
  STREAMIA_PIDS+=($!)
}

# stop_services: TERM every started child, KILL what is left after a grace period (LocalStack
# can hang on TERM).
stop_services() {
  local pid i
  [ ${#STREAMIA_PIDS[@]} -gt 0 ] || return 0
  for pid in "${STREAMIA_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 25; i++)); do
    local alive=0
    for pid in "${STREAMIA_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${STREAMIA_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  STREAMIA_PIDS=()
}

# aws_local PORT ARGS...: the AWS CLI against LocalStack.
aws_local() {
  local port=$1
  shift
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} \
    "$VENVS/localstack/bin/aws" --endpoint-url "http://127.0.0.1:$port" "$@"
}

# put_secret PORT NAME VALUE: stores VALUE as Secrets Manager secret NAME in LocalStack
# (created, or given a new value) and prints its ARN.
put_secret() {
  local port=$1 name=$2 value=$3 arn
  if ! arn=$(aws_local "$port" secretsmanager create-secret --name "$name" --secret-string "$value" \
    --query ARN --output text 2>/dev/null); then
    aws_local "$port" secretsmanager put-secret-value --secret-id "$name" --secret-string "$value" >/dev/null \
      || die "could not store secret $name in LocalStack"
    arn=$(aws_local "$port" secretsmanager describe-secret --secret-id "$name" --query ARN --output text)
  fi
  printf '%s\n' "$arn"
}

# start_stack: the whole API on this machine. Reads (with defaults) STACK_DIR, STACK_NAME,
# MONGO_PORT, MONGO_STORAGE, REDIS_PORT (the auth Redis), CACHE_REDIS_PORT (the cache Redis),
# LOCALSTACK_PORT, SMTP_PORT, LAMBDA_PORT, API_PORT,
# FRONTEND_URL, CORS_ALLOWED_ORIGINS, VISIBILITY_TIMEOUT, IP_LIMIT_*, and STREAMIA_FAST /
# STREAMIA_INSTANCES for the fast mode. Returns once GET /api/v1/health
# answers 200 through the gateway; the children are in STREAMIA_PIDS.
start_stack() {
  : "${STACK_DIR:?}" "${STACK_NAME:=streamia-local}"
  : "${MONGO_PORT:=27017}" "${MONGO_STORAGE:=$STACK_DIR/mongo}" "${REDIS_PORT:=6379}" "${CACHE_REDIS_PORT:=6380}"
  : "${LOCALSTACK_PORT:=4566}" "${SMTP_PORT:=1025}" "${LAMBDA_PORT:=9000}" "${API_PORT:=3000}"
  : "${FRONTEND_URL:=http://localhost:5173}"
  # Browser origins allowed to read answers: a dev server (Vite) at either name of this
  # machine. The first is also the one the gateway's own answers (preflight, 401, 404, ...)
  # name, as in AWS.
  : "${CORS_ALLOWED_ORIGINS:=http://localhost:5173,http://127.0.0.1:5173}"
  : "${VISIBILITY_TIMEOUT:=10}" "${MAX_RECEIVE_COUNT:=3}"
  # Limits per client address: every test suite and the fuzzer call from 127.0.0.1, so the
  # local stack's are loose (deployed stacks get the template's strict defaults). Set them low
  # to watch the 429s locally.
  : "${IP_LIMIT_LOGIN:=100000}" "${IP_LIMIT_REGISTER:=100000}"
  : "${IP_LIMIT_FORGOT_PASSWORD:=100000}" "${IP_LIMIT_RESET_PASSWORD:=100000}"
  # A fault for the sagas' compensation (streamia_shared::saga::fault): the ratings' step of
  # a user deletion fails for good for users whose username starts with "sagafault", so a
  # person (and the e2e tests) can watch a deletion be cancelled and everything restored.
  # Never set in a deployed stack. SAGA_FAULT= (empty) turns it off.
  : "${SAGA_FAULT=ratings:sagafault}"
  # Fast mode's instances per function: one per core measured best (2 cores: 2 beat 4).
  : "${STREAMIA_INSTANCES:=$(nproc 2>/dev/null || echo 2)}"
  mkdir -p "$STACK_DIR/logs"
  local port
  for port in $MONGO_PORT $REDIS_PORT $CACHE_REDIS_PORT $LOCALSTACK_PORT $SMTP_PORT $LAMBDA_PORT $API_PORT; do
    port_open "$port" && die "port $port is already in use (another stack running?)"
  done
  # The refresh-token pepper, kept across restarts (as the database is). The access-token keys
  # are generated by the setup step below, as at deploy, and kept in $STACK_DIR too.
  [ -s "$STACK_DIR/refresh-pepper" ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$STACK_DIR/refresh-pepper"

  log "starting SecantusDB :$MONGO_PORT, Redis :$REDIS_PORT (auth) and :$CACHE_REDIS_PORT (cache), LocalStack :$LOCALSTACK_PORT, SMTP sink :$SMTP_PORT"
  start_mongo "$MONGO_PORT" "$MONGO_STORAGE" "$STACK_DIR/logs/mongo.log"
  # Redis split by purpose, as deployed: auth state (revocations, guess counters, limits per
  # client) on an instance that never evicts, the cache on one that may.
  start_redis "$REDIS_PORT" "$STACK_DIR/logs/redis.log" 256mb noeviction
  start_redis "$CACHE_REDIS_PORT" "$STACK_DIR/logs/cache-redis.log" 64mb allkeys-lru
  rm -rf "$STACK_DIR/localstack"
  start_localstack "$LOCALSTACK_PORT" "$STACK_DIR/localstack" "$STACK_DIR/logs/localstack.log"
  start_mail_sink "$SMTP_PORT" "$STACK_DIR/mail.jsonl" "$STACK_DIR/logs/mail.log"

  # Fast mode (STREAMIA_FAST=1): optimised builds (Cargo.toml's `fast` profile: release's
  # code generation without its slow fat LTO; `sam build` still deploys `release`), and the
  # gateway runs the function binaries itself (its own Lambda Runtime API, up to
  # STREAMIA_INSTANCES instances per function) instead of going through cargo lambda watch.
  # The default stays quick to rebuild (debug).
  # The builds since this marker are this run's (test.sh sets one before its clippy step).
  local profile=debug built=${STREAMIA_BUILD_MARKER:-$STACK_DIR/.build-started}
  [ -n "${STREAMIA_BUILD_MARKER:-}" ] || { mkdir -p "$STACK_DIR" && touch "$built"; }
  if [ -n "${STREAMIA_FAST:-}" ]; then
    profile=fast
    log "fast mode: 'fast' profile build of the functions and the gateway (first time ~15 min)"
    cargo build --profile fast --workspace --bins --locked
  else
    log "building the functions and the gateway (cargo build; first time takes minutes)"
    cargo build --workspace --bins --locked
  fi
  prune_target "$built"
  # Keep the binaries this stack runs directly: a shared CARGO_TARGET_DIR may be rebuilt from
  # another checkout (or cleaned by bench.sh's build timings) while the stack runs.
  mkdir -p "$STACK_DIR/bin"
  cp "$CARGO_TARGET_DIR/$profile/local-gateway" "$STACK_DIR/bin/"
  local setup
  for setup in "$REPO_ROOT"/functions/*/src/bin/*-setup.rs; do
    [ -e "$setup" ] && cp "$CARGO_TARGET_DIR/$profile/$(basename "$setup" .rs)" "$STACK_DIR/bin/"
  done
  if [ -n "${STREAMIA_FAST:-}" ]; then
    rm -rf "$STACK_DIR/functions"
    mkdir -p "$STACK_DIR/functions"
    local bin
    for bin in "$REPO_ROOT"/functions/*/src/bin/*.rs; do
      cp "$CARGO_TARGET_DIR/$profile/$(basename "$bin" .rs)" "$STACK_DIR/functions/"
    done
  fi

  wait_for "LocalStack" 120 curl -sf "http://127.0.0.1:$LOCALSTACK_PORT/_localstack/health"
  log "deploying infra/messaging.yaml into LocalStack (CloudFormation)"
  bash "$REPO_ROOT/localstack/deploy-messaging.sh" "$LOCALSTACK_PORT" "$STACK_NAME" "$STACK_DIR/outputs.json" \
    ConsumerVisibilityTimeout="$VISIBILITY_TIMEOUT" MaxReceiveCount="$MAX_RECEIVE_COUNT" \
    MediaCorsAllowedOrigins="$CORS_ALLOWED_ORIGINS"
  wait_for "SecantusDB" 60 port_open "$MONGO_PORT"
  wait_for "Redis (auth)" 30 port_open "$REDIS_PORT"
  wait_for "Redis (cache)" 30 port_open "$CACHE_REDIS_PORT"
  wait_for "SMTP sink" 30 port_open "$SMTP_PORT"

  # Secrets live in (LocalStack's) Secrets Manager, as in AWS: functions get only their ARNs.
  log "storing the secrets in LocalStack (Secrets Manager)"
  # The key sets start empty ("{}", as the template creates them) unless an earlier start kept
  # them: the setup step generates the first pair and publishes its public half.
  local signing_arn public_arn pepper_arn redis_arn cache_redis_arn service dir
  local signing_keys='{}'
  [ -s "$STACK_DIR/jwt-signing-keys.json" ] && signing_keys=$(cat "$STACK_DIR/jwt-signing-keys.json")
  signing_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/jwt-signing-keys" "$signing_keys")
  public_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/jwt-public-keys" '{}')
  pepper_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/refresh-token-pepper" "$(cat "$STACK_DIR/refresh-pepper")")
  # One MongoDB secret per service with a database (a service with a setup step), as deployed:
  # in Atlas each is a user of its service's database only. SecantusDB has no users, so locally
  # they all hold the same URI: apart they show which function is given which secret, not a
  # difference in what each may read.
  local -A mongo_arns=()
  for dir in "$REPO_ROOT"/functions/*/; do
    service=$(basename "$dir")
    compgen -G "$dir/src/bin/*-setup.rs" >/dev/null || continue
    mongo_arns[$service]=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/$service/mongodb-uri" "mongodb://127.0.0.1:$MONGO_PORT/")
  done
  redis_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/auth-redis-url" "redis://127.0.0.1:$REDIS_PORT/")
  # The cache Redis (the movie catalog's cache), stored like the others.
  cache_redis_arn=$(put_secret "$LOCALSTACK_PORT" "$STACK_NAME/cache-redis-url" "redis://127.0.0.1:$CACHE_REDIS_PORT/")

  # The functions' environment: the union of what template.yaml gives each function in AWS,
  # plus every topic ARN the messaging stack output (UserEventsTopicArn -> USER_EVENTS_TOPIC_ARN).
  local topics media_bucket
  # The media bucket (videos, subtitles) the messaging stack created: MEDIA_BUCKET.
  media_bucket=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Messaging.Outputs.MediaBucketName"])' \
    "$STACK_DIR/outputs.json")
  topics=$(python3 -c '
import json, re, sys
for key, value in json.load(open(sys.argv[1])).items():
    name = key.split(".")[-1]
    if name.endswith("TopicArn"):
        print(re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "=" + value)
' "$STACK_DIR/outputs.json")
  # The API reference page (Swagger UI from the npm registry, pinned; no CDN), at /docs/.
  # Optional for the API: without npm or the registry the stack starts without it (the test
  # command's browser step then fails on it).
  bash "$REPO_ROOT/infra/docs/build.sh" "$STACK_DIR/docs" ||
    log "the API reference page could not be built; /docs/ answers 404"
  local gateway=(
    "$STACK_DIR/bin/local-gateway" --template "$REPO_ROOT/template.yaml"
    --listen "127.0.0.1:$API_PORT" --lambda-endpoint "http://127.0.0.1:$LAMBDA_PORT"
    --aws-endpoint "http://127.0.0.1:$LOCALSTACK_PORT" --outputs "$STACK_DIR/outputs.json"
    --mail-outbox "$STACK_DIR/mail.jsonl" --docs-dir "$STACK_DIR/docs" --stack-name "$STACK_NAME"
    # The console at /_local/: the functions' logs, the sagas (MongoDB), the circuits (Redis).
    --logs-dir "$STACK_DIR/logs" --console-mongodb-uri "mongodb://127.0.0.1:$MONGO_PORT/"
    --console-redis-url "redis://127.0.0.1:$REDIS_PORT/"
    --parameter FrontendUrl="$FRONTEND_URL" --parameter CorsAllowedOrigins="$CORS_ALLOWED_ORIGINS"
    --parameter StageName=local --parameter MaxReceiveCount="$MAX_RECEIVE_COUNT"
    # Every secret the template names, by its parameter or resource: the fast mode gives each
    # function only the ones its template entry names, as IAM does in AWS.
    --parameter AuthRedisUrlSecretArn="$redis_arn" --parameter CacheRedisUrlSecretArn="$cache_redis_arn"
    --parameter JwtSigningKeys="$signing_arn" --parameter JwtPublicKeys="$public_arn"
    --parameter RefreshTokenPepper="$pepper_arn" --parameter SmtpPasswordSecretArn=
  )
  # <Service>MongoDbUriSecretArn: users -> UsersMongoDbUriSecretArn (infra/checks expects it).
  for service in "${!mongo_arns[@]}"; do
    gateway+=(--parameter "$(sed -E 's/(^|[-_])([a-z])/\U\2/g' <<<"$service")MongoDbUriSecretArn=${mongo_arns[$service]}")
  done
  # One environment for every function: cargo lambda watch (the default mode) cannot give each
  # its own. So there every function gets every secret, and MONGODB_URI_SECRET_ARN is the users
  # service's (setup steps get their own service's, below). The fast mode drops these
  # *_SECRET_ARN variables and gives each function the ones its template entry names
  # (ARCHITECTURE.md, known limits).
  function_env() {
    export MONGODB_URI_SECRET_ARN="${mongo_arns[users]}" REDIS_URL_SECRET_ARN="$redis_arn"
    export CACHE_REDIS_URL_SECRET_ARN="$cache_redis_arn"
    export JWT_SIGNING_KEYS_SECRET_ARN="$signing_arn" JWT_PUBLIC_KEYS_SECRET_ARN="$public_arn"
    export REFRESH_TOKEN_PEPPER_SECRET_ARN="$pepper_arn"
    export FRONTEND_URL CORS_ALLOWED_ORIGINS MONGODB_DATABASE_PREFIX="${MONGODB_DATABASE_PREFIX:-streamia}"
    export IP_LIMIT_LOGIN IP_LIMIT_REGISTER IP_LIMIT_FORGOT_PASSWORD IP_LIMIT_RESET_PASSWORD
    if [ -n "$SAGA_FAULT" ]; then export SAGA_FAULT; else unset SAGA_FAULT; fi
    # A transient failure's record comes back after 10 s, 20 s, ... (the queues' visibility
    # timeout here; the deployed default is theirs, 180 s).
    export SQS_RETRY_BASE_SECONDS="${SQS_RETRY_BASE_SECONDS:-$VISIBILITY_TIMEOUT}"
    # MAX_RECEIVE_COUNT differs per queue (the favorite alerts' is 10). The fast mode's
    # functions inherit this environment, each under its own literal values from the template
    # (the alerts' "10"); the default mode's one environment for all cannot hold both, so it
    # gets none (it counts no DLQ arrivals).
    if [ -n "${STREAMIA_FAST:-}" ]; then export MAX_RECEIVE_COUNT; else export -n MAX_RECEIVE_COUNT; fi
    export AWS_ENDPOINT_URL="http://127.0.0.1:$LOCALSTACK_PORT" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
    export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
    export SMTP_HOST=127.0.0.1 SMTP_PORT SMTP_TLS=none MAIL_FROM="Streamia <no-reply@streamia.local>"
    export RUST_LOG="${RUST_LOG:-info}" MEDIA_BUCKET="$media_bucket"
    unset JWT_SIGNING_KEYS JWT_PUBLIC_KEYS REFRESH_TOKEN_PEPPER MONGODB_URI REDIS_URL CACHE_REDIS_URL SMTP_PASSWORD
    while IFS= read -r kv; do [ -n "$kv" ] && export "$kv"; done <<<"$topics"
  }

  # The setup step (collections, indexes): a custom resource at deploy in AWS, run here once,
  # each with its own service's MongoDB secret.
  for setup in "$REPO_ROOT"/functions/*/src/bin/*-setup.rs; do
    [ -e "$setup" ] || continue
    service=$(basename "$(dirname "$(dirname "$(dirname "$setup")")")")
    setup=$(basename "$setup" .rs)
    log "running $setup"
    (function_env && MONGODB_URI_SECRET_ARN=${mongo_arns[$service]} exec "$STACK_DIR/bin/$setup") \
      >>"$STACK_DIR/logs/setup.log" 2>&1 || die "$setup failed: $(tail -n 5 "$STACK_DIR/logs/setup.log")"
  done
  # Keep the key set the setup step generated (or kept), so tokens outlive a restart.
  (umask 077 && aws_local "$LOCALSTACK_PORT" secretsmanager get-secret-value --secret-id "$signing_arn" \
    --query SecretString --output text >"$STACK_DIR/jwt-signing-keys.json") \
    || die "could not read the access-token keys back from LocalStack"

  if [ -n "${STREAMIA_FAST:-}" ]; then
    log "starting the gateway (:$API_PORT), running the functions itself ($STREAMIA_INSTANCES instances each)"
  else
    log "starting the functions (cargo lambda watch :$LAMBDA_PORT) and the gateway (:$API_PORT)"
  fi
  (
    function_env
    cd "$REPO_ROOT"
    if [ -n "${STREAMIA_FAST:-}" ]; then
      # The functions inherit this environment from the gateway, as from cargo lambda watch.
      exec "${gateway[@]}" --functions-dir "$STACK_DIR/functions" \
        --instances "$STREAMIA_INSTANCES" >"$STACK_DIR/logs/gateway.log" 2>&1
    fi
    exec "$VENVS/lambda/bin/cargo-lambda" lambda watch --ignore-changes -A 127.0.0.1 -P "$LAMBDA_PORT"
  ) >"$STACK_DIR/logs/functions.log" 2>&1 &
  STREAMIA_PIDS+=($!)
  if [ -z "${STREAMIA_FAST:-}" ]; then
    wait_for "cargo lambda watch" 60 port_open "$LAMBDA_PORT"
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
      "${gateway[@]}" >"$STACK_DIR/logs/gateway.log" 2>&1 &
    STREAMIA_PIDS+=($!)
  fi
  wait_for "the API (GET /api/v1/health)" 120 curl -sf "http://127.0.0.1:$API_PORT/api/v1/health"
}

# invoke_function NAME PAYLOAD_FILE RESULT_FILE: the README's operator command, `aws lambda
# invoke`, against the Lambda Invoke API the gateway serves on $API_PORT (in both modes);
# fails, printing the function's error, when the function does.
invoke_function() {
  local function_error
  function_error=$(AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
    "$VENVS/localstack/bin/aws" --endpoint-url "http://127.0.0.1:$API_PORT" --cli-read-timeout 60 \
    lambda invoke --function-name "$1" --payload "fileb://$2" "$3" --query FunctionError --output text) \
    || { log "aws lambda invoke $1 failed"; return 1; }
  if [ "$function_error" != "None" ]; then
    log "$1 failed ($function_error): $(cat "$3")"
    return 1
  fi
}

# republish_snapshots: every movie's and user's current snapshot published again
# (movies-republish, users-republish: README, "Republishing snapshots"), each function invoked
# until it says it is done. A restarted stack keeps its data (.streamia/): copies a service
# added since then never heard of (favorites, ratings and comments learn movies and usernames
# from events) are built from these; a copy that holds them already takes the same snapshot at
# a newer version.
republish_snapshots() {
  local fn payload answer after done count total previous
  payload=$(mktemp) answer=$(mktemp)
  for fn in movies-republish users-republish; do
    after= total=0 previous=
    while :; do
      if [ -n "$after" ]; then printf '{"after":"%s"}' "$after" >"$payload"; else echo '{}' >"$payload"; fi
      invoke_function "$fn" "$payload" "$answer" &&
        read -r count after done < <(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(int(a["republished"]), a.get("after") or "", "yes" if a["done"] else "no")' "$answer") ||
        { rm -f "$payload" "$answer"; return 1; }
      total=$((total + count))
      [ "$done" = yes ] && break
      # No progress (no item reached before the deadline): stop rather than call again forever.
      [ -n "$after" ] && [ "$after" != "${previous:-}" ] && [ "$count" -gt 0 ] ||
        { log "$fn stopped without progress after $total"; rm -f "$payload" "$answer"; return 1; }
      previous=$after
    done
    log "$fn: $total snapshots republished"
  done
  rm -f "$payload" "$answer"
}

# ensure_admin EMAIL PASSWORD: the local admin account, made the way an operator makes one in
# AWS (no email registers as an admin): registered like any account, then promoted by
# invoking users-set-role through the Lambda Invoke API. Running it again changes nothing but
# the account's sessions (revoked, as by any role change).
ensure_admin() {
  local code
  code=$(curl -s -o "$STACK_DIR/admin.json" -w '%{http_code}' -X POST "http://127.0.0.1:$API_PORT/api/v1/auth/register" \
    -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"email\":\"$1\",\"password\":\"$2\"}")
  case "$code" in
    201) log "registered the account $1" ;;
    409) log "account $1 already exists" ;;
    *) die "could not register the admin account (HTTP $code): $(cat "$STACK_DIR/admin.json")" ;;
  esac
  printf '{"email": "%s", "role": "admin", "operator": "local stack (%s)", "reason": "the local admin account"}' \
    "$1" "$(id -un 2>/dev/null || echo unknown)" >"$STACK_DIR/set-role.json"
  invoke_function users-set-role "$STACK_DIR/set-role.json" "$STACK_DIR/set-role-result.json" \
    || die "could not make $1 an admin (users-set-role)"
  log "$1 is an admin (users-set-role: $(cat "$STACK_DIR/set-role-result.json"))"
}

# seed_movies EMAIL PASSWORD: the sample catalog (infra/local/seed/movies.json), created through
# the API as the admin account (POST /api/v1/movies), each movie once: a title already listed is
# not added again, so every start can run it.
seed_movies() {
  local out
  out=$(python3 "$REPO_ROOT/infra/local/seed_movies.py" "http://127.0.0.1:$API_PORT/api/v1" "$1" "$2") \
    || die "could not seed the sample movies: $out"
  log "$out"
}
