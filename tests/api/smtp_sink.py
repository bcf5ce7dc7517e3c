"""A real SMTP server on 127.0.0.1 for the black-box suites (Debian's python3-aiosmtpd). It
keeps every message it accepts (envelope and full content), can wait for one, and can be
stopped and started again on the same port (to prove the sender retries)."""
import asyncio
import email
import email.policy
import re
import socket
import threading
import time

from aiosmtpd.controller import Controller


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mail:
    """One accepted message."""

    def __init__(self, mail_from, rcpt_tos, content):
        self.mail_from = mail_from
        self.rcpt_tos = [r.lower() for r in rcpt_tos]
        self.content = content                      # bytes, exactly as received
        self.received_at = time.time()
        msg = email.message_from_bytes(content, policy=email.policy.default)
        self.message = msg
        self.subject = str(msg.get("Subject", ""))
        self.to = str(msg.get("To", ""))
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        self.body = part.get_content() if part is not None else ""
        self.message_id = str(msg.get("Message-ID", ""))

    def link_token(self, page):
        """The token of the first PUBLIC_URL/<page>#token=... link in the body, or None."""
        m = re.search(r"https://[^\s/]+(?::\d+)?/%s#token=([A-Za-z0-9_\-]+)" % re.escape(page), self.body)
        return m.group(1) if m else None

    def __repr__(self):
        return "<Mail to=%r subject=%r>" % (self.rcpt_tos, self.subject)


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        self.sink._add(Mail(envelope.mail_from, envelope.rcpt_tos, content))
        if self.sink.delay:   # taken, but the 250 is slow to come (a busy relay)
            await asyncio.sleep(self.sink.delay)
        return "250 OK"


class SmtpSink:
    def __init__(self, port=None):
        self.port = port or _free_port()
        self.messages = []
        self.delay = 0.0
        self._cond = threading.Condition()
        self._controller = None

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    @property
    def running(self):
        return self._controller is not None

    def start(self):
        """Listens on self.port (the same port after a stop)."""
        if self._controller:
            return self
        deadline = time.time() + 10
        while True:
            c = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
            try:
                c.start()
                break
            except OSError:
                # the port may linger for a moment after stop()
                try:
                    c.stop(no_assert=True)
                except Exception:
                    pass
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self._controller = c
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def _add(self, mail):
        with self._cond:
            self.messages.append(mail)
            self._cond.notify_all()

    def find(self, to=None, subject=None):
        """Messages (in arrival order) to that recipient whose subject contains subject."""
        with self._cond:
            return [m for m in self.messages
                    if (to is None or to.lower() in m.rcpt_tos)
                    and (subject is None or subject.lower() in m.subject.lower())]

    def count(self, to=None, subject=None):
        return len(self.find(to, subject))

    def wait_for(self, to=None, subject=None, timeout=10.0, count=1):
        """Waits until at least count matching messages arrived; returns the count-th of them,
        or raises AssertionError saying what did arrive."""
        deadline = time.time() + timeout
        with self._cond:                      # an RLock: find() may take it again
            while True:
                found = self.find(to, subject)
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("no mail to %r with subject %r within %.0f s; received: %r"
                                         % (to, subject, timeout, self.messages))
                self._cond.wait(left)
