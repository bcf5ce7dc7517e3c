#include "server.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "app.h"
#include "gate.h"
#include "crypto.h"
#include "headers.h"
#include "log.h"
#include "router.h"
#include "static.h"
#include "tlsout.h"
#include "workpool.h"

#define MAX_BODY (1u << 20)
/* The limits of a request's head, below what the connection's memory (MEMORY_LIMIT) holds,
 * so that it is this server that refuses, with a problem, and not libmicrohttpd. */
#define MEMORY_LIMIT ((size_t)64 * 1024)
#define MAX_URI 8192
#define MAX_QUERY_PARAMS 100
#define MAX_HEAD 16384
#define MAX_HEADERS 100
#define TLS_PRIORITIES \
	"NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:+AEAD:" \
	"+ECDHE-RSA:+ECDHE-ECDSA:+SIGN-ALL:+GROUP-EC-ALL:+GROUP-X25519:+COMP-NULL:+CTYPE-X509"

struct daemon_ctx {
	bool https;
	int https_port;
	/* the listening socket is ours: see accept_loop */
	int listen_fd;
	struct MHD_Daemon *daemon;
	pthread_t acceptor;
	atomic_bool accepting;
};

static const settings_t *S;
static atomic_int inflight;
static int (*after_bind)(char *err, size_t errlen);

void server_after_bind(int (*fn)(char *err, size_t errlen))
{
	after_bind = fn;
}
static volatile sig_atomic_t stop_requested;

/* ---- connections: the head's deadline and the cap per address ---- */

/* Every open connection, from its start to its close (libmicrohttpd's notify callback):
 * a connection still without a complete request head HEAD_TIMEOUT seconds after it started
 * or after its last answer is shut down by the watcher thread (libmicrohttpd then closes it:
 * its own timeout is of idleness, which a client sending a byte now and then never reaches).
 * The count of connections per address caps how many one client holds. */
struct conn_watch {
	struct conn_watch *prev, *next;
	int fd;
	struct timespec since;
	bool in_head;   /* waiting for a request head */
	bool cut;
	struct peer *peer;
	struct tls_out *tls;  /* the HTTPS connection's way out; NULL for HTTP */
};

struct peer {
	struct peer *next;
	unsigned char addr[16];
	int family;
	long count;
};

#define PEER_BUCKETS 4096
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn_watch *watched;
static struct peer *peers[PEER_BUCKETS];
static pthread_t watcher;

static bool ip_trusted(const char *ip);

/* The address of sa as 16 bytes and its family; false when it is neither IPv4 nor IPv6. */
static bool peer_key(const struct sockaddr *sa, unsigned char addr[16], int *family, char *text, size_t textlen)
{
	memset(addr, 0, 16);
	if (!sa)
		return false;
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return false;
	if (text && !inet_ntop(sa->sa_family, addr, text, (socklen_t)textlen))
		text[0] = '\0';
	return true;
}

static unsigned peer_hash(const unsigned char addr[16])
{
	unsigned h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % PEER_BUCKETS;
}

/* The peer of addr; created with count 0 when create. Under watch_lock. */
static struct peer *peer_find(const unsigned char addr[16], int family, bool create)
{
	struct peer **b = &peers[peer_hash(addr)];
	for (struct peer *p = *b; p; p = p->next)
		if (p->family == family && memcmp(p->addr, addr, 16) == 0)
			return p;
	if (!create)
		return NULL;
	struct peer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	memcpy(p->addr, addr, 16);
	p->family = family;
	p->next = *b;
	*b = p;
	return p;
}

