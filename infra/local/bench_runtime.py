"""Lambda function binaries measured the way Lambda runs them: behind a Lambda Runtime API.

Two measurements, both serving a minimal Runtime API (the HTTP interface every custom runtime
polls) and starting the binary with AWS_LAMBDA_RUNTIME_API pointing at it:

  bench_runtime.py BINARY EVENT_JSON_FILE
      Cold start: hands the binary one event and reports the time from process start to the
      answered invocation, the process's peak RSS (VmHWM) and its RSS once warm (VmRSS after
      the invocation). Prints one JSON line:
      {"binary", "cold_start_ms", "peak_rss_kb", "warm_rss_kb", "outcome"}

  bench_runtime.py --memory BIN_DIR [FUNCTION...]
      Memory over traced invocations: runs every function of functions/*/src/bin (or those
      named) for BENCH_INVOCATIONS (50000) invocations of a valid event for that function,
      each with a new Lambda-Runtime-Trace-Id as Lambda sends one with every invocation.
      Functions that hash passwords (argon2: ~0.1-0.3 s each), and the operator's tools
      users-set-role (a transaction each) and users-rotate-keys (Secrets Manager calls, on
      copies of the key secrets), run as many as fit in BENCH_HASH_SECONDS (60) instead. Prints, per function, the answers it gave, its RSS after
      the warm-up (the first 2%, at least 10 invocations) and at the end, and the growth
      between them beside the goal: under 1 MB. The events (`Bench.source`) take each
      function's successful path; where that needs a MongoDB transaction (SecantusDB serves
      about ten a second), every 50th invocation takes it and the others a path without one (a
      redelivered event, a refused username, a retried refresh), as the answers column shows.
      A whole run takes about 40 minutes on two cores.
      BENCH_TRACE=none sends no trace id and BENCH_TRACE=same one trace id for all: with
      lambda_runtime's own loop only a new id per invocation made the process grow (glibc
      keeps every value setenv allocated; ARCHITECTURE.md, known limits).
      The functions get the environment this script runs in (bench.sh exports the stack's
      secrets, AWS endpoint and SMTP sink), in their own database (MONGODB_DATABASE_PREFIX,
      prepared with users-setup) and a topic of their own with no subscriber
      (USER_EVENTS_TOPIC_ARN, created in the stack's LocalStack at AWS_ENDPOINT_URL).
"""

import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
}


def proc_status(pid):
    """(VmRSS, VmHWM) of a process in kB, or (None, None) where /proc is missing."""
    try:
        status = open(f"/proc/{pid}/status").read()
        rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
        hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))
        return rss, hwm
    except (OSError, AttributeError):
        return None, None


# ------------------------------------------------------------------------------------------
# Cold start: one invocation.


def cold_start(binary, event_file):
    event = open(event_file, "rb").read()
    request_id = str(uuid.uuid4())
    done = threading.Event()
    result = {}
    served = threading.Event()
    stop = threading.Event()

    class Runtime(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith("/invocation/next"):
                if served.is_set():
                    # The warm instance polls again: hold it (as Lambda freezes it) until measured.
                    stop.wait(30)
                    self.send_response(500)
                    self.end_headers()
                    return
                served.set()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(event)))
                self.end_headers()
                self.wfile.write(event)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            result["outcome"] = "error" if "/error" in self.path else "response"
            result["body"] = body.decode("utf-8", "replace")[:200]
            result["at"] = time.monotonic()
            self.send_response(202)
            self.end_headers()
            done.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env.update(LAMBDA_ENV)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(binary),
    })
    started = time.monotonic()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = done.wait(30)
    time.sleep(0.2)
    # VmHWM is the function's own peak (reset at exec). getrusage's ru_maxrss for a child also
    # counts the pages it shared with this Python process between fork and exec (~20 MB here),
    # so it is only the fallback where /proc is missing.
    rss, hwm = proc_status(proc.pid)
    stop.set()
    proc.terminate()
    proc.wait()
    peak = hwm if hwm is not None else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    server.shutdown()
    print(json.dumps({
        "binary": os.path.basename(binary),
        "cold_start_ms": round((result["at"] - started) * 1000, 1) if ok else None,
        "peak_rss_kb": peak,
        "warm_rss_kb": rss,
        "outcome": result.get("outcome", "timeout"),
    }))


