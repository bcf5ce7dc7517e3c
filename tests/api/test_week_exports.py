"""The exports honour the filters the week and the audit log show on screen (API.md "Exports",
"Audit log"), read back with independent readers: the schedule workbook takes the week's
region (region_id) and carries each canceled pour's reason; the audit CSV takes the filters of
GET /audit (action, actor_id, entity_id, from, to) and answers the same rows."""
import csv
import datetime
import io
import unittest

import openpyxl

from fixtures import new_workspace
from harness import Server

DAY = datetime.date(2034, 6, 5)


def day(n):
    return (DAY + datetime.timedelta(days=n)).isoformat()


class WeekExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            cls.ws = ws = new_workspace(cls.server)

            def make(coll, body):
                r = ws.api("POST", "/" + coll, body)
                assert r.status == 201, r
                return r.json

            cls.north = make("regions", {"name": "North"})["id"]
            cls.south = make("regions", {"name": "South"})["id"]
            cust = make("customers", {"name": "Export customer"})["id"]
            pn = make("projects", {"customer_id": cust, "name": "north job", "region_id": cls.north})["id"]
            ps = make("projects", {"customer_id": cust, "name": "south job", "region_id": cls.south})["id"]
            cls.pour_n = make("pours", {"project_id": pn, "scheduled_date": day(0), "volume_cy": "10", "mix": "4000 psi"})
            cls.pour_s = make("pours", {"project_id": ps, "scheduled_date": day(1), "volume_cy": "20", "mix": "3000 psi"})
            cls.pour_c = make("pours", {"project_id": pn, "scheduled_date": day(2), "volume_cy": "30", "mix": "5000 psi"})
            r = ws.api("POST", "/pours/%s/cancel" % cls.pour_c["id"], {"reason": "Rain forecast"})
            assert r.status == 200, r
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def sheet(self, query):
        r = self.ws.api("GET", "/exports/schedule.xlsx?" + query)
        self.assertEqual(r.status, 200, r)
        ws = openpyxl.load_workbook(io.BytesIO(r.body)).active
        header = [c.value for c in ws[1]]
        return header, [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]

    def test_schedule_without_region_has_every_pour_and_the_cancel_reason(self):
        header, rows = self.sheet("from=%s&to=%s" % (day(0), day(6)))
        self.assertIn("Cancel reason", header)
        self.assertEqual(header.index("Cancel reason"), header.index("Status") + 1)
        self.assertEqual([r["Project"] for r in rows], ["north job", "south job", "north job"])
        self.assertEqual([r["Cancel reason"] for r in rows], [None, None, "Rain forecast"])
        self.assertEqual(rows[2]["Status"], "canceled")

    def test_schedule_takes_the_region_on_screen(self):
        _, rows = self.sheet("from=%s&to=%s&region_id=%s" % (day(0), day(6), self.south))
        self.assertEqual([(r["Project"], r["Region"]) for r in rows], [("south job", "South")])
        _, rows = self.sheet("from=%s&to=%s&region_id=%s" % (day(0), day(6), self.north))
        self.assertEqual([r["Project"] for r in rows], ["north job", "north job"])
        # a region of no one's: nothing, as the list filter answers
        _, rows = self.sheet("from=%s&to=%s&region_id=00000000-0000-4000-8000-000000000000" % (day(0), day(6)))
        self.assertEqual(rows, [])

    def test_schedule_refuses_a_region_that_is_no_id(self):
        r = self.ws.api("GET", "/exports/schedule.xlsx?from=%s&to=%s&region_id=north" % (day(0), day(6)))
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["code"], "validation_failed")
        self.assertEqual(r.json["errors"][0]["field"], "region_id")

    def csv_rows(self, query=""):
        r = self.ws.api("GET", "/audit/export.csv" + query)
        self.assertEqual(r.status, 200, r)
        return list(csv.DictReader(io.StringIO(r.body.decode())))

    def api_ids(self, query):
        ids, cursor = [], None
        while True:
            r = self.ws.api("GET", "/audit?limit=200%s%s" % (query, "&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            ids += [a["id"] for a in r.json["data"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                return ids

    def test_audit_csv_takes_the_filters_on_screen(self):
        everything = self.csv_rows()
        self.assertGreater(len(everything), 5)
        for q in ["&action=pour.canceled", "&entity_id=" + self.pour_c["id"], "&actor_id=" + self.ws.user_id,
                  "&action=pour.created&from=%s" % datetime.date.today().isoformat(),
                  "&to=2000-01-01", "&action=pour.canceled&to=%s" % datetime.date.today().isoformat()]:
            rows = self.csv_rows("?" + q[1:])
            self.assertEqual([r["id"] for r in rows], self.api_ids(q), q)
        rows = self.csv_rows("?action=pour.canceled")
        self.assertEqual([(r["action"], r["entity_id"]) for r in rows], [("pour.canceled", self.pour_c["id"])])
        self.assertEqual(self.csv_rows("?to=2000-01-01"), [])
        self.assertLess(len(self.csv_rows("?action=pour.created")), len(everything))

    def test_audit_csv_refuses_bad_filters(self):
        for q, field in [("actor_id=nobody", "actor_id"), ("from=yesterday", "from")]:
            r = self.ws.api("GET", "/audit/export.csv?" + q)
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json["code"], "validation_failed")
            self.assertEqual(r.json["errors"][0]["field"], field, r.json)


if __name__ == "__main__":
    unittest.main()
