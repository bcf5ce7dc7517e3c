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
