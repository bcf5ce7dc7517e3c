"""The schedule never contradicts itself (API.md "Operating data"), over real HTTPS against the
real server and its database: an assignment on a pour is on the pour's date; moving a pour moves
its people or is 409 double_booked naming them, and nothing changes; cancelling releases its
people (released) and a canceled pour takes nobody (409 pour_canceled); pours carry conflicts
(the same crew on the same day); every change made on the pour's behalf is audited in the
pour's transaction. Races: two schedulers moving pours onto the same people, people assigned
while their pour is canceled, and a few hundred random operations from two clients at once with
the invariants checked against the database after every step.

tests/sql/schedule.sql (pgTAP, as planyard_app) proves the same rules hold for plain SQL:
ScheduleSql below runs it."""
import datetime
import itertools
import json
import os
import random
import re
import subprocess
import threading
import time
import unittest

import opdata
from fixtures import new_workspace
from harness import ROOT, Server

BASE = datetime.date(2033, 3, 1)
_days = itertools.count(0, 3)


def fresh_days(n=2):
    """n consecutive dates nobody has used yet (each test gets its own)."""
    first = next(_days)
    for _ in range(n - 1):
        next(_days)
    return [(BASE + datetime.timedelta(days=first + i)).isoformat() for i in range(n)]


class ScheduleBase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            cls.ws = new_workspace(cls.server)
            cls.set_up_data()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def set_up_data(cls):
        ws = cls.ws
        cls.north = cls.make(ws, "regions", {"name": "North"})["id"]
        cls.south = cls.make(ws, "regions", {"name": "South"})["id"]
        cust = cls.make(ws, "customers", {"name": "Schedule customer"})["id"]
        cls.project = cls.make(ws, "projects", {"customer_id": cust, "name": "north job",
                                                "region_id": cls.north})["id"]
        cls.project_s = cls.make(ws, "projects", {"customer_id": cust, "name": "south job",
                                                  "region_id": cls.south})["id"]

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        tail = cls.server.read_log()[-3000:] if errors else ""
        cls.server.cleanup()
        assert errors == [], "sanitizer errors in %s:\n%s\n%s" % (cls.__name__, "\n".join(errors), tail)
        assert rc == 0, "%s: the server exited %r" % (cls.__name__, rc)

    @staticmethod
    def make(ws, coll, body, status=201):
        r = ws.api("POST", "/" + coll, body)
        assert r.status == status, "POST /%s %r: %r" % (coll, body, r)
        return r.json

    def ok(self, r, status=200, what=""):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        return r.json if r.body else None

    def problem(self, r, status, code, what=""):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assertEqual(r.json["code"], code, "%s: %r" % (what, r))
        return r.json

    def employees(self, n, region=None, prefix="E"):
        region = region or self.north
        return [self.make(self.ws, "employees", {"name": "%s%d %s" % (prefix, i, opdata.random_id()[:6]),
                                                 "region_id": region})["id"] for i in range(n)]

    def pour(self, day, project=None, **kw):
        body = dict({"project_id": project or self.project, "scheduled_date": day, "volume_cy": "10.00",
                     "mix": "4000 psi"}, **kw)
        return self.make(self.ws, "pours", body)

    def assign(self, emp, pour_id=None, day=None, status=201):
        body = {"employee_id": emp}
        if pour_id:
            body["pour_id"] = pour_id
        if day:
            body["date"] = day
        r = self.ws.api("POST", "/assignments", body)
        self.assertEqual(r.status, status, "assign %r: %r" % (body, r))
        return r.json

    def assignments(self, query):
        return opdata.list_all(self.ws, "assignments", query)

    def of_pour(self, pour_id):
        return sorted(self.assignments("pour_id=" + pour_id), key=lambda a: a["employee_id"])

    def audit(self, **filters):
        q = "&".join("%s=%s" % kv for kv in filters.items())
        return opdata.list_all(self.ws, "audit", q)

    def db(self, sql):
        return self.server.psql(sql, user="postgres")


