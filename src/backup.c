#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pgdev.h"

#define PGBACKREST "/usr/bin/pgbackrest"

/* The cluster's user and the pgBackRest configuration, dev layout or production. */
static int locate(const settings_t *s, struct pgdev *pg, const char **conf)
{
	char err[512];
	if (s->backup_config) {
		memset(pg, 0, sizeof *pg);
		pg->uid = getuid();
		pg->gid = getgid();
		*conf = s->backup_config;
		if (s->backup_key) {
			/* the key reaches pgBackRest through its environment, not a file */
			setenv("PGBACKREST_REPO1_CIPHER_PASS", s->backup_key, 1);
			setenv("PGBACKREST_REPO2_CIPHER_PASS", s->backup_key, 1);
		}
		return 0;
	}
	if (pgdev_locate(s->data_dir, pg, err, sizeof err) < 0) {
		fprintf(stderr, "planyard: %s\n", err);
		return -1;
	}
	if (access(pg->backup_conf, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "planyard: no backup configuration at %s (set PLANYARD_BACKUP_CONFIG, or run "
				"`planyard dev` first)\n", pg->backup_conf);
		return -1;
	}
	*conf = pg->backup_conf;
	return 0;
}

static int run(const struct pgdev *pg, const char *conf, const char *const *args, bool show)
{
	const char *argv[24];
	int n = 0;
	argv[n++] = "--config";
	argv[n++] = conf;
	argv[n++] = "--stanza=planyard";
	for (int i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return pgdev_run_output(pg, PGBACKREST, argv, show);
}

static void usage(void)
{
	fputs("usage: planyard backup create [--type full|incr|diff] [--snapshot]\n"
	      "       planyard backup list\n"
	      "       planyard backup verify\n"
	      "       planyard backup expire\n"
	      "       planyard restore --to TIME --into DIR [--in-place]\n", stderr);
}

/* Days of a window: PLANYARD_BACKUP_PITR_DAYS (7) or PLANYARD_BACKUP_SNAPSHOT_DAYS (30), as
 * the dev layout's pgBackRest configuration has them. */
static long window_days(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n = v ? strtol(v, &end, 10) : def;
	return v && (*end || n < 1 || n > 9999) ? def : n;
}

/* The clock of `backup expire`: now, or PLANYARD_BACKUP_NOW (seconds since the epoch), which
 * only a dev layout honours (a test shows the windows with it); -1 when it is refused. */
static long long backup_now(const settings_t *s)
{
	const char *v = getenv("PLANYARD_BACKUP_NOW");
	if (!v || !*v)
		return (long long)time(NULL);
	char *end;
	long long n = strtoll(v, &end, 10);
	if (s->backup_config || *end || n <= 0) {
		fprintf(stderr, "planyard: PLANYARD_BACKUP_NOW is honoured only in a dev layout, as seconds since the "
				"epoch\n");
		return -1;
	}
	return n;
}

struct set {
	const char *label;
	long long stop;
};

static int by_stop(const void *a, const void *b)
{
	const struct set *x = a, *y = b;
	return x->stop < y->stop ? -1 : x->stop > y->stop;
}

static int expire_set(const struct pgdev *pg, const char *conf, int repo, const char *label)
{
	char r[16], set[96];
	snprintf(r, sizeof r, "--repo=%d", repo);
	snprintf(set, sizeof set, "--set=%s", label);
	const char *args[] = { r, set, "--log-level-console=warn", "expire", NULL };
	int rc = run(pg, conf, args, true);
	if (rc == 0)
		printf("expired %s from repo%d\n", label, repo);
	else
		fprintf(stderr, "planyard: could not expire %s (pgBackRest exit %d)\n", label, rc);
	return rc == 0 ? 0 : -1;
}

/* pgBackRest's list of the stanza's backup sets (the "backup" array of its info), kept alive
 * by *info (the caller decrefs it); NULL, with a message, when it can't be read. */
static json_t *backup_sets(const struct pgdev *pg, const char *conf, json_t **info)
{
	char *out = NULL;
	const char *args[] = { "--config", conf, "--stanza=planyard", "--output=json", "info", NULL };
	int rc = pgdev_run_capture(pg, PGBACKREST, args, &out);
	*info = rc == 0 && out ? json_loads(out, 0, NULL) : NULL;
	free(out);
	json_t *sets = json_array_get(*info, 0) ? json_object_get(json_array_get(*info, 0), "backup") : NULL;
	if (!json_is_array(sets)) {
		fprintf(stderr, "planyard: cannot read the backups (pgBackRest info exit %d)\n", rc);
		json_decref(*info);
		*info = NULL;
		return NULL;
	}
	return sets;
}

/* The full backups of repository repo among sets, oldest first, into v (as many entries as
 * sets has); how many. */
static size_t full_sets(json_t *sets, int repo, struct set *v)
{
	size_t k = 0;
	for (size_t i = 0; i < json_array_size(sets); i++) {
		json_t *b = json_array_get(sets, i);
		const char *type = json_string_value(json_object_get(b, "type"));
		json_int_t key = json_integer_value(json_object_get(json_object_get(b, "database"), "repo-key"));
		const char *label = json_string_value(json_object_get(b, "label"));
		if (!type || strcmp(type, "full") != 0 || key != repo || !label)
			continue;
		v[k].label = label;
		v[k].stop = json_integer_value(json_object_get(json_object_get(b, "timestamp"), "stop"));
		k++;
	}
	qsort(v, k, sizeof *v, by_stop);
	return k;
}

/* The promises of DESIGN.md, kept at the clock's now: repository 1 can restore to any moment of
 * the last PITR_DAYS (every full backup that ended inside the window is kept, and the newest
 * one that ended before it, from which the window's first moment is replayed; older ones go,
 * and with them their WAL); repository 2 keeps each daily snapshot SNAPSHOT_DAYS (older ones
 * go, never the newest). pgBackRest applies the same retention after each backup; this
 * command applies it at any time. */
static int expire_command(const struct pgdev *pg, const char *conf, long long now)
{
	json_t *info;
	json_t *sets = backup_sets(pg, conf, &info);
	if (!sets)
		return 1;
	long days[3] = { 0, window_days("PLANYARD_BACKUP_PITR_DAYS", 7), window_days("PLANYARD_BACKUP_SNAPSHOT_DAYS", 30) };
	int failed = 0;
	for (int repo = 1; repo <= 2; repo++) {
		size_t n = json_array_size(sets);
		struct set *v = calloc(n ? n : 1, sizeof *v);
		if (!v) {
			json_decref(info);
			return 1;
		}
		size_t k = full_sets(sets, repo, v);
		long long start = now - (long long)days[repo] * 86400;
		/* repo 1: the newest set that ended before the window stays, to replay its start */
		size_t keep_from = k;
		for (size_t i = 0; i < k; i++)
			if (v[i].stop >= start) {
				keep_from = i;
				break;
			}
		if (repo == 1 && keep_from > 0)
			keep_from--;
		if (keep_from == k && k > 0)
			keep_from = k - 1;   /* never the newest */
		for (size_t i = 0; i < keep_from; i++)
			if (expire_set(pg, conf, repo, v[i].label) < 0)
				failed = 1;
		free(v);
	}
	json_decref(info);
	return failed;
}

int backup_command(const settings_t *s, int argc, char **argv)
{
	if (argc < 1) {
		usage();
		return 2;
	}
	struct pgdev pg;
	const char *conf;
	if (locate(s, &pg, &conf) < 0)
		return 1;
	if (strcmp(argv[0], "create") == 0) {
		const char *type = "--type=incr";
		bool snapshot = false;
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--snapshot") == 0)
				snapshot = true;
			else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc &&
				 (strcmp(argv[i + 1], "full") == 0 || strcmp(argv[i + 1], "incr") == 0 ||
				  strcmp(argv[i + 1], "diff") == 0)) {
				type = strcmp(argv[i + 1], "full") == 0 ? "--type=full"
				     : strcmp(argv[i + 1], "diff") == 0 ? "--type=diff" : "--type=incr";
				i++;
			} else {
				usage();
				return 2;
			}
		}
		/* a daily snapshot is a full backup into the 30-day repository */
		const char *args[] = { snapshot ? "--type=full" : type, snapshot ? "--repo=2" : "--repo=1", "backup", NULL };
		int rc = run(&pg, conf, args, true);
		if (rc != 0) {
			fprintf(stderr, "planyard: the backup failed (pgBackRest exit %d)\n", rc);
			return 1;
		}
		printf("backup done\n");
		return 0;
	}
	if (strcmp(argv[0], "expire") == 0 && argc == 1) {
		long long now = backup_now(s);
		return now < 0 ? 2 : expire_command(&pg, conf, now);
	}
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		const char *args[] = { "info", NULL };
		return run(&pg, conf, args, true) == 0 ? 0 : 1;
	}
	if (strcmp(argv[0], "verify") == 0 && argc == 1) {
		const char *check[] = { "check", NULL };
		const char *v1[] = { "--repo=1", "verify", NULL };
		int rc = run(&pg, conf, check, true);
		if (rc == 0)
			rc = run(&pg, conf, v1, true);
		if (rc != 0) {
			fprintf(stderr, "planyard: verification failed (pgBackRest exit %d)\n", rc);
			return 1;
		}
		printf("backups verified\n");
		return 0;
	}
	usage();
	return 2;
}

