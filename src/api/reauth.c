#include "reauth.h"

#include "../auth/password.h"
#include "../db.h"
#include "../gate.h"
#include "reply.h"

void reauth_job(req_t *r)
{
	struct reauth *c = r->cont_data;
	c->verified = password_verify(c->password, c->hash);
}

/* 10 wrong tries per 15 minutes per account. */
int reauth_limited(req_t *r)
{
	const char *wait = gate_rate_wait(r, arena_printf(&r->arena, "reauth:%s", r->auth.user_id), "10", "15 minutes");
	if (wait) {
		reply_too_many(r, wait);
		return 1;
	}
	return 0;
}

int reauth_failed(req_t *r)
{
	static db_stmt_t hit = DB_STMT("select app.rate_hit($1)");
	const char *p[] = { arena_printf(&r->arena, "reauth:%s", r->auth.user_id) };
	if (db_run(r->db, &hit, 1, p, NULL) < 0)
		return reply_db_fault(r);
	r->commit_on_error = true;
	return 0;
}
