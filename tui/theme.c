/* SPDX-License-Identifier: Apache-2.0 */
/* theme: reading theme files (`style = fg bg attrs`) and reducing their
 * colours to what the terminal has. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tui/paths.h"
#include "tui/theme.h"

static const char *const style_names[STYLE_COUNT] = {
#define THEME_NAME(id, name, help) name,
	THEME_STYLES(THEME_NAME)
#undef THEME_NAME
};

static const struct {
	const char *name;
	int color;
} color_names[] = {
	{ "default", THEME_DEFAULT_COLOR },
	{ "black", 0 }, { "red", 1 }, { "green", 2 }, { "yellow", 3 },
	{ "blue", 4 }, { "magenta", 5 }, { "cyan", 6 }, { "white", 7 },
	{ "bright-black", 8 }, { "grey", 8 }, { "gray", 8 },
	{ "bright-red", 9 }, { "bright-green", 10 }, { "bright-yellow", 11 },
	{ "bright-blue", 12 }, { "bright-magenta", 13 }, { "bright-cyan", 14 },
	{ "bright-white", 15 },
};

static const struct {
	const char *name;
	unsigned attr;
} attr_names[] = {
	{ "normal", 0 }, { "bold", THEME_BOLD }, { "dim", THEME_DIM },
	{ "underline", THEME_UNDERLINE }, { "reverse", THEME_REVERSE },
	{ "italic", THEME_ITALIC }, { "standout", THEME_STANDOUT },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
theme_style_name(enum style s)
{
	return (unsigned)s < STYLE_COUNT ? style_names[s] : NULL;
}

int
theme_style_by_name(const char *name)
{
	for (int s = 0; s < STYLE_COUNT; s++)
		if (strcmp(style_names[s], name) == 0)
			return s;
	return -1;
}

void
theme_init_builtin(struct theme *t)
{
	memset(t, 0, sizeof(*t));
	for (int s = 0; s < STYLE_COUNT; s++)
		t->style[s] = (struct theme_style){ THEME_DEFAULT_COLOR,
						    THEME_DEFAULT_COLOR, 0 };
	t->style[STYLE_CURSOR].attrs = THEME_REVERSE;
	t->style[STYLE_TITLE].attrs = THEME_REVERSE;
	t->style[STYLE_HEADER].attrs = THEME_BOLD;
	t->style[STYLE_ESCAPE].attrs = THEME_UNDERLINE;
	t->style[STYLE_MARK].attrs = THEME_UNDERLINE;
	t->style[STYLE_SEARCH].attrs = THEME_REVERSE;
	t->style[STYLE_ERROR].attrs = THEME_BOLD;
	t->style[STYLE_STEP_CURRENT].attrs = THEME_BOLD;
}

void
theme_dispose(struct theme *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->path);
	t->name = t->path = NULL;
}

/* ---- colours -------------------------------------------------------------- */

/* "#rrggbb" to the nearest colour of the 256-colour cube or grey ramp. */
static int
rgb_to_256(unsigned r, unsigned g, unsigned b)
{
	static const unsigned level[6] = { 0, 95, 135, 175, 215, 255 };
	int best = 16;
	unsigned long bestd = (unsigned long)-1;

	for (int c = 16; c < 256; c++) {
		unsigned cr, cg, cb;
		long dr, dg, db;
		unsigned long d;

		if (c < 232) {
			cr = level[(c - 16) / 36];
			cg = level[(c - 16) / 6 % 6];
			cb = level[(c - 16) % 6];
		} else {
			cr = cg = cb = 8 + 10 * (unsigned)(c - 232);
		}
		dr = (long)cr - r, dg = (long)cg - g, db = (long)cb - b;
		d = (unsigned long)(dr * dr + dg * dg + db * db);
		if (d < bestd) {
			bestd = d;
			best = c;
		}
	}
	return best;
}

