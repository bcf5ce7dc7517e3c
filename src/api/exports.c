#include "exports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "../app.h"
#include "../buf.h"
#include "../db.h"
#include "../gate.h"
#include "../jsonv.h"
#include "../log.h"
#include "cells.h"
#include "records.h"
#include "reply.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define MAX_DAYS 92
#define MAX_WIDTH 60

/* ---- the date range of a spreadsheet ---- */

static void range_error(req_t *r, const char *field, const char *code, const char *message)
{
	reply_field_problem(r, 400, "validation_failed", message, field, code, message);
}

/* from and to: dates, to on or after from, at most 92 days apart. 400 and -1 otherwise. */
static int date_range(req_t *r, const char **from, const char **to)
{
	*from = req_query(r, "from");
	*to = req_query(r, "to");
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "to" : "from", *v = i ? *to : *from;
		if (!v || !jsonv_is_date(v)) {
			range_error(r, name, v ? "invalid" : "required", i ? "to is required: a date (YYYY-MM-DD)"
									 : "from is required: a date (YYYY-MM-DD)");
			return -1;
		}
	}
	long days = jsonv_date_days(*from, *to);
	if (days < 0 || days > MAX_DAYS) {
		range_error(r, "to", "invalid", "to must be on or after from, at most 92 days apart");
		return -1;
	}
	return 0;
}

/* ---- workbooks ---- */

struct column {
	const char *header;
	enum cell type;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	buf_t b = BUF_INIT(256u << 20);
	char tmp[16384];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
		buf_append(&b, tmp, n);
	bool bad = ferror(fp) || b.failed || !b.data;
	fclose(fp);
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* A workbook of one sheet: a bold header row frozen above the rows of res (one cell per
 * column, NULL left empty), an autofilter, and widths that fit the content. *out is
 * malloc'd (caller frees); 0, or -1 when it could not be made. The file libxlsxwriter
 * needs lives in the temporary directory only while this runs. */
static int workbook(const char *sheet, const struct column *cols, int ncols, PGresult *res, char **out, size_t *len)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char path[4096];
	snprintf(path, sizeof path, "%s/planyard-export-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	lxw_workbook_options opt = { .constant_memory = LXW_FALSE, .tmpdir = (char *)dir, .use_zip64 = LXW_FALSE };
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, sheet) : NULL;
	int rc = -1;
	if (!ws)
		goto out;
	struct formats f = { workbook_add_format(wb), workbook_add_format(wb), workbook_add_format(wb),
			     workbook_add_format(wb) };
	format_set_bold(f.header);
	format_set_bottom(f.header, LXW_BORDER_THIN);
	format_set_num_format(f.date, "yyyy-mm-dd");
	format_set_num_format(f.time, "hh:mm");
	format_set_num_format(f.number, "0.00");
	size_t width[32] = { 0 };
	for (int c = 0; c < ncols && c < 32; c++) {
		worksheet_write_string(ws, 0, (lxw_col_t)c, cols[c].header, f.header);
		width[c] = cell_utf8_chars(cols[c].header, strlen(cols[c].header));
	}
	int rows = PQntuples(res);
	for (int i = 0; i < rows; i++)
		for (int c = 0; c < ncols && c < 32; c++) {
			if (PQgetisnull(res, i, c))
				continue;
			size_t w = cell_write(ws, &f, (lxw_row_t)(i + 1), (lxw_col_t)c, cols[c].type, PQgetvalue(res, i, c),
					      (size_t)PQgetlength(res, i, c));
			if (w > width[c])
				width[c] = w;
		}
	for (int c = 0; c < ncols && c < 32; c++)
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, (double)(width[c] > MAX_WIDTH ? MAX_WIDTH : width[c]) + 2,
				     NULL);
	worksheet_freeze_panes(ws, 1, 0);
	worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, (lxw_col_t)(ncols - 1));
	lxw_error e = workbook_close(wb);
	wb = NULL;
	if (e != LXW_NO_ERROR) {
		log_error("the workbook could not be written: %s", lxw_strerror(e));
		goto out;
	}
	*out = slurp(path, len);
	rc = *out ? 0 : -1;
