"""Black-box tests of the foundation: HTTP hardening, plain HTTP, limits, request ids, the
OpenAPI document, static files, TLS, readiness, many idle connections, graceful shutdown,
`planyard serve` start-up checks, reuse of a dev data dir, the access log and the roles."""
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid
import warnings

from harness import BINARY, Response, Server, free_port, read_response

MIB = 1 << 20

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
                               "data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'; report-uri /api/v1/csp-report",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), "
                          "accelerometer=(), gyroscope=(), magnetometer=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

CSP_REPORT = {"csp-report": {"document-uri": "https://localhost/week", "violated-directive": "script-src 'self'",
                             "blocked-uri": "inline", "original-policy": "default-src 'self'"}}

SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def start_server(**kw):
    """A started Server; its files are removed when it does not come up."""
    server = Server(**kw)
    try:
        return server.start()
    except BaseException:
        server.cleanup()
        raise


def stop_and_check(testcase_cls, server):
    """Stops server and removes its files; fails when it did not exit 0 or a sanitizer spoke."""
    rc = server.stop()
    errors = server.sanitizer_errors() if os.path.exists(server.log_path) else []
    tail = server.read_log()[-3000:] if errors and os.path.exists(server.log_path) else ""
    server.cleanup()
    assert not errors, "sanitizer errors in %s:\n%s\n%s" % (testcase_cls.__name__, "\n".join(errors), tail)
    assert rc == 0, "%s: the server exited %r" % (testcase_cls.__name__, rc)


class ProblemAssertions:
    def assert_security_headers(self, r, https=True, what=""):
        for name, value in SECURITY_HEADERS.items():
            if name == "Strict-Transport-Security" and not https:
                self.assertIsNone(r.header(name), "HSTS on plain HTTP (%s)" % what)
                continue
            self.assertEqual(r.header(name), value, "%s on %s %r" % (name, what, r))

    def assert_problem(self, r, status, code=None):
        self.assertEqual(r.status, status, r)
        ct = r.header("Content-Type") or ""
        self.assertEqual(ct.split(";")[0].strip().lower(), "application/problem+json", r)
        p = r.json
        self.assertIsInstance(p, dict)
        for field in ("type", "title", "code"):
            self.assertIsInstance(p.get(field), str, "%s missing in %r" % (field, p))
            self.assertTrue(p[field], "%s empty in %r" % (field, p))
        self.assertIs(type(p.get("status")), int, p)
        self.assertEqual(p["status"], status, p)
        if code is not None:
            self.assertEqual(p["code"], code, p)
        return p


def protected_route(server):
    """(method, path) of a route that needs a session or the cron secret, from the OpenAPI
    document the server publishes; None when there is none yet."""
    doc = server.request("GET", "/api/v1/openapi.json").json
    found = []
    for path, item in sorted(doc.get("paths", {}).items()):
        for method, op in item.items():
            sec = op.get("security") if isinstance(op, dict) else None
            if sec:
                concrete = re.sub(r"\{[^}]*\}", str(uuid.uuid4()), path)
                kind = "cron" if any("cron" in s for s in sec) else "bearer"
                found.append((0 if kind == "cron" else 1, method.upper() != "GET", concrete, method.upper()))
    if not found:
        return None
    found.sort()
    return found[0][3], found[0][2]


