"""A connection flood and slow-header clients, as a hostile network sends them: 2,000 idle TLS
connections (handshake done, no request) from 20 addresses and 300 clients that drip their
request head a byte a second from 3 more, while a client on another address keeps signing in
and reading. Its requests keep answering within a bound (generous: speed itself is bench's
business), the slow heads are cut at PLANYARD_HEAD_TIMEOUT_S, and the server is up afterwards.
Every address stays within PLANYARD_MAX_CONNECTIONS_PER_IP (the default, 128).
"""
import concurrent.futures
import resource
import socket
import ssl
import threading
import time

from fixtures import new_workspace
from harness import ServerCase

IDLE = 2000
IDLE_ADDRS = 20          # 100 connections each
SLOW = 300
SLOW_ADDRS = 3
HEAD_TIMEOUT = 10


class Flood(ServerCase):
    env = {"PLANYARD_HEAD_TIMEOUT_S": str(HEAD_TIMEOUT), "PLANYARD_PBKDF2_ITERATIONS": "1000"}

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = IDLE + SLOW + 1000
        if soft < want:   # the server inherits it
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        super().setUpClass()

    @classmethod
    def prepare(cls):
        cls.ws = new_workspace(cls.server)

    def connect(self, source, tls=True):
        raw = socket.create_connection(("127.0.0.1", self.server.https_port), timeout=30,
                                       source_address=(source, 0))
        if not tls:
            return raw
        try:
            return self.server.ctx.wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise

    def test_flood_and_slow_heads(self):
        s = self.server
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        idle_n = min(IDLE, limit - SLOW - 500)
        latencies, failures, stop = [], [], threading.Event()

        def normal():
            while not stop.is_set():
                t0 = time.time()
                try:
                    r = self.ws.api("GET", "/customers")
                    (latencies if r.status == 200 else failures).append(time.time() - t0 if r.status == 200 else r)
                except (OSError, ssl.SSLError) as e:
                    failures.append(e)
                time.sleep(0.05)

        slow, idle = [], []
        client = threading.Thread(target=normal)
        client.start()
        try:
            # the slow heads first: their clock runs from their connection's start
            t_slow = time.time()
            for i in range(SLOW):
                c = self.connect("127.0.2.%d" % (1 + i % SLOW_ADDRS))
                c.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                slow.append(c)
            cut = {}

            def drip():
                while not stop.is_set() and len(cut) < len(slow):
                    for k, c in enumerate(slow):
                        if k in cut:
                            continue
                        try:
                            c.setblocking(False)
                            try:
                                c.recv(65536)   # an answer or the end: either way it is cut
                                cut[k] = time.time()
                                continue
                            except (BlockingIOError, ssl.SSLWantReadError):
                                pass
                            c.send(b"a")
                        except (OSError, ssl.SSLError):
                            cut[k] = time.time()
                    time.sleep(1)

            dripper = threading.Thread(target=drip)
            dripper.start()

            # the idle flood, eight handshakes at a time
            def one(i):
                return self.connect("127.0.1.%d" % (1 + i % IDLE_ADDRS))
            t_idle = time.time()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                for c in pool.map(one, range(idle_n)):
                    idle.append(c)
            built = time.time() - t_idle
            # all of them held at once, the client still served
            n0 = len(latencies)
            time.sleep(3)
            self.assertGreater(len(latencies), n0, "no normal request answered while the flood was held")
            # the slow heads are cut at the deadline (their drip does not extend it)
            while time.time() < t_slow + HEAD_TIMEOUT + 15 and len(cut) < SLOW:
                time.sleep(0.5)
            self.assertEqual(len(cut), SLOW, "slow heads still open %.0f s after they began" % (time.time() - t_slow))
            self.assertGreater(min(cut.values()) - t_slow, HEAD_TIMEOUT - 3)
        finally:
            stop.set()
            client.join(timeout=60)
            for c in slow + idle:
                c.close()
        self.assertEqual(failures, [])
        lat = sorted(latencies)
        p99 = lat[int(len(lat) * 0.99) - 1] if len(lat) >= 100 else lat[-1]
        self.assertLess(p99, 1.5, "p99 of the normal requests %.3f s" % p99)
        self.assertEqual(s.request("GET", "/healthz").status, 200)
        self.assertEqual(self.ws.api("GET", "/me").status, 200)
        print("\n  flood: %d idle TLS connections built in %.1f s, %d slow heads; %d normal requests, "
              "p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (len(idle), built, SLOW, len(lat), lat[len(lat) // 2] * 1000,
                                                        p99 * 1000, lat[-1] * 1000), end=" ")


if __name__ == "__main__":
    import unittest
    unittest.main()
