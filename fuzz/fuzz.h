/* What the libFuzzer targets share: the entry point's prototype, a contract check that traps,
 * and the input as a NUL-terminated copy. */
#ifndef PLANYARD_FUZZ_H
#define PLANYARD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s: broken contract: %s (line %d)\n", __FILE__, #cond, __LINE__); \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

/* data[0, n) as a malloc'd string; it ends at the first NUL, like a C string the server
 * would have received. */
static inline char *fuzz_str(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

#endif