static void peer_release(struct peer *peer)
{
	if (!peer || --peer->count > 0)
		return;
	struct peer **b = &peers[peer_hash(peer->addr)];
	while (*b && *b != peer)
		b = &(*b)->next;
	if (*b)
		*b = peer->next;
	free(peer);
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
	(void)cls;
	(void)len;
	unsigned char addr[16];
	int family;
	char text[64];
	if (!peer_key(sa, addr, &family, text, sizeof text) || ip_trusted(text))
		return MHD_YES;
	pthread_mutex_lock(&watch_lock);
	struct peer *p = peer_find(addr, family, false);
	bool over = p && p->count >= S->max_connections_per_ip;
	pthread_mutex_unlock(&watch_lock);
	return over ? MHD_NO : MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_watch *w = calloc(1, sizeof *w);
		if (!w)
			return;
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ca = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		w->fd = fd ? fd->connect_fd : -1;
		w->in_head = true;
		const union MHD_ConnectionInfo *tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (tls && tls->tls_session && w->fd >= 0 && (w->tls = malloc(sizeof *w->tls)))
			tls_out_install(tls->tls_session, w->tls, w->fd);
		clock_gettime(CLOCK_MONOTONIC, &w->since);
		unsigned char addr[16];
		int family;
		char text[64];
		bool known = ca && peer_key(ca->client_addr, addr, &family, text, sizeof text) && !ip_trusted(text);
		pthread_mutex_lock(&watch_lock);
		if (known && (w->peer = peer_find(addr, family, true)))
			w->peer->count++;
		w->next = watched;
		if (watched)
			watched->prev = w;
		watched = w;
		pthread_mutex_unlock(&watch_lock);
		*socket_context = w;
		return;
	}
	struct conn_watch *w = *socket_context;
	if (!w)
		return;
	pthread_mutex_lock(&watch_lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		watched = w->next;
	if (w->next)
		w->next->prev = w->prev;
	peer_release(w->peer);
	pthread_mutex_unlock(&watch_lock);
	free(w->tls);
	free(w);
	*socket_context = NULL;
}

/* Marks conn's connection as reading a head (since now) or not. */
static void watch_head(struct MHD_Connection *conn, bool in_head)
{
	const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *w = sc ? sc->socket_context : NULL;
	if (!w)
		return;
	pthread_mutex_lock(&watch_lock);
	w->in_head = in_head;
	clock_gettime(CLOCK_MONOTONIC, &w->since);
	pthread_mutex_unlock(&watch_lock);
}

static atomic_bool watcher_stop;

static void *watch_heads(void *arg)
{
	(void)arg;
	while (!atomic_load(&watcher_stop)) {
		usleep(200 * 1000);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_lock(&watch_lock);
		for (struct conn_watch *w = watched; w; w = w->next) {
			double waited = (double)(now.tv_sec - w->since.tv_sec) +
					(double)(now.tv_nsec - w->since.tv_nsec) / 1e9;
			if (w->in_head && !w->cut && w->fd >= 0 && waited >= (double)S->head_timeout_s) {
				/* the fd is the connection's until its close notification, which
				 * takes watch_lock first: it can't be another's here */
				shutdown(w->fd, SHUT_RDWR);
				w->cut = true;
			}
		}
		pthread_mutex_unlock(&watch_lock);
	}
	return NULL;
}

/* ---- requests ---- */

static bool ip_trusted(const char *ip)
{
	const char *list = S->trusted_proxies;
	size_t n = strlen(ip);
	while (list && *list) {
		size_t len = strcspn(list, ", ");
		if (len == n && strncmp(list, ip, n) == 0)
			return true;
		list += len;
		list += strspn(list, ", ");
	}
	return false;
}

static void client_ip(req_t *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	r->ip[0] = '\0';
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->ip, sizeof r->ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->ip, sizeof r->ip);
	}
	const char *xff = req_header_in(r, "X-Forwarded-For");
	if (!xff || !ip_trusted(r->ip))
		return;
	/* the rightmost address not itself a trusted proxy is the client */
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", xff);
	for (;;) {
		char *comma = strrchr(tmp, ',');
		char *cand = comma ? comma + 1 : tmp;
		while (*cand == ' ')
			cand++;
		unsigned char bin[16];
		bool valid = inet_pton(AF_INET, cand, bin) == 1 || inet_pton(AF_INET6, cand, bin) == 1;
		if (!valid)
			return;
		snprintf(r->ip, sizeof r->ip, "%.63s", cand);
		if (!comma || !ip_trusted(cand))
			return;
		*comma = '\0';
	}
}

