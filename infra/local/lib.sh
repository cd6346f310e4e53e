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

# start_redis PORT LOG
start_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save "" --appendonly no --daemonize no >"$2" 2>&1 &
  STREAMIA_PIDS+=($!)
}

# start_localstack PORT DATA_DIR LOG: LocalStack on the host (SNS, SQS, CloudFormation).
start_localstack() {
  mkdir -p "$2"
  GATEWAY_LISTEN=127.0.0.1:$1 LOCALSTACK_HOST=127.0.0.1:$1 DISABLE_EVENTS=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 DNS_ADDRESS=0 SQS_ENDPOINT_STRATEGY=path \
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
