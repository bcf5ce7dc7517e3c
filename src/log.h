/* One log: JSON lines on stderr. Messages are printf-checked; callers never pass a secret,
 * a token or a request body. */
#ifndef PLANYARD_LOG_H
#define PLANYARD_LOG_H

#include "common.h"

void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* One access line per request. Every field may be NULL but method, route and request_id. */
struct log_access {
	const char *request_id;
	const char *ip;
	const char *method;
	const char *route;
	int status;
	double duration_ms;
	const char *user;
	const char *workspace;
};
void log_access(const struct log_access *a);

/* Writes out the access lines still gathered in the threads' buffers (they are otherwise
 * written within 50 ms, and at exit). */
void log_flush(void);

/* Silences info and access lines (tests, fuzzing). */
void log_set_quiet(bool quiet);

#endif
