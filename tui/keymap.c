/* SPDX-License-Identifier: Apache-2.0 */
/* keymap: the action table, key names and the key file parser. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"
#include "tui/keymap.h"

static const struct {
	const char *name;
	bool changes;
	const char *help;
} actions[ACTION_COUNT] = {
#define KEYMAP_ACTION_ROW(id, name, changes, help) { name, changes, help },
	KEYMAP_ACTIONS(KEYMAP_ACTION_ROW)
#undef KEYMAP_ACTION_ROW
};

static const char *const scope_names[KEYMAP_SCOPE_COUNT] = {
#define KEYMAP_SCOPE_NAME(id, name) name,
	KEYMAP_SCOPES(KEYMAP_SCOPE_NAME)
#undef KEYMAP_SCOPE_NAME
};

/* Named keys; characters not listed here are written as themselves. */
static const struct {
	const char *name;
	int key;
} key_names[] = {
	{ "Enter", KEYMAP_ENTER }, { "Esc", KEYMAP_ESC }, { "Tab", KEYMAP_TAB },
	{ "Space", ' ' }, { "Backspace", KEYMAP_BACKSPACE },
	{ "Up", KEYMAP_UP }, { "Down", KEYMAP_DOWN }, { "Left", KEYMAP_LEFT },
	{ "Right", KEYMAP_RIGHT }, { "PgUp", KEYMAP_PGUP },
	{ "PgDn", KEYMAP_PGDN }, { "Home", KEYMAP_HOME }, { "End", KEYMAP_END },
	{ "Delete", KEYMAP_DELETE }, { "Insert", KEYMAP_INSERT },
	{ "BackTab", KEYMAP_BTAB }, { "Hash", '#' },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
keymap_action_name(enum action a)
{
	return (unsigned)a < ACTION_COUNT ? actions[a].name : "?";
}

const char *
keymap_action_help(enum action a)
{
	return (unsigned)a < ACTION_COUNT ? actions[a].help : "";
}

bool
keymap_action_changes(enum action a)
{
	return (unsigned)a < ACTION_COUNT && actions[a].changes;
}

int
keymap_action_by_name(const char *name)
{
	for (int a = 0; a < ACTION_COUNT; a++)
		if (strcmp(actions[a].name, name) == 0)
			return a;
	return -1;
}

const char *
keymap_scope_name(enum keymap_scope s)
{
	return (unsigned)s < KEYMAP_SCOPE_COUNT ? scope_names[s] : "?";
}

int
keymap_scope_by_name(const char *name)
{
	for (int s = 0; s < KEYMAP_SCOPE_COUNT; s++)
		if (strcmp(scope_names[s], name) == 0)
			return s;
	return -1;
}

/* ---- key names ------------------------------------------------------------ */

int
keymap_key_parse(const char *name, int *key)
{
	size_t n = strlen(name);
	unsigned cp;

	for (size_t i = 0; i < NELEM(key_names); i++)
		if (strcmp(name, key_names[i].name) == 0) {
			*key = key_names[i].key;
			return 0;
		}
	if (n == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-' &&
	    ((name[2] >= 'a' && name[2] <= 'z') || (name[2] >= '@' && name[2] <= '_'))) {
		*key = KEYMAP_CTRL(name[2]);
		return 0;
	}
	if (name[0] == 'F' && n >= 2 && n <= 3) {
		int f = atoi(name + 1);

		if (f >= 1 && f <= 12) {
			*key = KEYMAP_F1 + f - 1;
			return 0;
		}
	}
	/* One printable character, ASCII or not. */
	if (n && utf8_decode(name, n, &cp) == n && cp >= 0x20 && cp != 0x7F &&
	    !(cp >= 0x80 && cp <= 0x9F) && cp != 0xFFFD) {
		*key = (int)cp;
		return 0;
	}
	return err_set(ERR_PARSE, "unknown key \"%s\" (a character, Enter, Esc, "
		       "Up, PgDn, C-x, F1 ...)", name);
}

const char *
keymap_key_name(int key, char *out, size_t outsz)
{
	for (size_t i = 0; i < NELEM(key_names); i++)
		if (key == key_names[i].key) {
			snprintf(out, outsz, "%s", key_names[i].name);
			return out;
		}
	if (key >= KEYMAP_F1 && key <= KEYMAP_F12)
		snprintf(out, outsz, "F%d", key - KEYMAP_F1 + 1);
	else if (key > 0 && key < 0x20)
		snprintf(out, outsz, "C-%c", key + 'a' - 1);
	else if (key >= 0x20 && key < 0x7F)
		snprintf(out, outsz, "%c", key);
	else if (key >= 0xA0 && key < 0x110000) {
		/* A character key outside ASCII, as UTF-8. */
		unsigned c = (unsigned)key;

		if (c < 0x800)
			snprintf(out, outsz, "%c%c", 0xC0 | (c >> 6), 0x80 | (c & 0x3F));
		else if (c < 0x10000)
			snprintf(out, outsz, "%c%c%c", 0xE0 | (c >> 12),
				 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F));
		else
			snprintf(out, outsz, "%c%c%c%c", 0xF0 | (c >> 18),
				 0x80 | ((c >> 12) & 0x3F), 0x80 | ((c >> 6) & 0x3F),
				 0x80 | (c & 0x3F));
	} else
		snprintf(out, outsz, "<%d>", key);
	return out;
}

