#include "sealed.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../crypto.h"

static unsigned char key[32];
static bool ready;

void sealed_init(const char *data_key)
{
	static const char label[] = "planyard sealed v1";
	crypto_hmac_sha256(data_key, strlen(data_key), label, sizeof label - 1, key);
	ready = true;
}

int sealed_seal(const void *pt, size_t n, unsigned char **out, size_t *outlen)
{
	if (!ready || n > (1u << 24))
		return -1;
	unsigned char *buf = malloc(12 + n + 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fl = 0, rc = -1;
	if (!buf || !c)
		goto out;
	crypto_random(buf, 12);
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(c, buf + 12, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, buf + 12 + len, &fl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, buf + 12 + n) != 1)
		goto out;
	*out = buf;
	*outlen = 12 + n + 16;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int sealed_open(const unsigned char *ct, size_t n, unsigned char **out, size_t *outlen)
{
	if (!ready || n < 28)
		return -1;
	size_t plen = n - 28;
	unsigned char *buf = malloc(plen + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fl = 0, rc = -1;
	if (!buf || !c)
		goto out;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, ct) != 1 ||
	    EVP_DecryptUpdate(c, buf, &len, ct + 12, (int)plen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + 12 + plen)) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + len, &fl) != 1)
		goto out;
	buf[plen] = '\0';
	*out = buf;
	*outlen = plen;
	buf = NULL;
	rc = 0;
out:
	if (buf) {
		OPENSSL_cleanse(buf, plen + 1);
		free(buf);
	}
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* ---- bound to their place (v2) ----
 * 0x02 || nonce(12) || ciphertext || tag(16), with "planyard sealed v2", a NUL and the slot
 * as associated data: the tag fails for any other slot. */
#define V2 0x02

static int gcm_seal(const unsigned char *aad, size_t aadlen, const void *pt, size_t n, unsigned char *dst)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fl = 0, rc = -1;
	crypto_random(dst, 12);
	if (c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, dst) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
	    EVP_EncryptUpdate(c, dst + 12, &len, pt, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, dst + 12 + len, &fl) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, dst + 12 + n) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int gcm_open(const unsigned char *aad, size_t aadlen, const unsigned char *ct, size_t plen, unsigned char *dst)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fl = 0, rc = -1;
	if (c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, ct) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
	    EVP_DecryptUpdate(c, dst, &len, ct + 12, (int)plen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + 12 + plen)) == 1 &&
	    EVP_DecryptFinal_ex(c, dst + len, &fl) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static size_t slot_aad(const char *slot, unsigned char aad[256])
{
	static const char label[] = "planyard sealed v2";
	size_t ls = strlen(slot);
	if (ls > 256 - sizeof label)
		ls = 256 - sizeof label;
	memcpy(aad, label, sizeof label);          /* with its NUL */
	memcpy(aad + sizeof label, slot, ls);
	return sizeof label + ls;
}

int sealed_seal_for(const char *slot, const void *pt, size_t n, unsigned char **out, size_t *outlen)
{
	if (!ready || n > (1u << 24))
		return -1;
	unsigned char aad[256];
	size_t aadlen = slot_aad(slot, aad);
	unsigned char *buf = malloc(1 + 12 + n + 16);
	if (!buf)
		return -1;
	buf[0] = V2;
	if (gcm_seal(aad, aadlen, pt, n, buf + 1) < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = 1 + 12 + n + 16;
	return 0;
}

int sealed_open_for(const char *slot, bool legacy, const unsigned char *ct, size_t n, unsigned char **out,
		    size_t *outlen)
{
	if (!ready)
		return -1;
	if (n >= 29 && ct[0] == V2) {
		unsigned char aad[256];
		size_t aadlen = slot_aad(slot, aad), plen = n - 29;
		unsigned char *buf = malloc(plen + 1);
		if (!buf)
			return -1;
		if (gcm_open(aad, aadlen, ct + 1, plen, buf) == 0) {
			buf[plen] = '\0';
			*out = buf;
			*outlen = plen;
			return 0;
		}
		OPENSSL_cleanse(buf, plen + 1);
		free(buf);
	}
	/* a blob sealed before slots were bound (its first byte is then any byte, 0x02 too) */
	return legacy ? sealed_open(ct, n, out, outlen) : -1;
}
