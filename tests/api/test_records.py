"""Black-box tests of the operating data (API.md "Conventions" and "Operating data") over real
HTTPS against the real server and its database: create/read/change/delete of the eight
collections, validation, lists (limits, cursors, filters), references and conflicts
(in_use, double_booked and its race), crew members, pour cancel, the manpower projection and
the OpenAPI listing.

The per-collection cases are data: SPECS says, for every collection, the fields of API.md, a
valid body, a patch, an invalid body and its field; CREATE_CASES and PATCH_CASES add the
field rules one line each. Isolation between workspaces and the viewer/scheduler roles have
their own suites."""
import base64
import datetime
import itertools
import re
import threading
import time
import unittest
import uuid

from fixtures import new_workspace
from harness import Server

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DROP = object()             # an override that removes the field from the body

# Pours fall in a 60-day window (lists of pours need a range); assignments each get a date
# of their own far after it, so the same employee is never booked twice by accident.
POUR_BASE = datetime.date(2031, 3, 2)
ASSIGN_BASE = datetime.date(2032, 1, 1)
_seq = itertools.count(1)


def pour_day(n=None):
    return (POUR_BASE + datetime.timedelta(days=(next(_seq) if n is None else n) % 60)).isoformat()


def assign_day():
    return (ASSIGN_BASE + datetime.timedelta(days=next(_seq))).isoformat()


POUR_RANGE = "from=%s&to=%s" % (POUR_BASE.isoformat(), (POUR_BASE + datetime.timedelta(days=92)).isoformat())


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def future(days=30):
    return ts(utcnow() + datetime.timedelta(days=days))


def parse_ts(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)


def b64u(text):
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def nobody():
    return str(uuid.uuid4())


# --------------------------------------------------------------------------------------------
# The collections, as data. `c` is the context of parent records (make_parents).

SPECS = {
    "customers": dict(
        fields=("name", "contact_name", "email", "phone", "notes"),
        required=("name",),
        valid=lambda c: {"name": "Acme Concrete", "contact_name": "Jo Smith", "email": "jo@acme.example",
                         "phone": "+1 555 0100", "notes": "pays net 30"},
        defaults={"contact_name": None, "email": None, "phone": None, "notes": None},
        patch=lambda c: {"name": "Acme Concrete Inc.", "notes": None},
        invalid=lambda c: ({"name": "Acme", "email": "not-an-email"}, "email"),
        string_field="contact_name",
        query="",
    ),
    "regions": dict(
        fields=("name",),
        required=("name",),
        valid=lambda c: {"name": "North"},
        defaults={},
        patch=lambda c: {"name": "North-East"},
        invalid=lambda c: ({"name": ""}, "name"),
        string_field="name",
        query="",
    ),
    "projects": dict(
        fields=("customer_id", "name", "address", "zip", "region_id", "notes"),
        required=("customer_id", "name"),
        valid=lambda c: {"customer_id": c["customer"], "name": "Harbor Tower", "address": "1 Pier Rd",
                         "zip": "02110", "region_id": c["region"], "notes": "tight site"},
        defaults={"address": None, "zip": None, "region_id": None, "notes": None},
        patch=lambda c: {"region_id": c["region2"], "zip": "02139"},
        invalid=lambda c: ({"customer_id": "not-a-uuid", "name": "X"}, "customer_id"),
        string_field="address",
        query="",
    ),
    "employees": dict(
        fields=("name", "trade", "phone", "email", "region_id", "active", "channel"),
        required=("name",),
        valid=lambda c: {"name": "Ada Finisher", "trade": "finisher", "phone": "+15550001111",
                         "email": "ada@example.com", "region_id": c["region"], "active": True, "channel": "sms"},
        defaults={"trade": None, "phone": None, "email": None, "region_id": None, "active": True, "channel": "both"},
        patch=lambda c: {"active": False, "trade": None},
        invalid=lambda c: ({"name": "Bob", "trade": "plumber"}, "trade"),
        string_field="phone",
        query="",
    ),
    "crews": dict(
        fields=("name", "region_id", "foreman_id", "member_ids"),
        required=("name",),
        valid=lambda c: {"name": "Crew A", "region_id": c["region"], "foreman_id": c["employee"]},
        defaults={"region_id": None, "foreman_id": None, "member_ids": []},
        created={"member_ids": []},
        patch=lambda c: {"name": "Crew B", "region_id": None},
        invalid=lambda c: ({"name": "Crew", "member_ids": []}, "member_ids"),
        string_field="name",
        query="",
    ),
    "pours": dict(
        fields=("project_id", "scheduled_date", "start_time", "volume_cy", "mix", "pump", "crew_id",
                "crew_size_needed", "status", "notes"),
        required=("project_id", "scheduled_date", "volume_cy", "mix"),
        valid=lambda c: {"project_id": c["project"], "scheduled_date": pour_day(), "start_time": "07:30",
                         "volume_cy": "12.50", "mix": "4000 psi", "pump": True, "crew_id": c["crew"],
                         "crew_size_needed": 4, "status": "confirmed", "notes": "north slab"},
        defaults={"start_time": None, "pump": False, "crew_id": None, "crew_size_needed": 0,
                  "status": "tentative", "notes": None},
        patch=lambda c: {"status": "completed", "volume_cy": "99999.99", "start_time": None},
        invalid=lambda c: ({"project_id": c["project"], "scheduled_date": "2031-02-30", "volume_cy": "1.00",
                            "mix": "m"}, "scheduled_date"),
        string_field="mix",
        query=POUR_RANGE,
    ),
    "assignments": dict(
        fields=("employee_id", "date", "pour_id", "role"),
        required=("employee_id",),
        minimal=("employee_id", "date"),    # date is required unless pour_id gives it
        valid=lambda c: dict(pour_and_day(c), employee_id=c["employee"], role="finisher"),
        defaults={"pour_id": None, "role": None},
        patch=lambda c: {"role": "foreman", "pour_id": None},
        invalid=lambda c: ({"employee_id": c["employee"], "date": "2032-13-01"}, "date"),
        string_field="role",
        query="",
    ),
    "reminders": dict(
        fields=("remind_at", "channel", "to", "message", "subject_type", "subject_id", "status", "sent_at",
                "attempts"),
        required=("remind_at", "channel", "to", "message"),
        valid=lambda c: {"remind_at": future(), "channel": "email", "to": "ops@example.com",
                         "message": "call the pump company", "subject_type": "project", "subject_id": c["project"]},
        defaults={"subject_type": None, "subject_id": None, "status": "pending", "sent_at": None, "attempts": 0},
        created={"status": "pending", "sent_at": None, "attempts": 0},
        patch=lambda c: {"message": "call again", "channel": "sms", "to": "+15551234567"},
        invalid=lambda c: ({"remind_at": future(), "channel": "fax", "to": "ops@example.com", "message": "m"},
                           "channel"),
        string_field="message",
        query="",
    ),
}
NAMED = [k for k, s in SPECS.items() if "name" in s["fields"]]

