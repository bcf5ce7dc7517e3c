/* The payment webhook's Stripe-Signature header (stripe_verify). Input: the header's value,
 * a newline, then the payload. Contracts: a header is accepted only when one of its v1
 * values is the HMAC of "<t>.<payload>" and t is within the tolerance; and the header the
 * processor would send for this payload is always accepted, also with the input's header
 * elements around it. */
#include "crypto.h"
#include "fuzz.h"
#include "stripe.h"

static const char secret[] = "whsec_fuzz_secret";
#define NOW 1800000000L
#define TOLERANCE 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *header = fuzz_str(data, hlen);
	const char *payload = nl ? (const char *)nl + 1 : "";
	size_t plen = nl ? size - hlen - 1 : 0;

	(void)stripe_verify(header, payload, plen, secret, NOW, TOLERANCE);

	/* the genuine signature, alone and after the input's elements */
	char *signed_part = malloc(32 + plen);
	CHECK(signed_part);
	int k = snprintf(signed_part, 32, "%ld.", NOW);
	memcpy(signed_part + k, payload, plen);
	unsigned char mac[32];
	crypto_hmac_sha256(secret, strlen(secret), signed_part, (size_t)k + plen, mac);
	char hex[65];
	crypto_hex(mac, sizeof mac, hex);
	char good[128];
	snprintf(good, sizeof good, "t=%ld,v1=%s", NOW, hex);
	CHECK(stripe_verify(good, payload, plen, secret, NOW, TOLERANCE) == 0);
	CHECK(stripe_verify(good, payload, plen, "whsec_another", NOW, TOLERANCE) != 0);
	CHECK(stripe_verify(good, payload, plen, secret, NOW + TOLERANCE + 1, TOLERANCE) != 0);
	if (!strchr(header, 't')) {
		/* the input adds only other schemes' signatures: still the genuine one decides */
		char *both = malloc(hlen + sizeof good + 2);
		CHECK(both);
		snprintf(both, hlen + sizeof good + 2, "%s,%s", good, header);
		if (!strstr(header, "v1=") && strlen(both) <= 4096)   /* longer headers are refused whole */
			CHECK(stripe_verify(both, payload, plen, secret, NOW, TOLERANCE) == 0);
		free(both);
	}
	free(signed_part);
	free(header);
	return 0;
}
