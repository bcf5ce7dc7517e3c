/* The database layer: one libpq connection per worker thread, prepared statements prepared
 * lazily per connection, and transactions. A connection found broken is dropped and made
 * again on the next use, so the server outlives a database restart. */
#ifndef PLANYARD_DB_H
#define PLANYARD_DB_H

#include <libpq-fe.h>
#include "common.h"

typedef struct db db_t;

/* A statement of the program: static storage, prepared on first use on each connection. */
typedef struct {
	const char *sql;
	int id;        /* assigned on first use; 0 = not yet */
} db_stmt_t;

#define DB_STMT(q) { (q), 0 }

/* The server's logins, one per trust boundary (sql/functions/990_grants.sql): each has its
 * own connection string and its own connection per thread. */
typedef enum {
	DB_APP,   /* planyard_app: every signed-in request, under its live session */
	DB_AUTH,  /* planyard_auth: the pre-session handlers (sign-in, signup, reset, ...) */
	DB_JOBS,  /* planyard_jobs: the mail sender, cron jobs and the billing webhook */
	DB_POOLS
} db_pool_t;

/* Sets the connection string and statement timeout used by db_thread(). Call once at start.
 * prepare: name statements on each connection (PQprepare); off for a pooler in transaction
 * mode that can't keep them (pgbouncer 1.18): each statement is then sent with its text,
 * still with parameters, never interpolated; the timeouts then come from the role's
 * settings (sql/001). */
void db_configure(const char *conninfo, long statement_timeout_ms, bool prepare);

/* Sets the connection string of another pool (DB_AUTH, DB_JOBS); the timeout and prepare
 * mode are db_configure's. A pool never configured can't connect. */
void db_configure_pool(db_pool_t pool, const char *conninfo);

/* The calling thread's connection, connecting (or reconnecting) when needed. NULL when the
 * database can't be reached now. The connection belongs to the thread; never free it. */
db_t *db_thread(void);

/* The same for the given pool: the calling thread's connection as that pool's login. */
db_t *db_thread_for(db_pool_t pool);

/* Closes the calling thread's connections (thread exit). */
void db_thread_close(void);

/* A connection of the caller's own, made like the threads' (same settings; statements are
 * prepared on it as they are first used), for work that outlives the request's transaction:
 * a body streamed after its handler returned. NULL when the database can't be reached now.
 * The caller ends it with db_close. */
db_t *db_open(void) WUR;

/* Closes a connection from db_open (what it left open is rolled back by the server); NULL
 * is fine. */
void db_close(db_t *db);

/* The connection's last error message, first line ("" when there is none). Owned by db. */
const char *db_error_message(const db_t *db);

/* Runs s with n text parameters (NULL = SQL NULL). Returns the result (caller PQclear()s)
 * or NULL when the connection broke (it is then dropped). A statement error is returned
 * as a result with status PGRES_FATAL_ERROR. */
PGresult *db_exec(db_t *db, db_stmt_t *s, int n, const char *const *params) WUR;

/* Runs s and checks it: 0 on PGRES_COMMAND_OK/TUPLES_OK, -1 otherwise (the result is
 * still returned in *out when not NULL, for the caller to read the SQLSTATE). */
int db_run(db_t *db, db_stmt_t *s, int n, const char *const *params, PGresult **out) WUR;

/* Runs a then b in one pipeline: one round trip and one implicit transaction, so what a
 * sets with set_config(..., true) holds for b. Both results are returned (caller clears;
 * b's is PGRES_PIPELINE_ABORTED when a failed). -1 when the connection broke. */
int db_pipeline2(db_t *db, db_stmt_t *a, int na, const char *const *pa, db_stmt_t *b, int nb,
		 const char *const *pb, PGresult **ra, PGresult **rb) WUR;

/* Plain transaction control; -1 when the connection broke or the command failed. */
int db_begin(db_t *db) WUR;
/* BEGIN ISOLATION LEVEL REPEATABLE READ: one snapshot for every statement until COMMIT. */
int db_begin_snapshot(db_t *db) WUR;
int db_commit(db_t *db) WUR;
void db_rollback(db_t *db);

/* The SQLSTATE of a failed result ("23505"), or "" . */
const char *db_sqlstate(const PGresult *res);
/* The SQLSTATE of db's last statement (db_run) when it failed, else "". */
const char *db_failed_state(const db_t *db);
/* True for the errors a retry a moment later may not meet (a statement timeout, a read-only
 * or full or restarting server, a lost connection, a serialization failure): they answer
 * 503 db_unavailable with Retry-After, never 500. */
bool db_transient(const char *state);

/* True when the thread's connection is unusable right now. */
bool db_broken(const db_t *db);

/* Whether the database answers a trivial query on this thread's connection. */
bool db_ping(void);

/* A bytea parameter: "\\x" and hex of p, allocated in the arena; NULL when out of memory. */
char *db_bytea(void *arena, const void *p, size_t n);
/* The SHA-256 of the text token as a bytea parameter (how tokens are looked up: the database
 * keeps only their hashes), allocated from arena (an arena_t); NULL when out of memory. */
char *db_token_hash(void *arena, const char *token);

/* A bytea column value decoded (malloc'd, caller frees); NULL on a bad value. */
unsigned char *db_unbytea(const char *text, size_t *len);

/* A one-off connection for commands (migrate, dev); NULL with a message in err. */
PGconn *db_connect_once(const char *conninfo, char *err, size_t errlen);

#endif
