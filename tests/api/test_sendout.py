"""Sending the schedule to the crews, black-box over HTTPS against the real database: the day
sheet of a constructed day read back from a real SMTP sink and from a Twilio-form SMS API
(GSM-7, at most two segments), each person's channel, sending again only what changed, the
automatic send-out exactly once with two servers calling cron at the same time, and the
read-only crew link: what it shows, that nothing else of the workspace (or another one) is
reachable with it, and that a revoked, rotated or expired link is refused."""
import concurrent.futures
import datetime
import os
import re
import subprocess
import time
import unittest
import uuid

import fakes
import fixtures as fx
import opdata
from harness import ROOT, Server
from smtp_sink import SmtpSink

GSM7_BASIC = set("@$\n\r _!\"#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def later(days):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


class SendoutCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink().start()
        cls.twilio = fakes.Twilio()
        cls.env = {
            "PLANYARD_PBKDF2_ITERATIONS": "1000",
            "PLANYARD_SMTP_URL": cls.sink.url,
            "PLANYARD_SMS_URL": cls.twilio.url,
            "PLANYARD_SMS_TOKEN": fakes.Twilio.SID + ":twilio-auth-token",
            "PLANYARD_SMS_FROM": "+15550001111",
        }
        cls.server = Server(env=cls.env).start()
        cls.cron = cls.server.secret("cron_secret")

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

    def workspace(self):
        s = self.server
        slug = "send-" + uuid.uuid4().hex[:8]
        email = "owner-%s@example.com" % uuid.uuid4().hex[:8]
        r = s.api("POST", "/auth/signup", {"workspace_name": "Stone & Sons", "workspace_slug": slug, "name": "O",
                                           "email": email, "password": fx.PASSWORD})
        self.assertEqual(r.status, 202, r)
        token = self.sink.wait_for(to=email, subject="confirm", timeout=20).link_token("confirm")
        self.assertEqual(s.api("POST", "/auth/confirm", {"token": token}).status, 200)
        body = fx.login(s, slug, email)
        return fx.Workspace(s, slug, email, body["access_token"], body)

    def member(self, ws, role):
        """A user of another workspace made a member of ws with role, signed in to ws."""
        other = self.workspace()
        self.server.psql("insert into app.memberships (tenant_id, user_id, role) values ('%s', '%s', '%s')"
                         % (ws.id, other.user_id, role), user="planyard_owner")
        body = fx.login(self.server, ws.slug, other.email)
        return fx.Workspace(self.server, ws.slug, other.email, body["access_token"], body)

    def make(self, ws, coll, body, status=201):
        r = ws.api("POST", "/" + coll, body)
        self.assertEqual(r.status, status, r)
        return r.json

    def day(self, ws, date, tag=None):
        """A constructed day: a pour at 07:00 on a project with an address, with a pump, mix,
        a crew with a foreman, and three people: one by email, one by SMS, one unreachable."""
        tag = tag or uuid.uuid4().hex[:6]
        cust = self.make(ws, "customers", {"name": "Secret Customer " + tag})
        proj = self.make(ws, "projects", {"customer_id": cust["id"], "name": "Café Müller slab",
                                          "address": "12 Oak St, Springfield"})
        foreman = self.make(ws, "employees", {"name": "Bob Boss", "trade": "foreman", "phone": "+15551230000",
                                              "channel": "sms"})
        crew = self.make(ws, "crews", {"name": "Crew A", "foreman_id": foreman["id"]})
        pour = self.make(ws, "pours", {"project_id": proj["id"], "scheduled_date": date, "start_time": "07:00",
                                       "volume_cy": "40.5", "mix": "4000 psi [air]", "pump": True,
                                       "crew_id": crew["id"], "status": "confirmed"})
        mail_to = "ana-%s@example.com" % tag
        ana = self.make(ws, "employees", {"name": "Ana Núñez", "email": mail_to, "channel": "email"})
        sam = self.make(ws, "employees", {"name": "Sam", "phone": "+1 (555) 765-43%02d" % (hash(tag) % 100),
                                          "channel": "sms"})
        nobody = self.make(ws, "employees", {"name": "Nobody", "channel": "both"})
        for e in (foreman, ana, sam, nobody):
            self.make(ws, "assignments", {"employee_id": e["id"], "pour_id": pour["id"], "role": "placer"})
        return {"pour": pour, "project": proj, "customer": cust, "crew": crew, "foreman": foreman, "ana": ana,
                "sam": sam, "nobody": nobody, "mail_to": mail_to,
                "sam_phone": "+1555765" + "43%02d" % (hash(tag) % 100)}

    def sms_to(self, number, since=0):
        return [rq["form"]["Body"] for rq in self.twilio.requests[since:] if rq["form"].get("To") == number]

    def wait_sms(self, number, since=0, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.sms_to(number, since)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError("no SMS to %s; got %r" % (number, self.twilio.requests[since:]))

    def link(self, ws, emp_id, status=201):
        r = ws.api("POST", "/employees/%s/crew-link" % emp_id)
        self.assertEqual(r.status, status, r)
        return r.json

    def open(self, url_or_token):
        token = url_or_token.split("#token=")[-1]
        return self.server.api("POST", "/crew/schedule", {"token": token})

    def cron_call(self, server=None):
        return (server or self.server).api("POST", "/internal/cron/reminders",
                                           headers={"Authorization": "Bearer " + self.cron})


class DaySheets(SendoutCase):
    def test_the_sheet_of_a_constructed_day_by_email_and_sms(self):
        ws = self.workspace()
        date = later(3)
        d = self.day(ws, date)
        since = len(self.twilio.requests)
        r = ws.api("POST", "/schedule/send", {"date": date})
        self.assertEqual(r.status, 200, r)
        queued = {q["employee_id"]: q for q in r.json["queued"]}
        self.assertEqual(set(queued), {d["foreman"]["id"], d["ana"]["id"], d["sam"]["id"]})
        self.assertEqual(queued[d["ana"]["id"]]["channels"], [{"channel": "email", "to": d["mail_to"]}])
        self.assertEqual(queued[d["sam"]["id"]]["channels"], [{"channel": "sms", "to": d["sam_phone"]}])
        self.assertEqual(r.json["unreachable"], [{"employee_id": d["nobody"]["id"], "name": "Nobody",
                                                  "reason": "no_contact"}])
        self.assertEqual(r.json["unchanged"], [])

        mail = self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        when = datetime.date.fromisoformat(date)
        self.assertEqual(mail.subject, "Your schedule for %s, %d %s %d" % (
            when.strftime("%A"), when.day, when.strftime("%B"), when.year))
        body = mail.body
        self.assertIn("Hello Ana Núñez,", body)
        self.assertIn("07:00  Café Müller slab", body)
        self.assertIn("Address:  12 Oak St, Springfield", body)
        self.assertIn("Mix:      4000 psi [air], 40.50 cy", body)
        self.assertIn("Pump:     yes", body)
        self.assertIn("Crew:     Crew A", body)
        self.assertIn("Foreman:  Bob Boss, +15551230000", body)
        self.assertIn("Role:     placer", body)
        self.assertNotIn("Secret Customer", body)
        self.assertIn("text/plain", mail.message.get("Content-Type"))

        sms = self.wait_sms(d["sam_phone"], since)[0]
        self.assertTrue(set(sms) <= GSM7_BASIC, sorted(set(sms) - GSM7_BASIC))
        self.assertLessEqual(len(sms), 306)
        self.assertRegex(sms, r"^\w{3} \d+ \w{3}: 07:00 Cafe Muller slab, 12 Oak St, Springfield\. "
                              r"4000 psi \(air\) 40\.50cy, pump\. Crew Crew A, foreman Bob Boss \+15551230000$")
        self.assertEqual(len(self.wait_sms("+15551230000", since)), 1)

        audit = ws.api("GET", "/audit?action=schedule.sent").json["data"]
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit[0]["entity_id"], date)
        self.assertEqual(audit[0]["changes"]["queued"], [None, 3])
        self.assertEqual(audit[0]["changes"]["unreachable"], [None, 1])

    def test_a_long_day_stays_within_two_segments(self):
        ws = self.workspace()
        date = later(4)
        cust = self.make(ws, "customers", {"name": "C"})
        emp = self.make(ws, "employees", {"name": "Lee", "phone": "+15550009999", "channel": "sms"})
        proj = self.make(ws, "projects", {"customer_id": cust["id"], "name": "Ü" * 150 + " — “tower” {east}",
                                          "address": "Straße " + "x" * 200 + " ☃ 😀"})
        pour = self.make(ws, "pours", {"project_id": proj["id"], "scheduled_date": date, "volume_cy": "1",
                                       "mix": "m~^|\\`"})
        self.make(ws, "assignments", {"employee_id": emp["id"], "pour_id": pour["id"]})
        preview = ws.api("GET", "/schedule/sheets?date=" + date)
        self.assertEqual(preview.status, 200, preview)
        row = preview.json["data"][0]
        self.assertEqual(row["sms"]["segments"], 2)
        since = len(self.twilio.requests)
        self.assertEqual(ws.api("POST", "/schedule/send", {"date": date}).status, 200)
        sms = self.wait_sms("+15550009999", since)[0]
        self.assertEqual(sms, row["sms"]["text"])
        self.assertTrue(set(sms) <= GSM7_BASIC, sorted(set(sms) - GSM7_BASIC))
        self.assertEqual(len(sms), 306)
        self.assertTrue(sms.endswith("..."))
        self.assertIn("time TBD UUUU", sms)
        # 160 septets is one segment, 161 two (153 each), as the preview counts them
        self.assertGreater(len(sms), 160)

    def test_sending_again_sends_only_what_changed(self):
        ws = self.workspace()
        date = later(5)
        d = self.day(ws, date)
        first = ws.api("POST", "/schedule/send", {"date": date})
        self.assertEqual(len(first.json["queued"]), 3)
        self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        again = ws.api("POST", "/schedule/send", {"date": date})
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json["queued"], [])
        self.assertEqual({u["employee_id"] for u in again.json["unchanged"]},
                         {d["foreman"]["id"], d["ana"]["id"], d["sam"]["id"]})
        # the start time changes: everybody's sheet changed
        self.assertEqual(ws.api("PATCH", "/pours/" + d["pour"]["id"], {"start_time": "06:30"}).status, 200)
        third = ws.api("POST", "/schedule/send", {"date": date, "employee_ids": [d["ana"]["id"]]})
        self.assertEqual([q["employee_id"] for q in third.json["queued"]], [d["ana"]["id"]])
        mail = self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20, count=2)
        self.assertIn("06:30  Café Müller slab", mail.body)
        time.sleep(1.0)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Your schedule"), 2)
        # asking for someone with nothing that day (or of another workspace) says so
        other = self.make(ws, "employees", {"name": "Free"})
        r = ws.api("POST", "/schedule/send", {"date": date, "employee_ids": [other["id"], str(uuid.uuid4())]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(r.json["not_assigned"]), sorted([other["id"], r.json["not_assigned"][1]]))
        self.assertEqual(len(r.json["not_assigned"]), 2)

    def test_another_workspace_sees_and_sends_nothing_of_these_people(self):
        ws, other = self.workspace(), self.workspace()
        date = later(9)
        d = self.day(ws, date)
        mine = self.day(other, date)
        preview = other.api("GET", "/schedule/sheets?date=" + date)
        self.assertEqual(preview.status, 200, preview)
        self.assertEqual({x["employee_id"] for x in preview.json["data"]},
                         {mine["foreman"]["id"], mine["ana"]["id"], mine["sam"]["id"], mine["nobody"]["id"]})
        for secret in (d["ana"]["id"], d["mail_to"], d["customer"]["name"], d["sam_phone"]):
            self.assertNotIn(secret, preview.body.decode())
        since = len(self.twilio.requests)
        r = other.api("POST", "/schedule/send", {"date": date, "employee_ids": [d["ana"]["id"], d["sam"]["id"]]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["queued"], [])
        self.assertEqual(sorted(r.json["not_assigned"]), sorted([d["ana"]["id"], d["sam"]["id"]]))
        time.sleep(1.0)
        self.assertEqual(self.sink.count(to=d["mail_to"]), 0)
        self.assertEqual(self.sms_to(d["sam_phone"], since), [])

    def test_channel_field_and_input_checks(self):
        ws = self.workspace()
        e = self.make(ws, "employees", {"name": "X"})
        self.assertEqual(e["channel"], "both")
        r = ws.api("PATCH", "/employees/" + e["id"], {"channel": "sms"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["channel"], "sms")
        r = ws.api("PATCH", "/employees/" + e["id"], {"channel": "pigeon"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["errors"][0]["field"], "channel")
        self.assertEqual(ws.api("GET", "/employees/" + e["id"]).json["channel"], "sms")
        exported = ws.api("GET", "/exports/workspace.json").json
        self.assertIn('"channel": "sms"', __import__("json").dumps(exported))
        for body in ({}, {"date": "2026-02-30"}, {"date": later(1), "employee_ids": ["nope"]},
                     {"date": later(1), "extra": 1}):
            r = ws.api("POST", "/schedule/send", body)
            self.assertEqual(r.status, 400, (body, r))
        self.assertEqual(ws.api("GET", "/schedule/sheets").status, 400)
        viewer = self.member(ws, "viewer")
        self.assertEqual(viewer.api("POST", "/schedule/send", {"date": later(1)}).status, 403)


class ChangeNotices(SendoutCase):
    def test_a_move_and_a_cancel_after_the_sheets_went_out(self):
        ws = self.workspace()
        date = later(6)
        d = self.day(ws, date)
        since = len(self.twilio.requests)
        self.assertEqual(len(ws.api("POST", "/schedule/send", {"date": date}).json["queued"]), 3)
        self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        self.wait_sms(d["sam_phone"], since)
        # a change that is no move: nobody hears of it
        self.assertEqual(ws.api("PATCH", "/pours/" + d["pour"]["id"], {"notes": "bring boots"}).status, 200)
        # moved to another day: each person hears of it once, by their channel
        r = ws.api("PATCH", "/pours/" + d["pour"]["id"], {"scheduled_date": later(7)})
        self.assertEqual(r.status, 200, r)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        new = datetime.date.fromisoformat(later(7))
        self.assertRegex(mail.body, r"Schedule change: Cafe Muller slab moved from \w{3} \d+ \w{3} to "
                                    r"%s %d %s, start 07:00\." % (new.strftime("%a"), new.day, new.strftime("%b")))
        sms = self.wait_sms(d["sam_phone"], since, count=2)
        self.assertTrue(sms[1].startswith("Schedule change: Cafe Muller slab moved from"), sms)
        self.assertTrue(set(sms[1]) <= GSM7_BASIC)
        audit = ws.api("GET", "/audit?action=pour.change_notice&entity_id=" + d["pour"]["id"]).json["data"]
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit[0]["changes"]["messages"], [None, 3])
        # their sheets for the new day have not gone out: canceling now tells nobody
        r = ws.api("POST", "/pours/%s/cancel" % d["pour"]["id"], {"reason": "rain"})
        self.assertEqual(r.status, 200, r)
        time.sleep(1.0)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 1)

    def test_a_cancel_after_the_sheets_went_out(self):
        ws = self.workspace()
        date = later(8)
        d = self.day(ws, date)
        since = len(self.twilio.requests)
        ws.api("POST", "/schedule/send", {"date": date, "employee_ids": [d["ana"]["id"], d["sam"]["id"]]})
        self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        r = ws.api("PATCH", "/pours/" + d["pour"]["id"], {"status": "canceled"})
        self.assertEqual(r.status, 200, r)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        self.assertIn("Cafe Muller slab on", mail.body)
        self.assertIn("is canceled. You are released from it.", mail.body)
        sms = self.wait_sms(d["sam_phone"], since, count=2)
        self.assertIn("is canceled", sms[1])
        time.sleep(1.0)
        # the foreman's sheet never went out: no notice
        self.assertEqual(len(self.sms_to("+15551230000", since)), 0)


class ChangeNoticesFromTheDatabase(SendoutCase):
    """The database itself records who is owed a notice (triggers on pours and assignments),
    so a change made in SQL or by a job is told too: by the cron (or `planyard jobs`), once."""

    def owed(self, ws):
        return int(self.server.psql("select count(*) from app.sheet_notices where tenant_id = '%s'" % ws.id,
                                    user="postgres"))

    def sent_day(self, ws, date):
        d = self.day(ws, date)
        since = len(self.twilio.requests)
        self.assertEqual(len(ws.api("POST", "/schedule/send", {"date": date}).json["queued"]), 3)
        self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        self.wait_sms(d["sam_phone"], since)
        self.wait_sms("+15551230000", since)
        return d, len(self.twilio.requests)

    def notices(self, ws, pour_id):
        return ws.api("GET", "/audit?action=pour.change_notice&entity_id=" + pour_id).json["data"]

    def test_a_move_made_in_sql_by_the_owner_role_is_told_by_the_cron_once(self):
        ws = self.workspace()
        date = later(9)
        d, since = self.sent_day(ws, date)
        # the schema owner, as a maintenance script would, in the workspace's scope
        self.server.psql("set app.definer_tenant = '%s'; update app.pours set scheduled_date = '%s', "
                         "start_time = '06:30' where id = '%s'" % (ws.id, later(10), d["pour"]["id"]),
                         user="planyard_owner")
        self.assertEqual(self.owed(ws), 3)       # foreman, Ana, Sam: their sheets went out
        time.sleep(1.0)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 0)
        # two cron calls at once: each person is told once
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: self.cron_call(), range(2)))
        self.assertTrue(all(r.status == 200 for r in results), results)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        new = datetime.date.fromisoformat(later(10))
        self.assertIn("Cafe Muller slab moved from", mail.body)
        self.assertIn("to %s %d %s, start 06:30." % (new.strftime("%a"), new.day, new.strftime("%b")), mail.body)
        self.assertTrue(self.wait_sms(d["sam_phone"], since)[0].startswith("Schedule change: Cafe Muller slab moved"))
        self.wait_sms("+15551230000", since)
        self.assertEqual(self.cron_call().status, 200)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 1)
        self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 1)
        self.assertEqual(len(self.sms_to("+15551230000", since)), 1)
        self.assertEqual(self.owed(ws), 0)
        audit = self.notices(ws, d["pour"]["id"])
        self.assertEqual(len(audit), 1, audit)
        self.assertEqual(audit[0]["actor"]["kind"], "system")
        self.assertEqual(audit[0]["changes"]["messages"], [None, 3])
        self.assertEqual(audit[0]["changes"]["kind"], [None, "moved"])

    def test_the_cron_leaves_a_workspace_to_its_writer_and_tells_the_change_after(self):
        ws = self.workspace()
        date = later(13)
        d, since = self.sent_day(ws, date)
        self.server.psql("set app.definer_tenant = '%s'; update app.pours set start_time = '05:45' where id = '%s'"
                         % (ws.id, d["pour"]["id"]), user="planyard_owner")
        self.assertEqual(self.owed(ws), 3)
        # a request of the workspace changing its schedule, still open: it holds the writer lock
        key = opdata.session_key(ws.token)
        writer = subprocess.Popen(["psql", "-X", "-q", "-h", self.server.pg_dir, "-U", "planyard_app", "-d", "planyard",
                                   "-c", "begin; select count(*) from app.request_begin('%s'); select app.schedule_lock(); "
                                   "select pg_sleep(4); commit;" % key],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 10
            while time.time() < deadline and self.server.psql(
                    "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                    "where l.locktype = 'advisory' and l.granted and a.usename = 'planyard_app'", user="postgres") == "0":
                time.sleep(0.05)
            # the cron neither waits for the writer nor takes a part of the workspace's notices
            t0 = time.time()
            self.assertEqual(self.cron_call().status, 200)
            self.assertLess(time.time() - t0, 3.0)
            self.assertIsNone(writer.poll(), "the writer ended before the cron was called")
            self.assertEqual(self.owed(ws), 3)
        finally:
            _, err = writer.communicate(timeout=20)
        self.assertEqual(writer.returncode, 0, err)
        self.assertEqual(self.cron_call().status, 200)
        self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        self.assertTrue(self.wait_sms(d["sam_phone"], since)[0].startswith("Schedule change: Cafe Muller slab"))
        self.wait_sms("+15551230000", since)
        self.assertEqual(self.owed(ws), 0)
        audit = self.notices(ws, d["pour"]["id"])
        self.assertEqual([(a["changes"]["kind"], a["changes"]["messages"]) for a in audit], [([None, "moved"], [None, 3])])

    def test_a_cancel_made_in_sql_with_a_session_is_one_notice_per_person(self):
        ws = self.workspace()
        date = later(11)
        d, since = self.sent_day(ws, date)
        # the request role with the owner's live session, straight in SQL (no request to drain)
        key = opdata.session_key(ws.token)
        self.server.psql("select count(*) from app.request_begin('%s'); update app.pours set status = 'canceled' "
                         "where id = '%s'" % (key, d["pour"]["id"]))
        # the cancel released the four people (removals) and canceled the pour: one row each
        self.assertEqual(self.owed(ws), 3)
        self.assertEqual(self.cron_call().status, 200)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        self.assertIn("is canceled. You are released from it.", mail.body)
        self.assertIn("is canceled", self.wait_sms(d["sam_phone"], since)[0])
        self.assertEqual(self.cron_call().status, 200)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 1)
        self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 1)
        self.assertEqual(self.owed(ws), 0)
        self.assertEqual([a["changes"]["kind"] for a in self.notices(ws, d["pour"]["id"])], [[None, "canceled"]])

    def test_a_person_taken_off_a_pour_through_the_api_is_told_at_once(self):
        ws = self.workspace()
        date = later(12)
        d, since = self.sent_day(ws, date)
        other = self.make(ws, "pours", {"project_id": d["project"]["id"], "scheduled_date": date,
                                        "volume_cy": "3", "mix": "3000 psi"})
        rows = ws.api("GET", "/assignments?pour_id=" + d["pour"]["id"]).json["data"]
        of = {a["employee_id"]: a["id"] for a in rows}
        # Ana's assignment deleted, Sam's moved to another pour: each hears they are off it,
        # from the request itself (no cron call)
        self.assertEqual(ws.api("DELETE", "/assignments/" + of[d["ana"]["id"]]).status, 204)
        r = ws.api("PATCH", "/assignments/" + of[d["sam"]["id"]], {"pour_id": other["id"]})
        self.assertEqual(r.status, 200, r)
        # a change of the role only is no change of where to be
        r = ws.api("PATCH", "/assignments/" + of[d["foreman"]["id"]], {"role": "lead"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.owed(ws), 0)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        self.assertIn("you are no longer on it", mail.body)
        self.assertIn("Hello Ana", mail.body)
        sms = self.wait_sms(d["sam_phone"], since)
        self.assertIn("you are no longer on it", sms[0])
        self.assertTrue(set(sms[0]) <= GSM7_BASIC)
        time.sleep(1.5)
        self.assertEqual(self.sms_to("+15551230000", since), [])
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 1)
        self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 1)
        self.assertEqual([a["changes"]["kind"] for a in self.notices(ws, d["pour"]["id"])],
                         [[None, "removed"], [None, "removed"]])

    def test_deleting_a_workspace_whose_sheets_went_out_owes_nobody(self):
        ws = self.workspace()
        d, since = self.sent_day(ws, later(13))
        r = ws.api("DELETE", "/workspace", {"slug": ws.slug, "password": fx.PASSWORD})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.owed(ws), 0)
        self.assertEqual(self.cron_call().status, 200)
        time.sleep(1.0)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 0)

    def test_the_jobs_command_sends_sheets_and_notices_once(self):
        ws = self.workspace()
        date = later(1)
        d = self.day(ws, date)
        self.assertEqual(ws.api("PATCH", "/workspace", {"sheets_send_at": "00:00"}).status, 200)
        since = len(self.twilio.requests)
        env = dict(self.server.env())

        def jobs(_=None):
            return subprocess.run([os.environ.get("PLANYARD_TEST_BINARY", os.path.join(ROOT, "build/asan/planyard")),
                                   "jobs", "reminders"], env=env, capture_output=True, text=True, timeout=60)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(jobs, range(2)))
        for r in runs:
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(set(__import__("json").loads(r.stdout)), {"sent", "failed"})
        self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
        self.wait_sms(d["sam_phone"], since)
        self.assertEqual(jobs().returncode, 0)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Your schedule"), 1)
        self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 1)
        self.assertEqual(len(self.sms_to("+15551230000", since)), 1)
        audit = ws.api("GET", "/audit?action=schedule.sent").json["data"]
        self.assertEqual(len(audit), 3)
        # a move made in SQL afterwards: the next run tells each person once
        self.server.psql("update app.pours set start_time = '09:15' where id = '%s'" % d["pour"]["id"], user="postgres")
        self.assertEqual(jobs().returncode, 0)
        self.assertEqual(jobs().returncode, 0)
        mail = self.sink.wait_for(to=d["mail_to"], subject="Schedule change", timeout=20)
        self.assertIn("now starts at 09:15", mail.body)
        time.sleep(1.5)
        self.assertEqual(self.sink.count(to=d["mail_to"], subject="Schedule change"), 1)
        self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 2)


