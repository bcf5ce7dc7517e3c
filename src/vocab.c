#include "vocab.h"

#include <string.h>

const char *const vocab_roles[] = { "viewer", "scheduler", "admin", "owner", NULL };
_Static_assert(ROLE_VIEWER == 1 && ROLE_SCHEDULER == 2 && ROLE_ADMIN == 3 && ROLE_OWNER == 4,
	       "vocab_roles[r - 1] names role r");
const char *const vocab_trades[] = { "placer", "finisher", "pump_operator", "driver", "foreman", "laborer", NULL };
const char *const vocab_pour_statuses[] = { "tentative", "confirmed", "completed", "canceled", NULL };
const char *const vocab_reminder_statuses[] = { "pending", "sent", "failed", NULL };
const char *const vocab_channels[] = { "email", "sms", NULL };
const char *const vocab_employee_channels[] = { "email", "sms", "both", NULL };
const char *const vocab_subject_types[] = { "customer", "project", "pour", "trip", NULL };
const char *const vocab_trip_statuses[] = { "inquiry", "booked", "traveling", "done", "canceled", NULL };
const char *const vocab_workspace_kinds[] = { "field", "trips", NULL };
const char *const vocab_trip_templates[] = { "standard", "final_payment", "documents", NULL };

enum role vocab_role(const char *s)
{
	for (int i = 0; s && vocab_roles[i]; i++)
		if (strcmp(s, vocab_roles[i]) == 0)
			return (enum role)(i + 1);
	return ROLE_NONE;
}

const char *vocab_role_name(enum role r)
{
	return r >= ROLE_VIEWER && r <= ROLE_OWNER ? vocab_roles[r - 1] : "none";
}