/* A request is made when its request line arrives (uri_log), with the raw URI and its
 * query, and filled in when its head is complete (req_init). */
static req_t *req_alloc(const char *uri)
{
	req_t *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->body = BUF_INIT(MAX_BODY);
	r->uri = arena_strdup(&r->arena, uri ? uri : "");
	if (!r->uri) {
		arena_release(&r->arena);
		free(r);
		return NULL;
	}
	return r;
}

/* A request's id: 16 random hex digits drawn once per thread, then the thread's count of
 * requests, so ids never repeat within a process and hardly across processes. An id is not
 * a secret: drawing 16 random bytes for each request cost the generator's locks and a getpid
 * every time. */
static void new_request_id(char *out)
{
	static _Thread_local unsigned char prefix[8];
	static _Thread_local uint64_t count;
	if (count == 0)
		crypto_random(prefix, sizeof prefix);
	count++;
	unsigned char b[16];
	memcpy(b, prefix, 8);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (unsigned char)(count >> (56 - 8 * i));
	crypto_hex(b, sizeof b, out);
}

static int req_init(req_t *r, struct MHD_Connection *conn, const char *url, const char *method, bool https)
{
	r->conn = conn;
	r->https = https;
	r->path = arena_strdup(&r->arena, url);
	r->method = arena_strdup(&r->arena, method);
	if (!r->path || !r->method)
		return -1;
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	if (headers_request_id_ok(rid)) {
		snprintf(r->request_id, sizeof r->request_id, "%s", rid);
	} else {
		new_request_id(r->request_id);
	}
	r->user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	client_ip(r);
	return 0;
}

/* Called with the request line's target before libmicrohttpd splits its query. A query of
 * more parameters than allowed is refused (head_limits), but libmicrohttpd would first
 * store each of them in the connection's memory, and with a few thousand it runs out and
 * can't even send its own error (the client gets nothing). So once the raw target is kept,
 * the separators of such a query are blanked in the library's buffer (its own memory, read
 * by it right after this call): it then sees one parameter, and the request is refused. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	req_t *r = req_alloc(uri);  /* NULL when out of memory: on_request makes one then */
	char *q = uri ? strchr(uri, '?') : NULL;
	if (!q)
		return r;
	int n = 1;
	for (const char *c = q; *c; c++)
		n += *c == '&';
	if (n > MAX_QUERY_PARAMS) {
		if (r)
			r->query_refused = true;
		for (char *c = q; *c; c++)
			if (*c == '&')
				*c = '_';
	}
	return r;
}

static void req_free(req_t *r)
{
	req_stream_drop(r);
	json_decref(r->json);
	buf_wipe_free(&r->body);
	free(r->resp_body);
	arena_release(&r->arena);
	free(r);
}

static bool is_api_path(const char *p)
{
	return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0;
}

static bool is_root_endpoint(const char *p)
{
	return strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 || strcmp(p, "/.well-known/security.txt") == 0;
}

