#include "static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "headers.h"

static const char *dir;

void static_init(const char *web_dir)
{
	dir = web_dir;
}

static bool safe(const char *p)
{
	if (strstr(p, "..") || strchr(p, '\\') || strstr(p, "//"))
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20)
			return false;
	return true;
}

static int serve_file(req_t *r, const char *name)
{
	const char *type = headers_content_type(name);
	if (dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, name);
		FILE *f = fopen(path, "rb");
		if (!f)
			return -1;
		buf_t b = BUF_INIT(16u << 20);
		char tmp[8192];
		size_t n;
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			if (buf_append(&b, tmp, n) < 0)
				break;
		fclose(f);
		req_body(r, 200, type, b.data, b.len);
		return 0;
	}
	for (size_t i = 0; i < embedded_web_count; i++)
		if (strcmp(embedded_web[i].name, name) == 0) {
			req_static(r, 200, type, embedded_web[i].data, embedded_web[i].len);
			return 0;
		}
	return -1;
}

/* The screens of the web app (web/app.js, ROUTES; test_http_edges keeps the two in step):
 * their paths, with or without a trailing slash, get the app with 200; any other page path
 * gets it with 404, so the app says "No such page" and a crawler or a script sees no page. */
static const char *const screens[] = {
	"/", "/signin", "/signup", "/confirm", "/confirm-email", "/forgot", "/reset", "/invite", "/impersonate", "/week",
	"/customers", "/projects", "/crews", "/employees", "/assignments", "/reminders", "/regions",
	"/calendar", "/trips", "/trip",
	"/admin/members", "/admin/settings", "/admin/audit", "/admin/access", "/admin/exports", "/admin/billing", "/account",
};

bool static_is_screen(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	for (size_t i = 0; i < ARRAY_LEN(screens); i++)
		if (strlen(screens[i]) == n && strncmp(screens[i], path, n) == 0)
			return true;
	return false;
}

int static_serve(req_t *r)
{
	const char *p = r->path;
	while (*p == '/')
		p++;
	if (*p && safe(p) && serve_file(r, p) == 0)
		return 0;
	/* the crew page (a crew link, PUBLIC_URL/crew#token=...): a page of its own, outside the app */
	if ((strcmp(r->path, "/crew") == 0 || strcmp(r->path, "/crew/") == 0) && serve_file(r, "crew.html") == 0)
		return 0;
	const char *last = strrchr(r->path, '/');
	if (!*p || (last && !strchr(last, '.'))) {
		if (serve_file(r, "index.html") == 0) {
			if (!static_is_screen(r->path))
				r->status = 404;
			return 0;
		}
	}
	static const char nf[] = "<!doctype html><title>Not found</title><p>No such page.</p>\n";
	req_static(r, 404, "text/html; charset=utf-8", nf, sizeof nf - 1);
	return 0;
}
