#include "reauth.h"

#include <string.h>

#include "../auth/password.h"
#include "../db.h"
#include "../gate.h"
#include "reply.h"

void reauth_job(req_t *r)
{
	struct reauth *c = r->cont_data;
	c->verified = password_verify(c->password, c->hash);
}

/* 10 wrong tries per 15 minutes per account, keyed in the database on the live session's
 * user: the request role can't name another account's counter. */
int reauth_limited(req_t *r)
{
	static db_stmt_t q = DB_STMT("select app.reauth_retry_after()");
	PGresult *res;
	if (db_run(r->db, &q, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return 0;   /* never locks out on an outage */
	}
	const char *v = PQgetvalue(res, 0, 0);
	const char *wait = strcmp(v, "0") == 0 ? NULL : arena_strdup(&r->arena, v);
	PQclear(res);
	if (wait) {
		reply_too_many(r, wait);
		return 1;
	}
	return 0;
}

int reauth_failed(req_t *r)
{
	static db_stmt_t hit = DB_STMT("select app.reauth_failed()");
	if (db_run(r->db, &hit, 0, NULL, NULL) < 0)
		return reply_db_fault(r);
	r->commit_on_error = true;
	return 0;
}
