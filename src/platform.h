/* Platform staff tooling (DESIGN.md "Platform staff access"): `planyard platform
 * impersonate --workspace SLUG --user EMAIL --staff NAME --reason TEXT` makes a single-use
 * link (5 minutes) to a session of that member. It acts only as the database role
 * planyard_platform, which can do nothing but make such a grant: it connects with
 * PLANYARD_PLATFORM_DATABASE_URL, or in a dev layout as the private cluster's superuser over
 * its socket in $PLANYARD_DATA_DIR/pg, and switches to that role first. */
#ifndef PLANYARD_PLATFORM_H
#define PLANYARD_PLATFORM_H

#include "settings.h"

/* Runs `platform ARGS...` (argv after "platform"). Prints the link alone on stdout and
 * returns 0; on a failure (an unknown workspace or user, no database) one line on stderr
 * and 1; on bad arguments the usage on stderr and 2. */
int platform_main(const settings_t *s, int argc, char **argv);

#endif
