/* The opaque cursor of the lists (rec_cursor_decode): any text as ?cursor=. Contracts: what
 * it accepts is "<printable key>|<uuid>" and encodes back to a cursor that decodes the same;
 * and every cursor the server would hand out ("<key>|<uuid>" of the input's printable
 * bytes) is accepted. */
#include "api/records.h"
#include "crypto.h"
#include "fuzz.h"
#include "jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	size_t cap = strlen(s) + 1;
	char *out = malloc(cap);
	CHECK(out);
	if (rec_cursor_decode(s, out, cap) == 0) {
		const char *bar = strchr(out, '|');
		CHECK(bar && bar > out && jsonv_is_uuid(bar + 1));
		for (const char *p = out; *p; p++)
			CHECK(*p >= 0x20 && *p <= 0x7e);
		char *again = malloc(strlen(out) * 2 + 8), *back = malloc(strlen(out) * 2 + 8);
		CHECK(again && back);
		crypto_b64url_encode(out, strlen(out), again);
		CHECK(rec_cursor_decode(again, back, strlen(out) * 2 + 8) == 0);
		CHECK(strcmp(back, out) == 0);
		free(again);
		free(back);
	}
	/* a cursor the server makes: a printable key of the input, then an id */
	size_t n = 0;
	char key[150];
	for (size_t i = 0; i < size && n < 100; i++)
		if (data[i] >= 0x20 && data[i] <= 0x7e && data[i] != '|')
			key[n++] = (char)data[i];
	if (n) {
		snprintf(key + n, sizeof key - n, "|%s", "0b7c2a3e-4f5d-4e6f-8a9b-0c1d2e3f4a5b");
		char enc[256], dec[256];
		crypto_b64url_encode(key, strlen(key), enc);
		CHECK(rec_cursor_decode(enc, dec, sizeof dec) == 0);
		CHECK(strcmp(dec, key) == 0);
	}
	free(out);
	free(s);
	return 0;
}
