/* The HTTP(S) server: libmicrohttpd daemons with a fixed pool of worker threads, the gate
 * every request passes before its handler, and graceful shutdown. */
#ifndef PLANYARD_SERVER_H
#define PLANYARD_SERVER_H

#include "settings.h"

/* Starts the HTTPS daemon (and the plain-HTTP one unless listen_http is "off"), serves until
 * SIGINT or SIGTERM, then stops accepting, lets requests in flight finish (at most 20 s) and
 * returns 0. Returns -1 with a message in err when a daemon can't start. */
int server_run(const settings_t *s, char *err, size_t errlen) WUR;

/* fn runs once the ports are bound, before any request is served (privilege drop); a
 * failure (-1) stops the server with its message. */
void server_after_bind(int (*fn)(char *err, size_t errlen));

#endif