out:
	if (wb)
		workbook_close(wb);
	unlink(path);
	return rc;
}

/* Runs q over [from, to] (and, when region is set, the optional region_id as $3) and
 * answers the workbook as an attachment. */
static int export_xlsx(req_t *r, db_stmt_t *q, const char *name, const char *sheet, const struct column *cols,
		       int ncols, bool region)
{
	const char *from, *to;
	if (date_range(r, &from, &to) < 0)
		return 0;
	const char *region_id = region ? req_query(r, "region_id") : NULL;
	if (region_id && !jsonv_is_uuid(region_id)) {
		range_error(r, "region_id", "invalid", "region_id must be the id of a region");
		return 0;
	}
	const char *p[] = { from, to, region_id };
	PGresult *res;
	if (db_run(r->db, q, region ? 3 : 2, p, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	char *body = NULL;
	size_t len = 0;
	int rc = PQnfields(res) == ncols ? workbook(sheet, cols, ncols, res, &body, &len) : -1;
	PQclear(res);
	if (rc < 0) {
		req_problem(r, 500, "internal_error", "the workbook could not be made");
		return 0;
	}
	char *cd = arena_printf(&r->arena, "attachment; filename=\"%s-%s-%s.xlsx\"", name, from, to);
	if (cd)
		req_header(r, "Content-Disposition", cd);
	req_body(r, 200, XLSX_TYPE, body, len);
	return 0;
}

int api_export_schedule(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select scheduled_date, start_time, project, address, customer, region, crew, people, volume_cy, mix, pump, "
		"crew_size_needed, status, cancel_reason, notes from app.export_schedule($1::date, $2::date, $3::uuid)");
	static const struct column cols[] = {
		{ "Date", DATE }, { "Start", TIME }, { "Project", TEXT }, { "Address", TEXT }, { "Customer", TEXT },
		{ "Region", TEXT }, { "Crew", TEXT }, { "Assigned", TEXT }, { "Volume (cy)", NUMBER }, { "Mix", TEXT },
		{ "Pump", BOOL }, { "Crew size needed", INTEGER }, { "Status", TEXT }, { "Cancel reason", TEXT },
		{ "Notes", TEXT },
	};
	return export_xlsx(r, &q, "schedule", "Schedule", cols, (int)ARRAY_LEN(cols), true);
}

int api_export_manpower(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select day, region, needed, assigned, available from app.export_manpower($1::date, $2::date)");
	static const struct column cols[] = {
		{ "Date", DATE }, { "Region", TEXT }, { "Needed", INTEGER }, { "Assigned", INTEGER }, { "Available", INTEGER },
	};
	return export_xlsx(r, &q, "manpower", "Manpower", cols, (int)ARRAY_LEN(cols), false);
}

/* The trips that overlap [from, to] (by their days), and their travellers. */
int api_export_trips(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select start_date, end_date, name, customer, destination, status, travelers, notes "
		"from app.export_trips($1::date, $2::date)");
	static const struct column cols[] = {
		{ "Start", DATE }, { "End", DATE }, { "Trip", TEXT }, { "Client", TEXT }, { "Destination", TEXT },
		{ "Status", TEXT }, { "Travelers", INTEGER }, { "Notes", TEXT },
	};
	return export_xlsx(r, &q, "trips", "Trips", cols, (int)ARRAY_LEN(cols), false);
}

int api_export_travelers(req_t *r)
{
	static db_stmt_t q = DB_STMT(
		"select trip, start_date, end_date, name, birth_date, contact, notes from app.export_travelers($1::date, $2::date)");
	static const struct column cols[] = {
		{ "Trip", TEXT }, { "Start", DATE }, { "End", DATE }, { "Traveler", TEXT }, { "Birth date", DATE },
		{ "Contact", TEXT }, { "Notes", TEXT },
	};
	return export_xlsx(r, &q, "travelers", "Travelers", cols, (int)ARRAY_LEN(cols), false);
}

