/* The writers of exported cells: CSV (audit_csv_cell) and spreadsheet cells (cell_write).
 * Input: a first byte choosing the column's type, then the value as PostgreSQL's text form
 * would be (it ends at the first NUL). Contracts: a CSV cell reads back as the value (with
 * the formula guard's apostrophe in front of = + - @ tab CR) and is quoted when it must be;
 * a spreadsheet cell is written without crashing whatever the text, at a width that is not
 * more than its characters plus one (text), its length plus one (numbers), or that of a date. The workbook is written row after row in constant
 * memory and started anew every 100,000 rows. */
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/audit.h"
#include "api/cells.h"
#include "buf.h"
#include "fuzz.h"

static lxw_workbook *wb;
static lxw_worksheet *ws;
static struct formats f;
static lxw_row_t row;
static char path[64];

static void sheet(void)
{
	if (wb) {
		workbook_close(wb);
		unlink(path);
	}
	snprintf(path, sizeof path, "/tmp/planyard-fuzz-cells-%d.xlsx", (int)getpid());
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = "/tmp", .use_zip64 = LXW_FALSE };
	wb = workbook_new_opt(path, &opt);
	CHECK(wb);
	ws = workbook_add_worksheet(wb, "fuzz");
	f = (struct formats){ workbook_add_format(wb), workbook_add_format(wb), workbook_add_format(wb),
			      workbook_add_format(wb) };
	format_set_num_format(f.date, "yyyy-mm-dd");
	row = 0;
}

/* Reads back one CSV cell as a spreadsheet program would. */
static char *csv_read(const char *c, size_t n, size_t *len)
{
	char *out = malloc(n + 1);
	CHECK(out);
	size_t k = 0;
	if (n && c[0] == '"') {
		CHECK(n >= 2 && c[n - 1] == '"');
		for (size_t i = 1; i + 1 < n; i++) {
			if (c[i] == '"') {
				CHECK(i + 2 < n && c[i + 1] == '"');
				i++;
			}
			out[k++] = c[i];
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			CHECK(c[i] != ',' && c[i] != '"' && c[i] != '\n' && c[i] != '\r');
			out[k++] = c[i];
		}
	}
	out[k] = '\0';
	*len = k;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *v = fuzz_str(data + 1, size - 1);
	size_t n = strlen(v);

	buf_t b = BUF_INIT(1u << 20);
	audit_csv_cell(&b, v, n);
	CHECK(!b.failed);
	size_t len;
	char *back = csv_read(b.data ? b.data : "", b.len, &len);
	int guarded = n && strchr("=+-@\t\r", v[0]);
	CHECK(len == n + (guarded ? 1 : 0));
	CHECK(memcmp(back + (guarded ? 1 : 0), v, n) == 0);
	CHECK(!guarded || back[0] == '\'');
	free(back);
	buf_free(&b);

	if (!wb || row >= 100000)
		sheet();
	enum cell type = (enum cell)(data[0] % 6);
	size_t w = cell_write(ws, &f, row++, 0, type, v, n);
	if (type == TEXT)
		CHECK(w <= cell_utf8_chars(v, n) + 1);
	else if (type == NUMBER || type == INTEGER)
		CHECK(w <= n + 1);
	else
		CHECK(w <= 10 || cell_utf8_chars(v, n) + 1 >= w);   /* a date, time or boolean, or as text */
	free(v);
	return 0;
}
