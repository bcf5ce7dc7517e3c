#include "crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void crypto_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		fatal("the random generator failed");
}

void crypto_hex(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[s[i] >> 4];
		out[2 * i + 1] = hex[s[i] & 15];
	}
	out[2 * n] = '\0';
}

void crypto_sha256(const void *p, size_t n, unsigned char out[32])
{
	SHA256(p, n, out);
}

void crypto_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[32];
	SHA256(p, n, d);
	crypto_hex(d, 32, out);
}

/* HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once per thread and key:
 * OpenSSL's one-shot HMAC() looks the digest up, allocates a context and hashes both pads at
 * every call, about 9 µs here, and every signed-in request checks its token with it. A call
 * with the thread's last key copies the two prepared digest states instead. */
struct hmac_key {
	unsigned char key[64];      /* the key as used (a longer key is hashed first), zero-padded */
	size_t len;
	bool ready;
	EVP_MD_CTX *inner, *outer, *work;
};

static _Thread_local struct hmac_key *hmac_cache;
static pthread_key_t hmac_thread_key; /* frees a thread's prepared key when the thread ends */
static pthread_once_t hmac_key_once = PTHREAD_ONCE_INIT;

static void hmac_thread_end(void *p)
{
	struct hmac_key *h = p;
	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	OPENSSL_cleanse(h, sizeof *h);
	free(h);
}

static void hmac_make_key(void)
{
	if (pthread_key_create(&hmac_thread_key, hmac_thread_end) != 0)
		fatal("pthread_key_create failed");
}

static struct hmac_key *hmac_thread(void)
{
	if (hmac_cache)
		return hmac_cache;
	pthread_once(&hmac_key_once, hmac_make_key);
	struct hmac_key *h = calloc(1, sizeof *h);
	if (!h || !(h->inner = EVP_MD_CTX_new()) || !(h->outer = EVP_MD_CTX_new()) || !(h->work = EVP_MD_CTX_new()))
		fatal("out of memory");
	pthread_setspecific(hmac_thread_key, h);
	hmac_cache = h;
	return h;
}

static void hmac_prepare(struct hmac_key *h, const unsigned char block[64])
{
	unsigned char pad[64];
	for (int i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x36;
	if (EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h->inner, pad, 64) != 1)
		fatal("HMAC-SHA256 failed");
	for (int i = 0; i < 64; i++)
		pad[i] = block[i] ^ 0x5c;
	if (EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h->outer, pad, 64) != 1)
		fatal("HMAC-SHA256 failed");
	OPENSSL_cleanse(pad, sizeof pad);
}

void crypto_hmac_sha256(const void *key, size_t klen, const void *p, size_t n, unsigned char out[32])
{
	struct hmac_key *h = hmac_thread();
	unsigned char block[64] = { 0 };
	size_t used = klen;
	if (klen > 64) {
		SHA256(key, klen, block);
		used = 32;
	} else if (klen) {
		memcpy(block, key, klen);
	}
	if (!h->ready || h->len != used || CRYPTO_memcmp(h->key, block, 64) != 0) {
		hmac_prepare(h, block);
		memcpy(h->key, block, 64);
		h->len = used;
		h->ready = true;
	}
	OPENSSL_cleanse(block, sizeof block);
	unsigned char ih[32];
	unsigned int len = 32;
	if (EVP_MD_CTX_copy_ex(h->work, h->inner) != 1 || EVP_DigestUpdate(h->work, p, n) != 1 ||
	    EVP_DigestFinal_ex(h->work, ih, &len) != 1 || EVP_MD_CTX_copy_ex(h->work, h->outer) != 1 ||
	    EVP_DigestUpdate(h->work, ih, sizeof ih) != 1 || EVP_DigestFinal_ex(h->work, out, &len) != 1)
		fatal("HMAC-SHA256 failed");
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t crypto_b64url_encode(const void *p, size_t n, char *out)
{
	const unsigned char *s = p;
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* Each byte's value in base64url plus one, 0 for a byte outside it: a token's claims are
 * decoded on every request, one lookup a character. */
static const unsigned char b64_plus1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

static int b64val(char c)
{
	return (int)b64_plus1[(unsigned char)c] - 1;
}

int crypto_b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so every string has one decoding. */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	*outlen = o;
	return 0;
}

bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void crypto_token(char out[44])
{
	unsigned char r[32];
	crypto_random(r, sizeof r);
	crypto_b64url_encode(r, sizeof r, out);
	OPENSSL_cleanse(r, sizeof r);
}

void crypto_uuid(char out[37])
{
	unsigned char r[16];
	crypto_random(r, sizeof r);
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	char hex[33];
	crypto_hex(r, 16, hex);
	memcpy(out, hex, 8); out[8] = '-';
	memcpy(out + 9, hex + 8, 4); out[13] = '-';
	memcpy(out + 14, hex + 12, 4); out[18] = '-';
	memcpy(out + 19, hex + 16, 4); out[23] = '-';
	memcpy(out + 24, hex + 20, 12); out[36] = '\0';
}
