#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

static int grow(buf_t *b, size_t need)
{
	size_t max = b->max ? b->max : (size_t)64 << 20;
	if (need > max) {
		b->failed = true;
		return -1;
	}
	if (need + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > max + 1)
		cap = max + 1;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
	if (n > SIZE_MAX - b->len - 1) {
		b->failed = true;
		return -1;
	}
	if (grow(b, b->len + n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(buf_t *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, b->len + (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_json_escape(buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		const char *out = NULL;
		size_t olen = 2;
		switch (c) {
		case '"': out = "\\\""; break;
		case '\\': out = "\\\\"; break;
		case '\n': out = "\\n"; break;
		case '\r': out = "\\r"; break;
		case '\t': out = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
				esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
				out = esc;
				olen = 6;
			}
		}
		if (out) {
			if (buf_append(b, out, olen) < 0)
				return -1;
		} else if (buf_append(b, &s[i], 1) < 0) {
			return -1;
		}
	}
	return 0;
}

size_t json_compact(char *out, const char *s, size_t n)
{
	size_t o = 0;
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_string) {
			out[o++] = c;
			if (c == '\\' && i + 1 < n)
				out[o++] = s[++i];
			else if (c == '"')
				in_string = false;
		} else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			continue;
		} else {
			out[o++] = c;
			in_string = c == '"';
		}
	}
	return o;
}

int buf_json_compact(buf_t *b, const char *s, size_t n)
{
	size_t before = b->len;
	if (buf_append(b, s, n) < 0)   /* room for all of it, then compacted in place */
		return -1;
	b->len = before + json_compact(b->data + before, s, n);
	b->data[b->len] = '\0';
	return 0;
}

void buf_reset(buf_t *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_wipe_free(buf_t *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}
