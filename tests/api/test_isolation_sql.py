"""Tenant isolation in the database itself: tests/sql/isolation.sql (pgTAP) run as planyard_app
against the server's own cluster, after two workspaces full of data and real sessions (live,
signed out, expired, idle; owner, viewer, scheduler) were made through the HTTP API.

The script's assertions are grouped by the section their description starts with ("[session]
..."); each section is one test here, so a failure names the section and lists its failing
assertions with pgTAP's diagnostics."""
import hashlib
import json
import os
import re
import subprocess
import time
import unittest

import opdata
from fixtures import add_member, login, new_workspace
from harness import ROOT, Server

SCRIPT = os.path.join(ROOT, "tests", "sql", "isolation.sql")

# The sections of the script, and the fewest assertions each must have run (so a section that
# silently lost its loop, or a schema whose tables went missing, is noticed).
SECTIONS = {
    "identity": 60,
    "no-context": 60,
    "forged": 300,
    "session": 60,
    "cross-write": 60,
    "revoked": 40,
    "expired": 80,
    "viewer": 40,
    "sessions-table": 8,
    "definer": 1,
}

TAP = re.compile(r"^(not ok|ok) (\d+) - (.*)$")


def ids_of(ws, data):
    """The ids the script needs of one workspace."""
    return {
        "tenant": ws.id, "user": ws.user_id, "session": opdata.claims(ws.token)["sid"],
        "customer": data["customers"][0]["id"], "region": data["regions"][0]["id"],
        "project": data["projects"][0]["id"], "employee": data["employees"][0]["id"],
        "free_employee": data["employees"][1]["id"],  # not a member of crew 0
        "crew": data["crews"][0]["id"], "pour": data["pours"][0]["id"],
        "assignment": data["assignments"][0]["id"], "reminder": data["reminders"][0]["id"],
        "trip": data["trips"][0]["id"], "traveler": data["travelers"][0]["id"],
        "tag": data["trips"][0]["name"].split()[0],
    }


class DatabaseIsolation(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
            cls._prepare()
            cls._run()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def _prepare(cls):
        s = cls.server
        a, b = new_workspace(s), new_workspace(s)
        a_data = opdata.populate(a, "alpha", 100)
        b_data = opdata.populate(b, "bravo", 1)
        viewer = add_member(s, a, "viewer")
        sched = add_member(s, a, "scheduler")

        def another_session():
            return login(s, a.slug, a.email)["access_token"]
        revoked = another_session()
        r = s.api("POST", "/auth/logout", token=revoked)
        assert r.status == 204, r
        assert s.api("GET", "/customers", token=revoked).status == 401
        expired, idle = another_session(), another_session()
        s.psql("update app.sessions set expires_at = now() - interval '1 minute' where id = '%s'"
               % opdata.claims(expired)["sid"], user="postgres")
        s.psql("update app.sessions set last_used_at = now() - interval '8 days' where id = '%s'"
               % opdata.claims(idle)["sid"], user="postgres")
        for t in (expired, idle):
            assert s.api("GET", "/customers", token=t).status == 401

        def counts(ws):
            out = {}
            for t in ("customers", "regions", "projects", "employees", "crews", "crew_members", "pours",
                      "assignments", "reminders", "trips", "travelers"):
                out[t] = int(s.psql("select count(*) from app.%s where tenant_id = '%s'" % (t, ws.id), user="postgres"))
            return out
        a_key = opdata.session_key(a.token)
        cls.vars = {
            "a_ids": json.dumps(ids_of(a, a_data)), "b_ids": json.dumps(ids_of(b, b_data)),
            "a_counts": json.dumps(counts(a)), "b_counts": json.dumps(counts(b)),
            "a_tenant": a.id, "b_tenant": b.id, "a_user": a.user_id, "b_user": b.user_id,
            "a_session": opdata.claims(a.token)["sid"],
            "a_key": a_key, "b_key": opdata.session_key(b.token),
            "a_key_hash_hex": hashlib.sha256(a_key.encode()).hexdigest(), "a_key_upper": a_key.upper(),
            "a_viewer_key": opdata.session_key(viewer.token),
            "a_sched_key": opdata.session_key(sched.token), "a_sched_user": sched.user_id,
            "a_revoked_key": opdata.session_key(revoked), "a_revoked_session": opdata.claims(revoked)["sid"],
            "a_expired_key": opdata.session_key(expired), "a_idle_key": opdata.session_key(idle),
        }
        assert json.loads(cls.vars["a_counts"])["crew_members"] >= 6

    @classmethod
    def _run(cls):
        """Runs the script once with psql (as the superuser, who hands over to planyard_app
        at its start); keeps the TAP lines."""
        cmd = ["psql", "-X", "-q", "-h", cls.server.pg_dir, "-U", "postgres", "-d", "planyard", "-f", SCRIPT]
        for k, v in sorted(cls.vars.items()):
            cmd += ["-v", "%s=%s" % (k, v)]
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        cls.seconds = time.time() - t0
        cls.rc, cls.stdout, cls.stderr = r.returncode, r.stdout, r.stderr
        cls.results = []        # (ok, number, description, diagnostics)
        cls.plan = None
        for line in r.stdout.splitlines():
            m = TAP.match(line)
            if m:
                cls.results.append([m.group(1) == "ok", int(m.group(2)), m.group(3), []])
            elif re.match(r"^1\.\.\d+$", line.strip()):
                cls.plan = int(line.strip()[3:])
            elif line.startswith("#") and cls.results:
                cls.results[-1][3].append(line)
        print("\n  pgTAP: %d assertions (%d not ok) in %.1fs" % (len(cls.results), sum(1 for x in cls.results if not x[0]),
                                                          cls.seconds), flush=True)

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

    def test_script_ran_to_the_end(self):
        """psql exited 0, every assertion numbered in order, the plan line at the end agrees."""
        self.assertEqual(self.rc, 0, "psql failed:\n%s\n%s" % (self.stderr[-3000:], self.stdout[-3000:]))
        self.assertTrue(self.results, self.stdout[-3000:])
        self.assertEqual([r[1] for r in self.results], list(range(1, len(self.results) + 1)))
        self.assertEqual(self.plan, len(self.results), "no plan line, or it disagrees (the script stopped early?)")
        self.assertNotIn("Looks like", self.stdout)
        untagged = [r[2] for r in self.results if not re.match(r"^\[([a-z-]+)\]", r[2])]
        self.assertEqual(untagged, [])
        unknown = {re.match(r"^\[([a-z-]+)\]", r[2]).group(1) for r in self.results} - set(SECTIONS)
        self.assertEqual(unknown, set())

    def _section(self, name):
        mine = [r for r in self.results if r[2].startswith("[%s]" % name)]
        self.assertGreaterEqual(len(mine), SECTIONS[name], "section [%s] ran %d assertions" % (name, len(mine)))
        bad = ["not ok %d - %s\n%s" % (n, d, "\n".join(diag)) for ok, n, d, diag in mine if not ok]
        self.assertEqual(bad, [], "\n" + "\n".join(bad))


def _generate():
    for name in SECTIONS:
        def t(self, n=name):
            self._section(n)
        t.__name__ = "test_section_" + name.replace("-", "_")
        t.__doc__ = "every assertion of [%s] holds" % name
        setattr(DatabaseIsolation, t.__name__, t)


_generate()

if __name__ == "__main__":
    unittest.main()