class AutomaticSendOut(SendoutCase):
    def test_exactly_once_with_two_servers_calling_cron_at_once(self):
        ws = self.workspace()
        date = later(1)
        d = self.day(ws, date)
        # the workspace's time zone is UTC: the send-out time has passed today
        r = ws.api("PATCH", "/workspace", {"sheets_send_at": "00:00"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["sheets_send_at"], "00:00")
        self.assertEqual(ws.api("PATCH", "/workspace", {"sheets_send_at": "25:00"}).status, 400)
        second = Server(env=self.env, data_dir=self.server.data_dir).start()
        try:
            since = len(self.twilio.requests)
            servers = [self.server, second] * 4
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(self.cron_call, servers))
            self.assertTrue(all(r.status == 200 for r in results), results)
            self.assertTrue(all(set(r.json) == {"sent", "failed"} for r in results), results)
            self.sink.wait_for(to=d["mail_to"], subject="Your schedule", timeout=20)
            self.wait_sms(d["sam_phone"], since)
            time.sleep(1.5)
            self.assertEqual(self.sink.count(to=d["mail_to"], subject="Your schedule"), 1)
            self.assertEqual(len(self.sms_to(d["sam_phone"], since)), 1)
            self.assertEqual(len(self.sms_to("+15551230000", since)), 1)
            self.assertEqual(self.cron_call(second).status, 200)
            # a workspace without a send-out time sends nothing
            unset = self.workspace()
            u = self.day(unset, date)
            self.assertIsNone(unset.api("GET", "/workspace").json["sheets_send_at"])
            self.assertEqual(self.cron_call(second).status, 200)
            time.sleep(1.0)
            self.assertEqual(self.sink.count(to=u["mail_to"]), 0)
            self.assertEqual(unset.api("GET", "/audit?action=schedule.sent").json["data"], [])
        finally:
            second.stop()
        audit = ws.api("GET", "/audit?action=schedule.sent").json["data"]
        self.assertEqual(len(audit), 3)
        self.assertTrue(all(a["actor"]["kind"] == "system" for a in audit))
        self.assertEqual(sorted(a["entity_id"] for a in audit),
                         sorted([d["foreman"]["id"], d["ana"]["id"], d["sam"]["id"]]))


