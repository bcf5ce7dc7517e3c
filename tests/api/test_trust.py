"""Trust operations over HTTPS against the real server and its database (DESIGN.md "Platform
staff access" and "Data lifecycle"; API.md "Authentication", "Workspace, members,
invitations" and "Exports").

- Staff access: `planyard platform impersonate` prints only a single-use link; redeeming it
  gives an access token with the imp claim and no refresh token, a session with a hard end
  30 minutes on, shown by GET /me and GET /workspace/impersonations and audited (the grant,
  and every action done in it as kind "platform"); what staff may not do answers 403
  not_allowed_while_impersonating; a replayed or stale link is 400; an admin ends it at once.
- Deletion: DELETE /workspace removes every row of the workspace (every table of schema app
  with a tenant_id, found in the catalog, counted as the schema owner) and the users it
  leaves without a workspace, and nothing of another workspace; DELETE /me leaves nothing of
  the user.
- Exports: the .xlsx files read back with an independent reader (openpyxl): header row,
  typed cells, frozen panes, fitted widths, no formula from text; workspace.json streamed,
  complete, audited, admin only."""
import datetime
import hashlib
import io
import json
import re
import subprocess
import time
import unittest
import uuid

import openpyxl

import opdata
from fixtures import PASSWORD, add_member, login, new_workspace, wait_token
from harness import BINARY, Server
from opdata import COLLECTIONS, FROM, TO, claims, populate

LINK_RE = re.compile(r"^https://localhost:(\d+)/impersonate#token=([A-Za-z0-9_-]{43})\n$")
UTC = datetime.timezone.utc

# What an impersonation session may not do: (method, path, body).
FORBIDDEN = [
    ("POST", "/auth/password/change", {"current_password": PASSWORD, "new_password": "An0ther-Long-Passphrase-77"}),
    ("DELETE", "/me", {"password": PASSWORD}),
    ("DELETE", "/me/sessions/%s" % uuid.uuid4(), None),
    ("POST", "/me/mfa/totp", {"password": PASSWORD}),
    ("GET", "/invitations", None),
    ("POST", "/invitations", {"email": "someone@example.com", "role": "viewer"}),
    ("PATCH", "/workspace", {"name": "Taken over"}),
    ("GET", "/exports/workspace.json", None),
    ("DELETE", "/workspace", {"slug": "x", "password": PASSWORD}),
]


def sql_quote(s):
    return "'" + s.replace("'", "''") + "'"


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def now():
    return datetime.datetime.now(UTC)


