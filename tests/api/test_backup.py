"""Backups with point-in-time recovery (pgBackRest): the restore drill. Write data, note the
time T, write more, delete a workspace; restore to T into a new cluster, start a server on
it, and prove through the API that what existed at T is back (the deleted workspace too)
and what came after T is not. Also: list, verify, snapshots, encryption at rest, and the
refusals that protect the live cluster."""
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import fixtures as fx
from harness import BINARY, PG_BIN, Server
from test_scale import Serve


def run(server, *args, timeout=300):
    env = dict(server.env())
    return subprocess.run([BINARY] + list(args), env=env, capture_output=True, text=True, timeout=timeout)


class RestoreDrill(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000"}).start()
        cls.tmp = tempfile.mkdtemp(prefix="planyard-restore-")
        os.chmod(cls.tmp, 0o755)
        cls.restored = None
        cls.serve = None

    @classmethod
    def tearDownClass(cls):
        errors = []
        if cls.serve:
            errors += ["serve exit %s" % cls.serve.stop()] if cls.serve.stop() not in (0, None) else []
            errors += cls.serve.sanitizer_errors()
            cls.serve.cleanup()
        if cls.restored:
            cls.pg_ctl(cls.restored, "stop", "-m", "immediate")
        status = cls.server.stop()
        errors += cls.server.sanitizer_errors()
        cls.server.cleanup()
        if not os.environ.get("PLANYARD_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        assert errors == [] and status == 0, (status, errors)

    @staticmethod
    def pg_ctl(data, *args):
        cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w", "-t", "120"] + list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, cwd="/", capture_output=True, text=True)

    def test_restore_drill(self):
        s = self.server
        keep = fx.new_workspace(s)
        doomed = fx.new_workspace(s)
        self.assertEqual(keep.api("POST", "/customers", {"name": "Before the backup"}).status, 201)

        r = run(s, "backup", "create", "--type", "full")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(keep.api("POST", "/customers", {"name": "Existed at T"}).status, 201)
        self.assertEqual(doomed.api("POST", "/customers", {"name": "Doomed's customer"}).status, 201)
        time.sleep(1.1)
        t = s.psql("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", user="planyard_owner")
        time.sleep(1.1)
        self.assertEqual(keep.api("POST", "/customers", {"name": "After T"}).status, 201)
        r = doomed.api("DELETE", "/workspace", {"slug": doomed.slug, "password": fx.PASSWORD})
        if r.status == 404:   # the deletion endpoint is someone else's work; delete as the owner then
            s.psql("delete from app.tenants where slug = '%s'" % doomed.slug, user="planyard_owner")
        else:
            self.assertEqual(r.status, 204, r)
        self.assertEqual(fx.login.__defaults__ is not None, True)
        gone = s.api("POST", "/auth/login", {"workspace": doomed.slug, "email": doomed.email, "password": fx.PASSWORD})
        self.assertEqual(gone.status, 401)

        # verify makes PostgreSQL switch and archive its WAL, so everything up to now is kept
        r = run(s, "backup", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run(s, "backup", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("full backup", r.stdout)

        # never over a non-empty folder, never over the live cluster
        busy = os.path.join(self.tmp, "busy")
        os.makedirs(busy)
        open(os.path.join(busy, "x"), "w").close()
        self.assertNotEqual(run(s, "restore", "--to", t, "--into", busy).returncode, 0)
        self.assertNotEqual(run(s, "restore", "--to", t, "--in-place").returncode, 0)

        target = os.path.join(self.tmp, "restored")
        r = run(s, "restore", "--to", t, "--into", target)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        type(self).restored = target
        r = self.pg_ctl(target, "start", "-l", os.path.join(target, "server.log"), "-o",
                        "-c listen_addresses='' -k %s -c archive_mode=off -c unix_socket_permissions=0700 "
                        "-c max_connections=300" % target)
        if r.returncode != 0:
            with open(os.path.join(target, "server.log")) as f:
                self.fail(r.stdout + r.stderr + f.read()[-3000:])

        # recovery replays to T, then promotes; it reads before that, so wait for the promotion
        deadline = time.time() + 120
        while time.time() < deadline:
            q = subprocess.run(["psql", "-X", "-A", "-t", "-h", target, "-U", "postgres", "-d", "planyard", "-c",
                                "select pg_is_in_recovery()"], capture_output=True, text=True)
            if q.stdout.strip() == "f":
                break
            time.sleep(0.2)
        self.assertEqual(q.stdout.strip(), "f", q.stderr)

        serve = Serve(s, "host=%s dbname=planyard user=planyard_app" % target).start()
        type(self).serve = serve
        # the deleted workspace is back, with what it had at T
        back = serve.api("POST", "/auth/login", {"workspace": doomed.slug, "email": doomed.email,
                                                 "password": fx.PASSWORD})
        self.assertEqual(back.status, 200, back)
        names = [c["name"] for c in serve.api("GET", "/customers", token=back.json["access_token"]).json["data"]]
        self.assertEqual(names, ["Doomed's customer"])
        # the kept workspace has what existed at T and not what came after
        k = serve.api("POST", "/auth/login", {"workspace": keep.slug, "email": keep.email, "password": fx.PASSWORD})
        names = sorted(c["name"] for c in serve.api("GET", "/customers", token=k.json["access_token"]).json["data"])
        self.assertEqual(names, ["Before the backup", "Existed at T"])
        # and the audit chain of the restored workspace still verifies
        v = serve.api("GET", "/audit/verify", token=k.json["access_token"]).json
        self.assertTrue(v["ok"], v)

    def test_snapshot_and_encryption(self):
        s = self.server
        ws = fx.new_workspace(s)
        marker = "Plaintext-Marker-%d" % os.getpid()
        self.assertEqual(ws.api("POST", "/customers", {"name": marker}).status, 201)
        r = run(s, "backup", "create", "--snapshot")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(s, "backup", "list")
        self.assertIn("repo2", r.stdout)
        backup_dir = os.path.realpath(os.path.join(s.var, "backup"))
        files = [f for f in glob.glob(backup_dir + "/**/*", recursive=True)
                 if os.path.isfile(f) and ("/pitr/" in f or "/snapshots/" in f)]
        self.assertTrue(files)
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            self.assertNotIn(marker.encode(), data, f)
            self.assertNotIn(b"planyard_app", data, f)
        # the key is not in the repositories
        key = s.secret("backup_key").encode()
        for f in files:
            with open(f, "rb") as fh:
                self.assertNotIn(key, fh.read(), f)


if __name__ == "__main__":
    unittest.main()
