#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool quiet;

void log_set_quiet(bool q)
{
	quiet = q;
}

static void stamp(buf_t *b)
{
	struct timespec ts;
	struct tm tm;
	char t[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "{\"time\":\"%s.%03ldZ\"", t, ts.tv_nsec / 1000000);
}

static void emit(buf_t *b)
{
	if (buf_puts(b, "}\n") == 0) {
		pthread_mutex_lock(&lock);
		fwrite(b->data, 1, b->len, stderr);
		fflush(stderr);
		pthread_mutex_unlock(&lock);
	}
	buf_free(b);
}

static void vmsg(const char *level, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
static void vmsg(const char *level, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	buf_t b = BUF_INIT(4096);
	stamp(&b);
	buf_printf(&b, ",\"level\":\"%s\",\"msg\":\"", level);
	buf_json_escape(&b, msg, strlen(msg));
	buf_puts(&b, "\"");
	emit(&b);
}

void log_info(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("info", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warn", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

static void field(buf_t *b, const char *name, const char *v)
{
	if (!v)
		return;
	buf_printf(b, ",\"%s\":\"", name);
	buf_json_escape(b, v, strlen(v));
	buf_puts(b, "\"");
}

void log_access(const struct log_access *a)
{
	if (quiet)
		return;
	buf_t b = BUF_INIT(4096);
	stamp(&b);
	buf_puts(&b, ",\"level\":\"access\"");
	field(&b, "request_id", a->request_id);
	field(&b, "ip", a->ip);
	field(&b, "method", a->method);
	field(&b, "route", a->route);
	buf_printf(&b, ",\"status\":%d,\"duration_ms\":%.3f", a->status, a->duration_ms);
	field(&b, "user", a->user);
	field(&b, "workspace", a->workspace);
	emit(&b);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("planyard: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}
