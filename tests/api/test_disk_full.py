"""The disk under the data fills up: the customers table and its indexes live in a tablespace
on a 4 MB tmpfs, and another file fills that file system. Writes answer `503 db_unavailable`
with `Retry-After` (never `500`) and leave nothing half-written, reads go on, every write
acknowledged before is kept, and once the space is back writes work again by themselves,
without a restart of planyard or PostgreSQL.
"""
import errno
import os
import pwd
import subprocess
import tempfile
import time
import unittest

from fixtures import new_workspace
from harness import ServerCase


class DiskFull(ServerCase):
    @classmethod
    def prepare(cls):
        cls.ws = new_workspace(cls.server)

    def su(self, sql):
        return self.server.psql(sql, user="postgres")

    def customers(self):
        return set(self.su("select id from app.customers where tenant_id = '%s'" % self.ws.id).split())

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.mnt = tempfile.mkdtemp(prefix="planyard-tiny-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs here: " + r.stderr.strip())
        pg = pwd.getpwnam("postgres")
        os.chown(self.mnt, pg.pw_uid, pg.pw_gid)
        self.space = os.path.join(self.mnt, "space")
        os.mkdir(self.space, 0o700)
        os.chown(self.space, pg.pw_uid, pg.pw_gid)
        self.su("create tablespace tiny location '%s'" % self.space)
        self.moved = self.su("select indexrelid::regclass from pg_index where indrelid = 'app.customers'::regclass").split()
        self.su("alter table app.customers set tablespace tiny")
        for ix in self.moved:
            self.su("alter index %s set tablespace tiny" % ix)

    def tearDown(self):
        self.release()
        self.su("alter table app.customers set tablespace pg_default")
        for ix in self.moved:
            self.su("alter index %s set tablespace pg_default" % ix)
        self.su("drop tablespace tiny")
        subprocess.run(["umount", "-l", self.mnt], check=False)
        os.rmdir(self.mnt)

    def fill(self):
        """Another file takes every byte left on the file system."""
        self.filler = os.path.join(self.mnt, "filler")
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (1 << 16, 512, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)

    def release(self):
        try:
            os.remove(self.filler)
        except (AttributeError, FileNotFoundError):
            pass

    def test_writes_refused_reads_go_on_and_recovery_by_itself(self):
        ws = self.ws
        acked = []
        for i in range(5):
            r = ws.api("POST", "/customers", {"name": "before %d" % i})
            self.assertEqual(r.status, 201, r)
            acked.append(r.json["id"])
        self.fill()
        # the table fills what is left in its last pages, then can't grow: 503 from then on
        refused = []
        for i in range(400):
            r = ws.api("POST", "/customers", {"name": "while full %d " % i + "x" * 150})
            if r.status == 201:
                acked.append(r.json["id"])
                continue
            refused.append(r)
            if len(refused) >= 5:
                break
        self.assertTrue(refused, "writes never failed on a full disk")
        for r in refused:
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json["code"], "db_unavailable", r)
            self.assertGreaterEqual(int(r.header("Retry-After")), 1, r)
            self.assertIn("room", r.json["detail"])
        # nothing of a refused write is there, and reads go on
        before = self.customers()
        self.assertEqual([a for a in acked if a not in before], [], "acknowledged writes lost")
        self.assertEqual(len(before), len(acked), "a refused write left a row")
        r = ws.api("GET", "/customers?limit=200")
        self.assertEqual(r.status, 200, r)
        self.assertEqual({c["id"] for c in r.json["data"]}, set(acked))
        self.assertEqual(ws.api("GET", "/customers/" + acked[0]).status, 200)
        self.assertEqual(ws.api("GET", "/me").status, 200)
        # the space comes back: writes work again by themselves
        self.release()
        t0 = time.time()
        while True:
            r = ws.api("POST", "/customers", {"name": "after"})
            if r.status == 201 or time.time() - t0 > 10:
                break
            self.assertEqual(r.status, 503, r)
            time.sleep(0.2)
        self.assertEqual(r.status, 201, "writes did not come back within 10 s of the space")
        acked.append(r.json["id"])
        after = self.customers()
        self.assertEqual(after, set(acked))
        audited = self.su("select count(*) from app.audit_log where tenant_id = '%s' and action = 'customer.created'"
                          % ws.id)
        self.assertEqual(int(audited), len(acked), "the audit log and the table disagree")
        v = ws.api("GET", "/audit/verify").json
        self.assertTrue(v["ok"], v)
        print("\n  disk full: %d writes refused (503), back %.1f s after the space" % (len(refused), time.time() - t0),
              end=" ")


if __name__ == "__main__":
    unittest.main()