# --------------------------------------------------------------------------------------------
class AssignmentsFollowTheirPour(ScheduleBase):
    def test_date_is_the_pours(self):
        d1, d2 = fresh_days()
        p = self.pour(d1)
        q = self.pour(d2)
        e = self.employees(4)
        # left out: the pour's date; the same: fine; another: 400 naming date, nothing made
        a = self.assign(e[0], p["id"])
        self.assertEqual(a["date"], d1)
        self.assertEqual(self.assign(e[1], p["id"], d1)["date"], d1)
        r = self.problem(self.ws.api("POST", "/assignments", {"employee_id": e[2], "pour_id": p["id"], "date": d2}),
                         400, "validation_failed")
        self.assertEqual([x["field"] for x in r["errors"]], ["date"])
        self.assertEqual(self.assignments("employee_id=" + e[2]), [])
        # without a pour, a date is needed
        r = self.problem(self.ws.api("POST", "/assignments", {"employee_id": e[2]}), 400, "validation_failed")
        self.assertIn("date", [x["field"] for x in r["errors"]])
        # PATCH: another date while on the pour is 400; onto another pour, the date follows it
        r = self.problem(self.ws.api("PATCH", "/assignments/" + a["id"], {"date": d2}), 400, "validation_failed")
        self.assertEqual([x["field"] for x in r["errors"]], ["date"])
        moved = self.ok(self.ws.api("PATCH", "/assignments/" + a["id"], {"pour_id": q["id"]}))
        self.assertEqual((moved["pour_id"], moved["date"]), (q["id"], d2))
        # off the pour, it keeps its day and may then change it
        off = self.ok(self.ws.api("PATCH", "/assignments/" + a["id"], {"pour_id": None}))
        self.assertEqual((off["pour_id"], off["date"]), (None, d2))
        self.assertEqual(self.ok(self.ws.api("PATCH", "/assignments/" + a["id"], {"date": d1}))["date"], d1)
        # a pour and a date together must agree
        self.problem(self.ws.api("PATCH", "/assignments/" + a["id"], {"pour_id": q["id"], "date": d1}), 400,
                     "validation_failed")
        both = self.ok(self.ws.api("PATCH", "/assignments/" + a["id"], {"pour_id": p["id"], "date": d1}))
        self.assertEqual((both["pour_id"], both["date"]), (p["id"], d1))
        # an unknown pour is still the reference error it was
        r = self.problem(self.ws.api("POST", "/assignments", {"employee_id": e[3], "pour_id": opdata.random_id()}),
                         400, "invalid_reference")
        self.assertEqual([x["field"] for x in r["errors"]], ["pour_id"])


