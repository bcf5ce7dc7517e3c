/* The web UI's files: built in, or read from PLANYARD_WEB_DIR when set. */
#ifndef PLANYARD_STATIC_H
#define PLANYARD_STATIC_H

#include "http.h"

void static_init(const char *web_dir);
/* Handler of every page path: the file, or index.html for an extension-less path (200 for a
 * screen of the app, 404 for any other). */
int static_serve(req_t *r);
/* True when path (decoded, no query) is a screen of the web app. */
bool static_is_screen(const char *path);

#endif
