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

/* n is at most JWT_MAX_TOKEN, so the decoded text fits on the stack. */
static json_t *decode_json(const char *s, size_t n)
{
	unsigned char buf[JWT_MAX_TOKEN];
	size_t len;
	if (n > sizeof buf || crypto_b64url_decode(s, n, buf, &len) < 0)
		return NULL;
	return json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
}

/* The header jwt_sign writes, as it appears in the token: every token we issue carries it, so
 * a byte-equal header needs no parse (a header is no secret: a plain comparison). */
static const char issued_header[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static bool header_ok(const char *s, size_t n)
{
	if (n == sizeof issued_header - 1 && memcmp(s, issued_header, n) == 0)
		return true;
	json_t *hdr = decode_json(s, n);
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	bool ok = json_is_object(hdr) && alg && strcmp(alg, "HS256") == 0;
	json_decref(hdr);
	return ok;
}

/* The header and the signature; *claims and *claims_len the claims' base64url text. */
static bool signed_ok(const char *key, const char *token, const char **claims, size_t *claims_len)
{
	if (!token || strlen(token) > JWT_MAX_TOKEN)
		return false;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return false;
	if (!header_ok(token, (size_t)(d1 - token)))
		return false;
	unsigned char sig[64], mac[32];
	size_t slen;
	if (strlen(d2 + 1) != 43 || crypto_b64url_decode(d2 + 1, 43, sig, &slen) < 0)
		return false;
	crypto_hmac_sha256(key, strlen(key), token, (size_t)(d2 - token), mac);
	if (!crypto_equal(sig, slen, mac, sizeof mac))
		return false;
	*claims = d1 + 1;
	*claims_len = (size_t)(d2 - d1 - 1);
	return true;
}

static bool claims_ok(const json_t *c, time_t now)
{
	if (!json_is_object(c))
		return false;
	const char *typ = json_string_value(json_object_get(c, "typ"));
	json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
	if (!typ || strcmp(typ, "access") != 0 || !json_is_integer(exp) || !json_is_integer(iat))
		return false;
	if (json_integer_value(exp) <= (json_int_t)now || json_integer_value(iat) > (json_int_t)now + 60)
		return false;
	static const char *const need[] = JWT_STRING_CLAIMS;
	for (size_t i = 0; i < ARRAY_LEN(need); i++)
		if (!json_is_string(json_object_get(c, need[i])))
			return false;
	return true;
}

json_t *jwt_verify(const char *key, const char *token, time_t now)
{
	const char *b64;
	size_t n;
	if (!signed_ok(key, token, &b64, &n))
		return NULL;
	json_t *c = decode_json(b64, n);
	if (!claims_ok(c, now)) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* The claims jwt_sign writes: one flat object of known keys, each once, with strings of
 * printable ASCII needing no escape and integers. Read in place, without allocating; anything
 * else (an escape, another key or type, white space) goes to jansson, which decides. */
enum { C_TYP, C_SUB, C_TID, C_SID, C_ROLE, C_AAL, C_SK, C_IMP, C_EXP, C_IAT, C_COUNT };
static const char *const claim_names[C_COUNT] = { "typ", "sub", "tid", "sid", "role", "aal", "sk",
						  "imp", "exp", "iat" };

struct flat {
	const char *str[C_COUNT];  /* into the text, each ended by its closing quote */
	size_t len[C_COUNT];
	bool is_int[C_COUNT];
	long long num[C_COUNT];
};

static int claim_index(const char *k, size_t n)
{
	for (int i = 0; i < C_COUNT; i++)
		if (strlen(claim_names[i]) == n && memcmp(claim_names[i], k, n) == 0)
			return i;
	return -1;
}

static bool read_flat(const char *s, size_t n, struct flat *f)
{
	memset(f, 0, sizeof *f);
	const char *p = s, *end = s + n;
	if (p == end || *p++ != '{')
		return false;
	for (;;) {
		if (p == end || *p++ != '"')
			return false;
		const char *k = p;
		while (p < end && *p >= 'a' && *p <= 'z')
			p++;
		int i = claim_index(k, (size_t)(p - k));
		if (i < 0 || f->str[i] || f->is_int[i] || p + 1 >= end || p[0] != '"' || p[1] != ':')
			return false;
		p += 2;
		if (p < end && *p == '"') {
			const char *v = ++p;
			while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
				p++;
			if (p == end || *p != '"')
				return false;
			f->str[i] = v;
			f->len[i] = (size_t)(p - v);
			p++;
		} else {
			bool neg = p < end && *p == '-';
			if (neg)
				p++;
			const char *d = p;
			long long v = 0;
			while (p < end && *p >= '0' && *p <= '9' && p - d < 18)
				v = v * 10 + (*p++ - '0');
			if (p == d || (p < end && *p >= '0' && *p <= '9') || (*d == '0' && p - d > 1))
				return false;
			f->is_int[i] = true;
			f->num[i] = neg ? -v : v;
		}
		if (p == end)
			return false;
		char c = *p++;
		if (c == '}')
			return p == end;
		if (c != ',')
			return false;
	}
}

static const char *put(struct jwt_access *out, size_t *used, const char *v, size_t n)
{
	char *d = out->text + *used;
	memcpy(d, v, n);
	d[n] = '\0';
	*used += n + 1;
	return d;
}

int jwt_verify_access(const char *key, const char *token, time_t now, struct jwt_access *out)
{
	const char *b64;
	size_t n;
	unsigned char text[JWT_MAX_TOKEN];
	size_t len;
	if (!signed_ok(key, token, &b64, &n) || n > sizeof text || crypto_b64url_decode(b64, n, text, &len) < 0)
		return -1;
	struct flat f;
	size_t used = 0;
	if (read_flat((const char *)text, len, &f)) {
		static const int need[] = { C_SUB, C_TID, C_SID, C_ROLE, C_AAL, C_SK };
		if (!f.str[C_TYP] || f.len[C_TYP] != 6 || memcmp(f.str[C_TYP], "access", 6) != 0 ||
		    !f.is_int[C_EXP] || !f.is_int[C_IAT] || f.num[C_EXP] <= (long long)now ||
		    f.num[C_IAT] > (long long)now + 60)
			return -1;
		for (size_t i = 0; i < ARRAY_LEN(need); i++)
			if (!f.str[need[i]])
				return -1;
		out->sub = put(out, &used, f.str[C_SUB], f.len[C_SUB]);
		out->tid = put(out, &used, f.str[C_TID], f.len[C_TID]);
		out->sid = put(out, &used, f.str[C_SID], f.len[C_SID]);
		out->role = put(out, &used, f.str[C_ROLE], f.len[C_ROLE]);
		out->aal = put(out, &used, f.str[C_AAL], f.len[C_AAL]);
		out->sk = put(out, &used, f.str[C_SK], f.len[C_SK]);
		out->imp = f.str[C_IMP] != NULL;
		return 0;
	}
	json_t *c = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!claims_ok(c, now)) {
		json_decref(c);
		return -1;
	}
	const char **dst[] = { &out->sub, &out->tid, &out->sid, &out->role, &out->aal, &out->sk };
	static const char *const names[] = { "sub", "tid", "sid", "role", "aal", "sk" };
	for (size_t i = 0; i < ARRAY_LEN(dst); i++) {
		const char *sv = json_string_value(json_object_get(c, names[i]));
		*dst[i] = put(out, &used, sv, strlen(sv));  /* as a C string, like jwt_verify's */
	}
	out->imp = json_is_string(json_object_get(c, "imp"));
	json_decref(c);
	return 0;
}
