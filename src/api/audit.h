/* Handlers of API.md "Audit log" beyond the list (records.c, over res_audit): verifying the
 * hash chain and the log as CSV. */
#ifndef PLANYARD_API_AUDIT_H
#define PLANYARD_API_AUDIT_H

#include "../buf.h"
#include "../http.h"

int api_audit_verify(req_t *r);
int api_audit_csv(req_t *r);

/* Appends v (n bytes) to b as one RFC 4180 CSV field: quoted when it holds a comma, quote or
 * line break; a leading = + - @ tab or CR gets a quote and an apostrophe, so a spreadsheet
 * never runs it as a formula. Failure (b full) is b's, as with every buf_ append. */
void audit_csv_cell(buf_t *b, const char *v, size_t n);

#endif
