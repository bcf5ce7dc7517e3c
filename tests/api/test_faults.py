"""Bad days for the database, as a client sees them: a statement that runs into
statement_timeout, a database that can only be read, a fast restart and a `kill -9` of the
postmaster under a write loop. Each answers `503 db_unavailable` with `Retry-After` (never
`500`), reads go on where they can, nothing is half-written, every acknowledged write is
there afterwards, and the server is back by itself within seconds of the database.
"""
import os
import signal
import subprocess
import threading
import time
import unittest

from fixtures import new_workspace
from harness import ServerCase


class DatabaseFaults(ServerCase):
    env = {"PLANYARD_DB_STATEMENT_TIMEOUT_MS": "400"}

    @classmethod
    def prepare(cls):
        # the test cluster runs with synchronous_commit off for speed, which loses the last
        # commits on a crash by design: here an acknowledged write must survive a kill -9
        cls.server.psql("alter role planyard_app set synchronous_commit = on", user="postgres")
        cls.server.psql("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'planyard_app'",
                        user="postgres")
        cls.ws = new_workspace(cls.server)

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
        r = self.ws.api("POST", "/customers", {"name": "before"})
        self.assertEqual(r.status, 201, r)
        kept = r.json["id"]
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
            r = self.ws.api("GET", "/customers/" + kept)
            self.assertEqual((r.status, r.json.get("name")), (200, "before"), r)
            self.assertEqual(self.ws.api("GET", "/me").status, 200)
        finally:
            self.su("alter system reset default_transaction_read_only")
            self.su("select pg_reload_conf()")
        time.sleep(0.5)
        self.assertEqual(self.customers(), before, "the refused write left nothing")
        self.assertEqual(self.ws.api("POST", "/customers", {"name": "after"}).status, 201)

    def write_loop(self, outage):
        """Creates customers back to back on 4 threads while outage() runs; returns the ids of
        the acknowledged writes and the other answers, once writes succeed again."""
        acked, others, stop = [], [], threading.Event()
        lock = threading.Lock()

        def writer(k):
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = self.ws.api("POST", "/customers", {"name": "loop %d-%d" % (k, i)})
                except OSError:
                    continue
                with lock:
                    (acked if r.status == 201 else others).append(r.json["id"] if r.status == 201 else r)
                time.sleep(0.01)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            outage()
            # back by itself: writes succeed within 5 s of the database
            t0, n = time.time(), len(acked)
            while len(acked) < n + 20 and time.time() - t0 < 5:
                time.sleep(0.05)
            back = time.time() - t0
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertLess(back, 5, "writes did not come back within 5 s of the database")
        return acked, others

    def check_outage(self, acked, others):
        self.assertTrue(acked)
        for r in others:
            self.assert_unavailable(r)
        ids = set(self.su("select id from app.customers where tenant_id = '%s'" % self.ws.id).split())
        missing = [i for i in acked if i not in ids]
        self.assertEqual(missing, [], "acknowledged writes lost")

    def pg_start(self):
        rc = self.server.pg_ctl("start")
        if rc != 0:
            with open(os.path.join(self.server.pg_dir, "server.log")) as f:
                self.fail("the cluster did not start again:\n" + "".join(f.readlines()[-15:]))

    def test_fast_restart_under_writes(self):
        def outage():
            self.assertEqual(self.server.pg_ctl("stop", "-m", "fast"), 0)
            time.sleep(0.5)
            self.pg_start()
        acked, others = self.write_loop(outage)
        self.assertTrue(others, "the outage was seen")
        self.check_outage(acked, others)

    def test_postmaster_killed_under_writes(self):
        def outage():
            pid = int(open(os.path.join(self.server.pg_dir, "postmaster.pid")).readline())
            os.kill(pid, signal.SIGKILL)
            deadline = time.time() + 10
            while time.time() < deadline and self.server.cluster_processes():
                time.sleep(0.05)
            for p in self.server.cluster_processes():   # orphaned backends, as after a crash
                os.kill(p, signal.SIGKILL)
            time.sleep(0.3)
            try:   # an unreaped postmaster (no init to reap it here) still "runs" for pg_ctl
                zombie = open("/proc/%d/stat" % pid).read().split(") ")[1][0] == "Z"
            except OSError:
                zombie = False
            if zombie:
                for lock in ("postmaster.pid", ".s.PGSQL.5432.lock"):
                    try:
                        os.remove(os.path.join(self.server.pg_dir, lock))
                    except FileNotFoundError:
                        pass
            self.pg_start()
        acked, others = self.write_loop(outage)
        self.check_outage(acked, others)


if __name__ == "__main__":
    unittest.main()
