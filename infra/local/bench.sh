#!/usr/bin/env bash
# Benchmarks against the running local stack (start it with infra/local/dev.sh first).
#  1. Load: wrk drives a public route (GET /health) and an authenticated one (GET /users/me)
#     through the local gateway at fixed concurrency: requests/s, p50/p99 latency, errors. Then
#     the catalog: GET /movies/{id} (a cache hit: the movie is read once before) and
#     GET /movies?page=1&limit=20, each printed beside GET /health of the same run (the local
#     gateway's own floor: machines differ, ratios in one run do not) with its goal: one movie
#     >= 80 % of /health's req/s with p99 <= 10 ms, the list >= 50 %, 0 errors. Then the
#     user's content: GET /favorites (20 items) and GET /ratings/movies/{id}, each beside
#     GET /users/me of the same run: >= 90 % of its req/s, p99 <= 15 ms, 0 errors.
#     Then both sagas end to end (bench_saga.py): DELETE /users/me to the "account deleted"
#     email (three hops) and DELETE /movies/{id} to the fan's alert (four hops), goal <= 5 s
#     each, and one hop alone (register -> welcome email).
#     In the fast mode, a soak follows: GET /users/me for BENCH_SOAK_SECONDS (300; 0 skips),
#     every function instance's RSS after the first minute and at the end (goal: within 2 MB).
#  2. Functions: every binary built with the release profile Lambda gets (`sam build`'s, even
#     when the stack runs the fast mode's `fast` profile): size (and zipped size), cold start
#     (process start to first answered invocation through a Lambda Runtime API) and peak memory.
#  3. Memory over traced invocations: each binary serves 50,000 valid events, a new trace id
#     each as from Lambda (password hashing ones: a minute), RSS growth <= 1 MB (bench_runtime.py;
#     ~40 min on 2 cores; BENCH_MEMORY=0 skips it). BENCH_FUNCTIONS=0 skips 2 and 3 (and their
#     release build).
#  4. Build times of both profiles (infra/local/build-times.sh): the workspace's crates rebuilt
#     clean, and after touching one function's binary and its service's lib. Skipped with
#     BENCH_BUILD_TIMES=0 (they take minutes and keep both cores busy).
# Every figure is printed beside the goal for the fast mode (STREAMIA_FAST=1 bash infra/local/dev.sh
# on a 2-core machine), with the shortfall where one is missed. The run's mode comes from the
# running stack's banner variable: pass STREAMIA_FAST=1 here too when benchmarking the fast mode.
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