# (collection, overrides of the valid body (or a function of the context), status, the field
# of the 400 (a tuple: any of them) or, for a 201, the values the record must have)
CREATE_CASES = [
    ("customers", {"email": "jo@acme"}, 400, "email"),
    ("customers", {"email": "jo smith@acme.example"}, 400, "email"),
    ("customers", {"email": 42}, 400, "email"),
    ("customers", {"phone": 5550100}, 400, "phone"),
    ("customers", {"notes": "n" * 5001}, 400, "notes"),
    ("customers", {"notes": None, "email": None}, 201, {"notes": None, "email": None}),
    ("projects", {"customer_id": nobody()}, 400, "customer_id"),
    ("projects", {"region_id": nobody()}, 400, "region_id"),
    ("projects", {"region_id": 7}, 400, "region_id"),
    ("employees", {"trade": "plumber"}, 400, "trade"),
    ("employees", {"trade": "Finisher"}, 400, "trade"),
    ("employees", {"trade": "pump_operator"}, 201, {"trade": "pump_operator"}),
    ("employees", {"active": "true"}, 400, "active"),
    ("employees", {"active": 1}, 400, "active"),
    ("employees", {"active": None}, 400, "active"),
    ("employees", {"active": False}, 201, {"active": False}),
    ("employees", {"channel": "fax"}, 400, "channel"),
    ("employees", {"channel": None}, 400, "channel"),
    ("employees", {"channel": "email"}, 201, {"channel": "email"}),
    ("employees", {"email": "ada@"}, 400, "email"),
    ("employees", {"phone": 15550001111}, 400, "phone"),
    ("employees", {"region_id": nobody()}, 400, "region_id"),
    ("crews", {"foreman_id": nobody()}, 400, "foreman_id"),
    ("crews", {"member_ids": [nobody()]}, 400, "member_ids"),
    ("pours", {"scheduled_date": "2031-02-30"}, 400, "scheduled_date"),
    ("pours", {"scheduled_date": "2031-3-5"}, 400, "scheduled_date"),
    ("pours", {"scheduled_date": "2032-02-29"}, 201, {"scheduled_date": "2032-02-29"}),
    ("pours", {"start_time": "24:00"}, 400, "start_time"),
    ("pours", {"start_time": "7:30"}, 400, "start_time"),
    ("pours", {"start_time": "07:60"}, 400, "start_time"),
    ("pours", {"start_time": "07:30:00"}, 400, "start_time"),
    ("pours", {"start_time": "07:30"}, 201, {"start_time": "07:30"}),
    ("pours", {"start_time": "23:59"}, 201, {"start_time": "23:59"}),
    ("pours", {"volume_cy": "0"}, 400, "volume_cy"),
    ("pours", {"volume_cy": "0.00"}, 400, "volume_cy"),
    ("pours", {"volume_cy": "-1"}, 400, "volume_cy"),
    ("pours", {"volume_cy": "100000"}, 400, "volume_cy"),
    ("pours", {"volume_cy": "1.234"}, 400, "volume_cy"),
    ("pours", {"volume_cy": "1e3"}, 400, "volume_cy"),
    ("pours", {"volume_cy": ""}, 400, "volume_cy"),
    ("pours", {"volume_cy": 12.5}, 400, "volume_cy"),
    ("pours", {"volume_cy": 12}, 400, "volume_cy"),
    ("pours", {"volume_cy": "0.01"}, 201, {"volume_cy": "0.01"}),
    ("pours", {"volume_cy": "99999.99"}, 201, {"volume_cy": "99999.99"}),
    ("pours", {"crew_size_needed": -1}, 400, "crew_size_needed"),
    ("pours", {"crew_size_needed": "3"}, 400, "crew_size_needed"),
    ("pours", {"crew_size_needed": 2.5}, 400, "crew_size_needed"),
    ("pours", {"crew_size_needed": 0}, 201, {"crew_size_needed": 0}),
    ("pours", {"status": "done"}, 400, "status"),
    ("pours", {"status": "canceled"}, 201, {"status": "canceled"}),
    ("pours", {"pump": "yes"}, 400, "pump"),
    ("pours", {"pump": None}, 400, "pump"),
    ("pours", {"mix": 4000}, 400, "mix"),
    ("pours", {"project_id": nobody()}, 400, "project_id"),
    ("pours", {"crew_id": nobody()}, 400, "crew_id"),
    ("pours", {"cancel_reason": "rain"}, 400, "cancel_reason"),
    ("assignments", {"date": "2031-02-30"}, 400, "date"),
    ("assignments", {"date": "20310301"}, 400, "date"),
    ("assignments", {"employee_id": nobody()}, 400, "employee_id"),
    ("assignments", {"pour_id": nobody()}, 400, "pour_id"),
    ("reminders", {"status": "sent"}, 400, "status"),
    ("reminders", {"status": "pending"}, 400, "status"),
    ("reminders", {"sent_at": future()}, 400, "sent_at"),
    ("reminders", {"attempts": 0}, 400, "attempts"),
    ("reminders", {"channel": "fax"}, 400, "channel"),
    ("reminders", {"subject_type": "invoice"}, 400, "subject_type"),
    ("reminders", {"channel": "email", "to": "+15551234567"}, 400, "to"),
    ("reminders", {"channel": "email", "to": "ops at example.com"}, 400, "to"),
    ("reminders", {"channel": "sms", "to": "ops@example.com"}, 400, "to"),
    ("reminders", {"channel": "sms", "to": "5551234567"}, 400, "to"),
    ("reminders", {"channel": "sms", "to": "+1 555 123 4567"}, 400, "to"),
    ("reminders", {"channel": "sms", "to": "+15551234567"}, 201, {"channel": "sms", "to": "+15551234567"}),
    ("reminders", lambda c: {"remind_at": ts(utcnow() - datetime.timedelta(minutes=5))}, 400, "remind_at"),
    ("reminders", {"remind_at": "2031-02-30T10:00:00Z"}, 400, "remind_at"),
    ("reminders", {"remind_at": "tomorrow"}, 400, "remind_at"),
    ("reminders", {"remind_at": 1900000000}, 400, "remind_at"),
    ("reminders", {"subject_id": DROP}, 400, ("subject_id", "subject_type")),
    ("reminders", {"subject_type": DROP}, 400, ("subject_id", "subject_type")),
    ("reminders", {"subject_id": nobody()}, 400, "subject_id"),
    ("reminders", lambda c: {"subject_type": "customer", "subject_id": c["customer"]}, 201,
     {"subject_type": "customer"}),
    ("reminders", {"subject_type": DROP, "subject_id": DROP}, 201, {"subject_type": None, "subject_id": None}),
]

# (collection, patch body (or a function of the context), the field of the 400)
PATCH_CASES = [
    ("employees", {"active": None}, "active"),
    ("employees", {"trade": "welder"}, "trade"),
    ("pours", {"volume_cy": "0"}, "volume_cy"),
    ("pours", {"volume_cy": 5}, "volume_cy"),
    ("pours", {"start_time": "24:00"}, "start_time"),
    ("pours", {"crew_size_needed": -3}, "crew_size_needed"),
    ("pours", {"status": None}, "status"),
    ("pours", {"cancel_reason": "x"}, "cancel_reason"),
    ("projects", {"customer_id": nobody()}, "customer_id"),
    ("crews", {"member_ids": []}, "member_ids"),
    ("reminders", {"status": "sent"}, "status"),
    ("reminders", {"attempts": 3}, "attempts"),
    ("reminders", {"channel": "sms"}, "to"),                     # to stays an email address
    ("reminders", {"to": "+15551234567"}, "to"),                 # channel stays email
    ("reminders", lambda c: {"remind_at": ts(utcnow() - datetime.timedelta(hours=1))}, "remind_at"),
    ("reminders", {"subject_type": None}, ("subject_id", "subject_type")),
]


# --------------------------------------------------------------------------------------------
def _ok(r, status=200, what=""):
    """The JSON of r (None without a body) when its status is `status`."""
    if r.status != status:
        raise AssertionError("%s: expected %d, got %r" % (what, status, r))
    return r.json if r.body else None


def _create(ws, coll, body):
    return _ok(ws.api("POST", "/" + coll, body), 201, "POST /%s %r" % (coll, body))


def error_fields(r):
    try:
        return {e.get("field") for e in r.json.get("errors") or []}
    except ValueError:
        return set()


class Checks:
    def assert_problem(self, r, status, code=None, what=""):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        ct = (r.header("Content-Type") or "").split(";")[0].strip().lower()
        self.assertEqual(ct, "application/problem+json", "%s: %r" % (what, r))
        self.assertEqual(r.json.get("status"), status, what)
        if code is not None:
            self.assertEqual(r.json.get("code"), code, "%s: %r" % (what, r))
        return r.json

    def assert_400(self, r, field=None, what="", code=None):
        self.assert_problem(r, 400, code, what)
        if field is not None:
            want = field if isinstance(field, tuple) else (field,)
            self.assertTrue(error_fields(r) & set(want), "%s: errors[].field should name %s: %r" % (what, want, r))

    ok = staticmethod(_ok)
    create = staticmethod(_create)

    def list_all(self, ws, coll, query="", limit=200):
        """Every row of a list, following next_cursor."""
        rows, cursor = [], None
        for _ in range(1000):
            q = [x for x in (query, "limit=%d" % limit, "cursor=" + cursor if cursor else "") if x]
            j = self.ok(ws.api("GET", "/%s?%s" % (coll, "&".join(q))), 200, "list %s" % coll)
            rows += j["data"]
            cursor = j["next_cursor"]
            if cursor is None:
                return rows
        self.fail("no end to the list of %s" % coll)

    def ids(self, ws, coll, query=""):
        return [x["id"] for x in self.list_all(ws, coll, query)]


