"""Black-box tests of two-factor authentication (API.md "Authentication": the mfa_required
answer of POST /auth/login and POST /auth/mfa/verify; "The signed-in user": /me/mfa/*;
DESIGN.md "Sessions and secrets") over real HTTPS against the real server and database.

Codes are computed by an independent implementation, Debian's oathtool, never by the code
under test. Every request carries X-Forwarded-For with a fresh address (the server trusts
127.0.0.1 as a proxy here), so per-IP limits of one test never touch another."""
import base64
import hashlib
import itertools
import json
import re
import subprocess
import threading
import time
import unittest
import uuid

from fixtures import PASSWORD, Workspace, wait_token
from harness import Server

B32_SECRET_RE = re.compile(r"^[A-Z2-7]{32}$")
RECOVERY_RE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$")
STEP = 30

_ips = itertools.count(1)


def fresh_ip():
    n = next(_ips)
    return "10.77.%d.%d" % ((n >> 8) & 255, n & 255)


def oath(secret, step):
    """The 6-digit TOTP code of a base32 secret at a time step, by oathtool."""
    out = subprocess.run(["oathtool", "--totp", "-b", secret, "-N", "@%d" % (step * STEP)],
                         capture_output=True, text=True, check=True)
    code = out.stdout.strip()
    assert re.match(r"^[0-9]{6}$", code), out
    return code


