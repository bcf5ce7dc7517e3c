/* Access tokens: JWT, HS256 only (the algorithm is the server's, never the token's), with
 * typ, exp and iat checked here rather than trusted to a library. */
#ifndef PLANYARD_AUTH_JWT_H
#define PLANYARD_AUTH_JWT_H

#include <jansson.h>
#include <time.h>
#include "../common.h"

/* Signs claims (borrowed) with key; *out is malloc'd (caller frees). 0 or -1. */
int jwt_sign(const char *key, const json_t *claims, char **out) WUR;

/* Verifies token with key at time now: header alg HS256, signature (constant time), then
 * typ "access", integer exp > now, integer iat <= now + 60. Returns the claims (caller
 * decrefs) or NULL. */
json_t *jwt_verify(const char *key, const char *token, time_t now);

#endif
