"""Black-box tests of accounts (API.md "Authentication", "The signed-in user"; DESIGN.md
"Sessions and secrets") over real HTTPS against the real server and database, with mail
delivered over SMTP to a real SMTP server (smtp_sink.py).

Every request carries X-Forwarded-For (the server trusts 127.0.0.1 as a proxy here), with a
fresh address unless a test means one: that keeps the per-IP limits of one test from
touching another, and lets the tests see which address a session recorded."""
import base64
import calendar
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import statistics
import string
import subprocess
import threading
import time
import unittest
import uuid

from harness import PG_BIN, Server
from smtp_sink import SmtpSink

PUBLIC_URL = "https://app.planyard.test"
COOKIE = "__Host-planyard_refresh"
SUBJECT_CONFIRM = "Confirm your Planyard account"
SUBJECT_EXISTING = "You already have a Planyard account"
SUBJECT_RESET = "Reset your Planyard password"
SUBJECT_CHANGED = "Your Planyard password was changed"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

_ips = itertools.count(1)


def fresh_ip():
    n = next(_ips)
    return "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


def strong_password(n=20):
    """n random characters of a mixed alphabet: never common, never a dictionary word."""
    alphabet = string.ascii_letters + string.digits + "!#%&*+-=?@^_~"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(n))
        if (any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
                and len(set(pw)) > min(n // 3, 20)):
            return pw


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_decode(token):
    """(header, claims, signature text) of a JWT, without checking anything."""
    h, p, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p)), s


def jwt_encode(claims, key=None, alg="HS256", header=None):
    """Signs claims; alg "none" gives an empty signature."""
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing = (b64u(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
               b64u(json.dumps(claims, separators=(",", ":")).encode()))
    if alg == "none":
        return signing + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    k = key.encode("utf-8") if isinstance(key, str) else key
    return signing + "." + b64u(hmac.new(k, signing.encode("ascii"), digest).digest())


def with_claims(token, **changes):
    """The token with changed claims and its original header and signature."""
    h, p, s = token.split(".")
    claims = json.loads(unb64u(p))
    claims.update(changes)
    return h + "." + b64u(json.dumps(claims, separators=(",", ":")).encode()) + "." + s


class Account:
    def __init__(self, slug, email, password, name, workspace_name):
        self.slug = slug
        self.email = email
        self.password = password
        self.name = name
        self.workspace_name = workspace_name

    def login_body(self, password=None):
        return {"workspace": self.slug, "email": self.email,
                "password": self.password if password is None else password}


class AccountsCase(unittest.TestCase):
    """One planyard server (and one SMTP sink) per class. No tests of its own."""
    extra_env = {}

    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        cls.env = {
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_PBKDF2_ITERATIONS": "1000",
            "PLANYARD_TRUSTED_PROXIES": "127.0.0.1",
            "PLANYARD_PUBLIC_URL": PUBLIC_URL,
        }
        cls.env.update(cls.extra_env)
        cls.secrets = set()
        cls.extra_servers = []
        cls.server = Server(env=cls.env)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            cls.sink.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        tail = cls.server.read_log()[-3000:] if errors else ""
        cls.server.cleanup()
        cls.sink.stop()
        assert errors == [], "sanitizer errors in %s:\n%s\n%s" % (cls.__name__, "\n".join(errors), tail)
        assert rc == 0, "%s: the server exited %r" % (cls.__name__, rc)

    # ---- bookkeeping ----
    @classmethod
    def keep(cls, *values):
        """Remembers secrets the logs must never contain."""
        for v in values:
            if isinstance(v, str) and len(v) >= 12:
                cls.secrets.add(v)

    # ---- HTTP ----
    def call(self, method, path, body=None, token=None, ip=None, headers=None, server=None, **kw):
        h = {"X-Forwarded-For": ip or fresh_ip()}
        h.update(headers or {})
        return (server or self.server).api(method, path, body, token=token, headers=h, **kw)

    def assert_problem(self, r, status, code=None, field=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0].strip(), "application/problem+json", r)
        p = r.json
        self.assertEqual(p.get("status"), status, p)
        self.assertIsInstance(p.get("title"), str, p)
        self.assertIsInstance(p.get("code"), str, p)
        if code is not None:
            self.assertEqual(p["code"], code, p)
        if field is not None:
            fields = [e.get("field") for e in p.get("errors") or []]
            self.assertIn(field, fields, "errors[] does not name %r: %r" % (field, p))
        if status == 401:
            self.assertEqual(r.header("WWW-Authenticate"), "Bearer", r.headers)
        if status == 429:
            ra = r.header("Retry-After")
            self.assertIsNotNone(ra, "429 without Retry-After: %r" % r.headers)
            self.assertRegex(ra, r"^[0-9]+$")
            self.assertGreaterEqual(int(ra), 1)
        return p

    # ---- accounts ----
    def signup(self, password=None, slug=None, email=None, name="Ann Example", workspace_name="Acme Concrete",
               ip=None, expect=202):
        acct = Account(unique("ws") if slug is None else slug,
                       unique("u") + "@example.com" if email is None else email,
                       strong_password() if password is None else password, name, workspace_name)
        self.keep(acct.password)
        r = self.call("POST", "/auth/signup", {"workspace_name": workspace_name, "workspace_slug": acct.slug,
                                               "name": name, "email": acct.email, "password": acct.password}, ip=ip)
        if expect is not None:
            self.assertEqual(r.status, expect, r)
        acct.response = r
        return acct

    def mail_token(self, mail, page):
        token = mail.link_token(page)
        self.assertIsNotNone(token, "no %s link in %r" % (page, mail.body))
        self.keep(token)
        return token

    def confirm_mail(self, acct, count=1):
        return self.sink.wait_for(acct.email, SUBJECT_CONFIRM, timeout=10, count=count)

    def account(self, **kw):
        """A signed-up, confirmed account."""
        acct = self.signup(**kw)
        token = self.mail_token(self.confirm_mail(acct), "confirm")
        r = self.call("POST", "/auth/confirm", {"token": token})
        self.assertEqual(r.status, 200, r)
        return acct

    def login(self, acct, password=None, ip=None, headers=None, server=None):
        r = self.call("POST", "/auth/login", acct.login_body(password), ip=ip, headers=headers, server=server)
        if r.status == 200:
            self.keep(r.json["access_token"], r.json["refresh_token"])
        return r

    def session(self, acct, **kw):
        r = self.login(acct, **kw)
        self.assertEqual(r.status, 200, r)
        return r.json

    def me(self, token, server=None):
        return self.call("GET", "/me", token=token, server=server)

    def refresh(self, refresh_token=None, headers=None, raw=None, server=None):
        body = {"refresh_token": refresh_token} if refresh_token is not None else None
        r = self.call("POST", "/auth/refresh", body, headers=headers, raw=raw, server=server)
        if r.status == 200:
            self.keep(r.json["access_token"], r.json["refresh_token"])
        return r

    def superuser_sql(self, sql):
        return self.server.psql(sql, user="postgres")


class NoSecretsInLogs:
    """Runs last in its class (unittest orders tests by name)."""

    def test_zz_no_secret_in_logs_or_database(self):
        self.assertGreater(len(self.secrets), 3, "the class recorded no secrets to look for")
        texts = {"server log": self.server.read_log()}
        for extra in self.extra_servers:
            texts["log of the server on port %d" % extra.https_port] = extra.read_log()
        pg_log = os.path.join(self.server.pg_dir, "server.log")
        if os.path.exists(pg_log):
            with open(pg_log, "rb") as f:
                texts["PostgreSQL log"] = f.read().decode("utf-8", "replace")
        dump = subprocess.run([os.path.join(PG_BIN, "pg_dump"), "-h", self.server.pg_dir, "-U", "postgres",
                               "-d", "planyard", "--data-only"], capture_output=True, text=True)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        texts["database dump"] = dump.stdout
        leaks = []
        for where, text in texts.items():
            for s in self.secrets:
                if s in text:
                    leaks.append("%s contains %s..." % (where, s[:6]))
        self.assertEqual(leaks, [], "secrets in clear text")


