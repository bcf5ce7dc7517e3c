#include "totp.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../crypto.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t totp_base32_encode(const void *p, size_t n, char *out)
{
	const unsigned char *s = p;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | s[i]) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

static int b32val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int totp_base32_decode(const char *s, unsigned char *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (; *s; s++) {
		if (*s == '=' || *s == ' ' || *s == '-')
			continue;
		int v = b32val(*s);
		if (v < 0)
			return -1;
		acc = (acc << 5 | (uint32_t)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* a canonical string leaves fewer than 5 bits over, all zero */
	if (bits >= 5 || (acc & ((1u << bits) - 1)))
		return -1;
	*outlen = o;
	return 0;
}

int64_t totp_step(time_t t)
{
	int64_t v = (int64_t)t;
	return v >= 0 ? v / TOTP_PERIOD : -((-v + TOTP_PERIOD - 1) / TOTP_PERIOD);
}

uint32_t totp_code(const void *key, size_t klen, int64_t step, int digits)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t c = (uint64_t)step;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(c & 0xff);
		c >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)klen, msg, sizeof msg, mac, &len) || len != 20)
		fatal("HMAC-SHA1 failed");
	int off = mac[19] & 0x0f;
	uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
		       (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	OPENSSL_cleanse(mac, sizeof mac);
	uint32_t mod = 1;
	for (int i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

bool totp_is_code(const char *code)
{
	if (!code)
		return false;
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[TOTP_DIGITS] == '\0';
}

int totp_verify(const void *key, size_t klen, const char *code, int64_t now_step, int64_t *matched)
{
	if (!totp_is_code(code))
		return -1;
	bool found = false;
	int64_t best = 0;
	/* every candidate is computed and compared, so the time does not tell which matched */
	for (int64_t d = -TOTP_SKEW; d <= TOTP_SKEW; d++) {
		char want[TOTP_DIGITS + 1];
		uint32_t v = totp_code(key, klen, now_step + d, TOTP_DIGITS);
		for (int i = TOTP_DIGITS - 1; i >= 0; i--) {
			want[i] = (char)('0' + v % 10);
			v /= 10;
		}
		want[TOTP_DIGITS] = '\0';
		bool eq = CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0;
		OPENSSL_cleanse(want, sizeof want);
		if (eq) {
			found = true;
			best = now_step + d;
		}
	}
	if (!found)
		return -1;
	*matched = best;
	return 0;
}

void totp_recovery_new(char out[TOTP_RECOVERY_SHOWN + 1])
{
	unsigned char r[TOTP_RECOVERY_CHARS * 5 / 8];
	char plain[TOTP_RECOVERY_CHARS + 1];
	_Static_assert(sizeof r * 8 >= 112, "a recovery code carries at least 112 bits");
	_Static_assert(sizeof r * 8 == TOTP_RECOVERY_CHARS * 5, "whole base32 characters");
	crypto_random(r, sizeof r);
	totp_base32_encode(r, sizeof r, plain);
	size_t o = 0;
	for (size_t i = 0; i < TOTP_RECOVERY_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = plain[i];
	}
	out[o] = '\0';
	OPENSSL_cleanse(r, sizeof r);
	OPENSSL_cleanse(plain, sizeof plain);
}

int totp_recovery_normalize(const char *typed, char out[TOTP_RECOVERY_CHARS + 1])
{
	size_t o = 0;
	if (!typed)
		return -1;
	for (; *typed; typed++) {
		char c = *typed;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (b32val(c) < 0 || o == TOTP_RECOVERY_CHARS)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return o == TOTP_RECOVERY_CHARS ? 0 : -1;
}

int totp_recovery_hash(const char *typed, unsigned char out[32])
{
	char canon[TOTP_RECOVERY_CHARS + 1];
	if (totp_recovery_normalize(typed, canon) < 0)
		return -1;
	crypto_sha256(canon, TOTP_RECOVERY_CHARS, out);
	OPENSSL_cleanse(canon, sizeof canon);
	return 0;
}
