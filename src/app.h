/* The settings of this process, for handlers: set once at start-up, read-only after. */
#ifndef PLANYARD_APP_H
#define PLANYARD_APP_H

#include "settings.h"

extern const settings_t *app_settings;

/* PLANYARD_PUBLIC_URL without a trailing slash. */
const char *app_public_url(void);

#endif
