#include "app.h"

#include <stdio.h>
#include <string.h>

const settings_t *app_settings;

const char *app_public_url(void)
{
	static char url[1024];
	if (!url[0] && app_settings && app_settings->public_url) {
		snprintf(url, sizeof url, "%s", app_settings->public_url);
		size_t n = strlen(url);
		while (n && url[n - 1] == '/')
			url[--n] = '\0';
	}
	return url;
}
