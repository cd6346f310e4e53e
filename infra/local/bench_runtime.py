"""Cold start and memory of one Lambda function binary, measured the way Lambda runs it.

Serves a minimal Lambda Runtime API (the HTTP interface every custom runtime polls), starts
the binary with AWS_LAMBDA_RUNTIME_API pointing at it, hands it one event, and reports the
time from process start to the answered invocation, the process's peak RSS (VmHWM) and its
RSS once warm (VmRSS after the invocation).

usage: bench_runtime.py BINARY EVENT_JSON_FILE  (environment passed through to the function)
prints one JSON line: {"binary", "cold_start_ms", "peak_rss_kb", "warm_rss_kb", "outcome"}
"""

import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

binary, event_file = sys.argv[1], sys.argv[2]
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
env.update({
    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
    "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(binary),
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
})
started = time.monotonic()
proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ok = done.wait(30)
time.sleep(0.2)
# VmHWM is the function's own peak (reset at exec). getrusage's ru_maxrss for a child also
# counts the pages it shared with this Python process between fork and exec (~20 MB here),
# so it is only the fallback where /proc is missing.
try:
    status = open(f"/proc/{proc.pid}/status").read()
    hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))
    rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
except (OSError, AttributeError):
    hwm = rss = None
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