def oversized_with_length(server, path="/api/v1/csp-report", length=MIB + 1,
                          content_type="application/csp-report"):
    """Sends the headers of a request announcing a body over the limit (and only 1 KiB of it);
    returns the response the server gives without waiting for the rest."""
    with server.tls_socket(timeout=15) as s:
        s.sendall(("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                   % (path, content_type, length)).encode() + b"x" * 1024)
        return read_response(s, "POST")


def chunked_post(server, path, chunks, content_type="application/csp-report"):
    c = server.connection()
    try:
        c.request("POST", path, body=iter(chunks), headers={"Content-Type": content_type}, encode_chunked=True)
        r = c.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        c.close()


# --------------------------------------------------------------------------------------------
class FoundationHTTP(unittest.TestCase, ProblemAssertions):
    """Everything that needs only a running server, on one server."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.server)

    # 1. security headers ---------------------------------------------------------------------
    def test_security_headers_on_https_success(self):
        s = self.server
        for path in ("/healthz", "/", "/api/v1/openapi.json", "/week", "/readyz"):
            r = s.request("GET", path)
            self.assertEqual(r.status, 200, (path, r))
            self.assert_security_headers(r, what="GET " + path)

    def test_security_headers_on_https_errors(self):
        s = self.server
        r = s.request("GET", "/api/v1/no-such-thing")
        self.assertEqual(r.status, 404, r)
        self.assert_security_headers(r, what="404")
        r = s.request("GET", "/nope.js")
        self.assertEqual(r.status, 404, r)
        self.assert_security_headers(r, what="404 static")
        r = s.request("DELETE", "/healthz")
        self.assertEqual(r.status, 405, r)
        self.assert_security_headers(r, what="405")
        self.assertIn("GET", [m.strip() for m in (r.header("Allow") or "").split(",")], r.headers)
        self.assertNotIn("DELETE", r.header("Allow"))
        r = oversized_with_length(s)
        self.assertEqual(r.status, 413, r)
        self.assert_security_headers(r, what="413")
        r = s.request("POST", "/api/v1/csp-report", raw=b"hello", headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415, r)
        self.assert_security_headers(r, what="415")
        r = s.request("POST", "/api/v1/csp-report", raw=b'{"csp-report":', headers={"Content-Type": "application/csp-report"})
        self.assertEqual(r.status, 400, r)
        self.assert_security_headers(r, what="400")

    def test_security_headers_on_401(self):
        s = self.server
        route = protected_route(s)
        if route is None:
            self.skipTest("no route with AUTH_SESSION or AUTH_CRON exists yet (none in openapi.json), "
                          "so no 401 can be provoked")
        method, path = route
        r = s.request(method, path, headers={"Content-Length": "0"} if method in ("POST", "PUT", "PATCH") else None)
        self.assert_problem(r, 401)
        self.assert_security_headers(r, what="401 %s %s" % route)
        self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r.headers)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        # a wrong bearer token is no better
        r = s.request(method, path, token="x" * 43,
                      headers={"Content-Length": "0"} if method in ("POST", "PUT", "PATCH") else None)
        self.assert_problem(r, 401)

    def test_security_headers_on_plain_http(self):
        s = self.server
        for method, path, status in (("GET", "/week", 308), ("GET", "/healthz", 200),
                                     ("GET", "/api/v1/openapi.json", 400), ("GET", "/nope.js", 308)):
            r = s.request(method, path, https=False)
            self.assertEqual(r.status, status, (path, r))
            self.assert_security_headers(r, https=False, what="plain HTTP " + path)

    def test_cache_control_no_store_on_api_and_health(self):
        s = self.server
        for method, path in (("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/api/v1/openapi.json"),
                             ("GET", "/api/v1/nope"), ("DELETE", "/healthz")):
            r = s.request(method, path)
            self.assertEqual(r.header("Cache-Control"), "no-store", (path, r.headers))
        r = s.request("POST", "/api/v1/csp-report", body=CSP_REPORT, headers={"Content-Type": "application/csp-report"})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(s.request("GET", "/api/v1/x", https=False).header("Cache-Control"), "no-store")

    # 2. plain HTTP ---------------------------------------------------------------------------
    def test_plain_http_redirects_pages(self):
        s = self.server
        for path in ("/week", "/", "/settings/profile", "/week?day=2026-11-02&x=%2F"):
            r = s.request("GET", path, https=False)
            self.assertEqual(r.status, 308, (path, r))
            self.assertEqual(r.header("Location"), "https://localhost:%d%s" % (s.https_port, path))
        # the host is PUBLIC_URL's, never the Host header's (test_http_edges has more)
        r = s.request("GET", "/week", https=False, headers={"Host": "evil.example:%d" % s.http_port})
        self.assertEqual(r.header("Location"), "https://localhost:%d/week" % s.https_port)

    def test_plain_http_healthz(self):
        r = self.server.request("GET", "/healthz", https=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"status": "ok"})

    def test_plain_http_refuses_api(self):
        s = self.server
        for method, path, kw in (("GET", "/api/v1/openapi.json", {}), ("GET", "/api/v1/nope", {}),
                                 ("POST", "/api/v1/csp-report",
                                  {"body": CSP_REPORT, "headers": {"Content-Type": "application/csp-report"}}),
                                 ("GET", "/api", {})):
            r = s.request(method, path, https=False, token="some-token", **kw)
            self.assert_problem(r, 400, "https_required")
            self.assertIsNone(r.header("Location"))

    # 3. problem+json -------------------------------------------------------------------------
    def test_problem_json_shape(self):
        s = self.server
        self.assert_problem(s.request("GET", "/api/v1/no-such-thing"), 404, "not_found")
        self.assert_problem(s.request("GET", "/api/v1/no/such/thing", token="abc"), 404, "not_found")
        self.assert_problem(s.request("DELETE", "/healthz"), 405)
        self.assert_problem(s.request("PUT", "/api/v1/openapi.json", body={}), 405)
        self.assert_problem(oversized_with_length(s), 413, "payload_too_large")
        self.assert_problem(s.request("POST", "/api/v1/csp-report", raw=b"x", headers={"Content-Type": "text/plain"}), 415)
        self.assert_problem(s.request("POST", "/api/v1/csp-report", raw=b"{", headers={"Content-Type": "application/json"}), 400)
        self.assert_problem(s.request("GET", "/api/v1/openapi.json", https=False), 400, "https_required")

    # 4. limits -------------------------------------------------------------------------------
    def test_body_over_limit_with_content_length(self):
        s = self.server
        r = oversized_with_length(s)
        self.assert_problem(r, 413, "payload_too_large")
        r = oversized_with_length(s, length=50 * MIB)
        self.assert_problem(r, 413, "payload_too_large")
        # also on a route that takes JSON bodies and on an unknown one: never processed
        r = oversized_with_length(s, path="/api/v1/csp-report", content_type="application/json")
        self.assertEqual(r.status, 413, r)
        self.assertEqual(s.request("GET", "/healthz").status, 200)

    def test_body_over_limit_chunked(self):
        s = self.server
        r = chunked_post(s, "/api/v1/csp-report", [b"x" * 65536] * 16 + [b"y"])
        self.assert_problem(r, 413, "payload_too_large")
        r = chunked_post(s, "/api/v1/csp-report", [b"z" * 65536] * 40)
        self.assert_problem(r, 413, "payload_too_large")

    def test_body_at_limit_is_accepted(self):
        s = self.server
        head = b'{"csp-report":{"violated-directive":"img-src","x":"'
        tail = b'"}}'
        body = head + b"a" * (MIB - len(head) - len(tail)) + tail
        self.assertEqual(len(body), MIB)
        r = s.request("POST", "/api/v1/csp-report", raw=body, headers={"Content-Type": "application/csp-report"})
        self.assertEqual(r.status, 204, r)
        r = chunked_post(s, "/api/v1/csp-report", [body[i:i + 65536] for i in range(0, len(body), 65536)])
        self.assertEqual(r.status, 204, r)

    def test_csp_report_types(self):
        s = self.server
        r = s.request("POST", "/api/v1/csp-report", raw=json.dumps(CSP_REPORT).encode(), headers={"Content-Type": "text/plain"})
        self.assert_problem(r, 415)
        r = s.request("POST", "/api/v1/csp-report", raw=json.dumps(CSP_REPORT).encode())
        self.assertEqual(r.status, 415, r)
        r = s.request("POST", "/api/v1/csp-report", raw=json.dumps(CSP_REPORT).encode(),
                      headers={"Content-Type": "application/csp-report"})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        reports = [{"type": "csp-violation", "age": 10, "url": "https://localhost/week",
                    "body": {"effectiveDirective": "script-src-elem", "blockedURL": "inline"}}]
        r = s.request("POST", "/api/v1/csp-report", raw=json.dumps(reports).encode(),
                      headers={"Content-Type": "application/reports+json"})
        self.assertEqual(r.status, 204, r)

    def test_csp_report_malformed(self):
        s = self.server
        for raw in (b'{"csp-report": {', b"not json", b"", b'"a string"', b"\xff\xfe{}"):
            r = s.request("POST", "/api/v1/csp-report", raw=raw, headers={"Content-Type": "application/csp-report"})
            self.assert_problem(r, 400)

    # 5. X-Request-Id -------------------------------------------------------------------------
    def test_request_id_echoed_when_sane(self):
        s = self.server
        for rid in ("abc-123", "A.b_c:d-9", "x" * 64):
            r = s.request("GET", "/healthz", headers={"X-Request-Id": rid})
            self.assertEqual(r.header("X-Request-Id"), rid)
        r = s.request("GET", "/api/v1/nope", headers={"X-Request-Id": "abc-404"})
        self.assertEqual(r.header("X-Request-Id"), "abc-404")
        r = s.request("GET", "/week", https=False, headers={"X-Request-Id": "abc-308"})
        self.assertEqual(r.header("X-Request-Id"), "abc-308")

    def test_request_id_replaced_when_not_sane(self):
        s = self.server
        for bad in ("a" * 200, "abc 123", "abc\"<script>", "x" * 65, "caf\u00e9".encode("utf-8").decode("latin-1")):
            r = s.request("GET", "/healthz", headers={"X-Request-Id": bad})
            got = r.header("X-Request-Id")
            self.assertTrue(got, r.headers)
            self.assertNotEqual(got, bad)
            self.assertNotIn(got, bad, "the client's id was cut, not replaced")
            self.assertRegex(got, SANE_ID)

    def test_request_id_always_present_and_unique(self):
        s = self.server
        seen = set()
        for method, path, https in (("GET", "/healthz", True), ("GET", "/", True), ("GET", "/nope.js", True),
                                    ("GET", "/api/v1/nope", True), ("DELETE", "/healthz", True),
                                    ("GET", "/week", False), ("GET", "/api/v1/x", False), ("GET", "/healthz", False)):
            r = s.request(method, path, https=https)
            rid = r.header("X-Request-Id")
            self.assertTrue(rid, (method, path, r.headers))
            self.assertRegex(rid, SANE_ID)
            seen.add(rid)
        self.assertEqual(len(seen), 8, "generated request ids repeat: %r" % seen)
        r = oversized_with_length(s)
        self.assertTrue(r.header("X-Request-Id"))

    # 6. OpenAPI ------------------------------------------------------------------------------
    def test_openapi_document(self):
        r = self.server.request("GET", "/api/v1/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        doc = json.loads(r.body)
        self.assertEqual(doc.get("openapi"), "3.1.0")
        paths = doc.get("paths")
        self.assertIsInstance(paths, dict)
        for p, m in (("/healthz", "get"), ("/readyz", "get"), ("/api/v1/csp-report", "post"),
                     ("/api/v1/openapi.json", "get")):
            self.assertIn(p, paths)
            self.assertIn(m, paths[p], p)
        self.assertIn("title", doc.get("info", {}))

    # 7. static files -------------------------------------------------------------------------
    def test_static_files(self):
        s = self.server
        root = s.request("GET", "/")
        self.assertEqual(root.status, 200, root)
        self.assertTrue(root.header("Content-Type").startswith("text/html"), root.headers)
        self.assertIn(b"<", root.body)
        week = s.request("GET", "/week")
        self.assertEqual(week.status, 200, week)
        self.assertTrue(week.header("Content-Type").startswith("text/html"))
        self.assertEqual(week.body, root.body, "/week is not index.html")
        idx = s.request("GET", "/index.html")
        self.assertEqual(idx.body, root.body)
        self.assertEqual(s.request("GET", "/nope.js").status, 404)
        for path in ("/../../etc/passwd", "/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd"):
            self.assertNotIn(b"root:", s.request("GET", path).body, path)
        r = s.request("POST", "/week", body={})
        self.assert_problem(r, 405)

    # 8. TLS ----------------------------------------------------------------------------------
    def handshake(self, minv, maxv, ciphers=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = minv
            ctx.maximum_version = maxv
        if ciphers:
            ctx.set_ciphers(ciphers)
        with socket.create_connection(("127.0.0.1", self.server.https_port), timeout=10) as sock:
            with ctx.wrap_socket(sock) as ss:
                return ss.version(), ss.cipher()[0]

    def assert_refused(self, minv, maxv, ciphers):
        with self.assertRaises((ssl.SSLError, ConnectionError)) as cm:
            self.handshake(minv, maxv, ciphers)
        # the client must really have offered it: a refusal by our own library proves nothing
        reason = getattr(cm.exception, "reason", None) or ""
        self.assertNotIn(reason, ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_CIPHER_MATCH"),
                         "the client could not offer it: %r" % cm.exception)

    def test_tls_versions_and_suites(self):
        V = ssl.TLSVersion
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.assert_refused(V.TLSv1_1, V.TLSv1_1, "DEFAULT:@SECLEVEL=0")
            self.assert_refused(V.TLSv1, V.TLSv1, "DEFAULT:@SECLEVEL=0")
        self.assert_refused(V.TLSv1_2, V.TLSv1_2, "AES128-SHA")          # RSA key exchange, CBC
        self.assert_refused(V.TLSv1_2, V.TLSv1_2, "ECDHE-ECDSA-AES128-SHA")  # forward secret but CBC
        self.assert_refused(V.TLSv1_2, V.TLSv1_2, "AES128-GCM-SHA256")   # AEAD, not forward secret
        self.assertEqual(self.handshake(V.TLSv1_2, V.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256"),
                         ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"))
        self.assertEqual(self.handshake(V.TLSv1_3, V.TLSv1_3)[0], "TLSv1.3")
        # and a real request over each accepted version
        for minv, maxv in ((V.TLSv1_2, V.TLSv1_2), (V.TLSv1_3, V.TLSv1_3)):
            ctx = ssl.create_default_context(cafile=os.path.join(self.server.var, "tls", "cert.pem"))
            ctx.minimum_version, ctx.maximum_version = minv, maxv
            c = http.client.HTTPSConnection("localhost", self.server.https_port, context=ctx, timeout=10)
            r = self.server.request("GET", "/healthz", conn=c)
            c.close()
            self.assertEqual(r.status, 200)

    @unittest.skipUnless(shutil.which("openssl"), "openssl command not installed")
    def test_tls_with_openssl_s_client(self):
        def s_client(*args):
            p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.server.https_port,
                                "-servername", "localhost"] + list(args),
                               input=b"", capture_output=True, timeout=30)
            return p.returncode, p.stdout.decode("utf-8", "replace")
        rc, out = s_client("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("Cipher is (NONE)", out)
        rc, out = s_client("-tls1_2", "-cipher", "AES128-SHA")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("Cipher is (NONE)", out)
        rc, out = s_client("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assertEqual(rc, 0, out)
        self.assertIn("TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256", out)
        rc, out = s_client("-tls1_3")
        self.assertEqual(rc, 0, out)
        self.assertIn("New, TLSv1.3", out)

    # 14. access log --------------------------------------------------------------------------
    def wait_access(self, rid, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = [l for l in self.server.log_lines("access") if l.get("request_id") == rid]
            if lines:
                return lines
            time.sleep(0.05)
        self.fail("no access line for request id %s" % rid)

    def test_access_log(self):
        s = self.server
        s.request("GET", "/healthz", headers={"X-Request-Id": "log-ok-1"})
        s.request("GET", "/api/v1/definitely/not/here", headers={"X-Request-Id": "log-404-1"})
        s.request("DELETE", "/healthz", headers={"X-Request-Id": "log-405-1"})
        s.request("GET", "/week", https=False, headers={"X-Request-Id": "log-308-1"})
        expect = {"log-ok-1": ("GET", 200, "/healthz"), "log-404-1": ("GET", 404, None),
                  "log-405-1": ("DELETE", 405, "/healthz"), "log-308-1": ("GET", 308, None)}
        for rid, (method, status, route) in expect.items():
            lines = self.wait_access(rid)
            self.assertEqual(len(lines), 1, lines)
            a = lines[0]
            for field in ("time", "request_id", "ip", "method", "route", "status", "duration_ms"):
                self.assertIn(field, a, a)
            self.assertEqual(a["ip"], "127.0.0.1")
            self.assertEqual(a["method"], method)
            self.assertEqual(a["status"], status)
            self.assertIsInstance(a["route"], str)
            self.assertTrue(a["route"])
            if route:
                self.assertEqual(a["route"], route)
            self.assertIsInstance(a["duration_ms"], (int, float))
            self.assertGreaterEqual(a["duration_ms"], 0)
            self.assertLess(a["duration_ms"], 30000)
        # an unknown path is not logged verbatim as the route (unbounded cardinality, secrets in paths)
        self.assertNotIn("definitely", self.wait_access("log-404-1")[0]["route"])

    def test_log_never_holds_secrets(self):
        s = self.server
        cron = s.secret("cron_secret")
        self.assertGreaterEqual(len(cron), 32)
        targets = [("GET", "/healthz"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/nope"),
                   ("POST", "/api/v1/csp-report")]
        route = protected_route(s)
        if route:
            targets.append(route)
        for i, (method, path) in enumerate(targets):
            rid = "secret-check-%d" % i
            s.request(method, path, token=cron, headers={"X-Request-Id": rid, "Content-Length": "0"}
                      if method == "POST" else {"X-Request-Id": rid})
            s.request(method, path, https=False, token=cron)
            self.wait_access(rid)
        # a body is never logged either
        s.request("POST", "/api/v1/csp-report", raw=json.dumps({"csp-report": {"x": cron}}).encode(),
                  headers={"Content-Type": "application/csp-report", "X-Request-Id": "secret-body"})
        self.wait_access("secret-body")
        secrets = {name: s.secret(name) for name in
                   ("cron_secret", "jwt_secret", "password_pepper", "data_key", "stripe_webhook_secret")}
        for line in s.read_log().splitlines():
            for name, value in secrets.items():
                if value in line:
                    # dev prints the cron secret once at start, by design (DESIGN.md); nothing else may
                    self.assertTrue(name == "cron_secret" and line.startswith("cron secret (for "),
                                    "%s found in a log line: %s" % (name, line[:200]))
        banner = [l for l in s.read_log().splitlines() if cron in l]
        self.assertLessEqual(len(banner), 1, banner)

    # 15. roles -------------------------------------------------------------------------------
    def test_app_role_is_narrow_and_owns_nothing(self):
        s = self.server
        row = s.psql("select rolsuper, rolbypassrls, rolcanlogin, rolcreaterole, rolcreatedb "
                     "from pg_roles where rolname = 'planyard_app'", user="planyard_owner")
        self.assertEqual(row, "f|f|t|f|f")
        for catalog, owner in (("pg_class", "relowner"), ("pg_namespace", "nspowner"), ("pg_proc", "proowner"),
                               ("pg_type", "typowner"), ("pg_database", "datdba")):
            n = s.psql("select count(*) from %s where %s = (select oid from pg_roles where rolname = 'planyard_app')"
                       % (catalog, owner), user="planyard_owner")
            self.assertEqual(n, "0", "planyard_app owns %s objects in %s" % (n, catalog))
        # the same query does see the schema owner's objects (so it can fail)
        n = s.psql("select count(*) from pg_namespace where nspowner = "
                   "(select oid from pg_roles where rolname = 'planyard_owner')", user="planyard_owner")
        self.assertGreaterEqual(int(n), 1)
        self.assertEqual(s.psql("select current_user"), "planyard_app")


# --------------------------------------------------------------------------------------------
class Resilience(unittest.TestCase, ProblemAssertions):
    """The database going away under a running server; many idle connections (from one
    address, idle longer than a head may take by default: both limits raised here)."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(env={"PLANYARD_MAX_CONNECTIONS_PER_IP": "2000", "PLANYARD_HEAD_TIMEOUT_S": "300"})

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.server)

    # 9 ---------------------------------------------------------------------------------------
    def test_readyz_follows_the_database(self):
        s = self.server
        for _ in range(20):  # every worker holds a connection
            r = s.request("GET", "/readyz")
            self.assertEqual(r.status, 200, r)
        self.assertEqual(s.pg_ctl("stop", "-m", "fast"), 0)
        try:
            for _ in range(3):
                t0 = time.time()
                r = s.request("GET", "/readyz")
                self.assert_problem(r, 503, "db_unavailable")
                self.assertLess(time.time() - t0, 5, "readyz took too long with the database down")
                self.assertEqual(s.request("GET", "/healthz").status, 200)
            self.assertEqual(s.request("GET", "/").status, 200)
            self.assertIsNone(s.proc.poll(), "the server died with the database")
        finally:
            self.assertEqual(s.pg_ctl("start"), 0)
        deadline = time.time() + 10
        while True:
            r = s.request("GET", "/readyz")
            if r.status == 200 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(r.status, 200, r)
        # every worker got its connection back, not just one: a worker still holding the
        # connection the restart closed must not answer 503 with the database up
        statuses = [s.request("GET", "/readyz").status for _ in range(20)]
        self.assertEqual(statuses, [200] * 20)

    # 10 --------------------------------------------------------------------------------------
    def test_thousand_idle_tls_connections(self):
        s = self.server
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 1000 + 200
        if soft < want:
            if hard != resource.RLIM_INFINITY and hard < want:
                self.skipTest("RLIMIT_NOFILE hard limit %d is below %d" % (hard, want))
            resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else hard, hard))
        idle = []
        try:
            for _ in range(1000):
                idle.append(s.tls_socket(timeout=10))
            self.assertEqual(len(idle), 1000)
            for i in range(10):
                t0 = time.time()
                r = s.request("GET", "/healthz" if i % 2 else "/readyz")
                self.assertEqual(r.status, 200, r)
                self.assertLess(time.time() - t0, 2.0, "a request took %.2fs with 1000 idle connections"
                                % (time.time() - t0))
            # the idle ones are still open and usable
            for sock in idle[::250]:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                self.assertEqual(read_response(sock).status, 200)
        finally:
            for sock in idle:
                sock.close()
        self.assertEqual(s.request("GET", "/healthz").status, 200)


