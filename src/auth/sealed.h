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

/* Sealing bound to a place (slot: table, column and the row it belongs to, e.g.
 * "app.outbox.body", "app.users.totp:<user id>"): the slot is AES-GCM associated data, so a
 * blob sealed for one slot does not open in another (a TOTP secret handed to the mail sender
 * as a body stays shut). Format 0x02 || nonce(12) || ciphertext || tag(16). */
int sealed_seal_for(const char *slot, const void *pt, size_t n, unsigned char **out, size_t *outlen) WUR;

/* Opens what sealed_seal_for made for the same slot. legacy: also accept the unbound format
 * of sealed_seal (data sealed before slots were bound; only where that is sound: see the
 * callers). -1 otherwise. */
int sealed_open_for(const char *slot, bool legacy, const unsigned char *ct, size_t n, unsigned char **out,
		    size_t *outlen) WUR;

#endif