/* ---- the whole workspace, streamed ---- */

/* The arrays of the export, in order; each cursor yields one JSON value per row, in the
 * order of an index, so PostgreSQL streams it too. */
#define ROWS(t) "select app." t "_json(c) from app." t " c where c.tenant_id = app.current_tenant() order by c.id"
#define CURSOR "declare dump no scroll cursor for "
static struct section {
	const char *name;
	db_stmt_t declare;
} sections[] = {
	{ "members", DB_STMT(CURSOR "select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, "
			     "'role', m.role, 'mfa_enabled', u.totp_enabled_at is not null, "
			     "'joined_at', app.ts(m.created_at)) "
			     "from app.memberships m join app.users u on u.id = m.user_id "
			     "where m.tenant_id = app.current_tenant() order by m.user_id") },
	{ "customers", DB_STMT(CURSOR ROWS("customers")) },
	{ "regions", DB_STMT(CURSOR ROWS("regions")) },
	{ "projects", DB_STMT(CURSOR ROWS("projects")) },
	{ "employees", DB_STMT(CURSOR ROWS("employees")) },
	{ "crews", DB_STMT(CURSOR ROWS("crews")) },
	{ "pours", DB_STMT(CURSOR ROWS("pours")) },
	{ "assignments", DB_STMT(CURSOR ROWS("assignments")) },
	{ "reminders", DB_STMT(CURSOR ROWS("reminders")) },
	{ "trips", DB_STMT(CURSOR ROWS("trips")) },
	{ "travelers", DB_STMT(CURSOR ROWS("travelers")) },
	{ "audit_log", DB_STMT(CURSOR "select app.audit_json(a) from app.audit_log a "
			       "where a.tenant_id = app.current_tenant() order by a.seq") },
};
#define BATCH 500
static db_stmt_t fetch = DB_STMT("fetch 500 from dump");
static db_stmt_t close_cursor = DB_STMT("close dump");

/* The export's own connection (db_open), in one REPEATABLE READ transaction opened like any
 * request's (app.request_begin: the session, client IP and staff name; the policies apply
 * as to any request), read a batch at a time while the body is sent. It can't be the
 * worker's connection: that one serves other requests meanwhile. */
struct dump {
	db_t *db;
	buf_t out;          /* made, not yet handed to the server */
	size_t sent;        /* of out */
	size_t section;     /* the one being written; ARRAY_LEN(sections) when all are */
	bool open;          /* its cursor is declared */
	bool first;         /* no row of it written yet */
	bool ended;
};

static bool run_ok(db_t *db, db_stmt_t *s)
{
	PGresult *res;
	int rc = db_run(db, s, 0, NULL, &res);
	if (res)
		PQclear(res);
	return rc == 0;
}

static void dump_release(void *cls)
{
	struct dump *d = cls;
	db_close(d->db);
	buf_free(&d->out);
	free(d);
}

/* Appends the next piece of the body to d->out: a batch of rows, or the end. */
static int dump_step(struct dump *d)
{
	if (d->section == ARRAY_LEN(sections)) {
		buf_puts(&d->out, "}\n");
		d->ended = true;
		return db_commit(d->db) == 0 && !d->out.failed ? 0 : -1;
	}
	struct section *s = &sections[d->section];
	if (!d->open) {
		if (!run_ok(d->db, &s->declare))
			return -1;
		buf_printf(&d->out, ",\"%s\":[", s->name);
		d->open = true;
		d->first = true;
	}
	_Static_assert(BATCH == 500, "BATCH is the count of the FETCH statement");
	PGresult *res;
	if (db_run(d->db, &fetch, 0, NULL, &res) < 0) {
		if (res)
			PQclear(res);
		return -1;
	}
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		if (!d->first)
			buf_puts(&d->out, ",");
		d->first = false;
		buf_append(&d->out, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
	}
	PQclear(res);
	if (n < BATCH) {
		buf_puts(&d->out, "]");
		if (!run_ok(d->db, &close_cursor))
			return -1;
		d->open = false;
		d->section++;
	}
	return d->out.failed ? -1 : 0;
}

