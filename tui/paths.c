/* SPDX-License-Identifier: Apache-2.0 */
/* paths: where the console finds its bundled data and the user's
 * configuration and state. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "tui/paths.h"

#ifndef VERDICT_DATADIR
#define VERDICT_DATADIR "/usr/local/share/verdict"
#endif
#ifndef VERDICT_SRCDIR
#define VERDICT_SRCDIR "."
#endif

char *
paths_join(const char *dir, const char *name)
{
	size_t n;
	char *p;

	if (!dir || !name)
		return NULL;
	n = strlen(dir) + strlen(name) + 2;
	p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int
paths_mkdir(const char *path)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		{
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				rc = err_set(ERR_IO, "cannot make the folder %s", p);
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

bool
paths_exists(const char *path)
{
	struct stat sb;

	return path && stat(path, &sb) == 0;
}

static const struct {
	const char *installed;
	const char *source;
} data_layout[PATHS_COUNT] = {
	[PATHS_KEYS] = { "keys.default", "tui/keys.default" },
	[PATHS_THEMES] = { "themes", "themes" },
	[PATHS_KB] = { "kb/default", "kb/default" },
	[PATHS_DEMO] = { "data", "tests/data" },
};

/* An installed folder counts only when it holds keys.default, so a half
 * installed or absent one never shadows the source tree. */
static bool
installed_at(const char *dir)
{
	char *p = paths_join(dir, data_layout[PATHS_KEYS].installed);
	bool ok = paths_exists(p);

	free(p);
	return ok;
}

char *
paths_data(enum paths_item item)
{
	const char *env = getenv("VERDICT_DATADIR");

	if (env && *env && installed_at(env))
		return paths_join(env, data_layout[item].installed);
	if (installed_at(VERDICT_DATADIR))
		return paths_join(VERDICT_DATADIR, data_layout[item].installed);
	return paths_join(VERDICT_SRCDIR, data_layout[item].source);
}

/* $var/verdict, else $HOME/fallback/verdict. Relative values of $var are
 * ignored, as the XDG specification asks. */
static char *
xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");
	char *base, *p;

	if (v && *v == '/')
		return paths_join(v, "verdict");
	if (!home || !*home)
		return NULL;
	base = paths_join(home, fallback);
	p = paths_join(base, "verdict");
	free(base);
	return p;
}

char *
paths_config_dir(void)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config");
}

char *
paths_state_dir(void)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state");
}