# =======================================================================================
class SignupTest(NoSecretsInLogs, AccountsCase):
    """POST /auth/signup, /auth/confirm, /auth/confirm/resend, and login before confirming."""

    def test_signup_mail_confirm_and_login(self):
        acct = self.signup()
        self.assertEqual(acct.response.json, {"status": "confirmation_sent"})
        mail = self.confirm_mail(acct)
        self.assertEqual(mail.rcpt_tos, [acct.email.lower()])
        self.assertIn(acct.email, mail.to)
        token = self.mail_token(mail, "confirm")
        self.assertIn(PUBLIC_URL + "/confirm#token=" + token, mail.body, "the link is PUBLIC_URL/confirm#token=...")
        self.assertGreaterEqual(len(token), 22, "a mail token carries at least 128 bits")
        self.assertNotIn("?token=", mail.body)

        # before confirming: the right password says so, a wrong one says nothing
        r = self.login(acct)
        self.assert_problem(r, 403, "email_not_confirmed")
        r = self.login(acct, password=acct.password + "x")
        self.assert_problem(r, 401, "invalid_credentials")

        r = self.call("POST", "/auth/confirm", {"token": token})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"status": "confirmed"})
        r = self.call("POST", "/auth/confirm", {"token": token})
        self.assert_problem(r, 400, "token_invalid")

        r = self.login(acct)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["role"], "owner")
        self.assertEqual(r.json["workspace"]["slug"], acct.slug)
        self.assertEqual(r.json["workspace"]["name"], acct.workspace_name)
        self.assertEqual(r.json["user"]["email"], acct.email)
        self.assertEqual(r.json["user"]["name"], acct.name)
        self.assertRegex(r.json["user"]["email_confirmed_at"] or "", TS_RE)

    def test_unconfirmed_account_says_nothing_without_a_right_workspace(self):
        acct = self.signup()
        self.confirm_mail(acct)
        r = self.call("POST", "/auth/login", {"workspace": unique("nows"), "email": acct.email,
                                              "password": acct.password})
        self.assert_problem(r, 401, "invalid_credentials")
        other = self.account()
        r = self.call("POST", "/auth/login", {"workspace": other.slug, "email": acct.email,
                                              "password": acct.password})
        self.assert_problem(r, 401, "invalid_credentials")

    def test_expired_confirmation_link(self):
        acct = self.signup()
        token = self.mail_token(self.confirm_mail(acct), "confirm")
        self.superuser_sql("update app.user_tokens set expires_at = now() - interval '1 second' "
                           "where user_id = (select id from app.users where email = '%s')" % acct.email)
        self.assert_problem(self.call("POST", "/auth/confirm", {"token": token}), 400, "token_invalid")
        self.assert_problem(self.login(acct), 403, "email_not_confirmed")

    def test_email_is_case_insensitive(self):
        acct = self.account()
        self.assertEqual(self.login(acct).status, 200)
        r = self.call("POST", "/auth/login", dict(acct.login_body(), email=acct.email.upper()))
        self.assertEqual(r.status, 200, r)
        self.keep(r.json["access_token"], r.json["refresh_token"])
        again = self.signup(email=acct.email.upper())
        self.assertEqual(again.response.json, {"status": "confirmation_sent"})
        self.sink.wait_for(acct.email, SUBJECT_EXISTING, timeout=10)
        self.assertEqual(self.sink.count(acct.email, SUBJECT_CONFIRM), 1)

    def test_mail_text_cannot_end_the_smtp_message_early(self):
        # a line with a lone "." ends an SMTP message unless the sender escapes it
        name = "Ann\r\n.\r\nRCPT TO:<evil@example.org>\r\nDATA\r\nSubject: injected\r\n\r\nx\r\n."
        acct = self.signup(name=name)
        mail = self.confirm_mail(acct)
        token = self.mail_token(mail, "confirm")
        self.assertIn("RCPT TO:<evil@example.org>", mail.body)
        self.assertIn("/confirm#token=" + token, mail.body)
        self.assertEqual(mail.rcpt_tos, [acct.email.lower()])
        marker = self.signup()
        self.confirm_mail(marker)
        self.assertEqual(self.sink.count("evil@example.org"), 0)
        self.assertEqual(self.sink.find(subject="injected"), [])

    def test_resend_limit(self):
        acct = self.signup()
        for i in range(5):
            r = self.call("POST", "/auth/confirm/resend", {"email": acct.email})
            self.assertEqual(r.status, 202, "resend %d: %r" % (i + 1, r))
        self.assert_problem(self.call("POST", "/auth/confirm/resend", {"email": acct.email}), 429)
        self.sink.wait_for(acct.email, SUBJECT_CONFIRM, count=6, timeout=15)
        for m in self.sink.find(acct.email, SUBJECT_CONFIRM):
            self.mail_token(m, "confirm")

    def test_confirm_unknown_token(self):
        for token in (b64u(secrets.token_bytes(32)), "x", "A" * 200):
            r = self.call("POST", "/auth/confirm", {"token": token})
            self.assert_problem(r, 400, "token_invalid")
        r = self.call("POST", "/auth/confirm", {})
        self.assert_problem(r, 400, field="token")

    def test_resend(self):
        acct = self.signup()
        first = self.mail_token(self.confirm_mail(acct), "confirm")
        r = self.call("POST", "/auth/confirm/resend", {"email": acct.email})
        self.assertEqual(r.status, 202, r)
        body = r.json
        second = self.mail_token(self.confirm_mail(acct, count=2), "confirm")
        self.assertNotEqual(first, second)
        # the same answer for an address nobody has
        r = self.call("POST", "/auth/confirm/resend", {"email": unique("nobody") + "@example.com"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json, body)
        r = self.call("POST", "/auth/confirm", {"token": second})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.login(acct).status, 200)
        # a confirmed account gets the same answer and no further mail
        r = self.call("POST", "/auth/confirm/resend", {"email": acct.email})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json, body)
        marker = self.signup()            # a later mail: once it is here, a resend mail would be too
        self.confirm_mail(marker)
        self.assertEqual(self.sink.count(acct.email, SUBJECT_CONFIRM), 2)

    def test_signup_with_existing_email_answers_the_same_and_mails_a_notice(self):
        acct = self.account()
        other_slug = unique("ws")
        again = self.signup(email=acct.email, slug=other_slug, password=strong_password())
        self.assertEqual(again.response.status, 202, again.response)
        self.assertEqual(again.response.json, {"status": "confirmation_sent"})
        self.assertEqual(again.response.body, acct.response.body)
        notice = self.sink.wait_for(acct.email, SUBJECT_EXISTING, timeout=10)
        self.assertIsNone(notice.link_token("confirm"), "the notice must not carry a confirmation link")
        self.assertEqual(self.sink.count(acct.email, SUBJECT_CONFIRM), 1, "no second confirmation mail")
        # no workspace was made: its slug is free, the existing password and the new one don't sign in there
        r = self.call("POST", "/auth/login", {"workspace": other_slug, "email": acct.email, "password": again.password})
        self.assert_problem(r, 401, "invalid_credentials")
        taker = self.signup(slug=other_slug)
        self.assertEqual(taker.response.status, 202, taker.response)
        self.confirm_mail(taker)
        # and the account itself is untouched
        self.assertEqual(self.login(acct).status, 200)
        self.assert_problem(self.login(acct, password=again.password), 401, "invalid_credentials")

    def parallel(self, bodies):
        results = [None] * len(bodies)

        def go(i):
            results[i] = self.call("POST", "/auth/signup", bodies[i])

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def test_concurrent_signups_with_one_new_address(self):
        # many tabs sign up one new address at once: one account, the same answer to all, never a 500
        n = 20
        for rnd in range(8):
            email = unique("race") + "@example.com"
            bodies = [{"workspace_name": "Acme", "workspace_slug": unique("ws"), "name": "Ann", "email": email,
                       "password": strong_password()} for _ in range(n)]
            self.keep(*[b["password"] for b in bodies])
            results = self.parallel(bodies)
            self.assertEqual([r.status for r in results], [202] * n, [r for r in results if r.status != 202][:2])
            self.assertEqual({r.body for r in results}, {b'{"status":"confirmation_sent"}'})
            self.mail_token(self.sink.wait_for(email, SUBJECT_CONFIRM), "confirm")
            self.sink.wait_for(email, SUBJECT_EXISTING, count=n - 1, timeout=15)
            self.assertEqual(self.sink.count(email, SUBJECT_CONFIRM), 1)
            self.assertEqual(self.superuser_sql("select count(*) from app.users where lower(email) = '%s'" % email), "1")
        self.assertEqual(self.superuser_sql("select count(*) from app.tenants t where not exists "
                                            "(select 1 from app.memberships m where m.tenant_id = t.id)"), "0",
                         "no workspace without an owner")

    def test_concurrent_signups_with_one_new_slug(self):
        slug = unique("ws")
        bodies = [{"workspace_name": "Acme", "workspace_slug": slug, "name": "Ann",
                   "email": unique("u") + "@example.com", "password": strong_password()} for _ in range(12)]
        self.keep(*[b["password"] for b in bodies])
        results = self.parallel(bodies)
        self.assertEqual(sorted(r.status for r in results), [202] + [409] * 11, results)
        for r in results:
            if r.status == 409:
                self.assert_problem(r, 409, "slug_taken")

    def test_slug_taken(self):
        acct = self.signup()
        r = self.signup(slug=acct.slug, expect=None).response
        self.assert_problem(r, 409, "slug_taken")

    def test_slug_rules(self):
        for slug in ("ab", "Acme", "acme-Concrete", "-acme", "acme-", "admin", "api", "acme_co", "acme co",
                     "acmé", "a" * 41, ""):
            acct = self.signup(slug=slug, expect=None)
            self.assertEqual(acct.response.status, 400, "slug %r: %r" % (slug, acct.response))
            self.assert_problem(acct.response, 400, field="workspace_slug")
        ok = self.signup(slug="a-" + uuid.uuid4().hex[:6] + "-9")
        self.assertEqual(ok.response.status, 202)

    def test_body_validation(self):
        good = {"workspace_name": "Acme", "workspace_slug": unique("ws"), "name": "Ann",
                "email": unique("u") + "@example.com", "password": strong_password()}
        self.keep(good["password"])
        cases = [
            (dict(good, role="owner"), "role"),                 # unknown field
            (dict(good, id=str(uuid.uuid4())), "id"),           # a field the client may not set
            ({k: v for k, v in good.items() if k != "email"}, "email"),
            ({k: v for k, v in good.items() if k != "password"}, "password"),
            ({k: v for k, v in good.items() if k != "workspace_slug"}, "workspace_slug"),
            (dict(good, email=12345), "email"),                 # wrong type
            (dict(good, password=["x" * 20]), "password"),
            (dict(good, name=None), "name"),
            (dict(good, email="not-an-email"), "email"),        # invalid email
            (dict(good, email="ann@"), "email"),
            (dict(good, email="@example.com"), "email"),
            (dict(good, email="ann example@example.com"), "email"),
            (dict(good, email="ann@example.com\r\nBcc: evil@example.org"), "email"),
            (dict(good, email="<ann@example.com>"), "email"),
        ]
        for body, field in cases:
            r = self.call("POST", "/auth/signup", body)
            self.assert_problem(r, 400, field=field)
        r = self.call("POST", "/auth/signup", raw=json.dumps(good).encode(), headers={"Content-Type": "text/plain"})
        self.assert_problem(r, 415)
        r = self.call("POST", "/auth/signup", raw=b'{"workspace_name": "Acme",', headers={"Content-Type": "application/json"})
        self.assert_problem(r, 400)
        r = self.call("POST", "/auth/signup", raw=b'["a"]', headers={"Content-Type": "application/json"})
        self.assert_problem(r, 400)
        # none of them made anything: the slug and the address are still free
        r = self.call("POST", "/auth/signup", good)
        self.assertEqual(r.status, 202, r)
        self.sink.wait_for(good["email"], SUBJECT_CONFIRM)
        self.assertEqual(self.sink.count(good["email"]), 1)

    def test_password_codes(self):
        cases = [
            ("A1b2C3d4E5f", "password_too_short"),                       # 11
            ("é" * 5 + "Zq7#x9", "password_too_short"),                  # 11 characters, 16 bytes
            (strong_password(257), "password_too_long"),
            ("password1234", "password_weak"),
            ("aaaaaaaaaaaaaaa", "password_weak"),
            ("Password1234", "password_weak"),
            ("123456789012345", "password_weak"),
        ]
        for pw, code in cases:
            acct = self.signup(password=pw, expect=None)
            p = self.assert_problem(acct.response, 400, code, field="password")
            codes = [e.get("code") for e in p["errors"] if e.get("field") == "password"]
            self.assertIn(code, codes, p)
        # the limits themselves are allowed
        for n in (12, 256):
            acct = self.signup(password=strong_password(n), expect=None)
            self.assertEqual(acct.response.status, 202, "a %d-character password: %r" % (n, acct.response))

    def test_signup_limit_per_ip(self):
        ip = fresh_ip()
        for i in range(10):
            acct = self.signup(ip=ip, expect=None)
            self.assertEqual(acct.response.status, 202, "signup %d: %r" % (i + 1, acct.response))
        acct = self.signup(ip=ip, expect=None)
        self.assert_problem(acct.response, 429)
        # the refused one made nothing; another address may still sign up
        other = self.signup(slug=acct.slug, email=acct.email)
        self.assertEqual(other.response.status, 202)


