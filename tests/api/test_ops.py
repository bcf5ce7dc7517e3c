"""Jobs and outside services over HTTPS against the real database: reminders sent exactly
once (mail through a real SMTP sink, SMS through a Twilio-form API) even with concurrent cron
calls and failing sends; pour notifications; the payment processor's signed webhook,
suspension and retention; forecasts with cache and timeouts."""
import concurrent.futures
import datetime
import json
import os
import subprocess
import time
import unittest
import uuid

import fakes
import fixtures as fx
from harness import BINARY, Server
from smtp_sink import SmtpSink


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class OpsCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        cls.twilio = fakes.Twilio()
        cls.meteo = fakes.OpenMeteo()
        cls.server = Server(env={
            "PLANYARD_PBKDF2_ITERATIONS": "1000",
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_SMS_URL": cls.twilio.url,
            "PLANYARD_SMS_TOKEN": fakes.Twilio.SID + ":twilio-auth-token",
            "PLANYARD_SMS_FROM": "+15550001111",
            "PLANYARD_FORECAST_URL": cls.meteo.url,
        }).start()
        cls.cron = cls.server.secret("cron_secret")
        cls.ws = cls.workspace()

    @classmethod
    def tearDownClass(cls):
        try:
            status = cls.server.stop()
            errors = cls.server.sanitizer_errors()
            cls.server.cleanup()
            assert errors == [], errors
            assert status == 0, status
        finally:
            cls.sink.stop()
            cls.twilio.stop()
            cls.meteo.stop()

    @classmethod
    def workspace(cls):
        s = cls.server
        slug = "ops-" + uuid.uuid4().hex[:8]
        email = "owner-%s@example.com" % uuid.uuid4().hex[:8]
        r = s.api("POST", "/auth/signup", {"workspace_name": "Ops", "workspace_slug": slug, "name": "O",
                                           "email": email, "password": fx.PASSWORD})
        assert r.status == 202, r
        token = cls.sink.wait_for(to=email, subject="confirm", timeout=20).link_token("confirm")
        assert s.api("POST", "/auth/confirm", {"token": token}).status == 200
        return cls._ws(slug, email)

    @classmethod
    def _ws(cls, slug, email):
        body = fx.login(cls.server, slug, email)
        return fx.Workspace(cls.server, slug, email, body["access_token"], body)

    def cron_call(self, job, secret=None):
        return self.server.api("POST", "/internal/cron/" + job,
                               headers={"Authorization": "Bearer " + (secret or self.cron)})

    def make_pour(self, ws, zip_code="60601", with_crew=True, emails=()):
        c = ws.api("POST", "/customers", {"name": "C " + uuid.uuid4().hex[:4]}).json
        p = ws.api("POST", "/projects", {"name": "P", "customer_id": c["id"], "zip": zip_code}).json
        crew = None
        if with_crew:
            crew = ws.api("POST", "/crews", {"name": "Crew"}).json
            ids = [ws.api("POST", "/employees", {"name": "Emp %d" % i, "email": e}).json["id"]
                   for i, e in enumerate(emails)]
            ws.api("PUT", "/crews/%s/members" % crew["id"], {"employee_ids": ids})
        body = {"project_id": p["id"], "scheduled_date": "2026-12-01", "volume_cy": "40.00", "mix": "4000 psi",
                "start_time": "07:00"}
        if crew:
            body["crew_id"] = crew["id"]
        r = ws.api("POST", "/pours", body)
        self.assertEqual(r.status, 201, r)
        return r.json