def pour_and_day(c):
    """A date of its own and a new pour on it, for an assignment."""
    day = assign_day()
    return {"date": day, "pour_id": c["pour_on"](day)}


def make_parents(ws):
    """A customer, two regions, a project, two employees, a crew and a pour to point at."""
    c = {}
    c["customer"] = _create(ws, "customers", {"name": "Parent Customer"})["id"]
    c["region"] = _create(ws, "regions", {"name": "Parent Region"})["id"]
    c["region2"] = _create(ws, "regions", {"name": "Second Region"})["id"]
    c["project"] = _create(ws, "projects", {"customer_id": c["customer"], "name": "Parent Project"})["id"]
    c["employee"] = _create(ws, "employees", {"name": "Parent Employee"})["id"]
    c["employee2"] = _create(ws, "employees", {"name": "Second Employee"})["id"]
    c["crew"] = _create(ws, "crews", {"name": "Parent Crew"})["id"]
    c["pour"] = _create(ws, "pours", {"project_id": c["project"], "scheduled_date": pour_day(0),
                                      "volume_cy": "10.00", "mix": "3000 psi"})["id"]
    c["pour_on"] = lambda day: _create(ws, "pours", {"project_id": c["project"], "scheduled_date": day,
                                                     "volume_cy": "10.00", "mix": "3000 psi"})["id"]
    return c


def with_overrides(body, overrides):
    out = dict(body)
    for k, v in overrides.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


class RecordsBase(unittest.TestCase, Checks):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            cls.ws = new_workspace(cls.server)
            cls.ctx = make_parents(cls.ws)
            cls.set_up_data()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def set_up_data(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        tail = cls.server.read_log()[-3000:] if errors else ""
        cls.server.cleanup()
        assert errors == [], "sanitizer errors in %s:\n%s\n%s" % (cls.__name__, "\n".join(errors), tail)
        assert rc == 0, "%s: the server exited %r" % (cls.__name__, rc)


# --------------------------------------------------------------------------------------------
class RecordsCrud(RecordsBase):
    """POST, GET, PATCH, DELETE of every collection, and the validation of their bodies."""

    def check_record(self, coll, rec, sent, what):
        spec = SPECS[coll]
        for key in spec["fields"] + ("id", "created_at", "updated_at"):
            self.assertIn(key, rec, "%s: %s missing in %r" % (what, key, rec))
        self.assertRegex(rec["id"], UUID_RE, what)
        for key in ("created_at", "updated_at"):
            self.assertRegex(rec[key], TS_RE, "%s: %s" % (what, key))
            self.assertLess(abs((parse_ts(rec[key]) - utcnow()).total_seconds()), 600, "%s: %s" % (what, key))
        for key, value in sent.items():
            self.assertEqual(rec[key], value, "%s: %s" % (what, key))

    def test_create_get_patch_delete_every_collection(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                body = spec["valid"](self.ctx)
                self.assertEqual(set(body) | set(spec.get("created", {})), set(spec["fields"]),
                                 "the valid body of %s sets every field of API.md" % coll)
                r = self.ws.api("POST", "/" + coll, body)
                rec = self.ok(r, 201, "POST /" + coll)
                self.check_record(coll, rec, dict(body, **spec.get("created", {})), "POST /" + coll)
                self.assertEqual(rec["created_at"], rec["updated_at"])
                got = self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"])), 200, "GET")
                self.assertEqual(got, rec, "GET /%s/{id} returns what POST returned" % coll)

                patch = spec["patch"](self.ctx)
                after = self.ok(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), patch), 200, "PATCH " + coll)
                for key in rec:
                    if key in patch:
                        self.assertEqual(after[key], patch[key], "PATCH %s sets %s" % (coll, key))
                    elif key != "updated_at":
                        self.assertEqual(after[key], rec[key], "PATCH %s leaves %s alone" % (coll, key))
                self.assertGreaterEqual(parse_ts(after["updated_at"]), parse_ts(rec["updated_at"]))
                self.assertEqual(self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"]))), after)

                self.assertEqual(self.ws.api("DELETE", "/%s/%s" % (coll, rec["id"])).status, 204)
                self.assert_problem(self.ws.api("GET", "/%s/%s" % (coll, rec["id"])), 404, "not_found")
                self.assert_problem(self.ws.api("DELETE", "/%s/%s" % (coll, rec["id"])), 404, "not_found")
                self.assert_problem(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), patch), 404, "not_found")
                self.assertNotIn(rec["id"], self.ids(self.ws, coll, spec["query"]))

    def test_required_fields_only_gives_the_defaults(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                full = spec["valid"](self.ctx)
                body = {k: full[k] for k in spec.get("minimal", spec["required"])}
                rec = self.create(self.ws, coll, body)
                self.check_record(coll, rec, dict(body, **spec["defaults"]), "POST /%s minimal" % coll)

    def test_empty_patch_changes_nothing(self):
        recs = {coll: self.create(self.ws, coll, spec["valid"](self.ctx)) for coll, spec in SPECS.items()}
        # timestamps are whole seconds: let a second pass so a moved updated_at would show
        deadline = max(parse_ts(r["updated_at"]) for r in recs.values()) + datetime.timedelta(seconds=1.05)
        while utcnow() < deadline:
            time.sleep(0.05)
        for coll, rec in recs.items():
            with self.subTest(collection=coll):
                r = self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), {})
                self.assertEqual(self.ok(r, 200, "PATCH {} " + coll), rec)
                self.assertEqual(self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"]))), rec)

    def test_unknown_ids(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                for bad in (nobody(), "not-a-uuid"):
                    self.assert_problem(self.ws.api("GET", "/%s/%s" % (coll, bad)), 404, "not_found")
                    self.assert_problem(self.ws.api("DELETE", "/%s/%s" % (coll, bad)), 404, "not_found")
                    self.assert_problem(self.ws.api("PATCH", "/%s/%s" % (coll, bad), spec["patch"](self.ctx)),
                                        404, "not_found")
                    self.assert_problem(self.ws.api("PATCH", "/%s/%s" % (coll, bad), {}), 404, "not_found")

    def test_invalid_body_of_every_collection(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                body, field = spec["invalid"](self.ctx)
                self.assert_400(self.ws.api("POST", "/" + coll, body), field, "POST /%s %r" % (coll, body))

    def test_missing_required_field(self):
        for coll, spec in SPECS.items():
            full = spec["valid"](self.ctx)
            for field in spec["required"]:
                with self.subTest(collection=coll, field=field):
                    body = {k: v for k, v in full.items() if k != field}
                    self.assert_400(self.ws.api("POST", "/" + coll, body), field, "without " + field)
            with self.subTest(collection=coll, field="(all)"):
                r = self.ws.api("POST", "/" + coll, {})
                self.assert_400(r, spec["required"][0])
                self.assertTrue(set(spec["required"]) <= error_fields(r), r)

    def test_unknown_and_read_only_fields(self):
        for coll, spec in SPECS.items():
            full = spec["valid"](self.ctx)
            for field, value in (("colour", "red"), ("id", nobody()), ("created_at", future()),
                                 ("updated_at", future()), ("tenant_id", nobody())):
                with self.subTest(collection=coll, field=field):
                    self.assert_400(self.ws.api("POST", "/" + coll, dict(full, **{field: value})), field)

    def test_wrong_types(self):
        for coll, spec in SPECS.items():
            full = spec["valid"](self.ctx)
            sf = spec["string_field"]
            for value in (12345, True, ["x"], {"x": 1}):
                with self.subTest(collection=coll, field=sf, value=value):
                    self.assert_400(self.ws.api("POST", "/" + coll, dict(full, **{sf: value})), sf)
            with self.subTest(collection=coll, body="not an object"):
                self.assert_problem(self.ws.api("POST", "/" + coll, [full]), 400)
                self.assert_problem(self.ws.api("POST", "/" + coll, raw=b"{\"name\": ",
                                                headers={"Content-Type": "application/json"}), 400)

    def test_name_length_counts_characters(self):
        for coll in NAMED:
            full = SPECS[coll]["valid"](self.ctx)
            with self.subTest(collection=coll):
                self.assert_400(self.ws.api("POST", "/" + coll, dict(full, name="n" * 201)), "name")
                self.assert_400(self.ws.api("POST", "/" + coll, dict(full, name="é" * 201)), "name")
                self.assert_400(self.ws.api("POST", "/" + coll, dict(full, name="")), "name")
                self.assert_problem(self.ws.api("POST", "/" + coll, dict(full, name="a\u0000b")), 400)
                for name in ("n" * 200, "é" * 200, "🏗" * 200):
                    rec = self.create(self.ws, coll, dict(full, name=name))
                    self.assertEqual(rec["name"], name)
                    self.assertEqual(self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"])))["name"], name)
                rec = self.create(self.ws, coll, full)
                self.assert_400(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), {"name": "x" * 201}), "name")
                self.assertEqual(self.ok(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]),
                                                     {"name": "é" * 200}))["name"], "é" * 200)

    def test_create_cases(self):
        for i, (coll, overrides, status, expect) in enumerate(CREATE_CASES):
            ov = overrides(self.ctx) if callable(overrides) else overrides
            body = with_overrides(SPECS[coll]["valid"](self.ctx), ov)
            with self.subTest(case=i, collection=coll, overrides=repr(ov)[:80]):
                r = self.ws.api("POST", "/" + coll, body)
                if status == 400:
                    self.assert_400(r, expect, "POST /%s %r" % (coll, ov))
                else:
                    rec = self.ok(r, status, "POST /%s %r" % (coll, ov))
                    for k, v in expect.items():
                        self.assertEqual(rec[k], v, k)
                    self.assertEqual(self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"]))), rec)

    def test_patch_cases(self):
        recs = {coll: self.create(self.ws, coll, spec["valid"](self.ctx)) for coll, spec in SPECS.items()}
        for coll, rec in recs.items():
            spec = SPECS[coll]
            for field in spec["required"]:
                with self.subTest(collection=coll, null=field):
                    self.assert_400(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), {field: None}), field)
            for field, value in (("colour", "red"), ("id", nobody()), ("created_at", future())):
                with self.subTest(collection=coll, field=field):
                    self.assert_400(self.ws.api("PATCH", "/%s/%s" % (coll, rec["id"]), {field: value}), field)
        for i, (coll, body, field) in enumerate(PATCH_CASES):
            b = body(self.ctx) if callable(body) else body
            with self.subTest(case=i, collection=coll, body=repr(b)[:80]):
                self.assert_400(self.ws.api("PATCH", "/%s/%s" % (coll, recs[coll]["id"]), b), field)
        # nothing of the above changed a record
        for coll, rec in recs.items():
            with self.subTest(collection=coll, unchanged=True):
                self.assertEqual(self.ok(self.ws.api("GET", "/%s/%s" % (coll, rec["id"]))), rec)

    def test_reminder_patch_channel_and_to_together(self):
        rec = self.create(self.ws, "reminders", SPECS["reminders"]["valid"](self.ctx))
        path = "/reminders/" + rec["id"]
        after = self.ok(self.ws.api("PATCH", path, {"channel": "sms", "to": "+447911123456"}))
        self.assertEqual((after["channel"], after["to"]), ("sms", "+447911123456"))
        self.assert_400(self.ws.api("PATCH", path, {"channel": "email"}), "to")
        self.assert_400(self.ws.api("PATCH", path, {"to": "ops@example.com"}), "to")
        after = self.ok(self.ws.api("PATCH", path, {"channel": "email", "to": "ops@example.com"}))
        self.assertEqual((after["channel"], after["to"]), ("email", "ops@example.com"))
        later = future(60)
        self.assertEqual(self.ok(self.ws.api("PATCH", path, {"remind_at": later}))["remind_at"], later)
        self.assertEqual(self.ok(self.ws.api("PATCH", path, {"message": "m2"}))["message"], "m2")
        self.assertEqual(self.ok(self.ws.api("GET", path))["status"], "pending")

    def test_remind_at_offsets_are_returned_in_utc(self):
        when = (utcnow() + datetime.timedelta(days=3)).replace(microsecond=0)
        local = when.astimezone(datetime.timezone(datetime.timedelta(hours=-5))).strftime("%Y-%m-%dT%H:%M:%S-05:00")
        rec = self.create(self.ws, "reminders", dict(SPECS["reminders"]["valid"](self.ctx), remind_at=local))
        self.assertEqual(rec["remind_at"], ts(when))


