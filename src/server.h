/* The HTTP(S) server: libmicrohttpd daemons with a fixed pool of worker threads, reading
 * requests and handing each to the gate (gate.c), suspension onto the work pool, and
 * graceful shutdown. */
#ifndef PLANYARD_SERVER_H
#define PLANYARD_SERVER_H

#include "settings.h"

/* Starts the HTTPS daemon (and the plain-HTTP one unless listen_http is "off"), serves until
 * SIGINT, SIGTERM or SIGHUP (at once when one came before), then stops accepting, lets requests in flight finish (at most 20 s) and
 * returns 0. Returns -1 with a message in err when a daemon can't start. */
int server_run(const settings_t *s, char *err, size_t errlen) WUR;

/* From now on SIGINT, SIGTERM and SIGHUP ask the process to stop instead of killing it,
 * so work started before serving (a private cluster) can be undone; server_stopping() says
 * whether one came. */
void server_catch_signals(void);
bool server_stopping(void);

/* fn runs once the ports are bound, before any request is served (privilege drop); a
 * failure (-1) stops the server with its message. */
void server_after_bind(int (*fn)(char *err, size_t errlen));

#endif