class CrewLinks(SendoutCase):

    def test_the_link_shows_that_persons_next_14_days_only(self):
        ws = self.workspace()
        d = self.day(ws, later(2))
        other_day = self.day(ws, later(3))      # other people, other pours
        far = self.make(ws, "pours", {"project_id": d["project"]["id"], "scheduled_date": later(20),
                                      "volume_cy": "1", "mix": "far away"})
        self.make(ws, "assignments", {"employee_id": d["ana"]["id"], "pour_id": far["id"]})
        link = self.link(ws, d["ana"]["id"])
        self.assertRegex(link["url"], r"^https://[^/]+/crew#token=[A-Za-z0-9_-]{43}$")
        self.assertTrue(link["active"])
        r = self.open(link["url"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["employee"], {"id": d["ana"]["id"], "name": "Ana Núñez"})
        self.assertEqual(r.json["from"], datetime.date.today().isoformat())
        self.assertEqual(len(r.json["days"]), 14)
        items = [(day["date"], i) for day in r.json["days"] for i in day["items"]]
        self.assertEqual(len(items), 1, items)
        date, item = items[0]
        self.assertEqual(date, later(2))
        self.assertEqual(item["project"], "Café Müller slab")
        self.assertEqual(item["foreman_phone"], "+15551230000")
        text = r.body.decode()
        for secret in (d["customer"]["name"], other_day["customer"]["name"], other_day["pour"]["id"],
                       "far away", d["sam"]["id"]):
            self.assertNotIn(secret, text)
        self.assertIsNone(r.header("set-cookie"))
        # the token is no bearer credential for the API
        self.assertEqual(self.server.api("GET", "/employees", token=link["url"].split("#token=")[1]).status, 401)

    def test_what_the_link_reaches_in_the_database(self):
        """The same token handed to the database as planyard_app: row-level security shows that
        employee's rows of the window and nothing else, whatever the query asks."""
        ws = self.workspace()
        other_ws = self.workspace()
        d = self.day(ws, later(2))
        self.day(ws, later(2))
        self.day(other_ws, later(2))
        token = self.link(ws, d["ana"]["id"])["url"].split("#token=")[1]
        q = ("select count(*) from app.crew_begin('%s'); "
             "select (select count(*) from app.assignments) || '|' || (select count(*) from app.pours) || '|' || "
             "(select count(*) from app.projects) || '|' || (select count(*) from app.customers) || '|' || "
             "(select count(*) from app.employees) || '|' || (select count(*) from app.crews) || '|' || "
             "(select count(*) from app.tenants) || '|' || (select count(*) from app.reminders) || '|' || "
             "(select count(*) from app.audit_log) || '|' || (select count(*) from app.crew_members);" % token)
        out = self.server.psql(q).split()
        self.assertEqual(out[-1], "1|1|1|0|2|1|1|0|0|0")   # ana and her foreman; her one pour
        self.assertEqual(self.server.psql("select count(*) from app.pours").strip(), "0")

    def test_revoked_rotated_and_expired_links_are_refused(self):
        ws = self.workspace()
        d = self.day(ws, later(2))
        first = self.link(ws, d["ana"]["id"])
        self.assertEqual(self.open(first["url"]).status, 200)
        second = self.link(ws, d["ana"]["id"])           # rotation: the first stops working
        r = self.open(first["url"])
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json["code"], "token_invalid")
        self.assertEqual(self.open(second["url"]).status, 200)
        self.assertEqual(ws.api("DELETE", "/employees/%s/crew-link" % d["ana"]["id"]).status, 204)
        self.assertEqual(self.open(second["url"]).status, 401)
        self.assertFalse(ws.api("GET", "/employees/%s/crew-link" % d["ana"]["id"]).json["active"])
        third = self.link(ws, d["ana"]["id"])
        self.assertEqual(self.open(third["url"]).status, 200)
        self.server.psql("update app.crew_links set created_at = now() - interval '91 days', "
                         "last_used_at = now() - interval '90 days 1 minute' where revoked_at is null "
                         "and employee_id = '%s'" % d["ana"]["id"], user="planyard_owner")
        self.assertEqual(self.open(third["url"]).status, 401)
        self.assertEqual(self.open("x" * 43).status, 401)
        self.assertEqual(self.server.api("POST", "/crew/schedule", {}).status, 400)
        audit = [a["action"] for a in ws.api("GET", "/audit?entity_id=" + d["ana"]["id"]).json["data"]]
        self.assertIn("crew_link.created", audit)
        self.assertIn("crew_link.rotated", audit)
        self.assertIn("crew_link.revoked", audit)

    def test_opening_is_audited_at_most_once_an_hour(self):
        ws = self.workspace()
        d = self.day(ws, later(2))
        url = self.link(ws, d["ana"]["id"])["url"]
        for _ in range(3):
            self.assertEqual(self.open(url).status, 200)
        opened = ws.api("GET", "/audit?action=crew_link.opened").json["data"]
        self.assertEqual(len(opened), 1)
        self.assertEqual(opened[0]["entity_id"], d["ana"]["id"])
        self.server.psql("update app.crew_links set opened_audit_at = now() - interval '61 minutes'",
                         user="planyard_owner")
        self.assertEqual(self.open(url).status, 200)
        self.assertEqual(len(ws.api("GET", "/audit?action=crew_link.opened").json["data"]), 2)
        link = ws.api("GET", "/employees/%s/crew-link" % d["ana"]["id"]).json
        self.assertIsNotNone(link["last_used_at"])
        self.assertNotIn("url", link)
        self.assertNotIn("token", link)

    def test_only_admins_of_the_workspace_manage_links(self):
        ws = self.workspace()
        other = self.workspace()
        d = self.day(ws, later(2))
        sched = self.member(ws, "scheduler")
        self.assertEqual(sched.api("POST", "/employees/%s/crew-link" % d["ana"]["id"]).status, 403)
        for method in ("POST", "GET", "DELETE"):
            r = other.api(method, "/employees/%s/crew-link" % d["ana"]["id"])
            self.assertEqual(r.status, 404, (method, r))
        self.assertEqual(sched.api("GET", "/employees/%s/crew-link" % d["ana"]["id"]).status, 403)
        self.assertEqual(sched.api("DELETE", "/employees/%s/crew-link" % d["ana"]["id"]).status, 403)
        self.assertEqual(ws.api("GET", "/employees/%s/crew-link" % str(uuid.uuid4())).status, 404)