def safe_step(margin=6):
    """The current time step, after waiting out its last `margin` seconds, so that the
    requests that follow run in the same step as the codes computed for it."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.3)
    return int(time.time()) // STEP


def wrong_code(secret, now):
    """A 6-digit code that matches none of the steps near now."""
    near = {oath(secret, now + d) for d in range(-2, 3)}
    for k in itertools.count(100):
        c = oath(secret, now + k)
        if c not in near:
            return c


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class MfaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_TRUSTED_PROXIES": "127.0.0.1"})
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        tail = cls.server.read_log()[-3000:] if errors else ""
        cls.server.cleanup()
        assert errors == [], "sanitizer errors in %s:\n%s\n%s" % (cls.__name__, "\n".join(errors), tail)
        assert rc == 0, "the server exited %r" % rc

    # ---- helpers ----
    def call(self, method, path, body=None, token=None, ip=None):
        return self.server.api(method, path, body, token=token, headers={"X-Forwarded-For": ip or fresh_ip()})

    def owner_sql(self, sql):
        return self.server.psql(sql, user="planyard_owner")

    def assert_problem(self, r, status, code=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0], "application/problem+json", r)
        if code is not None:
            self.assertEqual(r.json.get("code"), code, r.json)
        if status == 401:
            self.assertEqual(r.header("WWW-Authenticate"), "Bearer", r.headers)
        if status == 429:
            self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$", r.headers)
        return r.json

    def account(self):
        """A confirmed owner of a new workspace, signed in (aal1)."""
        slug = "mfa-" + uuid.uuid4().hex[:10]
        email = "owner-%s@example.com" % uuid.uuid4().hex[:8]
        r = self.call("POST", "/auth/signup", {"workspace_name": "Mfa " + slug, "workspace_slug": slug,
                                               "name": "Owner " + slug, "email": email, "password": PASSWORD})
        self.assertEqual(r.status, 202, r)
        r = self.call("POST", "/auth/confirm", {"token": wait_token(self.server, email, "confirm")})
        self.assertEqual(r.status, 200, r)
        body = self.login_body(slug, email)
        self.assertIn("access_token", body)
        return Workspace(self.server, slug, email, body["access_token"], body)

    def login_body(self, slug, email, password=PASSWORD):
        r = self.call("POST", "/auth/login", {"workspace": slug, "email": email, "password": password})
        self.assertEqual(r.status, 200, r)
        return r.json

    def challenge(self, ws):
        """Signs in with the right password; returns the mfa_token."""
        b = self.login_body(ws.slug, ws.email)
        self.assertEqual(set(b), {"mfa_required", "mfa_token", "expires_in"}, b)
        self.assertIs(b["mfa_required"], True)
        self.assertEqual(b["expires_in"], 300)
        self.assertIsInstance(b["mfa_token"], str)
        self.assertGreaterEqual(len(b["mfa_token"]), 22)
        return b["mfa_token"]

    def verify(self, token, code=None, recovery_code=None, ip=None):
        body = {"mfa_token": token}
        if code is not None:
            body["code"] = code
        if recovery_code is not None:
            body["recovery_code"] = recovery_code
        return self.call("POST", "/auth/mfa/verify", body, ip=ip)

    def enrol(self, ws):
        """Starts enrolment; returns the response body."""
        r = self.call("POST", "/me/mfa/totp", {"password": PASSWORD}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def enable(self, ws, forget_step=True):
        """Enrols and activates TOTP; returns (secret, recovery codes). With forget_step the
        step the activation used is cleared, so every step is free for the test."""
        secret = self.enrol(ws)["secret"]
        now = safe_step()
        r = self.call("POST", "/me/mfa/totp/activate", {"code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        if forget_step:
            self.owner_sql("update app.users set totp_last_step = null where id = '%s'" % ws.user_id)
        return secret, r.json["recovery_codes"]

    def audit_count(self, ws, action):
        return int(self.owner_sql("select count(*) from app.audit_log where tenant_id = '%s' and action = '%s'"
                                  % (ws.id, action)))

    def assert_aal2_tokens(self, r, ws):
        self.assertEqual(r.status, 200, r)
        b = r.json
        for k in ("access_token", "token_type", "expires_in", "refresh_token", "user", "workspace", "role"):
            self.assertIn(k, b)
        c = jwt_claims(b["access_token"])
        self.assertEqual(c["aal"], "aal2")
        self.assertEqual(c["sub"], ws.user_id)
        self.assertEqual(c["tid"], ws.id)
        me = self.call("GET", "/me", token=b["access_token"])
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["session"]["aal"], "aal2")
        return b

    # ---- enrolment ----
    def test_enrolment_answers_secret_uri_and_svg(self):
        ws = self.account()
        self.assert_problem(self.call("POST", "/me/mfa/totp", {"password": PASSWORD + "x"}, token=ws.token),
                            401, "invalid_credentials")
        self.assert_problem(self.call("POST", "/me/mfa/totp", {"password": PASSWORD}), 401)
        b = self.enrol(ws)
        self.assertEqual(set(b), {"secret", "otpauth_uri", "qr_svg"})
        self.assertRegex(b["secret"], B32_SECRET_RE)
        self.assertEqual(len(base64.b32decode(b["secret"])), 20)
        self.assertEqual(b["otpauth_uri"],
                         "otpauth://totp/Planyard:%s?secret=%s&issuer=Planyard&algorithm=SHA1&digits=6&period=30"
                         % (ws.email, b["secret"]))
        svg = b["qr_svg"]
        self.assertTrue(svg.startswith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg[:80])
        self.assertTrue(svg.endswith("</svg>"))
        self.assertRegex(svg, r'viewBox="0 0 (\d+) \1"')
        self.assertEqual(svg.count("<path"), 1)
        self.assertNotIn("<script", svg.lower())
        self.assertNotIn(" on", svg)
        self.assertNotIn(b["secret"], svg)
        self.assertLess(len(svg), 40000)
        # not on until a code proves the app has it
        self.assertIs(self.call("GET", "/me", token=ws.token).json["user"]["mfa_enabled"], False)
        self.assertIn("access_token", self.login_body(ws.slug, ws.email))
        # a second start replaces the pending secret; a code of the first no longer activates
        b2 = self.enrol(ws)
        self.assertNotEqual(b2["secret"], b["secret"])
        now = safe_step()
        old = oath(b["secret"], now)
        if old not in {oath(b2["secret"], now + d) for d in (-1, 0, 1)}:
            self.assert_problem(self.call("POST", "/me/mfa/totp/activate", {"code": old}, token=ws.token),
                                400, "invalid_code")

    def test_activation_wrong_then_right_code(self):
        ws = self.account()
        self.assert_problem(self.call("POST", "/me/mfa/totp/activate", {"code": "123456"}, token=ws.token),
                            409, "mfa_enrollment_not_started")
        secret = self.enrol(ws)["secret"]
        now = safe_step()
        for bad in (wrong_code(secret, now), "12345", "abcdef", oath(secret, now - 2), oath(secret, now + 2)):
            if bad in {oath(secret, now + d) for d in (-1, 0, 1)}:
                continue
            self.assert_problem(self.call("POST", "/me/mfa/totp/activate", {"code": bad}, token=ws.token),
                                400, "invalid_code")
        self.assertIs(self.call("GET", "/me", token=ws.token).json["user"]["mfa_enabled"], False)
        self.assertEqual(self.audit_count(ws, "auth.mfa_enabled"), 0)
        r = self.call("POST", "/me/mfa/totp/activate", {"code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"recovery_codes"})
        codes = r.json["recovery_codes"]
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        for c in codes:
            self.assertRegex(c, RECOVERY_RE)   # 24 base32 characters: 120 bits
        self.assertIs(self.call("GET", "/me", token=ws.token).json["user"]["mfa_enabled"], True)
        self.assertEqual(self.audit_count(ws, "auth.mfa_enabled"), 1)
        # only hashes are stored
        stored = self.owner_sql("select encode(code_hash, 'hex') from app.recovery_codes where user_id = '%s'"
                                % ws.user_id).split()
        self.assertEqual(len(stored), 10)
        for c in codes:
            self.assertNotIn(c.replace("-", "").encode().hex(), "".join(stored))
            self.assertIn(hashlib.sha256(c.replace("-", "").encode()).hexdigest(), stored)
        # on now: a new start is refused until it is turned off
        self.assert_problem(self.call("POST", "/me/mfa/totp", {"password": PASSWORD}, token=ws.token),
                            409, "mfa_already_enabled")
        self.assert_problem(self.call("POST", "/me/mfa/totp/activate", {"code": oath(secret, now)},
                                      token=ws.token), 409)

    def test_secret_is_not_stored_in_clear(self):
        ws = self.account()
        secret = self.enrol(ws)["secret"]
        raw = base64.b32decode(secret).hex()

        def stored(col):
            return self.owner_sql("select coalesce(encode(%s, 'hex'), '') from app.users where id = '%s'"
                                  % (col, ws.user_id))
        pending = stored("totp_pending_secret")
        self.assertGreater(len(pending), 2 * 20, "no pending secret stored")
        for text in (pending, stored("totp_secret")):
            self.assertNotIn(raw, text)
            self.assertNotIn(secret.encode().hex(), text)
            self.assertNotIn(secret.lower().encode().hex(), text)
        now = safe_step()
        r = self.call("POST", "/me/mfa/totp/activate", {"code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        active = stored("totp_secret")
        self.assertGreater(len(active), 2 * 20)
        self.assertEqual(stored("totp_pending_secret"), "")
        self.assertNotIn(raw, active)
        self.assertNotIn(secret.encode().hex(), active)
        # nor in a dump of the whole database
        dump = subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", "-h", self.server.pg_dir, "-U", "postgres",
                               "-d", "planyard", "--data-only"], capture_output=True, text=True)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertNotIn(secret, dump.stdout)
        self.assertNotIn(raw, dump.stdout)

    # ---- sign-in ----
    def test_login_requires_the_second_factor(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        token = self.challenge(ws)
        now = safe_step()
        r = self.verify(token, code=oath(secret, now))
        b = self.assert_aal2_tokens(r, ws)
        self.assertEqual(self.audit_count(ws, "auth.login"), 2)
        # the mfa_token is spent
        self.assert_problem(self.verify(token, code=oath(secret, now + 1)), 401, "invalid_code")
        # the session works, refreshes at aal2
        r = self.call("POST", "/auth/refresh", {"refresh_token": b["refresh_token"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(jwt_claims(r.json["access_token"])["aal"], "aal2")
        # a wrong password is still invalid_credentials, not a challenge
        r = self.call("POST", "/auth/login", {"workspace": ws.slug, "email": ws.email, "password": PASSWORD + "x"})
        self.assert_problem(r, 401, "invalid_credentials")
        self.assertNotIn("mfa_token", r.json)

    def test_a_code_works_once_in_its_step(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        now = safe_step()
        code = oath(secret, now)
        first, second = self.challenge(ws), self.challenge(ws)
        self.assert_aal2_tokens(self.verify(first, code=code), ws)
        self.assert_problem(self.verify(second, code=code), 401, "invalid_code")
        # the refused replay counted as a wrong try on that token, which still takes a new code
        self.assert_aal2_tokens(self.verify(second, code=oath(secret, now + 1)), ws)
        # and an earlier step is refused once a later one was used
        self.assert_problem(self.verify(self.challenge(ws), code=oath(secret, now - 1)), 401, "invalid_code")

    def test_concurrent_use_of_one_code(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        tokens = [self.challenge(ws) for _ in range(4)]
        now = safe_step(10)
        code = oath(secret, now)
        results = [None] * len(tokens)

        def go(i):
            results[i] = self.verify(tokens[i], code=code).status
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(tokens))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 401, 401, 401], results)

    def test_one_step_of_skew_either_way(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        now = safe_step()
        self.assert_aal2_tokens(self.verify(self.challenge(ws), code=oath(secret, now - 1)), ws)
        self.assert_aal2_tokens(self.verify(self.challenge(ws), code=oath(secret, now + 1)), ws)
        self.owner_sql("update app.users set totp_last_step = null where id = '%s'" % ws.user_id)
        near = {oath(secret, now + d) for d in (-1, 0, 1)}
        for d in (-2, 2, -3, 3):
            c = oath(secret, now + d)
            if c in near:
                continue
            self.assert_problem(self.verify(self.challenge(ws), code=c), 401, "invalid_code")
        # the independent implementation agrees with oathtool's own notion of "now"
        now = safe_step()
        out = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True, check=True)
        self.assert_aal2_tokens(self.verify(self.challenge(ws), code=out.stdout.strip()), ws)

    def test_five_wrong_codes_kill_the_token(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        token = self.challenge(ws)
        now = safe_step()
        bad = wrong_code(secret, now)
        for _ in range(5):
            self.assert_problem(self.verify(token, code=bad), 401, "invalid_code")
        self.assertEqual(self.audit_count(ws, "auth.mfa_failed"), 5)
        now = safe_step()
        self.assert_problem(self.verify(token, code=oath(secret, now)), 401, "invalid_code")
        # malformed codes are wrong codes too, and a fresh sign-in gets a fresh token
        token = self.challenge(ws)
        self.assert_problem(self.verify(token, code="12ab56"), 401, "invalid_code")
        self.assert_aal2_tokens(self.verify(token, code=oath(secret, now)), ws)

    def test_account_limit_across_tokens(self):
        ws = self.account()
        secret, _ = self.enable(ws)
        now = safe_step()
        bad = wrong_code(secret, now)
        for _ in range(2):
            token = self.challenge(ws)
            for _ in range(5):
                self.assert_problem(self.verify(token, code=bad), 401, "invalid_code")
        # 10 wrong codes in 15 minutes: the account is held, even for the right code
        now = safe_step()
        self.assert_problem(self.verify(self.challenge(ws), code=oath(secret, now)), 429, "rate_limited")
        self.assert_problem(self.verify(self.challenge(ws), recovery_code="AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"), 429)
        # which the window's passing lifts (the events aged by hand)
        self.owner_sql("update app.rate_events set at = at - interval '16 minutes' where key = 'mfa:acct:%s'"
                       % ws.user_id)
        self.assert_aal2_tokens(self.verify(self.challenge(ws), code=oath(secret, now)), ws)

    def test_recovery_codes_work_once(self):
        ws = self.account()
        secret, codes = self.enable(ws)
        # typed loosely: lower case, spaces for dashes
        loose = codes[0].lower().replace("-", " ")
        self.assert_aal2_tokens(self.verify(self.challenge(ws), recovery_code=loose), ws)
        self.assert_problem(self.verify(self.challenge(ws), recovery_code=codes[0]), 401, "invalid_code")
        self.assert_aal2_tokens(self.verify(self.challenge(ws), recovery_code=codes[1].replace("-", "")), ws)
        self.assert_problem(self.verify(self.challenge(ws), recovery_code="not a code"), 401, "invalid_code")
        used = self.owner_sql("select count(*) from app.recovery_codes where user_id = '%s' and used_at is not null"
                              % ws.user_id)
        self.assertEqual(used, "2")

    def test_verify_body_and_unknown_tokens(self):
        ws = self.account()
        secret, codes = self.enable(ws)
        token = self.challenge(ws)
        now = safe_step()
        code = oath(secret, now)
        self.assert_problem(self.call("POST", "/auth/mfa/verify", {"mfa_token": token}), 400)
        self.assert_problem(self.verify(token, code=code, recovery_code=codes[0]), 400)
        self.assert_problem(self.call("POST", "/auth/mfa/verify", {"code": code}), 400)
        self.assert_problem(self.call("POST", "/auth/mfa/verify", {"mfa_token": token, "code": code, "x": 1}), 400)
        self.assert_problem(self.verify("A" * 43, code=code), 401, "invalid_code")
        self.assert_problem(self.verify(token + "x", code=code), 401, "invalid_code")
        # none of that used the code or the token
        self.assert_aal2_tokens(self.verify(token, code=code), ws)
        # an expired token is dead
        token = self.challenge(ws)
        self.owner_sql("update app.mfa_challenges set expires_at = now() - interval '1 second' where user_id = '%s'"
                       % ws.user_id)
        self.assert_problem(self.verify(token, code=oath(secret, now + 1)), 401, "invalid_code")
        stored = self.owner_sql("select count(*) from app.mfa_challenges where token_hash = sha256('%s'::bytea)"
                                % token)
        self.assertEqual(stored, "1", "the challenge is stored by the SHA-256 of its token")

    # ---- turning it off, new recovery codes ----
    def test_regenerating_recovery_codes(self):
        ws = self.account()
        secret, old = self.enable(ws)
        now = safe_step()
        path = "/me/mfa/recovery-codes"
        self.assert_problem(self.call("POST", path, {"password": PASSWORD}, token=ws.token), 400)
        self.assert_problem(self.call("POST", path, {"password": PASSWORD + "x", "code": oath(secret, now)},
                                      token=ws.token), 401, "invalid_credentials")
        self.assert_problem(self.call("POST", path, {"password": PASSWORD, "code": wrong_code(secret, now)},
                                      token=ws.token), 400, "invalid_code")
        r = self.call("POST", path, {"password": PASSWORD, "code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        new = r.json["recovery_codes"]
        self.assertEqual(len(new), 10)
        self.assertFalse(set(new) & set(old))
        for c in new:
            self.assertRegex(c, RECOVERY_RE)
        self.assertEqual(self.audit_count(ws, "auth.recovery_codes_regenerated"), 1)
        self.assert_problem(self.verify(self.challenge(ws), recovery_code=old[2]), 401, "invalid_code")
        self.assert_aal2_tokens(self.verify(self.challenge(ws), recovery_code=new[2]), ws)
        # a recovery code is a code here too (a lost phone), once
        r = self.call("POST", path, {"password": PASSWORD, "code": new[3]}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        self.assert_problem(self.call("POST", path, {"password": PASSWORD, "code": r.json["recovery_codes"][0] + "A"},
                                      token=ws.token), 400, "invalid_code")

    def test_turning_it_off_needs_password_and_code(self):
        ws = self.account()
        secret, codes = self.enable(ws)
        now = safe_step()
        self.assert_problem(self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD}, token=ws.token), 400)
        self.assert_problem(self.call("DELETE", "/me/mfa/totp", {"code": oath(secret, now)}, token=ws.token), 400)
        self.assert_problem(self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD + "x", "code": oath(secret, now)},
                                      token=ws.token), 401, "invalid_credentials")
        self.assert_problem(self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD, "code": wrong_code(secret, now)},
                                      token=ws.token), 400, "invalid_code")
        self.assertIs(self.call("GET", "/me", token=ws.token).json["user"]["mfa_enabled"], True)
        r = self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD, "code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertIs(self.call("GET", "/me", token=ws.token).json["user"]["mfa_enabled"], False)
        self.assertEqual(self.audit_count(ws, "auth.mfa_disabled"), 1)
        row = self.owner_sql("select totp_secret is null, totp_enabled_at is null, "
                             "(select count(*) from app.recovery_codes c where c.user_id = u.id) "
                             "from app.users u where id = '%s'" % ws.user_id)
        self.assertEqual(row, "t|t|0")
        # sign-in is one step again
        b = self.login_body(ws.slug, ws.email)
        self.assertEqual(jwt_claims(b["access_token"])["aal"], "aal1")
        self.assert_problem(self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD, "code": oath(secret, now)},
                                      token=ws.token), 409, "mfa_not_enabled")
        self.assert_problem(self.call("POST", "/me/mfa/recovery-codes", {"password": PASSWORD, "code": codes[0]},
                                      token=ws.token), 409, "mfa_not_enabled")

    # ---- the workspace's rule ----
    def test_required_for_admins(self):
        ws = self.account()
        self.owner_sql("update app.tenants set require_mfa_for_admins = true where id = '%s'" % ws.id)
        self.assert_problem(self.call("GET", "/customers", token=ws.token), 403, "mfa_enrollment_required")
        self.assertEqual(self.call("GET", "/me", token=ws.token).status, 200)
        secret = self.enrol(ws)["secret"]
        now = safe_step()
        self.assert_problem(self.call("GET", "/customers", token=ws.token), 403, "mfa_enrollment_required")
        r = self.call("POST", "/me/mfa/totp/activate", {"code": oath(secret, now)}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        r = self.call("GET", "/customers", token=ws.token)
        self.assertEqual(r.status, 200, r)
        # turned off again: held again
        r = self.call("DELETE", "/me/mfa/totp", {"password": PASSWORD, "code": oath(secret, now + 1)},
                      token=ws.token)
        self.assertEqual(r.status, 204, r)
        self.assert_problem(self.call("GET", "/customers", token=ws.token), 403, "mfa_enrollment_required")

    def test_routes_in_the_contract(self):
        r = self.call("GET", "/openapi.json")
        self.assertEqual(r.status, 200, r)
        paths = r.json["paths"]
        for p, m in (("/auth/mfa/verify", "post"), ("/me/mfa/totp", "post"), ("/me/mfa/totp", "delete"),
                     ("/me/mfa/totp/activate", "post"), ("/me/mfa/recovery-codes", "post")):
            keys = [k for k in paths if k.endswith(p)]
            self.assertTrue(keys, "%s missing from openapi.json" % p)
            self.assertIn(m, paths[keys[0]])


if __name__ == "__main__":
    unittest.main()
