"""Black-box tests of the HTTP edges, over raw sockets where a library client would not send
the request: heads the server refuses (too long, too many parameters, a Content-Length that
is no number) each answered once, as a problem with the security headers; the plain-HTTP
redirect; page paths that are no screen; the deadline of a request's head and the cap of
connections from one address."""
import json
import os
import re
import socket
import time
import unittest

from harness import ROOT
from test_foundation import SECURITY_HEADERS, ProblemAssertions, start_server, stop_and_check

HEAD_TIMEOUT = 2
PER_IP = 8


def read_all(sock, limit=10.0):
    """Everything the server sends until it closes the connection (or limit seconds pass)."""
    out = b""
    deadline = time.time() + limit
    sock.settimeout(0.5)
    while time.time() < deadline:
        try:
            b = sock.recv(65536)
        except socket.timeout:
            if out and b"\r\n\r\n" in out and response_complete(out):
                break
            continue
        except OSError:
            break
        if not b:
            break
        out += b
    return out


def response_complete(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    m = re.search(rb"\r\ncontent-length: *([0-9]+)", head, re.I)
    return m is not None and len(body) >= int(m.group(1))


class Raw:
    """One raw answer: its status lines, headers (lower-cased names) and body."""

    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/1.1 ") else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Raw %r>" % self.raw[:600]


class HttpEdges(unittest.TestCase, ProblemAssertions):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(env={"PLANYARD_HEAD_TIMEOUT_S": str(HEAD_TIMEOUT),
                                       "PLANYARD_MAX_CONNECTIONS_PER_IP": str(PER_IP)})

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.server)

    def send_raw(self, data, https=True):
        s = self.server
        if https:
            sock = s.tls_socket(timeout=10)
        else:
            sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=10)
        with sock:
            try:
                sock.sendall(data)
            except OSError:
                pass  # the server may answer and close before it read everything
            return Raw(read_all(sock))

    def assert_one_problem(self, r, status, code=None, https=True, what=""):
        self.assertEqual(r.raw.count(b"HTTP/1.1 "), 1, "not exactly one status line (%s): %r" % (what, r))
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        for name, value in SECURITY_HEADERS.items():
            if name == "Strict-Transport-Security" and not https:
                self.assertIsNone(r.header(name), what)
                continue
            self.assertEqual(r.header(name), value, "%s on %s %r" % (name, what, r))
        self.assertIn(r.header("Cache-Control"), ("no-store", "no-cache"), what)
        self.assertIsNotNone(r.header("X-Request-Id"), what)
        self.assert_problem(r, status, code)

    # ---- heads the server refuses ----------------------------------------------------------
    def test_refused_heads_are_one_problem_with_the_headers(self):
        many = "&".join("a=%d" % i for i in range(1000))
        cases = [
            # (what, request, status, code)
            ("header of 70 KB", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
             431, "header_too_large"),
            ("header of 400 KB (beyond the connection's memory)",
             b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 400000 + b"\r\n\r\n", 431, None),
            ("3000 headers", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" +
             b"".join(b"X-%d: 1\r\n" % i for i in range(3000)) + b"\r\n", 431, "header_too_large"),
            ("URI of 70 KB", b"GET /healthz?" + b"a" * 70000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
             414, "uri_too_long"),
            ("URI of 400 KB", b"GET /healthz?" + b"a" * 400000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, None),
            ("1000 query parameters", ("GET /api/v1/openapi.json?%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % many).encode(),
             414, "uri_too_long"),
            ("1000 query parameters on a page", ("GET /week?%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % many).encode(),
             414, "uri_too_long"),
            ("30000 query parameters", b"GET /week?" + b"a&" * 30000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
             414, "uri_too_long"),
            ("Content-Length: -1", b"POST /api/v1/csp-report HTTP/1.1\r\nHost: localhost\r\n"
             b"Content-Type: application/json\r\nContent-Length: -1\r\n\r\n", 400, "bad_length"),
            ("Content-Length: -1 on a GET", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n",
             400, "bad_length"),
            ("Content-Length of 30 digits", b"POST /api/v1/csp-report HTTP/1.1\r\nHost: localhost\r\n"
             b"Content-Length: 999999999999999999999999999999\r\n\r\n", 400, "bad_length"),
            ("Content-Length: 1, 2", b"POST /api/v1/csp-report HTTP/1.1\r\nHost: localhost\r\n"
             b"Content-Length: 1, 2\r\n\r\nab", 400, "bad_length"),
            ("HTTP/2.0 request line", b"GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", 505, None),
        ]
        for https in (True, False):
            for what, data, status, code in cases:
                with self.subTest(what=what, https=https):
                    r = self.send_raw(data, https=https)
                    self.assert_one_problem(r, status, code, https=https, what=what)
        # the server is unharmed
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_heads_within_the_limits_are_served(self):
        s = self.server
        q = "&".join("a=%d" % i for i in range(100))
        r = s.request("GET", "/api/v1/openapi.json?" + q, headers={"X-Pad": "p" * 8000})
        self.assertEqual(r.status, 200, r)
        r = s.request("GET", "/healthz", headers={"X-%d" % i: "1" for i in range(60)})
        self.assertEqual(r.status, 200, r)

    def test_bad_length_closes_the_connection(self):
        """A body whose length can't be read can't be skipped: the connection ends with the
        answer, so what follows is never taken for another request."""
        with self.server.tls_socket(timeout=10) as sock:
            sock.sendall(b"POST /api/v1/csp-report HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n"
                         b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            out = read_all(sock)
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)
        self.assertIn(b'"bad_length"', out)

    # ---- plain HTTP ------------------------------------------------------------------------
    def test_plain_http_redirect_uses_public_url_and_keeps_the_query(self):
        s = self.server
        base = "https://localhost:%d" % s.https_port     # the dev layout's PUBLIC_URL
        for host in ("evil.example", "evil.example:%d" % s.http_port, "localhost:1", "[::1]:80", None):
            for target in ("/week", "/week?day=2026-11-02&crew=a%20b", "/no/screen?x=1", "/"):
                data = "GET %s HTTP/1.1\r\n%s\r\n" % (target, "Host: %s\r\n" % host if host else "")
                r = self.send_raw(data.encode(), https=False)
                self.assertEqual(r.status, 308, (host, target, r))
                self.assertEqual(r.header("Location"), base + target, (host, target))

    def test_plain_http_redirect_with_another_public_url(self):
        server = start_server(env={"PLANYARD_PUBLIC_URL": "https://app.planyard.test/"})
        try:
            r = server.request("GET", "/week?day=2026-11-02", https=False, headers={"Host": "evil.example"})
            self.assertEqual(r.status, 308, r)
            self.assertEqual(r.header("Location"), "https://app.planyard.test/week?day=2026-11-02")
        finally:
            stop_and_check(type(self), server)

    # ---- pages -----------------------------------------------------------------------------
    def screens(self):
        with open(os.path.join(ROOT, "web", "app.js")) as f:
            src = f.read()
        block = src[src.index("const ROUTES = {"):]
        block = block[:block.index("\n};")]
        paths = re.findall(r"^\s*'(/[^']*)':", block, re.M)
        self.assertGreater(len(paths), 10, "the screens of web/app.js were not found")
        return ["/"] + paths

    def test_every_screen_is_200_and_other_page_paths_404(self):
        s = self.server
        shell = s.request("GET", "/").body
        for path in self.screens():
            for p in {path, path + "/"}:
                r = s.request("GET", p)
                self.assertEqual(r.status, 200, (p, r))
                self.assertEqual(r.body, shell, p)
        for path in ("/nope", "/settings/profile", "/week/extra", "/admin", "/admin/nope", "/signin2", "/weeks"):
            r = s.request("GET", path)
            self.assertEqual(r.status, 404, (path, r))
            self.assertEqual(r.body, shell, "a page that is no screen is the app's shell: " + path)
            self.assertTrue(r.header("Content-Type").startswith("text/html"), r.headers)
            self.assert_security_headers(r, what=path)

    # ---- the head's deadline and the per-address cap -------------------------------------------
    def test_slow_head_is_cut_at_the_deadline(self):
        s = self.server
        with s.tls_socket(timeout=HEAD_TIMEOUT + 10) as sock:
            t0 = time.time()
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            closed_at = None
            try:
                while time.time() - t0 < HEAD_TIMEOUT + 8:
                    sock.sendall(b"X-Drip: 1\r\n")   # a byte now and then keeps an idle timeout away
                    sock.settimeout(0.5)
                    try:
                        if sock.recv(4096) == b"":
                            closed_at = time.time()
                            break
                    except socket.timeout:
                        pass
            except OSError:
                closed_at = time.time()
            self.assertIsNotNone(closed_at, "a slow head held its connection past %ds" % (HEAD_TIMEOUT + 8))
            self.assertLess(closed_at - t0, HEAD_TIMEOUT + 3)
            self.assertGreaterEqual(closed_at - t0, HEAD_TIMEOUT - 0.5)
        # a silent connection (no TLS handshake even) is cut too
        with socket.create_connection(("127.0.0.1", s.https_port), timeout=HEAD_TIMEOUT + 10) as raw:
            t0 = time.time()
            try:
                self.assertEqual(raw.recv(1), b"")
            except OSError:
                pass
            self.assertLess(time.time() - t0, HEAD_TIMEOUT + 3)
        # a prompt request is served, also a second one on the same connection after a pause
        # shorter than the deadline
        with s.tls_socket(timeout=10) as sock:
            for _ in range(2):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                r = Raw(read_all(sock, limit=5))
                self.assertEqual(r.status, 200, r)
                time.sleep(HEAD_TIMEOUT / 2)

    def test_connections_over_the_per_address_cap_are_refused(self):
        s = self.server
        held = []
        try:
            for _ in range(PER_IP):
                held.append(s.tls_socket(timeout=5))
            # one more from the same address is closed at once, before TLS
            with socket.create_connection(("127.0.0.1", s.https_port), timeout=5) as extra:
                extra.settimeout(3)
                try:
                    got = extra.recv(1)
                except socket.timeout:
                    got = None
                except OSError:   # reset
                    got = b""
                self.assertEqual(got, b"", "a connection over the cap was kept open")
            # those within the cap work
            held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            self.assertEqual(Raw(read_all(held[0], limit=5)).status, 200)
        finally:
            for sock in held:
                sock.close()
        # once they are gone, the address is served again
        deadline = time.time() + 5
        while True:
            try:
                r = s.request("GET", "/healthz")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()


# ---- how answers leave ---------------------------------------------------------------------
def read_answer(sock, head_only=False):
    """One answer of a keep-alive connection: (status line, Raw, body, what came after it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = sock.recv(65536)
        if not b:
            raise AssertionError("closed before the head: %r" % buf)
        buf += b
    r = Raw(buf)
    length = 0 if head_only else int(r.header("Content-Length"))
    body = r.body
    while len(body) < length:
        b = sock.recv(65536)
        if not b:
            raise AssertionError("closed within the body")
        body += b
    return r.status_line, r, body[:length], body[length:]


class AnswersOnTheWire(unittest.TestCase):
    """An answer's head and body leave together (one segment on loopback), and nothing of the
    way they are held back breaks keep-alive, pipelining, HEAD, bodies of several records,
    HTTP/1.0 or the close of a connection, under TLS 1.3 and 1.2."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.server)

    def contexts(self):
        import ssl
        yield "TLS 1.3", None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        yield "TLS 1.2", ctx

    def sendmsgs_during(self, fn):
        """fn(), with the server's sendmsg calls counted (strace on all its threads)."""
        import subprocess
        import tempfile
        with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
            tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=sendmsg", "-o", out.name,
                                       "-p", str(self.server.proc.pid)], stderr=subprocess.DEVNULL)
            try:
                deadline = time.time() + 10
                while time.time() < deadline and not open("/proc/%d/status" % self.server.proc.pid).read().count(
                        "TracerPid:\t%d" % tracer.pid):
                    time.sleep(0.05)
                time.sleep(0.5)  # every thread attached
                fn()
                time.sleep(0.3)
            finally:
                tracer.terminate()
                tracer.wait(10)
            return [line for line in out.read().splitlines() if "sendmsg(" in line]

    def test_head_and_body_leave_in_one_sendmsg(self):
        page = open(os.path.join(ROOT, "web", "index.html"), "rb").read()
        for what, ctx in self.contexts():
            with self.server.tls_socket(timeout=20, context=ctx) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                read_answer(sock)
                paths = (("/", "200"), ("/healthz", "200"), ("/api/v1/nothing", "404"), ("/nothing.js", "404"))

                def ask():
                    for path, status in paths:
                        sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                        line, r, body, rest = read_answer(sock)
                        self.assertIn(" %s " % status, line + " ", (what, path))
                        self.assertEqual(rest, b"", (what, path))
                        if path == "/":
                            self.assertEqual(body, page, what)
                calls = self.sendmsgs_during(ask)
                self.assertEqual(len(calls), len(paths), "%s: not one sendmsg per answer: %r" % (what, calls))

    def test_keep_alive_pipelining_head_and_large_bodies(self):
        app_js = open(os.path.join(ROOT, "web", "app.js"), "rb").read()
        self.assertGreater(len(app_js), 16384, "a body of more than one TLS record")
        for what, ctx in self.contexts():
            with self.server.tls_socket(timeout=10, context=ctx) as sock:
                # pipelined: all sent at once, answered in order
                sock.sendall(b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n")
                line, r, body, rest = read_answer(sock)
                self.assertIn(" 200 ", line, what)
                self.assertEqual(body, app_js, what)
                # the HEAD answer has no body; the next answers follow it
                buf = rest
                while b"\r\n\r\n" not in buf:
                    buf += sock.recv(65536)
                head, _, buf = buf.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 200 "), (what, head))
                while buf.count(b"HTTP/1.1 ") < 2 or not response_complete(buf[buf.rindex(b"HTTP/1.1 "):]):
                    b = sock.recv(65536)
                    self.assertTrue(b, what)
                    buf += b
                self.assertTrue(buf.startswith(b"HTTP/1.1 200 "), (what, buf[:40]))
                self.assertIn(b'{"status":"ok"}', buf, what)
                self.assertIn(b"HTTP/1.1 404 ", buf, what)
                # a HEAD alone: its head, and the connection still answers after it
                sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
                line, r, body, rest = read_answer(sock, head_only=True)
                self.assertIn(" 200 ", line, what)
                self.assertEqual(rest, b"", what)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                line, r, body, rest = read_answer(sock)
                self.assertEqual(body, b'{"status":"ok"}', what)
            # HTTP/1.0 and Connection: close: the whole answer, then the close
            for req in (b"GET /app.js HTTP/1.0\r\n\r\n", b"GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
                with self.server.tls_socket(timeout=10, context=ctx) as sock:
                    sock.sendall(req)
                    raw = read_all(sock)
                    r = Raw(raw)
                    self.assertEqual(r.status, 200, (what, req, r.status_line))
                    self.assertEqual(r.body, app_js, (what, req))
