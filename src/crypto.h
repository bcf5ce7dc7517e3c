/* Small wrappers over OpenSSL libcrypto: randomness, hashes, hex and base64url, and
 * constant-time comparison. Output buffers are the caller's. */
#ifndef PLANYARD_CRYPTO_H
#define PLANYARD_CRYPTO_H

#include "common.h"

/* Fills p with n cryptographically secure random bytes; fatal() if the generator fails. */
void crypto_random(void *p, size_t n);
/* Writes 2n lowercase hex characters and a NUL into out (size 2n+1). */
void crypto_hex(const void *p, size_t n, char *out);
/* 32-byte SHA-256 of p. */
void crypto_sha256(const void *p, size_t n, unsigned char out[32]);
/* SHA-256 of p as 64 hex characters and a NUL. */
void crypto_sha256_hex(const void *p, size_t n, char out[65]);
void crypto_hmac_sha256(const void *key, size_t klen, const void *p, size_t n, unsigned char out[32]);
/* Unpadded base64url. Returns the length written (out needs 4*ceil(n/3)+1). */
size_t crypto_b64url_encode(const void *p, size_t n, char *out);
/* Decodes unpadded base64url into out (size at least 3*n/4+1); -1 on a bad character. */
int crypto_b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen) WUR;
/* Constant-time equality of two byte runs (the length is not secret). */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);
/* A random token: 32 random bytes as base64url (43 chars + NUL). */
void crypto_token(char out[44]);
/* A random version-4 UUID as 36 characters and a NUL. */
void crypto_uuid(char out[37]);

#endif
