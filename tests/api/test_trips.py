"""Trips for agencies over real HTTPS against the real server and database: the workspace's
kind (signup, GET/PATCH /workspace), /trips and /travelers (create/read/change/delete,
validation, the overlapping date filter), the travelers below a trip, reminders made from a
template and moved with their trip, the audit rows of every change, the .xlsx workbooks and
the workspace export, and erasing a traveller's or a client's trips' history. Isolation and
roles are in test_isolation (the routes are in its table), RLS in tests/sql/trips.sql."""
import datetime
import io
import json
import unittest
import uuid

import openpyxl

from fixtures import PASSWORD, add_member, new_workspace
from harness import Server


def nobody():
    return str(uuid.uuid4())


def days(n):
    """A date n days from today (the reminders of a template need a trip in the future)."""
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


class Trips(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            cls.ws = new_workspace(cls.server, kind="trips")
            r = cls.ws.api("POST", "/customers", {"name": "The Okafor family", "email": "okafor@example.com"})
            assert r.status == 201, r
            cls.client = r.json
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        assert errors == [] and status == 0, (status, errors)

    # ---- helpers ----
    def trip(self, **kw):
        body = {"customer_id": self.client["id"], "name": "Lisbon", "start_date": days(60), "end_date": days(67)}
        body.update(kw)
        r = self.ws.api("POST", "/trips", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def assertField(self, r, field, status=400):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("content-type"), "application/problem+json", r)
        self.assertIn(field, [e.get("field") for e in r.json.get("errors", [])], r)

    def audit(self, entity_id):
        r = self.ws.api("GET", "/audit?limit=200&entity_id=" + entity_id)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    def sql(self, q):
        return self.server.psql(q, user="postgres")

    # ---- the workspace's kind ----
    def test_signup_chooses_the_kind_and_an_admin_changes_it(self):
        self.assertEqual(self.ws.api("GET", "/workspace").json["kind"], "trips")
        self.assertEqual(self.ws.api("GET", "/me").json["workspace"]["kind"], "trips")
        field = new_workspace(self.server)
        self.assertEqual(field.api("GET", "/workspace").json["kind"], "field")
        r = field.api("PATCH", "/workspace", {"kind": "trips"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["kind"], "trips")
        self.assertEqual(field.api("GET", "/workspace").json["kind"], "trips")
        self.assertField(field.api("PATCH", "/workspace", {"kind": "boats"}), "kind")
        rows = [a for a in self.audit_of(field) if a["action"] == "workspace.settings_updated"]
        self.assertEqual(rows[0]["changes"]["kind"], ["field", "trips"])
        scheduler = add_member(self.server, field, "scheduler")
        self.assertEqual(scheduler.api("PATCH", "/workspace", {"kind": "field"}).status, 403)
        self.assertEqual(field.api("GET", "/workspace").json["kind"], "trips")
        # the API serves both kinds to every workspace
        self.assertEqual(field.api("GET", "/pours?from=2031-01-01&to=2031-01-31").status, 200)
        self.assertEqual(field.api("GET", "/trips").status, 200)

    def test_signup_refuses_an_unknown_kind(self):
        r = self.server.api("POST", "/auth/signup", {"workspace_name": "X", "workspace_slug": "kind-" + nobody()[:8],
                                                     "name": "X", "email": "x-%s@example.com" % nobody()[:8],
                                                     "password": PASSWORD, "kind": "boats"})
        self.assertField(r, "kind")

    def audit_of(self, ws):
        r = ws.api("GET", "/audit?limit=200")
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    # ---- trips ----
    def test_trip_crud(self):
        t = self.trip(name="Kyoto in spring", destination="Kyoto", notes="window seats")
        self.assertEqual({k: t[k] for k in ("customer_id", "name", "destination", "status", "notes")},
                         {"customer_id": self.client["id"], "name": "Kyoto in spring", "destination": "Kyoto",
                          "status": "inquiry", "notes": "window seats"})
        self.assertEqual((t["start_date"], t["end_date"]), (days(60), days(67)))
        for k in ("id", "created_at", "updated_at"):
            self.assertTrue(t[k], k)
        self.assertEqual(self.ws.api("GET", "/trips/" + t["id"]).json, t)
        r = self.ws.api("PATCH", "/trips/" + t["id"], {"status": "booked", "destination": None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["destination"], r.json["name"]), ("booked", None, "Kyoto in spring"))
        self.assertEqual(self.ws.api("GET", "/trips/" + t["id"]).json, r.json)
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 204)
        self.assertEqual(self.ws.api("GET", "/trips/" + t["id"]).status, 404)
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 404)

    def test_trip_validation(self):
        base = {"customer_id": self.client["id"], "name": "Rome", "start_date": "2031-06-10", "end_date": "2031-06-12"}
        cases = [({"end_date": "2031-06-09"}, "end_date"), ({"start_date": "2031-02-30"}, "start_date"),
                 ({"status": "lost"}, "status"), ({"customer_id": nobody()}, "customer_id"),
                 ({"customer_id": "nope"}, "customer_id"), ({"name": ""}, "name")]
        for change, field in cases:
            body = dict(base, **change)
            self.assertField(self.ws.api("POST", "/trips", body), field)
        for field in ("customer_id", "name", "start_date", "end_date"):
            body = {k: v for k, v in base.items() if k != field}
            self.assertField(self.ws.api("POST", "/trips", body), field)
        t = self.trip(start_date="2031-06-10", end_date="2031-06-12")
        self.assertField(self.ws.api("PATCH", "/trips/" + t["id"], {"end_date": "2031-06-01"}), "end_date")
        self.assertField(self.ws.api("PATCH", "/trips/" + t["id"], {"start_date": "2031-06-13"}), "end_date")
        self.assertEqual(self.ws.api("GET", "/trips/" + t["id"]).json, t, "a refused change wrote something")
        # a one-day trip is fine
        r = self.ws.api("PATCH", "/trips/" + t["id"], {"end_date": "2031-06-10"})
        self.assertEqual(r.status, 200, r)

    def test_the_date_filter_selects_overlapping_trips(self):
        c = self.ws.api("POST", "/customers", {"name": "Overlap family"}).json
        mk = lambda n, a, b, **kw: self.trip(customer_id=c["id"], name=n, start_date=a, end_date=b, **kw)  # noqa: E731
        a = mk("a", "2033-05-01", "2033-05-10")
        b = mk("b", "2033-05-10", "2033-05-20", status="booked")
        d = mk("d", "2033-04-01", "2033-06-30")
        e = mk("e", "2033-06-01", "2033-06-03")

        def names(q):
            r = self.ws.api("GET", "/trips?customer_id=%s&%s" % (c["id"], q))
            self.assertEqual(r.status, 200, r)
            return [x["name"] for x in r.json["data"]]
        self.assertEqual(names("from=2033-05-10&to=2033-05-15"), ["d", "a", "b"])
        self.assertEqual(names("from=2033-05-11&to=2033-05-31"), ["d", "b"])
        self.assertEqual(names("from=2033-06-03&to=2033-06-03"), ["d", "e"])
        self.assertEqual(names("from=2033-07-01"), [])
        self.assertEqual(names("to=2033-04-30"), ["d"])
        self.assertEqual(names("status=booked"), ["b"])
        self.assertEqual(names("limit=2"), ["d", "a"])
        r = self.ws.api("GET", "/trips?from=2033-05-10&to=2033-05-01")
        self.assertField(r, "to")
        self.assertField(self.ws.api("GET", "/trips?status=lost"), "status")
        self.assertField(self.ws.api("GET", "/trips?customer_id=x"), "customer_id")
        # paging by cursor gives each trip once
        got, cursor = [], None
        while True:
            r = self.ws.api("GET", "/trips?limit=1&customer_id=" + c["id"] + ("&cursor=" + cursor if cursor else ""))
            got += [x["id"] for x in r.json["data"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(got, [d["id"], a["id"], b["id"], e["id"]])

    def test_a_client_with_trips_is_in_use(self):
        c = self.ws.api("POST", "/customers", {"name": "Busy family"}).json
        t = self.trip(customer_id=c["id"])
        r = self.ws.api("DELETE", "/customers/" + c["id"])
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json["code"], "in_use")
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 204)
        self.assertEqual(self.ws.api("DELETE", "/customers/" + c["id"]).status, 204)

    # ---- travelers ----
    def test_travelers_of_a_trip(self):
        t = self.trip()
        r = self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Ada Okafor", "birth_date": "2015-03-04",
                                                                  "contact": "+15550101", "notes": "vegetarian"})
        self.assertEqual(r.status, 201, r)
        ada = r.json
        self.assertEqual({k: ada[k] for k in ("trip_id", "name", "birth_date", "contact", "notes")},
                         {"trip_id": t["id"], "name": "Ada Okafor", "birth_date": "2015-03-04", "contact": "+15550101",
                          "notes": "vegetarian"})
        r = self.ws.api("POST", "/travelers", {"trip_id": t["id"], "name": "Ben Okafor"})
        self.assertEqual(r.status, 201, r)
        ben = r.json
        self.assertEqual(ben["birth_date"], None)
        listed = self.ws.api("GET", "/trips/%s/travelers" % t["id"])
        self.assertEqual(listed.status, 200, listed)
        self.assertEqual(listed.json, {"data": [ada, ben], "next_cursor": None})
        self.assertEqual(self.ws.api("GET", "/travelers?trip_id=" + t["id"]).json["data"], [ada, ben])
        r = self.ws.api("PATCH", "/travelers/" + ben["id"], {"birth_date": "2012-01-31", "name": "Benjamin Okafor"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["birth_date"], "2012-01-31")
        self.assertField(self.ws.api("PATCH", "/travelers/" + ben["id"], {"trip_id": nobody()}), "trip_id")
        self.assertField(self.ws.api("POST", "/travelers", {"trip_id": nobody(), "name": "X"}), "trip_id")
        self.assertField(self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"birth_date": "x", "name": "X"}),
                         "birth_date")
        self.assertEqual(self.ws.api("POST", "/trips/%s/travelers" % nobody(), {"name": "X"}).status, 404)
        self.assertEqual(self.ws.api("GET", "/trips/%s/travelers" % nobody()).status, 404)
        self.assertEqual(self.ws.api("DELETE", "/travelers/" + ada["id"]).status, 204)
        self.assertEqual(self.ws.api("GET", "/trips/%s/travelers" % t["id"]).json["data"][0]["id"], ben["id"])
        # the travelers go with their trip
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 204)
        self.assertEqual(self.ws.api("GET", "/travelers/" + ben["id"]).status, 404)
        actions = [a["action"] for a in self.audit(ben["id"])]
        self.assertEqual(sorted(actions), ["traveler.created", "traveler.deleted", "traveler.updated"])

    # ---- reminders ----
    def reminders_of(self, trip_id):
        r = self.ws.api("GET", "/reminders?limit=200")
        return sorted((x for x in r.json["data"] if x["subject_id"] == trip_id), key=lambda x: x["remind_at"])

    def test_reminders_from_a_template_move_with_their_trip(self):
        t = self.trip(start_date=days(40), end_date=days(50), name="Patagonia")
        r = self.ws.api("POST", "/trips/%s/reminders" % t["id"], {"template": "standard", "channel": "email",
                                                                  "to": "okafor@example.com"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["skipped"], [])
        made = sorted(r.json["data"], key=lambda x: x["remind_at"])
        self.assertEqual([x["remind_at"] for x in made], [days(10) + "T09:00:00Z", days(33) + "T09:00:00Z"])
        self.assertTrue(all(x["subject_type"] == "trip" and x["subject_id"] == t["id"] for x in made))
        self.assertIn("Final payment for Patagonia", made[0]["message"])
        own = self.ws.api("POST", "/reminders", {"remind_at": days(39) + "T18:30:00Z", "channel": "sms",
                                                 "to": "+15550100", "message": "pack", "subject_type": "trip",
                                                 "subject_id": t["id"]})
        self.assertEqual(own.status, 201, own)
        self.assertEqual([x["id"] for x in self.reminders_of(t["id"])], [made[0]["id"], made[1]["id"], own.json["id"]])
        # the trip moves five days later: every pending reminder of it too
        r = self.ws.api("PATCH", "/trips/" + t["id"], {"start_date": days(45), "end_date": days(55)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["remind_at"] for x in self.reminders_of(t["id"])],
                         [days(15) + "T09:00:00Z", days(38) + "T09:00:00Z", days(44) + "T18:30:00Z"])
        moved = [a for a in self.audit(made[0]["id"]) if a["action"] == "reminder.updated"]
        self.assertEqual(moved[0]["changes"]["remind_at"][1][:10], days(15))
        # only the end moving leaves them be
        self.ws.api("PATCH", "/trips/" + t["id"], {"end_date": days(60)})
        self.assertEqual(self.reminders_of(t["id"])[0]["remind_at"], days(15) + "T09:00:00Z")
        # earlier by 20 days: the payment reminder's day has passed, it is sent at the next run
        self.ws.api("PATCH", "/trips/" + t["id"], {"start_date": days(25)})
        first = self.reminders_of(t["id"])[0]
        self.assertLess(first["remind_at"], days(1) + "T00:00:00Z")
        self.assertEqual(first["status"], "pending")
        # a trip's reminders go with it
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 204)
        self.assertEqual(self.reminders_of(t["id"]), [])

    def test_a_template_skips_what_has_passed_and_is_validated(self):
        t = self.trip(start_date=days(20), end_date=days(21))
        r = self.ws.api("POST", "/trips/%s/reminders" % t["id"], {"template": "standard", "channel": "sms",
                                                                  "to": "+15550100", "at": "07:15"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["skipped"], ["final_payment"])
        self.assertEqual([x["remind_at"] for x in r.json["data"]], [days(13) + "T07:15:00Z"])
        bad = self.ws.api("POST", "/trips/%s/reminders" % t["id"], {"template": "documents", "channel": "email",
                                                                    "to": "not-an-address"})
        self.assertField(bad, "to")
        self.assertField(self.ws.api("POST", "/trips/%s/reminders" % t["id"], {"template": "x", "channel": "email",
                                                                               "to": "a@example.com"}), "template")
        self.assertEqual(self.ws.api("POST", "/trips/%s/reminders" % nobody(), {"template": "documents",
                                                                                "channel": "email",
                                                                                "to": "a@example.com"}).status, 404)
        self.assertEqual(len(self.reminders_of(t["id"])), 1)
        # a reminder about a trip that is not there
        r = self.ws.api("POST", "/reminders", {"remind_at": days(3) + "T09:00:00Z", "channel": "email",
                                               "to": "a@example.com", "message": "m", "subject_type": "trip",
                                               "subject_id": nobody()})
        self.assertField(r, "subject_id")

    # ---- audit ----
    def test_every_change_is_audited(self):
        t = self.trip(name="Audited")
        self.ws.api("PATCH", "/trips/" + t["id"], {"status": "booked"})
        self.ws.api("DELETE", "/trips/" + t["id"])
        rows = {a["action"]: a for a in self.audit(t["id"])}
        self.assertEqual(set(rows), {"trip.created", "trip.updated", "trip.deleted"})
        self.assertEqual(rows["trip.updated"]["changes"], {"status": ["inquiry", "booked"]})
        self.assertEqual(rows["trip.created"]["changes"]["name"], [None, "Audited"])
        self.assertTrue(all(a["entity_type"] == "trip" for a in rows.values()))
        r = self.ws.api("GET", "/audit/verify")
        self.assertEqual(r.status, 200, r)

    # ---- exports ----
    def test_workbooks_and_the_workspace_export(self):
        c = self.ws.api("POST", "/customers", {"name": "Export family"}).json
        t = self.trip(customer_id=c["id"], name="Iceland", start_date="2034-02-01", end_date="2034-02-08",
                      destination="Reykjavik", status="booked")
        self.trip(customer_id=c["id"], name="Later", start_date="2034-09-01", end_date="2034-09-02")
        self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Tom Export", "birth_date": "1980-12-01"})
        r = self.ws.api("GET", "/exports/trips.xlsx?from=2034-01-25&to=2034-02-02")
        self.assertEqual(r.status, 200, r)
        self.assertIn('filename="trips-2034-01-25-2034-02-02.xlsx"', r.header("content-disposition"))
        rows = list(openpyxl.load_workbook(io.BytesIO(r.body)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Start", "End", "Trip", "Client", "Destination", "Status", "Travelers", "Notes"))
        self.assertEqual(rows[1][:7], (datetime.datetime(2034, 2, 1), datetime.datetime(2034, 2, 8), "Iceland",
                                       "Export family", "Reykjavik", "booked", 1))
        self.assertEqual(len(rows), 2)
        r = self.ws.api("GET", "/exports/travelers.xlsx?from=2034-02-08&to=2034-02-08")
        self.assertEqual(r.status, 200, r)
        rows = list(openpyxl.load_workbook(io.BytesIO(r.body)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Trip", "Start", "End", "Traveler", "Birth date", "Contact", "Notes"))
        self.assertEqual(rows[1][:5], ("Iceland", datetime.datetime(2034, 2, 1), datetime.datetime(2034, 2, 8),
                                       "Tom Export", datetime.datetime(1980, 12, 1)))
        self.assertField(self.ws.api("GET", "/exports/trips.xlsx?from=2034-02-02&to=2034-01-01"), "to")
        self.assertField(self.ws.api("GET", "/exports/travelers.xlsx?to=2034-01-01"), "from")
        r = self.ws.api("GET", "/exports/workspace.json")
        self.assertEqual(r.status, 200, r)
        dump = json.loads(r.body)
        self.assertEqual(dump["workspace"]["kind"], "trips")
        self.assertIn(t["id"], {x["id"] for x in dump["trips"]})
        self.assertIn("Tom Export", {x["name"] for x in dump["travelers"]})

    def test_deleting_the_workspace_takes_its_trips_and_travelers(self):
        doomed = new_workspace(self.server, kind="trips")
        c = doomed.api("POST", "/customers", {"name": "Doomed family"}).json
        t = doomed.api("POST", "/trips", {"customer_id": c["id"], "name": "Last trip", "start_date": days(50),
                                          "end_date": days(52)}).json
        doomed.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Last traveler"})
        doomed.api("POST", "/trips/%s/reminders" % t["id"], {"template": "documents", "channel": "email",
                                                             "to": "doomed@example.com"})
        count = lambda: self.sql("select (select count(*) from app.trips where tenant_id = '{0}') || '|' || "  # noqa: E731
                                 "(select count(*) from app.travelers where tenant_id = '{0}') || '|' || "
                                 "(select count(*) from app.reminders where tenant_id = '{0}')".format(doomed.id))
        self.assertEqual(count(), "1|1|1")
        r = doomed.api("DELETE", "/workspace", {"slug": doomed.slug, "password": PASSWORD})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(count(), "0|0|0")

    # ---- personal data ----
    def traces(self, needle):
        tables = self.sql("select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                          "where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1").split()
        return {t for t in tables
                if int(self.sql("select count(*) from app.%s x where strpos(lower(x::text), lower($n$%s$n$)) > 0"
                                % (t, needle)))}

    def test_erasing_a_traveler_leaves_no_trace(self):
        t = self.trip()
        mark = "erase-%s" % nobody()[:8]
        v = self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Name " + mark,
                                                                  "contact": mark + "@example.com"}).json
        self.ws.api("PATCH", "/travelers/" + v["id"], {"notes": "allergy " + mark})
        self.assertEqual(self.traces(mark), {"travelers", "audit_log"})
        self.assertField(self.ws.api("DELETE", "/travelers/%s?erase_history=maybe" % v["id"]), "erase_history")
        r = self.ws.api("DELETE", "/travelers/%s?erase_history=true" % v["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.traces(mark), set())
        self.assertIn("audit.personal_data_erased", [a["action"] for a in self.audit(v["id"])])
        self.assertEqual(self.ws.api("GET", "/audit/verify").json.get("ok", True), True)

    def test_erasing_a_client_takes_its_trips_and_travelers_from_the_history(self):
        mark = "client-%s" % nobody()[:8]
        c = self.ws.api("POST", "/customers", {"name": "Family " + mark, "email": mark + "@example.com"}).json
        t = self.trip(customer_id=c["id"], name="Trip " + mark)
        self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Kid " + mark})
        self.assertEqual(self.ws.api("DELETE", "/trips/" + t["id"]).status, 204)
        self.assertTrue(self.traces(mark))
        r = self.ws.api("DELETE", "/customers/%s?erase_history=true" % c["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.traces(mark), set())

    def test_erasing_a_trip_takes_its_travelers(self):
        mark = "trip-%s" % nobody()[:8]
        t = self.trip(notes=mark)
        self.ws.api("POST", "/trips/%s/travelers" % t["id"], {"name": "Rider " + mark, "contact": "+1555" + "0199"})
        self.assertEqual(self.traces(mark), {"trips", "travelers", "audit_log"})
        r = self.ws.api("DELETE", "/trips/%s?erase_history=true" % t["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.traces(mark), set())


if __name__ == "__main__":
    unittest.main()
