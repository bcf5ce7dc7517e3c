/* Operating data (API.md "Operating data"): every collection shares these handlers, driven
 * by a description of the collection. The SQL of each operation lives in the database as
 * app.<name>_page/_get/_create/_update/_delete (sql/004), so a request is one statement
 * and the row-level security policies apply to every one. */
#ifndef PLANYARD_API_RECORDS_H
#define PLANYARD_API_RECORDS_H

#include "../db.h"
#include "../http.h"
#include "reply.h"

enum { REC_RANGE_REQUIRED = 1, REC_RANGE_OPTIONAL = 2 };


struct resource {
	const char *name;                 /* "customers" */
	const char *singular;             /* "customer", for messages */
	const jsonv_field_t *filters;     /* query parameters of the list (strings) */
	unsigned flags;
	const struct reply_ref *refs;       /* NULL-terminated */
	db_stmt_t page, get, create, update, del;
};

extern struct resource res_customers, res_regions, res_projects, res_employees, res_crews, res_pours,
	res_assignments, res_reminders, res_trips, res_travelers;
/* Listed with rec_list too (only their _page functions exist). */
extern struct resource res_audit, res_members, res_invitations;

/* The opaque cursor of a list is base64url of the page function's key "<key>|<uuid>", at
 * most REC_CURSOR_MAX characters. Decodes v into out (cap bytes, at least strlen(v) + 1):
 * 0, or -1 when it is not such a cursor. Pure. */
#define REC_CURSOR_MAX 200
int rec_cursor_decode(const char *v, char *out, size_t cap);

/* The list filters of rs from the query string as a JSON object (the caller frees it), the
 * way rec_list reads them; NULL after answering 400. */
json_t *rec_filters(req_t *r, const struct resource *rs);

/* Builds the statements of every collection; call once at start. */
void records_init(void);

/* Route handlers; route->ctx is the struct resource. */
int rec_list(req_t *r);
int rec_get(req_t *r);
int rec_create(req_t *r);
int rec_update(req_t *r);
int rec_delete(req_t *r);

int rec_pour_cancel(req_t *r);
int rec_crew_members(req_t *r);
int rec_manpower(req_t *r);
int rec_trip_travelers(req_t *r);
int rec_trip_traveler_create(req_t *r);
int rec_trip_reminders(req_t *r);

/* reply_db_error about a record of rs (NULL: any record). */
int rec_db_error(req_t *r, const struct resource *res, PGresult *res_or_null, bool deleting);

#endif
