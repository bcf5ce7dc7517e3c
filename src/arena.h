/* Per-request memory: every allocation of a request comes from its arena and is released
 * at once by arena_release, which wipes the memory first (requests carry secrets). */
#ifndef PLANYARD_ARENA_H
#define PLANYARD_ARENA_H

#include "common.h"

struct arena_chunk;
typedef struct {
	struct arena_chunk *head;
	size_t total;
} arena_t;

/* Zeroed memory owned by the arena; NULL when out of memory. */
void *arena_alloc(arena_t *a, size_t n) WUR;
/* A NUL-terminated copy of n bytes of s, owned by the arena. */
char *arena_strndup(arena_t *a, const char *s, size_t n) WUR;
char *arena_strdup(arena_t *a, const char *s) WUR;
char *arena_printf(arena_t *a, const char *fmt, ...) WUR PRINTF_LIKE(2, 3);
void arena_release(arena_t *a);

#endif
