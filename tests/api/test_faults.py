"""Bad days for the database, as a client sees them: a statement that runs into
statement_timeout, and a database that can only be read. Either answers `503 db_unavailable`
with `Retry-After` (never `500`), reads go on where they can, nothing is half-written, and
the server is back by itself when the database is.
"""
import subprocess
import time
import unittest

from fixtures import new_workspace
from harness import Server


class DatabaseFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_DB_STATEMENT_TIMEOUT_MS": "400"})
        try:
            cls.server.start()
            cls.ws = new_workspace(cls.server)
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        errors = cls.server.sanitizer_errors()
        cls.server.cleanup()
        if errors:
            raise AssertionError("sanitizer reports:\n" + "\n".join(errors[:20]))

    def su(self, sql):
        return self.server.psql(sql, user="postgres")

    def customers(self):
        return int(self.su("select count(*) from app.customers where tenant_id = '%s'" % self.ws.id))

    def assert_unavailable(self, r):
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json["code"], "db_unavailable", r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1, r)
        self.assertEqual(r.header("Content-Type"), "application/problem+json")

    def test_statement_timeout_answers_503(self):
        """A table locked by someone else: the read and the write wait, hit the statement
        timeout (400 ms here) and answer 503; once the lock is gone both work again."""
        before = self.customers()
        holder = subprocess.Popen(["psql", "-X", "-q", "-h", self.server.pg_dir, "-U", "postgres", "-d", "planyard",
                                   "-c", "begin; lock table app.customers in access exclusive mode; select pg_sleep(4); commit;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 5
            while time.time() < deadline and self.su(
                    "select count(*) from pg_locks where relation = 'app.customers'::regclass and mode = 'AccessExclusiveLock' and granted") != "1":
                time.sleep(0.05)
            self.assert_unavailable(self.ws.api("GET", "/customers"))
            self.assert_unavailable(self.ws.api("POST", "/customers", {"name": "while locked"}))
        finally:
            holder.wait(timeout=30)
        self.assertEqual(self.customers(), before, "the timed-out write left nothing")
        self.assertEqual(self.ws.api("GET", "/customers").status, 200)
        self.assertEqual(self.ws.api("POST", "/customers", {"name": "after the lock"}).status, 201)

    def test_read_only_database(self):
        """default_transaction_read_only for the whole cluster (a replica promoted late, a
        disk filling up): writes answer 503 and write nothing, reads go on, even for a
        session whose last use is due to be recorded; back to normal, writes work again."""
        self.assertEqual(self.ws.api("POST", "/customers", {"name": "before"}).status, 201)
        before = self.customers()
        self.su("alter system set default_transaction_read_only = on")
        self.su("select pg_reload_conf()")
        try:
            time.sleep(0.5)
            self.assert_unavailable(self.ws.api("POST", "/customers", {"name": "read only"}))
            # the session's last use is a minute old: the read must not need to record it
            self.su("begin read write; "
                    "update app.sessions set last_used_at = now() - interval '5 minutes' where user_id = '%s'; commit"
                    % self.ws.user_id)
            r = self.ws.api("GET", "/customers")
            self.assertEqual(r.status, 200, r)
            self.assertIn("before", {c["name"] for c in r.json["data"]})
            self.assertEqual(self.ws.api("GET", "/me").status, 200)
        finally:
            self.su("alter system reset default_transaction_read_only")
            self.su("select pg_reload_conf()")
        time.sleep(0.5)
        self.assertEqual(self.customers(), before, "the refused write left nothing")
        self.assertEqual(self.ws.api("POST", "/customers", {"name": "after"}).status, 201)


if __name__ == "__main__":
    unittest.main()
