/* The private PostgreSQL cluster of `planyard dev` and the test suites: initdb on first use
 * under DATA_DIR/pg as an unprivileged user, started on a unix socket only. */
#ifndef PLANYARD_PGDEV_H
#define PLANYARD_PGDEV_H

#include <limits.h>
#include <sys/types.h>
#include "common.h"

struct pgdev {
	char dir[PATH_MAX];      /* the cluster's directory (real path) */
	char bindir[PATH_MAX];
	uid_t uid;               /* who runs the cluster */
	gid_t gid;
	bool started;            /* started by this process */
	int start_fd;            /* DATA_DIR/dev.lock: held exclusively while starting or stopping */
	int users_fd;            /* DATA_DIR/dev.users: held shared by every dev using the cluster */
	char app_url[PATH_MAX + 64];
	char auth_url[PATH_MAX + 64];   /* planyard_auth and planyard_jobs: made by the migration */
	char jobs_url[PATH_MAX + 64];
	char admin_url[PATH_MAX + 64];
	char super_url[PATH_MAX + 64];
	char backup_dir[PATH_MAX + 16];  /* pgBackRest repositories and config (archiving on) */
	char backup_conf[PATH_MAX + 48];
};

/* Creates (first time) and starts the cluster of data_dir, then makes sure the schema
 * owner role and database exist. Several processes may share one data dir: each holds a
 * shared lock while it uses the cluster, and the last to leave stops it (whoever started
 * it, so the orphan of a killed process is stopped too). A postmaster.pid whose process
 * is not this cluster's postmaster is removed before starting. With backup_key, WAL is archived with pgBackRest into
 * encrypted repositories beside the cluster (DATA_DIR/backup). 0, or -1 with one line in err. */
int pgdev_start(const char *data_dir, struct pgdev *pg, const char *backup_key, char *err, size_t errlen) WUR;

/* Locates the cluster of data_dir without starting it (it may be running). 0 or -1. */
int pgdev_locate(const char *data_dir, struct pgdev *pg, char *err, size_t errlen) WUR;

/* Leaves the cluster; stops it when no other process of the data dir still uses it. Safe
 * after a failed pgdev_start. */
void pgdev_stop(struct pgdev *pg);

/* Runs a PostgreSQL program of bindir (or an absolute path) as the cluster's user; returns
 * its exit status. Its standard output is discarded unless show. */
int pgdev_run(const struct pgdev *pg, const char *prog, const char *const *args);
int pgdev_run_output(const struct pgdev *pg, const char *prog, const char *const *args, bool show);

/* The same with its standard output collected into *out (malloc'd, NUL-terminated, at most
 * 16 MB; caller frees), or *out NULL when it could not be read. */
int pgdev_run_capture(const struct pgdev *pg, const char *prog, const char *const *args, char **out);

#endif
