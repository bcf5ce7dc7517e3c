"""Safe upgrades: a database made by the first release (its migrations 001-018 as they were
released, kept in tests/upgrade/release-1/) and filled with data in every table is migrated by
`planyard dev` to HEAD. Its schema is then sql/schema.sql (which make check proves is the
schema of a fresh database), every row is still there, the audit chain still verifies, and the
API works on it. An applied migration whose recorded checksum differs stops migrate and dev
with one line and exit 2."""
import datetime
import hashlib
import os
import re
import subprocess
import unittest

import fixtures as fx
from harness import BINARY, PG_BIN, ROOT, Server

RELEASE1 = os.path.join(ROOT, "tests", "upgrade", "release-1")
DEMO = "demo@planyard.localhost"
# the first release's migrator: its bookkeeping table, one transaction per file
RELEASE1_BOOKKEEPING = ("create schema if not exists app; create table if not exists app.schema_migrations "
                        "(version int primary key, name text not null, applied_at timestamptz not null default now())")


def break_schedule(s):
    """What the first release let happen to its demo: a pour moved without its people, one
    canceled keeping them, one moved onto a day its people are booked on another pour of their
    crew. Returns what migration 005 must make of it."""
    rows = [r.split("|") for r in s.psql(
        "select p.id, p.scheduled_date, p.crew_id, count(a.id) from app.pours p join app.assignments a "
        "on a.tenant_id = p.tenant_id and a.pour_id = p.id group by 1, 2, 3 order by 2, 1", user="postgres").splitlines()]
    moved, canceled = rows[0], rows[1]
    clash, onto = next((x, y) for x in rows[2:] for y in rows[2:] if x[2] == y[2] and x[1] != y[1])
    taken = int(s.psql("select count(*) from app.assignments a where a.pour_id = '%s' and exists (select 1 from "
                       "app.assignments b where b.tenant_id = a.tenant_id and b.employee_id = a.employee_id "
                       "and b.date = '%s')" % (clash[0], onto[1]), user="postgres"))
    assert taken > 0
    s.psql("update app.pours set scheduled_date = scheduled_date + 400 where id = '%s'; "
           "update app.pours set status = 'canceled' where id = '%s'; "
           "update app.pours set scheduled_date = '%s' where id = '%s'" % (moved[0], canceled[0], onto[1], clash[0]),
           user="postgres")
    return {"moved": moved[0], "moved_n": int(moved[3]), "canceled": canceled[0], "canceled_n": int(canceled[3]),
            "clash": clash[0], "clash_kept": int(clash[3]) - taken, "clash_gone": taken}


def numbered_files():
    return [n for n in os.listdir(os.path.join(ROOT, "sql")) if re.match(r"^\d{3}_.*\.sql$", n)]


def psql_file(server, path, user, settings=""):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-h", server.pg_dir, "-U", user,
                        "-d", "planyard", "-c", settings or "select 1", "-f", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (path, r.stderr))


def schema_of(server):
    dump = subprocess.run([os.path.join(PG_BIN, "pg_dump"), "-h", server.pg_dir, "-U", "postgres", "--schema-only",
                           "--no-owner", "planyard"], capture_output=True, text=True, check=True).stdout
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "schema.sh"), "normalise"], input=dump,
                          capture_output=True, text=True, check=True).stdout


def migrate_env(server):
    e = server.env()
    e["PLANYARD_ADMIN_DATABASE_URL"] = "postgresql:///planyard?host=%s&user=planyard_owner" % server.pg_dir
    return e


def row_counts(server):
    tables = server.psql("select string_agg(c.relname, ' ' order by c.relname) from pg_class c "
                         "join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('app', 'platform') "
                         "and c.relkind = 'r' and c.relname not in ('schema_migrations', 'schema_functions')",
                         user="postgres").split()
    counts = {}
    for t in tables:
        counts[t] = int(server.psql("select count(*) from app.%s" % t, user="postgres"))
    return counts


class OneDefinition(unittest.TestCase):
    """Each function, policy and trigger is defined in exactly one place of sql/, and numbered
    migrations define none of them (nor grant), so what one is today reads in one file."""

    DEFINITION = re.compile(r"^\s*create (?:or replace )?(function|policy|trigger|view) ([\w.]+)", re.I | re.M)
    ON_TABLE = re.compile(r"[^;]*?\bon\s+([\w.]+)", re.I)

    def sql_files(self):
        out = []
        for d in ("sql", os.path.join("sql", "functions")):
            for name in sorted(os.listdir(os.path.join(ROOT, d))):
                if name.endswith(".sql") and name != "schema.sql":
                    with open(os.path.join(ROOT, d, name)) as f:
                        out.append((os.path.join(d, name), f.read()))
        return out

    def test_each_defined_once(self):
        seen = {}
        for path, text in self.sql_files():
            for m in self.DEFINITION.finditer(text):
                kind = m.group(1).lower()
                table = self.ON_TABLE.match(text, m.end()).group(1) if kind in ("policy", "trigger") else ""
                key = (kind, m.group(2).lower(), table.lower())
                if key in seen:
                    self.fail("%s %s %s defined in %s and %s" % (key + (seen[key], path)))
                seen[key] = path
        self.assertGreater(len(seen), 200)

    def test_numbered_files_hold_no_code(self):
        for path, text in self.sql_files():
            if os.path.dirname(path) != "sql":
                continue
            self.assertIsNone(self.DEFINITION.search(text), path)
            self.assertIsNone(re.search(r"^\s*grant ", text, re.I | re.M), path)


