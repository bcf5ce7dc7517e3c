#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "embedded.h"
#include "log.h"

#define FUNCTIONS_DIR "functions/"

/* The migrations the first release recorded (version numbers only, no checksums); such a
 * database holds exactly what 001_baseline.sql makes, and the baseline stands for them. */
static const char RELEASE1_VERSIONS[] = "{1,2,3,4,10,11,12,13,14,15,16,17,18}";

static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? 0 : -1;
	if (rc < 0) {
		const char *m = PQresultErrorMessage(r);
		snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
	}
	PQclear(r);
	return rc;
}

/* One row, one column of a parameterised query into out ("" when no row); -1 on error. */
static int query1(PGconn *c, const char *sql, int n, const char *const *params, char *out, size_t outlen,
		  char *err, size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorMessage(r);
		snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
		PQclear(r);
		return -1;
	}
	snprintf(out, outlen, "%s", PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

static int run_file(PGconn *c, const struct embedded_file *f, char *err, size_t errlen)
{
	if (exec_ok(c, (const char *)f->data, err, errlen) == 0)
		return 0;
	char inner[512];
	snprintf(inner, sizeof inner, "%s", err);
	snprintf(err, errlen, "migration %s failed: %s", f->name, inner);
	return -1;
}

static bool is_numbered(const struct embedded_file *f)
{
	return !strchr(f->name, '/') && strtol(f->name, NULL, 10) > 0;
}

static bool is_function_file(const struct embedded_file *f)
{
	return strncmp(f->name, FUNCTIONS_DIR, strlen(FUNCTIONS_DIR)) == 0;
}

static const struct embedded_file *numbered(int version)
{
	for (size_t i = 0; i < embedded_sql_count; i++)
		if (is_numbered(&embedded_sql[i]) && strtol(embedded_sql[i].name, NULL, 10) == version)
			return &embedded_sql[i];
	return NULL;
}

/* The bookkeeping tables, and a database of the first release (its migrations recorded
 * without checksums) brought to this layout: the baseline recorded in their place. */
static int bookkeeping(PGconn *c, char *err, size_t errlen)
{
	char had[8], legacy[16];
	if (query1(c, "select count(*) from pg_catalog.pg_attribute where attrelid = "
		      "pg_catalog.to_regclass('app.schema_migrations') and attname = 'sha256'",
		   0, NULL, had, sizeof had, err, errlen) < 0 ||
	    exec_ok(c, "create schema if not exists app; "
		       "create table if not exists app.schema_migrations (version int primary key, "
		       "name text not null, applied_at timestamptz not null default now()); "
		       "alter table app.schema_migrations add column if not exists sha256 text; "
		       "create table if not exists app.schema_functions (name text primary key, "
		       "sha256 text not null, applied_at timestamptz not null default now())", err, errlen) < 0)
		return -1;
	if (strcmp(had, "0") != 0)
		return exec_ok(c, "alter table app.schema_migrations alter column sha256 set not null", err, errlen);
	const char *p1[] = { RELEASE1_VERSIONS };
	if (query1(c, "select case when count(*) = 0 then 'none' "
		      "when array_agg(version order by version) = $1::int[] then 'release1' else 'unknown' end "
		      "from app.schema_migrations",
		   1, p1, legacy, sizeof legacy, err, errlen) < 0)
		return -1;
	if (strcmp(legacy, "unknown") == 0) {
		snprintf(err, errlen, "app.schema_migrations records migrations without checksums that are not "
				      "those of the first release: this database can't be upgraded");
		return MIGRATE_DRIFT;
	}
	if (strcmp(legacy, "release1") == 0) {
		const struct embedded_file *b = numbered(1);
		char hex[65], none[8];
		if (!b) {
			snprintf(err, errlen, "no baseline migration is built in");
			return -1;
		}
		crypto_sha256_hex(b->data, b->len, hex);
		const char *p[] = { b->name, hex };
		if (exec_ok(c, "delete from app.schema_migrations where version <> 1", err, errlen) < 0 ||
		    query1(c, "update app.schema_migrations set name = $1, sha256 = $2 where version = 1", 2, p,
			   none, sizeof none, err, errlen) < 0)
			return -1;
		log_info("release-1 migrations 001-018 recorded as %s", b->name);
	}
	return exec_ok(c, "alter table app.schema_migrations alter column sha256 set not null", err, errlen);
}

/* Refuses a database whose applied migrations are not the files built in: one changed since
 * it was applied, or one this build does not have (a newer release migrated it). */
static int check_applied(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, "select version, name, sha256 from app.schema_migrations order by version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		snprintf(err, errlen, "cannot read app.schema_migrations");
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const struct embedded_file *f = numbered((int)strtol(PQgetvalue(r, i, 0), NULL, 10));
		char hex[65];
		if (!f) {
			snprintf(err, errlen, "migration %s is applied but not built into this program (a newer release?)",
				 PQgetvalue(r, i, 1));
			rc = MIGRATE_DRIFT;
			break;
		}
		crypto_sha256_hex(f->data, f->len, hex);
		if (strcmp(hex, PQgetvalue(r, i, 2)) != 0) {
			snprintf(err, errlen, "migration %s was changed after it was applied (sha256 %.12s applied, %.12s now): "
					      "add a new numbered file instead", f->name, PQgetvalue(r, i, 2), hex);
			rc = MIGRATE_DRIFT;
		}
	}
	PQclear(r);
	return rc;
}

