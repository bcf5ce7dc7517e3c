"""End-to-end test of the web app: the real server (ASan build, its own PostgreSQL, mail over
SMTP to smtp_sink.py) driven through Debian's headless Chromium by tests/e2e/run.mjs
(playwright-core from npm).

This module starts the server and a small "bridge" HTTP service on 127.0.0.1 that the browser
script asks for what only the test side can see: the token of a mailed link, a platform
impersonation link (`planyard platform impersonate`), the demo workspace's sign-in. The
script walks the screens a scheduler and an admin use, asserts zero CSP violations and zero
console errors, and saves screenshots (to build/e2e-screenshots/, or to
$PLANYARD_E2E_SHOTS, e.g. docs/screenshots when refreshing the README's pictures)."""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

import fakes
from harness import BINARY, ROOT, Server
from smtp_sink import SmtpSink

E2E = os.path.join(ROOT, "tests", "e2e")
CHROMIUM = os.environ.get("PLANYARD_CHROMIUM", "/usr/bin/chromium")


def ensure_node_modules():
    """npm ci when tests/e2e/node_modules is missing (check.sh does it too)."""
    if all(os.path.isdir(os.path.join(E2E, "node_modules", m)) for m in ("playwright-core", "axe-core")):
        return
    subprocess.run(["npm", "ci", "--prefix", E2E, "--no-audit", "--no-fund"], check=True,
                   stdout=subprocess.DEVNULL)


class Bridge(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, server, sink):
        self.planyard = server
        self.sink = sink
        super().__init__(("127.0.0.1", 0), BridgeHandler)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class BridgeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        b = self.server
        if u.path == "/mail":
            # the token of the newest <page> link mailed to <to>, among mails after the first <after>
            to, page, after = q["to"], q["page"], int(q.get("after", "0"))
            deadline = time.time() + float(q.get("timeout", "20"))
            while time.time() < deadline:
                for m in reversed(b.sink.find(to=to)[after:]):
                    token = m.link_token(page)
                    if token:
                        return self.reply(200, {"token": token, "count": b.sink.count(to=to), "subject": m.subject})
                time.sleep(0.1)
            return self.reply(404, {"error": "no %s mail to %s" % (page, to),
                                    "received": [repr(m) for m in b.sink.messages]})
        if u.path == "/mail/count":
            return self.reply(200, {"count": b.sink.count(to=q["to"])})
        if u.path == "/demo":
            # ?kind=trips: the agency's workspace, printed after the contractor's
            agency = r'demo agency \(trips\): ' if q.get("kind") == "trips" else ''
            m = re.search(agency + r'sign in to "([^"]+)" as (\S+) with password (\S+)', b.planyard.read_log())
            if not m:
                return self.reply(404, {"error": "no demo workspace"})
            return self.reply(200, {"workspace": m.group(1), "email": m.group(2), "password": m.group(3)})
        return self.reply(404, {"error": "unknown"})

    def do_POST(self):
        b = self.server
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/impersonate":
            r = subprocess.run([BINARY, "platform", "impersonate", "--workspace", body["workspace"],
                                "--user", body["email"], "--staff", body["staff"], "--reason", body["reason"]],
                               env=b.planyard.env(), capture_output=True, text=True, timeout=60)
            return self.reply(200, {"status": r.returncode, "link": r.stdout.strip(), "stderr": r.stderr.strip()[-2000:]})
        return self.reply(404, {"error": "unknown"})


