/* Exports (API.md "Exports"): the pour schedule and the manpower projection as real .xlsx
 * workbooks (libxlsxwriter: typed cells, a header row, frozen panes, fitted widths), and the
 * whole workspace as JSON, streamed with a server-side cursor so that memory stays the same
 * whatever the workspace's size. */
#ifndef PLANYARD_API_EXPORTS_H
#define PLANYARD_API_EXPORTS_H

#include "../http.h"

/* GET /exports/schedule.xlsx?from&to: one row per pour. */
int api_export_schedule(req_t *r);

/* GET /exports/manpower.xlsx?from&to: the manpower projection. */
int api_export_manpower(req_t *r);

/* GET /exports/trips.xlsx?from&to and /exports/travelers.xlsx?from&to: the trips that overlap
 * the range, one row each, and their travelers, one row each. */
int api_export_trips(req_t *r);
int api_export_travelers(req_t *r);

/* GET /exports/workspace.json: every record, the members and the audit log; audited as
 * workspace.exported. */
int api_export_workspace(req_t *r);

#endif
