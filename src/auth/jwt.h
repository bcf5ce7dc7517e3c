/* Access tokens: JWT, HS256 only (the algorithm is the server's, never the token's), with
 * typ, exp and iat checked here rather than trusted to a library. */
#ifndef PLANYARD_AUTH_JWT_H
#define PLANYARD_AUTH_JWT_H

#include <jansson.h>
#include <time.h>
#include "../common.h"

/* Signs claims (borrowed) with key; *out is malloc'd (caller frees). 0 or -1. */
int jwt_sign(const char *key, const json_t *claims, char **out) WUR;

/* The longest token accepted, and the claims every access token carries as strings. */
#define JWT_MAX_TOKEN 4096
#define JWT_STRING_CLAIMS { "sub", "tid", "sid", "role", "aal", "sk" }

/* Verifies token (at most JWT_MAX_TOKEN bytes) with key at time now: header alg HS256,
 * signature (constant time), then typ "access", integer exp > now, integer iat <= now + 60
 * and every JWT_STRING_CLAIMS a string. Returns the claims (caller decrefs) or NULL. */
json_t *jwt_verify(const char *key, const char *token, time_t now);

/* The same check as jwt_verify, for the request path: the claims an access token carries,
 * copied into out (no allocation). 0, or -1 where jwt_verify gives NULL. */
struct jwt_access {
	const char *sub, *tid, *sid, *role, *aal, *sk;  /* into text */
	bool imp;                                        /* an "imp" string claim: staff access */
	char text[JWT_MAX_TOKEN];
};
int jwt_verify_access(const char *key, const char *token, time_t now, struct jwt_access *out) WUR;

#endif
