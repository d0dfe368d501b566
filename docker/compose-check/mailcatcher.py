"""compose-check's stand-in for mailpit: SMTP on 1025 (aiosmtpd), and on 8025 the part of
mailpit's HTTP API the check reads: GET /api/v1/messages (newest first) and GET /readyz."""

import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

messages: list[dict] = []
lock = threading.Lock()


class Store:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with lock:
            messages.insert(
                0,
                {
                    "ID": str(len(messages) + 1),
                    "From": {"Address": envelope.mail_from},
                    "To": [{"Address": rcpt} for rcpt in envelope.rcpt_tos],
                    "Subject": str(msg.get("Subject", "")),
                    "Size": len(envelope.content),
                },
            )
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/readyz"):
            body = b"ok\n"
        elif self.path.startswith("/api/v1/messages"):
            with lock:
                body = json.dumps({"total": len(messages), "messages": messages}).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    Controller(Store(), hostname="0.0.0.0", port=1025).start()
    ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