/* ---- bindings ------------------------------------------------------------- */

void
keymap_init(struct keymap *km)
{
	memset(km, 0, sizeof(*km));
}

void
keymap_dispose(struct keymap *km)
{
	if (!km)
		return;
	free(km->b);
	memset(km, 0, sizeof(*km));
}

/* Bind, replacing an earlier binding of the same key in the same scope. */
static int
bind(struct keymap *km, enum keymap_scope scope, int key, enum action a)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].scope == scope && km->b[i].key == key) {
			km->b[i].action = a;
			return 0;
		}
	if (km->n == km->cap) {
		size_t cap = km->cap ? km->cap * 2 : 64;
		struct keymap_binding *b = realloc(km->b, cap * sizeof(*b));

		if (!b)
			return err_set(ERR_NOMEM, "out of memory");
		km->b = b;
		km->cap = cap;
	}
	km->b[km->n++] = (struct keymap_binding){ scope, key, a };
	return 0;
}

static int
parse_line(struct keymap *km, char *line)
{
	char *save = NULL, *tok[5];
	int n = 0, scope, key, a;

	for (char *t = strtok_r(line, " \t", &save); t && n < 5;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n != 4 || strcmp(tok[0], "bind") != 0)
		return err_set(ERR_PARSE, "expected `bind VIEW KEY ACTION`");
	if ((scope = keymap_scope_by_name(tok[1])) < 0)
		return err_set(ERR_PARSE, "unknown view \"%s\" (generic, queue, "
			       "investigation, evidence, blast, history, help)", tok[1]);
	if (keymap_key_parse(tok[2], &key) < 0)
		return ERR_PARSE;
	if ((a = keymap_action_by_name(tok[3])) < 0)
		return err_set(ERR_PARSE, "unknown action \"%s\" (the help lists "
			       "them)", tok[3]);
	return bind(km, (enum keymap_scope)scope, key, (enum action)a);
}

int
keymap_load_text(struct keymap *km, const char *text, const char *name)
{
	unsigned lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512], *s, *e;
		int rc;

		lineno++;
		if (len >= sizeof(line))
			return err_set(ERR_PARSE, "%s:%u: line too long", name, lineno);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if ((rc = parse_line(km, s)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err_msg());
			return err_set(rc, "%s:%u: %s", name, lineno, why);
		}
	}
	return 0;
}

int
keymap_load_file(struct keymap *km, const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;
	int rc;

	if (!f)
		return err_set(ERR_NOTFOUND, "%s: cannot read key bindings", path);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1u << 20))
		if (buf_add(&b, chunk, n) < 0)
			break;
	rc = ferror(f) ? err_set(ERR_IO, "%s: read error", path)
		       : keymap_load_text(km, b.data ? b.data : "", path);
	fclose(f);
	buf_dispose(&b);
	return rc;
}

enum action
keymap_lookup(const struct keymap *km, enum keymap_scope scope, int key)
{
	int generic = -1;

	for (size_t i = km->n; i-- > 0;) {
		if (km->b[i].key != key)
			continue;
		if (km->b[i].scope == scope)
			return km->b[i].action;
		if (km->b[i].scope == KEYMAP_SCOPE_GENERIC && generic < 0)
			generic = (int)km->b[i].action;
	}
	return generic < 0 ? ACTION_NONE : (enum action)generic;
}

/* Is key bound in scope itself? */
static bool
scoped(const struct keymap *km, enum keymap_scope scope, int key)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].scope == scope && km->b[i].key == key)
			return true;
	return false;
}

size_t
keymap_keys_for(const struct keymap *km, enum keymap_scope scope,
		enum action a, char *out, size_t outsz)
{
	size_t count = 0, len = 0;

	if (outsz)
		out[0] = '\0';
	for (size_t i = 0; i < km->n; i++) {
		const struct keymap_binding *b = &km->b[i];
		char name[16];

		if (b->action != a ||
		    (b->scope != scope && b->scope != KEYMAP_SCOPE_GENERIC))
			continue;
		/* A generic binding the view overrides does not count. */
		if (keymap_lookup(km, scope, b->key) != a ||
		    (b->scope != scope && scoped(km, scope, b->key)))
			continue;
		keymap_key_name(b->key, name, sizeof(name));
		if (len < outsz)
			len += (size_t)snprintf(out + len, outsz - len, "%s%s",
						count ? ", " : "", name);
		count++;
	}
	return count;
}