# --------------------------------------------------------------------------------------------
class GracefulShutdown(unittest.TestCase):
    # 11 --------------------------------------------------------------------------------------
    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.server)

    def test_sigterm_finishes_request_in_flight(self):
        s = self.server
        self.assertEqual(s.request("GET", "/readyz").status, 200)  # the workers hold connections too
        body = json.dumps(CSP_REPORT).encode()
        sock = s.tls_socket(timeout=20)
        try:
            sock.sendall(("POST /api/v1/csp-report HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/csp-report\r\n"
                          "Content-Length: %d\r\nX-Request-Id: in-flight-1\r\n\r\n" % len(body)).encode() + body[:20])
            time.sleep(0.3)
            s.proc.send_signal(signal.SIGTERM)
            refused = None
            deadline = time.time() + 3
            while time.time() < deadline:
                try:
                    c = socket.create_connection(("127.0.0.1", s.https_port), timeout=1)
                    c.close()
                    time.sleep(0.05)
                except (ConnectionRefusedError, ConnectionResetError) as e:
                    refused = e
                    break
            self.assertIsNotNone(refused, "new connections were still accepted 3 s after SIGTERM")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", s.http_port), timeout=1).close()
            self.assertIsNone(s.proc.poll(), "the server exited before finishing the request in flight")
            sock.sendall(body[20:])
            r = read_response(sock, "POST")
            self.assertEqual(r.status, 204, r)
            self.assertEqual(r.header("X-Request-Id"), "in-flight-1")
        finally:
            sock.close()
        self.assertEqual(s.proc.wait(30), 0, s.read_log()[-3000:])
        self.assertNotEqual(s.pg_ctl("status"), 0, "the private cluster is still running")
        self.assertFalse(os.path.exists(os.path.join(s.pg_dir, "postmaster.pid")))
        self.assertIn("in-flight-1", s.read_log())


