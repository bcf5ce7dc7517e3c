#include "server.h"

#include <arpa/inet.h>
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
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "gate.h"
#include "crypto.h"
#include "headers.h"
#include "log.h"
#include "router.h"
#include "static.h"
#include "workpool.h"

#define MAX_BODY (1u << 20)
#define TLS_PRIORITIES \
	"NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:+AEAD:" \
	"+ECDHE-RSA:+ECDHE-ECDSA:+SIGN-ALL:+GROUP-EC-ALL:+GROUP-X25519:+COMP-NULL:+CTYPE-X509"

struct daemon_ctx {
	bool https;
	int https_port;
};

static const settings_t *S;
static atomic_int inflight;
static int (*after_bind)(char *err, size_t errlen);

void server_after_bind(int (*fn)(char *err, size_t errlen))
{
	after_bind = fn;
}
static volatile sig_atomic_t stop_requested;

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

static req_t *req_new(struct MHD_Connection *conn, const char *url, const char *method, bool https)
{
	req_t *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->conn = conn;
	r->https = https;
	r->body = BUF_INIT(MAX_BODY);
	r->path = arena_strdup(&r->arena, url);
	r->method = arena_strdup(&r->arena, method);
	if (!r->path || !r->method) {
		arena_release(&r->arena);
		free(r);
		return NULL;
	}
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	if (headers_request_id_ok(rid)) {
		snprintf(r->request_id, sizeof r->request_id, "%s", rid);
	} else {
		unsigned char b[16];
		crypto_random(b, sizeof b);
		crypto_hex(b, sizeof b, r->request_id);
	}
	r->user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	client_ip(r);
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
	return strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0;
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
	size_t n;
	const header_t *h = headers_security(r->https, &n);
	for (size_t i = 0; i < n; i++)
		MHD_add_response_header(resp, h[i].name, h[i].value);
	if (is_api_path(r->path) || is_root_endpoint(r->path))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	else
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (r->resp_type)
		MHD_add_response_header(resp, "Content-Type", r->resp_type);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
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

static void run_job(void *arg)
{
	req_t *r = arg;
	if (client_gone(r))
		r->cont = busy;
	else
		r->job(r);
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
	const char *host = req_header_in(r, "Host");
	char hostname[256] = "localhost";
	if (host && strlen(host) < sizeof hostname && strspn(host, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host)) {
		snprintf(hostname, sizeof hostname, "%s", host);
		char *colon = strrchr(hostname, ':');
		if (colon && !strchr(colon, ']'))
			*colon = '\0';
	}
	char *loc = d->https_port == 443 ? arena_printf(&r->arena, "https://%s%s", hostname, r->path)
					 : arena_printf(&r->arena, "https://%s:%d%s", hostname, d->https_port, r->path);
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
	if (!r) {
		r = req_new(conn, url, method, d->https);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		atomic_fetch_add(&inflight, 1);
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
		rc = cont == busy ? busy(r) : gate_continue(r, cont);
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
	(void)conn;
	(void)toe;
	req_t *r = *con_cls;
	if (!r)
		return;
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

static struct MHD_Daemon *start(struct daemon_ctx *ctx, const char *listen, const char *cert, const char *key,
				char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int port;
	if (bind_addr(listen, &ss, &port, err, errlen) < 0)
		return NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
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
		flags, (uint16_t)port, NULL, NULL, on_request, ctx,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_ARRAY, cert ? tls_opts : (struct MHD_OptionItem[]){ { MHD_OPTION_END, 0, NULL } },
		MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot listen on %s (in use, or not allowed)", listen);
	ctx->https_port = ctx->https ? port : ctx->https_port;
	return d;
}

int server_run(const settings_t *s, char *err, size_t errlen)
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
	static struct daemon_ctx https_ctx = { true, 0 }, http_ctx = { false, 0 };
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
			MHD_stop_daemon(hd);
			return -1;
		}
	}
	if (after_bind && after_bind(err, errlen) < 0) {
		if (pd)
			MHD_stop_daemon(pd);
		MHD_stop_daemon(hd);
		return -1;
	}
	server_catch_signals();
	log_info("serving https on %s%s%s", s->listen_https, pd ? ", http on " : "", pd ? s->listen_http : "");
	while (!stop_requested)
		usleep(50 * 1000);

	log_info("stopping: no new connections; finishing requests in flight");
	MHD_socket ls = MHD_quiesce_daemon(hd);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	if (pd) {
		ls = MHD_quiesce_daemon(pd);
		if (ls != MHD_INVALID_SOCKET)
			close(ls);
	}
	for (int i = 0; i < 200 && atomic_load(&inflight) > 0; i++)
		usleep(100 * 1000);
	if (pd)
		MHD_stop_daemon(pd);
	MHD_stop_daemon(hd);
	log_info("stopped");
	return 0;
}
