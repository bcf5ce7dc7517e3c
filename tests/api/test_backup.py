"""Backups with point-in-time recovery (pgBackRest): the restore drill. Write data, note the
time T, write more, delete a workspace; restore to T into a new cluster, start a server on
it, and prove through the API that what existed at T is back (the deleted workspace too)
and what came after T is not. Also: list, verify, snapshots, encryption at rest, and the
refusals that protect the live cluster."""
import datetime
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
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

        # a third workspace is written to on two threads all along: during the backup, at T and after
        loaded = fx.new_workspace(s)
        writes, stop = [], threading.Event()

        def writer(k):
            i = 0
            while not stop.is_set():
                i += 1
                t0 = time.time()
                r = loaded.api("POST", "/customers", {"name": "loaded %d-%d" % (k, i)})
                if r.status == 201:
                    writes.append((t0, time.time(), r.json["id"]))
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
        for th in threads:
            th.start()
        try:
            time.sleep(0.5)
            r = run(s, "backup", "create", "--type", "full")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(keep.api("POST", "/customers", {"name": "Existed at T"}).status, 201)
            self.assertEqual(doomed.api("POST", "/customers", {"name": "Doomed's customer"}).status, 201)
            time.sleep(1.1)
            t = s.psql("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                       user="planyard_owner")
            time.sleep(1.1)
            self.assertEqual(keep.api("POST", "/customers", {"name": "After T"}).status, 201)
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=60)
        t_epoch = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
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

        # the workspace written to during the backup is at one consistent point: every write
        # answered before T is there, none begun after T, and nothing half-applied (each
        # customer with exactly its audit entry, the chain intact)
        def restored(sql):
            q = subprocess.run(["psql", "-X", "-A", "-t", "-h", target, "-U", "postgres", "-d", "planyard", "-c", sql],
                               capture_output=True, text=True)
            self.assertEqual(q.returncode, 0, q.stderr)
            return q.stdout.split()
        ids = set(restored("select id from app.customers where tenant_id = '%s'" % loaded.id))
        before = [w for w in writes if w[1] < t_epoch]
        after = [w for w in writes if w[0] > t_epoch]
        self.assertTrue(before and after, "the writes did not span T")
        self.assertEqual([w[2] for w in before if w[2] not in ids], [], "writes acknowledged before T are missing")
        self.assertEqual([w[2] for w in after if w[2] in ids], [], "writes begun after T were restored")
        audited = restored("select count(*) from app.audit_log where tenant_id = '%s' and action = 'customer.created'"
                           % loaded.id)
        self.assertEqual(int(audited[0]), len(ids), "customers and their audit entries disagree")
        b = serve.api("POST", "/auth/login", {"workspace": loaded.slug, "email": loaded.email, "password": fx.PASSWORD})
        v = serve.api("GET", "/audit/verify", token=b.json["access_token"]).json
        self.assertTrue(v["ok"], v)
        print("\n  restore: %d writes during the backup and around T, %d restored" % (len(writes), len(ids)), end=" ")

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

    # ---- the windows: 7 days of point-in-time recovery, 30 days of snapshots ----
    def backups(self):
        """The backup sets, as pgBackRest's info lists them."""
        conf = os.path.join(os.path.realpath(os.path.join(self.server.var, "backup")), "pgbackrest.conf")
        cmd = ["/usr/bin/pgbackrest", "--config=" + conf, "--stanza=planyard", "--output=json", "info"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)[0]["backup"]

    def sets(self):
        """{repo: [labels of full backups, oldest first]} as pgBackRest lists them."""
        out = {1: [], 2: []}
        for b in sorted(self.backups(), key=lambda b: b["timestamp"]["stop"]):
            if b["type"] == "full":
                out[b["database"]["repo-key"]].append(b["label"])
        return out

    def oldest_stop(self):
        """When the oldest full backup of the PITR repository ended (seconds since the epoch)."""
        return min(b["timestamp"]["stop"] for b in self.backups() if b["type"] == "full" and b["database"]["repo-key"] == 1)

    def test_restore_takes_only_a_time_the_backups_reach(self):
        """restore --to refuses, before it touches a folder, a time that is not RFC 3339 with
        its offset (exit 2), one in the future, and one before the oldest full backup ended,
        naming that end (exit 1); a time the backups reach, in any offset, goes on."""
        s = self.server
        if not self.sets()[1]:
            self.assertEqual(run(s, "backup", "create", "--type", "full").returncode, 0)
        oldest = self.oldest_stop()
        busy = os.path.join(self.tmp, "occupied")
        os.makedirs(busy, exist_ok=True)
        open(os.path.join(busy, "x"), "w").close()
        for bad in ("yesterday", "2026-11-22T08:30:00", "2026-11-22T08:30Z", "2026-02-29T08:30:00Z",
                    "2026-11-22T24:00:00Z", "2026-11-22T08:30:00+2:00", "2026-11-22T08:30:00.Z",
                    " 2026-11-22T08:30:00Z", "2026-11-22T08:30:00Z!", "2026-11-2 08:30:00Z", ""):
            r = run(s, "restore", "--to", bad, "--into", busy)
            self.assertEqual(r.returncode, 2, (bad, r.stdout + r.stderr))
            self.assertIn("RFC 3339", r.stderr, bad)

        def at(t, offset_hours=0):
            sign = "-" if offset_hours < 0 else "+"
            wall = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + offset_hours * 3600))
            return wall + ("Z" if offset_hours == 0 else "%s%02d:00" % (sign, abs(offset_hours)))

        r = run(s, "restore", "--to", at(time.time() + 3600), "--into", busy)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("in the future", r.stderr)
        for early in (at(oldest - 60), at(oldest - 60, 5)):
            r = run(s, "restore", "--to", early, "--into", busy)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("is before the oldest backup, which ended at %s" % at(oldest), r.stderr)
        # a moment after the backup, written five hours east and west of UTC: read without its
        # offset it would be in the future, or before the backup; it reaches the folder check
        while time.time() < oldest + 2:
            time.sleep(0.5)
        for inside in (at(time.time() - 1, 5), at(time.time() - 1, -5), at(time.time() - 1)):
            r = run(s, "restore", "--to", inside, "--into", busy)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("is not empty", r.stderr, inside)

    def expire_at(self, days_ahead):
        env = dict(self.server.env())
        env["PLANYARD_BACKUP_NOW"] = str(int(time.time() + days_ahead * 86400))
        r = subprocess.run([BINARY, "backup", "expire"], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return self.sets()

    def test_windows_expire_on_a_faked_clock(self):
        """With the clock moved on: a full backup of the PITR repository goes once a newer one
        can replay the whole 7-day window (the newest before the window stays, so its first
        moment can be restored); a snapshot goes after 30 days, never the newest."""
        s = self.server
        while len(self.sets()[1]) < 2:
            self.assertEqual(run(s, "backup", "create", "--type", "full").returncode, 0)
            time.sleep(1.1)   # labels are by the second
        while len(self.sets()[2]) < 2:
            self.assertEqual(run(s, "backup", "create", "--snapshot").returncode, 0)
            time.sleep(1.1)
        before = self.sets()
        self.assertEqual(self.expire_at(0), before, "something expired inside its window")
        self.assertEqual(self.expire_at(6.9), before, "a PITR backup expired inside the 7-day window")
        after = self.expire_at(7.1)
        self.assertEqual(after[1], before[1][-1:], "the 7-day window: only the newest full backup is needed")
        self.assertEqual(after[2], before[2], "a snapshot expired before 30 days")
        self.assertEqual(self.expire_at(29.9)[2], before[2])
        after = self.expire_at(30.1)
        self.assertEqual(after[2], before[2][-1:], "snapshots older than 30 days are kept (or the newest went)")
        self.assertEqual(after[1], before[1][-1:])
        # what is left still restores: verify reads the PITR repository end to end
        r = run(s, "backup", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_faked_clock_is_refused_outside_a_dev_layout(self):
        env = dict(self.server.env())
        env["PLANYARD_BACKUP_NOW"] = str(int(time.time()))
        env["PLANYARD_BACKUP_CONFIG"] = os.path.join(os.path.realpath(os.path.join(self.server.var, "backup")),
                                                     "pgbackrest.conf")
        r = subprocess.run([BINARY, "backup", "expire"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("PLANYARD_BACKUP_NOW", r.stderr)
        for knob in ("PLANYARD_BACKUP_NOW", "PLANYARD_DEV_SNAPSHOT_INTERVAL_S"):
            env = dict(self.server.env())
            env[knob] = "5"
            r = subprocess.run([BINARY, "serve"], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn(knob, r.stderr)


class DevSchedulesSnapshots(unittest.TestCase):
    """`planyard dev` takes the daily snapshot itself (a tiny interval here): snapshots appear
    in the 30-day repository with nobody asking, one per interval."""

    def test_dev_takes_snapshots_by_itself(self):
        server = Server(env={"PLANYARD_PBKDF2_ITERATIONS": "1000", "PLANYARD_DEV_SNAPSHOT_INTERVAL_S": "2"}).start()
        try:
            deadline = time.time() + 150
            while time.time() < deadline and server.read_log().count("daily snapshot taken") < 2:
                self.assertNotIn("the daily snapshot failed", server.read_log())
                time.sleep(0.5)
            self.assertGreaterEqual(server.read_log().count("daily snapshot taken"), 2, server.read_log()[-3000:])
            r = run(server, "backup", "list")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("repo2", r.stdout)
        finally:
            status = server.stop()
            errors = server.sanitizer_errors()
            server.cleanup()
        self.assertEqual(errors, [])
        self.assertEqual(status, 0)


if __name__ == "__main__":
    unittest.main()
