"""The closed vocabularies (roles, trades, pour and reminder statuses, channels, reminder
subjects) are one table in C (src/vocab.c) and CHECK constraints in SQL. Read from a migrated
database's catalog (pg_constraint, and pg_enum should a set become a type) and from what the
server says it accepts (/openapi.json, generated from the C table; the list filters), they must
be the same sets, so neither side can gain or lose a word alone."""
import re
import unittest

from fixtures import new_workspace
from harness import Server

# column -> the openapi (path, method, field) that carries the same set
BODY_FIELDS = {
    "role": [("/api/v1/members/{user_id}", "patch", "role"), ("/api/v1/invitations", "post", "role")],
    "trade": [("/api/v1/employees", "post", "trade")],
    "pours.status": [("/api/v1/pours", "post", "status")],
    "reminders.channel": [("/api/v1/reminders", "post", "channel")],
    "employees.channel": [("/api/v1/employees", "post", "channel")],
    "subject_type": [("/api/v1/reminders", "post", "subject_type")],
    "trips.status": [("/api/v1/trips", "post", "status")],
    "tenants.kind": [("/api/v1/workspace", "patch", "kind"), ("/api/v1/auth/signup", "post", "kind")],
}
# column -> a list filter of the same set (path, query without the value)
FILTERS = {
    "trade": "/employees?trade=",
    "pours.status": "/pours?from=2030-01-01&to=2030-01-31&status=",
    "reminders.status": "/reminders?status=",
    "trips.status": "/trips?status=",
}
ANY_ARRAY = re.compile(r"\((\w+) = ANY \(\(?ARRAY\[(.*?)\]\)?")


class VocabularyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"})
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise
        cls.openapi = cls.server.api("GET", "/openapi.json").json
        cls.sql = cls.sql_sets()

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        assert errors == [] and status == 0, (status, errors)

    @classmethod
    def sql_sets(cls):
        """{column or table.column: {frozenset of words: [where]}} from the app schema's checks."""
        out = cls.server.psql(
            "select c.relname, pg_get_constraintdef(k.oid) from pg_constraint k "
            "join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'app' and k.contype = 'c' order by 1, 2", user="planyard_owner")
        sets = {}
        for line in out.splitlines():
            table, definition = line.split("|", 1)
            for col, arr in ANY_ARRAY.findall(definition):
                words = frozenset(re.findall(r"'([^']*)'", arr))
                for key in (col, "%s.%s" % (table, col)):
                    sets.setdefault(key, {}).setdefault(words, []).append(table)
        enums = cls.server.psql("select t.typname, e.enumlabel from pg_enum e join pg_type t on t.oid = e.enumtypid",
                                user="planyard_owner")
        for line in enums.splitlines():
            name, label = line.split("|", 1)
            sets.setdefault("enum:" + name, {}).setdefault(frozenset(), []).append(label)
        return sets

    def one_sql_set(self, key):
        found = self.sql.get(key, {})
        self.assertEqual(len(found), 1, "%s: one set in the database, found %r" % (key, found))
        return next(iter(found))

    def body_enum(self, path, method, field):
        op = self.openapi["paths"][path][method]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        return frozenset(schema["properties"][field]["enum"])

    def test_the_database_has_no_enum_types_beside_the_checks(self):
        self.assertEqual([k for k in self.sql if k.startswith("enum:")], [],
                         "a new enum type needs its C table and a line here")

    def test_roles_are_one_set(self):
        roles = self.one_sql_set("role")
        self.assertEqual(roles, {"viewer", "scheduler", "admin", "owner"})
        for path, method, field in BODY_FIELDS["role"]:
            self.assertEqual(self.body_enum(path, method, field), roles, path)
        minimum = {op.get("x-minimum-role") for ops in self.openapi["paths"].values() for op in ops.values()}
        self.assertLessEqual(minimum - {None}, roles, "every route's minimum role is a role")

    def test_body_enums_match_the_checks(self):
        for key, fields in BODY_FIELDS.items():
            want = self.one_sql_set(key)
            for path, method, field in fields:
                self.assertEqual(self.body_enum(path, method, field), want, "%s %s %s" % (method, path, field))

    def test_list_filters_accept_exactly_the_checked_words(self):
        ws = new_workspace(self.server)
        for key, query in FILTERS.items():
            for word in sorted(self.one_sql_set(key)):
                r = ws.api("GET", query + word)
                self.assertEqual(r.status, 200, "%s%s: %r" % (query, word, r))
            r = ws.api("GET", query + "not_a_word")
            self.assertEqual(r.status, 400, "%snot_a_word" % query)


if __name__ == "__main__":
    unittest.main()