/* A streamed body as libmicrohttpd reads it. */
struct stream {
	req_stream_fn read;
	void (*release)(void *cls);
	void *cls;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	long n = s->read(s->cls, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_done(void *cls)
{
	struct stream *s = cls;
	s->release(s->cls);
	free(s);
}

static struct MHD_Response *stream_response(req_t *r)
{
	struct stream *s = malloc(sizeof *s);
	if (!s)
		return NULL;
	*s = (struct stream){ r->stream, r->stream_release, r->stream_cls };
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
								      stream_done);
	if (!resp) {
		free(s);
		return NULL;
	}
	/* libmicrohttpd owns it now: stream_done releases it */
	r->stream = NULL;
	r->stream_release = NULL;
	r->stream_cls = NULL;
	return resp;
}

static bool is_content_length(const char *key, size_t key_size)
{
	return key && key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0;
}

/* 1: value is a length libmicrohttpd can read (1 to 19 digits), 0: it is not. */
static bool length_ok(const char *v, size_t n)
{
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

/* libmicrohttpd 0.9.75 answers a Content-Length it can't read (-1, 1e3, 30 digits) itself,
 * with an HTML body, and its answer then carries two status lines. It reads the header
 * through its public lookup, which this program defines (an executable's definition comes
 * first for the library's own calls): such a value is hidden from it, so the request reaches
 * on_request, which refuses it with a problem (bad_length) and closes the connection. */
static enum MHD_Result (*real_lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *, size_t,
				      const char **, size_t *);
static enum MHD_Result (*real_queue)(struct MHD_Connection *, unsigned, struct MHD_Response *);

/* Finds libmicrohttpd's own functions behind the two this program defines; before any
 * daemon starts, so that no thread races to it. */
static void resolve_library(void)
{
	if (!real_lookup)
		*(void **)&real_lookup = dlsym(RTLD_NEXT, "MHD_lookup_connection_value_n");
	if (!real_queue)
		*(void **)&real_queue = dlsym(RTLD_NEXT, "MHD_queue_response");
}

enum MHD_Result MHD_lookup_connection_value_n(struct MHD_Connection *conn, enum MHD_ValueKind kind, const char *key,
					      size_t key_size, const char **value_ptr, size_t *value_size_ptr)
{
	if (!real_lookup)
		return MHD_NO;
	const char *v = NULL;
	size_t n = 0;
	enum MHD_Result found = real_lookup(conn, kind, key, key_size, &v, &n);
	if (found == MHD_YES && kind == MHD_HEADER_KIND && is_content_length(key, key_size) && !length_ok(v, n))
		return MHD_NO;
	if (value_ptr)
		*value_ptr = v;
	if (value_size_ptr)
		*value_size_ptr = n;
	return found;
}

struct head_size {
	size_t bytes;
	int count;
	bool bad_length;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				    const char *value, size_t value_size)
{
	(void)kind;
	struct head_size *h = cls;
	h->bytes += key_size + value_size + 4;
	h->count++;
	if (is_content_length(key, key_size) && !length_ok(value, value_size))
		h->bad_length = true;
	return MHD_YES;
}

/* The head's limits: 0, or -1 with the problem set. */
static int head_limits(req_t *r)
{
	struct head_size h = { strlen(r->uri) + strlen(r->method) + 12, 0, false };
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, count_header, &h);
	if (h.bad_length) {
		req_header(r, "Connection", "close");
		req_problem(r, 400, "bad_length", "Content-Length must be a whole number of bytes");
		return -1;
	}
	if (strlen(r->uri) > MAX_URI) {
		req_problem(r, 414, "uri_too_long", "the path and query are longer than 8 KiB");
		return -1;
	}
	if (r->query_refused || MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) > MAX_QUERY_PARAMS) {
		req_problem(r, 414, "uri_too_long", "the query has more than 100 parameters");
		return -1;
	}
	if (h.bytes > MAX_HEAD || h.count > MAX_HEADERS) {
		req_problem(r, 431, "header_too_large", "the request's headers are larger than 16 KiB or more than 100");
		return -1;
	}
	return 0;
}

/* libmicrohttpd's own MHD_queue_response; the server's answers go through it directly. */
static enum MHD_Result queue_real(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp)
{
	return real_queue ? real_queue(conn, status, resp) : MHD_NO;
}

static void add_common_headers(struct MHD_Response *resp, bool https)
{
	size_t n;
	const header_t *h = headers_security(https, &n);
	for (size_t i = 0; i < n; i++)
		MHD_add_response_header(resp, h[i].name, h[i].value);
}

static const char *library_error_code(unsigned status)
{
	switch (status) {
	case 413: return "payload_too_large";
	case 414: return "uri_too_long";
	case 431: return "header_too_large";
	case 505: return "http_version_not_supported";
	default: return status >= 500 ? "internal_error" : "bad_request";
	}
}

/* libmicrohttpd 0.9.75 answers some broken requests itself, before any handler of ours runs
 * (a head larger than the connection's memory, a malformed Content-Length, a request line it
 * can't parse), with an HTML body and none of our headers, and offers no option to change
 * that. It queues those answers through its public MHD_queue_response, which this program
 * defines (an executable's definition comes first for the library's own calls): each is
 * replaced here by a problem with the security headers, like every other answer. */
enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *resp)
{
	if (status < 400)
		return queue_real(conn, status, resp);
	const union MHD_ConnectionInfo *tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	bool https = tls && tls->tls_session;
	json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", "about:blank", "title", http_status_text((int)status),
			      "status", (int)status, "code", library_error_code(status), "detail",
			      "the request could not be read");
	char *body = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	struct MHD_Response *ours = body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
					 : NULL;
	if (!ours) {
		free(body);
		return queue_real(conn, status, resp);
	}
	add_common_headers(ours, https);
	MHD_add_response_header(ours, "Cache-Control", "no-store");
	MHD_add_response_header(ours, "Content-Type", "application/problem+json");
	unsigned char b[16];
	char rid[33];
	crypto_random(b, sizeof b);
	crypto_hex(b, sizeof b, rid);
	MHD_add_response_header(ours, "X-Request-Id", rid);
	enum MHD_Result ret = queue_real(conn, status, ours);
	MHD_destroy_response(ours);
	return ret;
}

/* libmicrohttpd sends a body after its head, and does so at once, only for a body in memory
 * that is not empty, to a method other than HEAD, with a status that has one. */
static bool body_follows_head(const req_t *r)
{
	return r->resp_len > 0 && r->status >= 200 && r->status != 204 && r->status != 304 &&
	       strcmp(r->method, "HEAD") != 0;
}

/* The head's record waits for the body's first and both leave in one sendmsg (tlsout.h). */
static void hold_head(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *w = sc ? sc->socket_context : NULL;
	if (w && w->tls)
		tls_out_arm(w->tls);
}