MODE=${STREAMIA_FAST:+fast}
MODE=${MODE:-default}
# report NAME MIN_RPS MAX_P99_MS [BASELINE_RPS [BASELINE_NAME]], then wrk output on stdin: one
# line, the goals beside it (and, with a baseline, the share of it: "62 % of /health").
report() {
  python3 -c '
import re, sys
name, min_rps, max_p99, text = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.stdin.read()
baseline = float(sys.argv[4]) if len(sys.argv) > 4 else None
base = sys.argv[5] if len(sys.argv) > 5 else "/health"
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
def pct(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % p, text, re.M)
    if not m: return None
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
total = re.search(r"(\d+) requests in", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = int(non2xx.group(1)) if non2xx else 0
if sock: errors += sum(int(x) for x in sock.groups())
r, p50, p99 = float(rps.group(1)) if rps else 0.0, pct(50), pct(99)
missed = []
if r < min_rps: missed.append("req/s %.0f short of %.0f (-%.0f%%)" % (min_rps - r, min_rps, 100 * (min_rps - r) / min_rps))
if max_p99 and (p99 is None or p99 > max_p99): missed.append("p99 %.1f ms over %.0f ms" % ((p99 or 0) - max_p99, max_p99))
if errors: missed.append("%d errors" % errors)
goal = ">= %.0f req/s" % min_rps + (", p99 <= %.0f ms, 0 errors" % max_p99 if max_p99 else "")
if baseline:
    name = "%s (%.0f %% of %s)" % (name, 100 * r / baseline if baseline else 0, base)
    goal = "%.0f %% of %s = " % (100 * min_rps / baseline, base) + goal
print("%-46s %9.0f req/s  p50 %7s  p99 %7s  errors %d/%s   goal %s: %s" % (
    name, r, "%.1f ms" % p50 if p50 is not None else "?", "%.1f ms" % p99 if p99 is not None else "?",
    errors, total.group(1) if total else "?", goal, "MISSED: " + "; ".join(missed) if missed else "met"))
' "$@"
}

log "load: $MODE mode, $CONNECTIONS connections, $DURATION per route (wrk -t2); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
health=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$API/health")
report "GET /health (public)" 3000 0 <<<"$health"
health_rps=$(sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+).*/\1/p' <<<"$health")
me=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$API/users/me")
report "GET /users/me (authorizer)" 1500 15 <<<"$me"
me_rps=$(sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+).*/\1/p' <<<"$me")
# The catalog (the run command seeded it): one movie, read once first so every request hits the
# cache, and the first page of the list; goals relative to /health of this run.
movie=$(curl -sf "$API/movies?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["items"][0]["id"])') \
  || die "no movie to read: the run command seeds the catalog (bash infra/local/dev.sh)"
curl -sf "$API/movies/$movie" >/dev/null
curl -sf "$API/movies?page=1&limit=20" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$API/movies/$movie" |
  report "GET /movies/{id} (cached)" "$(python3 -c "print(0.8 * ${health_rps:-0})")" 10 "${health_rps:-0}"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$API/movies?page=1&limit=20" |
  report "GET /movies?page=1&limit=20" "$(python3 -c "print(0.5 * ${health_rps:-0})")" 0 "${health_rps:-0}"
# The user's content: the bench user's favorites (20 of the seeded catalog, one full page) and
# one movie's public rating stats, each against GET /users/me of this run (an authorized read
# of one service's database): goal >= 90 % of its req/s, p99 <= 15 ms, 0 errors.
movie_ids=$(curl -sf "$API/movies?limit=20&sort=title" | python3 -c 'import json,sys; print(" ".join(m["id"] for m in json.load(sys.stdin)["data"]["items"]))')
[ "$(wc -w <<<"$movie_ids")" -ge 20 ] || die "fewer than 20 movies to favorite: the run command seeds the catalog"
for id in $movie_ids; do
  # The favorites service learns of movies from their events: a seed a moment old may not be
  # there yet (404 with Retry-After).
  for _ in $(seq 30); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/favorites" -H "Authorization: Bearer $token" \
      -H 'content-type: application/json' -d "{\"movieId\":\"$id\",\"note\":\"bench\"}")
    [ "$code" = 201 ] || [ "$code" = 409 ] && break
    sleep 1
  done
  [ "$code" = 201 ] || [ "$code" = 409 ] || die "POST /favorites answered $code"
done
curl -sf -X PUT "$API/ratings/$movie" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"score":4}' >/dev/null || die "PUT /ratings/$movie failed"
curl -sf "$API/favorites?page=1&limit=20" -H "Authorization: Bearer $token" >/dev/null
curl -sf "$API/ratings/movies/$movie" >/dev/null
me_goal=$(python3 -c "print(0.9 * ${me_rps:-0})")
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$API/favorites?page=1&limit=20" |
  report "GET /favorites (20 items)" "$me_goal" 15 "${me_rps:-0}" /users/me
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$API/ratings/movies/$movie" |
  report "GET /ratings/movies/{id}" "$me_goal" 15 "${me_rps:-0}" /users/me
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on this machine share the cores)"

# 1b. The sagas' duration end to end: a user with a favorite, a rating and a comment deletes the
# account, timed to the "account deleted" email; an admin deletes a movie with a fan, timed to
# the fan's alert; and one hop alone (register -> welcome email).
log "sagas: the user- and movie-deletion sagas end to end (bench_saga.py)"
python3 infra/local/bench_saga.py "${API%/api/v1}"

# A long load in the fast mode, where the gateway runs the function binaries itself (one
# process per instance, under $STACK_DIR/functions): every instance's RSS after the first
# minute and at the end. A hot instance serves for hours in AWS, so its memory must stay flat.
SOAK=${BENCH_SOAK_SECONDS:-300}
if [ "$MODE" = fast ] && [ "$SOAK" != 0 ]; then
  rss_of_functions() {
    local pid exe
    for pid in $(pgrep -f "^$STACK_DIR/functions/" || true); do
      exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
      printf '%s %s %s\n' "$pid" "$(basename "$exe")" "$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)"
    done
  }
  log "soak: GET /users/me for $SOAK s (wrk -t2 -c$CONNECTIONS); RSS per function instance after 60 s and at the end"
  soak=$(mktemp -d)
  wrk -t2 -c"$CONNECTIONS" -d"${SOAK}s" --latency -H "Authorization: Bearer $token" "$API/users/me" >"$soak/wrk" &
  wrk_pid=$!
  sleep 60
  rss_of_functions >"$soak/first"
  [ -s "$soak/first" ] || die "soak: no function process under $STACK_DIR/functions (is STACK_DIR the running fast-mode stack's?)"
  wait "$wrk_pid"
  rss_of_functions >"$soak/end"
  report "GET /users/me, ${SOAK} s" 1500 15 <"$soak/wrk"
  python3 - "$soak/first" "$soak/end" <<'PY'