SCRIPT = os.path.join(ROOT, "tests", "sql", "crew_link.sql")
TAP = re.compile(r"^(not ok|ok) (\d+) - (.*)$")


class CrewLinkSql(SendoutCase):
    """tests/sql/crew_link.sql (pgTAP) as planyard_app: a crew link's token sees that
    employee's window and nothing else; revoked and expired links and forged settings see
    nothing; a session next to a link has the session's scope only."""

    def test_every_assertion_holds(self):
        ws, other = self.workspace(), self.workspace()
        d = self.day(ws, later(2))
        o = self.day(ws, later(2))
        self.day(other, later(2))
        far = self.make(ws, "pours", {"project_id": d["project"]["id"], "scheduled_date": later(20),
                                      "volume_cy": "1", "mix": "far"})
        self.make(ws, "assignments", {"employee_id": d["ana"]["id"], "pour_id": far["id"]})
        revoked = self.link(ws, d["ana"]["id"])["url"].split("#token=")[1]
        token = self.link(ws, d["ana"]["id"])["url"].split("#token=")[1]
        expired = self.link(ws, d["sam"]["id"])["url"].split("#token=")[1]
        self.server.psql("update app.crew_links set created_at = now() - interval '100 days', "
                         "last_used_at = now() - interval '91 days' where employee_id = '%s'" % d["sam"]["id"],
                         user="planyard_owner")
        cmd = ["psql", "-X", "-q", "-h", self.server.pg_dir, "-U", "postgres", "-d", "planyard", "-f", SCRIPT]
        for k, v in (("token", token), ("revoked", revoked), ("expired", expired), ("tenant", ws.id),
                     ("other_tenant", other.id), ("key", opdata.session_key(ws.token)),
                     ("other_key", opdata.session_key(other.token)), ("emp", d["ana"]["id"]),
                     ("foreman", d["foreman"]["id"]), ("mate", d["sam"]["id"]), ("pour", d["pour"]["id"]),
                     ("other_pour", o["pour"]["id"]), ("far_pour", far["id"])):
            cmd += ["-v", "%s=%s" % (k, v)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, "psql failed:\n%s\n%s" % (r.stderr[-3000:], r.stdout[-3000:]))
        results, plan = [], None
        for line in r.stdout.splitlines():
            m = TAP.match(line)
            if m:
                results.append([m.group(1) == "ok", int(m.group(2)), m.group(3), []])
            elif re.match(r"^1\.\.\d+$", line.strip()):
                plan = int(line.strip()[3:])
            elif line.startswith("#") and results:
                results[-1][3].append(line)
        self.assertGreaterEqual(len(results), 25, r.stdout[-3000:])
        self.assertEqual(plan, len(results), "no plan line, or it disagrees (the script stopped early?)")
        bad = ["not ok %d - %s\n%s" % (n, desc, "\n".join(diag)) for ok, n, desc, diag in results if not ok]
        self.assertEqual(bad, [], "\n" + "\n".join(bad))


if __name__ == "__main__":
    unittest.main()
