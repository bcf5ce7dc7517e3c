"""Billing a workspace can start, change and end, over HTTPS against the real database and a
local stand-in of the payment processor speaking Stripe's API (form-encoded requests with a
Bearer secret key, its JSON objects and errors) and signing its webhooks as Stripe does: the
14-day trial clock on a faked time (reminders 3 days and 1 day before, exactly once; the
end suspends), checkout -> webhook -> active, the portal, a failed payment -> past_due ->
canceled -> suspended -> deleted after 30 days, invoices with their receipts, the stored
columns exactly as promised, and who may call each new route."""
import concurrent.futures
import datetime
import json
import re
import subprocess
import time
import unittest
import uuid

import fakes
import fixtures as fx
from harness import BINARY, Server
from smtp_sink import SmtpSink

LINK_RE = re.compile(r"^https://localhost:(\d+)/impersonate#token=([A-Za-z0-9_-]{43})\n$")
ROUTES = [("GET", "/billing"), ("POST", "/billing/checkout"), ("POST", "/billing/portal"),
          ("GET", "/billing/invoices")]


class BillingCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        cls.stripe = fakes.Stripe()
        cls.server = Server(env={
            "PLANYARD_PBKDF2_ITERATIONS": "1000",
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_STRIPE_SECRET_KEY": fakes.Stripe.KEY,
            "PLANYARD_STRIPE_PRICES": "starter=price_starter_m,pro=price_pro_m",
            "PLANYARD_STRIPE_API_URL": cls.stripe.url,
        }).start()
        cls.cron_secret = cls.server.secret("cron_secret")

    @classmethod
    def tearDownClass(cls):
        try:
            status = cls.server.stop()
            errors = cls.server.sanitizer_errors()
            log = cls.server.read_log()
            cls.server.cleanup()
            assert errors == [], errors
            assert status == 0, status
            # the processor's secret key never reaches the log
            assert fakes.Stripe.KEY not in log, "the secret key was logged"
        finally:
            cls.sink.stop()
            cls.stripe.stop()

    # ---- a workspace, its members, the clock, the processor ----
    def workspace(self):
        s = self.server
        slug = "bill-" + uuid.uuid4().hex[:8]
        email = "owner-%s@example.com" % uuid.uuid4().hex[:8]
        r = s.api("POST", "/auth/signup", {"workspace_name": "Bill " + slug[-4:], "workspace_slug": slug,
                                           "name": "O", "email": email, "password": fx.PASSWORD})
        self.assertEqual(r.status, 202, r)
        token = self.sink.wait_for(to=email, subject="confirm", timeout=20).link_token("confirm")
        self.assertEqual(s.api("POST", "/auth/confirm", {"token": token}).status, 200)
        return self.signin(slug, email)

    def signin(self, slug, email):
        body = fx.login(self.server, slug, email)
        return fx.Workspace(self.server, slug, email, body["access_token"], body)

    def member(self, ws, role):
        other = self.workspace()
        self.owner_sql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', '%s')"
                       % (ws.id, other.user_id, role))
        return self.signin(ws.slug, other.email)

    def owner_sql(self, sql):
        return self.server.psql(sql, user="planyard_owner")

    def set_trial_end(self, ws, interval):
        """The faked clock: the trial's end moved to now() + interval."""
        self.owner_sql("update app.tenants set trial_ends_at = now() + interval '%s' where id = '%s'" % (interval, ws.id))

    def cron(self, job="reminders"):
        r = self.server.api("POST", "/internal/cron/" + job, headers={"Authorization": "Bearer " + self.cron_secret})
        self.assertEqual(r.status, 200, r)
        return r.json

    def post(self, event):
        payload = json.dumps(event).encode()
        sig = fakes.stripe_signature(self.server.secret("stripe_webhook_secret"), payload)
        r = self.server.api("POST", "/billing/webhook", raw=payload,
                            headers={"Stripe-Signature": sig, "Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        return r.json

    def subscribe(self, ws, plan="pro"):
        """Checkout as the payer would go through it; returns (customer id, subscription object)."""
        r = ws.api("POST", "/billing/checkout", {"plan": plan})
        self.assertEqual(r.status, 200, r)
        sid = r.json["url"].rsplit("/", 1)[1]
        completed, sub = self.stripe.complete(sid)
        self.assertEqual(self.post(completed)["result"], "active")
        return completed["data"]["object"]["customer"], sub

    def page(self, query=""):
        return "https://localhost:%d/admin/billing%s" % (self.server.https_port, query)

    def billing(self, ws):
        r = ws.api("GET", "/billing")
        self.assertEqual(r.status, 200, r)
        return r.json

    def status(self, ws):
        return self.owner_sql("select status from app.tenants where id = '%s'" % ws.id)

    def impersonation(self, ws):
        e = self.server.env()
        p = subprocess.run([BINARY, "platform", "impersonate", "--workspace", ws.slug, "--user", ws.email,
                            "--staff", "Sam Support", "--reason", "billing question"],
                           env=e, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        token = LINK_RE.match(p.stdout).group(2)
        r = self.server.api("POST", "/auth/impersonation/redeem", {"token": token})
        self.assertEqual(r.status, 200, r)
        return r.json["access_token"]

    def trial_mails(self, ws):
        return [m for m in self.sink.find(to=ws.email) if "trial" in m.subject.lower()]


class TrialTest(BillingCase):
    def test_a_new_workspace_is_on_a_14_day_trial(self):
        ws = self.workspace()
        b = self.billing(ws)
        end = datetime.datetime.strptime(b["trial_ends_at"], "%Y-%m-%dT%H:%M:%SZ")
        self.assertLess(abs((end - datetime.datetime.utcnow() - datetime.timedelta(days=14)).total_seconds()), 120)
        self.assertEqual(b, {"status": "trialing", "plan": None, "card_brand": None, "card_last4": None,
                             "current_period_end": None, "trial_ends_at": b["trial_ends_at"],
                             "portal_available": False, "plans": ["starter", "pro"]})
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "active")

    def test_reminders_once_then_the_end_suspends(self):
        ws, calm = self.workspace(), self.workspace()
        admin = self.member(ws, "admin")
        self.set_trial_end(ws, "2 days 23 hours")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:   # several cron calls at once: one mail
            list(pool.map(lambda _: self.cron(), range(4)))
        m = self.sink.wait_for(to=ws.email, subject="ends in 3 days", timeout=20)
        self.assertIn(ws.slug[-4:], m.body)
        self.assertIn(self.page(), m.body)
        self.cron()
        time.sleep(1.5)
        self.assertEqual(len(self.trial_mails(ws)), 1, self.trial_mails(ws))
        self.assertEqual(self.sink.count(to=admin.email, subject="trial"), 0)   # owners only
        self.assertEqual(self.trial_mails(calm), [])                           # not due: nothing
        self.set_trial_end(ws, "20 hours")
        self.cron()
        self.cron()
        self.sink.wait_for(to=ws.email, subject="ends tomorrow", timeout=20)
        self.assertEqual(ws.api("POST", "/customers", {"name": "Still writable"}).status, 201)
        self.set_trial_end(ws, "-1 minute")
        self.cron()
        self.sink.wait_for(to=ws.email, subject="trial has ended", timeout=20)
        self.cron()
        time.sleep(1.5)
        self.assertEqual([m.subject for m in self.trial_mails(ws)],
                         ["Your Planyard trial ends in 3 days", "Your Planyard trial ends tomorrow",
                          "Your Planyard trial has ended: the workspace is read-only"])
        self.assertEqual(ws.api("GET", "/workspace").json["status"], "suspended")
        self.assertEqual(self.billing(ws)["status"], "trial_ended")
        self.assertEqual(ws.api("GET", "/customers").status, 200)
        r = ws.api("POST", "/customers", {"name": "Refused"})
        self.assertEqual((r.status, r.json["code"]), (403, "workspace_suspended"))
        actions = [a["action"] for a in ws.api("GET", "/audit?limit=200").json["data"]]
        self.assertEqual(actions.count("workspace.trial_reminder_sent"), 2)
        self.assertIn("workspace.suspended", actions)
        self.assertEqual(self.status(calm), "active")
        # deleted 30 days after the end, like a lapsed workspace
        self.assertEqual(self.cron("retention")["deleted"], 0)
        self.owner_sql("update app.tenants set suspended_at = now() - interval '31 days' where id = '%s'" % ws.id)
        self.assertGreaterEqual(self.cron("retention")["deleted"], 1)
        self.assertEqual(self.owner_sql("select count(*) from app.tenants where id = '%s'" % ws.id), "0")

    def test_a_late_clock_sends_only_what_is_still_true(self):
        ws = self.workspace()
        self.set_trial_end(ws, "-2 hours")
        self.cron()
        self.sink.wait_for(to=ws.email, subject="trial has ended", timeout=20)
        time.sleep(1)
        self.assertEqual(len(self.trial_mails(ws)), 1)
        self.assertEqual(self.status(ws), "suspended")

    def test_a_subscribed_workspace_is_neither_reminded_nor_suspended(self):
        ws = self.workspace()
        self.subscribe(ws)
        self.set_trial_end(ws, "1 day")
        self.cron()
        self.set_trial_end(ws, "-1 minute")
        self.cron()
        time.sleep(1.5)
        self.assertEqual(self.trial_mails(ws), [])
        self.assertEqual(self.status(ws), "active")

    def test_the_owner_of_an_ended_trial_can_subscribe_and_is_reactivated(self):
        ws = self.workspace()
        self.set_trial_end(ws, "-1 minute")
        self.cron()
        self.assertEqual(self.status(ws), "suspended")
        r = ws.api("POST", "/billing/checkout", {"plan": "starter"})
        self.assertEqual(r.status, 200, r)
        form = self.stripe.requests[-1]["form"]
        self.assertNotIn("subscription_data[trial_end]", form)   # the trial is spent: charged at once
        completed, _ = self.stripe.complete(r.json["url"].rsplit("/", 1)[1])
        self.assertEqual(self.post(completed)["result"], "active")
        self.assertEqual(ws.api("POST", "/customers", {"name": "Back"}).status, 201)


class CheckoutTest(BillingCase):
    def test_checkout_then_webhook_makes_it_active(self):
        ws = self.workspace()
        n = len(self.stripe.requests)
        r = ws.api("POST", "/billing/checkout", {"plan": "pro"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(r.json), ["url"])
        self.assertTrue(r.json["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_"), r.json)
        self.assertEqual(len(self.stripe.requests), n + 1)
        req = self.stripe.requests[-1]
        self.assertEqual((req["method"], req["path"]), ("POST", "/v1/checkout/sessions"))
        self.assertEqual(req["auth"], "Bearer " + fakes.Stripe.KEY)
        self.assertEqual(req["content_type"], "application/x-www-form-urlencoded")
        f = req["form"]
        trial_end = int(self.owner_sql("select extract(epoch from trial_ends_at)::bigint from app.tenants "
                                       "where id = '%s'" % ws.id))
        self.assertEqual({k: f[k] for k in f if k not in ("success_url", "cancel_url")}, {
            "mode": "subscription", "line_items[0][price]": "price_pro_m", "line_items[0][quantity]": "1",
            "client_reference_id": ws.id, "customer_email": ws.email, "payment_method_collection": "always",
            "subscription_data[trial_end]": str(trial_end), "subscription_data[metadata][workspace_id]": ws.id,
            "subscription_data[metadata][plan]": "pro", "metadata[workspace_id]": ws.id, "metadata[plan]": "pro"})
        self.assertEqual(f["success_url"], self.page("?checkout=done"))
        self.assertEqual(f["cancel_url"], self.page("?checkout=canceled"))
        # nothing has changed until the processor says so
        self.assertEqual(self.billing(ws)["status"], "trialing")
        completed, sub = self.stripe.complete(r.json["url"].rsplit("/", 1)[1])
        self.assertEqual(self.post(completed)["result"], "active")
        b = self.billing(ws)
        self.assertEqual((b["status"], b["plan"], b["portal_available"]), ("active", "pro", True))
        # the subscription's own event: trialing until the trial's end
        self.post(fakes.event("customer.subscription.created", sub))
        b = self.billing(ws)
        self.assertEqual((b["status"], b["plan"], b["card_brand"], b["card_last4"]), ("trialing", "pro", None, None))
        self.assertIsNotNone(b["current_period_end"])
        # the card's own event names only the customer: it is found by it
        self.assertEqual(self.post(self.stripe.payment_method_attached(completed["data"]["object"]["customer"]))["result"],
                         "active")
        b = self.billing(ws)
        self.assertEqual((b["status"], b["card_brand"], b["card_last4"]), ("trialing", "visa", "4242"))
        # a checkout event arriving after the subscription's keeps the subscription's status
        again = fakes.event("checkout.session.completed", completed["data"]["object"])
        self.post(again)
        self.assertEqual(self.billing(ws)["status"], "trialing")
        self.post(fakes.event("customer.subscription.updated", dict(sub, status="active")))
        self.assertEqual(self.billing(ws)["status"], "active")
        # one subscription at a time: a second checkout is refused, the portal changes it
        r = ws.api("POST", "/billing/checkout", {"plan": "starter"})
        self.assertEqual((r.status, r.json["code"]), (409, "already_subscribed"))
        self.assertIn("billing.updated", [a["action"] for a in ws.api("GET", "/audit?limit=200").json["data"]])

    def test_only_the_promised_columns_are_stored(self):
        ws = self.workspace()
        cus, sub = self.subscribe(ws)
        self.post(fakes.event("customer.subscription.updated", dict(sub, status="active")))
        self.post(self.stripe.payment_method_attached(cus))
        row = json.loads(self.owner_sql("select row_to_json(b)::text from app.billing b where tenant_id = '%s'" % ws.id))
        self.assertEqual(sorted(row), ["card_brand", "card_last4", "current_period_end", "customer_id", "plan",
                                       "status", "subscription_id", "tenant_id", "updated_at"])
        self.assertEqual((row["customer_id"], row["card_brand"], row["card_last4"], row["plan"], row["status"]),
                         (cus, "visa", "4242", "pro", "active"))
        # the payer's name, address, card expiry and fingerprint went nowhere
        dump = self.owner_sql("select coalesce(string_agg(row_to_json(e)::text, ''), '') from app.billing_events e") + \
            self.owner_sql("select row_to_json(b)::text from app.billing b where tenant_id = '%s'" % ws.id)
        for secret in ("Pat Payer", "60601", "Xt5EWLLDS7FJjR1c", "2030", "pm_"):
            self.assertNotIn(secret, dump)
        cols = self.owner_sql("select string_agg(column_name, ',' order by column_name) from information_schema.columns "
                              "where table_schema = 'app' and table_name = 'billing_events'")
        self.assertEqual(cols, "event_id,received_at,tenant_id,type")

    def test_a_card_event_of_an_unknown_customer_is_ignored(self):
        ws = self.workspace()
        cus, _ = self.subscribe(ws)
        pm = dict(self.stripe.payment_methods[cus], customer="cus_someone_else")
        self.assertEqual(self.post(fakes.event("payment_method.attached", pm))["result"], "ignored")
        charge = {"id": "ch_1", "object": "charge", "customer": cus, "invoice": "in_1", "metadata": {},
                  "payment_method_details": {"type": "card", "card": {"brand": "mastercard", "last4": "4444"}}}
        self.post(fakes.event("charge.succeeded", charge))
        b = self.billing(ws)
        self.assertEqual((b["card_brand"], b["card_last4"]), ("mastercard", "4444"))

    def test_plans_and_bad_input(self):
        ws = self.workspace()
        r = ws.api("POST", "/billing/checkout", {"plan": "gold"})
        self.assertEqual((r.status, r.json["code"], r.json["errors"][0]["field"]), (400, "unknown_plan", "plan"))
        self.assertEqual(ws.api("POST", "/billing/checkout", {"plan": 5}).status, 400)
        self.assertEqual(ws.api("POST", "/billing/checkout", {"plan": "pro", "card": "4242"}).status, 400)
        r = ws.api("POST", "/billing/checkout")          # no body: the first plan of the table
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.stripe.requests[-1]["form"]["line_items[0][price]"], "price_starter_m")
        self.assertEqual(ws.api("POST", "/billing/portal", {"x": 1}).status, 400)

    def test_a_trial_under_48_hours_from_its_end_is_not_passed_on(self):
        ws = self.workspace()
        self.set_trial_end(ws, "1 day")
        r = ws.api("POST", "/billing/checkout", {"plan": "pro"})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("subscription_data[trial_end]", self.stripe.requests[-1]["form"])

    def test_a_known_customer_is_reused(self):
        ws = self.workspace()
        cus, sub = self.subscribe(ws)
        self.set_trial_end(ws, "-1 minute")
        self.post(fakes.event("customer.subscription.deleted", dict(sub, status="canceled")))
        self.assertEqual(self.status(ws), "suspended")
        r = ws.api("POST", "/billing/checkout", {"plan": "pro"})
        self.assertEqual(r.status, 200, r)
        f = self.stripe.requests[-1]["form"]
        self.assertEqual(f["customer"], cus)
        self.assertNotIn("customer_email", f)

    def test_the_processor_down_or_refusing_is_503(self):
        ws = self.workspace()
        self.stripe.down = True
        try:
            r = ws.api("POST", "/billing/checkout", {"plan": "pro"})
            self.assertEqual((r.status, r.json["code"]), (503, "billing_unavailable"))
        finally:
            self.stripe.down = False
        self.stripe.key = "sk_test_rotated"
        try:
            r = ws.api("POST", "/billing/checkout", {"plan": "pro"})
            self.assertEqual((r.status, r.json["code"]), (503, "billing_unavailable"))
        finally:
            self.stripe.key = fakes.Stripe.KEY
        self.assertEqual(self.billing(ws)["status"], "trialing")


class PortalInvoicesTest(BillingCase):
    def test_portal_url(self):
        ws = self.workspace()
        r = ws.api("POST", "/billing/portal")
        self.assertEqual((r.status, r.json["code"]), (409, "no_customer"))
        cus, _ = self.subscribe(ws)
        r = ws.api("POST", "/billing/portal")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["url"].startswith("https://billing.stripe.com/p/session/"), r.json)
        req = self.stripe.requests[-1]
        self.assertEqual((req["method"], req["path"], req["auth"]),
                         ("POST", "/v1/billing_portal/sessions", "Bearer " + fakes.Stripe.KEY))
        self.assertEqual(req["form"], {"customer": cus, "return_url": self.page()})

    def test_invoices_listed_with_receipts(self):
        ws = self.workspace()
        r = ws.api("GET", "/billing/invoices")
        self.assertEqual((r.status, r.json), (200, {"data": [], "next_cursor": None}))
        cus, _ = self.subscribe(ws)
        made = [self.stripe.invoice(cus, "A1B2C3-%04d" % i) for i in range(3)]
        self.stripe.invoice(cus, "A1B2C3-0099", status="open")
        r = ws.api("GET", "/billing/invoices")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["data"]), 4)
        self.assertIsNone(r.json["next_cursor"])
        first = r.json["data"][0]
        self.assertEqual(first, {
            "id": made[0]["id"], "number": "A1B2C3-0000", "status": "paid", "amount_paid": 4900, "amount_due": 4900,
            "currency": "usd",
            "created": datetime.datetime.utcfromtimestamp(made[0]["created"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/A1B2C3-0000",
            "invoice_pdf": "https://pay.stripe.com/invoice/acct_test/A1B2C3-0000/pdf"})
        self.assertEqual(r.json["data"][3]["status"], "open")
        req = self.stripe.requests[-1]
        self.assertEqual((req["method"], req["path"], req["query"]), ("GET", "/v1/invoices", {"customer": cus, "limit": "50"}))
        # pages
        p1 = ws.api("GET", "/billing/invoices?limit=3").json
        self.assertEqual([i["number"] for i in p1["data"]], ["A1B2C3-0000", "A1B2C3-0001", "A1B2C3-0002"])
        self.assertEqual(p1["next_cursor"], made[2]["id"])
        p2 = ws.api("GET", "/billing/invoices?limit=3&cursor=" + p1["next_cursor"]).json
        self.assertEqual(([i["number"] for i in p2["data"]], p2["next_cursor"]), (["A1B2C3-0099"], None))
        self.assertEqual(self.stripe.requests[-1]["query"]["starting_after"], made[2]["id"])
        for bad in ("limit=0", "limit=201", "limit=x", "cursor=in_1%2F..", "cursor=a%26customer%3Dcus_other"):
            r = ws.api("GET", "/billing/invoices?" + bad)
            self.assertEqual(r.status, 400, (bad, r))
        # receipts are fetched, not kept
        self.assertEqual(self.owner_sql("select count(*) from app.billing b where b::text like '%%A1B2C3%%'"), "0")

    def test_a_failed_payment_runs_to_deletion(self):
        ws = self.workspace()
        cus, sub = self.subscribe(ws)
        self.set_trial_end(ws, "-1 minute")
        self.cron()
        self.assertEqual(self.status(ws), "active")
        failed = {"id": "in_fail1", "object": "invoice", "customer": cus, "subscription": sub["id"],
                  "status": "open", "attempt_count": 1, "metadata": {},
                  "subscription_details": {"metadata": {"workspace_id": ws.id}}}
        self.assertEqual(self.post(fakes.event("invoice.payment_failed", failed))["result"], "active")
        self.assertEqual(self.billing(ws)["status"], "past_due")
        self.assertEqual(ws.api("POST", "/customers", {"name": "Past due, still writable"}).status, 201)
        self.post(fakes.event("customer.subscription.updated", dict(sub, status="past_due")))
        self.assertEqual(self.post(fakes.event("customer.subscription.deleted", dict(sub, status="canceled")))["result"],
                         "suspended")
        self.assertEqual(self.billing(ws)["status"], "canceled")
        r = ws.api("POST", "/customers", {"name": "Refused"})
        self.assertEqual((r.status, r.json["code"]), (403, "workspace_suspended"))
        self.assertEqual(ws.api("GET", "/billing/invoices").status, 200)   # receipts stay readable
        self.owner_sql("update app.tenants set suspended_at = now() - interval '29 days' where id = '%s'" % ws.id)
        self.cron("retention")
        self.assertEqual(self.status(ws), "suspended")
        self.owner_sql("update app.tenants set suspended_at = now() - interval '31 days' where id = '%s'" % ws.id)
        self.assertGreaterEqual(self.cron("retention")["deleted"], 1)
        self.assertEqual(self.owner_sql("select count(*) from app.billing where tenant_id = '%s'" % ws.id), "0")

    def test_canceled_during_the_trial_keeps_the_trial_days(self):
        ws = self.workspace()
        _, sub = self.subscribe(ws)
        self.post(fakes.event("customer.subscription.deleted", dict(sub, status="canceled")))
        self.assertEqual(self.status(ws), "active")
        self.set_trial_end(ws, "-1 minute")
        self.cron()
        self.assertEqual(self.status(ws), "suspended")


class AccessTest(BillingCase):
    def test_owner_only_every_route(self):
        a, b = self.workspace(), self.workspace()
        cus_a, _ = self.subscribe(a)
        self.stripe.invoice(cus_a, "AAAA-0001")
        admin, viewer = self.member(a, "admin"), self.member(a, "viewer")
        imp = self.impersonation(a)
        for method, path in ROUTES:
            body = {"plan": "pro"} if path.endswith("checkout") else None
            for who, token, want in (("admin", admin.token, 403), ("viewer", viewer.token, 403),
                                     ("signed out", None, 401), ("forged", "x.y.z", 401)):
                r = self.server.api(method, path, body, token=token)
                self.assertEqual(r.status, want, (who, method, path, r))
            r = self.server.api(method, path, body, token=imp)
            self.assertEqual((r.status, r.json["code"]), (403, "not_allowed_while_impersonating"), (method, path))
        # another workspace's owner only ever reaches their own account
        n = len(self.stripe.requests)
        self.assertEqual(b.api("GET", "/billing/invoices").json, {"data": [], "next_cursor": None})
        self.assertEqual(b.api("POST", "/billing/portal").json["code"], "no_customer")
        self.assertEqual(len(self.stripe.requests), n)     # nothing asked of the processor for them
        self.assertEqual(self.billing(b)["status"], "trialing")
        r = b.api("POST", "/billing/checkout", {"plan": "starter"})
        self.assertEqual(r.status, 200)
        f = self.stripe.requests[-1]["form"]
        self.assertEqual((f["client_reference_id"], f.get("customer"), f["customer_email"]), (b.id, None, b.email))
        # a workspace id in the body is refused like any unknown field
        self.assertEqual(b.api("POST", "/billing/checkout", {"plan": "pro", "workspace_id": a.id}).status, 400)
        # the database refuses too: the other owner's session reads no billing row of a
        sk = json.loads(__import__("base64").urlsafe_b64decode(b.token.split(".")[1] + "==="))["sk"]
        out = self.server.psql("begin; select 1 from app.request_begin('%s'); "
                               "select count(*) from app.billing where tenant_id = '%s'; "
                               "select customer_id is null from app.billing_account(); commit;" % (sk, a.id))
        self.assertEqual(out.split(), ["1", "0", "t"])


if __name__ == "__main__":
    unittest.main()