static long dump_read(void *cls, char *buf, size_t max)
{
	struct dump *d = cls;
	while (d->sent == d->out.len) {
		if (d->ended)
			return 0;
		buf_reset(&d->out);
		d->sent = 0;
		if (dump_step(d) < 0) {
			const char *m = db_error_message(d->db);
			log_warn("workspace export cut short: %.*s", (int)strcspn(m, "\n"), m);
			return -1;
		}
	}
	size_t n = d->out.len - d->sent < max ? d->out.len - d->sent : max;
	memcpy(buf, d->out.data + d->sent, n);
	d->sent += n;
	return (long)n;
}

/* Opens the export's connection and transaction for the signed-in session and writes the
 * head of the body (the workspace object). NULL when the database can't be reached or the
 * session ended meanwhile; *slug receives the workspace's slug (arena). */
static struct dump *dump_open(req_t *r, const char **slug)
{
	/* SET LOCAL: behind pgbouncer in transaction mode nothing may outlive the transaction;
	 * a slow reader leaves it idle between batches for longer than a request would */
	static db_stmt_t timeouts = DB_STMT("select set_config('statement_timeout', $1, true), "
					    "set_config('idle_in_transaction_session_timeout', '300000', true)");
	static db_stmt_t head = DB_STMT("select app.workspace_get()::text, app.ts(now()), "
					"(select t.slug from app.tenants t where t.id = app.current_tenant())");
	struct dump *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->out = BUF_INIT(64u << 20);
	d->db = db_open();
	if (!d->db || db_begin_snapshot(d->db) < 0)
		goto fail;
	char ms[32];
	snprintf(ms, sizeof ms, "%ld", app_settings->db_statement_timeout_ms);
	const char *p[] = { ms };
	PGresult *res;
	if (db_run(d->db, &timeouts, 1, p, &res) < 0) {
		if (res)
			PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (gate_session_begin(r, d->db) < 0)
		goto fail;
	bool ok = db_run(d->db, &head, 0, NULL, &res) == 0 && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
	if (ok) {
		buf_puts(&d->out, "{\"format\":\"planyard-workspace/1\",\"exported_at\":\"");
		buf_puts(&d->out, PQgetvalue(res, 0, 1));
		buf_puts(&d->out, "\",\"workspace\":");
		buf_puts(&d->out, PQgetvalue(res, 0, 0));
		*slug = arena_strdup(&r->arena, PQgetvalue(res, 0, 2));
	}
	if (res)
		PQclear(res);
	if (!ok || d->out.failed)
		goto fail;
	return d;
fail:
	dump_release(d);
	return NULL;
}

int api_export_workspace(req_t *r)
{
	static db_stmt_t audit = DB_STMT(
		"select app.audit('workspace.exported', 'workspace', app.current_tenant()::text, '{}')");
	PGresult *res;
	if (db_run(r->db, &audit, 0, NULL, &res) < 0)
		return reply_db_error(r, NULL, res, false);
	PQclear(res);
	const char *slug = NULL;
	struct dump *d = dump_open(r, &slug);
	if (!d) {
		/* the session may have ended since the audit row (401, as gate_session_begin said) */
		if (r->status != 401)
			req_problem(r, 503, "db_unavailable", "the export could not start; try again shortly");
		return 0;
	}
	char *cd = slug ? arena_printf(&r->arena, "attachment; filename=\"workspace-%s.json\"", slug) : NULL;
	if (cd)
		req_header(r, "Content-Disposition", cd);
	req_stream(r, 200, "application/json", dump_read, dump_release, d);
	return 0;
}
