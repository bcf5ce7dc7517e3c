#include "db.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crypto.h"
#include "log.h"

#define MAX_STMTS 1024

struct db {
	PGconn *conn;
	db_pool_t pool;
	unsigned char prepared[MAX_STMTS / 8];
	char failed_state[6];       /* SQLSTATE of the last statement if it failed, else "" */
	long long handed_ns;        /* when db_thread_for last gave it out (CLOCK_MONOTONIC_COARSE) */
};

static char *conninfo[DB_POOLS];
static long stmt_timeout_ms = 10000;
static bool use_prepared = true;
static atomic_int next_stmt_id;
static _Thread_local db_t *thread_db[DB_POOLS];
static pthread_key_t thread_key; /* closes a worker thread's connection when the thread ends */
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

void db_configure(const char *ci, long timeout_ms, bool prepare)
{
	db_configure_pool(DB_APP, ci);
	stmt_timeout_ms = timeout_ms;
	use_prepared = prepare;
}

void db_configure_pool(db_pool_t pool, const char *ci)
{
	free(conninfo[pool]);
	conninfo[pool] = ci ? strdup(ci) : NULL;
}

static void drop(db_t *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	memset(db->prepared, 0, sizeof db->prepared);
}

PGconn *db_connect_once(const char *ci, char *err, size_t errlen)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { ci, "3", "planyard", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		if (err) {
			const char *m = c ? PQerrorMessage(c) : "out of memory";
			snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
		}
		if (c)
			PQfinish(c);
		return NULL;
	}
	return c;
}

static atomic_bool reported_down;

static int connect_db(db_t *db)
{
	char err[256];
	if (!conninfo[db->pool]) {
		log_error("no connection string for database pool %d", (int)db->pool);
		return -1;
	}
	db->conn = db_connect_once(conninfo[db->pool], err, sizeof err);
	if (!db->conn) {
		/* said once per outage, not once per attempt */
		if (!atomic_exchange(&reported_down, true))
			log_warn("database unavailable: %s", err);
		return -1;
	}
	if (atomic_exchange(&reported_down, false))
		log_info("database reachable again");
	if (!use_prepared)
		return 0; /* a pooler's server connections are shared: no session state */
	char sql[128];
	snprintf(sql, sizeof sql, "set statement_timeout = %ld; set idle_in_transaction_session_timeout = %ld",
		 stmt_timeout_ms, stmt_timeout_ms * 2);
	PGresult *r = PQexec(db->conn, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		drop(db);
		return -1;
	}
	return 0;
}

static void thread_end(void *p)
{
	db_t **dbs = p;
	for (int i = 0; i < DB_POOLS; i++) {
		if (dbs[i]) {
			drop(dbs[i]);
			free(dbs[i]);
			dbs[i] = NULL;
		}
	}
}

static void make_thread_key(void)
{
	if (pthread_key_create(&thread_key, thread_end) != 0)
		fatal("pthread_key_create failed");
}

/* An idle connection has nothing to read: something to read (a FATAL message, EOF) means the
 * server is closing it, e.g. on a database restart. Connect again now rather than fail the
 * request that would find out. */
static bool closed_by_server(PGconn *c)
{
	struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
	return PQtransactionStatus(c) == PQTRANS_IDLE && poll(&p, 1, 0) != 0;
}

/* The look costs a system call, so a connection handed out again within IDLE_CHECK_NS of its
 * last request is not looked at: under load that is every request, and a server that closes
 * it in between (a restart takes far longer than this) fails that one request with
 * db_unavailable, as it would a moment later anyway, and the next one connects again. */
#define IDLE_CHECK_NS (10 * 1000000LL)

static long long coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

db_t *db_thread(void)
{
	return db_thread_for(DB_APP);
}

db_t *db_thread_for(db_pool_t pool)
{
	if (!thread_db[pool]) {
		pthread_once(&thread_key_once, make_thread_key);
		thread_db[pool] = calloc(1, sizeof *thread_db[pool]);
		if (!thread_db[pool])
			return NULL;
		thread_db[pool]->pool = pool;
		pthread_setspecific(thread_key, thread_db);
	}
	db_t *db = thread_db[pool];
	long long now = coarse_ns();
	bool was_idle = now - db->handed_ns >= IDLE_CHECK_NS;
	db->handed_ns = now;
	if (db->conn && (PQstatus(db->conn) != CONNECTION_OK || (was_idle && closed_by_server(db->conn))))
		drop(db);
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		/* left mid-transaction by a failed request: roll back before reuse */
		PGresult *r = PQexec(db->conn, "rollback");
		PQclear(r);
		if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) != PQTRANS_IDLE)
			drop(db);
	}
	if (!db->conn && connect_db(db) < 0)
		return NULL;
	return db;
}