class UpgradeFromRelease1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # a first start makes the cluster, the roles and the demo user's password
        s = Server(args=()).start()
        cls.server = s
        try:
            cls.password = s.secret("demo_password")
            pw_hash = s.psql("select password_hash from app.users where email = '%s'" % DEMO, user="postgres")
            history = s.psql("select h.hash from app.password_history h join app.users u on u.id = h.user_id "
                             "where u.email = '%s'" % DEMO, user="postgres")
            s.stop()
            assert s.pg_ctl("start") == 0
            # the database again, as the first release made it
            s.psql("drop database planyard", user="postgres", db="postgres")
            s.psql("create database planyard owner planyard_owner", user="postgres", db="postgres")
            s.psql(RELEASE1_BOOKKEEPING, user="planyard_owner")
            for name in sorted(os.listdir(RELEASE1)):
                if not name.endswith(".sql"):
                    continue
                psql_file(s, os.path.join(RELEASE1, name), "planyard_owner")
                s.psql("insert into app.schema_migrations (version, name) values (%d, '%s')"
                       % (int(name[:3]), name), user="planyard_owner")
            settings = ("select set_config('planyard.demo_email', '%s', false), "
                        "set_config('planyard.demo_hash', '%s', false), "
                        "set_config('planyard.demo_history', '%s', false)" % (DEMO, pw_hash, history))
            psql_file(s, os.path.join(RELEASE1, "seed", "demo.sql"), "planyard_owner", settings)
            psql_file(s, os.path.join(ROOT, "tests", "upgrade", "release-1-data.sql"), "postgres")
            cls.broken = break_schedule(s)
            cls.before = row_counts(s)
            cls.audit_before = int(s.psql("select count(*) from app.audit_log a join app.tenants t "
                                          "on t.id = a.tenant_id where t.slug = 'demo'", user="postgres"))
            assert s.pg_ctl("stop") == 0
            # HEAD on it: dev migrates
            cls.upgraded = Server(data_dir=s.data_dir).start()
        except Exception:
            s.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "upgraded", None):
            cls.upgraded.stop()
        cls.server.cleanup()

    def test_1_schema_is_the_fresh_one(self):
        with open(os.path.join(ROOT, "sql", "schema.sql")) as f:
            fresh = f.read()
        self.assertEqual(schema_of(self.upgraded), fresh)

    def test_1_every_row_kept(self):
        self.maxDiff = None
        for t, n in self.before.items():
            self.assertGreater(n, 0, "the release-1 data leaves %s empty" % t)
        want = dict(self.before)
        # but for the people of a canceled pour, and those booked twice a day (migration 005)
        want["assignments"] -= self.broken["canceled_n"] + self.broken["clash_gone"]
        # and the audit rows of those changes
        want["audit_log"] += self.broken["canceled_n"] + self.broken["clash_gone"] + self.broken["moved_n"] + \
            self.broken["clash_kept"]
        # tables made since release 1 start empty (migration 006: sent sheets and crew links;
        # 012: trips and their travelers; 014: change notices owed)
        for t in ("crew_links", "sheet_auto", "sheet_sends", "trips", "travelers", "sheet_notices"):
            want[t] = 0
        self.assertEqual(row_counts(self.upgraded), want)

    def test_1_schedule_put_right(self):
        """Migration 005: people left on the old day of a moved pour follow it (unless booked on
        its day already: then the stale one goes), a canceled pour's people are released; each
        change audited as the system's; the database holds the rules from then on."""
        b, q = self.broken, lambda sql: self.upgraded.psql(sql, user="postgres")
        self.assertEqual(q("select count(*) || '|' || count(*) filter (where a.date = p.scheduled_date) from "
                           "app.assignments a join app.pours p on p.id = a.pour_id where p.id = '%s'" % b["moved"]),
                         "%d|%d" % (b["moved_n"], b["moved_n"]))
        self.assertEqual(q("select count(*) from app.assignments where pour_id = '%s'" % b["canceled"]), "0")
        self.assertEqual(q("select count(*) || '|' || count(*) filter (where a.date = p.scheduled_date) from "
                           "app.assignments a join app.pours p on p.id = a.pour_id where p.id = '%s'" % b["clash"]),
                         "%d|%d" % (b["clash_kept"], b["clash_kept"]))
        self.assertEqual(q("select count(*) from app.assignments a join app.pours p on p.id = a.pour_id "
                           "where a.date <> p.scheduled_date or p.status = 'canceled'"), "0")
        # (by the audit trigger of the release being upgraded: the functions are re-applied after)
        audit = q("select action || ':' || count(*) from app.audit_log where actor_kind = 'system' and action "
                  "in ('assignment.deleted', 'assignment.updated') group by action order by action")
        self.assertEqual(audit.splitlines(), ["assignment.deleted:%d" % (b["canceled_n"] + b["clash_gone"]),
                                              "assignment.updated:%d" % (b["moved_n"] + b["clash_kept"])])
        self.assertEqual(q("select count(*) from app.audit_log where actor_kind = 'system' and action = "
                           "'assignment.updated' and changes ? 'date' and not changes ? 'pour_id'"),
                         str(b["moved_n"] + b["clash_kept"]))
        # from here on the database refuses the same
        r = subprocess.run(["psql", "-X", "-q", "-h", self.upgraded.pg_dir, "-U", "postgres", "-d", "planyard", "-c",
                            "update app.assignments set date = date + 1 where pour_id = '%s'" % b["moved"]],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def test_1_baseline_recorded_in_place_of_release1(self):
        rows = self.upgraded.psql("select version, name, length(sha256) from app.schema_migrations order by 1",
                                  user="postgres")
        self.assertEqual(rows.splitlines()[0], "1|001_baseline.sql|64")
        # release-1's own rows (2 002_accounts.sql ...) are gone: after the baseline come only
        # the numbered files of this build, applied on top
        later = sorted(f for f in os.listdir(os.path.join(ROOT, "sql")) if re.match(r"^\d{3}_.*\.sql$", f))[1:]
        self.assertEqual(rows.splitlines()[1:], ["%d|%s|64" % (int(f[:3]), f) for f in later])
        n = int(self.upgraded.psql("select count(*) from app.schema_functions", user="postgres"))
        self.assertEqual(n, len(os.listdir(os.path.join(ROOT, "sql", "functions"))))

    def test_2_api_and_audit_chain(self):
        body = fx.login(self.upgraded, "demo", DEMO, self.password)
        tok = body["access_token"]
        today = datetime.date.today()
        r = self.upgraded.api("GET", "/pours?from=%s&to=%s" % (today - datetime.timedelta(days=45),
                                                               today + datetime.timedelta(days=45)), token=tok)
        self.assertEqual(r.status, 200, r)
        items = r.json["data"]
        self.assertGreater(len(items), 0)
        r = self.upgraded.api("GET", "/audit/verify", token=tok)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["ok"], r.json)
        self.assertGreaterEqual(r.json["rows"], self.audit_before)
        # a second start migrates nothing
        r = subprocess.run([BINARY, "migrate"], env=migrate_env(self.upgraded), capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "0 migrations applied"), r.stderr)

    def test_3_changed_migration_refused(self):
        s = self.upgraded
        s.psql("update app.schema_migrations set sha256 = repeat('0', 64) where version = 1", user="postgres")
        try:
            r = subprocess.run([BINARY, "migrate"], env=migrate_env(s), capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, r.stderr)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("001_baseline.sql was changed after it was applied", lines[0])
            # dev (and so the server's start) refuses the same way
            s.stop()
            r = subprocess.run([BINARY, "dev", "--no-demo"], env=s.env(), capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("001_baseline.sql was changed after it was applied", r.stderr)
        finally:
            if s.pg_ctl("status") != 0:
                s.pg_ctl("start")
            s.psql("update app.schema_migrations set sha256 = '%s' where version = 1" % self.baseline_sha(),
                   user="postgres")

    def migrate(self):
        return subprocess.run([BINARY, "migrate"], env=migrate_env(self.upgraded), capture_output=True, text=True)

    def test_4_changed_functions_reapplied(self):
        s = self.upgraded
        s.psql("update app.schema_functions set sha256 = repeat('0', 64) where name = 'functions/020_auth.sql'",
               user="postgres")
        r = self.migrate()
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1 migration applied"), r.stderr)
        self.assertEqual(self.migrate().stdout.strip(), "0 migrations applied")
        with open(os.path.join(ROOT, "sql", "schema.sql")) as f:
            self.assertEqual(schema_of(s), f.read())

    def test_5_unknown_history_without_checksums_refused(self):
        s = self.upgraded
        kept = s.psql("select version || '=' || sha256 from app.schema_migrations where version > 1",
                      user="postgres").split()
        s.psql("alter table app.schema_migrations drop column sha256; "
               "insert into app.schema_migrations (version, name) values (99, '099_accounts.sql')", user="postgres")
        try:
            r = self.migrate()
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("not those of the first release", r.stderr)
        finally:
            s.psql("delete from app.schema_migrations where version = 99; "
                   "alter table app.schema_migrations add column sha256 text; "
                   "update app.schema_migrations set sha256 = '%s' where version = 1; " % self.baseline_sha() +
                   "".join("update app.schema_migrations set sha256 = '%s' where version = %s; "
                           % (k.split("=")[1], k.split("=")[0]) for k in kept), user="postgres")
        self.assertEqual(self.migrate().returncode, 0)

    @staticmethod
    def baseline_sha():
        with open(os.path.join(ROOT, "sql", "001_baseline.sql"), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    unittest.main()