static int
parse_color(const char *tok, int *out)
{
	char *end;
	long v;

	for (size_t i = 0; i < NELEM(color_names); i++)
		if (strcmp(tok, color_names[i].name) == 0) {
			*out = color_names[i].color;
			return 0;
		}
	if (tok[0] == '#' && strlen(tok) == 7) {
		unsigned long rgb = strtoul(tok + 1, &end, 16);

		if (*end)
			return -1;
		*out = rgb_to_256((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255);
		return 0;
	}
	if (strncmp(tok, "color", 5) == 0)
		tok += 5;
	else if (strncmp(tok, "colour", 6) == 0)
		tok += 6;
	if (!isdigit((unsigned char)tok[0]))
		return -1;
	v = strtol(tok, &end, 10);
	if (*end || v < 0 || v > 255)
		return -1;
	*out = (int)v;
	return 0;
}

/* The 16 ANSI colours as xterm shows them, for finding the nearest. */
static const unsigned char ansi_rgb[16][3] = {
	{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
	{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
	{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
	{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
};

int
theme_color_reduce(int c, int ncolors)
{
	static const unsigned level[6] = { 0, 95, 135, 175, 215, 255 };
	unsigned r, g, b;
	unsigned long bestd = (unsigned long)-1;
	int best = 0;

	if (c < 0 || ncolors >= 256)
		return c;
	if (c >= 16) {
		if (c < 232) {
			r = level[(c - 16) / 36];
			g = level[(c - 16) / 6 % 6];
			b = level[(c - 16) % 6];
		} else {
			r = g = b = 8 + 10 * (unsigned)(c - 232);
		}
		for (int k = 0; k < 16; k++) {
			long dr = (long)ansi_rgb[k][0] - r;
			long dg = (long)ansi_rgb[k][1] - g;
			long db = (long)ansi_rgb[k][2] - b;
			unsigned long d = (unsigned long)(dr * dr + dg * dg + db * db);

			if (d < bestd) {
				bestd = d;
				best = k;
			}
		}
		c = best;
	}
	if (ncolors < 16)
		c &= 7;
	return c;
}

/* ---- parsing -------------------------------------------------------------- */

/* Parse one line into t; returns 0, or ERR_PARSE with a message that the
 * caller prefixes with the file and line. */
static int
parse_line(struct theme *t, char *line)
{
	char *eq, *name, *tok, *save = NULL;
	struct theme_style st;
	int s, ntok = 0;

	eq = strchr(line, '=');
	if (!eq)
		return err_set(ERR_PARSE, "expected `style = fg bg attrs`");
	*eq = '\0';
	name = strtok_r(line, " \t", &save);
	if (!name || strtok_r(NULL, " \t", &save))
		return err_set(ERR_PARSE, "expected one style name before `=`");
	if ((s = theme_style_by_name(name)) < 0)
		return err_set(ERR_PARSE, "unknown style \"%s\"", name);
	st = (struct theme_style){ THEME_DEFAULT_COLOR, THEME_DEFAULT_COLOR, 0 };
	save = NULL;
	for (tok = strtok_r(eq + 1, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save), ntok++) {
		size_t i;

		if (ntok < 2) {
			if (parse_color(tok, ntok == 0 ? &st.fg : &st.bg) < 0)
				return err_set(ERR_PARSE, "%s: unknown colour \"%s\" "
					       "(a name, 0-255 or #rrggbb)",
					       ntok == 0 ? "fg" : "bg", tok);
			continue;
		}
		for (i = 0; i < NELEM(attr_names); i++)
			if (strcmp(tok, attr_names[i].name) == 0)
				break;
		if (i == NELEM(attr_names))
			return err_set(ERR_PARSE, "unknown attribute \"%s\"", tok);
		st.attrs |= attr_names[i].attr;
	}
	if (ntok < 2)
		return err_set(ERR_PARSE, "style \"%s\" needs a foreground and a "
			       "background colour", name);
	t->style[s] = st;
	return 0;
}

int
theme_parse_file(struct theme *t, const char *path)
{
	struct theme work = *t;
	char line[1024];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	f = fopen(path, "r");
	if (!f)
		return err_set(ERR_IO, "%s: cannot read the theme", path);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = err_set(ERR_PARSE, "%s:%u: line too long", path, lineno);
			goto out;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t'))
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (parse_line(&work, p) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err_msg());
			rc = err_set(ERR_PARSE, "%s:%u: %s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(f))
		rc = err_set(ERR_IO, "%s: read error", path);
out:
	fclose(f);
	if (rc == 0)
		memcpy(t->style, work.style, sizeof(t->style));
	return rc;
}

/* ---- finding themes ------------------------------------------------------- */

/* Theme names are file names without a folder: nothing that walks out. */
static bool
valid_name(const char *name)
{
	if (!*name || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return false;
	return true;
}

/* The user's and the bundled theme folders, in search order. */
static void
theme_dirs(char *dirs[2])
{
	char *cfg = paths_config_dir();

	dirs[0] = cfg ? paths_join(cfg, "themes") : NULL;
	dirs[1] = paths_data(PATHS_THEMES);
	free(cfg);
}

int
theme_find(const char *name, char **path)
{
	char *dirs[2], file[256];
	int rc = ERR_NOTFOUND;

	*path = NULL;
	if (strchr(name, '/')) {
		if (!paths_exists(name))
			return err_set(ERR_NOTFOUND, "%s: no such theme file", name);
		*path = strdup(name);
		return *path ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	if (!valid_name(name) || strlen(name) > 200)
		return err_set(ERR_USAGE, "theme name \"%s\": use letters, digits, "
			       "- and _", name);
	snprintf(file, sizeof(file), "%s.theme", name);
	theme_dirs(dirs);
	for (int i = 0; i < 2 && rc < 0; i++) {
		char *p = paths_join(dirs[i], file);

		if (p && paths_exists(p)) {
			*path = p;
			rc = 0;
		} else {
			free(p);
		}
	}
	if (rc < 0)
		rc = err_set(ERR_NOTFOUND, "no theme \"%s\" (looked in %s and %s)",
			     name, dirs[0] ? dirs[0] : "(no config folder)",
			     dirs[1] ? dirs[1] : "?");
	free(dirs[0]);
	free(dirs[1]);
	return rc;
}

int
theme_load(const char *name, struct theme *t)
{
	char *path = NULL;
	int rc;

	theme_init_builtin(t);
	if ((rc = theme_find(name, &path)) < 0)
		return rc;
	if ((rc = theme_parse_file(t, path)) < 0) {
		free(path);
		return rc;
	}
	t->name = strdup(name);
	t->path = path;
	if (!t->name)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
theme_list(void)
{
	char *dirs[2];
	char **names = NULL;
	size_t n = 0, cap = 0, w = 0;

	theme_dirs(dirs);
	for (int i = 0; i < 2; i++) {
		DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
		struct dirent *de;

		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);

			if (len <= 6 || strcmp(de->d_name + len - 6, ".theme") != 0)
				continue;
			if (n + 2 > cap) {
				char **g = realloc(names, (cap = cap ? cap * 2 : 16) *
						   sizeof(*g));

				if (!g)
					break;
				names = g;
			}
			if ((names[n] = strndup(de->d_name, len - 6)) &&
			    valid_name(names[n]))
				n++;
			else
				free(names[n]);
		}
		if (d)
			closedir(d);
		free(dirs[i]);
	}
	if (!names && !(names = calloc(1, sizeof(*names))))
		return NULL;
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t r = 0; r < n; r++) {
		if (w && strcmp(names[w - 1], names[r]) == 0)
			free(names[r]);
		else
			names[w++] = names[r];
	}
	names[w] = NULL;
	return names;
}

void
theme_list_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}
