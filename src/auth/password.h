/* Passwords: the policy (12-256 characters, not weak), bcrypt $2b$ over the peppered
 * HMAC (so every character counts), and the PBKDF2 history that refuses reuse. */
#ifndef PLANYARD_AUTH_PASSWORD_H
#define PLANYARD_AUTH_PASSWORD_H

#include "../common.h"

/* pepper: PLANYARD_PASSWORD_PEPPER; cost: bcrypt cost; iterations: PBKDF2 rounds of new history. */
void password_init(const char *pepper, int cost, int iterations);

/* NULL when the password may be used, else the API code: password_too_short,
 * password_too_long, password_weak. context: words it may not be built on (email, name),
 * NULL-terminated, may be NULL. */
const char *password_policy(const char *pw, const char *const *context);

/* bcrypt hash of the peppered password into out (at least 128 bytes). 0 or -1. */
int password_hash(const char *pw, char *out, size_t outlen) WUR;
/* True when pw matches hash (constant-time compare). */
bool password_verify(const char *pw, const char *hash);
/* The proof of knowing pw that the database checks against the stored hash before it makes
 * a session (app.password_proof_ok): the peppered password bcrypt ran over, 44 characters
 * and a NUL into out. Needs the pepper, which the database never holds. The caller wipes it. */
void password_proof(const char *pw, char out[45]);
/* Spends the time of a verify on a fixed dummy hash (unknown user). */
void password_dummy_verify(const char *pw);

/* History entry "pbkdf2-sha256$ITER$SALT$HASH" into out (at least 160 bytes). 0 or -1. */
int password_history_entry(const char *pw, char *out, size_t outlen) WUR;
/* True when pw is the password of the history entry. */
bool password_history_match(const char *pw, const char *entry);

#endif
