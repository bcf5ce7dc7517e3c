/* Mail: composing messages for the outbox (bodies are sealed before they reach the
 * database) and the background sender that delivers them over SMTP or into the outbox
 * folder, with retries and backoff. */
#ifndef PLANYARD_MAIL_H
#define PLANYARD_MAIL_H

#include "arena.h"
#include "settings.h"

/* A sealed body as a bytea parameter (arena); NULL on failure. */
char *mail_sealed(arena_t *a, const char *body);

/* A link with a token in its fragment: PUBLIC_URL/page#token=TOKEN (arena). */
char *mail_link(arena_t *a, const char *page, const char *token);

/* Where a confirm or reset link takes its token: the database makes the token and keeps it
 * with the mail (app.outbox.token), and the mail sender puts it in here, so no caller of
 * the flow ever holds it. */
#define MAIL_TOKEN "{{token}}"

/* Starts the sender thread (one per process; rows are claimed with SKIP LOCKED). */
void mail_start_sender(const settings_t *s);

/* Stops the sender thread after its current round (shutdown). */
void mail_stop_sender(void);

/* Delivers due mail once, synchronously; returns the number sent (tests, jobs). */
int mail_deliver_due(void);

#endif