# --------------------------------------------------------------------------------------------
class ServeStartup(unittest.TestCase):
    """`planyard serve`: refuses to start on a missing or weak secret or an unreadable
    certificate, starts with a full environment."""

    # 12 --------------------------------------------------------------------------------------
    @classmethod
    def setUpClass(cls):
        cls.dev = start_server()  # the cluster, the schema and a certificate

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls, cls.dev)

    def valid_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANYARD_")}
        d = self.dev
        self.https_port, self.http_port = free_port(), free_port()
        env.update({
            "PLANYARD_DATABASE_URL": "host=%s dbname=planyard user=planyard_app" % d.pg_dir,
            "PLANYARD_AUTH_DATABASE_URL": "host=%s dbname=planyard user=planyard_auth" % d.pg_dir,
            "PLANYARD_JOBS_DATABASE_URL": "host=%s dbname=planyard user=planyard_jobs" % d.pg_dir,
            "PLANYARD_LISTEN_HTTPS": "127.0.0.1:%d" % self.https_port,
            "PLANYARD_LISTEN_HTTP": "127.0.0.1:%d" % self.http_port,
            "PLANYARD_TLS_CERT": os.path.join(d.var, "tls", "cert.pem"),
            "PLANYARD_TLS_KEY": os.path.join(d.var, "tls", "key.pem"),
            "PLANYARD_PUBLIC_URL": "https://localhost:%d" % self.https_port,
            "PLANYARD_JWT_SECRET": "j" * 40,
            "PLANYARD_PASSWORD_PEPPER": "p" * 40,
            "PLANYARD_DATA_KEY": "k" * 40,
            "PLANYARD_STRIPE_WEBHOOK_SECRET": "whsec_" + "s" * 40,
            "PLANYARD_CRON_SECRET": "c" * 40,
            "PLANYARD_WORKERS": "2",
            # started as root, serve becomes this user after binding: the cluster's, which
            # may enter the private cluster's socket folder
            "PLANYARD_RUN_AS": "postgres",
            "PLANYARD_OUTBOX_DIR": os.path.join(d.var, "outbox"),
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87",
        })
        return env

    def assert_refuses(self, env, mentions):
        p = subprocess.run([BINARY, "serve"], env=env, capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 2, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "expected exactly one line on stderr, got:\n" + err)
        self.assertTrue(err.endswith("\n"))
        self.assertIn(mentions, lines[0])
        return lines[0]

    def test_valid_environment_starts_and_stops(self):
        env = self.valid_env()
        cert = env["PLANYARD_TLS_CERT"]
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen([BINARY, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                ctx = ssl.create_default_context(cafile=cert)
                status, deadline = None, time.time() + 30
                while time.time() < deadline and proc.poll() is None:
                    try:
                        c = http.client.HTTPSConnection("localhost", self.https_port, context=ctx, timeout=5)
                        c.request("GET", "/healthz")
                        r = c.getresponse()
                        status, body = r.status, r.read()
                        c.close()
                        break
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.1)
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body), {"status": "ok"})
                c = http.client.HTTPSConnection("localhost", self.https_port, context=ctx, timeout=5)
                c.request("GET", "/readyz")
                self.assertEqual(c.getresponse().status, 200)
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
                c.request("GET", "/week")
                r = c.getresponse()
                self.assertEqual((r.status, r.getheader("Location")), (308, "https://localhost:%d/week" % self.https_port))
                c.close()
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.seek(0)
            log = out.read().decode("utf-8", "replace")
        self.assertEqual(rc, 0, log[-3000:])
        self.assertNotIn("Sanitizer", log)
        for secret in ("j" * 40, "p" * 40, "k" * 40, "c" * 40, "s" * 40):
            self.assertNotIn(secret, log)
        # serve does not own the database: the cluster keeps running
        self.assertEqual(self.dev.pg_ctl("status"), 0)

    def test_missing_jwt_secret(self):
        env = self.valid_env()
        del env["PLANYARD_JWT_SECRET"]
        self.assert_refuses(env, "PLANYARD_JWT_SECRET")
        env["PLANYARD_JWT_SECRET"] = ""
        self.assert_refuses(env, "PLANYARD_JWT_SECRET")

    def test_short_jwt_secret(self):
        env = self.valid_env()
        env["PLANYARD_JWT_SECRET"] = "short-secret-of-31-bytes-......"
        self.assertEqual(len(env["PLANYARD_JWT_SECRET"]), 31)
        line = self.assert_refuses(env, "PLANYARD_JWT_SECRET")
        self.assertNotIn("short-secret", line, "the error line shows the secret")

    def test_other_weak_secrets(self):
        for name in ("PLANYARD_PASSWORD_PEPPER", "PLANYARD_DATA_KEY", "PLANYARD_CRON_SECRET"):
            env = self.valid_env()
            env[name] = "x" * 16
            self.assert_refuses(env, name)
            del env[name]
            self.assert_refuses(env, name)

    def test_unreadable_certificate(self):
        env = self.valid_env()
        env["PLANYARD_TLS_CERT"] = os.path.join(self.dev.data_dir, "no-such-dir", "cert.pem")
        self.assert_refuses(env, "cert")
        env = self.valid_env()
        with tempfile.NamedTemporaryFile(suffix=".pem") as junk:
            junk.write(b"this is not a certificate\n")
            junk.flush()
            env["PLANYARD_TLS_CERT"] = junk.name
            self.assert_refuses(env, "cert")


