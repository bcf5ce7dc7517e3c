/* Small definitions shared by every module: result annotation and a string view. */
#ifndef PLANYARD_COMMON_H
#define PLANYARD_COMMON_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define WUR __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A borrowed run of bytes; never owns its memory. */
typedef struct {
	const char *ptr;
	size_t len;
} str_t;

#define STR_LIT(s) ((str_t){ (s), sizeof(s) - 1 })

static inline bool str_eq(str_t a, const char *z)
{
	size_t i = 0;
	for (; i < a.len; i++)
		if (z[i] == '\0' || z[i] != a.ptr[i])
			return false;
	return z[i] == '\0';
}

/* Prints the message to stderr and exits 1: only at start-up or for a broken invariant. */
__attribute__((noreturn)) void fatal(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
