#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  /* one writer to stderr at a time */
static bool quiet;

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Access lines are the one line per request: each thread gathers its own in a buffer, written
 * out in one write(2) when the next line would not fit, when a thread logs any other line (so
 * a thread's lines stay in order), at exit, and by the flusher thread at most FLUSH_MS after
 * the buffer's first line. A crash loses at most that much of the access log; the other
 * levels are written at once. */
#define ABUF_SIZE (32u * 1024)
#define FLUSH_MS 50

struct abuf {
	pthread_mutex_t mu;
	size_t len;
	bool owned;
	struct abuf *next;
	char data[ABUF_SIZE];
};

static pthread_mutex_t abufs_lock = PTHREAD_MUTEX_INITIALIZER;  /* the list and the flusher */
static pthread_cond_t abufs_cv = PTHREAD_COND_INITIALIZER;
static struct abuf *abufs;
static bool abufs_pending;  /* some buffer has a line the flusher has not seen */
static pid_t abufs_pid;     /* forked children must not write the parent's lines again */
static pthread_key_t abuf_key;
static pthread_once_t abuf_once = PTHREAD_ONCE_INIT;
static _Thread_local struct abuf *my_abuf;

/* With ab->mu held. */
static void abuf_write(struct abuf *ab)
{
	if (!ab->len)
		return;
	pthread_mutex_lock(&lock);
	write_all(ab->data, ab->len);
	pthread_mutex_unlock(&lock);
	ab->len = 0;
}

static void abuf_flush(struct abuf *ab)
{
	pthread_mutex_lock(&ab->mu);
	abuf_write(ab);
	pthread_mutex_unlock(&ab->mu);
}

void log_flush(void)
{
	if (getpid() != abufs_pid)
		return;
	pthread_mutex_lock(&abufs_lock);
	struct abuf *list = abufs;
	abufs_pending = false;
	pthread_mutex_unlock(&abufs_lock);
	for (struct abuf *ab = list; ab; ab = ab->next)  /* buffers are never freed */
		abuf_flush(ab);
}

static void *flusher(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&abufs_lock);
		while (!abufs_pending)
			pthread_cond_wait(&abufs_cv, &abufs_lock);
		pthread_mutex_unlock(&abufs_lock);
		struct timespec d = { 0, FLUSH_MS * 1000000L };
		while (nanosleep(&d, &d) < 0 && errno == EINTR)
			;
		log_flush();
	}
	return NULL;
}

/* A thread's buffer outlives it (written out, then taken by the next new thread). */
static void abuf_release(void *p)
{
	struct abuf *ab = p;
	pthread_mutex_lock(&ab->mu);
	abuf_write(ab);
	ab->owned = false;
	pthread_mutex_unlock(&ab->mu);
}

static void abuf_init(void)
{
	abufs_pid = getpid();
	pthread_t t;
	pthread_attr_t at;
	if (pthread_key_create(&abuf_key, abuf_release) != 0 || pthread_attr_init(&at) != 0)
		return;
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, flusher, NULL) == 0) {
		atexit(log_flush);
	} else {
		pthread_key_delete(abuf_key);
		abufs_pid = -1;  /* no flusher: lines are written at once */
	}
	pthread_attr_destroy(&at);
}

static struct abuf *abuf_mine(void)
{
	if (my_abuf)
		return my_abuf;
	pthread_once(&abuf_once, abuf_init);
	if (abufs_pid != getpid())
		return NULL;
	pthread_mutex_lock(&abufs_lock);
	struct abuf *ab = abufs;
	while (ab && ab->owned)
		ab = ab->next;
	if (!ab && (ab = calloc(1, sizeof *ab)) != NULL) {
		pthread_mutex_init(&ab->mu, NULL);
		ab->next = abufs;
		abufs = ab;
	}
	if (ab)
		ab->owned = true;
	pthread_mutex_unlock(&abufs_lock);
	if (ab)
		pthread_setspecific(abuf_key, ab);
	my_abuf = ab;
	return ab;
}