import sys
def read(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            rows[parts[0]] = (parts[1], int(parts[2]))
    return rows
first, end = read(sys.argv[1]), read(sys.argv[2])
# Every instance is listed: the ones the load never reached (another function's, or an instance
# started but idle) show their idle growth, which must be flat too.
print("%-30s %8s %12s %10s %9s   goal: within 2 MB of the RSS after the first minute" % ("instance", "pid", "after 60 s", "at end", "growth"))
for pid, (name, rss) in sorted(first.items(), key=lambda kv: kv[1][0]):
    if pid not in end:
        print("%-30s %8s %9.1f MB %10s" % (name, pid, rss / 1024, "(gone)"))
        continue
    growth = (end[pid][1] - rss) / 1024
    print("%-30s %8s %9.1f MB %7.1f MB %+6.2f MB   %s" % (name, pid, rss / 1024, end[pid][1] / 1024, growth,
          "met" if growth <= 2 else "MISSED: +%.2f MB over" % (growth - 2)))
PY
  rm -rf "$soak"
fi

# Sections 2 and 3 need the release build (fat LTO: the longest step when anything changed);
# BENCH_FUNCTIONS=0 skips them (the block below is not indented: it holds a here-document).
if [ "${BENCH_FUNCTIONS:-1}" != 0 ]; then
log "release build of every function (the profile Lambda ships, whatever the stack runs)"
cargo build --release --workspace --bins --locked
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
# A browser's preflight from one of the local origins (api-preflight gets them below).
sed -e 's#"GET"#"OPTIONS"#g' -e 's#"headers":{}#"headers":{"origin":"http://localhost:5173","access-control-request-method":"PUT"}#' \
  "$events/http.json" >"$events/preflight.json"

printf '\n%-30s %8s %8s %11s %10s %9s   %s\n' function size zipped "cold start" "peak RSS" "warm RSS" \
  "goals: cold start (init + first invocation) <= 15 ms, peak RSS <= 32 MB, zipped <= 4 MB"
(
  # Secrets come from the dev stack's LocalStack (Secrets Manager takes a name for an ARN);
  # each service's functions get its own MongoDB secret (bench_runtime.py does the same).
  export MONGODB_URI_SECRET_ARN=streamia-local/users/mongodb-uri REDIS_URL_SECRET_ARN=streamia-local/auth-redis-url
  export BENCH_NOTIFICATIONS_MONGODB_URI_SECRET_ARN=streamia-local/notifications/mongodb-uri
  export JWT_SIGNING_KEYS_SECRET_ARN=streamia-local/jwt-signing-keys JWT_PUBLIC_KEYS_SECRET_ARN=streamia-local/jwt-public-keys
  export REFRESH_TOKEN_PEPPER_SECRET_ARN=streamia-local/refresh-token-pepper MONGODB_DATABASE_PREFIX=streamia_bench
  # Publishers and the relay need a topic; the bench database's outbox is empty, so nothing
  # is published to it.
  export USER_EVENTS_TOPIC_ARN=arn:aws:sns:us-east-1:000000000000:bench-unused
  export AWS_ENDPOINT_URL="http://127.0.0.1:${LOCALSTACK_PORT:-4566}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export AWS_DEFAULT_REGION=us-east-1 SMTP_HOST=127.0.0.1 SMTP_PORT=${SMTP_PORT:-1025} SMTP_TLS=none RUST_LOG=warn
  for src in functions/*/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    bin=$CARGO_TARGET_DIR/release/$name
    case "$name" in
      *-setup) continue ;; # runs at deploy, not per request
      authorizer) event=$events/authorizer.json ;;
      api-preflight) event=$events/preflight.json ;;
      *-on-*) event=$events/sqs.json ;;
      *) event=$events/http.json ;;
    esac
    size=$(stat -c %s "$bin")
    zipped=$(python3 -c 'import io,sys,zipfile; b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$bin")
    mongo_secret=$MONGODB_URI_SECRET_ARN
    case "$name" in notifications-*) mongo_secret=$BENCH_NOTIFICATIONS_MONGODB_URI_SECRET_ARN ;; esac
    MONGODB_URI_SECRET_ARN=$mongo_secret CORS_ALLOWED_ORIGINS=http://localhost:5173,http://127.0.0.1:5173 \
      python3 infra/local/bench_runtime.py "$bin" "$event" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); size, zipped = int(sys.argv[1]), int(sys.argv[2])
cold, peak, warm = r["cold_start_ms"], r["peak_rss_kb"] / 1024, (r.get("warm_rss_kb") or 0) / 1024
missed = []
if cold is None or cold > 15: missed.append("cold start +%.1f ms" % ((cold or 0) - 15) if cold else "no answer")
if peak > 32: missed.append("peak RSS +%.1f MB" % (peak - 32))
if zipped / 1e6 > 4: missed.append("zipped +%.2f MB" % (zipped / 1e6 - 4))
print("%-30s %5.1f MB %5.1f MB %8s ms %7.1f MB %6.1f MB   %s" % (r["binary"], size/1e6, zipped/1e6, cold, peak, warm,
      "MISSED: " + "; ".join(missed) if missed else "met"))
' "$size" "$zipped"
  done
  if [ "${BENCH_MEMORY:-1}" != 0 ]; then
    echo && python3 infra/local/bench_runtime.py --memory "$CARGO_TARGET_DIR/release"
  fi
)
fi

if [ "${BENCH_BUILD_TIMES:-1}" != 0 ]; then
  printf '\n'
  log "build times (release: what sam build deploys; fast: the fast mode's)"
  bash infra/local/build-times.sh release fast
fi
