"""Several servers on one database, directly and through pgbouncer in transaction pooling
mode: they agree on rate limits, session revocation, refresh-token reuse, single use of MFA
codes, and send each reminder exactly once."""
import base64
import concurrent.futures
import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

import fixtures as fx
from harness import BINARY, Server, free_port


def claims(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))


class Pgbouncer:
    """pgbouncer 1.18 in transaction mode in front of the suite's cluster, as the cluster's
    unprivileged user."""

    def __init__(self, pg_dir):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="planyard-pgbouncer-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            # the server's three logins (sql/functions/990_grants.sql), each its own pool
            f.write('"planyard_app" ""\n"planyard_auth" ""\n"planyard_jobs" ""\n')
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write("[databases]\nplanyard = host=%s dbname=planyard\n\n[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\n"
                    "auth_type = trust\nauth_file = %s/userlist.txt\npool_mode = transaction\n"
                    "max_client_conn = 500\ndefault_pool_size = 10\n"
                    "ignore_startup_parameters = extra_float_digits\n"
                    "logfile = %s/pgbouncer.log\npidfile = %s/pgbouncer.pid\n"
                    % (pg_dir, self.port, self.dir, self.dir, self.dir))
        cmd = ["/usr/sbin/pgbouncer", os.path.join(self.dir, "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for name in ("userlist.txt", "pgbouncer.ini"):
                shutil.chown(os.path.join(self.dir, name), "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        self.proc = subprocess.Popen(cmd, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            r = subprocess.run(["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                "planyard_app", "-d", "planyard", "-c", "select 1"], capture_output=True, text=True)
            if r.stdout.strip() == "1":
                return
            time.sleep(0.2)
        raise RuntimeError("pgbouncer did not start: " + self.log())

    @property
    def url(self):
        return "host=127.0.0.1 port=%d dbname=planyard user=planyard_app" % self.port

    def log(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        # runuser does not pass signals on: stop pgbouncer itself, by its pid file
        try:
            with open(os.path.join(self.dir, "pgbouncer.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGINT)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Serve(Server):
    """`planyard serve` on the database of a dev server, with that server's secrets."""

    def __init__(self, dev, database_url, extra=None):
        super().__init__(command="serve", args=(), data_dir=tempfile.mkdtemp(prefix="planyard-serve-"))
        self.owns_dir = True
        # the pre-session and jobs roles by the same route as the request role
        env = {"PLANYARD_DATABASE_URL": database_url,
               "PLANYARD_AUTH_DATABASE_URL": database_url.replace("user=planyard_app", "user=planyard_auth"),
               "PLANYARD_JOBS_DATABASE_URL": database_url.replace("user=planyard_app", "user=planyard_jobs"),
               "PLANYARD_TLS_CERT": os.path.join(dev.var, "tls", "cert.pem"),
               "PLANYARD_TLS_KEY": os.path.join(dev.var, "tls", "key.pem"),
               "PLANYARD_PUBLIC_URL": "https://localhost:%d" % dev.https_port,
               "PLANYARD_OUTBOX_DIR": os.path.join(dev.var, "outbox"),
               # started as root, serve drops to this user after binding: the cluster's own,
               # which may enter the private cluster's socket folder
               "PLANYARD_RUN_AS": "postgres",
               "PLANYARD_PBKDF2_ITERATIONS": "1000"}
        for name in ("jwt_secret", "password_pepper", "data_key", "stripe_webhook_secret", "cron_secret"):
            env["PLANYARD_" + name.upper()] = dev.secret(name)
        env.update(extra or {})
        self.extra_env = env
        self.dev = dev
        # every process delivers the shared outbox; after dropping root this one writes the
        # dev server's outbox folder as the cluster's user
        os.chmod(dev.data_dir, 0o711)
        os.chmod(dev.var, 0o711)
        os.chmod(os.path.join(dev.var, "outbox"), 0o1777)

    def start(self, timeout=90):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, "serve"], env=self.env(), stdout=self.log, stderr=subprocess.STDOUT)
        import ssl
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dev.var, "tls", "cert.pem"))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited: " + self.read_log()[-2000:])
            try:
                if self.request("GET", "/readyz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve did not come up: " + self.read_log()[-2000:])

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class ScaleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"}).start()
        cls.bouncer = Pgbouncer(cls.a.pg_dir)
        direct = "host=%s dbname=planyard user=planyard_app" % cls.a.pg_dir
        cls.b = Serve(cls.a, direct).start()
        cls.c = Serve(cls.a, cls.bouncer.url, {"PLANYARD_DB_PREPARE": "0"}).start()
        cls.servers = [cls.a, cls.b, cls.c]

    @classmethod
    def tearDownClass(cls):
        errors = []
        for s in (cls.c, cls.b, cls.a):
            status = s.stop()
            errors += s.sanitizer_errors()
            if status != 0:
                errors.append("exit %s" % status)
        cls.c.cleanup()
        cls.b.cleanup()
        cls.bouncer.stop()
        cls.a.cleanup()
        assert errors == [], errors

    def test_crud_through_every_server(self):
        ws = fx.new_workspace(self.a)
        for i, s in enumerate(self.servers):
            r = s.api("POST", "/customers", {"name": "Via %d" % i}, token=ws.token)
            self.assertEqual(r.status, 201, (i, r))
        names = sorted(c["name"] for c in self.c.api("GET", "/customers", token=ws.token).json["data"])
        self.assertEqual(names, ["Via 0", "Via 1", "Via 2"])

    def test_serve_drops_root_after_binding(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        d = Serve(self.a, self.bouncer.url, {"PLANYARD_DB_PREPARE": "0", "PLANYARD_RUN_AS": "nobody"}).start()
        try:
            with open("/proc/%d/status" % d.proc.pid) as f:
                uids = [l.split()[1:] for l in f if l.startswith(("Uid:", "Gid:"))]
            import pwd
            nobody = pwd.getpwnam("nobody")
            self.assertEqual(uids[0], [str(nobody.pw_uid)] * 4)
            self.assertEqual(uids[1], [str(nobody.pw_gid)] * 4)
            ws = fx.new_workspace(self.a)
            self.assertEqual(d.api("GET", "/me", token=ws.token).status, 200)
        finally:
            status = d.stop()
            errors = d.sanitizer_errors()
            d.cleanup()
        self.assertEqual((status, errors), (0, []))

    def test_rate_limit_is_shared(self):
        ws = fx.new_workspace(self.a)
        bad = {"workspace": ws.slug, "email": ws.email, "password": "not-the-password-1"}
        for i in range(10):
            r = self.servers[i % 3].api("POST", "/auth/login", bad)
            self.assertEqual(r.status, 401, (i, r))
        for s in self.servers:
            r = s.api("POST", "/auth/login", {"workspace": ws.slug, "email": ws.email, "password": fx.PASSWORD})
            self.assertEqual(r.status, 429, r)
            self.assertIsNotNone(r.header("Retry-After"))

    def test_revocation_is_immediate_everywhere(self):
        ws = fx.new_workspace(self.a)
        for s in self.servers:
            self.assertEqual(s.api("GET", "/me", token=ws.token).status, 200)
        self.assertEqual(self.b.api("POST", "/auth/logout", token=ws.token).status, 204)
        for s in self.servers:
            self.assertEqual(s.api("GET", "/me", token=ws.token).status, 401)

    def test_refresh_reuse_detected_across_servers(self):
        ws = fx.new_workspace(self.a)
        old = ws.login["refresh_token"]
        r1 = self.a.api("POST", "/auth/refresh", {"refresh_token": old})
        self.assertEqual(r1.status, 200)
        nxt = r1.json["refresh_token"]
        r2 = self.c.api("POST", "/auth/refresh", {"refresh_token": nxt})     # the successor is used
        self.assertEqual(r2.status, 200)
        r3 = self.b.api("POST", "/auth/refresh", {"refresh_token": old})     # the old one again
        self.assertEqual((r3.status, r3.json["code"]), (401, "refresh_token_reused"))
        for s in self.servers:
            self.assertEqual(s.api("GET", "/me", token=r2.json["access_token"]).status, 401)
        self.assertEqual(self.a.api("POST", "/auth/refresh", {"refresh_token": r2.json["refresh_token"]}).status, 401)

    def test_mfa_code_used_once_across_servers(self):
        if not shutil.which("oathtool"):
            self.skipTest("oathtool is not installed")
        ws = fx.new_workspace(self.a)
        r = self.a.api("POST", "/me/mfa/totp", {"password": fx.PASSWORD}, token=ws.token)
        self.assertEqual(r.status, 200, r)
        secret = r.json["secret"]

        def code(offset=0):
            t = datetime.datetime.utcnow() + datetime.timedelta(seconds=offset)
            return subprocess.run(["oathtool", "--totp", "-b", "-N", t.strftime("%Y-%m-%d %H:%M:%S UTC"), secret],
                                  capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(self.a.api("POST", "/me/mfa/totp/activate", {"code": code()}, token=ws.token).status, 200)
        time.sleep(max(0.0, 30.5 - time.time() % 30))   # a fresh time step
        c = code()
        logins = [s.api("POST", "/auth/login", {"workspace": ws.slug, "email": ws.email, "password": fx.PASSWORD})
                  for s in (self.b, self.c)]
        tokens = [l.json["mfa_token"] for l in logins]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda p: p[0].api("POST", "/auth/mfa/verify", {"mfa_token": p[1], "code": c}),
                                    [(self.b, tokens[0]), (self.c, tokens[1])]))
        self.assertEqual(sorted(r.status for r in results), [200, 401], results)

    def test_reminders_sent_once_by_concurrent_servers(self):
        ws = fx.new_workspace(self.a)
        at = (datetime.datetime.utcnow() + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        tag = uuid.uuid4().hex[:8]
        for i in range(12):
            r = ws.api("POST", "/reminders", {"remind_at": at, "channel": "email",
                                              "to": "r%s-%d@example.com" % (tag, i), "message": "once %d" % i})
            self.assertEqual(r.status, 201, r)
        time.sleep(2.5)
        cron = {"Authorization": "Bearer " + self.a.secret("cron_secret")}
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda s: s.api("POST", "/internal/cron/reminders", headers=cron),
                                    self.servers * 2))
        self.assertTrue(all(r.status == 200 for r in results), results)
        self.assertEqual(sum(r.json["sent"] for r in results), 12)
        deadline = time.time() + 20
        while time.time() < deadline:
            got = [fx.outbox_mails(self.a, "r%s-%d@example.com" % (tag, i)) for i in range(12)]
            if all(got):
                break
            time.sleep(0.2)
        time.sleep(1)
        for i in range(12):
            self.assertEqual(len(fx.outbox_mails(self.a, "r%s-%d@example.com" % (tag, i))), 1, i)


if __name__ == "__main__":
    unittest.main()