class TrustCase(unittest.TestCase):
    """One server per class; its log is checked for sanitizer reports at the end."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"})
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        if errors:
            raise AssertionError("sanitizer reports:\n" + "\n".join(errors[:20]))

    def owner_sql(self, sql):
        return self.server.psql(sql, user="planyard_owner")

    # ---- staff access ----
    def platform(self, *args, env=None):
        e = self.server.env()
        e.update(env or {})
        r = subprocess.run([BINARY, "platform"] + list(args), env=e, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def link(self, ws, email, staff="Sam Support", reason="ticket 4711: pours missing"):
        rc, out, err = self.platform("impersonate", "--workspace", ws.slug, "--user", email, "--staff", staff,
                                     "--reason", reason)
        self.assertEqual(rc, 0, err)
        m = LINK_RE.match(out)
        self.assertTrue(m, "stdout is the link alone: %r" % out)
        return m.group(2)

    def redeem(self, token):
        return self.server.api("POST", "/auth/impersonation/redeem", {"token": token})

    def staff_session(self, ws, email, **kw):
        r = self.redeem(self.link(ws, email, **kw))
        self.assertEqual(r.status, 200, r)
        return r.json

    def audit(self, ws, action):
        r = ws.api("GET", "/audit?limit=200&action=" + action)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    # ---- the database, as the schema owner ----
    def tenant_tables(self):
        """Every table of schema app with a tenant_id column, from the catalog."""
        out = self.owner_sql(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped "
            "where n.nspname = 'app' and c.relkind = 'r' order by 1")
        return out.split()

    def user_tables(self):
        out = self.owner_sql(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "join pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped "
            "where n.nspname = 'app' and c.relkind = 'r' order by 1")
        return out.split()

    def tenant_counts(self, tenant_id):
        """Rows of the workspace in every table, counted by the schema owner (who sees a
        workspace's operating data when naming it in app.definer_tenant) and checked against
        the superuser's count, which no policy filters."""
        tables = self.tenant_tables()
        sql = " union all ".join("select %s, count(*) from app.%s where tenant_id = '%s'" % (sql_quote(t), t, tenant_id)
                                 for t in tables)
        rows = self.owner_sql("set app.definer_tenant = '%s'; %s" % (tenant_id, sql)).splitlines()
        counts = {r.split("|")[0]: int(r.split("|")[1]) for r in rows}
        rows = self.server.psql(sql, user="postgres").splitlines()
        self.assertEqual(counts, {r.split("|")[0]: int(r.split("|")[1]) for r in rows})
        return counts

    def user_counts(self, user_id):
        counts = {t: int(self.owner_sql("select count(*) from app.%s where user_id = '%s'" % (t, user_id)))
                  for t in self.user_tables()}
        counts["users"] = int(self.owner_sql("select count(*) from app.users where id = '%s'" % user_id))
        return counts


class ImpersonationTest(TrustCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ws = new_workspace(cls.server)
        cls.admin = add_member(cls.server, cls.ws, "admin")
        cls.viewer = add_member(cls.server, cls.ws, "viewer")

    # ---- the command ----
    def test_command_prints_the_link_alone(self):
        rc, out, err = self.platform("impersonate", "--workspace", self.ws.slug, "--user", self.viewer.email,
                                     "--staff", "Sam Support", "--reason", "ticket 1")
        self.assertEqual((rc, err), (0, ""))
        m = LINK_RE.match(out)
        self.assertTrue(m, out)
        self.assertEqual(int(m.group(1)), self.server.https_port, "PUBLIC_URL of the dev layout")
        digest = hashlib.sha256(m.group(2).encode()).hexdigest()
        row = self.owner_sql("select staff, reason, link_expires_at - created_at = interval '5 minutes', "
                             "redeemed_at is null from app.impersonations where token_hash = '\\x%s'" % digest)
        self.assertEqual(row, "Sam Support|ticket 1|t|t", "stored as a SHA-256 hash, 5 minutes")
        self.assertNotIn(m.group(2), self.owner_sql("select string_agg(encode(token_hash, 'escape'), ',') "
                                                    "from app.impersonations"))

    def test_command_public_url(self):
        rc, out, err = self.platform("impersonate", "--workspace", self.ws.slug, "--user", self.viewer.email,
                                     "--staff", "Sam", "--reason", "r", env={"PLANYARD_PUBLIC_URL": "https://app.example/"})
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^https://app\.example/impersonate#token=[A-Za-z0-9_-]{43}\n$")

    def test_command_unknown_workspace_or_user(self):
        outsider = new_workspace(self.server)
        cases = [
            ("no-such-workspace", self.viewer.email),
            (self.ws.slug, "nobody-%s@example.com" % uuid.uuid4().hex[:8]),
            (self.ws.slug, outsider.email),          # an account, but not a member
        ]
        for slug, email in cases:
            with self.subTest(slug=slug, email=email):
                rc, out, err = self.platform("impersonate", "--workspace", slug, "--user", email, "--staff", "Sam",
                                             "--reason", "ticket")
                self.assertEqual(rc, 1)
                self.assertEqual(out, "")
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.endswith("\n"))
                self.assertIn(slug if slug == "no-such-workspace" else email, err)

    def test_command_usage(self):
        for args in [(), ("impersonate",), ("impersonate", "--workspace", self.ws.slug, "--user", self.viewer.email,
                                            "--staff", "Sam"),
                     ("impersonate", "--workspace", self.ws.slug, "--user", self.viewer.email, "--staff", "",
                      "--reason", "x"),
                     ("grant", "--workspace", self.ws.slug)]:
            with self.subTest(args=args):
                rc, out, err = self.platform(*args)
                self.assertEqual(rc, 2)
                self.assertEqual(out, "")
                self.assertIn("usage" if "--staff" not in args or "--reason" not in args else "--staff", err)

    def test_platform_role_is_narrow(self):
        """planyard_platform can't log in and reaches nothing but the grant function."""
        self.assertEqual(self.server.psql("select rolcanlogin, rolsuper, rolbypassrls from pg_roles "
                                          "where rolname = 'planyard_platform'", user="postgres"), "f|f|f")
        for sql in ["select count(*) from app.tenants", "select count(*) from app.impersonations",
                    "select app.ts(now())", "select app.rate_hit('x')",
                    "select app.impersonation_redeem('\\x00', '\\x00', '\\x00', null, null)"]:
            with self.subTest(sql=sql):
                out = self.server.psql("set role planyard_platform; " + sql, user="postgres", check=False)
                self.assertIn("permission denied", out)
        # planyard_app can't make grants
        out = self.server.psql("select platform.impersonate('a', 'b', 'c', 'd', '\\x00')", check=False)
        self.assertIn("permission denied", out)

    # ---- redeeming ----
    def test_staff_session_cannot_accept_an_invitation_as_the_user(self):
        """Accepting with a staff session's Bearer would make the user's own session in another
        workspace: refused, and the invitation stays open."""
        other = new_workspace(self.server)
        r = other.api("POST", "/invitations", {"email": self.viewer.email, "role": "viewer"})
        self.assertEqual(r.status, 201, r)
        token = wait_token(self.server, self.viewer.email, "invite")
        staff = self.staff_session(self.ws, self.viewer.email)
        r = self.server.api("POST", "/invitations/accept", {"token": token}, token=staff["access_token"])
        self.assertEqual((r.status, r.json.get("code")), (403, "not_allowed_while_impersonating"), r)
        r = self.server.api("POST", "/invitations/accept", {"token": token}, token=self.viewer.token)
        self.assertEqual(r.status, 201, r)

    def test_redeem_gives_a_staff_session(self):
        t0 = now()
        r = self.redeem(self.link(self.ws, self.viewer.email, staff="Dana Ops", reason="customer asked: ticket 99"))
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertIsNone(body["refresh_token"])
        self.assertIsNone(r.header("Set-Cookie"), "no refresh cookie either")
        self.assertEqual(body["role"], "viewer")
        self.assertEqual(body["user"]["email"], self.viewer.email)
        c = claims(body["access_token"])
        self.assertIsInstance(c.get("imp"), str)
        self.assertEqual(c["tid"], self.ws.id)
        self.assertLessEqual(c["exp"], t0.timestamp() + 1800 + 5, "never past the session's hard end")
        self.assertEqual(body["expires_in"], c["exp"] - c["iat"])
        self.assertNotIn("imp", claims(self.viewer.token), "only staff sessions carry imp")
        me = self.server.api("GET", "/me", token=body["access_token"])
        self.assertEqual(me.status, 200, me)
        imp = me.json["impersonation"]
        self.assertEqual(set(imp), {"staff", "reason", "expires_at"})
        self.assertEqual(imp["staff"], "Dana Ops")
        self.assertEqual(imp["reason"], "customer asked: ticket 99")
        ends = parse_ts(imp["expires_at"])
        self.assertLess(abs((ends - t0).total_seconds() - 1800), 60, "30 minutes after redemption")
        self.assertEqual(me.json["session"]["expires_at"], imp["expires_at"])
        self.assertEqual(self.owner_sql("select count(*) from app.refresh_tokens where session_id = '%s'" % c["sid"]),
                         "0")
        self.assertIsNone(self.server.api("GET", "/me", token=self.viewer.token).json["impersonation"])

    def test_redeem_is_audited(self):
        body = self.staff_session(self.ws, self.viewer.email, staff="Alex Audit", reason="billing question")
        rows = [a for a in self.audit(self.admin, "platform.impersonate_tenant")
                if a["entity_id"] == claims(body["access_token"])["imp"]]
        self.assertEqual(len(rows), 1, rows)
        a = rows[0]
        self.assertEqual(a["actor"]["kind"], "platform")
        self.assertEqual(a["actor"]["id"], self.viewer.user_id)
        self.assertEqual(a["actor"]["email"], "Alex Audit as " + self.viewer.email)
        self.assertEqual(a["entity_type"], "impersonation")
        self.assertEqual(a["changes"]["staff"][1], "Alex Audit")
        self.assertEqual(a["changes"]["reason"][1], "billing question")
        self.assertEqual(a["changes"]["user"][1], self.viewer.email)
        self.assertEqual(self.admin.api("GET", "/audit/verify").json["ok"], True)

    def test_actions_are_audited_as_platform(self):
        body = self.staff_session(self.ws, self.ws.email, staff="Robin Fixit", reason="repair data")
        r = self.server.api("POST", "/customers", {"name": "Made by staff"}, token=body["access_token"])
        self.assertEqual(r.status, 201, r)
        rows = [a for a in self.audit(self.admin, "customer.created") if a["entity_id"] == r.json["id"]]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["actor"]["kind"], "platform")
        self.assertEqual(rows[0]["actor"]["email"], "Robin Fixit as " + self.ws.email)
        # the owner's own actions stay the owner's
        r = self.ws.api("POST", "/customers", {"name": "Made by the owner"})
        rows = [a for a in self.audit(self.admin, "customer.created") if a["entity_id"] == r.json["id"]]
        self.assertEqual((rows[0]["actor"]["kind"], rows[0]["actor"]["email"]), ("user", self.ws.email))

    def test_forbidden_while_impersonating(self):
        body = self.staff_session(self.ws, self.ws.email)   # the owner: only impersonation forbids
        member = self.admin.user_id
        cases = FORBIDDEN + [("PATCH", "/members/%s" % member, {"role": "viewer"}),
                             ("DELETE", "/members/%s" % member, None),
                             ("DELETE", "/workspace/impersonations/%s" % uuid.uuid4(), None)]
        for method, path, req in cases:
            with self.subTest(method=method, path=path):
                r = self.server.api(method, path, req, token=body["access_token"])
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.json["code"], "not_allowed_while_impersonating")
        # nothing of it happened
        self.assertEqual(self.ws.api("GET", "/workspace").json["name"], self.ws.slug.title())
        self.assertEqual(login(self.server, self.ws.slug, self.ws.email)["user"]["id"], self.ws.user_id)
        # and operating data works
        r = self.server.api("GET", "/customers", token=body["access_token"])
        self.assertEqual(r.status, 200, r)

    def test_replayed_link(self):
        token = self.link(self.ws, self.viewer.email)
        self.assertEqual(self.redeem(token).status, 200)
        r = self.redeem(token)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["code"], "token_invalid")
        r = self.redeem("x" * 43)
        self.assertEqual((r.status, r.json["code"]), (400, "token_invalid"))

    def test_link_older_than_five_minutes(self):
        token = self.link(self.ws, self.viewer.email)
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.owner_sql("update app.impersonations set link_expires_at = now() - interval '1 second' "
                       "where token_hash = '\\x%s'" % digest)
        r = self.redeem(token)
        self.assertEqual((r.status, r.json["code"]), (400, "token_invalid"))

    def test_link_of_a_removed_member(self):
        m = add_member(self.server, self.ws, "scheduler")
        token = self.link(self.ws, m.email)
        self.assertEqual(self.admin.api("DELETE", "/members/%s" % m.user_id).status, 204)
        r = self.redeem(token)
        self.assertEqual((r.status, r.json["code"]), (400, "token_invalid"))

    def test_session_ends_after_thirty_minutes(self):
        body = self.staff_session(self.ws, self.viewer.email)
        tok = body["access_token"]
        self.assertEqual(self.server.api("GET", "/me", token=tok).status, 200)
        self.owner_sql("update app.sessions set expires_at = now() - interval '1 second' where id = '%s'"
                       % claims(tok)["sid"])
        r = self.server.api("GET", "/me", token=tok)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.server.api("GET", "/customers", token=tok).status, 401)

    def test_refresh_cannot_extend_it(self):
        body = self.staff_session(self.ws, self.viewer.email)
        r = self.server.api("POST", "/auth/refresh", raw=b"", headers={"Content-Length": "0"})
        self.assertEqual(r.status, 401, r)
        r = self.server.api("POST", "/auth/refresh", {"refresh_token": "A" * 43})
        self.assertEqual(r.status, 401, r)
        sid = claims(body["access_token"])["sid"]
        self.assertEqual(self.owner_sql("select count(*) from app.refresh_tokens where session_id = '%s'" % sid), "0")
        self.assertEqual(self.owner_sql("select expires_at <= now() + interval '30 minutes' from app.sessions "
                                        "where id = '%s'" % sid), "t")

    def test_admin_lists_and_ends_it(self):
        body = self.staff_session(self.ws, self.viewer.email, staff="Kim Night", reason="outage follow-up")
        tok = body["access_token"]
        imp = claims(tok)["imp"]
        r = self.admin.api("GET", "/workspace/impersonations")
        self.assertEqual(r.status, 200, r)
        self.assertIn("next_cursor", r.json)
        row = next(i for i in r.json["data"] if i["id"] == imp)
        self.assertEqual(set(row), {"id", "staff", "reason", "created_at", "expires_at", "redeemed_at", "revoked_at",
                                    "active"})
        self.assertEqual((row["staff"], row["reason"], row["active"], row["revoked_at"]),
                         ("Kim Night", "outage follow-up", True, None))
        self.assertIsNotNone(row["redeemed_at"])
        created = [parse_ts(i["created_at"]) for i in r.json["data"]]
        self.assertEqual(created, sorted(created, reverse=True), "newest first")
        # viewers don't see staff access; another workspace doesn't either
        self.assertEqual(self.viewer.api("GET", "/workspace/impersonations").status, 403)
        other = new_workspace(self.server)
        self.assertNotIn(imp, [i["id"] for i in other.api("GET", "/workspace/impersonations").json["data"]])
        self.assertEqual(other.api("DELETE", "/workspace/impersonations/" + imp).status, 404)
        self.assertEqual(self.server.api("GET", "/me", token=tok).status, 200, "still alive")
        # an admin ends it: at once
        r = self.admin.api("DELETE", "/workspace/impersonations/" + imp)
        self.assertEqual(r.status, 204, r)
        r = self.server.api("GET", "/me", token=tok)
        self.assertEqual(r.status, 401, r)
        row = next(i for i in self.admin.api("GET", "/workspace/impersonations?limit=200").json["data"]
                   if i["id"] == imp)
        self.assertEqual(row["active"], False)
        self.assertIsNotNone(row["revoked_at"])
        rows = [a for a in self.audit(self.admin, "platform.impersonation_revoked") if a["entity_id"] == imp]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual((rows[0]["actor"]["kind"], rows[0]["actor"]["id"]), ("user", self.admin.user_id))
        # again: nothing more to end, nothing written twice
        self.assertEqual(self.admin.api("DELETE", "/workspace/impersonations/" + imp).status, 204)
        self.assertEqual(len([a for a in self.audit(self.admin, "platform.impersonation_revoked")
                              if a["entity_id"] == imp]), 1)
        self.assertEqual(self.admin.api("DELETE", "/workspace/impersonations/%s" % uuid.uuid4()).status, 404)
        self.assertEqual(self.admin.api("DELETE", "/workspace/impersonations/not-an-id").status, 404)

    def test_ending_an_unused_link(self):
        token = self.link(self.ws, self.viewer.email, staff="Lee Pending")
        row = next(i for i in self.admin.api("GET", "/workspace/impersonations?limit=200").json["data"]
                   if i["staff"] == "Lee Pending")
        self.assertEqual((row["active"], row["redeemed_at"]), (True, None))
        self.assertEqual(self.admin.api("DELETE", "/workspace/impersonations/" + row["id"]).status, 204)
        r = self.redeem(token)
        self.assertEqual((r.status, r.json["code"]), (400, "token_invalid"))

    def test_list_pages(self):
        ws = new_workspace(self.server)
        for i in range(3):
            self.link(ws, ws.email, staff="Pager %d" % i)
        seen, cursor = [], None
        for _ in range(5):
            r = ws.api("GET", "/workspace/impersonations?limit=2" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            seen += [i["staff"] for i in r.json["data"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, ["Pager 2", "Pager 1", "Pager 0"])


class DeletionTest(TrustCase):
    def invited_user(self, ws, role):
        """A new account whose only workspace is ws (through an invitation)."""
        email = "invitee-%s@example.com" % uuid.uuid4().hex[:8]
        r = ws.api("POST", "/invitations", {"email": email, "role": role})
        self.assertEqual(r.status, 201, r)
        token = wait_token(self.server, email, "invite")
        r = self.server.api("POST", "/invitations/accept", {"token": token, "name": "Invitee", "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        return r.json

    def full_workspace(self, tag, size):
        ws = new_workspace(self.server)
        populate(ws, tag, size)
        ws.admin = add_member(self.server, ws, "admin")
        ws.invited = self.invited_user(ws, "scheduler")
        ws.api("POST", "/invitations", {"email": "pending-%s@example.com" % tag, "role": "viewer"})
        self.link(ws, ws.email)
        self.staff_session(ws, ws.admin.email)
        return ws

    def test_delete_workspace(self):
        a = self.full_workspace("alpha", 2)
        b = self.full_workspace("bravo", 20)
        # the owner of b is also a member of a: that account stays, with its workspace b
        self.owner_sql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', 'viewer')"
                       % (a.id, b.user_id))
        before_a = self.tenant_counts(a.id)
        before_b = self.tenant_counts(b.id)
        snap_b = opdata.snapshot(b)
        for t in ["customers", "pours", "memberships", "sessions", "audit_log", "outbox", "impersonations",
                  "invitations"]:
            self.assertGreater(before_a[t], 0, "a has rows in %s to delete" % t)

        # refused: wrong slug, wrong password, not the owner, staff
        r = a.api("DELETE", "/workspace", {"slug": b.slug, "password": PASSWORD})
        self.assertEqual((r.status, r.json["errors"][0]["field"]), (400, "slug"), r)
        r = a.api("DELETE", "/workspace", {"slug": a.slug, "password": PASSWORD + "x"})
        self.assertEqual((r.status, r.json["code"]), (401, "invalid_credentials"), r)
        r = a.admin.api("DELETE", "/workspace", {"slug": a.slug, "password": PASSWORD})
        self.assertEqual((r.status, r.json["code"]), (403, "forbidden"), r)
        staff = self.staff_session(a, a.email)
        r = self.server.api("DELETE", "/workspace", {"slug": a.slug, "password": PASSWORD},
                            token=staff["access_token"])
        self.assertEqual((r.status, r.json["code"]), (403, "not_allowed_while_impersonating"), r)
        r = a.api("DELETE", "/workspace", {"slug": a.slug})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.tenant_counts(a.id)["customers"], before_a["customers"], "nothing deleted yet")

        r = a.api("DELETE", "/workspace", {"slug": a.slug, "password": PASSWORD})
        self.assertEqual(r.status, 204, r)

        # nothing of a is left, in any table
        after_a = self.tenant_counts(a.id)
        self.assertEqual({t: n for t, n in after_a.items() if n}, {})
        self.assertEqual(set(after_a), set(before_a))
        self.assertEqual(self.owner_sql("select count(*) from app.tenants where id = '%s'" % a.id), "0")
        # users left without a workspace are gone; the others stay
        gone = [a.user_id, a.invited["user"]["id"]]
        for u in gone:
            self.assertEqual({t: n for t, n in self.user_counts(u).items() if n}, {}, u)
        for u in [a.admin.user_id, b.user_id]:
            self.assertEqual(self.owner_sql("select count(*) from app.users where id = '%s'" % u), "1")
        # a's tokens are dead
        for tok in [a.token, a.admin.token, staff["access_token"]]:
            self.assertEqual(self.server.api("GET", "/me", token=tok).status, 401)
        self.assertEqual(self.server.api("POST", "/auth/login", {"workspace": a.slug, "email": a.email,
                                                                 "password": PASSWORD}).status, 401)
        # b is untouched (its membership count aside, a's rows never were b's)
        self.assertEqual(self.tenant_counts(b.id), before_b)
        self.assertEqual(opdata.snapshot(b), snap_b)
        r = b.api("GET", "/audit/verify")
        self.assertEqual(r.json["ok"], True, r)
        self.assertEqual(self.owner_sql("select count(*) from app.memberships where user_id = '%s'"
                                        % a.admin.user_id), "1", "the admin keeps its own workspace")

    def test_delete_me_leaves_nothing_of_the_user(self):
        ws = new_workspace(self.server)
        populate(ws, "delme", 1)
        joined = self.invited_user(ws, "scheduler")
        tok = joined["access_token"]
        uid = joined["user"]["id"]
        self.assertEqual(self.server.api("POST", "/customers", {"name": "by the leaver"}, token=tok).status, 201)
        self.link(ws, joined["user"]["email"])
        self.staff_session(ws, joined["user"]["email"])
        counts = self.user_counts(uid)
        self.assertGreater(counts["sessions"], 0)
        self.assertGreater(counts["impersonations"], 0)
        r = self.server.api("DELETE", "/me", {"password": PASSWORD}, token=tok)
        self.assertEqual(r.status, 204, r)
        self.assertEqual({t: n for t, n in self.user_counts(uid).items() if n}, {})
        self.assertEqual(self.server.api("GET", "/me", token=tok).status, 401)
        self.assertEqual(ws.api("GET", "/workspace").status, 200, "the workspace stays")


class ExportTest(TrustCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ws = new_workspace(cls.server)
        cls.data = populate(cls.ws, "exp", 3)
        cls.viewer = add_member(cls.server, cls.ws, "viewer")
        cls.evil = '=HYPERLINK("http://x")'
        c = cls.ws.api("POST", "/customers", {"name": cls.evil}).json
        p = cls.ws.api("POST", "/projects", {"customer_id": c["id"], "name": "+cmd|' /C calc'!A0",
                                              "region_id": cls.data["regions"][0]["id"]}).json
        cls.evil_pour = cls.ws.api("POST", "/pours", {"project_id": p["id"], "scheduled_date": opdata.day(20),
                                                      "volume_cy": "7.25", "mix": "-2+3", "notes": "@SUM(A1)"}).json
        # outside the range: not exported
        cls.ws.api("POST", "/pours", {"project_id": p["id"], "scheduled_date": "2031-12-01", "volume_cy": "1.00",
                                      "mix": "far"})

    def xlsx(self, name, query="from=%s&to=%s" % (FROM, TO), who=None):
        r = (who or self.ws).api("GET", "/exports/%s.xlsx?%s" % (name, query))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertRegex(r.header("Content-Disposition"), r'^attachment; filename="%s-[0-9-]+\.xlsx"$' % name)
        wb = openpyxl.load_workbook(io.BytesIO(r.body))
        return wb.active

    def assert_no_formula(self, ws):
        for row in ws.iter_rows():
            for cell in row:
                self.assertNotEqual(cell.data_type, "f", cell.coordinate)

    def test_schedule(self):
        ws = self.xlsx("schedule")
        header = [c.value for c in ws[1]]
        self.assertEqual(header[:3], ["Date", "Start", "Project"])
        for h in ["Customer", "Crew", "Assigned", "Volume (cy)", "Status"]:
            self.assertIn(h, header)
        col = {h: i for i, h in enumerate(header)}
        self.assertEqual(ws.freeze_panes, "A2")
        rows = [[c for c in r] for r in ws.iter_rows(min_row=2)]
        pours = [p for p in self.data["pours"]] + [self.evil_pour]
        self.assertEqual(len(rows), len(pours), "one row per pour of the range")
        dates = [r[col["Date"]].value for r in rows]
        self.assertTrue(all(isinstance(d, datetime.datetime) for d in dates), dates)
        self.assertEqual(dates, sorted(dates))
        self.assertEqual(sorted(d.date().isoformat() for d in dates), sorted(p["scheduled_date"] for p in pours))
        first = rows[0]
        p0 = self.data["pours"][0]
        self.assertEqual(first[col["Date"]].value.date().isoformat(), p0["scheduled_date"])
        self.assertEqual(first[col["Start"]].value, datetime.time(7, 30))
        self.assertIsInstance(first[col["Volume (cy)"]].value, (int, float))
        self.assertEqual(first[col["Volume (cy)"]].value, float(p0["volume_cy"]))
        self.assertEqual(first[col["Volume (cy)"]].data_type, "n")
        self.assertEqual(first[col["Project"]].value, self.data["projects"][0]["name"])
        self.assertEqual(first[col["Customer"]].value, self.data["customers"][0]["name"])
        self.assertEqual(first[col["Crew"]].value, self.data["crews"][0]["name"])
        self.assertEqual(first[col["Assigned"]].value, self.data["employees"][0]["name"], "the people assigned")
        self.assertEqual(first[col["Status"]].value, "tentative")
        # text that looks like a formula stays text
        evil = next(r for r in rows if r[col["Volume (cy)"]].value == 7.25)
        for name, raw in [("Customer", self.evil), ("Project", "+cmd|' /C calc'!A0"), ("Mix", "-2+3"),
                          ("Notes", "@SUM(A1)")]:
            cell = evil[col[name]]
            self.assertEqual(cell.data_type, "s", name)
            self.assertIn(cell.value, (raw, "'" + raw), name)
        self.assert_no_formula(ws)
        # widths fit the content
        letter = openpyxl.utils.get_column_letter
        for name in ["Project", "Customer", "Assigned"]:
            longest = max(len(str(r[col[name]].value or "")) for r in rows)
            self.assertGreaterEqual(ws.column_dimensions[letter(col[name] + 1)].width, min(longest, 60), name)
        self.assertGreaterEqual(ws.column_dimensions[letter(col["Date"] + 1)].width, 10)

    def test_manpower(self):
        ws = self.xlsx("manpower", "from=%s&to=%s" % (opdata.day(0), opdata.day(6)))
        self.assertEqual([c.value for c in ws[1]], ["Date", "Region", "Needed", "Assigned", "Available"])
        self.assertEqual(ws.freeze_panes, "A2")
        api = self.ws.api("GET", "/manpower?from=%s&to=%s" % (opdata.day(0), opdata.day(6))).json["data"]
        names = {r["id"]: r["name"] for r in self.data["regions"]}
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        self.assertEqual(len(rows), 7 * len(names))
        self.assertEqual(rows, [[datetime.datetime.fromisoformat(a["date"]), names[a["region_id"]], a["needed"],
                                 a["assigned"], a["available"]] for a in api])
        self.assertTrue(any(r[2] > 0 for r in rows))
        self.assert_no_formula(ws)

    def test_viewer_and_ranges(self):
        self.xlsx("schedule", who=self.viewer)
        self.xlsx("manpower", who=self.viewer)
        r = self.viewer.api("GET", "/exports/workspace.json")
        self.assertEqual((r.status, r.json["code"]), (403, "forbidden"))
        for name in ["schedule", "manpower"]:
            for q, field in [("", "from"), ("from=%s" % FROM, "to"), ("from=2031-02-30&to=2031-03-01", "from"),
                             ("from=%s&to=%s" % (TO, FROM), "to"), ("from=2031-01-01&to=2031-06-01", "to")]:
                with self.subTest(name=name, q=q):
                    r = self.ws.api("GET", "/exports/%s.xlsx?%s" % (name, q))
                    self.assertEqual(r.status, 400, r)
                    self.assertEqual(r.json["errors"][0]["field"], field)
        self.assertEqual(self.server.api("GET", "/exports/schedule.xlsx?from=%s&to=%s" % (FROM, TO)).status, 401)

    def test_empty_range(self):
        ws = self.xlsx("schedule", "from=2020-01-01&to=2020-01-31")
        self.assertEqual(ws.max_row, 1, "the header alone")
        self.assertEqual(ws.freeze_panes, "A2")

    def test_workspace_json(self):
        r = self.ws.api("GET", "/exports/workspace.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.header("Transfer-Encoding"), "chunked", "streamed")
        self.assertRegex(r.header("Content-Disposition"), r'^attachment; filename="workspace-%s\.json"$' % self.ws.slug)
        d = json.loads(r.body)
        self.assertEqual(d["workspace"]["id"], self.ws.id)
        for c in COLLECTIONS:
            self.assertTrue(opdata.ids(self.data, c) <= {x["id"] for x in d[c]}, c)
        self.assertEqual({x["id"] for x in d["pours"]},
                         {x["id"] for x in opdata.list_all(self.ws, "pours", "from=2031-01-01&to=2031-03-31")} |
                         {x["id"] for x in opdata.list_all(self.ws, "pours", "from=2031-04-01&to=2031-06-30")} |
                         {x["id"] for x in opdata.list_all(self.ws, "pours", "from=2031-07-01&to=2031-09-30")} |
                         {x["id"] for x in opdata.list_all(self.ws, "pours", "from=2031-10-01&to=2031-12-31")})
        crew = next(x for x in d["crews"] if x["id"] == self.data["crews"][0]["id"])
        self.assertEqual(sorted(crew["member_ids"]), sorted(self.data["crews"][0]["member_ids"]))
        members = {m["user_id"]: m for m in d["members"]}
        self.assertEqual(members[self.ws.user_id]["role"], "owner")
        self.assertEqual(members[self.viewer.user_id]["role"], "viewer")
        actions = {a["action"] for a in d["audit_log"]}
        self.assertTrue({"customer.created", "pour.created", "crew.assigned"} <= actions, actions)
        self.assertEqual(len(d["audit_log"]), len({a["id"] for a in d["audit_log"]}))
        # audited
        r = self.ws.api("GET", "/audit?action=workspace.exported")
        rows = r.json["data"]
        self.assertTrue(rows, r)
        self.assertEqual((rows[0]["actor"]["id"], rows[0]["entity_id"]), (self.ws.user_id, self.ws.id))

    def test_workspace_json_request_context(self):
        """An export is a request like any other: its audit row carries the client address
        (app.request_begin's client IP) exactly as a write's does, and its body was read under
        the same live session (a revoked session can't start one)."""
        ws = new_workspace(self.server)
        r = ws.api("POST", "/customers", {"name": "context check"})
        self.assertEqual(r.status, 201, r)
        r = ws.api("GET", "/exports/workspace.json")
        self.assertEqual(r.status, 200, r)
        self.assertIn("context check", {c["name"] for c in json.loads(r.body)["customers"]})
        exported = ws.api("GET", "/audit?action=workspace.exported").json["data"]
        created = ws.api("GET", "/audit?action=customer.created").json["data"]
        self.assertTrue(exported and created)
        self.assertEqual(created[0]["ip"], "127.0.0.1")
        self.assertEqual(exported[0]["ip"], created[0]["ip"], "the export names the client like a write")
        self.assertEqual(exported[0]["actor"], created[0]["actor"])
        r = ws.api("POST", "/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(ws.api("GET", "/exports/workspace.json").status, 401)

    def test_workspace_json_reads_on_a_request_begun_connection(self):
        """The rows of the export are read on a connection that began like a request's: a probe
        wrapped around app.audit_json, which only the export's cursor calls, records what that
        connection's transaction knows (client IP, live session's workspace). A connection of
        its own that skipped app.request_begin would record no IP and no workspace."""
        ws = new_workspace(self.server)
        self.assertEqual(ws.api("POST", "/customers", {"name": "probe"}).status, 201)
        su = lambda sql: self.server.psql(sql, user="postgres")
        su("create table app.export_probe (ip text, tenant uuid, has_key boolean); "
           "grant insert on app.export_probe to public; "
           "alter function app.audit_json(app.audit_log) rename to audit_json_probed; "
           "create function app.audit_json(a app.audit_log) returns json language plpgsql as $$ begin "
           "insert into app.export_probe values (nullif(current_setting('app.client_ip', true), ''), "
           "app.current_tenant(), coalesce(current_setting('app.session_key', true), '') <> ''); "
           "return app.audit_json_probed(a); end $$; "
           "grant execute on function app.audit_json(app.audit_log) to public")
        try:
            r = ws.api("GET", "/exports/workspace.json")
            self.assertEqual(r.status, 200, r)
            self.assertTrue(json.loads(r.body)["audit_log"], "the export carries the audit log")
            probes = su("select coalesce(ip, '-') || ' ' || coalesce(tenant::text, '-') || ' ' || has_key "
                        "from app.export_probe")
        finally:
            su("drop function app.audit_json(app.audit_log); "
               "alter function app.audit_json_probed(app.audit_log) rename to audit_json; "
               "drop table app.export_probe")
        lines = set(probes.split("\n"))
        self.assertEqual(lines, {"127.0.0.1 %s true" % ws.id}, probes)

    def test_workspace_json_large(self):
        """Many batches of the cursor; the body arrives whole and in order."""
        ws = new_workspace(self.server)
        n = 2600
        self.owner_sql("set app.definer_tenant = '%s'; insert into app.customers (tenant_id, name, notes) "
                       "select '%s', 'bulk ' || i, repeat('n', 500) from generate_series(1, %d) i" % (ws.id, ws.id, n))
        t0 = time.time()
        r = ws.api("GET", "/exports/workspace.json")
        self.assertEqual(r.status, 200, r)
        d = json.loads(r.body)
        self.assertEqual(len(d["customers"]), n)
        self.assertEqual(len({c["id"] for c in d["customers"]}), n)
        self.assertLess(time.time() - t0, 60)
        # the export's own connection is gone once the body is sent
        deadline = time.time() + 10
        while time.time() < deadline:
            busy = self.server.psql("select count(*) from pg_stat_activity where usename = 'planyard_app' "
                                    "and state like 'idle in transaction%'", user="postgres")
            if busy == "0":
                break
            time.sleep(0.2)
        self.assertEqual(busy, "0")

    def test_workspace_json_cut_off(self):
        """A client that goes away mid-body leaves no transaction behind."""
        ws = new_workspace(self.server)
        self.owner_sql("set app.definer_tenant = '%s'; insert into app.customers (tenant_id, name, notes) "
                       "select '%s', 'bulk ' || i, repeat('z', 2000) from generate_series(1, 3000) i" % (ws.id, ws.id))
        conn = self.server.connection()
        conn.request("GET", "/api/v1/exports/workspace.json", headers={"Authorization": "Bearer " + ws.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        resp.read(1000)
        conn.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            busy = self.server.psql("select count(*) from pg_stat_activity where usename = 'planyard_app' "
                                    "and state like 'idle in transaction%'", user="postgres")
            if busy == "0":
                break
            time.sleep(0.2)
        self.assertEqual(busy, "0")
        self.assertEqual(ws.api("GET", "/workspace").status, 200, "the server is fine")


if __name__ == "__main__":
    unittest.main()
