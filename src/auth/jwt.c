#include "jwt.h"

#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../crypto.h"


int jwt_sign(const char *key, const json_t *claims, char **out)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *payload = json_dumps(claims, JSON_COMPACT);
	if (!payload)
		return -1;
	size_t plen = strlen(payload);
	char *tok = malloc(64 + (plen + 2) / 3 * 4 + 64);
	if (!tok) {
		free(payload);
		return -1;
	}
	size_t n = crypto_b64url_encode(header, sizeof header - 1, tok);
	tok[n++] = '.';
	n += crypto_b64url_encode(payload, plen, tok + n);
	free(payload);
	unsigned char mac[32];
	crypto_hmac_sha256(key, strlen(key), tok, n, mac);
	tok[n++] = '.';
	crypto_b64url_encode(mac, 32, tok + n);
	*out = tok;
	return 0;
}

static json_t *decode_json(const char *s, size_t n)
{
	unsigned char *buf = malloc(n + 1);
	size_t len;
	if (!buf || crypto_b64url_decode(s, n, buf, &len) < 0) {
		free(buf);
		return NULL;
	}
	json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	return j;
}

json_t *jwt_verify(const char *key, const char *token, time_t now)
{
	if (!token || strlen(token) > JWT_MAX_TOKEN)
		return NULL;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return NULL;
	json_t *hdr = decode_json(token, (size_t)(d1 - token));
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	bool alg_ok = json_is_object(hdr) && alg && strcmp(alg, "HS256") == 0;
	json_decref(hdr);
	if (!alg_ok)
		return NULL;
	unsigned char sig[64], mac[32];
	size_t slen;
	if (strlen(d2 + 1) != 43 || crypto_b64url_decode(d2 + 1, 43, sig, &slen) < 0)
		return NULL;
	crypto_hmac_sha256(key, strlen(key), token, (size_t)(d2 - token), mac);
	if (!crypto_equal(sig, slen, mac, sizeof mac))
		return NULL;
	json_t *c = decode_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!json_is_object(c))
		goto bad;
	const char *typ = json_string_value(json_object_get(c, "typ"));
	json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
	if (!typ || strcmp(typ, "access") != 0 || !json_is_integer(exp) || !json_is_integer(iat))
		goto bad;
	if (json_integer_value(exp) <= (json_int_t)now || json_integer_value(iat) > (json_int_t)now + 60)
		goto bad;
	static const char *const need[] = JWT_STRING_CLAIMS;
	for (size_t i = 0; i < ARRAY_LEN(need); i++)
		if (!json_is_string(json_object_get(c, need[i])))
			goto bad;
	return c;
bad:
	json_decref(c);
	return NULL;
}