# ------------------------------------------------------------------------------------------
# Memory: many traced invocations.

PASSWORD = "Bench1234"
OTHER_PASSWORD = "Bench1234x"
# Functions whose successful answer needs a MongoDB transaction do it every EVERY-th invocation.
EVERY = 50
HASHING = {"users-register", "users-login", "users-change-password", "users-delete-me", "users-reset-password"}
# Run for a minute as well: the operator's tools (no route): users-set-role (each invocation a
# MongoDB transaction and a session revocation: SecantusDB serves about ten transactions a
# second) and users-rotate-keys (each a read of both key secrets, the first a write too).
TIMED = HASHING | {"users-set-role", "users-rotate-keys"}


def api_event(method, path, body=None, caller=None):
    """An API Gateway REST proxy event for /api/v1{path}, signed in as `caller` when given."""
    context = {"resourcePath": f"/api/v1{path}", "httpMethod": method, "requestId": str(uuid.uuid4()),
               "stage": "local", "identity": {"sourceIp": "127.0.0.1"}, "requestTimeEpoch": int(time.time() * 1000)}
    if caller:
        context["authorizer"] = {
            "userId": caller["id"], "email": caller["email"], "role": "user",
            "tokenId": caller.get("jti") or str(uuid.uuid4()), "sessionId": caller.get("sid") or str(uuid.uuid4()),
            "expiresAt": str(int(time.time()) + 900)}
    headers = {"content-type": "application/json"} if body is not None else {}
    return {"resource": f"/api/v1{path}", "path": f"/api/v1{path}", "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
            "requestContext": context, "body": json.dumps(body) if body is not None else None,
            "isBase64Encoded": False}


def envelope(name, payload, aggregate):
    return {"eventId": str(uuid.uuid4()), "eventName": name,
            "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "correlationId": str(uuid.uuid4()), "source": "users", "version": 1,
            "aggregateId": aggregate, "aggregateVersion": 1, "payload": payload}


