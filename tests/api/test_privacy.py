"""Each person's rights over their data, black-box over real HTTPS against the real server,
its real PostgreSQL and a real SMTP sink.

Erasure: DELETE /me and deleting an employee or customer with erase_history leave no trace
of the person in any table (every table of the schema searched from the catalog, the audit
log included), while GET /audit/verify still proves the rest of the chain; the verifier, at
the SQL level, accepts exactly erasure and still names any other change. Retention jobs with a
faked clock (rows dated back, audit rows re-sealed as if written then). GET /me/export; the
change of a login address."""
import json
import os
import subprocess
import time
import unittest
import uuid

from aiosmtpd.controller import Controller

import smtp_sink
from harness import BINARY, ROOT, Server
from smtp_sink import SmtpSink

PASSWORD = "Tr1cky-Horse-Battery-42"
PUBLIC_URL = "https://planyard.test"


def uid():
    return uuid.uuid4().hex[:10]


class Ws:
    """A signed-in member of a workspace."""

    def __init__(self, server, slug, email, body, password=PASSWORD):
        self.server, self.slug, self.email, self.password = server, slug, email, password
        self.login = body
        self.token = body["access_token"]
        self.id = body["workspace"]["id"]
        self.user_id = body["user"]["id"]

    def api(self, method, path, body=None, **kw):
        kw.setdefault("token", self.token)
        return self.server.api(method, path, body, **kw)


