#include "cells.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../jsonv.h"

size_t cell_utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Text is never a formula: it goes in as a string cell, and one starting with = + - @ (or a
 * tab or CR) gets a leading apostrophe, so that editing the cell or saving the sheet as CSV
 * can't turn it into one either. Over-long text is cut at a character boundary. */
static size_t text_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *v, size_t n)
{
	bool formula = n && strchr("=+-@\t\r", v[0]);
	if (n > CELL_MAX_TEXT) {
		n = CELL_MAX_TEXT;
		while (n && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	char *s = malloc(n + 2);
	if (!s)
		return 0;
	size_t k = 0;
	if (formula)
		s[k++] = '\'';
	memcpy(s + k, v, n);
	s[k + n] = '\0';
	worksheet_write_string(ws, row, col, s, NULL);
	free(s);
	return cell_utf8_chars(v, n) + (formula ? 1 : 0);
}

static bool hh_mm_ss(const char *v, size_t n)
{
	static const char form[] = "99:99:99";
	if (n < 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (form[i] == '9' ? v[i] < '0' || v[i] > '9' : v[i] != ':')
			return false;
	return true;
}

size_t cell_write(lxw_worksheet *ws, const struct formats *f, lxw_row_t row, lxw_col_t col, enum cell type,
		  const char *v, size_t n)
{
	switch (type) {
	case DATE: {
		if (!jsonv_is_date(v))      /* infinity, a year past 9999, BC: as text */
			return text_cell(ws, row, col, v, n);
		lxw_datetime dt = { (int)strtol(v, NULL, 10), (int)strtol(v + 5, NULL, 10), (int)strtol(v + 8, NULL, 10),
				    0, 0, 0.0 };
		worksheet_write_datetime(ws, row, col, &dt, f->date);
		return 10;
	}
	case TIME: {
		/* HH:MM:SS[.ffffff] as the fraction of a day */
		if (!hh_mm_ss(v, n))
			return text_cell(ws, row, col, v, n);
#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
		long h = D2(v), m = D2(v + 3), s = D2(v + 6);   /* exactly two digits each */
#undef D2
		worksheet_write_number(ws, row, col, (double)(h * 3600 + m * 60 + s) / 86400.0, f->time);
		return 5;
	}
	case NUMBER:
		worksheet_write_number(ws, row, col, strtod(v, NULL), f->number);
		return n + 1;
	case INTEGER:
		worksheet_write_number(ws, row, col, strtod(v, NULL), NULL);
		return n;
	case BOOL:
		worksheet_write_boolean(ws, row, col, v[0] == 't', NULL);
		return 5;
	case TEXT:
	default:
		return text_cell(ws, row, col, v, n);
	}
}
