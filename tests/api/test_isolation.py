"""Tenant isolation over HTTPS (DESIGN.md "Tenant isolation", API.md "Operating data").

Two workspaces, A and B, each full of data. Every signed-in route of src/routes.c (read from
the table itself, so a route added there is attacked here without anyone writing a test) is
called with B's token and A's ids: 404, never 403, and A's data unchanged to the byte; B's
lists, filters and reads never show A's records; every reference to one of A's ids in B's
writes is a 400 naming the field, writing nothing; the roles of the route table hold on every
route (the role below is 403, the role itself may); a signed-out token is 401 everywhere; a
malformed id is 404. A route the tables below know nothing of fails test_route_table_is_covered,
naming it. The crew link (a token instead of a session, routes flagged ROUTE_CREW) reaches its
employee's next 14 days and nothing else of its workspace or any other.

The tests are generated from data (the route table and the tables below) at import time: one
test per route or per case, so the count says how much is covered."""
import base64
import datetime
import io
import itertools
import os
import re
import unittest
import urllib.parse
import zipfile

import opdata
from fixtures import add_member, login, new_workspace
from harness import Server
from opdata import COLLECTIONS, RANGE, day, list_all, random_id, snapshot

# Signed-in writes about the signing-in user's own account or the workspace's administration,
# whose isolation their own suites prove with the fixtures they need (MFA, invitations by
# mail, sessions...). Each is still called here with a signed-out token (401). Every other
# signed-in route is attacked below; a new one must be placed in the tables here.
ELSEWHERE = {
    ("POST", "/auth/logout"): "test_accounts",
    ("POST", "/auth/password/change"): "test_accounts",
    ("PATCH", "/me"): "test_audit_members",
    ("DELETE", "/me"): "test_privacy",
    ("POST", "/me/email"): "test_privacy",
    ("DELETE", "/me/sessions/{id}"): "test_trust",
    ("POST", "/me/mfa/totp"): "test_mfa",
    ("POST", "/me/mfa/totp/activate"): "test_mfa",
    ("DELETE", "/me/mfa/totp"): "test_mfa",
    ("POST", "/me/mfa/recovery-codes"): "test_mfa",
    ("PATCH", "/workspace"): "test_audit_members",
    ("DELETE", "/workspace"): "test_trust",
    ("PATCH", "/members/{user_id}"): "test_audit_members",
    ("DELETE", "/members/{user_id}"): "test_audit_members",
    ("POST", "/invitations"): "test_audit_members",
    ("DELETE", "/invitations/{id}"): "test_audit_members",
    ("DELETE", "/workspace/impersonations/{id}"): "test_trust",
    # these call the payment processor, which test_billing's stand-in plays
    ("POST", "/billing/checkout"): "test_billing",
    ("POST", "/billing/portal"): "test_billing",
    ("GET", "/billing/invoices"): "test_billing",
}

# The body each of them needs to reach the live-session check (the gate validates a body
# first): any well-formed one.
ELSEWHERE_BODY = {
    ("POST", "/auth/password/change"): {"current_password": "x", "new_password": "y"},
    ("DELETE", "/me"): {"password": "x"},
    ("POST", "/me/email"): {"password": "x", "email": "x@example.com"},
    ("POST", "/me/mfa/totp"): {"password": "x"},
    ("POST", "/me/mfa/totp/activate"): {"code": "123456"},
    ("DELETE", "/me/mfa/totp"): {"password": "x", "code": "123456"},
    ("POST", "/me/mfa/recovery-codes"): {"password": "x", "code": "123456"},
    ("DELETE", "/workspace"): {"slug": "x", "password": "x"},
    ("PATCH", "/members/{user_id}"): {"role": "viewer"},
    ("POST", "/invitations"): {"email": "x@example.com", "role": "viewer"},
}

# Of those, the ones naming a record of the workspace in their path: B's owner with each of
# A's ids of that kind (ids(self)) is 404 as for an id of nobody, and A keeps its members,
# invitations and sessions.
ELSEWHERE_FOREIGN = {
    ("PATCH", "/members/{user_id}"): lambda self: [self.a.user_id, self.viewer.user_id, self.admin.user_id],
    ("DELETE", "/members/{user_id}"): lambda self: [self.a.user_id, self.viewer.user_id, self.admin.user_id],
    ("DELETE", "/invitations/{id}"): lambda self: [self.a_invitation["id"]],
    ("DELETE", "/me/sessions/{id}"): lambda self: [opdata.claims(w.token)["sid"] for w in (self.a, self.viewer)],
    # staff access is granted by the platform tool (test_trust): no id of A's here, an id of
    # nobody only
    ("DELETE", "/workspace/impersonations/{id}"): lambda self: [],
}

SESSION_ROUTES = opdata.session_routes()
CREW_ROUTES = opdata.crew_routes()
ROUTES = [r for r in SESSION_ROUTES if (r.method, r.path) not in ELSEWHERE]
ID_ROUTES = [r for r in ROUTES if r.has_id]
LIST_ROUTES = [r for r in ROUTES if not r.has_id and r.method == "GET"]

_fresh = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# The data the tests are made of.