class PrivacyCase(unittest.TestCase):
    extra_env = {}

    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        env = {"PLANYARD_SMTP_URL": cls.sink.url, "PLANYARD_PBKDF2_ITERATIONS": "1000",
               "PLANYARD_PUBLIC_URL": PUBLIC_URL}
        env.update(cls.extra_env)
        cls.server = Server(env=env)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            cls.sink.stop()
            raise
        cls.cron = cls.server.secret("cron_secret")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        cls.sink.stop()
        assert errors == [], "sanitizer errors:\n" + "\n".join(errors)
        assert rc == 0, rc

    # ---- helpers ----
    def sql(self, q, user="postgres"):
        return self.server.psql(q, user=user)

    def signin(self, slug, email, password=PASSWORD):
        r = self.server.api("POST", "/auth/login", {"workspace": slug, "email": email, "password": password})
        self.assertEqual(r.status, 200, r)
        return Ws(self.server, slug, email, r.json, password)

    def workspace(self):
        slug, email = "pv-" + uid(), "owner-%s@example.com" % uid()
        r = self.server.api("POST", "/auth/signup", {"workspace_name": "Privacy " + slug, "workspace_slug": slug,
                                                     "name": "Owner " + slug, "email": email, "password": PASSWORD})
        self.assertEqual(r.status, 202, r)
        token = self.sink.wait_for(to=email, subject="confirm").link_token("confirm")
        self.assertEqual(self.server.api("POST", "/auth/confirm", {"token": token}).status, 200)
        return self.signin(slug, email)

    def invite(self, owner, role, name, email=None):
        email = email or "%s-%s@example.com" % (role, uid())
        r = owner.api("POST", "/invitations", {"email": email, "role": role})
        self.assertEqual(r.status, 201, r)
        token = self.sink.wait_for(to=email, subject="invit").link_token("invite")
        r = self.server.api("POST", "/invitations/accept", {"token": token, "name": name, "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        return self.signin(owner.slug, email)

    def verify(self, ws):
        r = ws.api("GET", "/audit/verify")
        self.assertEqual(r.status, 200, r)
        return r.json

    def traces(self, *needles):
        """{table: rows} of every table of schema app whose row text holds one of the needles
        (case-insensitive), as the cluster's superuser (past row security)."""
        tables = self.sql("select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                          "where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1").split()
        found = {}
        for t in tables:
            cond = " or ".join("strpos(lower(x::text), lower($n$%s$n$)) > 0" % s for s in needles)
            n = int(self.sql("select count(*) from app.%s x where %s" % (t, cond)))
            if n:
                found[t] = n
        return found

    def cron_call(self, job):
        return self.server.api("POST", "/internal/cron/" + job, headers={"Authorization": "Bearer " + self.cron})

    def enable_totp(self, ws):
        r = ws.api("POST", "/me/mfa/totp", {"password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        secret = r.json["secret"]
        left = 30 - time.time() % 30
        if left < 6:
            time.sleep(left + 0.3)
        r = ws.api("POST", "/me/mfa/totp/activate", {"code": oath(secret, int(time.time()) // 30)})
        self.assertEqual(r.status, 200, r)
        self.sql("update app.users set totp_last_step = null where id = '%s'" % ws.user_id)
        return secret, r.json["recovery_codes"]

    def reseal(self, tenant):
        """Recomputes a workspace's chain as the server writes it: what a clock set back at
        the time of writing would have produced for rows whose `at` a test moved."""
        self.sql("alter table app.audit_log disable trigger audit_log_guard")
        try:
            self.sql("""do $$ declare a app.audit_log; prev bytea := null; begin
              for a in select * from app.audit_log where tenant_id = '%s' order by seq loop
                update app.audit_log x set prev_hash = prev,
                  hash = sha256(coalesce(prev, ''::bytea) || convert_to(app.audit_content_v2(a, a.pii_digest), 'UTF8'))
                  where x.tenant_id = a.tenant_id and x.id = a.id returning x.hash into prev;
              end loop; end $$""" % tenant)
        finally:
            self.sql("alter table app.audit_log enable trigger audit_log_guard")


class ErasureTest(PrivacyCase):
    def test_delete_me_erasing_history_leaves_no_trace_and_the_chain_verifies(self):
        owner = self.workspace()
        name = "Quill Vantablack %s" % uid()
        member = self.invite(owner, "scheduler", name)
        email = member.email
        # traces: rows they wrote, a failed sign-in with their address, a record they made
        self.assertEqual(member.api("POST", "/customers", {"name": "Made by the member"}).status, 201)
        self.assertEqual(self.server.api("POST", "/auth/login", {"workspace": owner.slug, "email": email,
                                                                 "password": "Wrong-Password-123456"}).status, 401)
        self.assertEqual(member.api("PATCH", "/me", {"name": name + " Jr"}).status, 200)
        before = self.traces(email, name)
        self.assertIn("audit_log", before)
        self.assertIn("users", before)
        n = self.verify(owner)["rows"]
        # a bad value changes nothing
        r = member.api("DELETE", "/me", {"password": PASSWORD, "erase_history": "yes"})
        self.assertEqual(r.status, 400, r)
        r = member.api("DELETE", "/me", {"password": PASSWORD, "erase_history": True})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.traces(email, name), {})
        v = self.verify(owner)
        self.assertTrue(v["ok"], v)
        self.assertGreater(v["rows"], n)
        # what was erased is said, without the person
        rows = owner.api("GET", "/audit?action=audit.personal_data_erased").json["data"]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["entity_id"], member.user_id)
        self.assertGreater(rows[0]["changes"]["rows"][1], 0)
        # their rows stay, without their address; the owner's rows keep the owner's
        mine = owner.api("GET", "/audit?actor_id=%s&limit=200" % member.user_id).json["data"]
        self.assertTrue(mine)
        self.assertTrue(all(a["actor"]["email"] is None and a["ip"] is None for a in mine), mine)
        self.assertTrue(any(a["action"] == "customer.created" and a["changes"]["name"][1] == "Made by the member"
                            for a in mine), mine)
        own = owner.api("GET", "/audit?actor_id=%s&limit=200" % owner.user_id).json["data"]
        self.assertTrue(own and all(a["actor"]["email"] == owner.email for a in own))

    def test_another_workspaces_own_records_stay(self):
        """A workspace the person never belonged to keeps its own records holding the same
        address (a customer's email) and their history; a failed sign-in there goes."""
        owner, other = self.workspace(), self.workspace()
        member = self.invite(owner, "viewer", "Cora Crossover %s" % uid())
        self.assertEqual(other.api("POST", "/customers", {"name": "Their customer", "email": member.email}).status, 201)
        self.assertEqual(self.server.api("POST", "/auth/login", {"workspace": other.slug, "email": member.email,
                                                                 "password": "Wrong-Password-123456"}).status, 401)
        self.assertEqual(member.api("DELETE", "/me", {"password": PASSWORD, "erase_history": True}).status, 204)
        self.assertEqual(self.traces(member.email), {"customers": 1, "audit_log": 1})
        self.assertEqual(self.sql("select tenant_id::text || ' ' || action from app.audit_log where strpos(changes::text, '%s') > 0"
                                  % member.email), other.id + " customer.created")
        self.assertTrue(self.verify(other)["ok"])
        self.assertTrue(self.verify(owner)["ok"])

    def test_delete_me_without_erasing_keeps_the_history(self):
        owner = self.workspace()
        member = self.invite(owner, "viewer", "Kept Person %s" % uid())
        self.assertEqual(member.api("DELETE", "/me", {"password": PASSWORD}).status, 204)
        self.assertNotIn("users", self.traces(member.email))
        self.assertIn("audit_log", self.traces(member.email))
        self.assertTrue(self.verify(owner)["ok"])

    def test_deleting_an_employee_or_customer_erasing_history(self):
        owner = self.workspace()
        for path, body in (("/employees", {"name": "Ezra Umbrage %s" % uid(), "trade": "finisher",
                                           "phone": "+1555%07d" % (int(uid()[:6], 16) % 10000000),
                                           "email": "ezra-%s@example.com" % uid()}),
                           ("/customers", {"name": "Ursula Kettle %s" % uid(), "contact_name": "Ulla %s" % uid(),
                                           "phone": "+1444%07d" % (int(uid()[:6], 16) % 10000000),
                                           "email": "ursula-%s@example.com" % uid()})):
            with self.subTest(path=path):
                r = owner.api("POST", path, body)
                self.assertEqual(r.status, 201, r)
                rid = r.json["id"]
                old_phone = body["phone"]
                self.assertEqual(owner.api("PATCH", "%s/%s" % (path, rid), {"phone": "+15550000001"}).status, 200)
                needles = [v for k, v in body.items() if k != "trade"] + [old_phone]
                self.assertIn("audit_log", self.traces(*needles))
                # a bad value, or erasing where there is no person, is refused before anything
                self.assertEqual(owner.api("DELETE", "%s/%s?erase_history=maybe" % (path, rid)).status, 400)
                self.assertEqual(owner.api("GET", "%s/%s" % (path, rid)).status, 200)
                r = owner.api("POST", "/regions", {"name": "R " + uid()})
                self.assertEqual(owner.api("DELETE", "/regions/%s?erase_history=true" % r.json["id"]).status, 400)
                r = owner.api("DELETE", "%s/%s?erase_history=true" % (path, rid))
                self.assertEqual(r.status, 204, r)
                self.assertEqual(self.traces(*needles), {})
                self.assertTrue(self.verify(owner)["ok"])
                rows = owner.api("GET", "/audit?entity_id=%s&limit=200" % rid).json["data"]
                actions = [a["action"] for a in rows]
                self.assertEqual(actions[0], "audit.personal_data_erased", actions)
                self.assertTrue(all(a["changes"] == {} for a in rows[1:]), rows)
                # an unknown id stays 404
                self.assertEqual(owner.api("DELETE", "%s/%s?erase_history=true" % (path, uuid.uuid4())).status, 404)

    def test_verifier_accepts_erasure_and_nothing_else(self):
        """SQL level: with the guard out of the way, any change to a row other than an
        erasure (value and nonce gone together) is named by the verifier, erased rows
        included; the guard lets only erasure through, for the schema owner as well."""
        owner = self.workspace()
        for i in range(4):
            self.assertEqual(owner.api("POST", "/customers", {"name": "Chain %d" % i, "email": "c%d@example.com" % i}).status, 201)
        t = owner.id
        n = self.verify(owner)["rows"]
        seq = n - 1
        victim = self.sql("select id from app.audit_log where tenant_id = '%s' and seq = %d" % (t, seq))
        where = "tenant_id = '%s' and id = '%s'" % (t, victim)
        # erasure by the schema owner: allowed by the guard, accepted by the verifier
        self.sql("alter table app.audit_log no force row level security")
        try:
            out = self.server.psql("update app.audit_log set changes = '{}', pii_nonce[2] = null where " + where,
                                   user="planyard_owner", check=False)
            self.assertNotIn("ERROR", out)
            self.assertEqual(self.verify(owner), {"ok": True, "rows": n})
            # anything else is still refused by the guard
            for stmt in ("update app.audit_log set action = 'x' where " + where,
                         "update app.audit_log set changes = '{\"x\": 1}' where " + where,
                         "update app.audit_log set actor_email = null where " + where,
                         "update app.audit_log set pii_digest[1] = pii_digest[2] where " + where):
                out = self.server.psql(stmt, user="planyard_owner", check=False)
                self.assertIn("append-only", out, stmt)
        finally:
            self.sql("alter table app.audit_log force row level security")
        saved = self.sql("select row_to_json(a) from app.audit_log a where " + where)
        self.sql("alter table app.audit_log disable trigger audit_log_guard")
        try:
            for stmt in ("update app.audit_log set action = 'customer.updated' where " + where,
                         "update app.audit_log set changes = '{\"name\": [null, \"forged\"]}' where " + where,
                         "update app.audit_log set actor_email = 'someone@example.com' where " + where,
                         "update app.audit_log set pii_digest[2] = sha256('x') where " + where,
                         "update app.audit_log set pii_nonce[1] = null where " + where,
                         "update app.audit_log set hash_version = 1 where " + where,
                         "update app.audit_log set pii_digest = null where " + where):
                with self.subTest(stmt=stmt):
                    self.sql(stmt)
                    v = self.verify(owner)
                    self.assertEqual((v["ok"], v.get("first_bad_id")), (False, victim), v)
                    self.sql("delete from app.audit_log where " + where)
                    self.sql("insert into app.audit_log select * from json_populate_record(null::app.audit_log, "
                             "$j$%s$j$)" % saved)
                    self.assertEqual(self.verify(owner), {"ok": True, "rows": n})
            # a kept field edited on another row is named too
            other = self.sql("select id from app.audit_log where tenant_id = '%s' and seq = 2" % t)
            self.sql("update app.audit_log set ip = '10.9.9.9' where tenant_id = '%s' and id = '%s'" % (t, other))
            self.assertEqual(self.verify(owner)["first_bad_id"], other)
            self.sql("update app.audit_log set ip = '127.0.0.1' where tenant_id = '%s' and id = '%s'" % (t, other))
        finally:
            self.sql("alter table app.audit_log enable trigger audit_log_guard")
        self.assertEqual(self.verify(owner), {"ok": True, "rows": n})


class RetentionTest(PrivacyCase):
    def test_failed_login_addresses_and_audit_ips_expire(self):
        owner = self.workspace()
        old_typo, new_typo = "typo-old-%s@example.com" % uid(), "typo-new-%s@example.com" % uid()
        for e in (old_typo, new_typo):
            self.assertEqual(self.server.api("POST", "/auth/login", {"workspace": owner.slug, "email": e,
                                                                     "password": "Wrong-Password-123456"}).status, 401)
        t = owner.id
        # the clock of the first one's writing set back 31 days, another row 181 days
        self.sql("alter table app.audit_log disable trigger audit_log_guard")
        self.sql("update app.audit_log set at = at - interval '31 days' where tenant_id = '%s' "
                 "and changes::text like '%%%s%%'" % (t, old_typo))
        self.sql("update app.audit_log set at = at - interval '181 days' where tenant_id = '%s' and seq = 1" % t)
        self.sql("alter table app.audit_log enable trigger audit_log_guard")
        self.reseal(t)
        self.assertTrue(self.verify(owner)["ok"])
        self.assertIn("audit_log", self.traces(old_typo))
        r = self.cron_call("privacy")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json["failed_logins"], 1)
        self.assertGreaterEqual(r.json["audit_ips"], 1)
        # (the sign-in rate limit keeps its key for a day: not history)
        self.assertNotIn("audit_log", self.traces(old_typo))
        self.assertIn("audit_log", self.traces(new_typo))
        self.assertEqual(self.sql("select ip is null from app.audit_log where tenant_id = '%s' and seq = 1" % t), "t")
        self.assertEqual(self.sql("select ip from app.audit_log where tenant_id = '%s' and seq = 2" % t), "127.0.0.1")
        self.assertTrue(self.verify(owner)["ok"])
        # the cron guard
        r = self.server.api("POST", "/internal/cron/privacy", headers={"Authorization": "Bearer nope"})
        self.assertEqual(r.status, 401)

    def test_sessions_invitations_and_sent_mail_expire(self):
        owner = self.workspace()
        t = owner.id
        s_old, s_recent = (self.signin(owner.slug, owner.email) for _ in range(2))
        for s in (s_old, s_recent):
            self.assertEqual(s.api("POST", "/auth/logout").status, 204)
        sid = lambda s: json.loads(__import__("base64").urlsafe_b64decode(
            s.token.split(".")[1] + "==").decode())["sid"]
        self.sql("update app.sessions set revoked_at = now() - interval '31 days' where id = '%s'" % sid(s_old))
        self.sql("update app.sessions set revoked_at = now() - interval '29 days' where id = '%s'" % sid(s_recent))
        # unaccepted invitations: one old, one recent
        old_inv, new_inv = "inv-old-%s@example.com" % uid(), "inv-new-%s@example.com" % uid()
        for e in (old_inv, new_inv):
            self.assertEqual(owner.api("POST", "/invitations", {"email": e, "role": "viewer"}).status, 201)
            self.sink.wait_for(to=e)
        self.sql("update app.invitations set created_at = now() - interval '31 days', expires_at = now() - interval '24 days' "
                 "where lower(email) = '%s'" % old_inv)
        # sent mail: the old invitation's mail went out 91 days ago
        deadline = time.time() + 10
        while self.sql("select count(*) from app.outbox where recipient = '%s' and sent_at is not null" % old_inv) != "1":
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        self.sql("update app.outbox set sent_at = now() - interval '91 days' where recipient = '%s'" % old_inv)
        r = self.cron_call("privacy")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"sessions", "invitations", "mail", "failed_logins", "audit_ips"})
        self.assertGreaterEqual(r.json["sessions"], 1)
        self.assertGreaterEqual(r.json["invitations"], 1)
        self.assertGreaterEqual(r.json["mail"], 1)
        self.assertEqual(self.sql("select ip is null and user_agent is null from app.sessions where id = '%s'" % sid(s_old)), "t")
        self.assertEqual(self.sql("select ip is null from app.sessions where id = '%s'" % sid(s_recent)), "f")
        self.assertEqual(self.traces(old_inv), {})
        self.assertIn("invitations", self.traces(new_inv))
        self.assertIn("outbox", self.traces(new_inv))
        self.assertTrue(self.verify(owner)["ok"])
        # a second run finds nothing more of these
        r = self.cron_call("privacy")
        self.assertEqual((r.json["invitations"], r.json["mail"]), (0, 0))


class AccessTest(PrivacyCase):
    """GET /me/export and the change of the sign-in address."""

    def test_every_member_exports_their_own_data(self):
        owner = self.workspace()
        viewer = self.invite(owner, "viewer", "Vera Export %s" % uid())
        second = self.workspace()   # the viewer belongs to a second workspace too
        self.sql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', 'scheduler')"
                 % (second.id, viewer.user_id), user="postgres")
        self.assertEqual(owner.api("POST", "/customers", {"name": "Owner's own"}).status, 201)
        self.assertEqual(viewer.api("PATCH", "/me", {"name": "Vera Renamed"}).status, 200)
        # a viewer can't read the audit log or export the workspace, but gets their own copy
        self.assertEqual(viewer.api("GET", "/audit").status, 403)
        self.assertEqual(viewer.api("GET", "/exports/workspace.json").status, 403)
        r = viewer.api("GET", "/me/export")
        self.assertEqual(r.status, 200, r)
        self.assertIn("attachment", r.header("content-disposition"))
        d = r.json
        self.assertEqual(set(d), {"exported_at", "user", "memberships", "sessions", "audit"})
        self.assertEqual((d["user"]["id"], d["user"]["email"], d["user"]["name"]),
                         (viewer.user_id, viewer.email, "Vera Renamed"))
        self.assertNotIn("password_hash", json.dumps(d))
        self.assertEqual(sorted((m["workspace"]["id"], m["role"]) for m in d["memberships"]),
                         sorted([(owner.id, "viewer"), (second.id, "scheduler")]))
        sids = {s["id"] for s in d["sessions"]}
        self.assertIn(json.loads(__import__("base64").urlsafe_b64decode(viewer.token.split(".")[1] + "==").decode())["sid"], sids)
        self.assertTrue(all(s["ip"] == "127.0.0.1" for s in d["sessions"]))
        actions = [a["action"] for a in d["audit"]]
        self.assertIn("member.joined", actions)
        self.assertIn("user.data_exported", actions)
        # nobody else's rows
        self.assertTrue(all(a["actor"]["id"] == viewer.user_id or a["entity_id"] == viewer.user_id for a in d["audit"]), d["audit"])
        self.assertNotIn("Owner's own", json.dumps(d))
        # the export is in the log, in the same transaction
        rows = owner.api("GET", "/audit?action=user.data_exported").json["data"]
        self.assertEqual([a["actor"]["id"] for a in rows], [viewer.user_id])
        self.assertEqual(self.server.api("GET", "/me/export").status, 401)

    def test_changing_the_sign_in_address(self):
        owner = self.workspace()
        member = self.invite(owner, "scheduler", "Mover %s" % uid())
        old, new = member.email, "moved-%s@example.com" % uid()
        # the password is checked; bad addresses refused
        r = member.api("POST", "/me/email", {"password": "Wrong-Password-123456", "email": new})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(member.api("POST", "/me/email", {"password": PASSWORD, "email": "not-an-address"}).status, 400)
        r = member.api("POST", "/me/email", {"password": PASSWORD, "email": old.upper()})
        self.assertEqual(r.status, 400, r)
        # a first request, then a second: only the second link works
        r = member.api("POST", "/me/email", {"password": PASSWORD, "email": "first-" + new})
        self.assertEqual((r.status, r.json), (202, {"status": "confirmation_sent"}))
        first = self.sink.wait_for(to="first-" + new, subject="new Planyard sign-in").link_token("confirm-email")
        r = member.api("POST", "/me/email", {"password": PASSWORD, "email": new})
        self.assertEqual(r.status, 202, r)
        mail = self.sink.wait_for(to=new, subject="new Planyard sign-in")
        token = mail.link_token("confirm-email")
        self.assertTrue(token and len(token) >= 22)
        self.assertEqual(self.server.api("POST", "/auth/email/confirm", {"token": first}).status, 400)
        # nothing changed yet: the old address still signs in
        self.signin(member.slug, old)
        # the token is stored only hashed, never in the log
        self.assertEqual(self.sql("select count(*) from app.user_tokens where token_hash::text like '%%%s%%'" % token), "0")
        self.assertNotIn(token, self.server.read_log())
        r = self.server.api("POST", "/auth/email/confirm", {"token": token})
        self.assertEqual((r.status, r.json), (200, {"status": "email_changed"}))
        notice = self.sink.wait_for(to=old, subject="sign-in address was changed")
        self.assertNotIn(new, notice.body)
        # single use
        r = self.server.api("POST", "/auth/email/confirm", {"token": token})
        self.assertEqual((r.status, r.json["code"]), (400, "token_invalid"))
        r = self.server.api("POST", "/auth/login", {"workspace": member.slug, "email": old, "password": PASSWORD})
        self.assertEqual(r.status, 401)
        again = self.signin(member.slug, new)
        self.assertEqual(again.api("GET", "/me").json["user"]["email"], new)
        rows = owner.api("GET", "/audit?action=user.email_changed").json["data"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["changes"], {"email": [old, new]})
        # an address that has an account gets a mail saying so, and no link; the answer is the same
        r = again.api("POST", "/me/email", {"password": PASSWORD, "email": owner.email})
        self.assertEqual((r.status, r.json), (202, {"status": "confirmation_sent"}))
        taken = self.sink.wait_for(to=owner.email, subject="already on Planyard")
        self.assertIsNone(taken.link_token("confirm-email"))
        # an expired link is refused
        r = again.api("POST", "/me/email", {"password": PASSWORD, "email": "late-" + new})
        late = self.sink.wait_for(to="late-" + new, subject="new Planyard sign-in").link_token("confirm-email")
        self.sql("update app.user_tokens set expires_at = now() - interval '1 second' where kind = 'email_change' "
                 "and new_email = 'late-%s'" % new)
        self.assertEqual(self.server.api("POST", "/auth/email/confirm", {"token": late}).status, 400)
        self.assertTrue(self.verify(owner)["ok"])


def oath(secret, step):
    """The 6-digit TOTP code of a base32 secret at a time step, by oathtool."""
    out = subprocess.run(["oathtool", "--totp", "-b", secret, "-N", "@%d" % (step * 30)],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


class SecondFactorTest(PrivacyCase):
    """Deleting the workspace or the account asks for the second factor of a user who has one."""

    def test_workspace_deletion_needs_the_code(self):
        owner = self.workspace()
        secret, _ = self.enable_totp(owner)
        body = {"slug": owner.slug, "password": PASSWORD}
        r = owner.api("DELETE", "/workspace", body)
        self.assertEqual((r.status, r.json["code"]), (403, "mfa_code_required"), r)
        now = int(time.time()) // 30
        near = {oath(secret, now + d) for d in range(-2, 3)}
        wrong = next(c for c in ("%06d" % i for i in range(1000000)) if c not in near)
        r = owner.api("DELETE", "/workspace", dict(body, code=wrong))
        self.assertEqual((r.status, r.json["code"]), (400, "invalid_code"), r)
        self.assertEqual(owner.api("GET", "/workspace").status, 200)
        r = owner.api("DELETE", "/workspace", dict(body, code=oath(secret, int(time.time()) // 30)))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.sql("select count(*) from app.tenants where id = '%s'" % owner.id), "0")

    def test_account_deletion_needs_the_code(self):
        owner = self.workspace()
        member = self.invite(owner, "viewer", "Two Factor %s" % uid())
        _, codes = self.enable_totp(member)
        r = member.api("DELETE", "/me", {"password": PASSWORD})
        self.assertEqual((r.status, r.json["code"]), (403, "mfa_code_required"), r)
        self.assertEqual(member.api("GET", "/me").status, 200)
        r = member.api("DELETE", "/me", {"password": PASSWORD, "code": codes[0]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.sql("select count(*) from app.users where id = '%s'" % member.user_id), "0")
        # a user without a second factor needs only the password
        plain = self.invite(owner, "viewer", "One Factor %s" % uid())
        self.assertEqual(plain.api("DELETE", "/me", {"password": PASSWORD}).status, 204)


class NoticeTest(PrivacyCase):
    """Security notices by mail, each to whom it concerns."""

    def test_a_new_admin_or_owner_is_told_to_owners_and_admins(self):
        owner = self.workspace()
        admin = self.invite(owner, "admin", "Ada Admin %s" % uid())
        member = self.invite(owner, "viewer", "Mo Member %s" % uid())
        # accepting the admin's invitation told the owner and the admin already (the test below)
        self.sink.wait_for(to=owner.email, subject="a new admin")
        self.sink.wait_for(to=admin.email, subject="a new admin")
        n_owner, n_admin = self.sink.count(to=owner.email), self.sink.count(to=admin.email)
        n_owner_admin = self.sink.count(to=owner.email, subject="a new admin")
        before = {who: self.sink.count(to=who, subject="a new admin") for who in (owner.email, admin.email, member.email)}
        n_notices = self.sink.count(to=owner.email, subject="Security notice")
        self.assertEqual(admin.api("PATCH", "/members/%s" % member.user_id, {"role": "scheduler"}).status, 200)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=owner.email, subject="Security notice"), n_notices)
        self.assertEqual(admin.api("PATCH", "/members/%s" % member.user_id, {"role": "admin"}).status, 200)
        for who in (owner.email, admin.email, member.email):
            m = self.sink.wait_for(to=who, subject="a new admin", count=before[who] + 1)
            self.assertIn(member.email, m.body)
            self.assertIn(admin.email, m.body)
        # the same role again tells nobody anything new
        self.assertEqual(owner.api("PATCH", "/members/%s" % member.user_id, {"role": "admin"}).status, 200)
        self.assertEqual(owner.api("PATCH", "/members/%s" % member.user_id, {"role": "owner"}).status, 200)
        self.sink.wait_for(to=admin.email, subject="a new owner")
        time.sleep(1)
        self.assertEqual(self.sink.count(to=owner.email, subject="a new admin"), n_owner_admin + 1)
        self.assertGreater(self.sink.count(to=owner.email), n_owner)
        self.assertGreater(self.sink.count(to=admin.email), n_admin)

    def test_accepting_an_admin_or_owner_invitation_is_told_to_owners_and_admins(self):
        # this test accepts many invitations from one address: the per-address limit on
        # attempts (10 in 15 minutes) starts afresh for it and for the tests after it
        reset = "delete from app.rate_events where key like 'invite:ip:%'"
        self.sql(reset)
        self.addCleanup(self.sql, reset)
        owner = self.workspace()
        admin_email = "admin-%s@example.com" % uid()
        admin = self.invite(owner, "admin", "Ina Invited %s" % uid(), admin_email)
        m = self.sink.wait_for(to=owner.email, subject="a new admin")
        self.assertIn(admin_email, m.body)
        self.assertIn("accepted an invitation", m.body)
        # the new admin is one of the workspace's admins now: told too
        self.assertIn(admin_email, self.sink.wait_for(to=admin_email, subject="a new admin").body)
        # roles without power: nobody is told
        for role in ("viewer", "scheduler"):
            self.invite(owner, role, "Plain %s %s" % (role, uid()))
        # an owner joining with an account that already exists (signed in, with its Bearer)
        other = self.workspace()
        r = owner.api("POST", "/invitations", {"email": other.email, "role": "owner"})
        self.assertEqual(r.status, 201, r)
        token = self.sink.wait_for(to=other.email, subject="invit").link_token("invite")
        r = self.server.api("POST", "/invitations/accept", {"token": token}, token=other.token)
        self.assertEqual(r.status, 201, r)
        for who in (owner.email, admin_email, other.email):
            m = self.sink.wait_for(to=who, subject="a new owner")
            self.assertIn(other.email, m.body)
        # the same link once more is refused, and tells nobody anything
        r = self.server.api("POST", "/invitations/accept", {"token": token}, token=other.token)
        self.assertEqual(r.status, 400, r)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=owner.email, subject="a new admin"), 1)
        self.assertEqual(self.sink.count(to=owner.email, subject="a new owner"), 1)
        self.assertEqual(self.sink.count(to=owner.email, subject="a new viewer"), 0)
        self.assertEqual(self.sink.count(to=owner.email, subject="a new scheduler"), 0)
        self.assertEqual(self.sink.count(to=other.email, subject="a new owner"), 1)

    def test_mfa_turned_off_by_an_admin_is_told(self):
        owner = self.workspace()
        admin = self.invite(owner, "admin", "Otto Admin %s" % uid())
        viewer = self.invite(owner, "viewer", "Vic Viewer %s" % uid())
        for ws in (admin, viewer):
            secret, _ = self.enable_totp(ws)
            r = ws.api("DELETE", "/me/mfa/totp", {"password": PASSWORD, "code": oath(secret, int(time.time()) // 30)})
            self.assertEqual(r.status, 204, r)
        m = self.sink.wait_for(to=owner.email, subject="two-factor authentication turned off")
        self.assertIn(admin.email, m.body)
        time.sleep(1)
        self.assertEqual(self.sink.count(to=owner.email, subject="two-factor authentication turned off"), 1)
        self.assertEqual(self.sink.count(to=viewer.email, subject="Security notice"), 0)

    def test_a_lockout_is_told_to_the_account(self):
        owner = self.workspace()
        body = {"workspace": owner.slug, "email": owner.email, "password": "Wrong-Password-123456"}
        for i in range(10):
            self.assertEqual(self.server.api("POST", "/auth/login", body).status, 401, i)
        self.assertEqual(self.server.api("POST", "/auth/login", body).status, 429)
        m = self.sink.wait_for(to=owner.email, subject="account is locked")
        self.assertIn("127.0.0.1", m.body)
        self.assertNotIn("Wrong-Password", m.content.decode("utf-8", "replace"))
        time.sleep(1)
        self.assertEqual(self.sink.count(to=owner.email, subject="account is locked"), 1)

    def test_a_sign_in_from_a_new_browser_is_told_to_the_user(self):
        owner = self.workspace()   # its first sign-in: nothing to compare with, no notice
        time.sleep(1)
        self.assertEqual(self.sink.count(to=owner.email, subject="new browser"), 0)
        body = {"workspace": owner.slug, "email": owner.email, "password": PASSWORD}
        ua = {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/199.0 %s" % uid()}
        self.assertEqual(self.server.api("POST", "/auth/login", body, headers=ua).status, 200)
        m = self.sink.wait_for(to=owner.email, subject="new browser")
        self.assertIn(ua["User-Agent"], m.body)
        # the same browser again: no second notice
        self.assertEqual(self.server.api("POST", "/auth/login", body, headers=ua).status, 200)
        self.assertEqual(self.server.api("POST", "/auth/login", body).status, 200)
        time.sleep(1)
        self.assertEqual(self.sink.count(to=owner.email, subject="new browser"), 1)

    def test_staff_access_is_told_to_owners_and_admins(self):
        owner = self.workspace()
        admin = self.invite(owner, "admin", "Sue Admin %s" % uid())
        viewer = self.invite(owner, "viewer", "Val Viewer %s" % uid())
        r = subprocess.run([BINARY, "platform", "impersonate", "--workspace", owner.slug, "--user", viewer.email,
                            "--staff", "Sam Support", "--reason", "ticket 1: pours missing"],
                           env=self.server.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip().split("#token=")[1]
        self.assertNotIn(token, r.stderr)
        # granted: the staff member, the user and the reason
        for who in (owner.email, admin.email):
            m = self.sink.wait_for(to=who, subject="staff access")
            self.assertIn("Sam Support", m.body)
            self.assertIn("ticket 1: pours missing", m.body)
            self.assertNotIn(token, m.content.decode())
        r = self.server.api("POST", "/auth/impersonation/redeem", {"token": token})
        self.assertEqual(r.status, 200, r)
        # redeemed: a second notice
        for who in (owner.email, admin.email):
            self.sink.wait_for(to=who, subject="staff access", count=2)
        self.assertEqual(self.sink.count(to=viewer.email, subject="staff access"), 0)

    def test_the_operator_notifies_every_owner(self):
        a, b = self.workspace(), self.workspace()
        admin = self.invite(a, "admin", "Not An Owner %s" % uid())
        # b's owner also owns a: one message for them all the same
        self.sql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', 'owner')" % (a.id, b.user_id))
        subject = "Planned maintenance %s" % uid()
        path = os.path.join(self.server.data_dir, "notice.txt")
        with open(path, "w") as f:
            f.write("Hello,\n\nPlanyard will be down for 10 minutes on Sunday.\n")
        r = subprocess.run([BINARY, "platform", "notify", "--subject", subject, "--body-file", path],
                           env=self.server.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^queued for \d+ owners\n$")
        for who in (a.email, b.email):
            m = self.sink.wait_for(to=who, subject=subject)
            self.assertIn("down for 10 minutes", m.body)
        time.sleep(1)
        self.assertEqual(self.sink.count(to=b.email, subject=subject), 1)
        self.assertEqual(self.sink.count(to=admin.email, subject=subject), 0)
        rows = a.api("GET", "/audit?action=platform.owners_notified").json["data"]
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["actor"]["kind"], rows[0]["changes"]), ("platform", {"subject": [None, subject]}))
        self.assertTrue(self.verify(a)["ok"])
        # bad input: nothing sent
        r = subprocess.run([BINARY, "platform", "notify", "--subject", "", "--body-file", path],
                           env=self.server.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([BINARY, "platform", "notify", "--subject", "x", "--body-file", path + ".missing"],
                           env=self.server.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)


class TlsSink(SmtpSink):
    """The SMTP sink offering (and requiring) STARTTLS with the given certificate."""

    def __init__(self, port, cert, key):
        super().__init__(port)
        import ssl
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(cert, key)

    def start(self):
        deadline = time.time() + 10
        while True:
            c = Controller(smtp_sink._Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10,
                           tls_context=self.ctx, require_starttls=True)
            try:
                c.start()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self._controller = c
        return self


class StarttlsTest(PrivacyCase):
    """PLANYARD_SMTP_TLS=required: against a relay without STARTTLS the mail waits in the
    outbox (never sent in clear) with a warning in the log, and goes out once the relay offers
    STARTTLS (its certificate verified against PLANYARD_SMTP_CA_FILE)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="planyard-smtp-tls-")
        cls.cert, cls.key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        os.chmod(cls.tmp, 0o755)
        os.chmod(cls.cert, 0o644)
        cls.extra_env = {"PLANYARD_SMTP_TLS": "required", "PLANYARD_SMTP_CA_FILE": cls.cert}
        super().setUpClass()

    def test_required_tls_never_sends_in_clear(self):
        slug, email = "tls-" + uid(), "tls-%s@example.com" % uid()
        r = self.server.api("POST", "/auth/signup", {"workspace_name": "TLS", "workspace_slug": slug,
                                                     "name": "T", "email": email, "password": PASSWORD})
        self.assertEqual(r.status, 202)
        deadline = time.time() + 15
        while "STARTTLS" not in (self.sql("select coalesce(last_error, '') from app.outbox where recipient = '%s'" % email)):
            self.assertLess(time.time(), deadline, "the mail was not tried")
            time.sleep(0.2)
        self.assertEqual(self.sink.count(to=email), 0)
        self.assertEqual(self.sql("select sent_at is null from app.outbox where recipient = '%s'" % email), "t")
        self.assertTrue(any("STARTTLS" in json.dumps(l) for l in self.server.log_lines("warn")), "no warning logged")
        # the relay now offers STARTTLS on the same port: the retry goes out, encrypted
        self.sink.stop()
        self.sink = TlsSink(self.sink.port, self.cert, self.key).start()
        self.sql("update app.outbox set next_attempt_at = now() where recipient = '%s'" % email)
        mail = self.sink.wait_for(to=email, subject="confirm", timeout=20)
        self.assertTrue(mail.link_token("confirm"))

    def test_serve_refuses_opportunistic_tls(self):
        env = dict(os.environ, PLANYARD_SMTP_TLS="opportunistic", PLANYARD_DATABASE_URL="postgresql:///x",
                   PLANYARD_AUTH_DATABASE_URL="postgresql:///x", PLANYARD_JOBS_DATABASE_URL="postgresql:///x",
                   PLANYARD_TLS_CERT=self.cert, PLANYARD_TLS_KEY=self.key, PLANYARD_PUBLIC_URL=PUBLIC_URL,
                   PLANYARD_JWT_SECRET="j" * 40, PLANYARD_PASSWORD_PEPPER="p" * 40, PLANYARD_DATA_KEY="d" * 40,
                   PLANYARD_STRIPE_WEBHOOK_SECRET="whsec_" + "s" * 40, PLANYARD_CRON_SECRET="c" * 40,
                   PLANYARD_DATA_DIR=os.path.join(self.tmp, "none"))
        r = subprocess.run([BINARY, "serve"], env=env, capture_output=True, text=True, timeout=30, cwd=self.tmp)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PLANYARD_SMTP_TLS", r.stderr)


class DisclosureTest(PrivacyCase):
    extra_env = {"PLANYARD_SECURITY_CONTACT": "mailto:security@planyard.test",
                 "PLANYARD_SECURITY_EXPIRES": "2031-01-31T00:00:00Z"}

    def test_security_txt(self):
        r = self.server.request("GET", "/.well-known/security.txt")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("text/plain"), r.header("content-type"))
        self.assertIsNotNone(r.header("strict-transport-security"))
        fields = {}
        for line in r.body.decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.split(": ", 1)
                fields.setdefault(k, []).append(v)
        self.assertEqual(fields["Contact"], ["mailto:security@planyard.test"])
        self.assertEqual(fields["Expires"], ["2031-01-31T00:00:00Z"])
        self.assertEqual(fields["Canonical"], [PUBLIC_URL + "/.well-known/security.txt"])
        self.assertIn("Preferred-Languages", fields)
        self.assertTrue(os.path.exists(os.path.join(ROOT, "SECURITY.md")))

    def test_security_txt_defaults(self):
        s = Server(env={"PLANYARD_PUBLIC_URL": "https://plan.example.net"})
        try:
            s.start()
            text = s.request("GET", "/.well-known/security.txt").body.decode()
        finally:
            s.stop()
            s.cleanup()
        self.assertIn("Contact: mailto:security@plan.example.net\n", text)
        exp = [l for l in text.splitlines() if l.startswith("Expires: ")][0][9:]
        import datetime
        days = (datetime.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ") - datetime.datetime.utcnow()).days
        self.assertTrue(150 < days < 366, exp)

    def test_the_scanners_find_what_they_look_for(self):
        import tempfile
        scan = os.path.join(ROOT, "scripts", "scan.sh")
        self.assertEqual(subprocess.run(["bash", scan, "secrets"], capture_output=True).returncode, 0)
        self.assertEqual(subprocess.run(["bash", scan, "deps"], capture_output=True).returncode, 0)
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["git", "init", "-q", d], check=True)
            with open(os.path.join(d, "settings.env"), "w") as f:
                f.write("AWS_KEY=" + "AKIA" + "Q7" * 8 + "\n")
            subprocess.run(["git", "-C", d, "add", "settings.env"], check=True)
            r = subprocess.run(["bash", scan, "secrets", d], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("settings.env", r.stdout)
            with open(os.path.join(d, "package.json"), "w") as f:
                json.dump({"name": "x", "dependencies": {"left-pad": "^1.3.0"}}, f)
            with open(os.path.join(d, "package-lock.json"), "w") as f:
                json.dump({"lockfileVersion": 3, "packages": {"": {}, "node_modules/left-pad": {"version": "1.3.0"}}}, f)
            r = subprocess.run(["bash", scan, "deps", d], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("not an exact version", r.stdout)
            self.assertIn("no sha512 integrity", r.stdout)


if __name__ == "__main__":
    unittest.main()
