"""Sign-in under a flood: the hashing queue is bounded by time, not by length.

With real bcrypt (cost 12, about a quarter of a second per sign-in here), a burst of sign-ins
larger than the work pool can hash within about two seconds gets `503 busy` with a
`Retry-After` at once for the part that would wait longer, while the rest are served; and the
queued hashing of a client that has gone is dropped instead of being done for nobody.
"""
import concurrent.futures
import json
import os
import socket
import subprocess
import time
import unittest

from fixtures import PASSWORD, new_workspace
from harness import ServerCase

BURST = 48


class LoginFlood(ServerCase):
    env = {"PLANYARD_BCRYPT_COST": "12"}

    @classmethod
    def prepare(cls):
        cls.ws = new_workspace(cls.server)

    def body(self):
        return {"workspace": self.ws.slug, "email": self.ws.email, "password": PASSWORD}

    def sessions(self):
        return int(self.server.psql("select count(*) from app.sessions where user_id = '%s'" % self.ws.user_id,
                                    user="postgres"))

    def login(self):
        t0 = time.monotonic()
        r = self.server.api("POST", "/auth/login", self.body())
        return r, time.monotonic() - t0

    def test_a_burst_is_shed_at_once_and_the_rest_served(self):
        self.login()  # the pool learns how long a hash takes
        with concurrent.futures.ThreadPoolExecutor(BURST) as pool:
            results = list(pool.map(lambda _: self.login(), range(BURST)))
        busy = [(r, t) for r, t in results if r.status == 503]
        ok = [(r, t) for r, t in results if r.status == 200]
        self.assertEqual(len(busy) + len(ok), BURST, [r.status for r, _ in results])
        self.assertTrue(busy, "a burst of %d sign-ins must not all queue" % BURST)
        self.assertTrue(ok, "the pool still serves what it can hash in time")
        for r, t in busy:
            self.assertEqual(r.json["code"], "busy", r)
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            # refused when it arrives, not after waiting its turn
            self.assertLess(t, 2.0, "a refusal is immediate")
        # none waited much longer than the bound (2 s) plus the hashes running ahead of it
        self.assertLess(max(t for _, t in ok), 6.0)
        # and once the burst is over, sign-in works again
        r, _ = self.login()
        self.assertEqual(r.status, 200, r)

    def test_hashing_of_a_client_that_left_is_dropped(self):
        self.login()
        before = self.sessions()
        n = 12
        payload = json.dumps(self.body()).encode()
        request = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
        socks = []
        for _ in range(n):
            s = self.server.tls_socket()
            s.sendall(request)
            socks.append(s)
        time.sleep(0.05)
        for s in socks:
            s.close()
        # let the pool finish whatever it still does: the count settles
        last, since, deadline = self.sessions(), time.time(), time.time() + 30
        while time.time() < deadline and time.time() - since < 2.0:
            time.sleep(0.2)
            now = self.sessions()
            if now != last:
                last, since = now, time.time()
        created = self.sessions() - before
        # only the hashes already running when the clients left were finished
        self.assertLessEqual(created, os.cpu_count() or 2, "%d of %d abandoned sign-ins were hashed" % (created, n))
        r, _ = self.login()
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()


class ConnectionsReachEveryWorker(ServerCase):
    """Each worker serves its connections with its own database connection, so connections
    opened together must be spread over the workers: eight clients, each waiting on a locked
    table, keep all four workers' database connections waiting at once, not one worker's."""
    env = {"PLANYARD_WORKERS": "4"}

    def waiting(self):
        return int(self.server.psql("select count(*) from pg_stat_activity where usename = 'planyard_app' "
                                    "and wait_event_type = 'Lock'", user="postgres"))

    def test_eight_connections_opened_together_keep_four_workers_busy(self):
        ws = new_workspace(self.server)
        # all eight in the listen queue at once (as a client's pool opens them), then TLS on each
        raw = [socket.create_connection(("127.0.0.1", self.server.https_port), timeout=30) for _ in range(8)]
        conns = []
        for sock in raw:
            c = self.server.connection()
            c.sock = self.server.ctx.wrap_socket(sock, server_hostname="localhost")
            conns.append(c)
        holder = subprocess.Popen(["psql", "-X", "-q", "-h", self.server.pg_dir, "-U", "postgres", "-d", "planyard",
                                   "-c", "begin; lock table app.customers in access exclusive mode; select pg_sleep(3); commit;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 5
            while time.time() < deadline and self.server.psql(
                    "select count(*) from pg_locks where relation = 'app.customers'::regclass "
                    "and mode = 'AccessExclusiveLock' and granted", user="postgres") != "1":
                time.sleep(0.05)
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = [pool.submit(ws.api, "GET", "/customers", conn=c) for c in conns]
                peak, deadline = 0, time.time() + 2.5
                while peak < 4 and time.time() < deadline:
                    peak = max(peak, self.waiting())
                    time.sleep(0.05)
                statuses = [a.result(timeout=30).status for a in answers]
        finally:
            holder.wait(timeout=30)
            for c in conns:
                c.close()
        self.assertEqual(peak, 4, "requests waiting in the database at once, one per busy worker")
        self.assertEqual(statuses, [200] * 8)
