"""The plans of the hot reads, as PostgreSQL runs them for planyard_app with a live session.

Every list and get of the operating data, the manpower projection, the profile of GET /me and
the session check that opens each request are run (prepared, on generic plans like the
server's) with auto_explain logging every statement, the ones inside PL/pgSQL functions too.
What must hold, so that a later change can't bring the per-request cost back unseen:

- every table of the workspace's data and every session lookup is read by an index, never a
  sequential scan (the tables hold a few hundred workspaces here; a table of a few pages,
  which PostgreSQL rightly reads whole, does not count);
- the request's own statement calls no SECURITY DEFINER function per row: such calls (the
  session probe behind the policies) sit in InitPlans, run once per statement, or in a
  function scan run once.
"""
import json
import os
import re
import subprocess
import unittest

from harness import ROOT, ServerCase

WORKSPACES = 200
KEY = "benchkey-7"           # bench/load.sql: workspace n has a live session of secret benchkey-n
WEEK = '{"from":"2025-03-03","to":"2025-03-09"}'
TABLES = "tenants users memberships sessions regions customers projects employees crews crew_members pours assignments"


def profile_statement():
    """GET /me's profile query, as src/api/session.c sends it."""
    src = open(os.path.join(ROOT, "src/api/session.c")).read()
    body = src[src.index("json_t *session_profile("):]
    m = re.search(r"DB_STMT\(((?:\s*\"(?:[^\"\\]|\\.)*\")+)\)", body)
    return "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1)))


def nodes(plan, in_initplan=False):
    """(node, inside an InitPlan) for plan and every node below it."""
    yield plan, in_initplan
    for child in plan.get("Plans", []):
        yield from nodes(child, in_initplan or child.get("Parent Relationship") == "InitPlan")


def node_text(node):
    """Every expression a node evaluates, as EXPLAIN VERBOSE prints them."""
    parts = []
    for k, v in node.items():
        if k == "Plans":
            continue
        if isinstance(v, list):
            parts.extend(str(x) for x in v)
        elif isinstance(v, str):
            parts.append(v)
    return " ".join(parts)


