/* One HTTP request as handlers see it, the route table's types, and the response helpers
 * (http.c). The server (server.c) owns the req_t: it is created when the headers arrive and freed,
 * with its arena, when the response is done. */
#ifndef PLANYARD_HTTP_H
#define PLANYARD_HTTP_H

#include <jansson.h>
#include <time.h>
#include "arena.h"
#include "buf.h"
#include "common.h"
#include "jsonv.h"

struct MHD_Connection;
struct db;

enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_SCHEDULER, ROLE_ADMIN, ROLE_OWNER };

enum route_auth {
	AUTH_NONE,    /* public */
	AUTH_SESSION, /* Bearer access token of a live session */
	AUTH_CRON,    /* Bearer cron secret */
};

enum route_flags {
	ROUTE_BODY_OPTIONAL = 1 << 0,     /* a schema, but an empty body is fine */
	ROUTE_RAW_BODY = 1 << 1,          /* body kept as bytes, not parsed (webhooks, CSP reports) */
	ROUTE_NO_IMPERSONATION = 1 << 2,  /* 403 not_allowed_while_impersonating */
	ROUTE_MFA_EXEMPT = 1 << 3,        /* reachable without enrolment when MFA is required */
	ROUTE_TX = 1 << 4,                /* the handler runs inside one database transaction */
	ROUTE_WRITE = 1 << 5,             /* changes data: refused in a suspended workspace */
	ROUTE_ROOT = 1 << 6,              /* outside /api/v1 (/healthz, /readyz) */
	ROUTE_PARTIAL = 1 << 7,           /* PATCH: the schema's fields, none required */
	ROUTE_READ1 = 1 << 8,             /* a read of one statement, pipelined with the session
					     check: one round trip (handlers use gate_query) */
	ROUTE_JOBS = 1 << 9,              /* AUTH_NONE but a job's (billing webhook): the jobs role's
					     connection, not the pre-session one */
	ROUTE_SAME_ORIGIN = 1 << 10,       /* reads a cookie credential: refused when Origin or
					     Sec-Fetch-Site says the browser sent it from
					     another site (403 cross_site_refused) */
	ROUTE_CREW = 1 << 11,             /* AUTH_NONE but read with a crew link: the request
					     role's connection, under the link's own row-level
					     security context (app.crew_begin) */
};

typedef struct req req_t;
typedef int (*handler_fn)(req_t *r);

/* A body made while it is sent (large exports), in chunks of unknown total size: fills at
 * most max bytes of buf and returns how many (> 0), 0 at the end, or -1 on a failure (the
 * connection is then cut, so the client sees an incomplete body). It runs on the HTTP
 * worker after the request's transaction has ended: it works with what cls owns, never
 * with r or r->db. */
typedef long (*req_stream_fn)(void *cls, char *buf, size_t max);

/* A handler returns 0 when it has set the response, or REQ_SUSPENDED after setting r->job
 * and r->cont (both run on the work pool, one after the other). */
#define REQ_SUSPENDED 1

typedef struct route {
	const char *method;
	const char *path;         /* "/api/v1/pours/{id}"; segments in braces match one segment */
	handler_fn handler;
	enum route_auth auth;
	enum role min_role;
	const jsonv_field_t *body; /* NULL: no body */
	unsigned flags;
	const char *summary;
	const char *response;     /* for the OpenAPI document: "200", "201", "202", "204" */
	const void *ctx;          /* what a shared handler works on (a collection), or NULL */
} route_t;

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8

struct req_auth {
	char tenant_status[16];
	bool require_mfa;
	bool mfa_enabled;
	char impersonation_id[37];
	char user_id[37];
	char tenant_id[37];
	char session_id[37];
	char session_key[64];   /* the live session's secret, handed to the database */
	char email[256];
	enum role role;
	bool aal2;
	bool impersonation;
};

struct req {
	arena_t arena;
	struct MHD_Connection *conn;
	const route_t *route;
	const char *method;
	const char *path;
	const char *uri;            /* the request line's target as sent: path and query, raw */
	bool query_refused;         /* more query parameters than the server takes */
	const char *params[REQ_MAX_PARAMS];
	int nparams;
	buf_t body;
	bool body_too_large;
	json_t *json;               /* validated body, or NULL */
	char request_id[65];
	char ip[64];
	const char *user_agent;
	bool https;
	struct timespec start;

	bool authed;
	struct req_auth auth;
	struct db *db;              /* set in ROUTE_TX handlers: a transaction is open */
	bool read1;                 /* ROUTE_READ1: no transaction yet; gate_query runs the one read */

	/* the response */
	int status;
	char *resp_body;            /* malloc'd, freed by the server */
	size_t resp_len;
	const void *resp_static;    /* or a body that outlives the request */
	req_stream_fn stream;       /* or a body made while it is sent (req_stream) */
	void (*stream_release)(void *cls);
	void *stream_cls;
	const char *resp_type;
	const char *hdr_name[REQ_MAX_HEADERS];
	const char *hdr_value[REQ_MAX_HEADERS];
	int nhdr;
	bool responded;

	bool commit_on_error;       /* keep what the transaction wrote despite an error status */

	/* work handed to another thread (REQ_SUSPENDED): job runs on the work pool, then cont
	 * there too (in a new transaction for ROUTE_TX routes); the HTTP worker sends the answer */
	void (*job)(req_t *r);
	handler_fn cont;
	void *cont_data;
	long queue_wait_ms;         /* the work pool's expected wait when the job was handed over */
	bool suspended;
	bool resumed;
};

/* Response helpers. They take ownership of what they are given (json references, malloc'd
 * bodies) and never fail: out of memory becomes a 500 problem. */
void req_json(req_t *r, int status, json_t *body);
void req_problem(req_t *r, int status, const char *code, const char *detail);
/* errors: a JSON array of {field, code, message}, stolen. */
void req_problem_errors(req_t *r, int status, const char *code, const char *detail, json_t *errors);
void req_no_content(req_t *r);
void req_body(req_t *r, int status, const char *content_type, char *body, size_t len);
void req_static(req_t *r, int status, const char *content_type, const void *body, size_t len);
/* A streamed body (chunked): read produces it from cls; release(cls) is called exactly once,
 * when the response is done with it (sent, cut, or replaced by another response). */
void req_stream(req_t *r, int status, const char *content_type, req_stream_fn read, void (*release)(void *cls),
		void *cls);
/* Calls a streamed body's release now, unless it was already called, and forgets the
 * stream; the server uses it when it frees a request whose body was never sent. */
void req_stream_drop(req_t *r);
/* Whether a response header of that name is set already. */
bool req_has_header(const req_t *r, const char *name);
/* Adds a response header; name and value must outlive the request (use the arena). */
void req_header(req_t *r, const char *name, const char *value);

/* Request data. Values are owned by the connection or the arena. */
const char *req_query(req_t *r, const char *name);
const char *req_header_in(req_t *r, const char *name);
const char *req_cookie(req_t *r, const char *name);
const char *req_param(req_t *r, int i);
/* The string value of the validated body's field name; NULL when absent or not a string. */
const char *req_json_str(req_t *r, const char *name);
/* The raw body as text for a jsonb parameter; "{}" when there is none. Owned by r. */
const char *req_body_text(req_t *r);

/* Called by another thread when suspended work is done; the server then runs r->cont
 * (which, after a job of the work pool, only marks the answer ready). */
void http_resume(req_t *r);

/* The status text of a code ("Not Found"). */
const char *http_status_text(int status);

#endif
