/* Sealing secrets that must be read back (TOTP seeds, session secrets, outbox bodies):
 * AES-256-GCM with a key derived from PLANYARD_DATA_KEY, which never enters the database. */
#ifndef PLANYARD_AUTH_SEALED_H
#define PLANYARD_AUTH_SEALED_H

#include "../common.h"

/* Derives the key; call once at start with the setting (at least 32 bytes). */
void sealed_init(const char *data_key);

/* Seals n bytes: out (malloc'd, caller frees) = nonce(12) || ciphertext || tag(16). */
int sealed_seal(const void *pt, size_t n, unsigned char **out, size_t *outlen) WUR;

/* Opens what sealed_seal made; out is malloc'd and NUL-terminated (caller wipes and frees).
 * -1 when the data was changed or sealed under another key. */
int sealed_open(const unsigned char *ct, size_t n, unsigned char **out, size_t *outlen) WUR;

#endif