class MovingAPour(ScheduleBase):
    def test_moving_a_pour_moves_its_people(self):
        d1, d2 = fresh_days()
        p = self.pour(d1, crew_size_needed=3)
        e = self.employees(3)
        asg = [self.assign(x, p["id"]) for x in e]
        other = self.assign(self.employees(1)[0], day=d1)       # on no pour: stays
        moved = self.ok(self.ws.api("PATCH", "/pours/" + p["id"], {"scheduled_date": d2, "notes": "moved"}))
        self.assertEqual(moved["scheduled_date"], d2)
        self.assertNotIn("released", moved)
        now = self.of_pour(p["id"])
        self.assertEqual(sorted(a["id"] for a in now), sorted(a["id"] for a in asg), "the same assignments")
        self.assertEqual({a["date"] for a in now}, {d2})
        self.assertEqual([a["id"] for a in self.assignments("from=%s&to=%s" % (d1, d1))], [other["id"]])
        # the old day has them free again, the new day counts them
        mp = {(row["date"], row["region_id"]): row for row in
              self.ok(self.ws.api("GET", "/manpower?from=%s&to=%s" % (d1, d2)))["data"]}
        self.assertEqual((mp[d1, self.north]["needed"], mp[d1, self.north]["assigned"]), (0, 0))
        self.assertEqual((mp[d2, self.north]["needed"], mp[d2, self.north]["assigned"]), (3, 3))
        self.assign(e[0], day=d1)
        # audited as moved, in the pour's transaction (the same now())
        pour_rows = [x for x in self.audit(entity_id=p["id"]) if x["action"] == "pour.updated"]
        self.assertEqual(len(pour_rows), 1)
        for a in asg:
            rows = self.audit(entity_id=a["id"])
            self.assertEqual([x["action"] for x in rows], ["assignment.moved", "assignment.created"])
            self.assertEqual(rows[0]["changes"], {"date": [d1, d2]})
            self.assertEqual(rows[0]["at"], pour_rows[0]["at"])
            self.assertEqual(rows[0]["actor"], pour_rows[0]["actor"])

    def test_a_move_onto_booked_people_is_double_booked_and_changes_nothing(self):
        d1, d2 = fresh_days()
        p = self.pour(d1, crew_size_needed=3, notes="before")
        e = self.employees(3)
        for x in e:
            self.assign(x, p["id"])
        elsewhere = self.pour(d2)
        self.assign(e[0], elsewhere["id"])
        self.assign(e[2], day=d2)
        before_pour = self.ok(self.ws.api("GET", "/pours/" + p["id"]))
        before_asg = self.of_pour(p["id"])
        audit_rows = len(self.audit())
        r = self.problem(self.ws.api("PATCH", "/pours/" + p["id"], {"scheduled_date": d2, "notes": "after"}),
                         409, "double_booked")
        self.assertEqual(sorted(x["employee_id"] for x in r["errors"]), sorted([e[0], e[2]]))
        for x in r["errors"]:
            self.assertEqual((x["field"], x["code"]), ("employee_id", "double_booked"))
            self.assertIn(d2, x["message"])
        where = {x["employee_id"]: x["pour_id"] for x in r["errors"]}
        self.assertEqual(where, {e[0]: elsewhere["id"], e[2]: None})
        self.assertEqual(self.ok(self.ws.api("GET", "/pours/" + p["id"])), before_pour)
        self.assertEqual(self.of_pour(p["id"]), before_asg)
        self.assertEqual(len(self.audit()), audit_rows, "nothing audited: nothing changed")
        # once they are free, the same move goes through
        for a in self.assignments("from=%s&to=%s" % (d2, d2)):
            if a["employee_id"] in (e[0], e[2]):
                self.assertEqual(self.ws.api("DELETE", "/assignments/" + a["id"]).status, 204)
        self.assertEqual(self.ok(self.ws.api("PATCH", "/pours/" + p["id"], {"scheduled_date": d2}))["scheduled_date"],
                         d2)
        self.assertEqual({a["date"] for a in self.of_pour(p["id"])}, {d2})

    def test_two_schedulers_moving_pours_onto_the_same_people(self):
        """Two pours sharing people, on two days, moved at once onto a third: one wins, the other
        is double_booked; many rounds."""
        for _ in range(6):
            d1, d2, d3 = fresh_days(3)
            p, q = self.pour(d1), self.pour(d2)
            e = self.employees(4)
            for x in e:
                self.assign(x, p["id"])
                self.assign(x, q["id"])
            barrier = threading.Barrier(2)
            results = [None, None]

            def move(i, pour_id):
                conn = self.server.connection()
                try:
                    conn.connect()
                    barrier.wait(timeout=30)
                    results[i] = self.server.api("PATCH", "/pours/" + pour_id, {"scheduled_date": d3},
                                                 token=self.ws.token, conn=conn)
                finally:
                    conn.close()
            ts = [threading.Thread(target=move, args=(i, x["id"])) for i, x in enumerate((p, q))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            self.assertEqual(sorted(r.status for r in results), [200, 409], results)
            loser = [r for r in results if r.status == 409][0]
            self.assertEqual(loser.json["code"], "double_booked")
            self.assertEqual(sorted(x["employee_id"] for x in loser.json["errors"]), sorted(e))
            winner = [r for r in results if r.status == 200][0].json
            self.assertEqual({a["date"] for a in self.of_pour(winner["id"])}, {d3})
            lost = p if winner["id"] == q["id"] else q
            self.assertEqual({a["date"] for a in self.of_pour(lost["id"])}, {lost["scheduled_date"]})


class CancellingAPour(ScheduleBase):
    def test_cancel_releases_its_people(self):
        d1, = fresh_days(1)
        p = self.pour(d1, crew_size_needed=4)
        e = self.employees(4)
        asg = [self.assign(x, p["id"]) for x in e]
        got = self.ok(self.ws.api("POST", "/pours/%s/cancel" % p["id"], {"reason": "rain"}))
        self.assertEqual((got["status"], got["released"], got["cancel_reason"]), ("canceled", 4, "rain"))
        self.assertEqual(self.of_pour(p["id"]), [])
        mp = self.ok(self.ws.api("GET", "/manpower?from=%s&to=%s&region_id=%s" % (d1, d1, self.north)))["data"][0]
        self.assertEqual((mp["needed"], mp["assigned"]), (0, 0))
        cancel_row = [x for x in self.audit(entity_id=p["id"]) if x["action"] == "pour.canceled"]
        self.assertEqual(len(cancel_row), 1)
        for a in asg:
            rows = self.audit(entity_id=a["id"])
            self.assertEqual(rows[0]["action"], "assignment.released")
            self.assertEqual(rows[0]["changes"]["pour_id"], [p["id"], None])
            self.assertEqual(rows[0]["at"], cancel_row[0]["at"])
        # they are free that day now
        other = self.pour(d1)
        for x in e:
            self.assign(x, other["id"])
        # again: nobody left to release; GET has no released
        self.assertEqual(self.ok(self.ws.api("POST", "/pours/%s/cancel" % p["id"]))["released"], 0)
        self.assertNotIn("released", self.ok(self.ws.api("GET", "/pours/" + p["id"])))

    def test_cancel_by_patch_releases_too(self):
        d1, = fresh_days(1)
        p = self.pour(d1)
        for x in self.employees(2):
            self.assign(x, p["id"])
        got = self.ok(self.ws.api("PATCH", "/pours/" + p["id"], {"status": "canceled"}))
        self.assertEqual((got["status"], got["released"]), ("canceled", 2))
        self.assertEqual(self.of_pour(p["id"]), [])
        # a PATCH that does not cancel says nothing of releases
        self.assertNotIn("released", self.ok(self.ws.api("PATCH", "/pours/" + p["id"], {"notes": "x"})))
        # un-cancelled, it takes people again
        self.ok(self.ws.api("PATCH", "/pours/" + p["id"], {"status": "tentative"}))
        self.assign(self.employees(1)[0], p["id"])

    def test_a_canceled_pour_takes_nobody(self):
        d1, = fresh_days(1)
        p = self.pour(d1, status="canceled")
        q = self.pour(d1)
        e = self.employees(2)
        self.problem(self.ws.api("POST", "/assignments", {"employee_id": e[0], "pour_id": p["id"]}), 409,
                     "pour_canceled")
        self.problem(self.ws.api("POST", "/assignments", {"employee_id": e[0], "pour_id": p["id"], "date": d1}),
                     409, "pour_canceled")
        a = self.assign(e[1], q["id"])
        self.problem(self.ws.api("PATCH", "/assignments/" + a["id"], {"pour_id": p["id"]}), 409, "pour_canceled")
        self.assertEqual(self.of_pour(p["id"]), [])
        self.assertEqual(self.ok(self.ws.api("GET", "/assignments/" + a["id"]))["pour_id"], q["id"])

    def test_people_assigned_while_their_pour_is_canceled(self):
        """Eight clients assign people to a pour while a ninth cancels it: every assignment made
        is released by the cancel or refused after it; released counts the ones made."""
        for _ in range(3):
            d1, = fresh_days(1)
            p = self.pour(d1)
            e = self.employees(8)
            barrier = threading.Barrier(9)
            results = [None] * 9

            def fire(i):
                conn = self.server.connection()
                try:
                    conn.connect()
                    barrier.wait(timeout=30)
                    if i == 8:
                        time.sleep(0.005)
                        results[i] = self.server.api("POST", "/pours/%s/cancel" % p["id"], {"reason": "race"},
                                                     token=self.ws.token, conn=conn)
                    else:
                        results[i] = self.server.api("POST", "/assignments", {"employee_id": e[i], "pour_id": p["id"]},
                                                     token=self.ws.token, conn=conn)
                finally:
                    conn.close()
            ts = [threading.Thread(target=fire, args=(i,)) for i in range(9)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            self.assertEqual(results[8].status, 200, results[8])
            made = [r for r in results[:8] if r.status == 201]
            refused = [r for r in results[:8] if r.status == 409]
            self.assertEqual(len(made) + len(refused), 8, results)
            for r in refused:
                self.assertEqual(r.json["code"], "pour_canceled")
            self.assertEqual(results[8].json["released"], len(made))
            self.assertEqual(self.of_pour(p["id"]), [])


class Conflicts(ScheduleBase):
    def test_same_crew_same_day(self):
        d1, d2 = fresh_days()
        crew = self.make(self.ws, "crews", {"name": "Crew C"})["id"]
        crew2 = self.make(self.ws, "crews", {"name": "Crew D"})["id"]
        a = self.pour(d1, crew_id=crew, start_time="07:00")
        self.assertEqual(a["conflicts"], [])
        b = self.pour(d1, crew_id=crew, start_time="13:00")
        self.assertEqual(b["conflicts"], [a["id"]])
        c = self.pour(d2, crew_id=crew)
        d = self.pour(d1, crew_id=crew2)
        e = self.pour(d1, crew_id=crew, status="canceled")
        f = self.pour(d1)
        get = lambda x: self.ok(self.ws.api("GET", "/pours/" + x["id"]))["conflicts"]
        self.assertEqual(get(a), [b["id"]])
        self.assertEqual(get(b), [a["id"]])
        self.assertEqual((get(c), get(d), get(e), get(f)), ([], [], [], []))
        listed = {x["id"]: x["conflicts"] for x in opdata.list_all(self.ws, "pours", "from=%s&to=%s" % (d1, d2))}
        self.assertEqual(listed, {a["id"]: [b["id"]], b["id"]: [a["id"]], c["id"]: [], d["id"]: [], e["id"]: [],
                                  f["id"]: []})
        # a third makes it two each; moving, re-crewing and cancelling take them out
        g = self.pour(d1, crew_id=crew, start_time="10:00")
        self.assertEqual(get(a), [g["id"], b["id"]])
        self.assertEqual(self.ok(self.ws.api("PATCH", "/pours/" + g["id"], {"scheduled_date": d2}))["conflicts"],
                         [c["id"]])
        self.assertEqual(self.ok(self.ws.api("PATCH", "/pours/" + b["id"], {"crew_id": crew2}))["conflicts"], [d["id"]])
        self.assertEqual(get(a), [])
        self.ok(self.ws.api("POST", "/pours/%s/cancel" % c["id"]))
        self.assertEqual(get(g), [])
        # read-only
        for method, path in (("POST", "/pours"), ("PATCH", "/pours/" + a["id"])):
            body = {"project_id": self.project, "scheduled_date": d1, "volume_cy": "1.00", "mix": "m",
                    "conflicts": []} if method == "POST" else {"conflicts": []}
            r = self.problem(self.ws.api(method, path, body), 400, "validation_failed")
            self.assertIn("conflicts", [x["field"] for x in r["errors"]])


class ManpowerByRegion(ScheduleBase):
    def test_the_issue_day(self):
        """The day of the issue: north pours need 9; 9 people are on them, 6 of them from the
        south. North reads 9 needed / 9 assigned; south has its 6 busy."""
        d1, = fresh_days(1)
        p = self.pour(d1, crew_size_needed=5)
        q = self.pour(d1, crew_size_needed=4)
        north = self.employees(3, self.north, "N")
        south = self.employees(8, self.south, "S")
        for x in north + south[:2]:
            self.assign(x, p["id"])
        for x in south[2:6]:
            self.assign(x, q["id"])
        rows = {r["region_id"]: r for r in
                self.ok(self.ws.api("GET", "/manpower?from=%s&to=%s" % (d1, d1)))["data"]}
        self.assertEqual((rows[self.north]["needed"], rows[self.north]["assigned"]), (9, 9))
        self.assertEqual((rows[self.south]["needed"], rows[self.south]["assigned"]), (0, 0))
        n_active = int(self.db("select count(*) from app.employees where tenant_id = '%s' and region_id = '%s' "
                               "and active" % (self.ws.id, self.north)))
        s_active = int(self.db("select count(*) from app.employees where tenant_id = '%s' and region_id = '%s' "
                               "and active" % (self.ws.id, self.south)))
        self.assertEqual(rows[self.north]["available"], n_active - 3)
        self.assertEqual(rows[self.south]["available"], s_active - 6)


# --------------------------------------------------------------------------------------------
INVARIANTS = """
select (select count(*) from app.assignments a join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
        where a.tenant_id = '{t}' and a.date <> p.scheduled_date) || '|' ||
       (select count(*) from app.assignments a join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
        where a.tenant_id = '{t}' and p.status = 'canceled') || '|' ||
       (select count(*) from (select 1 from app.assignments where tenant_id = '{t}'
                              group by employee_id, date having count(*) > 1) x)
"""


class RandomOperations(ScheduleBase):
    """Two clients at once, each a few hundred random operations on a small schedule (few
    days, few people, two crews), so moves, cancels and assignments collide often. After every
    step: no assignment on another date than its pour's, none on a canceled pour, nobody twice
    on a day; and every answer is one the contract names (never a 5xx)."""

    STEPS = 160   # per client

    def test_random_operations_from_two_clients(self):
        days = fresh_days(4)
        crews = [self.make(self.ws, "crews", {"name": "R%d" % i})["id"] for i in range(2)]
        people = self.employees(10, prefix="R")
        pours = [self.pour(random.Random(i).choice(days), crew_id=crews[i % 2])["id"] for i in range(6)]
        lock = threading.Lock()
        seen = {}
        failures = []
        inv = INVARIANTS.format(t=self.ws.id)

        def note(op, r):
            with lock:
                seen[(op, r.status, (r.json or {}).get("code") if r.status >= 400 else None)] = \
                    seen.get((op, r.status, (r.json or {}).get("code") if r.status >= 400 else None), 0) + 1

        def client(seed):
            rng = random.Random(seed)
            conn = self.server.connection()
            conn.connect()
            api = lambda m, path, body=None: self.server.api(m, path, body, token=self.ws.token, conn=conn)
            try:
                for step in range(self.STEPS):
                    op = rng.choice(["create", "move", "move", "cancel", "restore", "assign", "assign", "assign",
                                     "reassign", "unassign", "crew"])
                    with lock:
                        pid = rng.choice(pours)
                    if op == "create":
                        r = api("POST", "/pours", {"project_id": self.project, "scheduled_date": rng.choice(days),
                                                   "volume_cy": "5.00", "mix": "m", "crew_id": rng.choice(crews)})
                        if r.status == 201:
                            with lock:
                                pours.append(r.json["id"])
                    elif op == "move":
                        r = api("PATCH", "/pours/" + pid, {"scheduled_date": rng.choice(days)})
                        if r.status == 409:
                            if r.json["code"] == "double_booked":
                                if not r.json.get("errors") or any(not e.get("employee_id") for e in r.json["errors"]):
                                    failures.append("double_booked without the people: %r" % r)
                    elif op == "cancel":
                        r = api("POST", "/pours/%s/cancel" % pid, {"reason": "random"})
                        if r.status == 200 and not isinstance(r.json.get("released"), int):
                            failures.append("cancel without released: %r" % r)
                    elif op == "restore":
                        r = api("PATCH", "/pours/" + pid, {"status": "tentative"})
                    elif op == "assign":
                        body = {"employee_id": rng.choice(people)}
                        if rng.random() < 0.8:
                            body["pour_id"] = pid
                        else:
                            body["date"] = rng.choice(days)
                        r = api("POST", "/assignments", body)
                    elif op in ("reassign", "unassign"):
                        lst = api("GET", "/assignments?limit=200&from=%s&to=%s" % (days[0], days[-1]))
                        if lst.status != 200 or not lst.json["data"]:
                            r = lst
                        else:
                            a = rng.choice(lst.json["data"])
                            if op == "unassign":
                                r = api("DELETE", "/assignments/" + a["id"])
                            else:
                                r = api("PATCH", "/assignments/" + a["id"], {"pour_id": pid})
                    else:   # the whole crew of a pour, one by one
                        for e in rng.sample(people, 3):
                            r = api("POST", "/assignments", {"employee_id": e, "pour_id": pid})
                            note(op, r)
                    note(op, r)
                    if r.status >= 500 or r.status in (401, 403):
                        failures.append("%s: %r" % (op, r))
                    got = self.db(inv).strip()
                    if got != "0|0|0":
                        failures.append("after %s (step %d of client %d): invariants %s" % (op, step, seed, got))
                    if len(failures) > 5:
                        return
            except Exception as e:      # reported below
                failures.append(repr(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(s,)) for s in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        self.assertEqual(failures, [])
        allowed = {200, 201, 204, 400, 404, 409}
        self.assertEqual({k for k in seen if k[1] not in allowed}, set(), seen)
        # the random walk did exercise the rules it is about
        codes = {(op, code) for op, status, code in seen}
        for want in (("move", None), ("cancel", None), ("assign", None)):
            self.assertIn(want, codes, seen)
        self.assertTrue({("move", "double_booked"), ("assign", "double_booked"), ("assign", "pour_canceled"),
                         ("crew", "pour_canceled"), ("crew", "double_booked")} & codes, seen)
        # and the API agrees with the database at the end
        for p in opdata.list_all(self.ws, "pours", "from=%s&to=%s" % (days[0], days[-1])):
            for a in self.of_pour(p["id"]):
                self.assertEqual(a["date"], p["scheduled_date"])
                self.assertNotEqual(p["status"], "canceled")
        print("\n  random operations: %s" % json.dumps(sorted(("%s %s %s" % k, v) for k, v in seen.items())),
              flush=True)


class DemoWorkspace(unittest.TestCase):
    """The demo workspace of `planyard dev` (sql/seed/demo.sql) keeps the rules: its people are
    on their pours' dates, none on its canceled pour, nobody twice a day."""

    def test_the_demo_keeps_the_rules(self):
        server = Server(args=())
        try:
            server.start()
            t = server.psql("select id from app.tenants where slug = 'demo'", user="postgres").strip()
            self.assertTrue(t)
            self.assertEqual(server.psql(INVARIANTS.format(t=t), user="postgres").strip(), "0|0|0")
            on_pours = int(server.psql("select count(*) from app.assignments where tenant_id = '%s' and pour_id "
                                       "is not null" % t, user="postgres"))
            canceled = int(server.psql("select count(*) from app.pours where tenant_id = '%s' and status = "
                                       "'canceled'" % t, user="postgres"))
            self.assertGreater(on_pours, 20, "the demo should have people on pours")
            self.assertGreater(canceled, 0, "the demo should have a canceled pour")
        finally:
            rc = server.stop()
            errors = server.sanitizer_errors()
            server.cleanup()
        self.assertEqual((rc, errors), (0, []))


# --------------------------------------------------------------------------------------------
SCRIPT = os.path.join(ROOT, "tests", "sql", "schedule.sql")
TAP = re.compile(r"^(not ok|ok) (\d+) - (.*)$")


class ScheduleSql(ScheduleBase):
    """tests/sql/schedule.sql: the rules hold for plain SQL as planyard_app (with a scheduler's
    live session, as every request has): a direct UPDATE of a pour's date moves its people (or
    is refused when one is booked), an INSERT on a canceled pour and an assignment whose date is
    not its pour's are refused, a cancel by UPDATE releases."""

    @classmethod
    def set_up_data(cls):
        super().set_up_data()
        ws = cls.ws
        d1, d2, d3 = fresh_days(3)
        p = cls.make(ws, "pours", {"project_id": cls.project, "scheduled_date": d1, "volume_cy": "1.00", "mix": "m"})
        q = cls.make(ws, "pours", {"project_id": cls.project, "scheduled_date": d3, "volume_cy": "1.00", "mix": "m"})
        c = cls.make(ws, "pours", {"project_id": cls.project, "scheduled_date": d1, "volume_cy": "1.00", "mix": "m",
                                   "status": "canceled"})
        e = [cls.make(ws, "employees", {"name": "Sql %d" % i})["id"] for i in range(4)]
        for x in e[:3]:
            cls.make(ws, "assignments", {"employee_id": x, "pour_id": p["id"]})
        cls.make(ws, "assignments", {"employee_id": e[0], "pour_id": q["id"]})
        cmd = ["psql", "-X", "-q", "-h", cls.server.pg_dir, "-U", "postgres", "-d", "planyard", "-f", SCRIPT]
        for k, v in (("key", opdata.session_key(ws.token)), ("tenant", ws.id), ("pour", p["id"]), ("other", q["id"]),
                     ("canceled", c["id"]), ("d1", d1), ("d2", d2), ("d3", d3), ("e0", e[0]), ("e3", e[3])):
            cmd += ["-v", "%s=%s" % (k, v)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        cls.rc, cls.stdout, cls.stderr = r.returncode, r.stdout, r.stderr
        cls.results = []
        cls.plan = None
        for line in r.stdout.splitlines():
            m = TAP.match(line)
            if m:
                cls.results.append([m.group(1) == "ok", int(m.group(2)), m.group(3), []])
            elif re.match(r"^1\.\.\d+$", line.strip()):
                cls.plan = int(line.strip()[3:])
            elif line.startswith("#") and cls.results:
                cls.results[-1][3].append(line)

    def test_every_assertion_holds(self):
        self.assertEqual(self.rc, 0, "psql failed:\n%s\n%s" % (self.stderr[-3000:], self.stdout[-3000:]))
        self.assertGreaterEqual(len(self.results), 15, self.stdout[-3000:])
        self.assertEqual(self.plan, len(self.results), "no plan line, or it disagrees (the script stopped early?)")
        bad = ["not ok %d - %s\n%s" % (n, d, "\n".join(diag)) for ok, n, d, diag in self.results if not ok]
        self.assertEqual(bad, [], "\n" + "\n".join(bad))


if __name__ == "__main__":
    unittest.main()
