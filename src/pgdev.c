#include "pgdev.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "log.h"

/* In a child about to run as the cluster's user: leave a working directory that user may
 * not enter (a clone under /root), drop root, and start from "/". */
static void become(const struct pgdev *pg)
{
	if (chdir("/") < 0)
		_exit(126);
	if (getuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(pg->gid) < 0 || setuid(pg->uid) < 0)
			_exit(126);
	}
	if (chdir("/") < 0)
		_exit(126);
}

int pgdev_run(const struct pgdev *pg, const char *prog, const char *const *args)
{
	return pgdev_run_output(pg, prog, args, false);
}

int pgdev_run_output(const struct pgdev *pg, const char *prog, const char *const *args, bool show)
{
	char path[PATH_MAX + 32];
	if (strchr(prog, '/'))
		snprintf(path, sizeof path, "%s", prog);
	else
		snprintf(path, sizeof path, "%s/%s", pg->bindir, prog);
	/* PostgreSQL's programs find each other (initdb its postgres, pg_ctl its postgres)
	 * from argv[0]; a bare name would be looked up in PATH, which need not hold bindir */
	const char *argv[32];
	int n = 0;
	argv[n++] = path;
	for (; args && args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		become(pg);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0 && !show && !getenv("PLANYARD_PG_VERBOSE")) {
			dup2(devnull, 1);
		}
		execv(path, (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int pgdev_run_capture(const struct pgdev *pg, const char *prog, const char *const *args, char **out)
{
	*out = NULL;
	char path[PATH_MAX + 32];
	if (strchr(prog, '/'))
		snprintf(path, sizeof path, "%s", prog);
	else
		snprintf(path, sizeof path, "%s/%s", pg->bindir, prog);
	const char *argv[32];
	int n = 0;
	argv[n++] = path;
	for (; args && args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		become(pg);
		dup2(fds[1], 1);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0, cap = 0;
	char *buf = NULL;
	bool ok = true;
	for (;;) {
		if (len + 4097 > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = ncap <= (16u << 20) ? realloc(buf, ncap) : NULL;
			if (!nb) {
				ok = false;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fds[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = r == 0;
			break;
		}
		len += (size_t)r;
	}
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	if (ok && buf) {
		buf[len] = '\0';
		*out = buf;
	} else {
		free(buf);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Can the cluster's user create and enter dir? Tested as that user. */
static bool reachable(const struct pgdev *pg, const char *dir)
{
	if (getuid() != 0)
		return true;
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir("/") < 0 || setgroups(0, NULL) < 0 || setgid(pg->gid) < 0 || setuid(pg->uid) < 0)
			_exit(1);
		_exit(access(dir, X_OK) == 0 ? 0 : 1);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int find_bindir(struct pgdev *pg)
{
	const char *env = getenv("PLANYARD_PG_BINDIR");
	const char *cands[] = { env, "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
				"/usr/lib/postgresql/17/bin", NULL };
	for (int i = 0; i < 4; i++) {
		if (!cands[i])
			continue;
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/initdb", cands[i]);
		if (access(p, X_OK) == 0) {
			snprintf(pg->bindir, sizeof pg->bindir, "%s", cands[i]);
			return 0;
		}
	}
	return -1;
}

static int exec_super(const struct pgdev *pg, const char *sql, char *err, size_t errlen)
{
	PGconn *c = db_connect_once(pg->super_url, err, errlen);
	if (!c)
		return -1;
	PGresult *r = PQexec(c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0)
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return rc;
}

static int cluster_user(struct pgdev *pg, char *err, size_t errlen)
{
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw) {
			snprintf(err, errlen, "running as root needs the unprivileged user 'postgres' for the cluster");
			return -1;
		}
		pg->uid = pw->pw_uid;
		pg->gid = pw->pw_gid;
	} else {
		pg->uid = getuid();
		pg->gid = getgid();
	}
	return 0;
}

int pgdev_locate(const char *data_dir, struct pgdev *pg, char *err, size_t errlen)
{
	memset(pg, 0, sizeof *pg);
	if (find_bindir(pg) < 0 || cluster_user(pg, err, errlen) < 0) {
		if (!pg->bindir[0])
			snprintf(err, errlen, "PostgreSQL 15 is not installed");
		return -1;
	}
	char link[PATH_MAX + 8];
	snprintf(link, sizeof link, "%s/pg", data_dir);
	if (!realpath(link, pg->dir)) {
		snprintf(err, errlen, "no dev cluster under %s (run `planyard dev` first)", data_dir);
		return -1;
	}
	snprintf(pg->backup_dir, sizeof pg->backup_dir, "%s-backup", pg->dir);
	snprintf(pg->backup_conf, sizeof pg->backup_conf, "%s/pgbackrest.conf", pg->backup_dir);
	snprintf(pg->super_url, sizeof pg->super_url, "host=%s dbname=postgres user=postgres", pg->dir);
	snprintf(pg->admin_url, sizeof pg->admin_url, "host=%s dbname=planyard user=planyard_owner", pg->dir);
	snprintf(pg->app_url, sizeof pg->app_url, "host=%s dbname=planyard user=planyard_app", pg->dir);
	snprintf(pg->auth_url, sizeof pg->auth_url, "host=%s dbname=planyard user=planyard_auth", pg->dir);
	snprintf(pg->jobs_url, sizeof pg->jobs_url, "host=%s dbname=planyard user=planyard_jobs", pg->dir);
	return 0;
}

/* The pgBackRest configuration of the dev cluster: an encrypted repository for point-in-time
 * recovery and one for daily snapshots, beside the cluster (where its user can write), the
 * key only in this file (0600, the cluster's user), never in a repository. */
static int backup_conf(struct pgdev *pg, const char *key, const char *link_dir, char *err, size_t errlen)
{
	snprintf(pg->backup_dir, sizeof pg->backup_dir, "%s-backup", pg->dir);
	if (mkdir(pg->backup_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s", pg->backup_dir);
		return -1;
	}
	if (chown(pg->backup_dir, pg->uid, pg->gid) < 0 && getuid() == 0) {
		snprintf(err, errlen, "cannot give %s to the cluster's user", pg->backup_dir);
		return -1;
	}
	snprintf(pg->backup_conf, sizeof pg->backup_conf, "%s/pgbackrest.conf", pg->backup_dir);
	static const char *const subdirs[] = { "log", "lock" };
	for (size_t i = 0; i < ARRAY_LEN(subdirs); i++) {
		char d[PATH_MAX + 32];
		snprintf(d, sizeof d, "%s/%s", pg->backup_dir, subdirs[i]);
		if ((mkdir(d, 0700) < 0 && errno != EEXIST) || (chown(d, pg->uid, pg->gid) < 0 && getuid() == 0)) {
			snprintf(err, errlen, "cannot create %s", d);
			return -1;
		}
	}
	const char *pitr = getenv("PLANYARD_BACKUP_PITR_DAYS"), *snap = getenv("PLANYARD_BACKUP_SNAPSHOT_DAYS");
	FILE *f = fopen(pg->backup_conf, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s", pg->backup_conf);
		return -1;
	}
	fchmod(fileno(f), 0600);
	fprintf(f, "[global]\n"
		   "repo1-path=%s/pitr\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=%s\n"
		   "repo1-retention-full-type=time\nrepo1-retention-full=%s\n"
		   "repo2-path=%s/snapshots\nrepo2-cipher-type=aes-256-cbc\nrepo2-cipher-pass=%s\n"
		   "repo2-retention-full-type=time\nrepo2-retention-full=%s\n"
		   "log-path=%s/log\nlock-path=%s/lock\nlog-level-console=error\nlog-level-file=info\n"
		   "start-fast=y\narchive-async=n\ncompress-type=lz4\n"
		   /* the socket lives in the data directory; its lock must not travel */
		   "exclude=.s.PGSQL.5432.lock\nexclude=.s.PGSQL.5432\n\n"
		   "[planyard]\npg1-path=%s\npg1-socket-path=%s\npg1-user=postgres\n",
		pg->backup_dir, key, pitr ? pitr : "7", pg->backup_dir, key, snap ? snap : "30", pg->backup_dir,
		pg->backup_dir, pg->dir, pg->dir);
	if (fclose(f) != 0 || chown(pg->backup_conf, pg->uid, pg->gid) < 0) {
		if (getuid() == 0) {
			snprintf(err, errlen, "cannot write %s", pg->backup_conf);
			return -1;
		}
	}
	/* DATA_DIR/backup points at it, for people looking */
	char link[PATH_MAX + 16];
	snprintf(link, sizeof link, "%s/backup", link_dir);
	struct stat st;
	if (lstat(link, &st) < 0 && symlink(pg->backup_dir, link) < 0) {
		snprintf(err, errlen, "cannot link %s", link);
		return -1;
	}
	return 0;
}

static int lock_wait(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int open_lock(const char *dir, const char *name)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* The process postmaster.pid names, when it is this cluster's postmaster: a postgres
 * process whose working directory is the cluster (the postmaster works there). After a
 * kill -9 and a reboot or pid reuse, the file can name a process that is something else,
 * which PostgreSQL would take for a running server and refuse to start. */
static bool pid_is_postmaster(const struct pgdev *pg, long pid)
{
	char p[64], buf[PATH_MAX];
	snprintf(p, sizeof p, "/proc/%ld/comm", pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return errno != ENOENT;  /* can't tell: leave it to PostgreSQL */
	bool postgres = fgets(buf, sizeof buf, f) && strcmp(buf, "postgres\n") == 0;
	fclose(f);
	if (!postgres)
		return false;
	snprintf(p, sizeof p, "/proc/%ld/cwd", pid);
	ssize_t n = readlink(p, buf, sizeof buf - 1);
	if (n < 0)
		return errno != ENOENT;
	buf[n] = '\0';
	return strcmp(buf, pg->dir) == 0;
}

static void clear_stale_pid(const struct pgdev *pg)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/postmaster.pid", pg->dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	long pid = 0;
	bool read = fscanf(f, "%ld", &pid) == 1;
	fclose(f);
	if (read && pid > 0 && pid_is_postmaster(pg, pid))
		return;
	log_warn("removing the stale %s (process %ld is not its postmaster)", p, pid);
	unlink(p);
	snprintf(p, sizeof p, "%s/.s.PGSQL.5432.lock", pg->dir);
	unlink(p);
}

static bool running(const struct pgdev *pg)
{
	const char *status_args[] = { "status", "-D", pg->dir, NULL };
	return pgdev_run(pg, "pg_ctl", status_args) == 0;
}

static int start_locked(struct pgdev *pg, const char *abs, const char *backup_key, char *err, size_t errlen)
{
	char link[PATH_MAX + 8];
	snprintf(link, sizeof link, "%s/pg", abs);
	struct stat st;
	if (lstat(link, &st) < 0) {
		if (reachable(pg, abs) && strlen(link) < 80) {
			if (mkdir(link, 0700) < 0) {
				snprintf(err, errlen, "cannot create %s: %s", link, strerror(errno));
				return -1;
			}
		} else {
			/* The clone sits where the cluster's user can't enter (e.g. /root): keep the
			 * cluster where it can, and point DATA_DIR/pg at it. */
			unsigned char h[32];
			char hex[65], real[PATH_MAX];
			crypto_sha256(abs, strlen(abs), h);
			crypto_hex(h, 8, hex);
			const char *base = getuid() == 0 ? "/var/lib/planyard-dev" : "/tmp/planyard-dev";
			mkdir(base, 0755);
			snprintf(real, sizeof real, "%s/%s", base, hex);
			if (mkdir(real, 0700) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create %s: %s", real, strerror(errno));
				return -1;
			}
			if (symlink(real, link) < 0) {
				snprintf(err, errlen, "cannot link %s: %s", link, strerror(errno));
				return -1;
			}
		}
	}
	if (!realpath(link, pg->dir)) {
		snprintf(err, errlen, "cannot resolve %s", link);
		return -1;
	}
	if (chown(pg->dir, pg->uid, pg->gid) < 0 && getuid() == 0) {
		snprintf(err, errlen, "cannot give %s to the cluster's user", pg->dir);
		return -1;
	}
	chmod(pg->dir, 0700);

	char version[PATH_MAX + 16];
	snprintf(version, sizeof version, "%s/PG_VERSION", pg->dir);
	if (access(version, F_OK) < 0) {
		log_info("creating the private PostgreSQL cluster in %s", pg->dir);
		const char *args[] = { "-D", pg->dir, "-U", "postgres", "-E", "UTF8", "--no-locale",
				       "--auth-local=trust", "--auth-host=reject", "--no-sync", NULL };
		if (pgdev_run(pg, "initdb", args) != 0) {
			snprintf(err, errlen, "initdb failed in %s", pg->dir);
			return -1;
		}
	}
	snprintf(pg->super_url, sizeof pg->super_url, "host=%s dbname=postgres user=postgres", pg->dir);
	snprintf(pg->admin_url, sizeof pg->admin_url, "host=%s dbname=planyard user=planyard_owner", pg->dir);
	snprintf(pg->app_url, sizeof pg->app_url, "host=%s dbname=planyard user=planyard_app", pg->dir);
	snprintf(pg->auth_url, sizeof pg->auth_url, "host=%s dbname=planyard user=planyard_auth", pg->dir);
	snprintf(pg->jobs_url, sizeof pg->jobs_url, "host=%s dbname=planyard user=planyard_jobs", pg->dir);

	char archive[PATH_MAX * 2 + 256] = "";
	if (backup_key) {
		if (backup_conf(pg, backup_key, abs, err, errlen) < 0)
			return -1;
		snprintf(archive, sizeof archive,
			 "-c wal_level=replica -c archive_mode=on -c archive_timeout=60 "
			 "-c archive_command='/usr/bin/pgbackrest --config=%s --stanza=planyard archive-push %%p'",
			 pg->backup_conf);
	}
	clear_stale_pid(pg);
	if (!running(pg)) {
		char opts[PATH_MAX * 3 + 1024], logf[PATH_MAX + 16];
		const char *extra = getenv("PLANYARD_DEV_PG_OPTIONS");
		snprintf(opts, sizeof opts,
			 "-c listen_addresses='' -k %s -c unix_socket_permissions=0700 -c max_connections=300 %s %s",
			 pg->dir, archive, extra ? extra : "");
		snprintf(logf, sizeof logf, "%s/server.log", pg->dir);
		const char *args[] = { "start", "-w", "-t", "60", "-D", pg->dir, "-l", logf, "-o", opts, NULL };
		if (pgdev_run(pg, "pg_ctl", args) != 0) {
			snprintf(err, errlen, "PostgreSQL did not start; see %s", logf);
			return -1;
		}
		pg->started = true;
	}
	if (exec_super(pg,
		       "do $$ begin "
		       "if not exists (select from pg_roles where rolname = 'planyard_owner') then "
		       "create role planyard_owner login createrole; end if; end $$",
		       err, errlen) < 0)
		return -1;
	PGconn *c = db_connect_once(pg->super_url, err, errlen);
	if (!c)
		return -1;
	PGresult *r = PQexec(c, "select 1 from pg_database where datname = 'planyard'");
	bool exists = PQntuples(r) > 0;
	PQclear(r);
	PQfinish(c);
	if (!exists && exec_super(pg, "create database planyard owner planyard_owner", err, errlen) < 0)
		return -1;
	if (backup_key) {
		/* the stanza, once; a failure here is said but does not stop development */
		const char *sa[] = { "--config", pg->backup_conf, "--stanza=planyard", "--log-level-console=error",
				     "stanza-create", NULL };
		if (pgdev_run(pg, "/usr/bin/pgbackrest", sa) != 0)
			log_warn("pgBackRest could not create its stanza; backups are off (see %s/log)", pg->backup_dir);
	}
	return 0;
}

int pgdev_start(const char *data_dir, struct pgdev *pg, const char *backup_key, char *err, size_t errlen)
{
	memset(pg, 0, sizeof *pg);
	pg->start_fd = pg->users_fd = -1;
	if (find_bindir(pg) < 0) {
		snprintf(err, errlen, "PostgreSQL 15 is not installed (run scripts/deps.sh run)");
		return -1;
	}
	if (cluster_user(pg, err, errlen) < 0)
		return -1;
	char abs[PATH_MAX];
	if (mkdir(data_dir, 0711) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (!realpath(data_dir, abs)) {
		snprintf(err, errlen, "cannot resolve %s", data_dir);
		return -1;
	}
	/* the data dir holds secrets (0600 files) but the cluster's user must pass through it */
	chmod(abs, 0711);
	pg->start_fd = open_lock(abs, "dev.lock");
	pg->users_fd = open_lock(abs, "dev.users");
	if (pg->start_fd < 0 || pg->users_fd < 0 || lock_wait(pg->start_fd, LOCK_EX) < 0 ||
	    lock_wait(pg->users_fd, LOCK_SH) < 0) {
		snprintf(err, errlen, "cannot lock %s/dev.lock: %s", abs, strerror(errno));
		return -1;
	}
	int rc = start_locked(pg, abs, backup_key, err, errlen);
	flock(pg->start_fd, LOCK_UN);
	return rc;
}

void pgdev_stop(struct pgdev *pg)
{
	if (pg->users_fd < 0 || pg->start_fd < 0) {
		if (pg->users_fd >= 0)
			close(pg->users_fd);
		if (pg->start_fd >= 0)
			close(pg->start_fd);
		pg->users_fd = pg->start_fd = -1;
		return;
	}
	/* no one starts while we decide; the last user stops it */
	if (lock_wait(pg->start_fd, LOCK_EX) == 0) {
		flock(pg->users_fd, LOCK_UN);
		if (pg->dir[0] && flock(pg->users_fd, LOCK_EX | LOCK_NB) == 0 && running(pg)) {
			const char *args[] = { "stop", "-w", "-t", "60", "-m", "fast", "-D", pg->dir, NULL };
			if (pgdev_run(pg, "pg_ctl", args) != 0)
				log_warn("the private cluster did not stop cleanly");
		}
	}
	close(pg->users_fd);
	close(pg->start_fd);
	pg->users_fd = pg->start_fd = -1;
	pg->started = false;
}