# --------------------------------------------------------------------------------------------
class RecordsLists(RecordsBase):
    """Lists: envelope, limits, cursors (walks, stability under inserts, tampering), filters."""

    def test_envelope_and_limits(self):
        for coll, spec in SPECS.items():
            q = spec["query"] + "&" if spec["query"] else ""
            with self.subTest(collection=coll):
                j = self.ok(self.ws.api("GET", "/%s?%s" % (coll, spec["query"])))
                self.assertEqual(set(j), {"data", "next_cursor"})
                self.assertIsInstance(j["data"], list)
                for bad in ("0", "201", "abc", "", "-1", "1.5", "1e2", "99999999999999999999"):
                    self.assert_400(self.ws.api("GET", "/%s?%slimit=%s" % (coll, q, bad)), "limit", "limit=" + bad)
                for good in ("1", "200"):
                    self.ok(self.ws.api("GET", "/%s?%slimit=%s" % (coll, q, good)), 200, "limit=" + good)

    def test_default_limit_is_50(self):
        ws = new_workspace(self.server)
        for i in range(51):
            self.create(ws, "regions", {"name": "R%02d" % i})
        j = self.ok(ws.api("GET", "/regions"))
        self.assertEqual(len(j["data"]), 50)
        self.assertIsNotNone(j["next_cursor"])
        j2 = self.ok(ws.api("GET", "/regions?cursor=" + j["next_cursor"]))
        self.assertEqual(len(j2["data"]), 1)
        self.assertIsNone(j2["next_cursor"])

    def test_limit_1_walks_every_row_once(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                made = [self.create(self.ws, coll, spec["valid"](self.ctx))["id"] for _ in range(4)]
                everything = self.ids(self.ws, coll, spec["query"])
                self.assertTrue(set(made) <= set(everything))
                walked = [x["id"] for x in self.list_all(self.ws, coll, spec["query"], limit=1)]
                self.assertEqual(walked, everything)
                self.assertEqual(len(walked), len(set(walked)))
                by3 = [x["id"] for x in self.list_all(self.ws, coll, spec["query"], limit=3)]
                self.assertEqual(by3, everything)

    def test_pages_are_stable_under_inserts(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                for _ in range(5):
                    self.create(self.ws, coll, spec["valid"](self.ctx))
                original = self.ids(self.ws, coll, spec["query"])
                seen, cursor, added = [], None, []
                for _ in range(500):
                    q = [x for x in (spec["query"], "limit=2", "cursor=" + cursor if cursor else "") if x]
                    j = self.ok(self.ws.api("GET", "/%s?%s" % (coll, "&".join(q))))
                    seen += [x["id"] for x in j["data"]]
                    cursor = j["next_cursor"]
                    if cursor is None:
                        break
                    added.append(self.create(self.ws, coll, spec["valid"](self.ctx))["id"])
                self.assertEqual(len(seen), len(set(seen)), "a row came twice")
                self.assertEqual([x for x in seen if x in original], original, "an original row was skipped")
                self.assertTrue(set(seen) <= set(original) | set(added))

    def test_tampered_cursor(self):
        for coll, spec in SPECS.items():
            with self.subTest(collection=coll):
                for _ in range(3):
                    self.create(self.ws, coll, spec["valid"](self.ctx))
                q = spec["query"] + "&" if spec["query"] else ""
                cur = self.ok(self.ws.api("GET", "/%s?%slimit=1" % (coll, q)))["next_cursor"]
                self.assertIsInstance(cur, str)
                for bad in ("!!!", cur[:-3], cur + "AAAA", b64u("hello"), b64u("2031-13-45|" + nobody()),
                            b64u("2031-01-01|not-a-uuid"), b64u("|"), b64u("x" * 150),
                            base64.urlsafe_b64encode(b"\x00\xff\xfe|").decode().rstrip("=")):
                    with self.subTest(cursor=bad):
                        r = self.ws.api("GET", "/%s?%slimit=1&cursor=%s" % (coll, q, bad))
                        self.assert_400(r, "cursor", "cursor %r" % bad)

    def test_a_revoked_session_is_told_so_whatever_the_read_asks(self):
        """A read that fails in the database (a cursor whose date does not parse) under a session
        that has ended answers 401 session_revoked, as a good read does, not the read's 400."""
        ws = new_workspace(self.server)
        week = "/pours?from=2031-01-06&to=2031-01-12&limit=1"
        bad = b64u("2031-13-45|" + nobody())
        self.assert_400(ws.api("GET", week + "&cursor=" + bad), "cursor")
        self.ok(ws.api("GET", week))
        self.assertEqual(ws.api("POST", "/auth/logout").status, 204)
        for q in ("&cursor=" + bad, ""):
            with self.subTest(query=q):
                self.assert_problem(ws.api("GET", week + q), 401, "session_revoked")
        self.assert_problem(ws.api("GET", "/pours/" + nobody()), 401, "session_revoked")

    # ---- filters ----
    def test_customers_q(self):
        ws = new_workspace(self.server)
        names = ["Acme Concrete", "acme ready-mix", "Bolt Pumping", "100% Pure", "ACMEly"]
        ids = {n: self.create(ws, "customers", {"name": n})["id"] for n in names}
        for q, want in (("acme", ["Acme Concrete", "acme ready-mix", "ACMEly"]),
                        ("ACME", ["Acme Concrete", "acme ready-mix", "ACMEly"]),
                        ("ready", ["acme ready-mix"]), ("%25", ["100% Pure"]), ("_", []),
                        ("zzz", []), ("pUmP", ["Bolt Pumping"])):
            with self.subTest(q=q):
                self.assertEqual(sorted(self.ids(ws, "customers", "q=" + q)), sorted(ids[n] for n in want))
        self.assertEqual(sorted(self.ids(ws, "customers", "q=ACME&limit=1")),
                         sorted(ids[n] for n in ("Acme Concrete", "acme ready-mix", "ACMEly")))

    def test_relation_filters(self):
        ws = new_workspace(self.server)
        c1 = self.create(ws, "customers", {"name": "C1"})["id"]
        c2 = self.create(ws, "customers", {"name": "C2"})["id"]
        r1 = self.create(ws, "regions", {"name": "R1"})["id"]
        r2 = self.create(ws, "regions", {"name": "R2"})["id"]
        p = {
            "c1r1": self.create(ws, "projects", {"customer_id": c1, "name": "p", "region_id": r1})["id"],
            "c1r2": self.create(ws, "projects", {"customer_id": c1, "name": "p", "region_id": r2})["id"],
            "c2r1": self.create(ws, "projects", {"customer_id": c2, "name": "p", "region_id": r1})["id"],
            "c2": self.create(ws, "projects", {"customer_id": c2, "name": "p"})["id"],
        }
        eq = lambda coll, q, want: self.assertEqual(sorted(self.ids(ws, coll, q)), sorted(want), "%s?%s" % (coll, q))
        eq("projects", "customer_id=" + c1, [p["c1r1"], p["c1r2"]])
        eq("projects", "customer_id=" + c2, [p["c2r1"], p["c2"]])
        eq("projects", "region_id=" + r1, [p["c1r1"], p["c2r1"]])
        eq("projects", "region_id=%s&customer_id=%s" % (r1, c2), [p["c2r1"]])
        eq("projects", "region_id=" + nobody(), [])

        e = {
            "r1_placer": self.create(ws, "employees", {"name": "a", "region_id": r1, "trade": "placer"})["id"],
            "r1_off": self.create(ws, "employees", {"name": "b", "region_id": r1, "trade": "driver",
                                                    "active": False})["id"],
            "r2_placer": self.create(ws, "employees", {"name": "c", "region_id": r2, "trade": "placer"})["id"],
            "none_off": self.create(ws, "employees", {"name": "d", "active": False})["id"],
        }
        eq("employees", "region_id=" + r1, [e["r1_placer"], e["r1_off"]])
        eq("employees", "active=false", [e["r1_off"], e["none_off"]])
        eq("employees", "active=true", [e["r1_placer"], e["r2_placer"]])
        eq("employees", "trade=placer", [e["r1_placer"], e["r2_placer"]])
        eq("employees", "trade=placer&region_id=" + r2, [e["r2_placer"]])
        eq("employees", "trade=foreman", [])
        eq("employees", "active=false&region_id=" + r1, [e["r1_off"]])

        cr1 = self.create(ws, "crews", {"name": "k1", "region_id": r1})["id"]
        cr2 = self.create(ws, "crews", {"name": "k2", "region_id": r2})["id"]
        self.create(ws, "crews", {"name": "k3"})
        eq("crews", "region_id=" + r1, [cr1])
        eq("crews", "region_id=" + r2, [cr2])

        d = lambda n: (POUR_BASE + datetime.timedelta(days=n)).isoformat()
        mk = lambda proj, day, **kw: self.create(ws, "pours", dict({"project_id": proj, "scheduled_date": d(day),
                                                                     "volume_cy": "5.00", "mix": "m"}, **kw))["id"]
        po = {
            "a": mk(p["c1r1"], 0, status="confirmed", crew_id=cr1),
            "b": mk(p["c1r2"], 1, crew_id=cr2),
            "c": mk(p["c2r1"], 5, status="canceled"),
            "d": mk(p["c2"], 10, crew_id=cr1),
            "e": mk(p["c1r1"], 92),
            "f": mk(p["c1r1"], 93),
        }
        rng = "from=%s&to=%s" % (d(0), d(92))
        eq("pours", rng, [po[k] for k in "abcde"])
        self.assertEqual(self.ids(ws, "pours", rng), [po[k] for k in "abcde"], "pours come in date order")
        eq("pours", "from=%s&to=%s" % (d(1), d(5)), [po["b"], po["c"]])
        eq("pours", "from=%s&to=%s" % (d(5), d(5)), [po["c"]])
        eq("pours", rng + "&status=canceled", [po["c"]])
        eq("pours", rng + "&status=tentative", [po["b"], po["d"], po["e"]])
        eq("pours", rng + "&project_id=" + p["c1r1"], [po["a"], po["e"]])
        eq("pours", rng + "&region_id=" + r1, [po["a"], po["c"], po["e"]])
        eq("pours", rng + "&region_id=" + r2, [po["b"]])
        eq("pours", rng + "&crew_id=" + cr1, [po["a"], po["d"]])
        eq("pours", rng + "&crew_id=%s&region_id=%s" % (cr1, r1), [po["a"]])

        em, em2 = e["r1_placer"], e["r2_placer"]
        mka = lambda emp, day, pour=None: self.create(ws, "assignments", {"employee_id": emp, "date": d(day),
                                                                         "pour_id": pour})["id"]
        a = {"1": mka(em, 0, po["a"]), "2": mka(em, 1), "3": mka(em2, 1, po["b"]), "4": mka(em2, 0, po["a"]),
             "5": mka(em, 40), "6": mka(em2, 3)}
        eq("assignments", "", a.values())
        eq("assignments", "from=" + d(1), [a["2"], a["3"], a["5"], a["6"]])
        eq("assignments", "to=" + d(1), [a["1"], a["2"], a["3"], a["4"]])
        eq("assignments", "from=%s&to=%s" % (d(1), d(3)), [a["2"], a["3"], a["6"]])
        eq("assignments", "employee_id=" + em, [a["1"], a["2"], a["5"]])
        eq("assignments", "pour_id=" + po["a"], [a["1"], a["4"]])
        eq("assignments", "pour_id=%s&employee_id=%s" % (po["a"], em2), [a["4"]])
        self.assertEqual(self.ids(ws, "assignments", "employee_id=" + em), [a["1"], a["2"], a["5"]],
                         "assignments come in date order")

        base = {"channel": "email", "to": "x@example.com", "message": "m"}
        rm = [self.create(ws, "reminders", dict(base, remind_at=future(d_)))["id"] for d_ in (1, 2, 3)]
        self.server.psql("update app.reminders set status = 'sent', sent_at = now(), attempts = 1 where id = '%s'"
                         % rm[1], user="postgres")
        eq("reminders", "status=pending", [rm[0], rm[2]])
        eq("reminders", "status=sent", [rm[1]])
        eq("reminders", "status=failed", [])
        day = lambda n: (utcnow() + datetime.timedelta(days=n)).date().isoformat()
        eq("reminders", "from=" + day(2), [rm[1], rm[2]])
        eq("reminders", "to=" + day(2), [rm[0], rm[1]])
        eq("reminders", "from=%s&to=%s" % (day(2), day(2)), [rm[1]])
        eq("reminders", "status=pending&from=" + day(2), [rm[2]])
        self.assertEqual(self.ok(ws.api("GET", "/reminders/" + rm[1]))["status"], "sent")

    def test_bad_filters(self):
        rng = POUR_RANGE
        for path, field in (("/projects?customer_id=abc", "customer_id"),
                            ("/projects?region_id=1", "region_id"),
                            ("/employees?region_id=x", "region_id"),
                            ("/employees?active=yes", "active"),
                            ("/employees?active=", "active"),
                            ("/employees?trade=plumber", "trade"),
                            ("/crews?region_id=x", "region_id"),
                            ("/pours?" + rng + "&status=done", "status"),
                            ("/pours?" + rng + "&project_id=x", "project_id"),
                            ("/pours?" + rng + "&region_id=x", "region_id"),
                            ("/pours?" + rng + "&crew_id=x", "crew_id"),
                            ("/assignments?from=2031-02-30", "from"),
                            ("/assignments?to=tomorrow", "to"),
                            ("/assignments?employee_id=x", "employee_id"),
                            ("/assignments?pour_id=x", "pour_id"),
                            ("/reminders?status=queued", "status")):
            with self.subTest(path=path):
                self.assert_400(self.ws.api("GET", path), field, path)

    def test_pour_ranges(self):
        d = lambda n: (POUR_BASE + datetime.timedelta(days=n)).isoformat()
        for q, field in (("", ("from", "to")), ("from=" + d(0), "to"), ("to=" + d(0), "from"),
                         ("from=%s&to=%s" % (d(1), d(0)), ("from", "to")),
                         ("from=%s&to=%s" % (d(0), d(93)), ("from", "to")),
                         ("from=%s&to=%s" % (d(0), d(400)), ("from", "to")),
                         ("from=2031-02-30&to=2031-03-10", "from"),
                         ("from=2031-03-01&to=2031-3-10", "to")):
            with self.subTest(q=q):
                self.assert_400(self.ws.api("GET", "/pours?" + q), field, q)
        for q in ("from=%s&to=%s" % (d(0), d(92)), "from=%s&to=%s" % (d(3), d(3)),
                  "from=2031-12-01&to=2032-03-02",          # 92 days across a leap February
                  "from=2032-02-28&to=2032-03-01"):
            with self.subTest(q=q):
                self.ok(self.ws.api("GET", "/pours?" + q), 200, q)
        self.assert_400(self.ws.api("GET", "/pours?from=2031-12-01&to=2032-03-03"), ("from", "to"))


# --------------------------------------------------------------------------------------------
class RecordsConflicts(RecordsBase):
    """References, in_use, double_booked (and its race), crew members, pour cancel, OpenAPI."""

    def assert_in_use(self, coll, rid):
        self.assert_problem(self.ws.api("DELETE", "/%s/%s" % (coll, rid)), 409, "in_use", "DELETE %s" % coll)
        self.ok(self.ws.api("GET", "/%s/%s" % (coll, rid)), 200, "%s still there" % coll)

    def test_delete_in_use(self):
        cust = self.create(self.ws, "customers", {"name": "Busy"})["id"]
        region = self.create(self.ws, "regions", {"name": "Busy region"})["id"]
        proj = self.create(self.ws, "projects", {"customer_id": cust, "name": "P", "region_id": region})["id"]
        pour = self.create(self.ws, "pours", {"project_id": proj, "scheduled_date": pour_day(),
                                              "volume_cy": "3.00", "mix": "m"})["id"]
        emp = self.create(self.ws, "employees", {"name": "E", "region_id": region})["id"]
        asg = self.create(self.ws, "assignments", {"employee_id": emp, "pour_id": pour})["id"]
        foreman = self.create(self.ws, "employees", {"name": "F"})["id"]
        crew = self.create(self.ws, "crews", {"name": "K", "foreman_id": foreman})["id"]
        pour2 = self.create(self.ws, "pours", {"project_id": proj, "scheduled_date": pour_day(),
                                               "volume_cy": "3.00", "mix": "m", "crew_id": crew})["id"]

        self.assert_in_use("customers", cust)      # has a project
        self.assert_in_use("projects", proj)       # has pours
        self.assert_in_use("employees", emp)       # has an assignment
        self.assert_in_use("regions", region)      # a project and an employee are in it
        self.assert_in_use("pours", pour)          # an assignment names it
        self.assert_in_use("employees", foreman)   # leads a crew
        self.assert_in_use("crews", crew)          # a pour names it

        # once nothing points at them, they go, leaf first
        for coll, rid in (("assignments", asg), ("employees", emp), ("pours", pour), ("pours", pour2),
                          ("crews", crew), ("employees", foreman), ("projects", proj), ("customers", cust),
                          ("regions", region)):
            self.assertEqual(self.ws.api("DELETE", "/%s/%s" % (coll, rid)).status, 204, coll)

    def test_delete_the_subject_of_a_reminder(self):
        """A reminder about a customer, project or pour points at it: deleting that record is
        409 in_use (nothing else points at these), and the reminder stays editable."""
        c = self.ctx
        subjects = (("customer", "customers", self.create(self.ws, "customers", {"name": "Subject"})["id"]),
                    ("project", "projects", self.create(self.ws, "projects", {"customer_id": c["customer"],
                                                                              "name": "Subject"})["id"]),
                    ("pour", "pours", self.create(self.ws, "pours", {"project_id": c["project"], "volume_cy": "1.00",
                                                                     "scheduled_date": pour_day(), "mix": "m"})["id"]))
        for kind, coll, rid in subjects:
            with self.subTest(subject=kind):
                rem = self.create(self.ws, "reminders", {"remind_at": future(), "channel": "email",
                                                         "to": "a@example.com", "message": "about a " + kind,
                                                         "subject_type": kind, "subject_id": rid})["id"]
                self.assert_in_use(coll, rid)
                self.ok(self.ws.api("PATCH", "/reminders/" + rem, {"message": "still editable"}))
                self.assertEqual(self.ws.api("DELETE", "/reminders/" + rem).status, 204)
                self.assertEqual(self.ws.api("DELETE", "/%s/%s" % (coll, rid)).status, 204, coll)

    def test_deleting_a_crew_member_leaves_the_crew(self):
        e1 = self.create(self.ws, "employees", {"name": "M1"})["id"]
        e2 = self.create(self.ws, "employees", {"name": "M2"})["id"]
        crew = self.create(self.ws, "crews", {"name": "K"})["id"]
        self.ok(self.ws.api("PUT", "/crews/%s/members" % crew, {"employee_ids": [e1, e2]}))
        self.assertEqual(self.ws.api("DELETE", "/employees/" + e1).status, 204)
        self.assertEqual(self.ok(self.ws.api("GET", "/crews/" + crew))["member_ids"], [e2])

    def test_double_booked(self):
        emp = self.create(self.ws, "employees", {"name": "Once"})["id"]
        day, other = assign_day(), assign_day()
        first = self.create(self.ws, "assignments", {"employee_id": emp, "date": day})
        p = self.assert_problem(self.ws.api("POST", "/assignments", {"employee_id": emp, "date": day,
                                                                     "pour_id": self.ctx["pour_on"](day)}),
                                409, "double_booked")
        self.assertIn("employee_id", error_fields_of(p))
        # another employee that day, and this one another day, are fine
        self.create(self.ws, "assignments", {"employee_id": self.ctx["employee2"], "date": day})
        second = self.create(self.ws, "assignments", {"employee_id": emp, "date": other})
        # moving the second onto the first's date is the same conflict
        self.assert_problem(self.ws.api("PATCH", "/assignments/" + second["id"], {"date": day}), 409, "double_booked")
        emp2 = self.create(self.ws, "employees", {"name": "Twice"})["id"]
        self.create(self.ws, "assignments", {"employee_id": emp2, "date": day})
        self.assert_problem(self.ws.api("PATCH", "/assignments/" + first["id"], {"employee_id": emp2}),
                            409, "double_booked")
        self.assertEqual(self.ids(self.ws, "assignments", "employee_id=%s&from=%s&to=%s" % (emp, day, day)),
                         [first["id"]])
        # after deleting the first, the date is free again
        self.assertEqual(self.ws.api("DELETE", "/assignments/" + first["id"]).status, 204)
        self.ok(self.ws.api("PATCH", "/assignments/" + second["id"], {"date": day}))

    def test_double_booking_race(self):
        emp = self.create(self.ws, "employees", {"name": "Raced"})["id"]
        day = assign_day()
        n = 10
        barrier = threading.Barrier(n)
        results = [None] * n

        def fire(i):
            conn = self.server.connection()
            try:
                conn.connect()
                barrier.wait(timeout=30)
                results[i] = self.server.api("POST", "/assignments", {"employee_id": emp, "date": day,
                                                                      "role": "r%d" % i},
                                             token=self.ws.token, conn=conn)
            except Exception as e:         # reported below
                results[i] = e
            finally:
                conn.close()

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(getattr(r, "status", repr(r)) for r in results)
        self.assertEqual(statuses, [201] + [409] * (n - 1), results)
        for r in results:
            if r.status == 409:
                self.assertEqual(r.json["code"], "double_booked", r)
        rows = self.list_all(self.ws, "assignments", "employee_id=%s&from=%s&to=%s" % (emp, day, day))
        self.assertEqual(len(rows), 1)
        winner = [r for r in results if r.status == 201][0].json
        self.assertEqual(rows[0], winner)

    def test_crew_members(self):
        es = [self.create(self.ws, "employees", {"name": "Member %d" % i})["id"] for i in range(4)]
        crew = self.create(self.ws, "crews", {"name": "Members"})
        self.assertEqual(crew["member_ids"], [])
        path = "/crews/%s/members" % crew["id"]

        def put(ids):
            got = self.ok(self.ws.api("PUT", path, {"employee_ids": ids}), 200, "PUT members %r" % ids)
            self.assertEqual(got["id"], crew["id"])
            self.assertEqual(got["name"], "Members")
            self.assertEqual(sorted(got["member_ids"]), sorted(set(ids)))
            self.assertEqual(len(got["member_ids"]), len(set(ids)), "duplicates collapse")
            again = self.ok(self.ws.api("GET", "/crews/" + crew["id"]))
            self.assertEqual(sorted(again["member_ids"]), sorted(set(ids)))
            return got

        put([es[0], es[1]])
        put([es[1], es[2], es[1], es[2]])
        put([es[3]])
        put([])
        put(es)
        listed = [c for c in self.list_all(self.ws, "crews") if c["id"] == crew["id"]][0]
        self.assertEqual(sorted(listed["member_ids"]), sorted(es))

        # bad bodies change nothing
        for body, field in (({"employee_ids": [nobody()]}, "employee_ids"),
                            ({"employee_ids": [es[0], nobody()]}, "employee_ids"),
                            ({"employee_ids": ["not-a-uuid"]}, "employee_ids"),
                            ({"employee_ids": es[0]}, "employee_ids"),
                            ({"employee_ids": None}, "employee_ids"),
                            ({}, "employee_ids"),
                            ({"employee_ids": [], "member_ids": []}, "member_ids")):
            with self.subTest(body=body):
                self.assert_400(self.ws.api("PUT", path, body), field)
        self.assertEqual(sorted(self.ok(self.ws.api("GET", "/crews/" + crew["id"]))["member_ids"]), sorted(es))
        self.assert_problem(self.ws.api("PUT", "/crews/%s/members" % nobody(), {"employee_ids": []}), 404)
        self.assert_problem(self.ws.api("PUT", "/crews/x/members", {"employee_ids": []}), 404)
        # PATCH of the crew keeps its members
        self.assertEqual(sorted(self.ok(self.ws.api("PATCH", "/crews/" + crew["id"], {"name": "Renamed"}))
                                ["member_ids"]), sorted(es))

    def test_pour_cancel(self):
        pour = self.create(self.ws, "pours", {"project_id": self.ctx["project"], "scheduled_date": pour_day(),
                                              "volume_cy": "8.00", "mix": "m", "status": "confirmed",
                                              "crew_size_needed": 3})
        r = self.ws.api("POST", "/pours/%s/cancel" % pour["id"], {"reason": "rain"})
        got = self.ok(r, 200, "cancel")
        self.assertEqual(got["status"], "canceled")
        self.assertEqual(got["id"], pour["id"])
        for k in ("project_id", "scheduled_date", "volume_cy", "mix", "crew_size_needed", "created_at"):
            self.assertEqual(got[k], pour[k], k)
        self.assertEqual(self.ok(self.ws.api("GET", "/pours/" + pour["id"]))["status"], "canceled")
        self.assertEqual(got.get("cancel_reason", "rain"), "rain")
        self.assert_problem(self.ws.api("POST", "/pours/%s/cancel" % nobody(), {"reason": "rain"}), 404)
        self.assert_problem(self.ws.api("POST", "/pours/x/cancel", {"reason": "rain"}), 404)
        self.assert_400(self.ws.api("POST", "/pours/%s/cancel" % pour["id"], {"reason": 5}), "reason")
        self.assert_400(self.ws.api("POST", "/pours/%s/cancel" % pour["id"], {"why": "rain"}), "why")
        self.assert_400(self.ws.api("POST", "/pours/%s/cancel" % pour["id"], {"reason": "r" * 501}), "reason")
        # the reason is optional
        p2 = self.create(self.ws, "pours", {"project_id": self.ctx["project"], "scheduled_date": pour_day(),
                                            "volume_cy": "8.00", "mix": "m"})
        self.assertEqual(self.ok(self.ws.api("POST", "/pours/%s/cancel" % p2["id"]))["status"], "canceled")

    def test_references_name_the_field(self):
        c = self.ctx
        for coll, body, field in (
                ("projects", {"customer_id": nobody(), "name": "p"}, "customer_id"),
                ("projects", {"customer_id": c["customer"], "name": "p", "region_id": nobody()}, "region_id"),
                ("employees", {"name": "e", "region_id": nobody()}, "region_id"),
                ("crews", {"name": "k", "region_id": nobody()}, "region_id"),
                ("crews", {"name": "k", "foreman_id": nobody()}, "foreman_id"),
                ("pours", {"project_id": nobody(), "scheduled_date": pour_day(), "volume_cy": "1.00", "mix": "m"},
                 "project_id"),
                ("pours", {"project_id": c["project"], "scheduled_date": pour_day(), "volume_cy": "1.00", "mix": "m",
                           "crew_id": nobody()}, "crew_id"),
                ("assignments", {"employee_id": nobody(), "date": assign_day()}, "employee_id"),
                ("assignments", {"employee_id": c["employee2"], "date": assign_day(), "pour_id": nobody()},
                 "pour_id"),
                ("reminders", {"remind_at": future(), "channel": "email", "to": "a@example.com", "message": "m",
                               "subject_type": "pour", "subject_id": c["project"]}, "subject_id")):
            with self.subTest(collection=coll, field=field):
                self.assert_400(self.ws.api("POST", "/" + coll, body), field)
        proj = self.create(self.ws, "projects", {"customer_id": c["customer"], "name": "ref"})
        self.assert_400(self.ws.api("PATCH", "/projects/" + proj["id"], {"region_id": nobody()}), "region_id")
        self.assertEqual(self.ok(self.ws.api("GET", "/projects/" + proj["id"])), proj)

    def test_openapi_lists_the_operating_data(self):
        doc = self.ok(self.server.request("GET", "/api/v1/openapi.json"))
        paths = doc["paths"]
        want = {}
        for coll in SPECS:
            want["/api/v1/" + coll] = {"get", "post"}
            want["/api/v1/%s/{id}" % coll] = {"get", "patch", "delete"}
        want["/api/v1/crews/{id}/members"] = {"put"}
        want["/api/v1/pours/{id}/cancel"] = {"post"}
        want["/api/v1/manpower"] = {"get"}
        for path, methods in want.items():
            with self.subTest(path=path):
                self.assertIn(path, paths)
                self.assertTrue(methods <= set(paths[path]), "%s: %s" % (path, sorted(paths[path])))
        for coll, spec in SPECS.items():
            with self.subTest(schema=coll):
                schema = paths["/api/v1/" + coll]["post"]["requestBody"]["content"]["application/json"]["schema"]
                writable = set(spec["fields"]) - set(spec.get("created", {}))
                self.assertEqual(set(schema["properties"]), writable)
                self.assertEqual(set(schema.get("required", [])), set(spec["required"]))


def error_fields_of(problem):
    return {e.get("field") for e in problem.get("errors") or []}


# --------------------------------------------------------------------------------------------
class Manpower(RecordsBase):
    """GET /manpower over a small known scenario."""

    D = [(datetime.date(2031, 6, 1) + datetime.timedelta(days=i)).isoformat() for i in range(5)]

    @classmethod
    def set_up_data(cls):
        # a workspace of its own: its only regions are the two of the scenario
        ws = cls.mws = new_workspace(cls.server)
        mk = lambda coll, body: _create(ws, coll, body)["id"]
        D = cls.D
        south = cls.south = mk("regions", {"name": "South"})     # made first, sorts second
        north = cls.north = mk("regions", {"name": "North"})
        cust = mk("customers", {"name": "C"})
        p_n = mk("projects", {"customer_id": cust, "name": "north job", "region_id": north})
        p_s = mk("projects", {"customer_id": cust, "name": "south job", "region_id": south})
        p_x = mk("projects", {"customer_id": cust, "name": "no region"})
        emp = lambda name, region, active=True: mk("employees", {"name": name, "region_id": region, "active": active})
        n1, n2, n3 = emp("n1", north), emp("n2", north), emp("n3", north)
        n_off = emp("n-off", north, False)
        s1, s2 = emp("s1", south), emp("s2", south)
        s_off = emp("s-off", south, False)
        x1 = emp("x1", None)
        pour = lambda proj, day, size, **kw: mk("pours", dict({"project_id": proj, "scheduled_date": day,
                                                               "volume_cy": "10.00", "mix": "m",
                                                               "crew_size_needed": size}, **kw))
        # D1: north 4 + 2 (+ 7 canceled, + 5 canceled by the endpoint); south 3; 9 without a region
        a = pour(p_n, D[1], 4, status="confirmed")
        b = pour(p_n, D[1], 2)
        pour(p_n, D[1], 7, status="canceled")
        late = pour(p_n, D[1], 5)
        s_a = pour(p_s, D[1], 3)
        pour(p_x, D[1], 9)
        # D2: north 1 (completed still counts); south 0 sized pour
        c = pour(p_n, D[2], 1, status="completed")
        s_b = pour(p_s, D[2], 0)
        # D0 before and D4 after the asked range
        d0 = pour(p_n, D[0], 50)
        d4 = pour(p_s, D[4], 50)
        asg = lambda e, day, p=None: mk("assignments", {"employee_id": e, "date": day, "pour_id": p})
        # assigned counts the people on a region's pours, wherever they live; available the
        # region's own active people with no assignment that day, on a pour or not
        asg(n1, D[1], a)
        asg(n2, D[1])             # busy, on no pour: not assigned anywhere, not available
        asg(n_off, D[1], b)       # inactive: counts as assigned, never as available
        asg(s1, D[1], a)          # a south employee on a north pour
        asg(x1, D[1], s_a)        # no home region, on a south pour
        asg(s2, D[1], late)       # released when that pour is canceled below
        _ok(ws.api("POST", "/pours/%s/cancel" % late, {"reason": "rain"}))
        asg(n3, D[2], c)
        asg(s_off, D[2], c)
        asg(s2, D[2], s_b)
        asg(s1, D[2])
        asg(n1, D[0], d0)         # outside the range
        asg(s1, D[4], d4)
        N, S = north, south
        cls.expected = [
            # date, region, needed, assigned, available (active north 3, south 2)
            (D[1], N, 6, 3, 1), (D[1], S, 3, 1, 1),
            (D[2], N, 1, 2, 2), (D[2], S, 0, 1, 0),
            (D[3], N, 0, 0, 3), (D[3], S, 0, 0, 2),
        ]

    def rows(self, query):
        j = self.ok(self.mws.api("GET", "/manpower?" + query), 200, query)
        self.assertEqual(set(j), {"data"})
        for row in j["data"]:
            self.assertEqual(set(row), {"date", "region_id", "needed", "assigned", "available"}, row)
            for k in ("needed", "assigned", "available"):
                self.assertIs(type(row[k]), int, row)
        return [(r["date"], r["region_id"], r["needed"], r["assigned"], r["available"]) for r in j["data"]]

    def test_exact_rows(self):
        got = self.rows("from=%s&to=%s" % (self.D[1], self.D[3]))
        self.assertEqual(got, self.expected)

    def test_order_is_date_then_region_name(self):
        got = self.rows("from=%s&to=%s" % (self.D[0], self.D[4]))
        self.assertEqual([(d, r) for d, r, *_ in got],
                         [(d, r) for d in self.D for r in (self.north, self.south)])

    def test_region_filter(self):
        got = self.rows("from=%s&to=%s&region_id=%s" % (self.D[1], self.D[3], self.south))
        self.assertEqual(got, [row for row in self.expected if row[1] == self.south])
        self.assertEqual(self.rows("from=%s&to=%s&region_id=%s" % (self.D[1], self.D[3], nobody())), [])

    def test_single_day_and_empty_workspace(self):
        self.assertEqual(self.rows("from=%s&to=%s" % (self.D[2], self.D[2])), self.expected[2:4])
        ws = new_workspace(self.server)
        j = self.ok(ws.api("GET", "/manpower?from=%s&to=%s" % (self.D[0], self.D[4])))
        self.assertEqual(j, {"data": []})
        r = self.create(ws, "regions", {"name": "Only"})["id"]
        j = self.ok(ws.api("GET", "/manpower?from=%s&to=%s" % (self.D[0], self.D[1])))
        self.assertEqual(j["data"], [{"date": self.D[0], "region_id": r, "needed": 0, "assigned": 0, "available": 0},
                                     {"date": self.D[1], "region_id": r, "needed": 0, "assigned": 0, "available": 0}])

    def test_ranges(self):
        d = lambda n: (datetime.date(2031, 6, 1) + datetime.timedelta(days=n)).isoformat()
        rows = self.rows("from=%s&to=%s" % (d(0), d(92)))
        self.assertEqual(len(rows), 93 * 2)
        for q, field in (("", ("from", "to")), ("from=" + d(0), "to"), ("to=" + d(0), "from"),
                         ("from=%s&to=%s" % (d(0), d(93)), ("from", "to")),
                         ("from=%s&to=%s" % (d(1), d(0)), ("from", "to")),
                         ("from=2031-02-30&to=2031-03-01", "from"),
                         ("from=%s&to=%s&region_id=x" % (d(0), d(1)), "region_id")):
            with self.subTest(q=q):
                self.assert_400(self.mws.api("GET", "/manpower?" + q), field, q)


if __name__ == "__main__":
    unittest.main()