void db_thread_close(void)
{
	pthread_once(&thread_key_once, make_thread_key);
	pthread_setspecific(thread_key, NULL);
	thread_end(thread_db);
}

db_t *db_open(void)
{
	db_t *db = calloc(1, sizeof *db);
	if (db && connect_db(db) < 0) {
		free(db);
		db = NULL;
	}
	return db;
}

void db_close(db_t *db)
{
	if (!db)
		return;
	drop(db);
	free(db);
}

const char *db_error_message(const db_t *db)
{
	return db && db->conn ? PQerrorMessage(db->conn) : "";
}

bool db_broken(const db_t *db)
{
	return !db || !db->conn || PQstatus(db->conn) != CONNECTION_OK;
}

static int stmt_id(db_stmt_t *s)
{
	int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
	if (id)
		return id;
	int fresh = atomic_fetch_add(&next_stmt_id, 1) + 1;
	if (fresh >= MAX_STMTS)
		fatal("more than %d statements", MAX_STMTS);
	int expected = 0;
	if (__atomic_compare_exchange_n(&s->id, &expected, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fresh;
	return expected;
}

/* Prepares s on this connection once; its name into name. 0, or -1 (connection dropped when
 * broken; *err holds a failed prepare's result). */
static int ensure_prepared(db_t *db, db_stmt_t *s, int n, char name[16], PGresult **err)
{
	int id = stmt_id(s);
	snprintf(name, 16, "s%d", id);
	*err = NULL;
	if (db->prepared[id / 8] & (1u << (id % 8)))
		return 0;
	PGresult *p = PQprepare(db->conn, name, s->sql, n, NULL);
	if (PQresultStatus(p) != PGRES_COMMAND_OK) {
		if (PQstatus(db->conn) != CONNECTION_OK) {
			PQclear(p);
			drop(db);
			return -1;
		}
		log_error("prepare failed: %s", PQresultErrorMessage(p));
		*err = p;
		return -1;
	}
	PQclear(p);
	db->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
	return 0;
}

static int send(db_t *db, db_stmt_t *s, int n, const char *const *params)
{
	if (!use_prepared)
		return PQsendQueryParams(db->conn, s->sql, n, NULL, params, NULL, NULL, 0) == 1 ? 0 : -1;
	char name[16];
	snprintf(name, sizeof name, "s%d", stmt_id(s));
	return PQsendQueryPrepared(db->conn, name, n, params, NULL, NULL, 0) == 1 ? 0 : -1;
}

/* The one result of a pipelined query (then its terminating NULL). */
static PGresult *take(db_t *db)
{
	PGresult *r = PQgetResult(db->conn);
	if (r) {
		PGresult *extra;
		while ((extra = PQgetResult(db->conn)))
			PQclear(extra);
	}
	return r;
}

int db_pipeline2(db_t *db, db_stmt_t *a, int na, const char *const *pa, db_stmt_t *b, int nb,
		 const char *const *pb, PGresult **ra, PGresult **rb)
{
	*ra = *rb = NULL;
	if (db_broken(db))
		return -1;
	char name[16];
	if (use_prepared) {
		PGresult *err;
		if (ensure_prepared(db, a, na, name, &err) < 0 || ensure_prepared(db, b, nb, name, &err) < 0) {
			if (!err)
				return -1;
			*ra = err;   /* a statement that does not prepare: reported like a failed one */
			return 0;
		}
	}
	if (PQenterPipelineMode(db->conn) != 1)
		return -1;
	int rc = 0;
	if (send(db, a, na, pa) < 0 || send(db, b, nb, pb) < 0 || PQpipelineSync(db->conn) != 1) {
		rc = -1;
	} else {
		*ra = take(db);
		*rb = take(db);
		PGresult *sync = PQgetResult(db->conn);
		if (!*ra || !*rb || !sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
			rc = -1;
		if (sync)
			PQclear(sync);
	}
	if (rc < 0 || PQexitPipelineMode(db->conn) != 1 || PQstatus(db->conn) != CONNECTION_OK) {
		if (*ra)
			PQclear(*ra);
		if (*rb)
			PQclear(*rb);
		*ra = *rb = NULL;
		drop(db);
		return -1;
	}
	return 0;
}

PGresult *db_exec(db_t *db, db_stmt_t *s, int n, const char *const *params)
{
	if (db_broken(db))
		return NULL;
	if (!use_prepared) {
		PGresult *r = PQexecParams(db->conn, s->sql, n, NULL, params, NULL, NULL, 0);
		if (!r || PQstatus(db->conn) != CONNECTION_OK) {
			if (r)
				PQclear(r);
			drop(db);
			return NULL;
		}
		return r;
	}
	int id = stmt_id(s);
	char name[16];
	snprintf(name, sizeof name, "s%d", id);
	if (!(db->prepared[id / 8] & (1u << (id % 8)))) {
		PGresult *p = PQprepare(db->conn, name, s->sql, n, NULL);
		ExecStatusType st = PQresultStatus(p);
		if (st != PGRES_COMMAND_OK) {
			if (PQstatus(db->conn) != CONNECTION_OK) {
				PQclear(p);
				drop(db);
				return NULL;
			}
			log_error("prepare failed: %s", PQresultErrorMessage(p));
			return p;
		}
		PQclear(p);
		db->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
	}
	PGresult *r = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
	if (!r || PQstatus(db->conn) != CONNECTION_OK) {
		if (r)
			PQclear(r);
		drop(db);
		return NULL;
	}
	return r;
}

int db_run(db_t *db, db_stmt_t *s, int n, const char *const *params, PGresult **out)
{
	PGresult *r = db_exec(db, s, n, params);
	if (out)
		*out = r;
	if (!r)
		return -1;
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	snprintf(db->failed_state, sizeof db->failed_state, "%s", ok ? "" : db_sqlstate(r));
	if (!out)
		PQclear(r);
	return ok ? 0 : -1;
}

static int simple(db_t *db, const char *sql)
{
	if (db_broken(db))
		return -1;
	PGresult *r = PQexec(db->conn, sql);
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (r)
		PQclear(r);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		drop(db);
		return -1;
	}
	return ok ? 0 : -1;
}

int db_begin(db_t *db)
{
	return simple(db, "begin");
}

int db_begin_snapshot(db_t *db)
{
	return simple(db, "begin isolation level repeatable read");
}

int db_commit(db_t *db)
{
	if (db_broken(db))
		return -1;
	PGresult *r = PQexec(db->conn, "commit");
	/* COMMIT of an aborted transaction answers ROLLBACK: that is a failure here */
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (r)
		PQclear(r);
	if (PQstatus(db->conn) != CONNECTION_OK)
		drop(db);
	return ok ? 0 : -1;
}

void db_rollback(db_t *db)
{
	if (!db_broken(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		(void)simple(db, "rollback");
}

const char *db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

const char *db_failed_state(const db_t *db)
{
	return db ? db->failed_state : "";
}

bool db_transient(const char *state)
{
	/* statement timeout or cancel, an administrator's or a crash's shutdown, no disk space,
	 * memory or connections, a read-only server or transaction, a lost connection, a
	 * serialization failure or deadlock: the same request may well succeed a moment later */
	static const char *const prefixes[] = { "57014", "57P", "53", "25006", "08", "40001", "40P01", "55P03" };
	for (size_t i = 0; state && i < ARRAY_LEN(prefixes); i++)
		if (strncmp(state, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

bool db_ping(void)
{
	static db_stmt_t ping = DB_STMT("select 1");
	db_t *db = db_thread();
	if (!db)
		return false;
	PGresult *r = db_exec(db, &ping, 0, NULL);
	bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
	if (r)
		PQclear(r);
	return ok;
}

char *db_bytea(void *arena, const void *p, size_t n)
{
	char *out = arena_alloc(arena, 2 * n + 3);
	if (!out)
		return NULL;
	out[0] = '\\';
	out[1] = 'x';
	crypto_hex(p, n, out + 2);
	return out;
}

unsigned char *db_unbytea(const char *text, size_t *len)
{
	unsigned char *tmp = PQunescapeBytea((const unsigned char *)text, len);
	if (!tmp)
		return NULL;
	unsigned char *out = malloc(*len + 1);
	if (out) {
		memcpy(out, tmp, *len);
		out[*len] = 0;
	}
	PQfreemem(tmp);
	return out;
}

char *db_token_hash(void *arena, const char *token)
{
	unsigned char h[32];
	crypto_sha256(token, strlen(token), h);
	return db_bytea(arena, h, sizeof h);
}