static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return false;   /* the end of s too: it is never read past */
	return true;
}

/* Whether s begins with "YYYY-MM-DDTHH:MM:SS" (T, t or a space between), digits where digits go. */
static bool date_time_shaped(const char *s)
{
	static const char shape[] = "dddd-dd-dd_dd:dd:dd";
	for (size_t i = 0; shape[i]; i++) {
		char c = s[i];
		bool ok = shape[i] == 'd'   ? digits(s + i, 1)
			  : shape[i] == '_' ? c == 'T' || c == 't' || c == ' '
					    : c == shape[i];
		if (!ok)
			return false;   /* the end of s too */
	}
	return true;
}

/* An RFC 3339 time with its offset (2026-11-22T08:30:00Z, 2026-11-22 10:30:00.25+02:00) as
 * seconds since the epoch, and as PostgreSQL reads it into pg ("2026-11-22 08:30:00+00").
 * -1 when it is not one: a time without an offset would be read in the cluster's zone. */
static int parse_time(const char *s, long long *epoch, char *pg, size_t n)
{
	if (!date_time_shaped(s))
		return -1;
	int y, mo, d, h, mi, sec, used = 0;
	if (strlen(s) > 40 || sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
	    used != 19)
		return -1;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	const char *p = s + used;
	const char *frac = p;
	if (*p == '.') {
		if (!digits(++p, 1))
			return -1;
		while (digits(p, 1))
			p++;
	}
	size_t frac_len = (size_t)(p - frac);
	int off = 0;
	char zone[8];
	if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
		snprintf(zone, sizeof zone, "+00");
	} else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2) && digits(p + 4, 2)) {
		int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
		if (oh > 23 || om > 59)
			return -1;
		off = (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		snprintf(zone, sizeof zone, "%s", p);
	} else {
		return -1;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*epoch = (long long)timegm(&tm) - off;
	snprintf(pg, n, "%04d-%02d-%02d %02d:%02d:%02d%.*s%s", y, mo, d, h, mi, sec, (int)frac_len, frac, zone);
	return 0;
}

static void utc_text(long long epoch, char *out, size_t n)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether the backups can bring the cluster back to the time at: after the end of the oldest
 * full backup of repository 1 (what `backup expire` keeps of the PITR window) and not after
 * now. 0, or -1 with the reason said. */
static int reachable(const struct pgdev *pg, const char *conf, const char *to, long long at)
{
	if (at > (long long)time(NULL)) {
		fprintf(stderr, "planyard: %s is in the future: there is nothing to restore to yet\n", to);
		return -1;
	}
	json_t *info;
	json_t *sets = backup_sets(pg, conf, &info);
	if (!sets)
		return -1;
	size_t n = json_array_size(sets);
	struct set *v = calloc(n ? n : 1, sizeof *v);
	size_t k = v ? full_sets(sets, 1, v) : 0;
	long long oldest = k ? v[0].stop : 0;
	free(v);
	json_decref(info);
	if (!k) {
		fprintf(stderr, "planyard: there is no full backup to restore from yet (planyard backup create --type full)\n");
		return -1;
	}
	if (at < oldest) {
		char o[32];
		utc_text(oldest, o, sizeof o);
		fprintf(stderr, "planyard: %s is before the oldest backup, which ended at %s: the backups restore any "
				"time from then on (they keep %ld days)\n", to, o, window_days("PLANYARD_BACKUP_PITR_DAYS", 7));
		return -1;
	}
	return 0;
}

int restore_command(const settings_t *s, int argc, char **argv)
{
	const char *to = NULL, *into = NULL;
	bool in_place = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--into") == 0 && i + 1 < argc)
			into = argv[++i];
		else if (strcmp(argv[i], "--in-place") == 0)
			in_place = true;
		else {
			usage();
			return 2;
		}
	}
	if (!to || (!into && !in_place) || (into && in_place)) {
		usage();
		return 2;
	}
	long long at;
	char when[64];
	if (parse_time(to, &at, when, sizeof when) < 0) {
		fprintf(stderr, "planyard: --to takes an RFC 3339 time with its offset, such as 2026-11-22T08:30:00Z\n");
		return 2;
	}
	struct pgdev pg;
	const char *conf;
	if (locate(s, &pg, &conf) < 0 || reachable(&pg, conf, to, at) < 0)
		return 1;
	char target[80];
	snprintf(target, sizeof target, "--target=%s", when);
	char pgpath[4200];
	if (in_place) {
		const char *st[] = { "status", "-D", pg.dir, NULL };
		if (!pg.dir[0] || pgdev_run(&pg, "pg_ctl", st) == 0) {
			fprintf(stderr, "planyard: stop the cluster before restoring over it\n");
			return 1;
		}
		snprintf(pgpath, sizeof pgpath, "--pg1-path=%s", pg.dir);
	} else {
		if (!empty_dir(into)) {
			fprintf(stderr, "planyard: %s is not empty; restore into a new folder\n", into);
			return 1;
		}
		if (mkdir(into, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "planyard: cannot create %s: %s\n", into, strerror(errno));
			return 1;
		}
		if (getuid() == 0 && chown(into, pg.uid, pg.gid) < 0) {
			fprintf(stderr, "planyard: cannot give %s to the cluster's user\n", into);
			return 1;
		}
		char abs[4096];
		if (!realpath(into, abs)) {
			fprintf(stderr, "planyard: cannot resolve %s\n", into);
			return 1;
		}
		snprintf(pgpath, sizeof pgpath, "--pg1-path=%s", abs);
	}
	const char *args[] = { "--repo=1", "--type=time", target, "--target-action=promote", pgpath,
			       in_place ? "--delta" : "--log-level-console=warn", "restore", NULL };
	int rc = run(&pg, conf, args, true);
	if (rc != 0) {
		fprintf(stderr, "planyard: the restore failed (pgBackRest exit %d)\n", rc);
		return 1;
	}
	/* a backup taken before the exclusion could carry the old socket's lock */
	char lock[4300];
	snprintf(lock, sizeof lock, "%s/.s.PGSQL.5432.lock", pgpath + strlen("--pg1-path="));
	unlink(lock);
	printf("restored to %s into %s; start PostgreSQL on it and it recovers to that time\n", to,
	       in_place ? pg.dir : into);
	return 0;
}

