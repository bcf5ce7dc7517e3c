/* The demo workspace `planyard dev` creates on first run (sql/seed/demo.sql). */
#ifndef PLANYARD_DEMO_H
#define PLANYARD_DEMO_H

#include "common.h"

/* Creates the demo workspace unless it exists, as the schema owner of admin_url, with a
 * user signing in as email/password. 0, or -1 with one line in err. */
int demo_seed(const char *admin_url, const char *email, const char *password, char *err, size_t errlen) WUR;

#endif