static enum MHD_Result send_response(req_t *r)
{
	struct MHD_Response *resp;
	if (r->stream)
		resp = stream_response(r);
	else if (r->resp_static)
		resp = MHD_create_response_from_buffer(r->resp_len, (void *)r->resp_static, MHD_RESPMEM_PERSISTENT);
	else {
		resp = MHD_create_response_from_buffer(r->resp_len, r->resp_body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->resp_body = NULL; /* MHD frees it */
	}
	if (!resp)
		return MHD_NO;
	add_common_headers(resp, r->https);
	if (is_api_path(r->path) || is_root_endpoint(r->path))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	else
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (r->resp_type)
		MHD_add_response_header(resp, "Content-Type", r->resp_type);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	if (!r->stream && body_follows_head(r))
		hold_head(r->conn);
	enum MHD_Result ret = queue_real(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* 503 busy: the work pool would keep this request waiting too long (or its client left);
 * Retry-After is the wait the pool expected, in whole seconds. */
static int busy(req_t *r)
{
	long s = (r->queue_wait_ms + 999) / 1000;
	req_header(r, "Retry-After", arena_printf(&r->arena, "%ld", s < 1 ? 1 : s));
	req_problem(r, 503, "busy", "the server is busy; try again shortly");
	return 0;
}

/* True when the client of a suspended request has closed its side: its queued hashing is
 * dropped. (libmicrohttpd does not watch a suspended connection.) */
static bool client_gone(req_t *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	struct pollfd p = { .fd = ci->connect_fd, .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* The continuation's response is ready: the HTTP worker only sends it. */
static int answered(req_t *r)
{
	r->responded = true;
	return 0;
}

/* The job, then its continuation, both here: a continuation's database work can be long (a
 * sign-in's session is made only on the password, which PostgreSQL checks with bcrypt again),
 * and on the HTTP worker it would hold every other connection of that thread. Here it is also
 * counted in the pool's time bound. A continuation that hands over work again goes on here. */
static void run_job(void *arg)
{
	req_t *r = arg;
	if (client_gone(r)) {
		r->cont = busy;
		http_resume(r);
		return;
	}
	int rc;
	do {
		r->job(r);
		handler_fn cont = r->cont;
		r->cont = NULL;
		r->job = NULL;
		rc = gate_continue(r, cont);
	} while (rc == REQ_SUSPENDED && r->job && r->cont);
	if (rc == REQ_SUSPENDED || !r->responded)
		req_problem(r, 500, "internal_error", "the handler set no response");
	r->cont = answered;
	http_resume(r);
}

static void plain_http(req_t *r, const struct daemon_ctx *d)
{
	if (strcmp(r->path, "/healthz") == 0) {
		static const char ok[] = "{\"status\":\"ok\"}";
		req_static(r, 200, "application/json", ok, sizeof ok - 1);
		return;
	}
	if (is_api_path(r->path)) {
		req_problem(r, 400, "https_required",
			    "the API is served over HTTPS only; credentials sent in clear must be replaced");
		return;
	}
	/* PUBLIC_URL's host (never the request's Host header), the path and the query */
	const char *pub = app_public_url();
	const char *authority = strstr(pub, "://");
	authority = authority ? authority + 3 : "";
	int alen = (int)strcspn(authority, "/?#");
	/* the raw target as sent (the decoded path could hold what a header can't) */
	const char *target = r->uri[0] == '/' ? r->uri : "/";
	char *loc = alen ? arena_printf(&r->arena, "https://%.*s%s", alen, authority, target)
			 : arena_printf(&r->arena, "https://localhost:%d%s", d->https_port, target);
	if (!loc) {
		req_problem(r, 500, "internal_error", NULL);
		return;
	}
	req_header(r, "Location", loc);
	static const char body[] = "Moved to HTTPS\n";
	req_static(r, 308, "text/plain; charset=utf-8", body, sizeof body - 1);
}

static int early_route(req_t *r)
{
	if (!is_api_path(r->path) && !is_root_endpoint(r->path)) {
		static const route_t static_route = { "GET", "/", static_serve, AUTH_NONE, ROLE_NONE, NULL, 0,
						       "web UI", "200", NULL };
		if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
			req_header(r, "Allow", "GET, HEAD");
			req_problem(r, 405, "method_not_allowed", "pages answer GET and HEAD");
			return 0;
		}
		r->route = &static_route;
		return 1;
	}
	const char *allow = NULL;
	switch (router_match(routes, routes_count, r->method, r->path, &r->arena, &r->route, r->params,
			     &r->nparams, &allow)) {
	case ROUTER_FOUND:
		return 1;
	case ROUTER_METHOD_NOT_ALLOWED:
		req_header(r, "Allow", allow ? allow : "");
		req_problem(r, 405, "method_not_allowed", "this path does not answer that method");
		return 0;
	default:
		req_problem(r, 404, "not_found", "no such path");
		return 0;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	const struct daemon_ctx *d = cls;
	req_t *r = *con_cls;
	if (!r || !r->conn) {
		if (!r && !(r = req_alloc(url)))
			return MHD_NO;
		*con_cls = r;
		watch_head(conn, false);
		atomic_fetch_add(&inflight, 1);  /* on_completed counts it down */
		if (req_init(r, conn, url, method, d->https) < 0)
			return MHD_NO;
		if (head_limits(r) < 0)
			return send_response(r);
		/* Early answers (plain HTTP, 404, 405) are sent once the request is read, so the
		 * connection stays usable; only an oversized body is refused before it is read. */
		if (!d->https)
			plain_http(r, d);
		else if (early_route(r)) {
			const char *cl = req_header_in(r, "Content-Length");
			if (cl && strtoull(cl, NULL, 10) > MAX_BODY) {
				req_problem(r, 413, "payload_too_large", "the body is larger than 1 MiB");
				return send_response(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->responded && !r->body_too_large && buf_append(&r->body, upload, *upload_size) < 0)
			r->body_too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->responded && !r->resumed)
		return send_response(r);
	int rc;
	if (r->resumed) {
		r->resumed = false;
		handler_fn cont = r->cont;
		r->cont = NULL;
		r->job = NULL;
		rc = cont == busy || cont == answered ? cont(r) : gate_continue(r, cont);
	} else {
		rc = gate_run(r);
	}
	if (rc == REQ_SUSPENDED) {
		r->suspended = true;
		MHD_suspend_connection(conn);
		if (workpool_submit(run_job, r, &r->queue_wait_ms) < 0) {
			r->cont = busy;
			http_resume(r);
		}
		return MHD_YES;
	}
	if (!r->responded)
		req_problem(r, 500, "internal_error", "the handler set no response");
	return send_response(r);
}

void http_resume(req_t *r)
{
	r->suspended = false;
	r->resumed = true;
	r->responded = false;
	MHD_resume_connection(r->conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	watch_head(conn, true);  /* the next request's head is awaited from now */
	req_t *r = *con_cls;
	if (!r)
		return;
	if (!r->conn) {  /* refused before its head was complete */
		req_free(r);
		*con_cls = NULL;
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 + (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	struct log_access a = {
		.request_id = r->request_id,
		.ip = r->ip,
		.method = r->method,
		.route = r->route ? r->route->path : r->path,
		.status = r->status,
		.duration_ms = ms,
		.user = r->authed ? r->auth.user_id : NULL,
		.workspace = r->authed ? r->auth.tenant_id : NULL,
	};
	if (!r->route && r->status == 404)
		a.route = "(unknown)";
	log_access(&a);
	req_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http: %s", msg);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void server_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

bool server_stopping(void)
{
	return stop_requested != 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf_t b = BUF_INIT(1 << 20);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_append(&b, tmp, n) < 0) {
			fclose(f);
			buf_wipe_free(&b);
			return NULL;
		}
	fclose(f);
	if (!b.data && buf_append(&b, "", 0) < 0)
		return NULL;
	*len = b.len;
	return b.data;
}

static int bind_addr(const char *listen, struct sockaddr_storage *ss, int *port, char *err, size_t errlen)
{
	char host[256];
	if (settings_parse_listen(listen, host, sizeof host, port) < 0) {
		snprintf(err, errlen, "bad listen address %s", listen);
		return -1;
	}
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	char ps[16];
	snprintf(ps, sizeof ps, "%d", *port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve listen address %s", listen);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

/* Connections are accepted here, not by libmicrohttpd's workers: a worker that wakes first
 * to a burst of connections accepts them all, and each worker serves its connections with its
 * own database connection, so one worker could be left with every client and the other idle
 * (half the machine unused for the life of those connections). MHD_add_connection hands a
 * connection to the worker its descriptor's number selects, so a burst is spread evenly.
 * It skips the accept policy: it is asked here. */
static void *accept_loop(void *arg)
{
	struct daemon_ctx *ctx = arg;
	while (atomic_load(&ctx->accepting)) {
		struct pollfd p = { .fd = ctx->listen_fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		for (;;) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof ss;
			int c = accept4(ctx->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (c < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
					log_warn("cannot accept a connection: %s", strerror(errno));
					usleep(10 * 1000);
				}
				break;
			}
			if (accept_policy(NULL, (struct sockaddr *)&ss, len) != MHD_YES) {
				close(c);
				continue;
			}
			/* (closes the socket itself when the connection cannot be taken) */
			(void)MHD_add_connection(ctx->daemon, c, (struct sockaddr *)&ss, len);
		}
	}
	return NULL;
}

static int listen_on(const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* New connections are refused from now on (shutdown stops a listening socket at once and
 * wakes its acceptor); connections already taken go on. */
static void refuse(struct daemon_ctx *ctx)
{
	if (ctx->listen_fd < 0)
		return;
	atomic_store(&ctx->accepting, false);
	(void)shutdown(ctx->listen_fd, SHUT_RDWR);
}

static void stop_accepting(struct daemon_ctx *ctx)
{
	if (ctx->listen_fd < 0)
		return;
	refuse(ctx);
	pthread_join(ctx->acceptor, NULL);
	close(ctx->listen_fd);
	ctx->listen_fd = -1;
}

static void stop_daemon(struct daemon_ctx *ctx)
{
	stop_accepting(ctx);
	if (ctx->daemon)
		MHD_stop_daemon(ctx->daemon);
	ctx->daemon = NULL;
}

static struct MHD_Daemon *start(struct daemon_ctx *ctx, const char *listen, const char *cert, const char *key,
				char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int port;
	if (bind_addr(listen, &ss, &port, err, errlen) < 0)
		return NULL;
	ctx->listen_fd = listen_on(&ss);
	if (ctx->listen_fd < 0) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not allowed)", listen);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
	if (cert)
		flags |= MHD_USE_TLS;
	unsigned threads = ctx->https ? (unsigned)S->workers : 2;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, ctx,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_ARRAY, cert ? tls_opts : (struct MHD_OptionItem[]){ { MHD_OPTION_END, 0, NULL } },
		MHD_OPTION_END);
	if (!d) {
		snprintf(err, errlen, "cannot serve on %s", listen);
		close(ctx->listen_fd);
		ctx->listen_fd = -1;
		return NULL;
	}
	ctx->daemon = d;
	atomic_store(&ctx->accepting, true);
	if (pthread_create(&ctx->acceptor, NULL, accept_loop, ctx) != 0) {
		snprintf(err, errlen, "cannot start accepting on %s", listen);
		close(ctx->listen_fd);
		ctx->listen_fd = -1;
		MHD_stop_daemon(d);
		ctx->daemon = NULL;
		return NULL;
	}
	ctx->https_port = ctx->https ? port : ctx->https_port;
	return d;
}

static int serve(const settings_t *s, char *err, size_t errlen);

int server_run(const settings_t *s, char *err, size_t errlen)
{
	S = s;
	resolve_library();
	if (!real_lookup || !real_queue) {
		snprintf(err, errlen, "cannot find libmicrohttpd's MHD_queue_response");
		return -1;
	}
	atomic_store(&watcher_stop, false);
	if (pthread_create(&watcher, NULL, watch_heads, NULL) != 0) {
		snprintf(err, errlen, "cannot start the connection watcher");
		return -1;
	}
	int rc = serve(s, err, errlen);
	atomic_store(&watcher_stop, true);
	pthread_join(watcher, NULL);
	return rc;
}

static int serve(const settings_t *s, char *err, size_t errlen)
{
	S = s;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	size_t clen = 0, klen = 0;
	char *cert = read_file(s->tls_cert, &clen);
	char *key = read_file(s->tls_key, &klen);
	if (!cert || !key || !strstr(cert, "-----BEGIN") || !strstr(key, "-----BEGIN")) {
		snprintf(err, errlen, "cannot read the TLS certificate %s or key %s", s->tls_cert, s->tls_key);
		free(cert);
		if (key)
			OPENSSL_cleanse(key, klen);
		free(key);
		return -2;
	}
	static struct daemon_ctx https_ctx = { .https = true, .listen_fd = -1 }, http_ctx = { .listen_fd = -1 };
	struct MHD_Daemon *hd = start(&https_ctx, s->listen_https, cert, key, err, errlen);
	OPENSSL_cleanse(key, klen);
	free(key);
	free(cert);
	if (!hd)
		return -1;
	http_ctx.https_port = https_ctx.https_port;
	struct MHD_Daemon *pd = NULL;
	if (strcmp(s->listen_http, "off") != 0) {
		pd = start(&http_ctx, s->listen_http, NULL, NULL, err, errlen);
		if (!pd) {
			stop_daemon(&https_ctx);
			return -1;
		}
	}
	if (after_bind && after_bind(err, errlen) < 0) {
		stop_daemon(&http_ctx);
		stop_daemon(&https_ctx);
		return -1;
	}
	server_catch_signals();
	log_info("serving https on %s%s%s", s->listen_https, pd ? ", http on " : "", pd ? s->listen_http : "");
	while (!stop_requested)
		usleep(50 * 1000);

	log_info("stopping: no new connections; finishing requests in flight");
	refuse(&https_ctx);
	refuse(&http_ctx);
	stop_accepting(&https_ctx);
	stop_accepting(&http_ctx);
	for (int i = 0; i < 200 && atomic_load(&inflight) > 0; i++)
		usleep(100 * 1000);
	stop_daemon(&http_ctx);
	stop_daemon(&https_ctx);
	log_info("stopped");
	return 0;
}
