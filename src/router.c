#include "router.h"

#include <string.h>

/* Does pattern match path? Fills params with the brace segments. */
static bool match(const char *pat, const char *path, arena_t *arena, const char **params, int *np)
{
	int n = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}');
			if (!pe)
				return false;
			const char *se = strchr(path, '/');
			size_t len = se ? (size_t)(se - path) : strlen(path);
			if (len == 0 || n >= REQ_MAX_PARAMS)
				return false;
			if (params) {
				params[n] = arena_strndup(arena, path, len);
				if (!params[n])
					return false;
			}
			n++;
			pat = pe + 1;
			path += len;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	if (*pat || *path)
		return false;
	if (np)
		*np = n;
	return true;
}

enum router_result router_match(const route_t *rt, size_t n, const char *method, const char *path,
				arena_t *arena, const route_t **out, const char **params, int *nparams,
				const char **allow)
{
	bool path_known = false;
	char allowed[128] = "";
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	for (size_t i = 0; i < n; i++) {
		if (!match(rt[i].path, path, arena, NULL, NULL))
			continue;
		path_known = true;
		if (strcmp(rt[i].method, m) == 0) {
			if (!match(rt[i].path, path, arena, params, nparams))
				return ROUTER_NOT_FOUND;
			*out = &rt[i];
			return ROUTER_FOUND;
		}
		size_t have = strlen(allowed), add = strlen(rt[i].method);
		if (!strstr(allowed, rt[i].method) && have + add + 3 < sizeof allowed) {
			if (have) {
				memcpy(allowed + have, ", ", 2);
				have += 2;
			}
			memcpy(allowed + have, rt[i].method, add + 1);
		}
	}
	if (!path_known)
		return ROUTER_NOT_FOUND;
	if (allow)
		*allow = arena_strdup(arena, allowed);
	return ROUTER_METHOD_NOT_ALLOWED;
}
