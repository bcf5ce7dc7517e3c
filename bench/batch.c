/* Several GET /pours reads per round trip: what batching requests on one database connection
 * would save PostgreSQL (bench/notes.md, 2026-12-08). Each thread sends K copies of the
 * server's two statements (src/gate.c's session check, then the week's page), each copy
 * closed by its own sync, so each is its own implicit transaction as in the server, then
 * reads the K answers. Run it against bench/run.sh's cluster while it holds its 1,000
 * workspaces, with bench.py cpu around it for PostgreSQL's CPU per request:
 *
 *   cc -O2 -o build/batch bench/batch.c -I/usr/include/postgresql -lpq -lpthread
 *   build/batch SOCKET_DIR K SECONDS THREADS
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 16
#define WORKSPACES 1000
#define WEEKS 52

static const char *host;
static int per_trip, seconds;
static long served[MAX_THREADS];

static const char session_sql[] =
	"select session_id, user_id, tenant_id, role, aal, email, impersonation_id, tenant_status, "
	"require_mfa, mfa_enabled, set_config('app.client_ip', '127.0.0.1', true), "
	"set_config('app.impersonation_staff', case when impersonation_id is null then '' "
	"else coalesce((select staff from app.session_impersonation()), '') end, true) "
	"from app.request_begin($1)";
static const char page_sql[] = "select j, k from app.pours_page($1::jsonb, 50::int, null::text)";

static void die(const char *what, const char *why)
{
	fprintf(stderr, "batch: %s: %s\n", what, why);
	exit(1);
}

/* The filter of week w of the loaded year (from Monday 2025-01-06). */
static void week_filter(int w, char *out, size_t n)
{
	time_t from = 1736164800 + (time_t)w * 7 * 86400;  /* 2025-01-06 12:00 UTC */
	time_t to = from + 6 * 86400;
	struct tm a, b;
	gmtime_r(&from, &a);
	gmtime_r(&to, &b);
	char fa[16], fb[16];
	strftime(fa, sizeof fa, "%Y-%m-%d", &a);
	strftime(fb, sizeof fb, "%Y-%m-%d", &b);
	snprintf(out, n, "{\"from\":\"%s\",\"to\":\"%s\"}", fa, fb);
}

static void expect(PGconn *c, ExecStatusType want)
{
	PGresult *r = PQgetResult(c);
	if (!r || PQresultStatus(r) != want)
		die("answer", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	if (want != PGRES_PIPELINE_SYNC && (r = PQgetResult(c)) != NULL)
		die("answer", "more than one result");
}

static void *client(void *arg)
{
	long id = (long)arg;
	unsigned seed = (unsigned)id * 7919u + 1;
	const char *keys[] = { "host", "dbname", "user", NULL };
	const char *vals[] = { host, "planyard", "planyard_app", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", PQerrorMessage(c));
	PQclear(PQprepare(c, "session", session_sql, 1, NULL));
	PQclear(PQprepare(c, "page", page_sql, 1, NULL));
	time_t end = time(NULL) + seconds;
	long n = 0;
	while (time(NULL) < end) {
		if (PQenterPipelineMode(c) != 1)
			die("pipeline", PQerrorMessage(c));
		for (int i = 0; i < per_trip; i++) {
			char key[32], filter[64];
			snprintf(key, sizeof key, "benchkey-%d", (int)(rand_r(&seed) % WORKSPACES) + 1);
			week_filter((int)(rand_r(&seed) % WEEKS), filter, sizeof filter);
			const char *p1[] = { key }, *p2[] = { filter };
			if (PQsendQueryPrepared(c, "session", 1, p1, NULL, NULL, 0) != 1 ||
			    PQsendQueryPrepared(c, "page", 1, p2, NULL, NULL, 0) != 1 || PQpipelineSync(c) != 1)
				die("send", PQerrorMessage(c));
		}
		for (int i = 0; i < per_trip; i++) {
			expect(c, PGRES_TUPLES_OK);
			expect(c, PGRES_TUPLES_OK);
			expect(c, PGRES_PIPELINE_SYNC);
		}
		if (PQexitPipelineMode(c) != 1)
			die("pipeline", PQerrorMessage(c));
		n += per_trip;
	}
	served[id] = n;
	PQfinish(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fputs("usage: batch SOCKET_DIR K SECONDS THREADS\n", stderr);
		return 2;
	}
	host = argv[1];
	per_trip = atoi(argv[2]);
	seconds = atoi(argv[3]);
	int threads = atoi(argv[4]);
	if (per_trip < 1 || seconds < 1 || threads < 1 || threads > MAX_THREADS)
		die("arguments", "K, SECONDS and THREADS (at most 16) are positive");
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, client, (void *)i);
	long total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += served[i];
	}
	printf("tps = %.1f\n", (double)total / seconds);
	return 0;
}
