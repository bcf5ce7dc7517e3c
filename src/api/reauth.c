#include "reauth.h"

#include "../auth/password.h"

void reauth_job(req_t *r)
{
	struct reauth *c = r->cont_data;
	c->verified = password_verify(c->password, c->hash);
}