class RemindersTest(OpsCase):
    def due_reminders(self, n_mail, n_sms, sms_to="+15557654321", tag="rem"):
        at = iso(datetime.datetime.utcnow() + datetime.timedelta(seconds=2))
        ids = []
        for i in range(n_mail):
            r = self.ws.api("POST", "/reminders", {"remind_at": at, "channel": "email",
                                                   "to": "%s-%d@example.com" % (tag, i), "message": "Mail reminder %d" % i})
            self.assertEqual(r.status, 201, r)
            ids.append(r.json["id"])
        for i in range(n_sms):
            r = self.ws.api("POST", "/reminders", {"remind_at": at, "channel": "sms", "to": sms_to,
                                                   "message": "SMS reminder %d" % i})
            self.assertEqual(r.status, 201, r)
            ids.append(r.json["id"])
        time.sleep(2.5)
        return ids

    def test_cron_needs_the_secret(self):
        self.assertEqual(self.server.api("POST", "/internal/cron/reminders").status, 401)
        self.assertEqual(self.cron_call("reminders", secret="x" * 43).status, 401)
        self.assertEqual(self.cron_call("retention", secret=self.cron[:-1]).status, 401)

    def test_sent_exactly_once_under_concurrent_cron_calls(self):
        twilio_before = len(self.twilio.requests)
        ids = self.due_reminders(5, 2, tag="once")
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: self.cron_call("reminders"), range(6)))
        self.assertTrue(all(r.status == 200 for r in results), results)
        self.assertEqual(sum(r.json["sent"] for r in results), 7)
        self.assertEqual(sum(r.json["failed"] for r in results), 0)
        for i in range(5):
            self.sink.wait_for(to="once-%d@example.com" % i, subject="Reminder", timeout=20)
        time.sleep(1.5)   # anything sent twice would have arrived by now
        for i in range(5):
            self.assertEqual(self.sink.count(to="once-%d@example.com" % i, subject="Reminder"), 1)
        sms = self.twilio.requests[twilio_before:]
        self.assertEqual(len(sms), 2)
        for rq in sms:
            self.assertEqual(rq["form"]["To"], "+15557654321")
            self.assertEqual(rq["form"]["From"], "+15550001111")
            self.assertTrue(rq["form"]["Body"].startswith("SMS reminder"))
            self.assertEqual(rq["auth"], fakes.Twilio.SID + ":twilio-auth-token")
            self.assertIn("application/x-www-form-urlencoded", rq["content_type"])
        for rid in ids:
            r = self.ws.api("GET", "/reminders/" + rid).json
            self.assertEqual(r["status"], "sent")
            self.assertEqual(r["attempts"], 1)
            self.assertIsNotNone(r["sent_at"])
        # nothing left to send
        self.assertEqual(self.cron_call("reminders").json, {"sent": 0, "failed": 0})

    def test_failed_send_is_retried_then_failed(self):
        self.twilio.fail_numbers.add("+15550009999")
        try:
            ids = self.due_reminders(0, 1, sms_to="+15550009999")
            r = self.cron_call("reminders").json
            self.assertEqual(r, {"sent": 0, "failed": 0})
            rem = self.ws.api("GET", "/reminders/" + ids[0]).json
            self.assertEqual((rem["status"], rem["attempts"]), ("pending", 1))
            self.cron_call("reminders")
            r = self.cron_call("reminders").json
            self.assertEqual(r["failed"], 1)
            rem = self.ws.api("GET", "/reminders/" + ids[0]).json
            self.assertEqual((rem["status"], rem["attempts"]), ("failed", 3))
            self.assertEqual(self.cron_call("reminders").json["failed"], 0)
        finally:
            self.twilio.fail_numbers.clear()

    def test_jobs_command(self):
        self.due_reminders(1, 0, tag="job")
        env = dict(self.server.env())
        r = subprocess.run([BINARY, "jobs", "reminders"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"sent": 1, "failed": 0})
        self.sink.wait_for(to="job-0@example.com", subject="Reminder", timeout=20)


class NotifyTest(OpsCase):
    def test_notify_mails_the_crew(self):
        a, b = "crew-a-%s@example.com" % uuid.uuid4().hex[:6], "crew-b-%s@example.com" % uuid.uuid4().hex[:6]
        pour = self.make_pour(self.ws, emails=(a, b))
        r = self.ws.api("POST", "/pours/%s/notify" % pour["id"])
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json["recipients"], 2)
        for to in (a, b):
            m = self.sink.wait_for(to=to, subject="Pour on 2026-12-01", timeout=20)
            self.assertIn("40.00 cy of 4000 psi", m.body)
        audit = self.ws.api("GET", "/audit?action=pour.notified").json["data"]
        self.assertEqual(audit[0]["entity_id"], pour["id"])
        self.assertEqual(self.ws.api("POST", "/pours/%s/notify" % uuid.uuid4()).status, 404)