static pthread_t schedule_thread;
static volatile bool schedule_stop, schedule_running;

static void *schedule(void *arg)
{
	const settings_t *s = arg;
	long interval = s->dev_snapshot_interval_s;
	long wait = interval < 600 ? interval : 600;
	for (;;) {
		for (long ms = 0; ms < wait * 1000; ms += 200) {
			if (schedule_stop)
				return NULL;
			usleep(200 * 1000);
		}
		char create[] = "create", snap[] = "--snapshot", expire[] = "expire";
		char *a1[] = { create, snap, NULL }, *a2[] = { expire, NULL };
		if (backup_command(s, 2, a1) == 0 && backup_command(s, 1, a2) == 0)
			log_info("daily snapshot taken; backups past their window expired");
		else
			log_warn("the daily snapshot failed; trying again in one interval");
		fflush(stdout);
		wait = interval;
	}
}

void backup_schedule_start(const settings_t *s)
{
	schedule_stop = false;
	if (pthread_create(&schedule_thread, NULL, schedule, (void *)s) == 0)
		schedule_running = true;
	else
		log_warn("cannot start the daily snapshot schedule");
}

void backup_schedule_stop(void)
{
	if (!schedule_running)
		return;
	schedule_stop = true;
	pthread_join(schedule_thread, NULL);
	schedule_running = false;
}
