/* Time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA1, 6 digits, 30-second
 * steps, one step of skew either way), the base32 of RFC 4648 that authenticator apps read
 * secrets in, and recovery codes. Pure functions over the caller's buffers; no state. */
#ifndef PLANYARD_AUTH_TOTP_H
#define PLANYARD_AUTH_TOTP_H

#include <stdint.h>
#include <time.h>
#include "../common.h"

#define TOTP_SECRET_BYTES 20   /* 160 bits, as RFC 4226 recommends */
#define TOTP_PERIOD 30
#define TOTP_DIGITS 6
#define TOTP_SKEW 1            /* steps accepted either side of now */

/* A recovery code: 15 random bytes (120 bits) as 24 base32 characters, shown in six
 * groups of four joined by dashes. */
#define TOTP_RECOVERY_COUNT 10
#define TOTP_RECOVERY_CHARS 24
#define TOTP_RECOVERY_SHOWN (TOTP_RECOVERY_CHARS + TOTP_RECOVERY_CHARS / 4 - 1) /* 29 */

/* Unpadded base32 of n bytes into out, which needs (8n + 4) / 5 + 1 bytes. Returns the
 * length written (the NUL not counted). */
size_t totp_base32_encode(const void *p, size_t n, char *out);

/* Decodes base32 (either case; '=' padding, spaces and dashes ignored) into out of cap
 * bytes. 0 and *outlen, or -1 on a character outside the alphabet, leftover bits that are
 * not zero, or too little room. */
int totp_base32_decode(const char *s, unsigned char *out, size_t cap, size_t *outlen) WUR;

/* The time step of a Unix time: floor(t / 30). */
int64_t totp_step(time_t t);

/* The HOTP value of key at step, truncated to digits (6 or 8) decimal digits. */
uint32_t totp_code(const void *key, size_t klen, int64_t step, int digits);

/* Checks a code the user typed: exactly 6 ASCII digits, equal (in constant time) to the
 * code of key at now_step - 1, now_step or now_step + 1. 0 with the matching step in
 * *matched (the latest, should two match), or -1. */
int totp_verify(const void *key, size_t klen, const char *code, int64_t now_step, int64_t *matched) WUR;

/* True when code has the shape of a TOTP code (6 ASCII digits). */
bool totp_is_code(const char *code);

/* Writes one fresh recovery code, "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" and a NUL. */
void totp_recovery_new(char out[TOTP_RECOVERY_SHOWN + 1]);

/* The canonical form of a code as typed: dashes and spaces dropped, letters upper-cased;
 * it must then be 24 base32 characters. 0 with out filled, or -1. */
int totp_recovery_normalize(const char *typed, char out[TOTP_RECOVERY_CHARS + 1]) WUR;

/* SHA-256 of the canonical form of a typed code (what is stored). 0, or -1 when the code
 * does not have the shape of a recovery code. */
int totp_recovery_hash(const char *typed, unsigned char out[32]) WUR;

#endif
