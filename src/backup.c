#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	      "       planyard restore --to TIME --into DIR [--in-place]\n", stderr);
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
	if (!to || (!into && !in_place) || (into && in_place) || strlen(to) > 64) {
		usage();
		return 2;
	}
	struct pgdev pg;
	const char *conf;
	if (locate(s, &pg, &conf) < 0)
		return 1;
	/* RFC 3339 (2026-11-22T08:30:00Z) as PostgreSQL reads a time */
	char target[80];
	snprintf(target, sizeof target, "--target=%s", to);
	for (char *c = target; *c; c++)
		if (*c == 'T' && c > target + 9)
			*c = ' ';
	size_t tl = strlen(target);
	if (tl && target[tl - 1] == 'Z')
		snprintf(target + tl - 1, sizeof target - tl + 1, "+00");
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
