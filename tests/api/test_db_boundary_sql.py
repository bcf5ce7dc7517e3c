"""The catalog-generated side of the database boundary (issue 14): tests/sql/boundary.sql
(pgTAP) calls every function each server role may execute, with no live session, forged
settings and hostile arguments, and checks that nothing of workspace A changes (for the
request role: nothing at all) and nothing of A comes back to the request role. A function
added later is swept without anyone listing it here."""
import os
import re
import subprocess
import unittest

import opdata
from fixtures import new_workspace
from harness import ROOT, Server

SCRIPT = os.path.join(ROOT, "tests", "sql", "boundary.sql")
TAP = re.compile(r"^(not ok|ok) (\d+) - \[(planyard_\w+)\] (.*)$")


class GeneratedBoundary(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"}).start()
        try:
            s = cls.server
            a = new_workspace(s)
            data = opdata.populate(a, "alpha", 1)
            new_workspace(s)                      # another workspace beside it
            cmd = ["psql", "-X", "-q", "-h", s.pg_dir, "-U", "postgres", "-d", "planyard", "-f", SCRIPT,
                   "-v", "a_tenant=" + a.id, "-v", "a_user=" + a.user_id, "-v", "a_email=" + a.email,
                   "-v", "a_slug=" + a.slug, "-v", "a_reminder=" + data["reminders"][0]["id"]]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            cls.rc, cls.stdout, cls.stderr = r.returncode, r.stdout, r.stderr
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        s = cls.server
        rc = s.stop()
        errors = s.sanitizer_errors()
        s.cleanup()
        assert errors == [], errors
        assert rc == 0, rc

    def results(self):
        out = []
        for line in self.stdout.splitlines():
            m = TAP.match(line)
            if m:
                out.append((m.group(1) == "ok", m.group(3), m.group(4)))
        return out

    def test_script_ran_to_the_end(self):
        self.assertEqual(self.rc, 0, "psql failed:\n%s\n%s" % (self.stderr[-3000:], self.stdout[-3000:]))
        plan = re.search(r"^1\.\.(\d+)$", self.stdout, re.M)
        self.assertIsNotNone(plan, self.stdout[-2000:])
        self.assertEqual(int(plan.group(1)), len(self.results()))

    def check_role(self, role, at_least):
        mine = [r for r in self.results() if r[1] == role]
        self.assertGreaterEqual(len(mine), at_least, "%s was swept over %d functions" % (role, len(mine)))
        bad = [r[2] for r in mine if not r[0]]
        self.assertEqual(bad, [], "\n".join(l for l in self.stdout.splitlines() if l.startswith("#"))[-4000:])

    def test_request_role_changes_nothing_and_learns_nothing(self):
        self.check_role("planyard_app", 40)

    def test_pre_session_role_changes_nothing_of_another_account(self):
        self.check_role("planyard_auth", 40)

    def test_jobs_role_changes_no_account(self):
        self.check_role("planyard_jobs", 20)


if __name__ == "__main__":
    unittest.main()
