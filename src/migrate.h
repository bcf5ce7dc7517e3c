/* Migrations: the numbered SQL files of sql/, built into the program, each applied once in
 * its own transaction and recorded in app.schema_migrations. */
#ifndef PLANYARD_MIGRATE_H
#define PLANYARD_MIGRATE_H

#include "common.h"

/* Applies what is pending, as the schema owner of conninfo. Returns the number applied, or
 * -1 with one line in err. Safe to run from several processes at once (advisory lock). */
int migrate_run(const char *conninfo, char *err, size_t errlen) WUR;

#endif