class TestWebSources(unittest.TestCase):
    """The web app's files keep the strict CSP easy to hold: no inline script or style in the
    markup, no HTML parsed from strings in the scripts, nothing loaded from elsewhere."""

    WEB = os.path.join(ROOT, "web")

    def files(self, ext):
        for d, _, names in os.walk(self.WEB):
            for n in names:
                if n.endswith(ext):
                    with open(os.path.join(d, n), encoding="utf-8") as f:
                        yield os.path.relpath(os.path.join(d, n), ROOT), f.read()

    def test_markup_has_no_inline_script_or_style(self):
        for path, text in self.files(".html"):
            self.assertNotRegex(text, r"<script(?![^>]*\bsrc=)[^>]*>", path)
            self.assertNotRegex(text, r"<style\b", path)
            self.assertNotRegex(text, r"\sstyle\s*=", path)
            self.assertNotRegex(text, r"\son[a-z]+\s*=", path)
            self.assertNotRegex(text, r"(src|href)=\"(https?:)?//", path)

    def test_scripts_build_the_dom_without_html_strings(self):
        bad = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
                         r"cssText|setAttribute\(\s*['\"]style|import\s*\(?\s*['\"]https?:")
        n = 0
        for path, text in self.files(".js"):
            n += 1
            for i, line in enumerate(text.splitlines(), 1):
                self.assertIsNone(bad.search(line), "%s:%d: %s" % (path, i, line.strip()))
        self.assertGreater(n, 10)

    def test_styles_load_nothing_from_elsewhere(self):
        for path, text in self.files(".css"):
            self.assertNotRegex(text, r"@import|url\(\s*['\"]?(https?:)?//", path)


class TestWebApp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMIUM):
            raise unittest.SkipTest("Debian's chromium is not installed (scripts/deps.sh check installs it)")
        if not shutil.which("node"):
            raise unittest.SkipTest("node is not installed")
        ensure_node_modules()
        cls.sink = SmtpSink().start()
        cls.stripe = fakes.Stripe()           # the payment processor's stand-in (billing screen)
        cls.server = Server(args=())          # with the demo workspace, for the screenshots
        cls.server.extra_env.update({
            "PLANYARD_STRIPE_SECRET_KEY": fakes.Stripe.KEY,
            "PLANYARD_STRIPE_PRICES": "starter=price_starter_m,pro=price_pro_m",
            "PLANYARD_STRIPE_API_URL": cls.stripe.url,
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_PUBLIC_URL": "https://localhost:%d" % cls.server.https_port,
        })
        cls.server.start()
        cls.bridge = Bridge(cls.server, cls.sink)
        threading.Thread(target=cls.bridge.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.bridge.shutdown()
        cls.bridge.server_close()
        cls.server.cleanup()
        cls.sink.stop()
        cls.stripe.stop()

    def test_web_app_end_to_end(self):
        shots = os.environ.get("PLANYARD_E2E_SHOTS") or os.path.join(ROOT, "build", "e2e-screenshots")
        if not os.path.isabs(shots):
            shots = os.path.join(ROOT, shots)
        os.makedirs(shots, exist_ok=True)
        cmd = ["node", os.path.join(E2E, "run.mjs"), "--base", "https://localhost:%d" % self.server.https_port,
               "--bridge", self.bridge.url, "--shots", shots, "--chromium", CHROMIUM]
        t0 = time.time()
        p = subprocess.run(cmd, cwd=E2E, capture_output=True, text=True, timeout=300)
        out = p.stdout + (("\n" + p.stderr) if p.stderr.strip() else "")
        sys.stdout.write("\n" + "\n".join("    " + l for l in out.strip().splitlines()) + "\n")
        sys.stdout.write("    e2e wall time %.1fs\n" % (time.time() - t0))
        if p.returncode != 0:
            log = [l for l in self.server.read_log().splitlines() if '"level":"access"' not in l]
            sys.stdout.write("    server log (last lines, access log left out):\n" + "\n".join("      " + l for l in log[-25:]) + "\n")
        self.assertEqual(p.returncode, 0, "the browser run failed (see above)")
        # every CSP violation is reported to the server (report-uri): the only one is the one the
        # script provokes on purpose to prove its detector works
        m = re.search(r"^csp-provoked (\d+)$", p.stdout, re.M)
        provoked = int(m.group(1)) if m else 0
        deadline = time.time() + 5
        while True:
            reports = [l for l in self.server.log_lines("access") if l.get("route") == "/api/v1/csp-report"]
            if len(reports) >= provoked or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(len(reports), provoked, "CSP reports that reached the server: %r" % reports)
        self.assertEqual(self.server.sanitizer_errors(), [])


if __name__ == "__main__":
    unittest.main()
