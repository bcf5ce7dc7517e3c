#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "embedded.h"
#include "log.h"

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

int migrate_run(const char *conninfo, char *err, size_t errlen)
{
	PGconn *c = db_connect_once(conninfo, err, errlen);
	if (!c)
		return -1;
	int applied = 0;
	if (exec_ok(c, "set client_min_messages = warning; select pg_advisory_lock(74201)", err, errlen) < 0 ||
	    exec_ok(c, "create schema if not exists app; "
		       "create table if not exists app.schema_migrations (version int primary key, "
		       "name text not null, applied_at timestamptz not null default now())", err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < embedded_sql_count; i++) {
		const struct embedded_file *f = &embedded_sql[i];
		if (strchr(f->name, '/'))
			continue; /* seed/... files are not migrations */
		int version = (int)strtol(f->name, NULL, 10);
		if (version <= 0)
			continue;
		char vs[16];
		snprintf(vs, sizeof vs, "%d", version);
		const char *params[] = { vs, f->name };
		PGresult *r = PQexecParams(c, "select 1 from app.schema_migrations where version = $1", 1, NULL,
					   params, NULL, NULL, 0);
		bool done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
		PQclear(r);
		if (done)
			continue;
		if (exec_ok(c, "begin", err, errlen) < 0)
			goto fail;
		if (exec_ok(c, (const char *)f->data, err, errlen) < 0) {
			char inner[512];
			snprintf(inner, sizeof inner, "%s", err);
			snprintf(err, errlen, "migration %s failed: %s", f->name, inner);
			PQclear(PQexec(c, "rollback"));
			goto fail;
		}
		r = PQexecParams(c, "insert into app.schema_migrations (version, name) values ($1, $2)", 2, NULL,
				 params, NULL, NULL, 0);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok || exec_ok(c, "commit", err, errlen) < 0) {
			snprintf(err, errlen, "migration %s could not be recorded", f->name);
			goto fail;
		}
		log_info("migration %s applied", f->name);
		applied++;
	}
	PQfinish(c);
	return applied;
fail:
	PQfinish(c);
	return -1;
}