def create_body(coll, d, n=0):
    """A valid POST body for coll in the workspace whose records are d (populate()'s result);
    n makes it unique where it must be (an employee is assigned once a day)."""
    i = lambda c, k=0: d[c][k % len(d[c])]["id"]  # noqa: E731
    return {
        "regions": lambda: {"name": "region %d" % n},
        "customers": lambda: {"name": "customer %d" % n, "email": "new%d@example.com" % n},
        "projects": lambda: {"customer_id": i("customers"), "name": "project %d" % n, "region_id": i("regions")},
        "employees": lambda: {"name": "employee %d" % n, "trade": "placer", "region_id": i("regions")},
        "crews": lambda: {"name": "crew %d" % n, "region_id": i("regions"), "foreman_id": i("employees", 5)},
        "pours": lambda: {"project_id": i("projects"), "scheduled_date": day(40 + n % 30), "volume_cy": "5.25",
                          "mix": "3000 psi", "crew_id": i("crews"), "crew_size_needed": 2},
        # on a pour, the date is the pour's (left out here)
        "assignments": lambda: {"employee_id": i("employees", 5), "pour_id": d["pours"][n % len(d["pours"])]["id"],
                                "role": "helper"},
        "trips": lambda: {"customer_id": i("customers"), "name": "trip %d" % n, "start_date": day(40 + n % 30),
                          "end_date": day(42 + n % 30)},
        "travelers": lambda: {"trip_id": i("trips"), "name": "traveler %d" % n},
        "reminders": lambda: {"remind_at": day(30) + "T09:00:00Z", "channel": "email", "to": "new%d@example.com" % n,
                              "message": "reminder %d" % n, "subject_type": "project", "subject_id": i("projects")},
    }[coll]()


# A change that points at nothing, for PATCH.
PATCH_BODY = {
    "regions": {"name": "changed"},
    "customers": {"name": "changed", "notes": "changed"},
    "projects": {"name": "changed", "zip": "00000"},
    "employees": {"name": "changed", "active": False},
    "crews": {"name": "changed"},
    "pours": {"mix": "changed", "volume_cy": "1.00", "status": "confirmed"},
    "assignments": {"role": "changed"},
    "trips": {"name": "changed", "status": "booked"},
    "travelers": {"name": "changed", "contact": "changed"},
    "reminders": {"message": "changed"},
}

# Bodies of the routes below a record (beyond the five of a collection), from the caller's
# own data. A route missing here is called without a body.
SUB_BODY = {
    ("PUT", "/crews/{id}/members"): lambda d: {"employee_ids": [d["employees"][0]["id"], d["employees"][1]["id"]]},
    ("POST", "/pours/{id}/cancel"): lambda d: {"reason": "changed"},
    ("POST", "/pours/{id}/notify"): lambda d: None,
    ("GET", "/pours/{id}/weather"): lambda d: None,
    ("GET", "/trips/{id}/travelers"): lambda d: None,
    ("POST", "/trips/{id}/travelers"): lambda d: {"name": "changed"},
    ("POST", "/trips/{id}/reminders"): lambda d: {"template": "standard", "channel": "email", "to": "t@example.com"},
    ("POST", "/employees/{id}/crew-link"): lambda d: None,
    ("GET", "/employees/{id}/crew-link"): lambda d: None,
    ("DELETE", "/employees/{id}/crew-link"): lambda d: None,
}

# Routes below a record that leave it as it is.
NO_CHANGE = {("POST", "/pours/{id}/notify"), ("GET", "/pours/{id}/weather"), ("POST", "/employees/{id}/crew-link"),
             ("GET", "/employees/{id}/crew-link"), ("DELETE", "/employees/{id}/crew-link"),
             # these add to the trip (a traveler, reminders), which goes with it when removed
             ("POST", "/trips/{id}/travelers"), ("POST", "/trips/{id}/reminders")}

# Signed-in routes that are neither a collection's nor below a record: the body of a call
# from the caller's own data (writes), and for B's call with A's data in it, the body and
# what the answer must be (check(self, answer)).
OTHER_BODY = {
    ("POST", "/schedule/send"): lambda d: {"date": day(0), "employee_ids": [d["employees"][0]["id"]]},
}
OTHER_EFFECT = {
    ("POST", "/schedule/send"): lambda self, r: self.assertIn(
        self.a_data["employees"][0]["id"], {x["employee_id"] for k in ("queued", "unchanged") for x in r.json[k]}),
}
FOREIGN_BODY = {
    # B sends "its" sheets naming A's people, on the days A has them assigned: nobody queued,
    # each told apart from nothing (not_assigned, the same as for an id of nobody)
    ("POST", "/schedule/send"): (
        lambda self, n: {"date": day(n % 4), "employee_ids": [e["id"] for e in self.a_data["employees"]]},
        lambda self, r: (self.assertEqual((r.json["queued"], r.json["unchanged"], r.json["unreachable"]), ([], [], [])),
                         self.assertEqual(sorted(r.json["not_assigned"]), sorted(self.a_ids("employees"))))),
}

# Reads that are not a collection's list: the query each needs, and what the caller's own
# answer must hold (check(self, ws_data, answer), optional). B's answer must name nothing of A.
READS = {
    ("GET", "/me"): "",
    ("GET", "/me/sessions"): "",
    ("GET", "/me/export"): "",
    ("GET", "/workspace"): "",
    ("GET", "/members"): "",
    ("GET", "/invitations"): "",
    ("GET", "/audit"): "limit=200",
    ("GET", "/audit/verify"): "",
    ("GET", "/audit/export.csv"): "",
    ("GET", "/workspace/impersonations"): "",
    ("GET", "/exports/schedule.xlsx"): RANGE,
    ("GET", "/exports/manpower.xlsx"): RANGE,
    ("GET", "/exports/trips.xlsx"): RANGE,
    ("GET", "/exports/travelers.xlsx"): RANGE,
    ("GET", "/exports/workspace.json"): "",
    ("GET", "/billing"): "",
    ("GET", "/schedule/sheets"): "date=" + day(0),
}
READ_CHECK = {
    # the day's sheets are those of the caller's own people assigned that day
    ("GET", "/schedule/sheets"): lambda self, d, r: self.assertEqual(
        {x["employee_id"] for x in r.json["data"]},
        {a["employee_id"] for a in d["assignments"] if a["date"] == day(0)}),
    # a workbook holds the caller's own records (by their names' tag)
    ("GET", "/exports/schedule.xlsx"): lambda self, d, r: self.assertIn(d["pours"][0]["mix"], self._text(r)),
    ("GET", "/exports/manpower.xlsx"): lambda self, d, r: self.assertIn(d["regions"][0]["name"], self._text(r)),
    ("GET", "/exports/trips.xlsx"): lambda self, d, r: self.assertIn(d["trips"][0]["name"], self._text(r)),
    ("GET", "/exports/travelers.xlsx"): lambda self, d, r: self.assertIn(d["travelers"][0]["name"], self._text(r)),
    ("GET", "/exports/workspace.json"): lambda self, d, r: self.assertTrue(
        opdata.ids(d) <= set(re.findall(r"[0-9a-f-]{36}", r.body.decode()))),
}