class HotPlans(ServerCase):
    @classmethod
    def prepare(cls):
        owner = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cls.server.pg_dir, "-U", "planyard_owner",
                 "-d", "planyard"]
        def triggers(what):
            sql = ("do $$ declare t text; begin foreach t in array string_to_array('%s', ' ') loop "
                   "execute format('alter table app.%%I %s trigger user', t); end loop; end $$" % (TABLES, what))
            subprocess.run(owner + ["-c", sql], check=True, capture_output=True)
        triggers("disable")
        subprocess.run(owner + ["-v", "first=1", "-v", "last=%d" % WORKSPACES, "-f",
                                os.path.join(ROOT, "bench/load.sql")], check=True, capture_output=True)
        triggers("enable")
        cls.server.psql("vacuum analyze", user="postgres")
        # a table of a few pages is read whole faster than through an index: only larger ones count
        cls.large = set(cls.server.psql("select relname from pg_class where relnamespace = 'app'::regnamespace "
                                        "and relkind = 'r' and relpages >= 8", user="postgres").split())
        cls.definers = set(cls.server.psql(
            "select proname from pg_proc where prosecdef and pronamespace = 'app'::regnamespace",
            user="postgres").split())
        tables = ["customers", "projects", "employees", "crews", "pours", "assignments"]
        ids = cls.server.psql("select %s from app.tenants t where t.slug = 'bench-7'" % ", ".join(
            "(select x.id from app.%s x where x.tenant_id = t.id limit 1)" % name for name in tables), user="postgres")
        cls.ids = dict(zip(tables, ids.split("|")))

    def plans(self, statement):
        """The JSON plans of statement (prepared, generic plan, run as planyard_app after
        app.request_begin) and of every statement it ran inside functions: (top, nested)."""
        script = "\n".join([
            "load 'auto_explain';",
            "set auto_explain.log_min_duration = 0;",
            "set auto_explain.log_nested_statements = on;",
            "set auto_explain.log_format = json;",
            "set auto_explain.log_verbose = on;",
            "set auto_explain.log_analyze = on;",
            "set auto_explain.log_timing = off;",
            "set auto_explain.log_level = notice;",
            "set plan_cache_mode = force_generic_plan;",
            "set client_min_messages = notice;",
            "begin;",
            "set local role planyard_app;",
            "prepare hot as %s;" % statement,
            "select count(*) from app.request_begin('%s');" % KEY,
            "execute hot;",
            "commit;",
        ])
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.server.pg_dir, "-U", "postgres",
                            "-d", "planyard"], input=script, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        logged = []
        for chunk in re.split(r"(?m)^NOTICE:\s+", r.stderr):
            i = chunk.find("{")
            if i < 0 or "duration:" not in chunk[:i]:
                continue
            logged.append(json.JSONDecoder().raw_decode(chunk[i:])[0])
        top = [p for p in logged if p["Query Text"].lstrip().lower().startswith("prepare hot")]
        self.assertEqual(len(top), 1, "the statement itself was logged once: %s" % statement)
        begin = [p for p in logged if "request_begin" in p["Query Text"]]
        self.assertTrue(begin, "the session check was logged")
        return top[0], [p for p in logged if p is not top[0]]

    def check(self, statement):
        top, nested = self.plans(statement)
        for p in [top] + nested:
            for node, _ in nodes(p["Plan"]):
                if node.get("Schema") == "app" and node["Node Type"] == "Seq Scan" and node["Relation Name"] in self.large:
                    self.fail("sequential scan of app.%s in %r (statement: %s)"
                              % (node["Relation Name"], p["Query Text"][:120], statement))
        for node, in_initplan in nodes(top["Plan"]):
            if in_initplan:
                continue
            text = node_text(node)
            called = {f for f in self.definers if re.search(r"\b%s\(" % re.escape(f), text)}
            if node["Node Type"] == "Function Scan" and node.get("Actual Loops", 1) <= 1:
                continue
            self.assertFalse(called, "%s node of %s calls SECURITY DEFINER %s outside an InitPlan"
                             % (node["Node Type"], statement, sorted(called)))
        return top, nested

    def test_every_list(self):
        names = self.server.psql("select proname from pg_proc where pronamespace = 'app'::regnamespace "
                                 "and proname like '%\\_page' order by 1", user="postgres").split()
        self.assertIn("pours_page", names)
        for name in names:
            with self.subTest(name=name):
                self.check("select j, k from app.%s('%s'::jsonb, 50, null)" % (name, WEEK))

    def test_every_get(self):
        for table, id in self.ids.items():
            with self.subTest(table=table):
                self.assertTrue(id, table)
                self.check("select app.%s_get('%s'::uuid)" % (table, id))

    def test_manpower_and_me(self):
        self.check("select json_build_object('data', app.manpower('2025-03-03'::date, '2025-03-09'::date, null::uuid))")
        self.check(profile_statement())

    def test_the_session_check_is_one_index_probe(self):
        """request_begin and the policies' session probe read sessions by the key's hash."""
        top, nested = self.check("select j, k from app.pours_page('%s'::jsonb, 50, null)" % WEEK)
        probes = [node for p in nested for node, _ in nodes(p["Plan"]) if node.get("Relation Name") == "sessions"]
        self.assertTrue(probes, "the session is looked up")
        for node in probes:
            self.assertIn(node["Node Type"], ("Index Scan", "Index Only Scan"), node)
            self.assertIn("key_hash", node.get("Index Cond", ""), node)
        pours = [node for node, _ in nodes(top["Plan"]) if node.get("Relation Name") == "pours"]
        # the week's pours (c), read once: their conflicts come from the same rows
        self.assertEqual(sorted(p.get("Alias") for p in pours), ["c"], pours)
        for p in pours:
            self.assertIn(p["Node Type"], ("Index Scan", "Bitmap Heap Scan"), p)
            cond = p.get("Index Cond") or p.get("Recheck Cond", "")
            self.assertIn("tenant_id", cond)
            self.assertIn("scheduled_date", cond)
        week = next(p for p in pours if p["Alias"] == "c")
        self.assertIn("$", week.get("Index Cond") or week.get("Recheck Cond", ""), "one tenant, computed once")

    def test_the_profile_of_me_is_one_session_probe(self):
        """GET /me's profile (app.session_profile) finds the live session by its key's hash once
        and reads the user, workspace, membership and staff grant by their keys: no policy's
        session probe on each of them."""
        top, nested = self.check(profile_statement())
        inner = [p for p in nested if "app.impersonations" in p["Query Text"]]
        self.assertEqual(len(inner), 1, [p["Query Text"][:80] for p in nested])
        all_nodes = [node for p in [top] + inner for node, _ in nodes(p["Plan"])]
        sessions = [node for node in all_nodes if node.get("Relation Name") == "sessions"]
        self.assertEqual(len(sessions), 1, sessions)
        self.assertIn("key_hash", sessions[0].get("Index Cond", ""), sessions[0])
        probes = [node for node in all_nodes if "session_context()" in node_text(node)
                  and node.get("Actual Loops", 0) > 0]
        self.assertEqual(probes, [], "a policy's session probe ran")

    def test_the_week_costs_one_session_probe_and_a_small_plan(self):
        """The week's page runs one session probe (its rows and their conflicts are one read of
        pours), and its plan stays small: PostgreSQL initializes every node of a plan at each execution,
        run or not, so a policy that drags other tables' policies into every read (as a crew
        link's EXISTS did, OR-ed with the session's) costs each request though it never runs."""
        top, _ = self.check("select j, k from app.pours_page('%s'::jsonb, 50, null)" % WEEK)
        all_nodes = [node for node, _ in nodes(top["Plan"])]
        probes = [node for node in all_nodes if node.get("Parent Relationship") == "InitPlan"
                  and "session_context()" in node_text(node) and node.get("Actual Loops", 0) > 0]
        self.assertEqual(len(probes), 1, [node_text(n)[:200] for n in probes])
        self.assertLessEqual(len(all_nodes), 45, "nodes in the plan of the week's page")
        read = {node["Relation Name"] for node in all_nodes
                if node.get("Relation Name") and node.get("Actual Loops", 0) > 0}
        self.assertEqual(read, {"pours"}, "the week's page reads nothing but pours")
        week = next(node for node in all_nodes if node.get("Relation Name") == "pours" and node.get("Alias") == "c")
        # the week's rows found by the index, not the workspace's read and filtered
        self.assertLessEqual(week.get("Rows Removed by Filter", 0), 2, week)

    def test_reads_of_the_crew_link_tables_take_the_workspace_as_their_index_condition(self):
        """Every list of a table a crew link reads finds the session's workspace through the
        index: the link's policies add no OR that would keep the workspace out of it."""
        for name, table in (("assignments_page", "assignments"), ("projects_page", "projects"),
                            ("crews_page", "crews"), ("employees_page", "employees")):
            with self.subTest(name=name):
                top, _ = self.check("select j, k from app.%s('%s'::jsonb, 50, null)" % (name, WEEK))
                scans = [node for node, _ in nodes(top["Plan"]) if node.get("Relation Name") == table
                         and node.get("Actual Loops", 0) > 0]
                self.assertTrue(scans, name)
                for node in scans:
                    if table in self.large:
                        cond = node.get("Index Cond") or node.get("Recheck Cond", "")
                        self.assertIn("tenant_id = $", cond, node)
                        if table == "assignments":   # the week's days too, not all of the workspace's
                            self.assertIn("date >=", cond, node)
                    self.assertNotIn("BitmapOr", json.dumps(node), node)

    def test_the_manpower_projection_reads_the_workspace_through_its_indexes(self):
        """GET /manpower reads five tables: each large one is found by the workspace as its
        index condition (the tenant computed once, a parameter), the days asked reach the
        pours' and the assignments' index, and its query keeps its plan for the connection
        (app.manpower is PL/pgSQL: as SQL with CTEs it was planned again, 2 ms, at every call)."""
        lang = self.server.psql("select l.lanname from pg_proc p join pg_language l on l.oid = p.prolang "
                                "where p.oid = 'app.manpower(date, date, uuid)'::regprocedure", user="postgres").strip()
        self.assertEqual(lang, "plpgsql")
        _, nested = self.check("select json_build_object('data', app.manpower('2025-03-03'::date, "
                               "'2025-03-09'::date, null::uuid))")
        inner = [p for p in nested if "generate_series" in p["Query Text"]]
        self.assertEqual(len(inner), 1, [p["Query Text"][:80] for p in nested])
        scans = [node for node, _ in nodes(inner[0]["Plan"]) if node.get("Relation Name") in self.large
                 and node.get("Actual Loops", 0) > 0]
        self.assertTrue({"pours", "assignments", "employees"} <= {n["Relation Name"] for n in scans}, scans)
        for node in scans:
            cond = node.get("Index Cond") or node.get("Recheck Cond", "")
            self.assertIn("tenant_id = ", cond, node)
            if node["Relation Name"] == "pours" and not re.search(r"[.(]id = ", cond):   # a week's, not a pour by id
                self.assertIn("scheduled_date", cond, node)
            if node["Relation Name"] == "assignments":
                self.assertIn("date", cond, node)

    def test_the_gets_and_the_records_json_keep_their_plans(self):
        """A SQL function with a FROM or a sub-select is never inlined into its caller, so its
        query is planned again, policies and all, at every call (a get cost three times the
        week's page that way): the gets and the records' JSON are PL/pgSQL, or SQL that inlines."""
        replanned = self.server.psql(
            "select p.proname from pg_proc p join pg_language l on l.oid = p.prolang "
            "where p.pronamespace = 'app'::regnamespace and l.lanname = 'sql' "
            "and p.proname ~ '^(assignments|crews|customers|employees|pours|projects|regions|reminders)_(get|json)$' "
            "and p.prosrc ~* '\\m(from|select)\\M.*\\mfrom\\M' order by 1", user="postgres").split()
        self.assertEqual(replanned, [])
        # the pattern finds a body like the gets' were (the check can fail)
        found = self.server.psql("select 'select app.pours_json(c) from app.pours c where c.id = p_id' "
                                 "~* '\\m(from|select)\\M.*\\mfrom\\M'", user="postgres").strip()
        self.assertEqual(found, "t")

if __name__ == "__main__":
    unittest.main()
