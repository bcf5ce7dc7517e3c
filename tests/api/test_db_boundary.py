"""The database boundary of issue 14: a caller holding only one of the server's logins (its
URL: a leaked environment, a pooler's user list, an SQL injection), with psql and no session
secret, JWT key, pepper or data key, gets from PostgreSQL no more than an anonymous HTTP client.

Each of the seven attacks of the issue is one test here, written so that it passes only when
the database refuses: the attacker's statements are run as the role, then what they would have
changed is read back as the schema owner. Beside them: which SECURITY DEFINER functions each
role may execute is held to the reviewed list sql/reviewed_definers.txt (a new one executable
by a server role fails here until it is reviewed and listed), nothing is executable by PUBLIC,
and new functions start closed."""
import hashlib
import os
import re
import subprocess
import time
import unittest
import uuid

import fixtures as fx
import opdata
from harness import ROOT, Server

REVIEWED = os.path.join(ROOT, "sql", "reviewed_definers.txt")
ROLES = ("planyard_app", "planyard_auth", "planyard_jobs", "planyard_platform")


def sha_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def reviewed():
    """{role: {function signature}} of the reviewed list."""
    out = {r: set() for r in ROLES}
    with open(REVIEWED) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                role, fn = line.split(None, 1)
                out[role].add(fn.strip())
    return out