def jwt_claims(token):
    """The claims of a JWT (no verification: the bench only reads its own tokens)."""
    import base64
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Bench:
    """What the functions' events need, filled in as the run goes: users registered by
    users-register, their tokens, reset tokens."""

    def __init__(self):
        self.run = uuid.uuid4().hex[:8]
        self.users = []

    def user(self, i):
        return self.users[i % len(self.users)] if self.users else {"id": "0" * 24, "email": "nobody@example.com"}

    def env(self, name):
        """What a function's environment has of its own."""
        own = os.environ.get("BENCH_NOTIFICATIONS_MONGODB_URI_SECRET_ARN")
        if name.startswith("notifications-") and own:
            # Each service its own MongoDB secret (bench.sh exports the users one for the rest).
            return {"MONGODB_URI_SECRET_ARN": own}
        if name.endswith("-outbox-relay"):
            # Its service's outbox keeps every sent row, which SecantusDB scans on each run
            # (~14 runs/s after the other functions' events): the relay gets an empty database,
            # the steady state when every commit's flush published its events.
            return {"MONGODB_DATABASE_PREFIX": os.environ.get("MONGODB_DATABASE_PREFIX", "streamia") + "_relay"}
        if name == "api-preflight":
            # The local stack's two origins, so half the preflights name one.
            return {"CORS_ALLOWED_ORIGINS": "http://localhost:5173,http://127.0.0.1:5173"}
        if name == "users-rotate-keys":
            # Copies of the stack's key secrets: the staged key stays in the bench's copy.
            return {var: secret_copy(os.environ.get(var, ""), f"streamia-bench-{self.run}/{var.lower()}")
                    for var in ("JWT_SIGNING_KEYS_SECRET_ARN", "JWT_PUBLIC_KEYS_SECRET_ARN")}
        return {}

    def source(self, name):
        """(event for invocation i, what to do with its answer) for function `name`."""
        ignore = lambda i, answer: None
        if name == "authorizer":
            return lambda i: {"type": "TOKEN", "authorizationToken": f"Bearer {self.user(0).get('access', 'none')}",
                              "methodArn": "arn:aws:execute-api:us-east-1:0:api/local/GET/api/v1/users/me"}, ignore
        if name.endswith("-outbox-relay"):
            return lambda i: {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                              "source": "aws.events", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "resources": [], "detail": {}}, ignore
        if "-on-" in name:
            # A new event every EVERY-th delivery (its email is sent), else the last one again:
            # SQS delivers at least once, and the inbox acknowledges a redelivery without
            # acting (a new event each time runs a MongoDB transaction: ~10/s on SecantusDB).
            last = {}

            def batch(i):
                if i % EVERY == 0 or "body" not in last:
                    u = self.user(i // EVERY)
                    last["body"] = envelope("user.registered", {
                        "userId": u["id"], "email": u["email"], "username": u.get("username", "bench"),
                        "firstName": "Bench"}, u["id"])
                body = last["body"]
                return {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "bench", "body": json.dumps(body),
                                     "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                                     "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:bench", "awsRegion": "us-east-1"}]}
            return batch, ignore
        if name == "users-register":
            def register(i):
                return api_event("POST", "/auth/register", {
                    "username": f"b{self.run}{i}", "email": f"b{self.run}{i}@example.com", "password": PASSWORD})

            def registered(i, answer):
                data = answer.get("data") or {}
                if "accessToken" in data:
                    claims = jwt_claims(data["accessToken"])
                    self.users.append({"id": data["user"]["id"], "email": data["user"]["email"],
                                       "username": data["user"]["username"], "access": data["accessToken"],
                                       "refresh": data["refreshToken"], "jti": claims.get("jti"), "sid": claims.get("sid")})
            return register, registered
        if name == "users-login":
            # The users whose password nothing else changes (deleted only at the end).
            return lambda i: api_event("POST", "/auth/login", {"email": self.user(4 + i)["email"], "password": PASSWORD}), ignore
        if name == "users-get-me":
            return lambda i: api_event("GET", "/users/me", caller=self.user(0)), ignore
        if name == "users-update-me":
            # A change every EVERY-th time (200: a MongoDB transaction, ~10/s on SecantusDB);
            # otherwise another user's username, refused after the lookup (409).
            def update(i):
                change = {"firstName": f"Bench{i}"} if i % EVERY == 0 else {"username": self.user(1).get("username", "taken")}
                return api_event("PUT", "/users/me", change, caller=self.user(0))
            return update, ignore
        if name == "users-refresh":
            # As a client that retries: a spent refresh token presented again within the grace
            # window gets the same successor (200, reads only); every 20 s the successor is
            # presented and rotated (200, a transaction).
            chain = {"current": self.user(1).get("refresh", "none"), "spent": None, "at": 0.0, "sent": None}

            def refresh(i):
                retry = chain["spent"] and time.monotonic() - chain["at"] < 20
                chain["sent"] = "spent" if retry else "current"
                return api_event("POST", "/auth/refresh", {"refreshToken": chain[chain["sent"]]})

            def refreshed(i, answer):
                token = (answer.get("data") or {}).get("refreshToken")
                if token and chain["sent"] == "current":
                    chain.update(spent=chain["current"], current=token, at=time.monotonic())
            return refresh, refreshed
        if name == "users-logout":
            # A new access token (and session) every time: each logout revokes one.
            return lambda i: api_event("POST", "/auth/logout", caller={**self.user(0), "jti": None, "sid": None}), ignore
        if name == "users-forgot-password":
            # Registered users in turn: each gets its hourly number of links (a transaction),
            # later requests only count (202 either way).
            return lambda i: api_event("POST", "/auth/forgot-password", {"email": self.user(4 + i)["email"]}), ignore
        if name == "users-reset-password":
            # Reset tokens reach users only by email; a token nobody issued is refused (400)
            # after the same lookup, without hashing the new password.
            return lambda i: api_event("POST", "/auth/reset-password", {"token": uuid.uuid4().hex, "password": OTHER_PASSWORD}), ignore
        if name == "users-change-password":
            # One user's password goes back and forth: each change verifies and hashes.
            def change(i):
                old, new = (PASSWORD, OTHER_PASSWORD) if i % 2 == 0 else (OTHER_PASSWORD, PASSWORD)
                return api_event("PUT", "/users/me/password", {"currentPassword": old, "newPassword": new}, caller=self.user(2))
            return change, ignore
        if name == "users-set-role":
            # An operator setting the role one user already has (the audit record, the event
            # and the session revocation every time, as an idempotent retry does).
            return lambda i: {"email": self.user(3)["email"], "role": "user", "operator": "bench",
                              "reason": "memory benchmark"}, ignore
        if name == "users-rotate-keys":
            # The first stages a key (both secrets written); the rest find it staged and change
            # nothing, as an operator's retried step does.
            return lambda i: {"step": "stage"}, ignore
        if name == "users-delete-me":
            # A different registered user each time (the first four serve the other functions).
            return lambda i: api_event("DELETE", "/users/me", {"password": PASSWORD},
                                       caller=self.user(4 + i % max(1, len(self.users) - 4))), ignore
        if name == "api-preflight":
            # A browser's preflight, from an allowed origin every other time.
            def preflight(i):
                event = api_event("OPTIONS", "/users/me")
                origin = "http://localhost:5173" if i % 2 == 0 else "https://elsewhere.example"
                event["headers"] = {"origin": origin, "access-control-request-method": "PUT"}
                event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
                return event
            return preflight, ignore
        return lambda i: api_event("GET", "/health"), ignore


def outcome_of(name, kind, body):
    """A short word for one answer: the HTTP status, the authorizer's effect, failed records."""
    if kind != "response":
        return "error"
    try:
        answer = json.loads(body)
    except ValueError:
        return "unreadable"
    if isinstance(answer, dict):
        if "statusCode" in answer:
            return str(answer["statusCode"])
        if "policyDocument" in answer:
            return answer["policyDocument"]["Statement"][0]["Effect"]
        if "batchItemFailures" in answer:
            return "ok" if not answer["batchItemFailures"] else "failed records"
    return "ok"


class RuntimeApi:
    """A Runtime API serving one function instance the invocations of a `Run`, over
    keep-alive HTTP/1.1 (as Lambda's), fast enough that the function, not the API, is measured."""

    def __init__(self):
        self.run = None
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self.connection, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def connection(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path = line.decode().split(" ")[:2]
                length = 0
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    key, _, value = header.decode().partition(":")
                    if key.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                if method == "GET" and path.endswith("/invocation/next"):
                    headers, payload = await self.run.next()
                    status = "200 OK"
                else:
                    parts = path.split("/")  # /2018-06-01/runtime/invocation/<id>/<response|error>
                    self.run.finished(parts[4] if len(parts) > 5 else "", parts[-1], body)
                    headers, payload, status = {}, b"", "202 Accepted"
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


class Run:
    """One function instance's invocations: events from `source`, answers counted, RSS read
    after the warm-up and at the end."""

    def __init__(self, name, source, limit, seconds, trace):
        self.name, (self.event, self.answered) = name, source
        self.limit, self.seconds, self.trace = limit, seconds, trace
        self.sent = self.done = 0
        self.outcomes = {}
        self.warmup = max(10, limit // 50) if limit else 10
        self.rss_warm = self.rss_end = None
        self.pid = None
        self.started = None
        self.finished_at = None
        self.over = asyncio.Event()
        self.hold = asyncio.Event()
        self.pending = {}

    def time_up(self):
        return self.seconds and self.started and time.monotonic() - self.started >= self.seconds

    async def next(self):
        if (self.limit and self.sent >= self.limit) or self.time_up():
            self.over.set()
            await self.hold.wait()  # As Lambda freezes an idle instance: measured, then killed.
            raise ConnectionError
        if self.started is None:
            self.started = time.monotonic()
        i = self.sent
        self.sent += 1
        request_id = str(uuid.uuid4())
        self.pending[request_id] = i
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
            "Lambda-Runtime-Invoked-Function-Arn": f"arn:aws:lambda:us-east-1:000000000000:function:{self.name}",
            "Content-Type": "application/json",
        }
        if self.trace == "new":
            headers["Lambda-Runtime-Trace-Id"] = (f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
                                                  f"Parent={uuid.uuid4().hex[:16]};Sampled=0")
        elif self.trace == "same":
            headers["Lambda-Runtime-Trace-Id"] = "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"
        return headers, json.dumps(self.event(i)).encode()

    def finished(self, request_id, kind, body):
        i = self.pending.pop(request_id, None)
        if i is None:
            return
        outcome = outcome_of(self.name, kind, body)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if kind == "response":
            try:
                answer = json.loads(body)
                if isinstance(answer, dict) and isinstance(answer.get("body"), str):
                    answer = json.loads(answer["body"])
                self.answered(i, answer if isinstance(answer, dict) else {})
            except ValueError:
                pass
        self.done += 1
        if self.done == self.warmup:
            self.rss_warm = proc_status(self.pid)[0]
        self.rss_end = proc_status(self.pid)[0]
        self.finished_at = time.monotonic()


async def soak(api, binary, name, bench, limit, seconds, trace, log_dir):
    run = Run(name, bench.source(name), limit, seconds, trace)
    api.run = run
    env = dict(os.environ)
    env.update(LAMBDA_ENV)
    env.update({"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.port}", "AWS_LAMBDA_FUNCTION_NAME": name,
                # Every line a function logs in production (one per request or batch, at least).
                "RUST_LOG": os.environ.get("BENCH_RUST_LOG", "info")})
    env.update(bench.env(name))
    log = open(os.path.join(log_dir, f"{name}.log"), "wb")
    proc = await asyncio.create_subprocess_exec(binary, env=env, stdout=log, stderr=subprocess.STDOUT)
    run.pid = proc.pid
    exited = asyncio.ensure_future(proc.wait())
    stalled_since, last_done = time.monotonic(), 0
    while not run.over.is_set() and not exited.done():
        await asyncio.sleep(0.2)
        if run.done != last_done:
            stalled_since, last_done = time.monotonic(), run.done
        elif time.monotonic() - stalled_since > 30:
            break  # no answer for 30 s: report what was done
    await asyncio.sleep(0.1)
    if not exited.done():
        run.rss_end = proc_status(proc.pid)[0] or run.rss_end
        proc.terminate()
    await exited
    run.hold.set()
    log.close()
    elapsed = (run.finished_at or time.monotonic()) - (run.started or time.monotonic())
    return run, elapsed


def local_topic(name):
    """A topic with no subscriber in the LocalStack at AWS_ENDPOINT_URL (created if needed);
    its ARN, or None when LocalStack is not there."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return None
    data = urllib.parse.urlencode({"Action": "CreateTopic", "Name": name, "Version": "2010-03-31"}).encode()
    request = urllib.request.Request(endpoint, data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        # LocalStack reads the region from the credential scope and does not check the signature.
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0"})
    try:
        answer = urllib.request.urlopen(request, timeout=10).read().decode()
    except OSError:
        return None
    found = re.search(r"<TopicArn>([^<]+)</TopicArn>", answer)
    return found.group(1) if found else None


def secrets_manager(action, body):
    """One Secrets Manager call to the LocalStack at AWS_ENDPOINT_URL: its answer, or None."""
    request = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"], data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"secretsmanager.{action}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/secretsmanager/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        return json.loads(urllib.request.urlopen(request, timeout=10).read() or b"{}")
    except (OSError, ValueError):
        return None


def secret_copy(source, name):
    """The ARN of a new secret `name` holding secret `source`'s value (`source` itself when
    there is no LocalStack or no such secret: the function then reports what it finds)."""
    if not source or not os.environ.get("AWS_ENDPOINT_URL"):
        return source
    value = secrets_manager("GetSecretValue", {"SecretId": source})
    if not value or "SecretString" not in value:
        return source
    created = secrets_manager("CreateSecret", {"Name": name, "SecretString": value["SecretString"]})
    return created["ARN"] if created and "ARN" in created else source


def functions(repo):
    names = []
    for service in sorted(os.listdir(os.path.join(repo, "functions"))):
        bins = os.path.join(repo, "functions", service, "src", "bin")
        if os.path.isdir(bins):
            names += [f[:-3] for f in sorted(os.listdir(bins)) if f.endswith(".rs") and not f.endswith("-setup.rs")]
    # Registered users come first (the other functions' events are theirs), their deletion last.
    return sorted(names, key=lambda n: (n != "users-register", n == "users-delete-me", n))


def memory(bin_dir, only):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    limit = int(os.environ.get("BENCH_INVOCATIONS", "50000"))
    seconds = int(os.environ.get("BENCH_HASH_SECONDS", "60"))
    trace = os.environ.get("BENCH_TRACE", "new")
    topic = local_topic("streamia-bench-memory")
    if topic:
        os.environ["USER_EVENTS_TOPIC_ARN"] = topic
    setup = os.path.join(bin_dir, "users-setup")
    if os.path.exists(setup):
        subprocess.run([setup], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    names = functions(repo)
    if only:
        # Named functions still need users: users-register runs first (for a few seconds)
        # whenever another function is named without it.
        names = [n for n in names if n in only or (n == "users-register" and "users-register" not in only)]
    bench = Bench()
    print("%-28s %11s  %-28s %9s %9s %9s %8s   %s" % (
        "function", "invocations", "answers", "RSS warm", "RSS end", "growth", "per inv",
        f"goal: growth < 1 MB ({trace} trace id per invocation; numbers from a shared, loaded machine)"))

    async def main():
        api = RuntimeApi()
        api.port = await api.start()
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as log_dir:
            for name in names:
                binary = os.path.join(bin_dir, name)
                helper = only and name not in only
                if not os.path.exists(binary):
                    if not helper:
                        print(f"{name:<28} not built ({binary})")
                    continue
                hashing = name in TIMED
                run, elapsed = await soak(api, binary, name, bench,
                                          0 if hashing else limit, 5 if helper else seconds if hashing else 0,
                                          trace, log_dir)
                if helper:
                    continue
                log = os.path.join(log_dir, f"{name}.log")
                report(run, elapsed, hashing, seconds, log)
                os.remove(log)
    asyncio.run(main())


def report(run, elapsed, hashing, seconds, log_path):
    answers = ", ".join(f"{k}x{v}" for k, v in sorted(run.outcomes.items(), key=lambda kv: -kv[1]))
    label = run.name + (f" ({seconds} s)" if hashing else "")
    mb = lambda kb: "%.1f MB" % (kb / 1024) if kb is not None else "?"
    missed = []
    growth = per = None
    if run.rss_warm is not None and run.rss_end is not None:
        growth = run.rss_end - run.rss_warm
        measured = run.done - run.warmup
        per = growth * 1024 / measured if measured > 0 else None
        if growth >= 1024:
            missed.append("grew %.1f MB" % (growth / 1024))
    else:
        missed.append("no RSS after warm-up")
    if not hashing and run.done < run.limit:
        missed.append(f"only {run.done} of {run.limit} invocations")
    if run.outcomes.get("error"):
        missed.append("invocation errors")
    print("%-28s %11d  %-28s %9s %9s %9s %8s   %s" % (
        label, run.done, answers[:28], mb(run.rss_warm), mb(run.rss_end),
        ("%+.2f MB" % (growth / 1024)) if growth is not None else "?",
        ("%.0f B" % per) if per is not None else "?",
        ("MISSED: " + "; ".join(missed)) if missed else "met (%.0f inv/s)" % (run.done / elapsed if elapsed else 0)))
    if missed:
        try:
            tail = open(log_path, "rb").read().decode("utf-8", "replace").strip().splitlines()[-2:]
            for line in tail:
                print("    " + line[:300])
        except OSError:
            pass
    sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--memory":
        memory(sys.argv[2], set(sys.argv[3:]))
    elif len(sys.argv) == 3:
        cold_start(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
