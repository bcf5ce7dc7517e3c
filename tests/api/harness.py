"""Black-box harness: starts the real `planyard dev` (its own private PostgreSQL cluster, real
TLS) on free loopback ports, and speaks HTTPS to it. Standard library only."""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PLANYARD_TEST_BINARY", os.path.join(ROOT, "build/asan/planyard"))
PG_BIN = "/usr/lib/postgresql/15/bin"
FAST_PG = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def free_port():
    """A loopback port nothing listens on, below Linux's ephemeral range (32768-60999): a
    port the kernel hands out (bind to 0) may meanwhile become the source port of one of the
    many outgoing connections the tests make, and the server's bind then fails."""
    import random
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-cased names
        self.body = body
        self._json = None

    @property
    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


def read_response(sock, method="GET"):
    """Reads one HTTP response from a raw (TLS) socket; returns a Response."""
    r = http.client.HTTPResponse(sock, method=method)
    r.begin()
    payload = r.read()
    return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)


class Server:
    """One planyard process on its own data dir. Several may share a data dir (and so one
    database) by passing data_dir of another."""

    def __init__(self, env=None, data_dir=None, args=("--no-demo",), command="dev", cwd=None):
        self.owns_dir = data_dir is None
        self.cwd = cwd
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="planyard-test-")
        self.https_port = free_port()
        self.http_port = free_port()
        self.extra_env = env or {}
        self.args = list(args)
        self.command = command
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server-%d.log" % self.https_port)
        self.ctx = None

    @property
    def var(self):
        return os.path.join(self.data_dir, "var")

    @property
    def pg_dir(self):
        return os.path.realpath(os.path.join(self.var, "pg"))

    def env(self):
        e = dict(os.environ)
        e.update({
            "PLANYARD_DATA_DIR": self.var,
            "PLANYARD_LISTEN_HTTPS": "127.0.0.1:%d" % self.https_port,
            "PLANYARD_LISTEN_HTTP": "127.0.0.1:%d" % self.http_port,
            "PLANYARD_BCRYPT_COST": "4",
            "PLANYARD_WORKERS": "4",
            "PLANYARD_DEV_PG_OPTIONS": FAST_PG,
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87",
        })
        e.update(self.extra_env)
        return e

    def start(self, timeout=90):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, self.command] + self.args, env=self.env(),
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.cwd)
        deadline = time.time() + timeout
        cert = os.path.join(self.var, "tls", "cert.pem")
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("planyard exited %s:\n%s" % (self.proc.returncode, self.read_log()[-3000:]))
            if os.path.exists(cert):
                try:
                    self.ctx = ssl.create_default_context(cafile=cert)
                    if self.request("GET", "/healthz").status == 200:
                        return self
                except (OSError, ssl.SSLError, http.client.HTTPException):
                    pass
            time.sleep(0.1)
        raise RuntimeError("planyard did not come up:\n" + self.read_log()[-3000:])

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def sanitizer_errors(self):
        log = self.read_log()
        bad = [l for l in log.splitlines()
               if "ERROR: AddressSanitizer" in l or "runtime error:" in l or "ERROR: LeakSanitizer" in l]
        return bad

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops the server; returns its exit status."""
        if not self.proc or self.proc.poll() is not None:
            if self.proc and not self.log.closed:
                self.log.close()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        # the cluster keeps running if another server of this dir started it; stop it here
        if self.owns_dir:
            self.pg_ctl("stop", "-m", "immediate")
            # as root the cluster may live outside the data dir, behind the var/pg symlink
            link = os.path.join(self.var, "pg")
            if os.path.islink(link):
                shutil.rmtree(os.path.realpath(link), ignore_errors=True)
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # ---- HTTP ----
    def connection(self, https=True, timeout=30):
        if https:
            return http.client.HTTPSConnection("localhost", self.https_port, context=self.ctx, timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)

    def tls_socket(self, timeout=30, context=None, port=None):
        """A raw TLS socket to the HTTPS port, handshake done (for requests http.client can't make)."""
        sock = socket.create_connection(("127.0.0.1", port or self.https_port), timeout=timeout)
        try:
            return (context or self.ctx).wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            raise

    def log_lines(self, level=None):
        """The JSON lines of the server log (optionally only those of one level), parsed."""
        out = []
        for line in self.read_log().splitlines():
            if line.startswith("{"):
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if level is None or j.get("level") == level:
                    out.append(j)
        return out

    def request(self, method, path, body=None, headers=None, token=None, https=True, raw=None, conn=None):
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        c = conn or self.connection(https)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            payload = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
        finally:
            if conn is None:
                c.close()

    def api(self, method, path, body=None, **kw):
        return self.request(method, "/api/v1" + path, body, **kw)

    # ---- the database ----
    def pg_ctl(self, *args):
        cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", self.pg_dir, "-w"] + list(args)
        if args and args[0] == "start":
            cmd += ["-l", os.path.join(self.pg_dir, "server.log"), "-o",
                    "-c listen_addresses='' -k %s -c unix_socket_permissions=0700 -c max_connections=300 %s"
                    % (self.pg_dir, FAST_PG)]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    def cluster_processes(self):
        """The pids of PostgreSQL processes of this server's cluster (they work in its directory)."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().strip() != "postgres":
                        continue
                if os.readlink("/proc/%s/cwd" % entry) == self.pg_dir:
                    pids.append(int(entry))
            except OSError:
                continue
        return pids

    def psql(self, sql, user="planyard_app", db="planyard", check=True):
        """Runs sql with psql as user; returns stdout (unaligned, tuples only)."""
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.pg_dir,
                            "-U", user, "-d", db, "-c", sql], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: " + r.stderr)
        return r.stdout.strip() if r.returncode == 0 else r.stderr.strip()

    def secret(self, name):
        with open(os.path.join(self.var, "secrets", name)) as f:
            return f.read().strip()


class ServerCase(unittest.TestCase):
    """A suite with one server for the class (env: its extra settings), started before the
    first test; prepare(cls) runs after the start. At the end the server's log is checked
    for sanitizer reports."""
    env = None

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=cls.env)
        try:
            cls.server.start()
            cls.prepare()
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