# What success may also be, beyond the route table's status: no forecast service is
# configured here, so the forecast is 503 weather_unavailable (API.md).
ALSO_OK = {("GET", "/pours/{id}/weather"): {503}}

# The member of A each role of the route table is played by (the owner: A's own token).
MEMBERS = {"ROLE_VIEWER": "viewer", "ROLE_SCHEDULER": "scheduler", "ROLE_ADMIN": "admin", "ROLE_OWNER": "a"}
RANKS = ["ROLE_VIEWER", "ROLE_SCHEDULER", "ROLE_ADMIN", "ROLE_OWNER"]

# The body of each crew-link route (ROUTE_CREW), from a link's token.
CREW_BODY = {("POST", "/crew/schedule"): lambda token: {"token": token}}

# Query every list needs (pours and manpower want a date range).
LIST_QUERY = {"pours": RANGE, "manpower": RANGE, "schedule": "date=" + day(0)}

# List filters that take an id: (collection, parameter, collection the id is of).
FILTERS = [
    ("projects", "customer_id", "customers"),
    ("projects", "region_id", "regions"),
    ("employees", "region_id", "regions"),
    ("crews", "region_id", "regions"),
    ("pours", "project_id", "projects"),
    ("pours", "crew_id", "crews"),
    ("pours", "region_id", "regions"),
    ("assignments", "employee_id", "employees"),
    ("assignments", "pour_id", "pours"),
    ("manpower", "region_id", "regions"),
    ("trips", "customer_id", "customers"),
    ("travelers", "trip_id", "trips"),
]

# Fields of a write that name a record: (collection, field, collection the id is of, extra body).
REFERENCES = [
    ("projects", "customer_id", "customers", {}),
    ("projects", "region_id", "regions", {}),
    ("employees", "region_id", "regions", {}),
    ("crews", "region_id", "regions", {}),
    ("crews", "foreman_id", "employees", {}),
    ("pours", "project_id", "projects", {}),
    ("pours", "crew_id", "crews", {}),
    ("assignments", "employee_id", "employees", {}),
    ("assignments", "pour_id", "pours", {}),
    ("reminders", "subject_id", "customers", {"subject_type": "customer"}),
    ("reminders", "subject_id", "projects", {"subject_type": "project"}),
    ("reminders", "subject_id", "pours", {"subject_type": "pour"}),
    ("reminders", "subject_id", "trips", {"subject_type": "trip"}),
    ("trips", "customer_id", "customers", {}),
    ("travelers", "trip_id", "trips", {}),
]

# Ids in paths that are not UUIDs at all, made from one real id.
MALFORMED_IDS = [
    lambda i: "not-a-uuid",
    lambda i: "0",
    lambda i: "00000000-0000-0000-0000-00000000000g",
    lambda i: i + "x",
    lambda i: i[:35],
    lambda i: i + "0",
    lambda i: i.replace("-", ""),
    lambda i: urllib.parse.quote("' or '1'='1", safe=""),
    lambda i: urllib.parse.quote(i + "'--", safe=""),
    lambda i: urllib.parse.quote(i + " ", safe=""),
    lambda i: "%00",
]


def route_body(route, d, n=0):
    if (route.method, route.path) in OTHER_BODY:
        return OTHER_BODY[(route.method, route.path)](d)
    if route.method == "POST" and not route.has_id:
        return create_body(route.collection, d, n)
    if route.method == "PATCH":
        return dict(PATCH_BODY[route.collection])
    if route.path.count("/") > 2:
        f = SUB_BODY.get((route.method, route.path))
        return f(d) if f else None
    return None


def list_url(route, extra=""):
    q = READS.get((route.method, route.path), LIST_QUERY.get(route.collection, ""))
    q = "&".join(x for x in (q, extra) if x)
    return route.path + ("?" + q if q else "")


# ---------------------------------------------------------------------------------------------