class Boundary(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"}).start()
        cls.a = fx.new_workspace(cls.server)      # the victim
        cls.b = fx.new_workspace(cls.server)      # the attacker's own (throwaway) account

    @classmethod
    def tearDownClass(cls):
        s = cls.server
        rc = s.stop()
        errors = s.sanitizer_errors()
        s.cleanup()
        assert errors == [], errors
        assert rc == 0, rc

    # ---- helpers ----
    def run_as(self, role, sql):
        """Runs sql (a script: several statements, psql variables off) as role over the
        role's own URL: the cluster's socket, no password, nothing but the role name.
        Returns (ok, stdout, stderr)."""
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.server.pg_dir,
                            "-U", role, "-d", "planyard", "-f", "-"], input=sql, capture_output=True, text=True)
        return r.returncode == 0, r.stdout.strip(), r.stderr.strip()

    def refused(self, role, sql):
        """sql as role must fail with a permission or constraint error (never succeed)."""
        ok, out, err = self.run_as(role, sql)
        self.assertFalse(ok, "%s was allowed to run:\n%s\n-> %s" % (role, sql, out))
        self.assertRegex(err, r"permission denied|violates check constraint|no proof for a", err)
        return err

    def owner(self, sql):
        return self.server.psql(sql, user="planyard_owner")

    def audit_rows(self, ws):
        return int(self.owner("select count(*) from app.audit_log where tenant_id = '%s'" % ws.id))

    # ---- 1: a session for any account, at aal2 ----
    def test_attack1_no_session_for_another_account(self):
        a = self.a
        key = "my-key-" + uuid.uuid4().hex
        sessions = self.owner("select count(*) from app.sessions where user_id = '%s'" % a.user_id)
        self.refused("planyard_app", "select * from app.auth_login_lookup('%s', '%s', null);" % (a.slug, a.email))
        self.refused("planyard_app",
                     "select * from app.auth_session_create('%s', '%s', 'password', '%s', sha256('%s'::bytea), null, "
                     "sha256('chosen-refresh'::bytea), null, null, null);" % (a.id, a.user_id, fx.PASSWORD, key))
        self.refused("planyard_app", "select * from app.auth_refresh('x', 'y');")
        self.refused("planyard_app", "select * from app.impersonation_redeem('x', sha256('%s'::bytea), "
                                     "null, null, null);" % key)
        self.assertEqual(self.owner("select count(*) from app.sessions where key_hash = sha256('%s'::bytea)" % key), "0")
        self.assertEqual(self.owner("select count(*) from app.sessions where user_id = '%s'" % a.user_id), sessions)
        # and the chosen secret opens nothing: no workspace, no rows
        ok, out, err = self.run_as("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                                   "select count(*) from app.reminders;\nselect count(*) from app.customers;\n"
                                   "commit;" % key)
        self.assertTrue(ok, err)
        self.assertEqual(out.split(), ["0", "0", "0"])
        # a sealed session key of the attacker's own account is not to be had either
        self.assertEqual(self.owner("select has_column_privilege('planyard_app', 'app.sessions', 'key_sealed', 'SELECT')"),
                         "f")

    # ---- 2: any user's password ----
    def test_attack2_no_password_change_for_another_user(self):
        a = self.a
        token = "chosen-" + uuid.uuid4().hex
        before = self.owner("select password_hash from app.users where id = '%s'" % a.user_id)
        self.refused("planyard_app", "select app.auth_forgot(null, '%s', 'Reset', '\\x00'::bytea);" % a.email)
        self.assertEqual(self.owner("select count(*) from app.user_tokens where token_hash = sha256('%s'::bytea)"
                                    % token), "0")
        r = self.server.api("POST", "/auth/password/reset", {"token": token, "password": "An0ther-Horse-Battery-77"})
        self.assertEqual((r.status, r.json.get("code")), (400, "token_invalid"), r)
        other_hash = self.owner("select password_hash from app.users where id = '%s'" % self.b.user_id)
        self.refused("planyard_app", "select app.auth_reset_apply('%s', '%s', 'h', 's', '\\x00'::bytea);"
                     % (token, other_hash))
        self.refused("planyard_app", "select * from app.auth_reset_lookup('%s');" % token)
        self.assertEqual(self.owner("select password_hash from app.users where id = '%s'" % a.user_id), before)
        self.assertEqual(fx.login(self.server, a.slug, a.email)["user"]["id"], a.user_id)

    # ---- 3: MFA, sealed secrets, mail ----
    def test_attack3_no_mfa_bypass_secret_or_mail(self):
        a = self.a
        tok = "mfa-" + uuid.uuid4().hex
        self.refused("planyard_app", "select app.mfa_challenge_create('%s', '%s', '%s', '%s');"
                     % (a.id, a.user_id, fx.PASSWORD, tok))
        self.assertEqual(self.owner("select count(*) from app.mfa_challenges where token_hash = sha256('%s'::bytea)"
                                    % tok), "0")
        self.refused("planyard_app", "select * from app.mfa_challenge_verify('%s', "
                     "floor(extract(epoch from now()) / 30)::bigint, null, null);" % tok)
        self.refused("planyard_app", "select app.mfa_challenge_secret('%s');" % tok)
        outbox = self.owner("select count(*) from app.outbox")
        slug = "evil-" + uuid.uuid4().hex[:8]
        self.refused("planyard_app",
                     "select app.auth_signup('%s', 'Evil', 'Evil', '%s', 'h', 'h', 'Hi', "
                     "(select totp_secret from app.users limit 1), 'Hi\r\nBcc: evil@example.com', '\\x00'::bytea, null);"
                     % (slug, a.email))
        self.assertEqual(self.owner("select count(*) from app.outbox"), outbox)
        self.assertEqual(self.owner("select count(*) from app.tenants where slug = '%s'" % slug), "0")
        # a header with a line break is refused by the database, whoever writes it: the
        # request role with a live session of its own, and the schema owner itself
        key = self.session_key(self.b)
        self.refused("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                     "select app.mail_enqueue('x@example.com', E'Hi\\r\\nBcc: evil@example.com', '\\x00'::bytea);\n"
                     "commit;" % key)
        self.refused("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                     "select app.mail_enqueue(E'x@example.com\\nBcc: evil@example.com', 'Hi', '\\x00'::bytea);\n"
                     "commit;" % key)
        r = subprocess.run(["psql", "-X", "-q", "-h", self.server.pg_dir, "-U", "planyard_owner", "-d", "planyard",
                            "-c", "insert into app.outbox (recipient, subject, body) "
                                  "values ('x@example.com', E'Hi\\nBcc: y@example.com', '\\x00')"],
                           capture_output=True, text=True)
        self.assertIn("outbox_headers_single_line", r.stderr)
        self.assertEqual(self.owner("select count(*) from app.outbox"), outbox)

    def session_key(self, ws):
        return opdata.session_key(ws.token)

    # ---- 4: jobs across workspaces ----
    def test_attack4_no_job_state(self):
        a = self.a
        r = a.api("POST", "/reminders", {"remind_at": "2000-01-01T00:00:00Z", "channel": "email",
                                         "to": "due-%s@example.com" % uuid.uuid4().hex[:6], "message": "due"})
        if r.status == 400:     # a reminder in the past may be refused: make one due directly
            r = a.api("POST", "/reminders", {"remind_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                          time.gmtime(time.time() + 2)),
                                             "channel": "email", "to": "due@example.com", "message": "due"})
            time.sleep(2.5)
        self.assertEqual(r.status, 201, r)
        rid = r.json["id"]
        self.refused("planyard_app", "select * from app.reminders_claim(1000, 60, null);")
        self.refused("planyard_app", "select app.reminder_done('%s', '%s', true, null, 3, 's', '\\x00'::bytea);"
                     % (a.id, rid))
        oid = self.owner("insert into app.outbox (tenant_id, recipient, subject, body, next_attempt_at) values "
                         "('%s', 'held@example.com', 'Held', '\\x01', now() + interval '1 day') returning id" % a.id)
        oid = oid.split()[0]
        self.refused("planyard_app", "select app.outbox_done(%s, true, null);" % oid)
        self.refused("planyard_app", "select * from app.outbox_claim(1000, 60);")
        self.refused("planyard_app", "select app.retention_run();")
        self.assertEqual(self.owner("select status, attempts from app.reminders where id = '%s'" % rid), "pending|0")
        self.assertEqual(self.owner("select sent_at is null, body from app.outbox where id = %s" % oid), "t|\\x01")
        # nor with the attacker's own live session
        key = self.session_key(self.b)
        self.refused("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                     "select * from app.reminders_claim(1000, 60, null);\ncommit;" % key)

    # ---- 5: billing ----
    def test_attack5_no_billing_state(self):
        a = self.a
        event = ('{"id": "evt_%s", "type": "customer.subscription.deleted", '
                 '"data": {"object": {"id": "sub_x", "status": "canceled", "metadata": {"workspace_id": "%s"}}}}'
                 % (uuid.uuid4().hex, a.id))
        self.refused("planyard_app", "select app.billing_apply('%s'::jsonb);" % event)
        key = self.session_key(self.b)
        self.refused("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                     "select app.billing_apply('%s'::jsonb);\ncommit;" % (key, event))
        self.refused("planyard_auth", "select app.billing_apply('%s'::jsonb);" % event)
        self.assertEqual(self.owner("select status from app.tenants where id = '%s'" % a.id), "active")
        self.assertEqual(self.owner("select count(*) from app.billing_events where tenant_id = '%s'" % a.id), "0")

    # ---- 6: forged audit ----
    def forged(self, ws):
        return ("set app.definer_tenant = '%s';\nset app.definer_actor = '%s';\nset app.client_ip = '6.6.6.6';\n"
                % (ws.id, ws.user_id))

    def test_attack6_no_forged_audit_rows(self):
        a = self.a
        before = self.audit_rows(a)
        # no session: every definer function the request role may run, with forged settings
        for call in ("select app.me_delete();", "select app.me_password_set('h', 'h', 's', '\\x00'::bytea);",
                     "select app.mfa_activate('\\x00'::bytea, 0, null);", "select * from app.mfa_disable(0, null);",
                     "select app.workspace_delete('%s');" % a.slug, "select app.impersonation_revoke('%s');" % a.id,
                     "select app.audit('member.joined', 'member', '%s', '{}');" % a.user_id,
                     "select app.reauth_failed();"):
            ok, out, err = self.run_as("planyard_app", self.forged(a) + call)
            self.assertTrue(ok, (call, err))      # granted: each does nothing without a session
        self.refused("planyard_app", self.forged(a) + "select app.audit_as('%s', '%s', 'user', 'member.joined', "
                     "'member', null, '{}', null);" % (a.id, a.user_id))
        self.refused("planyard_app", self.forged(a) + "select app.audit_write('%s', '%s', 'x', 'user', 'x', 'x', "
                     "null, '{}', null);" % (a.id, a.user_id))
        # a member of another workspace leaving it, with A named in the settings: the rows
        # of that leaving must not land in A's log as A's owner
        member = fx.add_member(self.server, self.b, "viewer")
        self.owner("update app.memberships set role = 'viewer' where user_id = '%s'" % member.user_id)
        key = self.session_key(member)
        ok, out, err = self.run_as("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n%s"
                                   "select app.me_delete();\ncommit;" % (key, self.forged(a)))
        self.assertTrue(ok, err)
        self.assertEqual(out.split(), ["1", "deleted"])
        # the pre-session role: a signup (its new membership fires the audit trigger) with A
        # named in the settings
        slug = "forge-" + uuid.uuid4().hex[:8]
        ok, out, err = self.run_as("planyard_auth", self.forged(a) +
                                   "select app.auth_signup('%s', 'F', 'F', 'f-%s@example.com', 'h', 'h', "
                                   "'Hi', '\\x00'::bytea, 'Hi', '\\x00'::bytea, null);" % (slug, slug))
        self.assertTrue(ok, err)
        self.assertEqual(out, "created")
        self.assertEqual(self.audit_rows(a), before, self.owner(
            "select action, actor_email, ip from app.audit_log where tenant_id = '%s' order by seq desc limit 5" % a.id))
        # (a live session's own rows may carry the address its caller set: only into its own log)
        self.assertEqual(self.owner("select count(*) from app.audit_log where ip = '6.6.6.6' and tenant_id <> '%s'"
                                    % self.b.id), "0")
        r = a.api("GET", "/audit/verify")
        self.assertEqual((r.status, r.json["ok"]), (200, True), r)

    # ---- 7: rate limits ----
    def test_attack7_no_rate_limit_change(self):
        a = self.a
        k = "login:acct:" + a.email.lower()
        self.owner("insert into app.rate_events (key) select '%s' from generate_series(1, 3)" % k)
        count = lambda key: self.owner("select count(*) from app.rate_events where key = '%s'" % key)
        self.refused("planyard_app", "select app.rate_hit('%s');" % k)
        self.refused("planyard_app", "select app.rate_hit('reauth:%s');" % a.user_id)
        self.refused("planyard_app", "select app.rate_retry_after('%s', 1, interval '1 hour');" % k)
        self.refused("planyard_app", "select app.auth_login_failed(null, null, '%s', null);" % a.email)
        self.refused("planyard_app", "select * from app.auth_session_create('%s', '%s', 'password', 'x', "
                     "sha256('k'::bytea), null, null, null, null, '%s');" % (self.b.id, self.b.user_id, a.email))
        self.refused("planyard_auth", "select app.rate_hit('%s');" % k)
        self.assertEqual(count(k), "3")
        # the request role's own limit is keyed on its live session: nothing without one
        ok, out, err = self.run_as("planyard_app", "select app.reauth_failed();\nselect app.reauth_retry_after();")
        self.assertTrue(ok, err)
        self.assertEqual(count("reauth:%s" % a.user_id), "0")
        self.owner("delete from app.rate_events where key = '%s'" % k)

    # ---- the pre-session role: proofs it can't forge ----
    def test_pre_session_role_makes_no_session_or_challenge_without_a_proof(self):
        """planyard_auth may make sessions, but only on the peppered password (checked against
        the bcrypt hash in the database), a challenge just verified, or a live session of
        the same user: choosing the secret's hash gives no session for someone else."""
        a = self.a
        key = "auth-key-" + uuid.uuid4().hex
        create = ("select * from app.auth_session_create('%s', '%s', '%%s', %%s, sha256('%s'::bytea), null, "
                  "sha256('r%s'::bytea), null, null, '%s');" % (a.id, a.user_id, key, key, a.email))
        for kind, proof in (("password", "'%s'" % fx.PASSWORD), ("password", "null"),
                            ("password", "'%s'" % self.owner("select password_hash from app.users where id = '%s'"
                                                              % a.user_id)),
                            ("mfa", "'chosen-challenge'"), ("session", "'chosen-session'"), ("aal2", "null")):
            self.refused("planyard_auth", create % (kind, proof))
        # a session of the attacker's own does not open another account's either
        self.refused("planyard_auth", "select * from app.auth_session_create('%s', '%s', 'session', '%s', "
                     "sha256('%s'::bytea), null, null, null, null, null);"
                     % (a.id, a.user_id, self.session_key(self.b), key))
        self.assertEqual(self.owner("select count(*) from app.sessions where key_hash = sha256('%s'::bytea)" % key), "0")
        self.refused("planyard_auth", "select app.mfa_challenge_create('%s', '%s', '%s', 'chosen-%s');"
                     % (a.id, a.user_id, fx.PASSWORD, key))
        self.assertEqual(self.owner("select count(*) from app.mfa_challenges where user_id = '%s'" % a.user_id), "0")
        # and the HTTP sign-in still works: the server's proof is accepted
        body = fx.login(self.server, a.slug, a.email)
        self.assertEqual(opdata.claims(body["access_token"])["aal"], "aal1")

    def test_pre_session_role_gains_nothing_from_a_tokens_hash(self):
        """Tokens are passed raw and hashed in the database, so a hash (an admin may read its
        workspace's invitations and grants) redeems nothing."""
        a = self.a
        r = a.api("POST", "/invitations", {"email": "inv-%s@example.com" % uuid.uuid4().hex[:6], "role": "viewer"})
        self.assertEqual(r.status, 201, r)
        key = self.session_key(a)
        ok, out, err = self.run_as("planyard_app", "begin;\nselect count(*) from app.request_begin('%s');\n"
                                   "select encode(token_hash, 'hex') from app.invitations where id = '%s';\ncommit;"
                                   % (key, r.json["id"]))
        self.assertTrue(ok, err)
        token_hash = out.split()[1]
        for token in (token_hash, "\\x" + token_hash):
            ok, out, err = self.run_as("planyard_auth", "select count(*) from app.invitation_lookup('%s');\n"
                                       "select status from app.invitation_accept('%s', null, 'X', 'h', 'h', null);"
                                       % (token, token))
            self.assertTrue(ok, err)
            self.assertEqual(out.split(), ["0", "invalid"])
        ok, out, err = self.run_as("planyard_auth", "select status from app.auth_refresh('%s', 'next');\n"
                                   "select app.auth_confirm('%s');" % (token_hash, token_hash))
        self.assertTrue(ok, err)
        self.assertEqual(out.split(), ["invalid", "f"])

    def test_pre_session_role_never_holds_a_confirm_or_reset_token(self):
        """Reset and confirm tokens are made by the database and go only into the mail: asking
        for another user's reset (as the pre-session role may) hands the caller nothing to
        redeem, and it can't read the mail's token either."""
        a = self.a
        before = fx.outbox_mails(self.server, a.email)
        ok, out, err = self.run_as("planyard_auth", "select app.auth_forgot(null, '%s', 'Reset your Planyard password', "
                                   "'\\x00'::bytea);" % a.email)
        self.assertTrue(ok, err)
        self.assertEqual(out, "0")      # nothing but the rate limit's answer comes back
        self.assertEqual(self.owner("select count(*) from app.user_tokens where user_id = '%s' and kind = 'reset' "
                                    "and used_at is null" % a.user_id), "1")
        for sql in ("select token from app.outbox;", "select token_hash from app.user_tokens;",
                    "select * from app.outbox_claim(100, 60);"):
            self.refused("planyard_auth", sql)
        # no function of the role takes a confirm or reset token's hash
        self.assertEqual(self.owner(
            "select string_agg(p.oid::regprocedure::text, ', ') from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = 'app' and p.proname in ('auth_forgot', 'auth_resend', 'auth_signup') "
            "and 'bytea'::regtype = any (p.proargtypes::regtype[]) and p.pronargs > 0 "
            "and p.proargnames::text ~ 'token'"), "")
        # the mail the real owner gets carries a token that works, once
        r = self.server.api("POST", "/auth/password/forgot", {"email": a.email})
        self.assertEqual(r.status, 202, r)
        token = fx.wait_token(self.server, a.email, "reset", after=len(before))
        self.assertEqual(len(token), 43)
        r = self.server.api("POST", "/auth/password/reset", {"token": token, "password": fx.PASSWORD + "-x"})
        self.assertEqual(r.status, 204, r)
        r = self.server.api("POST", "/auth/password/reset", {"token": token, "password": fx.PASSWORD})
        self.assertEqual(r.status, 400, r)
        self.owner("update app.users set password_hash = (select password_hash from app.users where id = '%s') "
                   "where id = '%s'" % (self.b.user_id, a.user_id))   # back to the shared fixture password
        a.token = fx.login(self.server, a.slug, a.email)["access_token"]

    # ---- sealed blobs are bound to their place ----
    def seal(self, pt, slot=None):
        """A blob as the server seals it: bound to slot (v2), or the unbound format of before."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        import hmac
        key = hmac.new(self.server.secret("data_key").encode(), b"planyard sealed v1", hashlib.sha256).digest()
        nonce = os.urandom(12)
        if slot is None:
            return nonce + AESGCM(key).encrypt(nonce, pt, None)
        return b"\x02" + nonce + AESGCM(key).encrypt(nonce, pt, b"planyard sealed v2\x00" + slot.encode())

    def test_sealed_blobs_open_only_in_their_slot(self):
        """The mail sender opens only bodies sealed for the outbox: a TOTP secret (or any blob
        of another slot) queued as a body is never mailed; a body in the old unbound format
        opens only on a row the upgrade marked."""
        tag = uuid.uuid4().hex[:8]
        rows = {
            "totp": (self.seal(b"TOTP-SECRET-" + tag.encode(), "app.users.totp:" + self.a.user_id), "false"),
            "session": (self.seal(b"SESSION-KEY-" + tag.encode(), "app.sessions.key_sealed:%s:%s"
                                  % (self.a.id, self.a.user_id)), "false"),
            "unbound": (self.seal(b"UNBOUND-" + tag.encode()), "false"),
            "marked": (self.seal(b"MARKED-" + tag.encode()), "true"),
            "outbox": (self.seal(b"OUTBOX-" + tag.encode(), "app.outbox.body"), "false"),
        }
        ids = {}
        for name, (blob, legacy) in rows.items():
            ids[name] = self.owner("insert into app.outbox (recipient, subject, body, sealed_legacy) values "
                                   "('%s-%s@example.com', 'Slot', '\\x%s', %s) returning id"
                                   % (name, tag, blob.hex(), legacy)).split()[0]
        for name in ("outbox", "marked"):
            deadline = time.time() + 20
            while time.time() < deadline and not fx.outbox_mails(self.server, "%s-%s@example.com" % (name, tag)):
                time.sleep(0.2)
            mails = fx.outbox_mails(self.server, "%s-%s@example.com" % (name, tag))
            self.assertEqual(len(mails), 1, name)
            self.assertIn(name.upper() + "-" + tag, mails[0][1])
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.owner("select count(*) from app.outbox where id in (%s) and attempts > 0"
                          % ", ".join(ids[n] for n in ("totp", "session", "unbound"))) == "3":
                break
            time.sleep(0.2)
        for name in ("totp", "session", "unbound"):
            self.assertEqual(fx.outbox_mails(self.server, "%s-%s@example.com" % (name, tag)), [], name)
            self.assertEqual(self.owner("select sent_at is null, attempts > 0, last_error like '%%outbox body%%' "
                                        "from app.outbox where id = %s" % ids[name]), "t|t|t", name)
        for _, text in fx.outbox_mails(self.server):
            self.assertNotIn("TOTP-SECRET-" + tag, text)

    # ---- grants held to the catalog ----
    def executable_definers(self, role):
        return set(self.owner(
            "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname in ('app', 'platform') and p.prosecdef "
            "and has_function_privilege('%s', p.oid, 'EXECUTE') order by 1" % role).splitlines())

    def test_definers_each_role_runs_are_the_reviewed_ones(self):
        """A SECURITY DEFINER function a server role may execute that is not on the reviewed
        list (or one listed that it may not) fails here."""
        want = reviewed()
        for role in ROLES:
            self.assertEqual(self.executable_definers(role), want[role], role)

    def test_reviewed_list_catches_a_new_function(self):
        """A new definer function granted to the request role is found (the check above can fail)."""
        ok, out, err = self.run_as("postgres", "begin;\nset role planyard_owner;\n"
                                   "create function app.zz_probe() returns int language sql security definer "
                                   "as 'select 1';\ngrant execute on function app.zz_probe() to planyard_app;\n"
                                   "select has_function_privilege('planyard_app', 'app.zz_probe()', 'EXECUTE');\n"
                                   "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                                   "where n.nspname = 'app' and p.prosecdef "
                                   "and has_function_privilege('planyard_app', p.oid, 'EXECUTE');\nrollback;")
        self.assertTrue(ok, err)
        allowed, n = out.split()
        self.assertEqual(allowed, "t")
        self.assertEqual(int(n), len(reviewed()["planyard_app"]) + 1)

    def test_nothing_is_executable_by_public_and_new_functions_start_closed(self):
        self.assertEqual(self.owner(
            "select string_agg(p.oid::regprocedure::text, ', ') from pg_proc p "
            "join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('app', 'platform') "
            "and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a "
            "where a.grantee = 0 and a.privilege_type = 'EXECUTE')"), "")
        ok, out, err = self.run_as("postgres", "begin;\nset role planyard_owner;\n"
                                   "create function app.zz_new() returns int language sql security definer "
                                   "as 'select 1';\n"
                                   "select has_function_privilege('planyard_app', 'app.zz_new()', 'EXECUTE');\n"
                                   "rollback;")
        self.assertTrue(ok, err)
        self.assertEqual(out, "f")

    def test_roles_are_narrow_logins_of_their_own(self):
        rows = self.owner("select rolname, rolcanlogin, rolsuper or rolbypassrls or rolcreaterole or rolcreatedb "
                          "from pg_roles where rolname in ('planyard_app', 'planyard_auth', 'planyard_jobs') order by 1")
        self.assertEqual(rows.splitlines(), ["planyard_app|t|f", "planyard_auth|t|f", "planyard_jobs|t|f"])
        # the jobs role reads no workspace's rows, the pre-session role writes none directly
        for t in ("customers", "pours", "reminders", "outbox", "audit_log"):
            self.assertEqual(self.owner("select has_table_privilege('planyard_jobs', 'app.%s', 'SELECT')" % t), "f", t)
        for priv in ("INSERT", "UPDATE", "DELETE"):
            self.assertEqual(self.owner("select has_table_privilege('planyard_auth', 'app.sessions', '%s')" % priv),
                             "f", priv)


if __name__ == "__main__":
    unittest.main()