static void abuf_put(const char *line, size_t n)
{
	struct abuf *ab = abuf_mine();
	if (!ab || n > ABUF_SIZE) {
		if (ab)
			abuf_flush(ab);
		pthread_mutex_lock(&lock);
		write_all(line, n);
		pthread_mutex_unlock(&lock);
		return;
	}
	pthread_mutex_lock(&ab->mu);
	if (n > ABUF_SIZE - ab->len)
		abuf_write(ab);
	bool first = ab->len == 0;
	memcpy(ab->data + ab->len, line, n);
	ab->len += n;
	pthread_mutex_unlock(&ab->mu);
	if (first) {
		pthread_mutex_lock(&abufs_lock);
		if (!abufs_pending) {
			abufs_pending = true;
			pthread_cond_signal(&abufs_cv);
		}
		pthread_mutex_unlock(&abufs_lock);
	}
}

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
		if (my_abuf)
			abuf_flush(my_abuf);
		pthread_mutex_lock(&lock);
		write_all(b->data, b->len);
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

/* The access line is written once per request, so it is formatted by hand into a buffer on
 * the stack (no printf, no malloc), and the time up to the second is formatted once a
 * second per thread. */
struct line {
	char data[2048];
	size_t len;
	bool over;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->over || n > sizeof l->data - l->len) {
		l->over = true;
		return;
	}
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

static void line_str(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void line_uint(struct line *l, unsigned long v, int min_digits)
{
	char d[24];
	int n = 0;
	do {
		d[sizeof d - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < min_digits);
	line_put(l, d + sizeof d - n, (size_t)n);
}

static void line_field(struct line *l, const char *name, const char *v)
{
	if (!v)
		return;
	line_str(l, ",\"");
	line_str(l, name);
	line_str(l, "\":\"");
	buf_t b = BUF_INIT(sizeof l->data);
	const char *p = v;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
			break;
	}
	if (!*p) {
		line_put(l, v, (size_t)(p - v));
	} else {  /* something to escape: rare in these fields */
		if (buf_json_escape(&b, v, strlen(v)) == 0)
			line_put(l, b.data, b.len);
		else
			l->over = true;
		buf_free(&b);
	}
	line_str(l, "\"");
}

static _Thread_local time_t stamp_sec = -1;
static _Thread_local char stamp_text[24];

void log_access(const struct log_access *a)
{
	if (quiet)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp_text, sizeof stamp_text, "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	struct line l;
	l.len = 0;
	l.over = false;
	line_str(&l, "{\"time\":\"");
	line_str(&l, stamp_text);
	line_str(&l, ".");
	line_uint(&l, (unsigned long)(ts.tv_nsec / 1000000), 3);
	line_str(&l, "Z\",\"level\":\"access\"");
	line_field(&l, "request_id", a->request_id);
	line_field(&l, "ip", a->ip);
	line_field(&l, "method", a->method);
	line_field(&l, "route", a->route);
	line_str(&l, ",\"status\":");
	line_uint(&l, (unsigned long)(a->status > 0 ? a->status : 0), 1);
	double us = a->duration_ms > 0 ? a->duration_ms * 1000.0 + 0.5 : 0;
	unsigned long whole = (unsigned long)us;
	line_str(&l, ",\"duration_ms\":");
	line_uint(&l, whole / 1000, 1);
	line_str(&l, ".");
	line_uint(&l, whole % 1000, 3);
	line_field(&l, "user", a->user);
	line_field(&l, "workspace", a->workspace);
	line_str(&l, "}\n");
	if (l.over) {  /* a field too long for the line: the general path */
		buf_t b = BUF_INIT(1u << 20);
		stamp(&b);
		buf_puts(&b, ",\"level\":\"access\"");
		field(&b, "request_id", a->request_id);
		field(&b, "ip", a->ip);
		field(&b, "method", a->method);
		field(&b, "route", a->route);
		buf_printf(&b, ",\"status\":%d,\"duration_ms\":%.3f", a->status, a->duration_ms);
		field(&b, "user", a->user);
		field(&b, "workspace", a->workspace);
		if (buf_puts(&b, "}\n") == 0)
			abuf_put(b.data, b.len);
		buf_free(&b);
		return;
	}
	abuf_put(l.data, l.len);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_flush();
	fputs("planyard: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}
