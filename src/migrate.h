/* Migrations: the numbered SQL files of sql/, built into the program, each applied once and
 * recorded with its SHA-256 in app.schema_migrations; then the files of sql/functions/
 * (functions, policies, triggers, grants), re-applied in name order whenever one of them
 * changed (recorded in app.schema_functions). All of it in one transaction. */
#ifndef PLANYARD_MIGRATE_H
#define PLANYARD_MIGRATE_H

#include "common.h"

/* An applied migration differs from the built-in file (or is unknown to this build). */
#define MIGRATE_DRIFT (-2)

/* Applies what is pending, as the schema owner of conninfo. Returns the number applied (the
 * functions set counts as one), MIGRATE_DRIFT with one line in err when the applied history
 * is not this build's (nothing is changed then), or -1 with one line in err. Safe to run from
 * several processes at once (advisory lock). */
int migrate_run(const char *conninfo, char *err, size_t errlen) WUR;

#endif