class BillingTest(OpsCase):
    def event(self, typ, obj, ev_id=None):
        return {"id": ev_id or "evt_" + uuid.uuid4().hex, "object": "event", "type": typ,
                "created": int(time.time()), "data": {"object": obj}}

    def post(self, event, secret=None, t=None, extra=(), raw=None):
        payload = raw if raw is not None else json.dumps(event).encode()
        sig = fakes.stripe_signature(secret or self.server.secret("stripe_webhook_secret"), payload, t, extra)
        return self.server.api("POST", "/billing/webhook", raw=payload,
                               headers={"Stripe-Signature": sig, "Content-Type": "application/json"})

    def subscription(self, ws, status, **extra):
        obj = {"id": "sub_123", "object": "subscription", "customer": "cus_ABC", "status": status,
               "metadata": {"workspace_id": ws.id}, "current_period_end": 1798761600,
               "plan": {"id": "price_pro", "nickname": "pro"},
               "default_payment_method": {"id": "pm_1", "card": {"brand": "visa", "last4": "4242",
                                                                "exp_month": 1, "exp_year": 2030}}}
        obj.update(extra)
        return obj

    def end_trial(self, ws):
        """The workspace's trial over (the clock faked): a lapse now suspends it at once."""
        self.server.psql("update app.tenants set trial_ends_at = now() - interval '1 minute' where id = '%s'" % ws.id,
                         user="planyard_owner")

    def test_signature_is_checked(self):
        ws = self.workspace()
        ev = self.event("customer.subscription.deleted", self.subscription(ws, "canceled"))
        self.assertEqual(self.post(ev, secret="whsec_wrong").status, 400)
        self.assertEqual(self.post(ev, t=int(time.time()) - 301).status, 400)
        payload = json.dumps(ev).encode()
        sig = fakes.stripe_signature(self.server.secret("stripe_webhook_secret"), payload)
        r = self.server.api("POST", "/billing/webhook", raw=payload + b" ",
                            headers={"Stripe-Signature": sig, "Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.server.api("POST", "/billing/webhook", raw=payload,
                                         headers={"Content-Type": "application/json"}).status, 400)
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "active")   # nothing changed

    def test_lapse_suspends_and_payment_reactivates(self):
        ws = self.workspace()
        self.end_trial(ws)
        r = self.post(self.event("customer.subscription.updated", self.subscription(ws, "active")),
                      extra=("0" * 64,))   # several v1 values: one right is enough
        self.assertEqual(r.status, 200, r)
        b = ws.api("GET", "/billing").json
        self.assertEqual({k: b[k] for k in ("status", "plan", "card_brand", "card_last4", "current_period_end")},
                         {"status": "active", "plan": "pro", "card_brand": "visa", "card_last4": "4242",
                          "current_period_end": "2027-01-01T00:00:00Z"})
        self.assertEqual(b["plans"], [])   # no processor key on this server: nothing to choose
        deleted = self.event("customer.subscription.deleted", self.subscription(ws, "canceled"))
        self.assertEqual(self.post(deleted).status, 200)
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "suspended")
        self.assertEqual(ws.api("GET", "/customers").status, 200)
        r = ws.api("POST", "/customers", {"name": "Nope"})
        self.assertEqual((r.status, r.json["code"]), (403, "workspace_suspended"))
        # the database refuses too: a write with the live session's key affects nothing
        sk = json.loads(__import__("base64").urlsafe_b64decode(ws.token.split(".")[1] + "==="))["sk"]
        out = self.server.psql("begin; select 1 from app.request_begin('%s'); "
                               "insert into app.customers (tenant_id, name) values (app.current_tenant(), 'x'); "
                               "commit;" % sk, check=False)
        self.assertIn("row-level security", out)
        self.post(self.event("invoice.paid", {"id": "in_1", "object": "invoice", "customer": "cus_ABC",
                                              "subscription": "sub_123", "metadata": {"workspace_id": ws.id}}))
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "active")
        # a replayed event changes nothing twice
        r = self.post(deleted)
        self.assertEqual((r.status, r.json["result"]), (200, "duplicate"))
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "active")
        actions = [a["action"] for a in ws.api("GET", "/audit?limit=200").json["data"]]
        self.assertIn("workspace.suspended", actions)
        self.assertIn("workspace.reactivated", actions)

    def test_checkout_then_failed_payment_keeps_the_workspace(self):
        ws = self.workspace()
        self.end_trial(ws)
        checkout = {"id": "cs_1", "object": "checkout.session", "client_reference_id": ws.id, "customer": "cus_NEW",
                    "subscription": "sub_NEW", "mode": "subscription", "payment_status": "paid",
                    "metadata": {"plan": "starter"}}
        self.assertEqual(self.post(self.event("checkout.session.completed", checkout)).status, 200)
        b = ws.api("GET", "/billing").json
        self.assertEqual((b["status"], b["plan"]), ("active", "starter"))
        failed = {"id": "in_2", "object": "invoice", "customer": "cus_NEW", "subscription": "sub_NEW",
                  "metadata": {"workspace_id": ws.id}}
        self.assertEqual(self.post(self.event("invoice.payment_failed", failed)).status, 200)
        self.assertEqual(ws.api("GET", "/billing").json["status"], "past_due")
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "active")   # past_due keeps it active
        self.assertEqual(ws.api("POST", "/customers", {"name": "Still writable"}).status, 201)
        # unpaid lapses it
        self.post(self.event("customer.subscription.updated", self.subscription(ws, "unpaid")))
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "suspended")
        # only what API.md allows is kept: no card number, no address, no name
        row = self.server.psql("select row_to_json(b)::text from app.billing b where tenant_id = '%s'" % ws.id,
                               user="planyard_owner")
        self.assertEqual(sorted(json.loads(row)), ["card_brand", "card_last4", "current_period_end", "customer_id",
                                                   "plan", "status", "subscription_id", "tenant_id", "updated_at"])

    def test_other_events_are_acknowledged(self):
        r = self.post(self.event("customer.created", {"id": "cus_X", "object": "customer"}))
        self.assertEqual((r.status, r.json["result"]), (200, "ignored"))
        r = self.post(self.event("customer.subscription.deleted",
                                 {"id": "sub_9", "status": "canceled", "metadata": {"workspace_id": str(uuid.uuid4())}}))
        self.assertEqual((r.status, r.json["result"]), (200, "ignored"))

    def test_without_a_processor_key_checkout_is_unavailable(self):
        for method, path in (("POST", "/billing/checkout"), ("POST", "/billing/portal"), ("GET", "/billing/invoices")):
            r = self.ws.api(method, path)
            self.assertEqual((r.status, r.json["code"]), (503, "billing_unavailable"), (method, path))
        self.assertEqual(self.ws.api("GET", "/billing").json["status"], "trialing")

    def test_billing_is_for_owners(self):
        other = self.workspace()
        self.server.psql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', 'admin')"
                         % (self.ws.id, other.user_id), user="planyard_owner")
        admin = self._ws(self.ws.slug, other.email)
        self.assertEqual(admin.api("GET", "/billing").status, 403)
        self.assertEqual(self.ws.api("GET", "/billing").status, 200)

    def test_retention_deletes_after_30_days(self):
        ws = self.workspace()
        self.end_trial(ws)
        self.post(self.event("customer.subscription.deleted", self.subscription(ws, "canceled")))
        self.assertEqual(self.cron_call("retention").json, {"deleted": 0})
        self.server.psql("update app.tenants set suspended_at = now() - interval '31 days' where id = '%s'" % ws.id,
                         user="planyard_owner")
        self.assertEqual(self.cron_call("retention").json["deleted"], 1)
        r = self.server.api("POST", "/auth/login", {"workspace": ws.slug, "email": ws.email, "password": fx.PASSWORD})
        self.assertEqual(r.status, 401)
        n = self.server.psql("select count(*) from app.users where email = '%s'" % ws.email, user="planyard_owner")
        self.assertEqual(n, "0")


