"""A real SMTP server for the local stack and the tests: accepts every message and appends it,
as one JSON object per line ({to, from, subject, language, text, html, sentAt}), to an outbox
file that the local gateway serves at GET /_local/mail. `text` is the plain-text part (or the
HTML one when there is none), `html` the HTML part ("" when there is none), `language` the
Content-Language header.

For outage tests it writes its pid next to the outbox (`<outbox>.pid`): SIGUSR1 stops the
server (the port refuses connections, as a mail server that is down does), SIGUSR2 starts it
again on the same port and outbox."""

import argparse
import asyncio
import json
import os
import signal
from datetime import datetime, timezone
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, outbox):
        self.outbox = outbox

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        html = message.get_body(preferencelist=("html",))
        record = {
            "to": ", ".join(envelope.rcpt_tos),
            "from": envelope.mail_from,
            "subject": str(message.get("subject", "")),
            "language": str(message.get("content-language", "")),
            "text": body.get_content() if body is not None else "",
            "html": html.get_content() if html is not None else "",
            "sentAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        with open(self.outbox, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--outbox", required=True)
    args = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.outbox)), exist_ok=True)
    open(args.outbox, "a").close()
    server = {"controller": None}

    def start():
        if server["controller"] is None:
            controller = Controller(Recorder(args.outbox), hostname=args.host, port=args.port)
            controller.start()
            server["controller"] = controller
            print(f"mail sink on {args.host}:{args.port}, outbox {args.outbox}", flush=True)

    def stop():
        if server["controller"] is not None:
            server["controller"].stop()
            server["controller"] = None
            print("mail sink stopped (SIGUSR1); SIGUSR2 starts it again", flush=True)

    start()
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGUSR1, stop)
    loop.add_signal_handler(signal.SIGUSR2, start)
    # Only once the signals are handled (by default SIGUSR1 would end the process).
    with open(args.outbox + ".pid", "w", encoding="utf-8") as pid:
        pid.write(str(os.getpid()))
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


if __name__ == "__main__":
    main()
