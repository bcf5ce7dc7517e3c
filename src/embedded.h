/* Files built into the program: the SQL migrations and the web UI (tools/embed.c). */
#ifndef PLANYARD_EMBEDDED_H
#define PLANYARD_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;           /* path relative to sql/ or web/ */
	const unsigned char *data;  /* NUL-terminated, static */
	size_t len;
};

extern const struct embedded_file embedded_sql[];
extern const size_t embedded_sql_count;
extern const struct embedded_file embedded_web[];
extern const size_t embedded_web_count;

#endif
