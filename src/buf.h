/* A growable byte buffer with a hard maximum. The buffer owns its memory (malloc);
 * buf_free releases it, and buf_wipe_free clears it first for secrets. */
#ifndef PLANYARD_BUF_H
#define PLANYARD_BUF_H

#include "common.h"

typedef struct {
	char *data;   /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;   /* appends past this fail; 0 means 64 MiB */
	bool failed;  /* sticky: an append failed (checked once after a series of appends) */
} buf_t;

#define BUF_INIT(maxlen) ((buf_t){ NULL, 0, 0, (maxlen), false })

/* 0 on success; -1 (buffer unchanged, b->failed set) when the result would exceed max or
 * memory runs out. A series of appends may ignore each result and test b->failed at the end. */
int buf_append(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Appends s escaped as the inside of a JSON string. */
int buf_json_escape(buf_t *b, const char *s, size_t n);
/* Appends the JSON text s without the whitespace between its tokens (PostgreSQL's
 * json_build_object writes "k" : v, "k2" : v2); strings are copied as they are. */
int buf_json_compact(buf_t *b, const char *s, size_t n);
/* The same into out, which holds n bytes: the length written. */
size_t json_compact(char *out, const char *s, size_t n);
void buf_reset(buf_t *b);
void buf_free(buf_t *b);
void buf_wipe_free(buf_t *b);

#endif
