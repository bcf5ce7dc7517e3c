/* Spreadsheet cells of the exports: one value of PostgreSQL's text form written as a typed
 * cell of a libxlsxwriter worksheet. Text is never a formula. No database, no request: the
 * exports and the cell fuzz target share it. */
#ifndef PLANYARD_API_CELLS_H
#define PLANYARD_API_CELLS_H

#include <stddef.h>
#include <xlsxwriter.h>

#define CELL_MAX_TEXT 32000    /* bytes; Excel's limit is 32767 characters */

enum cell { TEXT, DATE, TIME, NUMBER, INTEGER, BOOL };

struct formats {
	lxw_format *header, *date, *time, *number;
};

/* Characters (not bytes) of UTF-8 text s of n bytes. */
size_t cell_utf8_chars(const char *s, size_t n);

/* Writes v (n bytes, NUL-terminated, in PostgreSQL's text form of type) at row, col; returns
 * its display width in characters. A value that is not of its type's form (a DATE that is not
 * YYYY-MM-DD...) is written as text. */
size_t cell_write(lxw_worksheet *ws, const struct formats *f, lxw_row_t row, lxw_col_t col, enum cell type,
		  const char *v, size_t n);

#endif
