"""The schema lint: read from the catalog, so a new table that forgets any rule fails the
build. Every table holding workspace data has tenant_id first in its primary key and in every
foreign key, row-level security enabled and forced, policies for all four commands, and
planyard_app holds no privilege beyond what it needs."""
import unittest

from harness import Server

# Tables without a tenant_id column, and why they are not workspace data. Each still has
# RLS enabled and forced.
NOT_WORKSPACE_DATA = {
    "tenants": "the workspaces themselves (id is the tenant)",
    "users": "people, who may belong to several workspaces",
    "password_history": "a user's, reached only by SECURITY DEFINER functions",
    "rate_events": "rate-limit counters, definer-only",
    "recovery_codes": "a user's second-factor codes, definer-only",
    "mfa_challenges": "sign-in state before a session exists, definer-only",
    "weather_cache": "forecasts by ZIP and day, no workspace data",
    "schema_migrations": "the migrator's bookkeeping (owner only)",
    "schema_functions": "the migrator's bookkeeping (owner only)",
}
MIGRATOR = {"schema_migrations", "schema_functions"}
# Tables with a nullable tenant_id that are internal queues, reached only through
# SECURITY DEFINER functions (their policies admit only the definer).
INTERNAL = {"outbox", "user_tokens", "billing_events"}
# What planyard_app may do, table by table; anything more is a finding.
ALLOWED = {
    "tenants": {"SELECT"},
    "users": {"SELECT", "UPDATE"},
    "memberships": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "sessions": {"SELECT", "UPDATE"},
    "audit_log": {"SELECT"},
    "invitations": {"SELECT", "INSERT", "UPDATE"},
    "billing": {"SELECT"},
    "impersonations": {"SELECT"},
}
OPERATING = {"customers", "regions", "projects", "employees", "crews", "crew_members", "pours", "assignments",
             "reminders", "trips", "travelers"}


class SchemaLint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        assert errors == [] and status == 0, (status, errors)

    def q(self, sql):
        out = self.server.psql(sql, user="planyard_owner")
        return [line.split("|") for line in out.splitlines() if line]

    def tables(self):
        return [r[0] for r in self.q("select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                     "where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1")]

    def test_workspace_tables_are_keyed_by_tenant(self):
        problems = []
        for t in self.tables():
            if t in NOT_WORKSPACE_DATA or t in INTERNAL:
                continue
            cols = [r[0] for r in self.q("select attname from pg_attribute where attrelid = 'app.%s'::regclass "
                                         "and attnum > 0 and not attisdropped" % t)]
            if "tenant_id" not in cols:
                problems.append("%s: no tenant_id (workspace data, or add it to NOT_WORKSPACE_DATA with a reason)" % t)
                continue
            notnull = self.q("select attnotnull from pg_attribute where attrelid = 'app.%s'::regclass "
                             "and attname = 'tenant_id'" % t)[0][0]
            if notnull != "t":
                problems.append("%s: tenant_id may be null" % t)
            pk = self.q("select (select a.attname from pg_attribute a where a.attrelid = c.conrelid "
                        "and a.attnum = c.conkey[1]) from pg_constraint c where c.conrelid = 'app.%s'::regclass "
                        "and c.contype = 'p'" % t)
            if not pk or pk[0][0] != "tenant_id":
                problems.append("%s: tenant_id is not first in the primary key" % t)
            for name, first, target in self.q(
                    "select c.conname, (select a.attname from pg_attribute a where a.attrelid = c.conrelid "
                    "and a.attnum = c.conkey[1]), c.confrelid::regclass::text from pg_constraint c "
                    "where c.conrelid = 'app.%s'::regclass and c.contype = 'f'" % t):
                # a workspace row may point at the global rows it hangs from (its tenant, a
                # user); every other reference stays inside the workspace
                if first != "tenant_id" and target.replace("app.", "") not in NOT_WORKSPACE_DATA:
                    problems.append("%s: foreign key %s (to %s) does not start with tenant_id" % (t, name, target))
        self.assertEqual(problems, [])

    def test_rls_enabled_forced_and_four_policies(self):
        problems = []
        for t in self.tables():
            if t in MIGRATOR:
                continue
            rls, force = self.q("select relrowsecurity, relforcerowsecurity from pg_class "
                                "where oid = 'app.%s'::regclass" % t)[0]
            if rls != "t" or force != "t":
                problems.append("%s: row-level security not enabled and forced" % t)
            cmds = {r[0] for r in self.q("select polcmd from pg_policy where polrelid = 'app.%s'::regclass" % t)}
            if "*" not in cmds and not {"r", "a", "w", "d"} <= cmds:
                problems.append("%s: policies cover only %s" % (t, sorted(cmds)))
        self.assertEqual(problems, [])

    def test_operating_policies_use_the_live_session(self):
        for t in OPERATING:
            for name, qual, check in self.q(
                    # (one line each: a policy with a subquery is printed on several)
                    "select polname, regexp_replace(coalesce(pg_get_expr(polqual, polrelid), ''), '\\s+', ' ', 'g'), "
                    "regexp_replace(coalesce(pg_get_expr(polwithcheck, polrelid), ''), '\\s+', ' ', 'g') from pg_policy "
                    "where polrelid = 'app.%s'::regclass and polname <> '%s_jobs'" % (t, t)):
                text = qual + check
                self.assertIn("current_tenant()", text, (t, name))
                if not name.endswith("_select"):
                    self.assertIn("current_rank()", text, (t, name))

    def test_app_role_grants_are_minimal(self):
        problems = []
        rows = self.q("select table_name, string_agg(privilege_type, ',') from information_schema.role_table_grants "
                      "where grantee = 'planyard_app' and table_schema = 'app' group by 1")
        for t, privs in rows:
            have = set(privs.split(","))
            allowed = ALLOWED.get(t, {"SELECT", "INSERT", "UPDATE", "DELETE"} if t in OPERATING else set())
            if have - allowed:
                problems.append("%s: planyard_app may %s" % (t, sorted(have - allowed)))
        # column grants: nothing that lets the app role change who, where or what state
        cols = {(t, c) for t, c in self.q(
            "select table_name, column_name from information_schema.column_privileges "
            "where grantee = 'planyard_app' and table_schema = 'app' and privilege_type = 'UPDATE' "
            "and table_name in ('tenants', 'users', 'sessions', 'memberships')")}
        for forbidden in (("tenants", "status"), ("tenants", "slug"), ("tenants", "suspended_at"),
                          ("users", "password_hash"), ("users", "email"), ("users", "totp_secret"),
                          ("sessions", "key_hash"), ("sessions", "expires_at"), ("sessions", "tenant_id"),
                          ("memberships", "user_id"), ("memberships", "tenant_id")):
            if forbidden in cols:
                problems.append("planyard_app may update %s.%s" % forbidden)
        self.assertEqual(problems, [])
        role = self.q("select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles "
                      "where rolname = 'planyard_app'")[0]
        self.assertEqual(role, ["f", "f", "f", "f"])
        owned = self.q("select count(*) from pg_class c join pg_roles r on r.oid = c.relowner "
                       "where r.rolname = 'planyard_app'")[0][0]
        self.assertEqual(owned, "0")

    def test_no_secret_columns_readable_by_the_app(self):
        # password hashes and TOTP secrets leave the database only through definer functions
        self.server.psql("select 1")   # the app role can connect
        out = self.server.psql("select password_hash from app.users limit 1", check=False)
        self.assertIn("permission denied", out)


if __name__ == "__main__":
    unittest.main()