class TenantIsolation(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            s = cls.server
            cls.a = new_workspace(s)
            cls.b = new_workspace(s)
            cls.a_data = opdata.populate(cls.a, "alpha", 100)
            cls.b_data = opdata.populate(cls.b, "bravo", 1)
            cls.a_snap = snapshot(cls.a)
            cls.b_snap = snapshot(cls.b)
            cls.viewer = add_member(s, cls.a, "viewer")
            cls.scheduler = add_member(s, cls.a, "scheduler")
            cls.admin = add_member(s, cls.a, "admin")
            # each workspace's first two people have a crew link (A's untouched by B, below)
            cls.a_links = cls.links(cls.a, cls.a_data)
            cls.b_links = cls.links(cls.b, cls.b_data)
            cls.crew_setup()
            r = cls.a.api("POST", "/invitations", {"email": "invited-%s@example.com" % random_id()[:8], "role": "viewer"})
            assert r.status == 201, r
            cls.a_invitation = r.json
            cls.a_admin_state = cls.admin_state(cls.a)
            # B signed in a second time, then signed out: that token's session is revoked
            body = login(s, cls.b.slug, cls.b.email)
            cls.revoked_token = body["access_token"]
            r = s.api("POST", "/auth/logout", token=cls.revoked_token)
            assert r.status == 204, r
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        s = cls.server
        early = s.proc.poll() if s.proc else None     # it stopped before we asked it to
        rc = s.stop()
        errors = s.sanitizer_errors() if os.path.exists(s.log_path) else []
        tail = s.read_log()[-3000:] if errors or early is not None else ""
        s.cleanup()
        assert not errors, "sanitizer errors:\n%s\n%s" % ("\n".join(errors), tail)
        assert early is None, "the server stopped by itself during the tests (exit %r):\n%s" % (early, tail)
        assert rc == 0, "the server exited %r" % rc

    @staticmethod
    def links(ws, data, make=True):
        """The crew links of ws's first two employees as GET shows them (made first)."""
        out = []
        for e in data["employees"][:2]:
            if make:
                r = ws.api("POST", "/employees/%s/crew-link" % e["id"])
                assert r.status == 201, r
            r = ws.api("GET", "/employees/%s/crew-link" % e["id"])
            assert r.status == 200 and r.json["active"], r
            out.append(r.json)
        return out

    @staticmethod
    def admin_state(ws):
        """ws's members with their roles, its pending invitations, and whether its owner's
        session is alive."""
        members = ws.api("GET", "/members?limit=200")
        invitations = ws.api("GET", "/invitations?limit=200")
        assert members.status == 200 and invitations.status == 200, (members, invitations)
        return (sorted((m["user_id"], m["role"]) for m in members.json["data"]),
                sorted(i["id"] for i in invitations.json["data"]), ws.api("GET", "/me").status)

    @classmethod
    def crew_setup(cls):
        """A third workspace C whose employee 0 has a crew link and, in the link's window,
        a pour with a mate on it; the mate also has a pour of their own the same week."""
        s = cls.server
        cls.c = new_workspace(s)
        cls.c_data = opdata.populate(cls.c, "charlie", 50)
        d, emp = cls.c_data, cls.c_data["employees"]
        soon = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

        def post(path, body):
            r = cls.c.api("POST", path, body)
            assert r.status == 201, r
            return r.json
        cls.c_pour = post("/pours", {"project_id": d["projects"][0]["id"], "scheduled_date": soon, "volume_cy": "9",
                                     "mix": "charlie soon", "crew_id": d["crews"][0]["id"]})
        cls.c_mate_pour = post("/pours", {"project_id": d["projects"][1]["id"], "scheduled_date": soon,
                                          "volume_cy": "4", "mix": "charlie mate", "crew_id": d["crews"][1]["id"]})
        post("/assignments", {"employee_id": emp[0]["id"], "pour_id": cls.c_pour["id"], "role": "charlie link role"})
        post("/assignments", {"employee_id": emp[1]["id"], "pour_id": cls.c_mate_pour["id"], "role": "mate role"})
        cls.c_token = post("/employees/%s/crew-link" % emp[0]["id"], None)["url"].split("#token=")[1]

    # ---- helpers ----
    def a_ids(self, coll=None):
        return opdata.ids(self.a_data, coll)

    def b_ids(self, coll=None):
        return opdata.ids(self.b_data, coll)

    def assertUnchanged(self):
        """A and B see exactly what they saw after the fixtures were made, crew links too."""
        self.assertEqual(snapshot(self.a), self.a_snap, "A's data changed")
        self.assertEqual(snapshot(self.b), self.b_snap, "B's data changed")
        self.assertEqual(self.links(self.a, self.a_data, make=False), self.a_links, "A's crew links changed")

    def assertProblem(self, r, status, code=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("content-type"), "application/problem+json", r)
        if code:
            self.assertEqual(r.json["code"], code, r)

    def assertNamesField(self, r, field):
        self.assertProblem(r, 400)
        fields = [e.get("field") for e in r.json.get("errors", [])]
        self.assertIn(field, fields, r)
        self.assertNotIn(self.a.id, r.body.decode(), "the answer names A's workspace")

    # ---- the route table itself ----
    def test_route_table_is_covered(self):
        """Every signed-in route of src/routes.c is attacked here with data from the tables
        above, or named in ELSEWHERE; every collection of the fixtures is served (a new
        collection must be added to opdata.populate); every crew-link route has a body."""
        self.assertGreaterEqual(len(ROUTES), 8 * 5 + 3 + 5 + len(READS))
        served = {r.collection for r in ROUTES}
        self.assertLessEqual(set(COLLECTIONS), served)
        missing = []
        for r in ROUTES:
            key = (r.method, r.path)
            self.assertEqual(r.auth, "AUTH_SESSION", r)
            self.assertIn(r.role, MEMBERS, r)
            if r.method != "GET":
                self.assertNotIn(r.role, ("ROLE_VIEWER", "ROLE_NONE"), "%r lets a viewer write" % r)
            collection_shape = r.collection in COLLECTIONS and r.path.count("/") <= 2
            known = (collection_shape or key in SUB_BODY or key in OTHER_BODY or key in READS
                     or r.path == "/manpower")
            if not known:
                missing.append("%r: its body or query (SUB_BODY, OTHER_BODY, READS)" % r)
            if r.method != "GET" and not r.has_id and not collection_shape and key not in FOREIGN_BODY:
                missing.append("%r: how B calls it with A's data (FOREIGN_BODY)" % r)
        self.assertEqual(missing, [], "signed-in routes with no data here: add them to the tables of "
                                      "tests/api/test_isolation.py (or to ELSEWHERE, naming the suite)")
        self.assertEqual(sorted(k for k in ELSEWHERE if k not in {(r.method, r.path) for r in SESSION_ROUTES}), [],
                         "ELSEWHERE names routes the table no longer has")
        # a route proven elsewhere that names a record in its path is still attacked with A's ids
        for r in SESSION_ROUTES:
            if (r.method, r.path) in ELSEWHERE and "{" in r.path:
                self.assertIn((r.method, r.path), ELSEWHERE_FOREIGN, "%r: A's ids for it in ELSEWHERE_FOREIGN" % r)
        for r in CREW_ROUTES:
            self.assertIn((r.method, r.path), CREW_BODY, "no body for the crew route %r in CREW_BODY" % r)
        self.assertTrue(CREW_ROUTES)

    def test_fixtures_are_full(self):
        for c in COLLECTIONS:
            self.assertGreaterEqual(len(self.a_snap[c]), 2, c)
            self.assertEqual({x["id"] for x in self.a_snap[c]}, self.a_ids(c), c)
            self.assertEqual({x["id"] for x in self.b_snap[c]}, self.b_ids(c), c)
        self.assertTrue(all(c["member_ids"] for c in self.a_snap["crews"]))
        self.assertTrue(self.a_snap["manpower"])

    # ---- one thing of the others ----
    def _foreign_id(self, route):
        """B calls route with each of A's ids: 404 not_found, the same answer as for an id
        that exists nowhere; then nobody's data changed."""
        body = route_body(route, self.b_data)
        nowhere = self.server.api(route.method, route.url(random_id()), body, token=self.b.token)
        self.assertProblem(nowhere, 404, "not_found")
        n = 0
        for rec in self.a_data[route.collection]:
            r = self.server.api(route.method, route.url(rec["id"]), body, token=self.b.token)
            self.assertProblem(r, 404, "not_found")
            self.assertEqual(r.json, nowhere.json, "A's id is told apart from no id")
            self.assertNotIn(rec["id"], r.body.decode())
            n += 1
        self.assertGreaterEqual(n, 2)
        # non-canonical spellings of A's ids are no way in either
        rec = self.a_data[route.collection][0]
        for spelling in (rec["id"].upper(), rec["id"].replace("-", ""), "{%s}" % rec["id"]):
            r = self.server.api(route.method, route.url(spelling), body, token=self.b.token)
            self.assertProblem(r, 404)
        self.assertUnchanged()

    def _foreign_list(self, route):
        """B's list (every page, small pages, and a page after a cursor made of A's record)
        holds B's records only; the manpower projection counts B's only."""
        coll = route.collection
        if (route.method, route.path) in READS:
            return self._foreign_read(route)
        if coll == "manpower":
            r = self.b.api("GET", list_url(route))
            self.assertEqual(r.status, 200, r)
            rows = r.json["data"]
            self.assertEqual({x["region_id"] for x in rows}, self.b_ids("regions"))
            needed = sum(p["crew_size_needed"] for p in self.b_data["pours"])
            self.assertEqual(sum(x["needed"] for x in rows), needed, "A's pours are counted in B's manpower")
            self.assertEqual(sum(x["assigned"] for x in rows), len(self.b_data["assignments"]))
            return
        q = LIST_QUERY.get(coll, "")
        for extra in ("limit=2", "", "limit=1"):
            got = []
            cursor = None
            while True:
                url = "/%s?" % coll + "&".join(x for x in (q, extra, "cursor=" + cursor if cursor else "") if x)
                r = self.b.api("GET", url)
                self.assertEqual(r.status, 200, r)
                got += [x["id"] for x in r.json["data"]]
                cursor = r.json["next_cursor"]
                if not cursor:
                    break
            self.assertFalse(set(got) & self.a_ids(), "B's list shows A's records")
            self.assertEqual(sorted(got), sorted(self.b_ids(coll)))
        # a cursor pointing at A's first record positions only among B's
        a0 = self.a_data[coll][0]
        key = {"pours": a0.get("scheduled_date"), "assignments": a0.get("date"),
               "trips": a0.get("start_date")}.get(coll, "2000-01-01 00:00:00+00")
        cur = base64.urlsafe_b64encode(("%s|%s" % (key, a0["id"])).encode()).decode().rstrip("=")
        r = self.b.api("GET", "/%s?" % coll + "&".join(x for x in (q, "cursor=" + cur) if x))
        self.assertEqual(r.status, 200, r)
        self.assertFalse({x["id"] for x in r.json["data"]} & self.a_ids())
        # wide date ranges and every filter value B could try
        if coll in ("assignments", "reminders"):
            got = {x["id"] for x in list_all(self.b, coll, RANGE)}
            self.assertEqual(got, self.b_ids(coll))
        if coll == "customers":
            for rec in self.a_data["customers"]:
                self.assertEqual(list_all(self.b, coll, "q=" + urllib.parse.quote(rec["name"])), [])
            self.assertEqual(list_all(self.b, coll, "q=alpha"), [])

    def _text(self, r):
        """An answer as text: a workbook's sheets and strings unzipped."""
        if r.body[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(r.body)) as z:
                return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                 if n.startswith(("xl/worksheets/", "xl/sharedStrings")))
        return r.body.decode("utf-8", "replace")

    def _foreign_read(self, route):
        """B's answer (its owner's, or the member of B's with the route's role) names nothing
        of A: no id of A's records, members or workspace, no address, no name of A's data."""
        r = self.b.api("GET", list_url(route))
        self.assertEqual(r.status, 200, r)
        text = self._text(r)
        found = sorted(t for t in self._traces(self.a, self.a_data) | {"alpha"} if t in text)
        self.assertEqual(found, [], "B's %r names A's data" % route)
        check = READ_CHECK.get((route.method, route.path))
        if check:
            check(self, self.b_data, r)

    def _foreign_body(self, route):
        """B calls route with a body naming A's records: the answer the table says, and
        nothing of A's changes."""
        body, check = FOREIGN_BODY[(route.method, route.path)]
        for n in range(4):
            r = self.b.api(route.method, route.path, body(self, n))
            self.assertEqual(r.status, route.status, r)
            check(self, r)
        self.assertUnchanged()

    def _foreign_filter(self, coll, param, of):
        """B filters by each of A's ids: nothing. By its own ids: its own (the filter works)."""
        route = next(r for r in LIST_ROUTES if r.collection == coll)

        def data(ws, id_):
            r = self.b.api("GET", list_url(route, "%s=%s" % (param, id_)))
            self.assertEqual(r.status, 200, r)
            return r.json["data"]
        for rec in self.a_data[of]:
            self.assertEqual(data(self.b, rec["id"]), [], "%s?%s=<A's id> is not empty" % (coll, param))
        own = [x for rec in self.b_data[of] for x in data(self.b, rec["id"])]
        self.assertTrue(own, "the filter finds nothing even in B's own data")
        if coll != "manpower":
            self.assertFalse({x["id"] for x in own} & self.a_ids())

    def _foreign_reference(self, coll, field, of, extra, method):
        """B writes a record of its own naming one of A's ids in field: 400 naming the field,
        the same answer as for an id that exists nowhere, and nothing written."""
        b_target = self.b_data[coll][0]["id"]

        def call(id_):
            if method == "POST":
                body = create_body(coll, self.b_data, next(_fresh))
            else:
                body = {}
            body.update(extra)
            body[field] = id_
            url = "/" + coll if method == "POST" else "/%s/%s" % (coll, b_target)
            return self.b.api(method, url, body)
        nowhere = call(random_id())
        self.assertNamesField(nowhere, field)
        for rec in self.a_data[of]:
            r = call(rec["id"])
            self.assertNamesField(r, field)
            self.assertEqual(r.json, nowhere.json, "A's id is told apart from no id")
        self.assertUnchanged()

    def test_foreign_reference_put_crews_members(self):
        """B sets its crew's members to A's employees (alone or among its own): 400
        naming employee_ids, and the crew keeps its members."""
        crew = self.b_data["crews"][0]["id"]
        mine = [e["id"] for e in self.b_data["employees"]]
        nowhere = self.b.api("PUT", "/crews/%s/members" % crew, {"employee_ids": [random_id()]})
        self.assertNamesField(nowhere, "employee_ids")
        for rec in self.a_data["employees"]:
            for ids in ([rec["id"]], [mine[0], rec["id"]], mine[:1] + [rec["id"]] + mine[1:]):
                r = self.b.api("PUT", "/crews/%s/members" % crew, {"employee_ids": ids})
                self.assertNamesField(r, "employee_ids")
                self.assertEqual(r.json, nowhere.json)
        self.assertUnchanged()

    def test_foreign_reference_in_list_filter_of_other_kind(self):
        """Filters that take no id (dates, status, trade, q) still show B only."""
        for url in ("/trips?status=inquiry", "/trips?%s" % RANGE,
                    "/pours?%s&status=tentative" % RANGE, "/employees?active=true", "/employees?trade=placer",
                    "/reminders?status=pending", "/assignments?from=%s" % opdata.FROM, "/customers?q=customer"):
            r = self.b.api("GET", url)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json["data"], url)
            self.assertFalse({x["id"] for x in r.json["data"]} & self.a_ids(), url)

    # ---- roles ----
    def _member(self, role):
        return getattr(self, MEMBERS[role])

    def _viewer(self, route):
        """A viewer of A reads every route open to viewers and writes none (403), nor reads
        what is for a higher role (403); nothing changes."""
        d = self.a_data
        id_ = d[route.collection][0]["id"] if route.has_id else None
        body = route_body(route, d, next(_fresh))
        r = self.server.api(route.method, route.url(id_) if route.has_id else list_url(route), body,
                            token=self.viewer.token)
        if route.writes or route.role != "ROLE_VIEWER":
            self.assertProblem(r, 403)
            self.assertUnchanged()
        else:
            self.assertIn(r.status, {route.status} | ALSO_OK.get((route.method, route.path), set()), r)
            if (route.method, route.path) in READS:
                self.assertNotEqual(r.body, b"")
                check = READ_CHECK.get((route.method, route.path))
                if check:
                    check(self, d, r)
            elif route.path.count("/") > 2:
                pass
            elif route.has_id:
                want = next(x for x in self.a_snap[route.collection] if x["id"] == id_)
                self.assertEqual(r.json, want)
            elif route.collection != "manpower":
                self.assertEqual({x["id"] for x in list_all(self.a, route.collection, token=self.viewer.token)},
                                 self.a_ids(route.collection))
            else:
                self.assertEqual(r.json["data"], self.a_snap["manpower"])

    def _fresh_record(self, coll):
        """A new record of A made by its owner for a test to change; removed by _remove."""
        r = self.a.api("POST", "/" + coll, create_body(coll, self.a_data, next(_fresh)))
        self.assertEqual(r.status, 201, r)
        return r.json

    def _remove(self, coll, id_):
        r = self.a.api("DELETE", "/%s/%s" % (coll, id_))
        self.assertIn(r.status, (204, 404), r)

    def _below_role(self, route):
        """The member of A just below the route's role is refused (403); nothing changes."""
        below = RANKS[RANKS.index(route.role) - 1]
        d = self.a_data
        id_ = d[route.collection][0]["id"] if route.has_id else None
        r = self.server.api(route.method, route.url(id_) if route.has_id else list_url(route),
                            route_body(route, d, next(_fresh)), token=self._member(below).token)
        self.assertProblem(r, 403)
        self.assertUnchanged()

    def _at_role(self, route):
        """The member of A with exactly the route's role may call it (and it takes effect)."""
        if not route.writes:
            url = route.url(self.a_data[route.collection][0]["id"]) if route.has_id else list_url(route)
            r = self.server.api(route.method, url, None, token=self._member(route.role).token)
            self.assertIn(r.status, {route.status} | ALSO_OK.get((route.method, route.path), set()), r)
            return
        self._scheduler(route, self._member(route.role))

    def _scheduler(self, route, member=None):
        """A scheduler of A writes through every write route (and it takes effect)."""
        coll = route.collection
        rec = self._fresh_record(coll) if route.has_id else None
        made = None
        try:
            body = route_body(route, self.a_data, next(_fresh))
            r = self.server.api(route.method, route.url(rec["id"]) if rec else route.path, body,
                                token=(member or self.scheduler).token)
            self.assertIn(r.status, {route.status} | ALSO_OK.get((route.method, route.path), set()), r)
            if (route.method, route.path) in OTHER_BODY:
                OTHER_EFFECT[(route.method, route.path)](self, r)
            elif (route.method, route.path) in NO_CHANGE:
                self.assertEqual(self.a.api("GET", "/%s/%s" % (coll, rec["id"])).json, rec)
            elif route.method == "POST" and not route.has_id:
                made = r.json["id"]
                self.assertEqual(self.a.api("GET", "/%s/%s" % (coll, made)).status, 200)
            elif route.method == "DELETE":
                self.assertProblem(self.a.api("GET", "/%s/%s" % (coll, rec["id"])), 404)
            else:
                after = self.a.api("GET", "/%s/%s" % (coll, rec["id"])).json
                self.assertNotEqual(after, rec)
                # a cancel's answer also counts the people it released
                self.assertEqual(after, {k: v for k, v in r.json.items() if k != "released"})
        finally:
            for id_ in (made, rec and rec["id"]):
                if id_:
                    self._remove(coll, id_)
        self.assertEqual(snapshot(self.a), self.a_snap)

    # ---- sessions ----
    def _revoked(self, route):
        """The signed-out token is 401 (WWW-Authenticate: Bearer) on every route."""
        d = self.b_data
        id_ = d[route.collection][0]["id"] if route.has_id else None
        body = route_body(route, d, next(_fresh))
        r = self.server.api(route.method, route.url(id_) if route.has_id else list_url(route), body,
                            token=self.revoked_token)
        self.assertProblem(r, 401)
        self.assertTrue((r.header("www-authenticate") or "").startswith("Bearer"), r.headers)

    def test_revoked_session_leaves_others_alone(self):
        """Signing out one session of B's owner leaves B's other session working."""
        self.assertEqual(self.b.api("GET", "/customers").status, 200)
        self.assertProblem(self.server.api("GET", "/me", token=self.revoked_token), 401)

    # ---- what each workspace's own records say about the other ----
    def _all_text(self, ws, path):
        out, cursor = [], None
        for _ in range(200):
            r = ws.api("GET", path + ("?limit=200" + ("&cursor=" + cursor if cursor else "")))
            self.assertEqual(r.status, 200, r)
            out.append(r.body.decode())
            cursor = r.json.get("next_cursor")
            if not cursor:
                return "\n".join(out)
        raise AssertionError("%s does not end" % path)

    def _traces(self, ws, data):
        return {ws.id, ws.user_id, ws.email} | opdata.ids(data)

    def test_zz_audit_logs_and_members_hold_nothing_of_the_other(self):
        """After every attack above (they run first, by name): B's audit log and member list
        name nothing of A (no id, no email), and A's nothing of B."""
        for me, mine, other, theirs in ((self.b, self.b_data, self.a, self.a_data),
                                        (self.a, self.a_data, self.b, self.b_data)):
            for path in ("/audit", "/members"):
                text = self._all_text(me, path)
                found = [t for t in self._traces(other, theirs) if t in text]
                self.assertEqual(found, [], "%s of %s names the other workspace" % (path, me.slug))
            self.assertIn(mine["customers"][0]["id"], self._all_text(me, "/audit"))

    # ---- the crew link: a token instead of a session ----
    def _crew_scope(self, route):
        """C's crew link shows its employee's pour of the window and nothing else: no other
        record of C (not the mate, not the mate's pour), nothing of A or B; A's and B's links
        show nothing of C."""
        body = CREW_BODY[(route.method, route.path)]
        r = self.server.api(route.method, route.path, body(self.c_token))
        self.assertEqual(r.status, route.status, r)
        text = r.body.decode()
        emp = self.c_data["employees"][0]
        self.assertEqual(r.json["employee"]["id"], emp["id"])
        self.assertIn("charlie link role", text)
        uuids = set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))
        self.assertEqual(uuids, {emp["id"], self.c_pour["id"]})
        for other in ("mate role", "charlie mate", self.c_mate_pour["id"], self.c_data["employees"][1]["id"],
                      "alpha", "bravo", self.a.id, self.b.id, self.c.id):
            self.assertNotIn(other, text)
        # A's own link (made for A's employee 0) shows A's employee only
        a_tok = self.a.api("POST", "/employees/%s/crew-link" % self.a_data["employees"][2]["id"]).json["url"]
        r = self.server.api(route.method, route.path, body(a_tok.split("#token=")[1]))
        self.assertEqual(r.status, route.status, r)
        self.assertEqual(r.json["employee"]["id"], self.a_data["employees"][2]["id"])
        self.assertNotIn("charlie", r.body.decode())
        self.assertEqual(self.a.api("DELETE", "/employees/%s/crew-link" % self.a_data["employees"][2]["id"]).status, 204)
        # nothing at all for a token that is no link, and the revoked one stops at once
        for bad in ("", "x" * 43, self.c_token[:-1], self.c_token.upper()):
            r = self.server.api(route.method, route.path, body(bad))
            self.assertIn(r.status, (400, 401), r)
            self.assertNotIn("charlie", r.body.decode())

    def test_crew_link_token_is_no_session_anywhere(self):
        """A crew link's token as a Bearer token is 401 on every signed-in route."""
        for route in SESSION_ROUTES:
            url = route.url(self.c_data["employees"][0]["id"]).replace("{user_id}", self.c.user_id)
            r = self.server.api(route.method, url, None, token=self.c_token)
            self.assertProblem(r, 401)

    def _foreign_elsewhere(self, route):
        """B's owner names A's members, invitation or sessions in the path: 404, the same
        answer as for an id of nobody; A keeps them all."""
        key = (route.method, route.path)
        body = ELSEWHERE_BODY.get(key)

        def call(id_):
            return self.b.api(route.method, route.path.replace("{id}", id_).replace("{user_id}", id_), body)
        nowhere = call(random_id())
        self.assertProblem(nowhere, 404, "not_found")
        for id_ in ELSEWHERE_FOREIGN[key](self):
            r = call(id_)
            self.assertProblem(r, 404, "not_found")
            self.assertEqual(r.json, nowhere.json, "A's id is told apart from no id")
        self.assertEqual(self.admin_state(self.a), self.a_admin_state, "A's members, invitations or session changed")
        self.assertEqual(self.viewer.api("GET", "/me").status, 200)

    def _revoked_elsewhere(self, route):
        """A signed-out token is 401 on the routes proven elsewhere too (before any body)."""
        url = route.path.replace("{id}", random_id()).replace("{user_id}", random_id())
        r = self.server.api(route.method, url, ELSEWHERE_BODY.get((route.method, route.path)),
                            token=self.revoked_token)
        self.assertProblem(r, 401)

    # ---- malformed ids ----
    def _malformed(self, route):
        """A path whose id is not a UUID is 404 (never 400 or 500), for the owner too."""
        rec = self.a_data[route.collection][0]["id"]
        body = route_body(route, self.a_data, next(_fresh))
        for m in MALFORMED_IDS:
            bad = m(rec)
            r = self.server.api(route.method, route.url(bad), body, token=self.a.token)
            self.assertEqual(r.status, 404, "%s %s: %r" % (route.method, route.url(bad), r))
        self.assertUnchanged()