static int apply_numbered(PGconn *c, int *applied, char *err, size_t errlen)
{
	for (size_t i = 0; i < embedded_sql_count; i++) {
		const struct embedded_file *f = &embedded_sql[i];
		if (!is_numbered(f))
			continue;
		char vs[16], done[8], hex[65];
		snprintf(vs, sizeof vs, "%ld", strtol(f->name, NULL, 10));
		const char *pv[] = { vs };
		if (query1(c, "select 1 from app.schema_migrations where version = $1::int", 1, pv, done, sizeof done,
			   err, errlen) < 0)
			return -1;
		if (done[0])
			continue;
		crypto_sha256_hex(f->data, f->len, hex);
		const char *params[] = { vs, f->name, hex };
		if (run_file(c, f, err, errlen) < 0 ||
		    query1(c, "insert into app.schema_migrations (version, name, sha256) values ($1::int, $2, $3)", 3,
			   params, done, sizeof done, err, errlen) < 0)
			return -1;
		log_info("migration %s applied", f->name);
		(*applied)++;
	}
	return 0;
}

/* For each file of sql/functions/ in name order: runs it first when run is set, then sql with
 * its name and SHA-256 as $1, $2; counts the files in *files and those for which sql answered
 * a row in *answered. */
static int each_function_file(PGconn *c, bool run, const char *sql, int *files, int *answered, char *err,
			      size_t errlen)
{
	for (size_t i = 0; i < embedded_sql_count; i++) {
		const struct embedded_file *f = &embedded_sql[i];
		if (!is_function_file(f))
			continue;
		char hex[65], row[8];
		crypto_sha256_hex(f->data, f->len, hex);
		const char *p[] = { f->name, hex };
		if ((run && run_file(c, f, err, errlen) < 0) ||
		    query1(c, sql, 2, p, row, sizeof row, err, errlen) < 0)
			return -1;
		(*files)++;
		*answered += row[0] != 0;
	}
	return 0;
}

/* The functions set (sql/functions/, in name order) is re-applied whole when the files
 * recorded in app.schema_functions are not exactly those built in, or new numbered files ran
 * (they may have dropped what a function, policy or grant refers to). */
static int apply_functions(PGconn *c, bool force, int *applied, char *err, size_t errlen)
{
	int files = 0, same = 0;
	char total[16];
	if (each_function_file(c, false, "select 1 from app.schema_functions where name = $1 and sha256 = $2", &files,
			       &same, err, errlen) < 0 ||
	    query1(c, "select count(*) from app.schema_functions", 0, NULL, total, sizeof total, err, errlen) < 0)
		return -1;
	if (!force && same == files && strtol(total, NULL, 10) == files)
		return 0;
	int ran = 0, recorded = 0;
	if (exec_ok(c, "delete from app.schema_functions", err, errlen) < 0 ||
	    each_function_file(c, true, "insert into app.schema_functions (name, sha256) values ($1, $2) returning 1",
			       &ran, &recorded, err, errlen) < 0)
		return -1;
	log_info("functions, policies and grants applied (%d files)", ran);
	(*applied)++;
	return 0;
}

int migrate_run(const char *conninfo, char *err, size_t errlen)
{
	PGconn *c = db_connect_once(conninfo, err, errlen);
	if (!c)
		return -1;
	int applied = 0, rc = -1;
	if (exec_ok(c, "set client_min_messages = warning; select pg_advisory_lock(74201)", err, errlen) < 0 ||
	    exec_ok(c, "begin", err, errlen) < 0)
		goto out;
	/* everything in one transaction: a failure leaves the database as it was */
	if ((rc = bookkeeping(c, err, errlen)) < 0 || (rc = check_applied(c, err, errlen)) < 0 ||
	    (rc = apply_numbered(c, &applied, err, errlen)) < 0 ||
	    (rc = apply_functions(c, applied > 0, &applied, err, errlen)) < 0)
		goto out;
	if ((rc = exec_ok(c, "commit", err, errlen)) < 0) {
		char inner[400];
		snprintf(inner, sizeof inner, "%s", err);
		snprintf(err, errlen, "migrations could not be committed: %s", inner);
		goto out;
	}
	rc = applied;
out:
	if (rc < 0)
		PQclear(PQexec(c, "rollback"));
	PQfinish(c);
	return rc;
}