# --------------------------------------------------------------------------------------------
class DevDataDirReuse(unittest.TestCase):
    # 13 --------------------------------------------------------------------------------------
    def test_second_dev_reuses_cluster_and_data(self):
        first = Server()
        second = None
        try:
            first.start()
            first.psql("create table app.reuse_probe (v text); insert into app.reuse_probe values ('kept-42')",
                       user="planyard_owner")
            self.assertEqual(first.stop(), 0)
            self.assertNotEqual(first.pg_ctl("status"), 0, "dev left its cluster running")
            self.assertEqual(first.sanitizer_errors(), [])
            second = Server(data_dir=first.data_dir)
            second.start()
            self.assertEqual(second.psql("select v from app.reuse_probe", user="planyard_owner"), "kept-42")
            self.assertEqual(second.request("GET", "/readyz").status, 200)
            self.assertEqual(first.secret("cron_secret"), second.secret("cron_secret"))
            self.assertEqual(second.stop(), 0)
            self.assertEqual(second.sanitizer_errors(), [])
            logs = first.read_log() + second.read_log()
            self.assertEqual(logs.count("creating the private PostgreSQL cluster"), 1, logs[-3000:])
            self.assertNotIn("creating the private PostgreSQL cluster", second.read_log())
        finally:
            if second is not None:
                second.stop()
            first.cleanup()  # stops the cluster and removes the shared dir


