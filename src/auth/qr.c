#include "qr.h"

#include <stdlib.h>
#include <string.h>
#include <qrencode.h>

#include "../buf.h"

#define QUIET 4 /* modules of white border, as ISO/IEC 18004 asks */

char *qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!q)
		return NULL;
	int w = q->width, size = w + 2 * QUIET;
	buf_t b = BUF_INIT(1u << 20);
	buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		       "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		       "<path fill=\"#000\" d=\"", size, size, size, size);
	/* one rectangle per horizontal run of dark modules */
	for (int y = 0; y < w; y++) {
		const unsigned char *row = q->data + (size_t)y * (size_t)w;
		for (int x = 0; x < w;) {
			if (!(row[x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (row[x + run] & 1))
				run++;
			buf_printf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run;
		}
	}
	buf_puts(&b, "\"/></svg>");
	QRcode_free(q);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}