def _add(name, fn, doc):
    fn.__name__ = name
    fn.__doc__ = doc
    assert not hasattr(TenantIsolation, name), name
    setattr(TenantIsolation, name, fn)


def _generate():
    for route in ID_ROUTES:
        _add("test_foreign_id_" + route.name, lambda self, r=route: self._foreign_id(r),
             "B's token, %r with each of A's ids: 404, A unchanged" % route)
        _add("test_malformed_id_" + route.name, lambda self, r=route: self._malformed(r),
             "%r with ids that are not UUIDs: 404" % route)
    for route in LIST_ROUTES:
        _add("test_foreign_list_" + route.name, lambda self, r=route: self._foreign_list(r),
             "B's %r holds none of A's records" % route)
    for coll, param, of in FILTERS:
        _add("test_foreign_filter_%s_%s" % (coll, param),
             lambda self, c=coll, p=param, o=of: self._foreign_filter(c, p, o),
             "B's /%s?%s=<A's %s id>: empty" % (coll, param, of))
    for coll, field, of, extra in REFERENCES:
        for method in ("POST", "PATCH"):
            _add("test_foreign_reference_%s_%s_%s_%s" % (method.lower(), coll, field, of),
                 lambda self, c=coll, f=field, o=of, e=extra, m=method: self._foreign_reference(c, f, o, e, m),
                 "B's %s /%s with %s = A's %s: 400 naming %s, nothing written" % (method, coll, field, of, field))
    for route in ROUTES:
        _add("test_viewer_" + route.name, lambda self, r=route: self._viewer(r),
             "a viewer of A: %r is %s" % (route, "allowed" if route.role == "ROLE_VIEWER" and not route.writes
                                          else "403"))
        if route.writes and route.role == "ROLE_SCHEDULER":
            _add("test_scheduler_" + route.name, lambda self, r=route: self._scheduler(r),
                 "a scheduler of A may %r" % route)
        if route.role in ("ROLE_ADMIN", "ROLE_OWNER"):
            _add("test_below_role_" + route.name, lambda self, r=route: self._below_role(r),
                 "the role below %s: %r is 403" % (route.role, route))
            _add("test_at_role_" + route.name, lambda self, r=route: self._at_role(r),
                 "%s of A may %r" % (route.role, route))
        if (route.method, route.path) in FOREIGN_BODY:
            _add("test_foreign_body_" + route.name, lambda self, r=route: self._foreign_body(r),
                 "B's %r naming A's records: nothing of A" % route)
        _add("test_revoked_" + route.name, lambda self, r=route: self._revoked(r),
             "a signed-out token: %r is 401" % route)
    for route in SESSION_ROUTES:
        if (route.method, route.path) in ELSEWHERE:
            _add("test_revoked_" + route.name, lambda self, r=route: self._revoked_elsewhere(r),
                 "a signed-out token: %r is 401" % route)
        if (route.method, route.path) in ELSEWHERE_FOREIGN:
            _add("test_foreign_id_" + route.name, lambda self, r=route: self._foreign_elsewhere(r),
                 "B's owner, %r with A's ids: 404, A unchanged" % route)
    for route in CREW_ROUTES:
        _add("test_crew_scope_" + route.name, lambda self, r=route: self._crew_scope(r),
             "a crew link with %r reaches its employee's window only" % route)


_generate()

if __name__ == "__main__":
    unittest.main()