# --------------------------------------------------------------------------------------------
# The environment of a freshly installed machine: PATH without PostgreSQL's bindir (Debian
# puts no initdb or pg_ctl in /usr/bin).
FRESH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class DevClusterLifecycle(unittest.TestCase):
    """`planyard dev` and its private cluster on a fresh machine: started from anywhere,
    stopped on every way of being told to, recovered after a kill -9."""

    def wait_gone(self, server, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline and server.cluster_processes():
            time.sleep(0.1)
        return server.cluster_processes()

    def assert_cluster_gone(self, server):
        self.assertNotEqual(server.pg_ctl("status"), 0, "the private cluster is still running")
        self.assertEqual(self.wait_gone(server), [], "PostgreSQL processes of the cluster are left")
        self.assertFalse(os.path.exists(os.path.join(server.pg_dir, "postmaster.pid")))

    def test_starts_from_a_directory_postgres_cannot_enter(self):
        if os.geteuid() != 0:
            self.skipTest("the cluster runs as another user only when started as root")
        # like a clone in /root (mode 700): the data dir and the working directory inside it
        home = tempfile.mkdtemp(prefix="planyard-home-")
        os.chmod(home, 0o700)
        clone = os.path.join(home, "project")
        os.mkdir(clone)
        s = Server(data_dir=clone, cwd=clone, env={"PATH": FRESH_PATH})
        try:
            s.start()
            self.assertEqual(s.request("GET", "/readyz").status, 200)
            self.assertFalse(s.pg_dir.startswith(home + "/"), "the cluster must live where postgres can enter")
            self.assertIn("creating the private PostgreSQL cluster", s.read_log())
            self.assertNotEqual(s.cluster_processes(), [])
            self.assertEqual(s.stop(), 0, s.read_log()[-3000:])
            self.assert_cluster_gone(s)
            self.assertEqual(s.sanitizer_errors(), [])
        finally:
            s.stop()
            s.pg_ctl("stop", "-m", "immediate")
            link = os.path.join(s.var, "pg")
            if os.path.islink(link):
                shutil.rmtree(os.path.realpath(link), ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)

    def test_every_stop_signal_stops_the_cluster(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                s = start_server(env={"PATH": FRESH_PATH})
                try:
                    self.assertNotEqual(s.cluster_processes(), [])
                    self.assertEqual(s.stop(sig), 0, s.read_log()[-3000:])
                    self.assert_cluster_gone(s)
                    self.assertEqual(s.sanitizer_errors(), [])
                finally:
                    s.cleanup()

    def test_signal_during_startup_stops_the_cluster(self):
        # SIGTERM while migrations and the demo seed run, before anything is served
        s = Server(args=(), env={"PATH": FRESH_PATH})
        try:
            s.log = open(s.log_path, "ab")
            s.proc = subprocess.Popen([BINARY, "dev"], env=s.env(), stdout=s.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 60
            while time.time() < deadline and "applied" not in s.read_log() and s.proc.poll() is None:
                time.sleep(0.02)
            self.assertIn("applied", s.read_log())
            self.assertEqual(s.stop(signal.SIGTERM), 0, s.read_log()[-3000:])
            self.assertNotIn("Planyard is running", s.read_log())
            self.assert_cluster_gone(s)
        finally:
            s.cleanup()

    def test_second_dev_recovers_after_kill_9(self):
        first = start_server(env={"PATH": FRESH_PATH})
        second = third = None
        try:
            first.psql("create table app.kill_probe (v text); insert into app.kill_probe values ('kept-9')",
                       user="planyard_owner")
            self.assertEqual(first.stop(signal.SIGKILL), -signal.SIGKILL)
            orphans = first.cluster_processes()
            self.assertNotEqual(orphans, [], "the cluster outlives a kill -9 of dev")
            # the next dev adopts the orphan, serves, and stops it when it leaves
            second = Server(data_dir=first.data_dir, env={"PATH": FRESH_PATH}).start()
            self.assertEqual(second.psql("select v from app.kill_probe", user="planyard_owner"), "kept-9")
            self.assertEqual(second.stop(), 0, second.read_log()[-3000:])
            self.assert_cluster_gone(second)

            # a postmaster.pid left by a postmaster killed with -9, naming a live process
            # that is not PostgreSQL (pid reuse): the next dev removes it and starts
            third = Server(data_dir=first.data_dir, env={"PATH": FRESH_PATH}).start()
            pid_file = os.path.join(third.pg_dir, "postmaster.pid")
            with open(pid_file) as f:
                lines = f.read().split("\n")
            os.kill(third.proc.pid, signal.SIGKILL)
            third.proc.wait()
            postmaster = int(lines[0])
            os.kill(postmaster, signal.SIGKILL)
            self.assertEqual(self.wait_gone(third), [])
            impostor = subprocess.Popen(["sleep", "300"])
            try:
                lines[0] = str(impostor.pid)
                with open(pid_file, "w") as f:
                    f.write("\n".join(lines))
                fourth = Server(data_dir=first.data_dir, env={"PATH": FRESH_PATH})
                try:
                    fourth.start()
                    self.assertEqual(fourth.psql("select v from app.kill_probe", user="planyard_owner"), "kept-9")
                    self.assertIn("stale", fourth.read_log())
                    self.assertEqual(fourth.stop(), 0, fourth.read_log()[-3000:])
                    self.assert_cluster_gone(fourth)
                    self.assertIsNone(impostor.poll(), "the impostor process was touched")
                finally:
                    fourth.stop()
            finally:
                impostor.kill()
                impostor.wait()
        finally:
            for s in (second, third):
                if s is not None:
                    s.stop()
            first.cleanup()

    def test_last_of_two_devs_stops_the_cluster(self):
        first = start_server(env={"PATH": FRESH_PATH})
        second = None
        try:
            second = Server(data_dir=first.data_dir, env={"PATH": FRESH_PATH}).start()
            self.assertEqual(first.stop(), 0)
            # the other one still uses it
            self.assertEqual(second.pg_ctl("status"), 0)
            self.assertEqual(second.request("GET", "/readyz").status, 200)
            self.assertEqual(second.stop(), 0)
            self.assert_cluster_gone(second)
        finally:
            if second is not None:
                second.stop()
            first.cleanup()


if __name__ == "__main__":
    unittest.main()
