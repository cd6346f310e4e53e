"""CORS and a web client's journey checked where they happen: in a real browser (headless
Chromium).

Serves page.html and app.html from a port of its own, so the pages' origin differs from the
API's, and opens them over the DevTools protocol:

- page.html from http://127.0.0.1:PORT, which the stack under test allows (second in
  CORS_ALLOWED_ORIGINS, so the preflight must name it, not just the first): the page
  registers, logs in and reads data.accessToken, the x-correlation-id header and API Gateway's
  own 401; every step must succeed;
- page.html from http://localhost:PORT, the same server under another origin, which the stack
  does not allow: every function's answer must stay unreadable (the fetch rejects) and the
  preflighted registration must never reach the API; API Gateway's own 401, which carries no
  data, names any origin (template.yaml, GatewayResponses) and is readable;
- upload.html from the allowed origin: the local admin creates a movie and asks for a signed
  upload through the API; the page posts a small file straight to the presigned S3 URL (the
  bucket's CORS allows the origin), the admin confirms it through the API, and the page reads
  two bytes back through the signed playback URL with a Range request (206), as <video> does;
- app.html from the allowed origin: a Spanish client written to the README's porting guide
  registers with Accept-Language: es, shows the Spanish validation message of `details`
  (checked here against the catalogue's text), logs in, reloads and restores the user with
  GET /users/me, refreshes (one refresh for two calls) and logs out.

- /docs/ on the API's host: the API reference page renders every operation of
  infra/openapi.yaml with the renderer the stack serves, fetching nothing from elsewhere;
- /_local/ on the API's host: the local console shows a sign-up among the recent requests,
  its correlation id's functions, the emails, queues, circuits and metrics, and its Redrive
  button moves a dead letter back to its queue.

Usage: python run.py --api http://127.0.0.1:3000/api/v1 --port PORT --out DIR --aws-endpoint URL
Writes DIR/allowed.png, DIR/blocked.png, DIR/journey.png, DIR/upload.png, DIR/playback.png,
DIR/docs.png, DIR/console.png (and console-loaded.png) and DIR/chromium.log; exits 1 on any
failed check.
"""

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
# The flags this kind of machine needs (no GPU, no sandbox as root, no calls home).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=900,700",
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_pages(port):
    handler = functools.partial(Quiet, directory=HERE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Browser:
    """One headless Chromium with a fresh profile, driven over the DevTools protocol."""

    def __init__(self, out_dir):
        self.profile = tempfile.mkdtemp(prefix="streamia-chromium-")
        self.log = open(os.path.join(out_dir, "chromium.log"), "w")
        binary = shutil.which("chromium") or sys.exit("chromium is not installed")
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                sys.exit("chromium did not open its DevTools port (see chromium.log)")
            time.sleep(0.1)
        devtools_port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def run_page(self, url, screenshot, timeout=30):
        """Opens url, waits for the page to publish window.__result, saves a screenshot."""
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        deadline = time.time() + timeout
        result = None
        # Only this page's result: until the navigation commits, the previous page (and its
        # window.__result) may still be the one evaluated.
        expression = (f"JSON.stringify(location.href === new URL({json.dumps(url)}).href"
                      " ? (window.__result || null) : null)")
        while time.time() < deadline:
            try:
                value = self.send("Runtime.evaluate", expression=expression,
                                  returnByValue=True)["result"].get("value")
            except RuntimeError:
                value = None  # the page is reloading: no context to evaluate in for a moment
            result = json.loads(value) if value else None
            if result:
                break
            time.sleep(0.2)
        shot = self.send("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return result or {"ok": False, "error": f"no result within {timeout}s", "url": url}

    def wait_for(self, url, expression, done, screenshot, timeout=30):
        """Opens url and evaluates expression until done(value) holds (or the timeout), then
        saves a screenshot; returns the last value."""
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        value = self.poll(expression, done, timeout)
        time.sleep(0.5)  # the last layout pass before the picture
        shot = self.send("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return value

    def poll(self, expression, done, timeout=30):
        """Evaluates expression on the open page until done(value) holds (or the timeout);
        returns the last value."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.send("Runtime.evaluate", expression=expression,
                                  returnByValue=True)["result"].get("value")
            except RuntimeError:
                value = None
            if value is not None and done(value):
                break
            time.sleep(0.2)
        return value

    def screenshot(self, path):
        """The whole page (not only the window), for a person to look at."""
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
        self.log.close()


def login_status(api, email, password):
    request = urllib.request.Request(
        f"{api}/auth/login", method="POST",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


# The password app.html first registers with, and what the catalogue says of it in Spanish
# (shared/src/i18n/es.rs, field.password_length): the page must show exactly this.
BAD_PASSWORD = "corta"
SPANISH_PASSWORD_LENGTH = "debe tener entre 8 y 128 caracteres"


def journey(browser, args, origin):
    """Runs app.html from the allowed origin; returns its failures."""
    email = f"j-{uuid.uuid4().hex[:10]}@browser.test"
    query = urllib.parse.urlencode({"api": args.api, "email": email, "badPassword": BAD_PASSWORD})
    result = browser.run_page(f"{origin}/app.html?{query}", os.path.join(args.out, "journey.png"), timeout=60)
    for step in result.get("steps", []):
        print(f"  {'ok  ' if step['ok'] else 'FAIL'} {origin} journey: {step['name']}: {json.dumps(step['detail'], ensure_ascii=False)}")
    failures = []
    if not result.get("ok"):
        failures.append(f"journey page ({origin}): {result.get('error') or 'a step failed'}")
    steps = result.get("steps") or [{}]
    shown = steps[0].get("detail", {}).get("passwordError")
    if shown != SPANISH_PASSWORD_LENGTH:
        failures.append(f"journey page showed {shown!r} for the password, expected {SPANISH_PASSWORD_LENGTH!r}")
    return failures


def api_call(api, method, path, body=None, token=None):
    """One JSON call to the API: (status, body)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{api}{path}", method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def upload(browser, args, origin):
    """Runs upload.html from the allowed origin; returns its failures."""
    password = os.environ.get("STREAMIA_ADMIN_PASSWORD", "StreamiaAdmin1!")
    status, body = api_call(args.api, "POST", "/auth/login",
                            {"email": "admin@streamia.local", "password": password})
    if status != 200:
        return [f"upload: the local admin could not log in ({status}: {body})"]
    token = body["data"]["accessToken"]
    status, body = api_call(args.api, "POST", "/movies",
                            {"title": f"Browser upload {uuid.uuid4().hex[:8]}", "category": "test",
                             "duration": 60}, token)
    if status != 201:
        return [f"upload: creating a movie answered {status}: {body}"]
    movie = body["data"]["id"]
    size = 4096
    status, body = api_call(args.api, "POST", f"/movies/{movie}/video/upload-url",
                            {"fileName": "clip.mp4", "contentType": "video/mp4", "sizeBytes": size}, token)
    if status != 200:
        return [f"upload: upload-url answered {status}: {body}"]
    signed = body["data"]
    failures = []
    query = urllib.parse.urlencode({"upload": json.dumps(signed), "size": size})
    result = browser.run_page(f"{origin}/upload.html?{query}", os.path.join(args.out, "upload.png"))
    for step in result.get("steps", []):
        print(f"  {'ok  ' if step['ok'] else 'FAIL'} {origin} upload: {step['name']}: {json.dumps(step['detail'])}")
    if not result.get("ok"):
        return [f"upload page ({origin}): {result.get('error') or 'a step failed'}"]
    status, body = api_call(args.api, "POST", f"/movies/{movie}/video", {"key": signed["key"]}, token)
    if status != 200 or not body["data"].get("videoUrl"):
        return [f"upload: confirming the browser's upload answered {status}: {body}"]
    query = urllib.parse.urlencode({"upload": "{}", "size": 0, "playback": body["data"]["videoUrl"]})
    result = browser.run_page(f"{origin}/upload.html?{query}&range=1", os.path.join(args.out, "playback.png"))
    for step in result.get("steps", []):
        print(f"  {'ok  ' if step['ok'] else 'FAIL'} {origin} playback: {step['name']}: {json.dumps(step['detail'])}")
    if not result.get("ok"):
        failures.append(f"playback page ({origin}): {result.get('error') or 'a step failed'}")
    return failures


def operations_in_openapi():
    """How many operations infra/openapi.yaml declares (a method key under a path)."""
    path = os.path.join(HERE, "..", "openapi.yaml")
    count, in_paths = 0, False
    for line in open(path, encoding="utf-8"):
        if not line.startswith(" ") and line.strip():
            in_paths = line.startswith("paths:")
        elif in_paths and re.match(r"^    (get|put|post|delete|patch|options|head):", line):
            count += 1
    return count


def docs(browser, args):
    """The API reference page, /docs/ on the API's host: Swagger UI, served from the stack
    (no CDN), renders every operation of infra/openapi.yaml; nothing is fetched from another
    origin. Returns its failures."""
    base = args.api.rsplit("/api/", 1)[0]
    expected = operations_in_openapi()
    expression = ("JSON.stringify({operations: document.querySelectorAll('.opblock').length,"
                  " title: (document.querySelector('.info .title') || {}).textContent || '',"
                  " foreign: performance.getEntriesByType('resource').map(e => e.name)"
                  ".filter(n => !n.startsWith(location.origin))})")
    value = browser.wait_for(f"{base}/docs/", expression,
                             lambda v: json.loads(v)["operations"] >= expected,
                             os.path.join(args.out, "docs.png"))
    seen = json.loads(value) if value else {"operations": 0, "title": "", "foreign": []}
    # Again after the picture: anything the page fetched while settling counts too.
    later = browser.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")
    if later:
        seen["foreign"] = json.loads(later)["foreign"]
    print(f"  {'ok  ' if seen['operations'] >= expected else 'FAIL'} docs: {seen['operations']} of "
          f"{expected} operations rendered, title {seen['title']!r}")
    failures = []
    if seen["operations"] < expected:
        failures.append(f"docs page rendered {seen['operations']} operations, infra/openapi.yaml has {expected}")
    if "Streamia" not in seen["title"]:
        failures.append(f"docs page title {seen['title']!r} does not name the API")
    if seen["foreign"]:
        failures.append(f"docs page fetched from another origin: {seen['foreign']}")
    return failures


def sqs(endpoint, action, body):
    """One call of SQS's JSON protocol to LocalStack (which takes any credentials)."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/", method="POST", data=json.dumps(body).encode(),
        headers={"content-type": "application/x-amz-json-1.0", "x-amz-target": f"AmazonSQS.{action}",
                 "authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(request, timeout=10) as res:
        return json.loads(res.read() or b"{}")


def dlq_depth(endpoint, name):
    url = sqs(endpoint, "GetQueueUrl", {"QueueName": name})["QueueUrl"]
    attrs = sqs(endpoint, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]})
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def console(browser, args):
    """The local console, /_local/ on the API's host: a sign-up sent with its own correlation
    id shows among the recent requests; clicking the id lists the functions its lines came
    from (the request's and the welcome email's sender); the emails, the queues, the circuits
    and the metrics show; a message put in a dead-letter queue is moved back to its queue by
    the Redrive button. Nothing is fetched from another origin. Returns its failures."""
    base = args.api.rsplit("/api/", 1)[0]
    failures = []
    correlation = f"console-{uuid.uuid4().hex[:12]}"
    email = f"c-{uuid.uuid4().hex[:10]}@browser.test"
    request = urllib.request.Request(
        f"{args.api}/auth/register", method="POST",
        data=json.dumps({"username": f"c{uuid.uuid4().hex[:10]}", "email": email,
                         "password": "Browser123"}).encode(),
        headers={"content-type": "application/json", "x-correlation-id": correlation})
    try:
        status = urllib.request.urlopen(request, timeout=20).status
    except urllib.error.HTTPError as e:
        status = e.code
    if status != 201:
        return [f"console: the sign-up answered {status}"]
    with urllib.request.urlopen(f"{base}/_local/api/queues", timeout=20) as res:
        queues = json.load(res)
    # The dead letter: a well-formed event that notifications-on-user-change acknowledges
    # without acting on it (not one of its event names), so once redriven it leaves for good.
    target = next((q for q in queues if q.get("function") == "notifications-on-user-change" and q.get("dlq")), None)
    if target is None:
        return [f"console: notifications-on-user-change's queue is not among {len(queues)}"]
    dlq_url = sqs(args.aws_endpoint, "GetQueueUrl", {"QueueName": target["dlq"]})["QueueUrl"]
    before = dlq_depth(args.aws_endpoint, target["dlq"])
    letter = {"eventId": str(uuid.uuid4()), "eventName": "console.redrive_check",
              "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
              "correlationId": correlation, "source": "browser-check", "version": 1, "payload": {}}
    sqs(args.aws_endpoint, "SendMessage", {"QueueUrl": dlq_url, "MessageBody": json.dumps(letter)})

    state = ("JSON.stringify({requests: [...document.querySelectorAll('#requests button.trace')]"
             ".map(b => b.dataset.correlationId),"
             f" dlq: ((window.__queues || []).find(q => q.queue === {json.dumps(target['queue'])}) || {{}}).dlqVisible,"
             " queues: (window.__queues || []).length, mail: window.__mail || 0,"
             " circuits: (window.__circuits || []).map(c => c.name + ':' + c.state),"
             " metrics: window.__metrics || 0, trace: window.__trace || null, redrive: window.__redrive || null,"
             " foreign: performance.getEntriesByType('resource').map(e => e.name)"
             ".filter(n => !n.startsWith(location.origin))})")
    def shown(s):
        return correlation in s.get("requests", []) and (s.get("dlq") or 0) > before and s.get("metrics", 0) > 0

    # A desktop's width: the console's tables are wide.
    browser.send("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
    seen = browser.wait_for(
        f"{base}/_local/", state,
        lambda v: shown(json.loads(v)),
        os.path.join(args.out, "console-loaded.png"))
    seen = json.loads(seen) if seen else {}
    checks = [
        ("the sign-up is among the recent requests", correlation in seen.get("requests", [])),
        ("every queue is listed", seen.get("queues") == len(queues)),
        (f"{target['dlq']} shows the dead letter", (seen.get("dlq") or 0) > before),
        ("the emails show", seen.get("mail", 0) > 0),
        ("the three circuits show", len(seen.get("circuits", [])) == 3),
        ("metrics show", seen.get("metrics", 0) > 0),
    ]
    # Click the correlation id until the welcome email's sender has logged it too.
    click = (f"document.querySelector('#requests button.trace[data-correlation-id=\"{correlation}\"]').click()")
    deadline = time.time() + 40
    trace = None
    while time.time() < deadline:
        browser.send("Runtime.evaluate", expression=click)
        time.sleep(1.0)
        trace = json.loads(browser.send("Runtime.evaluate", expression=state, returnByValue=True)["result"]["value"])["trace"]
        if trace and {"users-register", "notifications-on-user-event"} <= set(trace["functions"]):
            break
    functions = (trace or {}).get("functions", [])
    checks.append((f"the trace names the register and the mailer ({functions})",
                   {"users-register", "notifications-on-user-event"} <= set(functions)))
    browser.screenshot(os.path.join(args.out, "console.png"))
    # The redrive: the dead letters go back to their queue (counted again just before).
    before = dlq_depth(args.aws_endpoint, target["dlq"])
    browser.send("Runtime.evaluate", expression=(
        f"document.querySelector('button.redrive[data-queue=\"{target['queue']}\"]').click()"))
    redrive = browser.poll(state, lambda v: json.loads(v)["redrive"] is not None, timeout=30)
    redrive = json.loads(redrive)["redrive"] if redrive else None
    after = dlq_depth(args.aws_endpoint, target["dlq"])
    checks.append((f"the redrive moved the dead letters back ({redrive}, {before} before, {target['dlq']} now {after})",
                   bool(redrive) and redrive.get("moved", 0) >= max(before, 1) and after == 0))
    with urllib.request.urlopen(f"{base}/_local/metrics", timeout=20) as res:
        metrics = json.load(res)["metrics"]
    checks.append(("/_local/metrics counts the sign-up's function",
                   any(m["name"] == "Requests" and m["dimensions"] == "Function=users-register"
                       and m["sum"] >= 1 for m in metrics)))
    final = json.loads(browser.send("Runtime.evaluate", expression=state, returnByValue=True)["result"]["value"])
    checks.append(("nothing fetched from another origin", not final["foreign"]))
    browser.send("Emulation.clearDeviceMetricsOverride")
    for name, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} console: {name}")
        if not ok:
            failures.append(f"console: {name}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="base URL of /api/v1 of the stack under test")
    parser.add_argument("--port", type=int, required=True, help="port for the pages (allowed as http://127.0.0.1:PORT)")
    parser.add_argument("--out", required=True, help="directory for screenshots and the browser log")
    parser.add_argument("--aws-endpoint", required=True, help="LocalStack (SQS), for the console's redrive check")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    server = serve_pages(args.port)
    browser = Browser(args.out)
    failures = []
    try:
        runs = [
            ("allowed", f"http://127.0.0.1:{args.port}", f"b-{uuid.uuid4().hex[:10]}@browser.test"),
            ("blocked", f"http://localhost:{args.port}", f"x-{uuid.uuid4().hex[:10]}@browser.test"),
        ]
        for mode, origin, email in runs:
            query = urllib.parse.urlencode({"api": args.api, "mode": mode, "email": email})
            result = browser.run_page(f"{origin}/page.html?{query}", os.path.join(args.out, f"{mode}.png"))
            for step in result.get("steps", []):
                print(f"  {'ok  ' if step['ok'] else 'FAIL'} {origin} {step['name']}: {json.dumps(step['detail'])}")
            if not result.get("ok"):
                failures.append(f"{mode} page ({origin}): {result.get('error') or 'a step failed'}")
            if mode == "blocked" and login_status(args.api, email, "Browser123") != 401:
                failures.append("the blocked page's registration reached the API (the preflight should stop it)")
        failures += journey(browser, args, f"http://127.0.0.1:{args.port}")
        failures += upload(browser, args, f"http://127.0.0.1:{args.port}")
        failures += docs(browser, args)
        failures += console(browser, args)
    finally:
        browser.close()
        server.shutdown()
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