# =======================================================================================
class LoginFailures:
    def _failures(self, acct, other, third=None):
        """The four wrong guesses of API.md, as login bodies (third, when given, is the account
        tried with an unknown workspace, so that no account takes more than 10 failures)."""
        third = third or acct
        return {
            "unknown workspace": {"workspace": unique("nows"), "email": third.email, "password": third.password},
            "unknown email": {"workspace": acct.slug, "email": unique("nobody") + "@example.com",
                              "password": acct.password},
            "wrong password": acct.login_body(strong_password()),
            "not a member": {"workspace": acct.slug, "email": other.email, "password": other.password},
        }


class SignInTest(LoginFailures, NoSecretsInLogs, AccountsCase):
    """POST /auth/login: the tokens, the same failure for every wrong guess, long passwords,
    and the per-account limit shared by two server processes."""

    def test_login_tokens_claims_and_cookie(self):
        acct = self.account()
        before = int(time.time())
        r = self.login(acct)
        after = int(time.time())
        self.assertEqual(r.status, 200, r)
        b = r.json
        for k in ("access_token", "token_type", "expires_in", "refresh_token", "user", "workspace", "role"):
            self.assertIn(k, b)
        self.assertEqual(b["token_type"], "Bearer")
        self.assertIs(type(b["expires_in"]), int)
        self.assertEqual(b["expires_in"], 900)
        self.assertEqual(b["role"], "owner")
        self.assertIsInstance(b["refresh_token"], str)
        self.assertGreaterEqual(len(b["refresh_token"]), 22)
        self.assertRegex(b["user"]["id"], UUID_RE)
        self.assertRegex(b["workspace"]["id"], UUID_RE)
        self.assertEqual(b["user"]["email"], acct.email)
        self.assertEqual(b["workspace"]["slug"], acct.slug)

        header, c, sig = jwt_decode(b["access_token"])
        self.assertEqual(header.get("alg"), "HS256")
        self.assertEqual(c["typ"], "access")
        self.assertEqual(c["sub"], b["user"]["id"])
        self.assertEqual(c["tid"], b["workspace"]["id"])
        self.assertRegex(c["sid"], UUID_RE)
        self.assertEqual(c["role"], "owner")
        self.assertEqual(c["aal"], "aal1")
        self.assertNotIn("imp", c)
        self.assertIs(type(c["iat"]), int)
        self.assertIs(type(c["exp"]), int)
        self.assertTrue(before - 2 <= c["iat"] <= after + 2, (before, c["iat"], after))
        self.assertEqual(c["exp"], c["iat"] + 900)

        cookie = r.header("Set-Cookie")
        self.assertIsNotNone(cookie, r.headers)
        parts = [p.strip() for p in cookie.split(";")]
        self.assertEqual(parts[0], "%s=%s" % (COOKIE, b["refresh_token"]))
        attrs = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
        self.assertIs(attrs.get("secure"), True, cookie)
        self.assertIs(attrs.get("httponly"), True, cookie)
        self.assertEqual(attrs.get("samesite"), "Strict", cookie)
        self.assertEqual(attrs.get("path"), "/", cookie)
        self.assertNotIn("domain", attrs, "a __Host- cookie has no Domain")
        self.assertNotIn(b["access_token"], cookie)
        self.assertEqual(r.header("Cache-Control"), "no-store")

        r = self.me(b["access_token"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["session"]["id"], c["sid"])

    def test_invalid_credentials_identical(self):
        acct, other = self.account(), self.account()
        bodies = {}
        for what, body in self._failures(acct, other).items():
            r = self.call("POST", "/auth/login", body)
            self.assert_problem(r, 401, "invalid_credentials")
            bodies[what] = r.json
        first = bodies["wrong password"]
        for what, b in bodies.items():
            self.assertEqual(b, first, "%s answers differently from a wrong password" % what)
        # both accounts are fine
        self.assertEqual(self.login(acct).status, 200)
        self.assertEqual(self.login(other).status, 200)

    def test_passwords_differing_after_byte_72(self):
        prefix = strong_password(72)
        first, second = prefix + strong_password(28), prefix + strong_password(28)
        self.assertEqual(len(first), 100)
        self.assertEqual(first[:72], second[:72])
        self.assertNotEqual(first, second)
        acct = self.account(password=first)
        self.keep(second)
        self.assert_problem(self.login(acct, password=second), 401, "invalid_credentials")
        self.assert_problem(self.login(acct, password=first[:72]), 401, "invalid_credentials")
        self.assertEqual(self.login(acct).status, 200)

    def test_long_password_signs_in(self):
        acct = self.account(password=strong_password(200))
        self.assertEqual(self.login(acct).status, 200)
        self.assert_problem(self.login(acct, password=acct.password[:199]), 401, "invalid_credentials")

    def test_failed_login_limit(self):
        acct = self.account()
        for i in range(10):
            r = self.login(acct, password=strong_password())
            self.assert_problem(r, 401, "invalid_credentials")
        r = self.login(acct, password=strong_password())
        self.assert_problem(r, 429)
        self.assertLessEqual(int(r.header("Retry-After")), 15 * 60)
        r = self.login(acct)
        self.assert_problem(r, 429)
        # the limit is the account's, not everyone's
        other = self.account()
        self.assertEqual(self.login(other).status, 200)

    def test_failed_login_limit_per_ip(self):
        ip = fresh_ip()
        for i in range(30):
            body = {"workspace": unique("nows"), "email": unique("nobody") + "@example.com",
                    "password": strong_password()}
            self.assert_problem(self.call("POST", "/auth/login", body, ip=ip), 401, "invalid_credentials")
        acct = self.account()
        self.assert_problem(self.login(acct, ip=ip), 429)
        self.assertEqual(self.login(acct).status, 200, "another address is not limited")

    def test_two_processes_share_limits_and_sessions(self):
        second = Server(env=self.env, data_dir=self.server.data_dir)
        self.extra_servers.append(second)
        second.start()
        try:
            acct = self.account()
            # a session made by one process is revoked through the other, at once
            s = self.session(acct, server=self.server)
            self.assertEqual(self.me(s["access_token"], server=second).status, 200)
            r = self.call("POST", "/auth/logout", token=s["access_token"], server=second)
            self.assertEqual(r.status, 204, r)
            self.assert_problem(self.me(s["access_token"], server=self.server), 401)

            servers = [self.server, second]
            # both processes send mail from one outbox: each mail goes out once
            for i in range(5):
                r = self.call("POST", "/auth/password/forgot", {"email": acct.email}, server=servers[i % 2])
                self.assertEqual(r.status, 202, r)
            self.sink.wait_for(acct.email, SUBJECT_RESET, count=5, timeout=15)
            time.sleep(1.5)
            tokens = [self.mail_token(m, "reset") for m in self.sink.find(acct.email, SUBJECT_RESET)]
            self.assertEqual(len(tokens), 5, "each reset mail exactly once")
            self.assertEqual(len(set(tokens)), 5)
            for i in range(10):
                r = self.login(acct, password=strong_password(), server=servers[i % 2])
                self.assert_problem(r, 401, "invalid_credentials")
            for srv in servers:
                self.assert_problem(self.login(acct, password=strong_password(), server=srv), 429)
                self.assert_problem(self.login(acct, server=srv), 429)
        finally:
            rc = second.stop()
            errors = second.sanitizer_errors()
            second.cleanup()               # does not own the dir: leaves the cluster to the first
        self.assertEqual(errors, [])
        self.assertEqual(rc, 0)
        self.assertEqual(self.call("GET", "/me", token="x").status, 401)  # the first still serves


# =======================================================================================
class SignInTimingTest(LoginFailures, NoSecretsInLogs, AccountsCase):
    """The wrong guesses take similar time. bcrypt runs at cost 9 here (not the harness's 4), so
    that skipping the hash for an unknown user would show: a hash then takes tens of ms."""
    extra_env = {"PLANYARD_BCRYPT_COST": "9"}

    def test_invalid_credentials_similar_time(self):
        acct, other, third = self.account(), self.account(), self.account()
        variants = self._failures(acct, other, third)
        times = {k: [] for k in variants}
        conn = self.server.connection()
        try:
            for rnd in range(6):                 # the first round warms up and is not counted
                for what, body in variants.items():
                    body = dict(body)
                    if what == "unknown email":
                        body["email"] = unique("nobody") + "@example.com"
                    t0 = time.perf_counter()
                    r = self.server.api("POST", "/auth/login", body, conn=conn,
                                        headers={"X-Forwarded-For": fresh_ip()})
                    dt = time.perf_counter() - t0
                    self.assertEqual(r.status, 401, r)
                    if rnd:
                        times[what].append(dt)
        finally:
            conn.close()
        med = {k: statistics.median(v) for k, v in times.items()}
        msg = ", ".join("%s %.1f ms" % (k, v * 1000) for k, v in med.items())
        self.assertLess(max(med.values()) / min(med.values()), 3, msg)
        self.assertGreaterEqual(med["unknown email"], 0.3 * med["wrong password"], msg)
        self.assertGreaterEqual(med["unknown workspace"], 0.3 * med["wrong password"], msg)


# =======================================================================================
class SessionTest(NoSecretsInLogs, AccountsCase):
    """Access tokens (tampering), revocation, the session list, refresh tokens, /me."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jwt_key = cls.server.secret("jwt_secret")
        cls.keep(cls.jwt_key)

    # ---- access tokens ----
    def test_missing_or_malformed_authorization(self):
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
                        {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "bearer"},
                        {"Authorization": "Bearer a.b.c"}, {"Authorization": "Bearer not-a-jwt"}):
            r = self.call("GET", "/me", headers=headers)
            self.assert_problem(r, 401)

    def test_forged_tokens_are_refused(self):
        acct = self.account()
        s = self.session(acct)
        good = s["access_token"]
        header, claims, sig = jwt_decode(good)
        other = self.session(self.account())
        _, other_claims, _ = jwt_decode(other["access_token"])

        forged = {
            "alg none": jwt_encode(claims, alg="none", header={"alg": "none", "typ": "JWT"}),
            "alg none, no type": jwt_encode(claims, alg="none", header={"alg": "none"}),
            "alg None": jwt_encode(claims, alg="none", header={"alg": "None", "typ": "JWT"}),
            "alg none with the old signature": jwt_encode(claims, alg="none", header={"alg": "none"}) + sig,
            "HS512, some key": jwt_encode(claims, "some key", "HS512"),
            "HS384, some key": jwt_encode(claims, "some key", "HS384"),
            "HS512, the real key": jwt_encode(claims, self.jwt_key, "HS512"),
            "HS384, the real key": jwt_encode(claims, self.jwt_key, "HS384"),
            "HS256 header claiming HS512": jwt_encode(claims, self.jwt_key, "HS256", {"alg": "HS512", "typ": "JWT"})
            .rsplit(".", 1)[0] + "." + sig,
            "HS256, another key": jwt_encode(claims, "x" * 43, "HS256"),
            "tid changed, old signature": with_claims(good, tid=other_claims["tid"]),
            "sub changed, old signature": with_claims(good, sub=other_claims["sub"]),
            "exp extended, old signature": with_claims(good, exp=claims["exp"] + 86400),
            "no signature": good.rsplit(".", 1)[0] + ".",
            "signature cut": good[:-2],
            "four parts": good + ".x",
        }
        for what, token in forged.items():
            r = self.me(token)
            self.assertEqual(r.status, 401, "%s: %r" % (what, r))
            self.assertEqual(r.header("WWW-Authenticate"), "Bearer", what)
        self.assertEqual(self.me(good).status, 200, "the genuine token still works")

    def test_role_claim_of_a_viewer_cannot_be_raised(self):
        owner = self.account()
        viewer = self.account()
        owner_s = self.session(owner)
        tid = jwt_decode(owner_s["access_token"])[1]["tid"]
        viewer_uid = self.session(viewer)["user"]["id"]
        self.superuser_sql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', 'viewer')"
                           % (tid, viewer_uid))
        r = self.call("POST", "/auth/login", {"workspace": owner.slug, "email": viewer.email,
                                              "password": viewer.password})
        self.assertEqual(r.status, 200, r)
        self.keep(r.json["access_token"], r.json["refresh_token"])
        self.assertEqual(r.json["role"], "viewer")
        token = r.json["access_token"]
        c = jwt_decode(token)[1]
        self.assertEqual(c["role"], "viewer")
        self.assertEqual(c["tid"], tid)
        self.assert_problem(self.me(with_claims(token, role="owner")), 401)
        self.assert_problem(self.me(with_claims(token, role="admin")), 401)
        # even signed with the right key, the claim does not make the viewer an owner
        raised = jwt_encode(dict(c, role="owner"), self.jwt_key)
        r = self.me(raised)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["role"], "viewer")
        self.assertEqual(self.me(token).json["role"], "viewer")
        # the session list and its revocation stay inside the workspace of the session
        own = self.session(viewer)
        own_sid = jwt_decode(own["access_token"])[1]["sid"]
        rows = self.call("GET", "/me/sessions", token=token).json["data"]
        self.assertEqual([x["id"] for x in rows], [c["sid"]])
        self.assert_problem(self.call("DELETE", "/me/sessions/" + own_sid, token=token), 404)
        self.assertEqual(self.me(own["access_token"]).status, 200)
        self.assertEqual(self.me(own["access_token"]).json["role"], "owner")

    def test_expired_token_and_the_signer(self):
        s = self.session(self.account())
        _, c, _ = jwt_decode(s["access_token"])
        now = int(time.time())
        # the test's signer is right: a token it signs with the dev key is accepted
        fresh = jwt_encode(dict(c, iat=now, exp=now + 600), self.jwt_key)
        r = self.me(fresh)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["session"]["id"], c["sid"])
        expired = jwt_encode(dict(c, iat=now - 910, exp=now - 10), self.jwt_key)
        self.assert_problem(self.me(expired), 401)
        self.assert_problem(self.me(jwt_encode(dict(c, iat=now + 3600, exp=now + 4500), self.jwt_key)), 401)
        no_exp = {k: v for k, v in c.items() if k != "exp"}
        self.assert_problem(self.me(jwt_encode(no_exp, self.jwt_key)), 401)
        self.assert_problem(self.me(jwt_encode(dict(c, typ="refresh"), self.jwt_key)), 401)
        self.assert_problem(self.me(jwt_encode(dict(c, exp=str(now + 600)), self.jwt_key)), 401)

    def test_token_scoped_to_its_workspace_and_session(self):
        a = self.session(self.account())
        b = self.session(self.account())
        _, ca, _ = jwt_decode(a["access_token"])
        _, cb, _ = jwt_decode(b["access_token"])
        # signed with the real key, but naming another workspace, user or session than its own
        for change in ({"tid": cb["tid"]}, {"sub": cb["sub"]}, {"sid": cb["sid"]},
                       {"tid": cb["tid"], "sub": cb["sub"], "sid": cb["sid"]}):
            r = self.me(jwt_encode(dict(ca, **change), self.jwt_key))
            self.assertEqual(r.status, 401, "%r: %r" % (change, r))
        self.assertEqual(self.me(a["access_token"]).json["workspace"]["id"], ca["tid"])

    # ---- revocation ----
    def test_logout_revokes_at_once(self):
        s = self.session(self.account())
        self.assertEqual(self.me(s["access_token"]).status, 200)
        r = self.call("POST", "/auth/logout", token=s["access_token"])
        self.assertEqual(r.status, 204, r)
        cookie = r.header("Set-Cookie") or ""
        self.assertTrue(cookie.startswith(COOKIE + "=;") and "Max-Age=0" in cookie, cookie)
        self.assertGreater(jwt_decode(s["access_token"])[1]["exp"], time.time() + 60)
        self.assert_problem(self.me(s["access_token"]), 401)
        self.assert_problem(self.call("POST", "/auth/logout", token=s["access_token"]), 401)
        self.assert_problem(self.refresh(s["refresh_token"]), 401)

    def test_session_list_and_revoking_another_session(self):
        acct = self.account()
        ip1, ip2 = fresh_ip(), fresh_ip()
        s1 = self.session(acct, ip=ip1, headers={"User-Agent": "PlanyardTest/1.0 (laptop)"})
        s2 = self.session(acct, ip=ip2, headers={"User-Agent": "PlanyardTest/2.0 (phone)"})
        sid1, sid2 = jwt_decode(s1["access_token"])[1]["sid"], jwt_decode(s2["access_token"])[1]["sid"]
        r = self.call("GET", "/me/sessions", token=s1["access_token"])
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["next_cursor"])
        rows = {x["id"]: x for x in r.json["data"]}
        self.assertEqual(set(rows), {sid1, sid2})
        self.assertIs(rows[sid1]["current"], True)
        self.assertIs(rows[sid2]["current"], False)
        self.assertEqual(rows[sid1]["ip"], ip1)
        self.assertEqual(rows[sid2]["ip"], ip2)
        self.assertEqual(rows[sid1]["user_agent"], "PlanyardTest/1.0 (laptop)")
        self.assertEqual(rows[sid2]["user_agent"], "PlanyardTest/2.0 (phone)")
        for row in rows.values():
            self.assertRegex(row["created_at"], TS_RE)
            self.assertRegex(row["last_used_at"], TS_RE)
        r = self.call("GET", "/me/sessions", token=s2["access_token"])
        self.assertEqual({x["id"]: x["current"] for x in r.json["data"]}, {sid1: False, sid2: True})

        # another user's session is not ours to end
        stranger = self.session(self.account())
        sid3 = jwt_decode(stranger["access_token"])[1]["sid"]
        self.assert_problem(self.call("DELETE", "/me/sessions/" + sid3, token=s1["access_token"]), 404)
        self.assertEqual(self.me(stranger["access_token"]).status, 200)

        r = self.call("DELETE", "/me/sessions/" + sid2, token=s1["access_token"])
        self.assertEqual(r.status, 204, r)
        self.assert_problem(self.me(s2["access_token"]), 401)
        self.assert_problem(self.refresh(s2["refresh_token"]), 401)
        self.assertEqual(self.me(s1["access_token"]).status, 200)
        r = self.call("GET", "/me/sessions", token=s1["access_token"])
        self.assertEqual([x["id"] for x in r.json["data"]], [sid1])
        self.assert_problem(self.call("DELETE", "/me/sessions/" + sid2, token=s1["access_token"]), 404)
        self.assert_problem(self.call("DELETE", "/me/sessions/" + str(uuid.uuid4()), token=s1["access_token"]), 404)
        self.assert_problem(self.call("DELETE", "/me/sessions/not-a-uuid", token=s1["access_token"]), 404)

    def test_session_list_pages(self):
        acct = self.account()
        sessions = [self.session(acct) for _ in range(5)]
        token = sessions[0]["access_token"]
        want = {jwt_decode(s["access_token"])[1]["sid"] for s in sessions}
        r = self.call("GET", "/me/sessions", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({x["id"] for x in r.json["data"]}, want)
        self.assertIsNone(r.json["next_cursor"])
        seen, cursor, pages = [], None, 0
        while True:
            r = self.call("GET", "/me/sessions?limit=2" + ("&cursor=" + cursor if cursor else ""), token=token)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["data"]), 2, r.json)
            seen += [x["id"] for x in r.json["data"]]
            pages += 1
            cursor = r.json["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
            self.assertLess(pages, 5, "the pages do not end")
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), sorted(want), "every session once")
        for q in ("limit=0", "limit=201", "limit=abc", "limit=", "limit=-1", "limit=1.5"):
            self.assert_problem(self.call("GET", "/me/sessions?" + q, token=token), 400, field="limit")
        for q in ("cursor=zzz", "cursor=", "cursor=" + b64u(b"123|not-a-uuid"), "cursor=" + b64u(b"x|" + str(uuid.uuid4()).encode())):
            self.assert_problem(self.call("GET", "/me/sessions?" + q, token=token), 400, field="cursor")
        r = self.call("GET", "/me/sessions?limit=200", token=token)
        self.assertEqual(len(r.json["data"]), 5)

    def test_session_ip_is_the_peer_without_a_trusted_proxy_header(self):
        acct = self.account()
        r = self.server.api("POST", "/auth/login", acct.login_body())
        self.assertEqual(r.status, 200, r)
        self.keep(r.json["access_token"], r.json["refresh_token"])
        r = self.server.api("GET", "/me/sessions", token=r.json["access_token"])
        self.assertEqual([x["ip"] for x in r.json["data"]], ["127.0.0.1"])

    def test_session_dies_after_7_idle_days_or_30_days(self):
        acct = self.account()
        idle, old, busy = self.session(acct), self.session(acct), self.session(acct)

        def shift(s, sql):
            self.superuser_sql("update app.sessions set %s where id = '%s'" % (sql, jwt_decode(s["access_token"])[1]["sid"]))

        shift(idle, "last_used_at = now() - interval '7 days 1 minute'")
        shift(old, "expires_at = now() - interval '1 second'")
        shift(busy, "last_used_at = now() - interval '6 days 23 hours'")
        for s in (idle, old):
            self.assert_problem(self.me(s["access_token"]), 401)
            self.assert_problem(self.refresh(s["refresh_token"]), 401)
        self.assertEqual(self.me(busy["access_token"]).status, 200, "6 days 23 hours unused is still alive")
        rows = self.call("GET", "/me/sessions", token=busy["access_token"]).json["data"]
        self.assertEqual(len(rows), 1, rows)
        used = calendar.timegm(time.strptime(rows[0]["last_used_at"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertLess(abs(used - time.time()), 120, "using a session moves last_used_at: %r" % rows)

    # ---- refresh ----
    def test_refresh_rotation_grace_and_reuse(self):
        s = self.session(self.account())
        r0 = s["refresh_token"]
        sid = jwt_decode(s["access_token"])[1]["sid"]
        r = self.refresh(r0)
        self.assertEqual(r.status, 200, r)
        r1, a1 = r.json["refresh_token"], r.json["access_token"]
        self.assertNotEqual(r1, r0)
        self.assertEqual(r.json["token_type"], "Bearer")
        self.assertEqual(r.json["expires_in"], 900)
        self.assertEqual(jwt_decode(a1)[1]["sid"], sid)
        self.assertTrue((r.header("Set-Cookie") or "").startswith("%s=%s;" % (COOKIE, r1)))
        self.assertEqual(self.me(a1).status, 200)

        # a retry within 10 s while r1 is unused: the same successor, a working access token
        r = self.refresh(r0)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["refresh_token"], r1)
        self.assertEqual(self.me(r.json["access_token"]).status, 200)

        r = self.refresh(r1)
        self.assertEqual(r.status, 200, r)
        r2, a2 = r.json["refresh_token"], r.json["access_token"]
        self.assertNotIn(r2, (r0, r1))
        self.assertEqual(self.me(a2).status, 200)

        # r0's successor was used: r0 again ends the whole session
        r = self.refresh(r0)
        self.assert_problem(r, 401, "refresh_token_reused")
        self.assert_problem(self.me(a2), 401)
        self.assert_problem(self.me(a1), 401)
        self.assert_problem(self.me(s["access_token"]), 401)
        self.assert_problem(self.refresh(r2), 401)
        self.assert_problem(self.refresh(r1), 401)

    def test_refresh_reuse_after_the_grace_window(self):
        s = self.session(self.account())
        r = self.refresh(s["refresh_token"])
        self.assertEqual(r.status, 200, r)
        a1, r1 = r.json["access_token"], r.json["refresh_token"]
        sid = jwt_decode(a1)[1]["sid"]
        # the rotation happened 11 seconds ago (moved back in the database rather than waited for)
        self.superuser_sql("update app.refresh_tokens set used_at = used_at - interval '11 seconds', "
                           "created_at = created_at - interval '11 seconds' "
                           "where session_id = '%s' and used_at is not null" % sid)
        self.assert_problem(self.refresh(s["refresh_token"]), 401, "refresh_token_reused")
        self.assert_problem(self.me(a1), 401)
        self.assert_problem(self.refresh(r1), 401)

    def test_racing_refreshes_get_the_same_successor(self):
        s = self.session(self.account())
        results = [None] * 4

        def go(i):
            results[i] = self.refresh(s["refresh_token"])

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r.status, 200, r)
        self.assertEqual(len({r.json["refresh_token"] for r in results}), 1, results)
        for r in results:
            self.assertEqual(self.me(r.json["access_token"]).status, 200)

    def test_refresh_with_the_cookie_alone(self):
        s = self.session(self.account())
        for raw in (None, b""):
            r = self.refresh(headers={"Cookie": "%s=%s" % (COOKIE, s["refresh_token"])}, raw=raw)
            self.assertEqual(r.status, 200, r)
            self.assertNotEqual(r.json["refresh_token"], s["refresh_token"])
            self.assertEqual(self.me(r.json["access_token"]).status, 200)
            cookie = r.header("Set-Cookie") or ""
            self.assertTrue(cookie.startswith("%s=%s;" % (COOKIE, r.json["refresh_token"])), cookie)
            s = r.json
        r = self.refresh(headers={"Cookie": "theme=dark; %s=%s; lang=en" % (COOKIE, s["refresh_token"])})
        self.assertEqual(r.status, 200, r)

    def test_refresh_from_another_site_is_refused(self):
        """A page of another site can't make the browser rotate the cookie's session (CSRF):
        a foreign Origin or a Sec-Fetch-Site other than same-origin is 403, and the token
        still works afterwards; the app's own origin (PUBLIC_URL's, or the address the
        browser used) is let through."""
        s = self.session(self.account())
        jar = {"Cookie": "%s=%s" % (COOKIE, s["refresh_token"])}
        port = self.server.https_port
        for hostile in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Origin": PUBLIC_URL + ".evil.example"}, {"Origin": "http://localhost:%d" % port},
                        {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                        {"Origin": PUBLIC_URL, "Sec-Fetch-Site": "cross-site"}):
            r = self.refresh(headers=dict(jar, **hostile))
            self.assert_problem(r, 403, "cross_site_refused")
            self.assertIsNone(r.header("Set-Cookie"), r.headers)
            # with the token in the body too
            self.assert_problem(self.refresh(s["refresh_token"], headers=hostile), 403, "cross_site_refused")
        for friendly in ({"Origin": PUBLIC_URL}, {"Origin": "https://localhost:%d" % port, "Sec-Fetch-Site": "same-origin"},
                         {"Sec-Fetch-Site": "none"}, {}):
            r = self.refresh(headers=dict(jar, **friendly))
            self.assertEqual(r.status, 200, (friendly, r))
            s = r.json
            jar = {"Cookie": "%s=%s" % (COOKIE, s["refresh_token"])}

    def test_refresh_garbage(self):
        for token in ("garbage", b64u(secrets.token_bytes(32)), "A" * 43, "x" * 200):
            r = self.refresh(token)
            self.assert_problem(r, 401, "refresh_token_invalid")
        self.assert_problem(self.refresh(), 401, "refresh_token_invalid")
        r = self.refresh(headers={"Cookie": "%s=%s" % (COOKIE, b64u(secrets.token_bytes(32)))})
        self.assert_problem(r, 401, "refresh_token_invalid")
        # an access token is not a refresh token
        s = self.session(self.account())
        self.assert_problem(self.refresh(s["access_token"][:200]), 401)

    # ---- /me ----
    def test_me_shape(self):
        acct = self.account()
        s = self.session(acct)
        c = jwt_decode(s["access_token"])[1]
        r = self.me(s["access_token"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        m = r.json
        self.assertEqual(set(m), {"user", "workspace", "role", "session", "impersonation"})
        u = m["user"]
        self.assertEqual(u["id"], c["sub"])
        self.assertEqual(u["email"], acct.email)
        self.assertEqual(u["name"], acct.name)
        self.assertRegex(u["email_confirmed_at"], TS_RE)
        self.assertIs(u["mfa_enabled"], False)
        self.assertNotIn("password_hash", u)
        w = m["workspace"]
        self.assertEqual(w["id"], c["tid"])
        self.assertEqual(w["slug"], acct.slug)
        self.assertEqual(w["name"], acct.workspace_name)
        self.assertIsInstance(w["branding"], dict)
        self.assertIn("primary_color", w["branding"])
        self.assertEqual(m["role"], "owner")
        self.assertEqual(m["session"]["id"], c["sid"])
        self.assertEqual(m["session"]["aal"], "aal1")
        self.assertRegex(m["session"]["expires_at"], TS_RE)
        self.assertIsNone(m["impersonation"])
        self.assertEqual(s["user"], u, "the tokens body and /me agree on the user")

    def test_me_patch(self):
        acct = self.account()
        s = self.session(acct)
        r = self.call("PATCH", "/me", {"name": "Ann Renamed"}, token=s["access_token"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["name"], "Ann Renamed")
        self.assertEqual(r.json["email"], acct.email)
        self.assertEqual(self.me(s["access_token"]).json["user"]["name"], "Ann Renamed")
        for body, field in (({"email": "evil@example.com"}, "email"), ({"name": "X", "email": "evil@example.com"}, "email"),
                            ({"name": 5}, "name"), ({"name": ""}, "name"), ({"id": str(uuid.uuid4())}, "id"),
                            ({"mfa_enabled": True}, "mfa_enabled")):
            r = self.call("PATCH", "/me", body, token=s["access_token"])
            self.assert_problem(r, 400, field=field)
        u = self.me(s["access_token"]).json["user"]
        self.assertEqual((u["name"], u["email"]), ("Ann Renamed", acct.email))
        self.assert_problem(self.call("PATCH", "/me", {"name": "Nope"}), 401)

    def test_me_delete(self):
        acct = self.account()
        s = self.session(acct)
        wrong = strong_password()
        self.keep(wrong)
        r = self.call("DELETE", "/me", {"password": wrong}, token=s["access_token"])
        self.assert_problem(r, 401, "invalid_credentials")
        r = self.call("DELETE", "/me", {"password": acct.password}, token=s["access_token"])
        self.assert_problem(r, 409, "sole_owner")
        self.assertEqual(self.me(s["access_token"]).status, 200)
        self.assertEqual(self.login(acct).status, 200)
        self.assert_problem(self.call("DELETE", "/me", {}, token=s["access_token"]), 400, field="password")
        self.assert_problem(self.call("DELETE", "/me", {"password": acct.password}), 401)


# =======================================================================================
class PasswordTest(NoSecretsInLogs, AccountsCase):
    """Password change, forgot and reset, and mail delivery when the SMTP server is away."""

    def test_change_password_revokes_the_other_sessions(self):
        acct = self.account()
        s1, s2, s3 = self.session(acct), self.session(acct), self.session(acct)
        wrong, new = strong_password(), strong_password()
        self.keep(wrong, new)
        r = self.call("POST", "/auth/password/change", {"current_password": wrong, "new_password": new},
                      token=s1["access_token"])
        self.assert_problem(r, 401, "invalid_credentials")
        self.assertEqual(self.me(s2["access_token"]).status, 200, "a refused change revokes nothing")
        self.assertEqual(self.login(acct).status, 200)

        r = self.call("POST", "/auth/password/change", {"current_password": acct.password, "new_password": new},
                      token=s1["access_token"])
        self.assertEqual(r.status, 204, r)
        self.assert_problem(self.me(s2["access_token"]), 401)
        self.assert_problem(self.me(s3["access_token"]), 401)
        self.assert_problem(self.refresh(s2["refresh_token"]), 401)
        self.assertEqual(self.me(s1["access_token"]).status, 200, "the current session stays")
        r = self.refresh(s1["refresh_token"])
        self.assertEqual(r.status, 200, r)
        self.assert_problem(self.login(acct), 401, "invalid_credentials")
        self.assertEqual(self.login(acct, password=new).status, 200)
        mail = self.sink.wait_for(acct.email, SUBJECT_CHANGED, timeout=10)
        self.assertIsNone(mail.link_token("reset"))
        self.assertNotIn(new, mail.body)

    def test_change_password_codes(self):
        acct = self.account()
        s = self.session(acct)
        for pw, code in (("A1b2C3d4E5f", "password_too_short"), (strong_password(257), "password_too_long"),
                         ("password1234", "password_weak"), ("aaaaaaaaaaaaaaa", "password_weak")):
            r = self.call("POST", "/auth/password/change", {"current_password": acct.password, "new_password": pw},
                          token=s["access_token"])
            self.assert_problem(r, 400, code, field="new_password")
        r = self.call("POST", "/auth/password/change", {"current_password": acct.password}, token=s["access_token"])
        self.assert_problem(r, 400, field="new_password")
        r = self.call("POST", "/auth/password/change", {"current_password": acct.password,
                                                        "new_password": strong_password()})
        self.assert_problem(r, 401)
        self.assertEqual(self.login(acct).status, 200, "nothing changed")

    def test_password_history(self):
        acct = self.account()
        s = self.session(acct)
        token = s["access_token"]
        history = [acct.password]

        def change(current, new):
            return self.call("POST", "/auth/password/change", {"current_password": current, "new_password": new},
                             token=token)

        for i in range(4):                       # 5 passwords in all: p0 .. p4
            new = strong_password()
            self.keep(new)
            r = change(history[-1], new)
            self.assertEqual(r.status, 204, "change %d: %r" % (i + 1, r))
            history.append(new)
        current = history[-1]
        for i, old in enumerate(history):      # the current one and the 4 before it
            r = change(current, old)
            self.assert_problem(r, 400, "password_reused", field="new_password")
        self.assertEqual(self.login(acct, password=current).status, 200)
        p5 = strong_password()
        self.keep(p5)
        self.assertEqual(change(current, p5).status, 204)
        # now p0 is the 6th most recent: allowed again; p1 is still among the last 5
        self.assert_problem(change(p5, history[1]), 400, "password_reused")
        r = change(p5, history[0])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.login(acct, password=history[0]).status, 200)

    def test_forgot_and_reset(self):
        acct = self.account()
        s1, s2 = self.session(acct), self.session(acct)
        nobody = unique("nobody") + "@example.com"
        r_elsewhere = self.call("POST", "/auth/password/forgot", {"workspace": unique("nows"), "email": acct.email})
        r_unknown = self.call("POST", "/auth/password/forgot", {"email": nobody})
        r_known = self.call("POST", "/auth/password/forgot", {"email": acct.email})
        self.assertEqual(r_known.status, 202, r_known)
        self.assertEqual(r_unknown.status, 202, r_unknown)
        self.assertEqual(r_known.json, r_unknown.json)
        self.assertEqual(r_known.body, r_unknown.body)
        self.assertEqual((r_elsewhere.status, r_elsewhere.body), (r_known.status, r_known.body))
        mail = self.sink.wait_for(acct.email, SUBJECT_RESET, timeout=10)
        token = self.mail_token(mail, "reset")
        self.assertIn(PUBLIC_URL + "/reset#token=" + token, mail.body)
        # mail goes out in order: the unknown address and the wrong workspace came first and got nothing
        self.assertEqual(self.sink.count(nobody), 0)
        self.assertEqual(self.sink.count(acct.email, SUBJECT_RESET), 1)
        self.assert_problem(self.call("POST", "/auth/confirm", {"token": token}), 400, "token_invalid")

        # the password rules apply, and a refused password leaves the link usable
        for pw, code in (("A1b2C3d4E5f", "password_too_short"), (strong_password(257), "password_too_long"),
                         ("password1234", "password_weak"), ("aaaaaaaaaaaaaaa", "password_weak"),
                         (acct.password, "password_reused")):
            r = self.call("POST", "/auth/password/reset", {"token": token, "password": pw})
            self.assert_problem(r, 400, code, field="password")
        self.assertEqual(self.me(s1["access_token"]).status, 200)

        new = strong_password()
        self.keep(new)
        r = self.call("POST", "/auth/password/reset", {"token": token, "password": new})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        for s in (s1, s2):
            self.assert_problem(self.me(s["access_token"]), 401)
            self.assert_problem(self.refresh(s["refresh_token"]), 401)
        self.assert_problem(self.login(acct), 401, "invalid_credentials")
        self.assertEqual(self.login(acct, password=new).status, 200)
        r = self.call("POST", "/auth/password/reset", {"token": token, "password": strong_password()})
        self.assert_problem(r, 400, "token_invalid")
        self.assertEqual(self.login(acct, password=new).status, 200, "the used link changed nothing")
        self.sink.wait_for(acct.email, SUBJECT_CHANGED, timeout=10)

    def test_expired_reset_link(self):
        acct = self.account()
        self.assertEqual(self.call("POST", "/auth/password/forgot", {"email": acct.email}).status, 202)
        token = self.mail_token(self.sink.wait_for(acct.email, SUBJECT_RESET, timeout=10), "reset")
        self.superuser_sql("update app.user_tokens set expires_at = now() - interval '1 second' "
                           "where kind = 'reset' and user_id = (select id from app.users where email = '%s')"
                           % acct.email)
        r = self.call("POST", "/auth/password/reset", {"token": token, "password": strong_password()})
        self.assert_problem(r, 400, "token_invalid")
        self.assertEqual(self.login(acct).status, 200)

    def test_reset_with_unknown_token(self):
        for token in (b64u(secrets.token_bytes(32)), "nope"):
            r = self.call("POST", "/auth/password/reset", {"token": token, "password": strong_password()})
            self.assert_problem(r, 400, "token_invalid")

    def test_confirm_token_is_not_a_reset_token(self):
        acct = self.signup()
        token = self.mail_token(self.confirm_mail(acct), "confirm")
        r = self.call("POST", "/auth/password/reset", {"token": token, "password": strong_password()})
        self.assert_problem(r, 400, "token_invalid")
        self.assertEqual(self.call("POST", "/auth/confirm", {"token": token}).status, 200)
        self.assertEqual(self.login(acct).status, 200)

    def test_forgot_limit(self):
        acct = self.account()
        for i in range(5):
            r = self.call("POST", "/auth/password/forgot", {"email": acct.email})
            self.assertEqual(r.status, 202, "forgot %d: %r" % (i + 1, r))
        self.assert_problem(self.call("POST", "/auth/password/forgot", {"email": acct.email}), 429)
        nobody = unique("nobody") + "@example.com"
        for i in range(5):
            self.assertEqual(self.call("POST", "/auth/password/forgot", {"email": nobody}).status, 202)
        self.assert_problem(self.call("POST", "/auth/password/forgot", {"email": nobody}), 429)
        self.sink.wait_for(acct.email, SUBJECT_RESET, count=5, timeout=15)
        for m in self.sink.find(acct.email, SUBJECT_RESET):
            self.mail_token(m, "reset")

    def test_mail_is_retried_when_the_smtp_server_is_down(self):
        acct = self.account()
        self.sink.stop()
        try:
            r = self.call("POST", "/auth/password/forgot", {"email": acct.email})
            self.assertEqual(r.status, 202, r)
            time.sleep(3)
            self.assertEqual(self.sink.count(acct.email, SUBJECT_RESET), 0)
        finally:
            self.sink.start()
        mail = self.sink.wait_for(acct.email, SUBJECT_RESET, timeout=30)
        token = self.mail_token(mail, "reset")
        time.sleep(3)
        self.assertEqual(self.sink.count(acct.email, SUBJECT_RESET), 1, "delivered exactly once")
        new = strong_password()
        self.keep(new)
        self.assertEqual(self.call("POST", "/auth/password/reset", {"token": token, "password": new}).status, 204)


if __name__ == "__main__":
    unittest.main()