class WeatherTest(OpsCase):
    def test_forecast_cache_and_failures(self):
        pour = self.make_pour(self.ws, zip_code="60614", with_crew=False)
        before = len(self.meteo.requests)
        r = self.ws.api("GET", "/pours/%s/weather" % pour["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["date"], "2026-12-01")
        self.assertEqual(r.json["zip"], "60614")
        self.assertEqual(r.json["temperature_max_c"], 12.3)
        self.assertEqual(r.json["precipitation_probability"], 35)
        sent = self.meteo.requests[before:]
        self.assertEqual([q["path"] for q in sent], ["/v1/search", "/v1/forecast"])
        self.assertEqual(sent[0]["query"]["name"], "60614")
        self.assertEqual((sent[1]["query"]["start_date"], sent[1]["query"]["end_date"]), ("2026-12-01", "2026-12-01"))
        # only the ZIP and the date (and coordinates from the ZIP) leave the system
        leaked = json.dumps(sent)
        for secret in (self.ws.slug, pour["id"], pour["project_id"], self.ws.email):
            self.assertNotIn(secret, leaked)
        # cached per ZIP and day
        self.assertEqual(self.ws.api("GET", "/pours/%s/weather" % pour["id"]).status, 200)
        self.assertEqual(len(self.meteo.requests), before + 2)
        # down, and too slow (3 s timeout)
        other = self.make_pour(self.ws, zip_code="60018", with_crew=False)
        self.meteo.down = True
        try:
            r = self.ws.api("GET", "/pours/%s/weather" % other["id"])
            self.assertEqual((r.status, r.json["code"]), (503, "weather_unavailable"))
        finally:
            self.meteo.down = False
        self.meteo.delay = 5
        try:
            t0 = time.time()
            r = self.ws.api("GET", "/pours/%s/weather" % other["id"])
            self.assertEqual((r.status, r.json["code"]), (503, "weather_unavailable"))
            self.assertLess(time.time() - t0, 4.5)
        finally:
            self.meteo.delay = 0
        self.assertEqual(self.ws.api("GET", "/pours/%s/weather" % uuid.uuid4()).status, 404)


if __name__ == "__main__":
    unittest.main()
