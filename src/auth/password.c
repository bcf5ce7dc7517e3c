#include "password.h"

#include <crack.h>
#include <crypt.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../crypto.h"
#include "../jsonv.h"

static char pepper[256];
static size_t pepper_len;
static int bcrypt_cost = 12;
static int pbkdf2_iterations = 600000;
static char dummy_hash[128];
static pthread_mutex_t crack_lock = PTHREAD_MUTEX_INITIALIZER;

/* The most common passwords of 12 characters or more (breach corpora), lower-cased. */
static const char *const common[] = {
	"123456789012", "1234567890123", "12345678901234", "123456123456", "123123123123",
	"111111111111", "000000000000", "qwertyuiop12", "qwertyuiopasdf", "qwerty123456",
	"qwertyqwerty", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3", "password1234",
	"password12345", "password123456", "passwordpassword", "password!234", "p@ssw0rd1234",
	"iloveyou1234", "iloveyouiloveyou", "letmein12345", "welcome12345", "welcome123456",
	"changeme1234", "administrator", "administrator1", "admin1234567", "abcdefghijkl",
	"abcdefgh1234", "abc123abc123", "trustno1trustno1", "football1234", "baseball1234",
	"superman1234", "sunshine1234", "princess1234", "dragon123456", "monkey123456",
	"master123456", "starwars1234", "whatever1234", "computer1234", "internet1234",
	"aaaaaaaaaaaa", "asdfghjkl123", "asdfasdfasdf", "zxcvbnm12345", "q1w2e3r4t5y6",
	"planyard1234", "planyardplanyard", "concrete1234", "correcthorsebatterystaple",
};

void password_init(const char *p, int cost, int iterations)
{
	snprintf(pepper, sizeof pepper, "%s", p ? p : "");
	pepper_len = strlen(pepper);
	bcrypt_cost = cost;
	pbkdf2_iterations = iterations;
	if (password_hash("planyard dummy password for unknown users", dummy_hash, sizeof dummy_hash) < 0)
		fatal("bcrypt is not available");
}

/* base64(HMAC-SHA256(pepper, pw)): 44 bytes, never a NUL, under bcrypt's 72. */
static void peppered(const char *pw, char out[45])
{
	unsigned char mac[32];
	crypto_hmac_sha256(pepper, pepper_len, pw, strlen(pw), mac);
	EVP_EncodeBlock((unsigned char *)out, mac, 32);
	OPENSSL_cleanse(mac, sizeof mac);
}

void password_proof(const char *pw, char out[45])
{
	peppered(pw, out);
}

static bool all_same_or_sequence(const char *pw)
{
	size_t n = strlen(pw);
	bool same = true, up = true, down = true;
	for (size_t i = 1; i < n; i++) {
		same &= pw[i] == pw[0];
		up &= pw[i] == pw[i - 1] + 1;
		down &= pw[i] == pw[i - 1] - 1;
	}
	return same || up || down;
}

const char *password_policy(const char *pw, const char *const *context)
{
	size_t chars = jsonv_utf8_len(pw);
	if (chars < 12)
		return "password_too_short";
	if (chars > 256)
		return "password_too_long";
	if (all_same_or_sequence(pw))
		return "password_weak";
	for (size_t i = 0; i < ARRAY_LEN(common); i++)
		if (strcasecmp(pw, common[i]) == 0)
			return "password_weak";
	for (const char *const *c = context; c && *c; c++) {
		char word[256];
		snprintf(word, sizeof word, "%s", *c);
		word[strcspn(word, "@")] = '\0';
		if (strlen(word) >= 4 && strcasestr(pw, word) && strlen(pw) < strlen(word) + 6)
			return "password_weak";
	}
	pthread_mutex_lock(&crack_lock);
	const char *why = FascistCheck(pw, GetDefaultCracklibDict());
	/* cracklib's "simplistic/systematic" rule also hits about 1 in 1,500 random strings of
	 * 20 characters (a manager-generated password); past 16 characters only its dictionary
	 * verdicts count */
	bool weak = why && !(chars >= 16 && strstr(why, "simplistic"));
	pthread_mutex_unlock(&crack_lock);
	return weak ? "password_weak" : NULL;
}

int password_hash(const char *pw, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char rnd[16];
	crypto_random(rnd, sizeof rnd);
	if (!crypt_gensalt_rn("$2b$", (unsigned long)bcrypt_cost, (const char *)rnd, sizeof rnd, salt, sizeof salt))
		return -1;
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return -1;
	char in[45];
	peppered(pw, in);
	const char *h = crypt_r(in, salt, cd);
	int rc = -1;
	if (h && h[0] == '$' && strlen(h) < outlen) {
		snprintf(out, outlen, "%s", h);
		rc = 0;
	}
	OPENSSL_cleanse(in, sizeof in);
	OPENSSL_cleanse(cd, sizeof *cd);
	free(cd);
	return rc;
}

bool password_verify(const char *pw, const char *hash)
{
	if (!hash || strncmp(hash, "$2b$", 4) != 0)
		return false;
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return false;
	char in[45];
	peppered(pw, in);
	const char *h = crypt_r(in, hash, cd);
	bool ok = h && crypto_equal(h, strlen(h), hash, strlen(hash));
	OPENSSL_cleanse(in, sizeof in);
	OPENSSL_cleanse(cd, sizeof *cd);
	free(cd);
	return ok;
}

void password_dummy_verify(const char *pw)
{
	(void)password_verify(pw, dummy_hash);
}

static int pbkdf2(const char *pw, const unsigned char *salt, size_t slen, int iter, unsigned char out[32])
{
	char in[45];
	peppered(pw, in);
	int ok = PKCS5_PBKDF2_HMAC(in, 44, salt, (int)slen, iter, EVP_sha256(), 32, out);
	OPENSSL_cleanse(in, sizeof in);
	return ok == 1 ? 0 : -1;
}

int password_history_entry(const char *pw, char *out, size_t outlen)
{
	unsigned char salt[16], dk[32];
	crypto_random(salt, sizeof salt);
	if (pbkdf2(pw, salt, sizeof salt, pbkdf2_iterations, dk) < 0)
		return -1;
	char s64[32], d64[48];
	crypto_b64url_encode(salt, sizeof salt, s64);
	crypto_b64url_encode(dk, sizeof dk, d64);
	int n = snprintf(out, outlen, "pbkdf2-sha256$%d$%s$%s", pbkdf2_iterations, s64, d64);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

bool password_history_match(const char *pw, const char *entry)
{
	const char *pfx = "pbkdf2-sha256$";
	if (!entry || strncmp(entry, pfx, strlen(pfx)) != 0)
		return false;
	const char *p = entry + strlen(pfx);
	char *end;
	long iter = strtol(p, &end, 10);
	if (*end != '$' || iter < 1 || iter > 10000000)
		return false;
	const char *s = end + 1, *d = strchr(s, '$');
	if (!d)
		return false;
	unsigned char salt[64], want[64], got[32];
	size_t slen, wlen;
	if ((size_t)(d - s) > 80 || strlen(d + 1) > 80 ||
	    crypto_b64url_decode(s, (size_t)(d - s), salt, &slen) < 0 ||
	    crypto_b64url_decode(d + 1, strlen(d + 1), want, &wlen) < 0 || wlen != 32)
		return false;
	if (pbkdf2(pw, salt, slen, (int)iter, got) < 0)
		return false;
	return crypto_equal(got, 32, want, 32);
}
