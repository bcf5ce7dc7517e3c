#include "stripe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

int stripe_verify(const char *header, const char *payload, size_t len, const char *secret, time_t now,
		  long tolerance)
{
	if (!header || !secret || strlen(header) > 4096)
		return -1;
	long long t = -1;
	const char *p = header;
	/* first pass: the timestamp */
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n > 2 && p[0] == 't' && p[1] == '=') {
			char *end;
			long long v = strtoll(p + 2, &end, 10);
			if (end == p + n && v > 0)
				t = v;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (t < 0 || llabs((long long)now - t) > tolerance)
		return -1;
	buf_t signed_payload = BUF_INIT(2u << 20);
	buf_printf(&signed_payload, "%lld.", t);
	buf_append(&signed_payload, payload, len);
	if (signed_payload.failed) {
		buf_free(&signed_payload);
		return -1;
	}
	unsigned char mac[32];
	crypto_hmac_sha256(secret, strlen(secret), signed_payload.data, signed_payload.len, mac);
	buf_free(&signed_payload);
	char want[65];
	crypto_hex(mac, sizeof mac, want);
	bool match = false;
	for (p = header; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0 && crypto_equal(p + 3, 64, want, 64))
			match = true;
		p += n;
		if (*p == ',')
			p++;
	}
	return match ? 0 : -1;
}
