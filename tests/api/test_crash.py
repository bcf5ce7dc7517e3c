"""planyard itself killed with SIGKILL mid-load: customers written on four threads, the outbox
draining mail into a real SMTP server whose 250 is slow, and due SMS reminders going out
through the SMS stand-in whose answer is slow. After a restart on the same database:

- every write that was answered 2xx is there, and nothing is half-written (each customer has
  exactly the audit entry of its creation, nothing without one);
- the outbox and the reminders resume by themselves and every message is sent once. The one
  exception, which the test bounds, is the message whose send was in flight at the kill: the
  relay (or SMS service) had taken it, its 250 had not reached the sender, so the sender could
  not know and sends it again once its lease runs out, with the same Message-ID (or
  Idempotency-Key). So per recipient there is exactly one Message-ID, and at most one message
  of each kind arrives twice.
"""
import collections
import datetime
import signal
import threading
import time
import unittest
import uuid

import fakes
import fixtures as fx
from harness import Server
from smtp_sink import SmtpSink

LEASE_S = 5
N_MAIL = 12
N_SMS = 12


class PlanyardKilled(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        cls.twilio = fakes.Twilio()
        cls.server = Server(env={
            "PLANYARD_PBKDF2_ITERATIONS": "1000",
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_SMS_URL": cls.twilio.url,
            "PLANYARD_SMS_TOKEN": fakes.Twilio.SID + ":twilio-auth-token",
            "PLANYARD_SMS_FROM": "+15550001111",
            "PLANYARD_SEND_LEASE_S": str(LEASE_S),
        })
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            cls.sink.stop()
            cls.twilio.stop()
            raise
        cls.cron = cls.server.secret("cron_secret")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
            errors = cls.server.sanitizer_errors()
            cls.server.cleanup()
            assert errors == [], errors
        finally:
            cls.sink.stop()
            cls.twilio.stop()

    def workspace(self):
        s = self.server
        slug = "crash-" + uuid.uuid4().hex[:8]
        email = "owner-%s@example.com" % uuid.uuid4().hex[:8]
        r = s.api("POST", "/auth/signup", {"workspace_name": "Crash", "workspace_slug": slug, "name": "O",
                                           "email": email, "password": fx.PASSWORD})
        self.assertEqual(r.status, 202, r)
        token = self.sink.wait_for(to=email, subject="confirm", timeout=20).link_token("confirm")
        self.assertEqual(s.api("POST", "/auth/confirm", {"token": token}).status, 200)
        body = fx.login(s, slug, email)
        return fx.Workspace(s, slug, email, body["access_token"], body)

    def su(self, sql):
        return self.server.psql(sql, user="postgres")

    def cron_call(self):
        return self.server.api("POST", "/internal/cron/reminders", headers={"Authorization": "Bearer " + self.cron})

    def test_kill_9_mid_load(self):
        ws = self.workspace()
        tag = uuid.uuid4().hex[:6]
        at = (datetime.datetime.utcnow() + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        mail_to = ["%s-%d@example.com" % (tag, i) for i in range(N_MAIL)]
        sms_ids = []
        for to in mail_to:
            r = ws.api("POST", "/reminders", {"remind_at": at, "channel": "email", "to": to, "message": "Mail " + to})
            self.assertEqual(r.status, 201, r)
        for i in range(N_SMS):
            r = ws.api("POST", "/reminders", {"remind_at": at, "channel": "sms", "to": "+1555700%04d" % i,
                                              "message": "SMS %d" % i})
            self.assertEqual(r.status, 201, r)
            sms_ids.append(r.json["id"])
        time.sleep(2.2)
        # each accepted message waits a moment for its answer: the kill falls mid-send
        self.sink.delay = 0.25
        self.twilio.delay = 0.25

        acked, lock, stop = [], threading.Lock(), threading.Event()

        def writer(k):
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = ws.api("POST", "/customers", {"name": "crash %d-%d" % (k, i)})
                except OSError:
                    time.sleep(0.05)
                    continue
                if r.status == 201:
                    with lock:
                        acked.append(r.json["id"])

        def cron():
            while not stop.is_set():
                try:
                    if self.cron_call().status == 200 and self.su(
                            "select count(*) from app.reminders where tenant_id = '%s' and status = 'pending'" % ws.id) == "0":
                        return
                except OSError:
                    time.sleep(0.1)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)] + [threading.Thread(target=cron)]
        for t in threads:
            t.start()
        try:
            # the kill: with mail and SMS half through, writes going on
            deadline = time.time() + 60
            while time.time() < deadline and not (
                    self.sink.count(subject="Reminder") >= 3 and len(self.twilio.requests) >= 3 and len(acked) >= 20):
                time.sleep(0.02)
            self.assertLess(time.time(), deadline, "the load did not get going")
            self.server.proc.send_signal(signal.SIGKILL)
            self.server.proc.wait(30)
            self.server.log.close()
            mails_at_kill, sms_at_kill = self.sink.count(subject="Reminder"), len(self.twilio.requests)
            self.assertLess(mails_at_kill, N_MAIL, "the kill came after the outbox had drained")
            self.assertLess(sms_at_kill, N_SMS, "the kill came after the reminders were sent")
            self.server.start()
            t0 = time.time()
            # reminders and outbox resume by themselves (the cron thread keeps calling)
            deadline = time.time() + 60
            while time.time() < deadline:
                left = self.su("select (select count(*) from app.reminders where tenant_id = '{0}' and status <> 'sent')"
                               " + (select count(*) from app.outbox where tenant_id = '{0}' and sent_at is null)".format(ws.id))
                if left == "0":
                    break
                time.sleep(0.2)
            resumed = time.time() - t0
            self.assertEqual(left, "0", "the outbox and the reminders did not resume")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        time.sleep(1)   # anything sent twice would be here by now

        # every acknowledged write is there, and nothing is half-written
        ids = set(self.su("select id from app.customers where tenant_id = '%s'" % ws.id).split())
        self.assertEqual([i for i in acked if i not in ids], [], "acknowledged writes lost")
        unaudited = self.su("select count(*) from app.customers c where c.tenant_id = '{0}' and (select count(*) "
                            "from app.audit_log a where a.tenant_id = '{0}' and a.entity_type = 'customer' "
                            "and a.entity_id = c.id::text and a.action = 'customer.created') <> 1".format(ws.id))
        self.assertEqual(unaudited, "0", "a customer without exactly one audit entry of its creation")
        orphans = self.su("select count(*) from app.audit_log a where a.tenant_id = '{0}' and a.action = "
                          "'customer.created' and not exists (select 1 from app.customers c where c.tenant_id = "
                          "'{0}' and c.id::text = a.entity_id)".format(ws.id))
        self.assertEqual(orphans, "0", "an audit entry of a creation that is not there")
        v = ws.api("GET", "/audit/verify").json
        self.assertTrue(v["ok"], v)

        # mail: one Message-ID per recipient; only the one in flight at the kill may come twice
        for to in mail_to:
            got = self.sink.find(to=to, subject="Reminder")
            self.assertTrue(got, "no reminder reached %s" % to)
            self.assertEqual(len({m.message_id for m in got}), 1, (to, [m.message_id for m in got]))
        extra_mail = sum(len(self.sink.find(to=to, subject="Reminder")) for to in mail_to) - N_MAIL
        self.assertLessEqual(extra_mail, 1, "mail sent twice beyond the one in flight")

        # SMS: one Idempotency-Key per reminder, its id; only the one in flight may come twice
        reqs = [r for r in self.twilio.requests if r["form"].get("To", "").startswith("+1555700")]
        by_key = collections.Counter(r["key"] for r in reqs)
        self.assertEqual(set(by_key), {"r" + i for i in sms_ids})
        self.assertLessEqual(len(reqs) - N_SMS, 1, "SMS sent twice beyond the one in flight: %r" % by_key)
        for rid in sms_ids:
            r = ws.api("GET", "/reminders/" + rid).json
            self.assertEqual(r["status"], "sent", r)
        print("\n  kill -9: %d writes acknowledged, %d mails and %d SMS out at the kill, resumed in %.1f s, "
              "%d mail and %d SMS repeated" % (len(acked), mails_at_kill, sms_at_kill, resumed, extra_mail,
                                               len(reqs) - N_SMS), end=" ")


if __name__ == "__main__":
    unittest.main()
