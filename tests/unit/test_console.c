/* SPDX-License-Identifier: Apache-2.0 */
/* test_console: the console's curses-free parts: the renderer on case 17's
 * escape injection, the theme parser and the key bindings. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "tests/unit/tap.h"
#include "tui/keymap.h"
#include "tui/render.h"
#include "tui/theme.h"

static const char *srcdir;

/* Line n (from 1) of a file under tests/data, parsed. */
static cJSON *
record(const char *rel, int n)
{
	char path[4096], line[65536];
	FILE *f;
	cJSON *j = NULL;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir, rel);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot read %s\n", path);
		return NULL;
	}
	while (n-- > 0 && fgets(line, sizeof(line), f))
		if (n == 0)
			j = cJSON_Parse(line);
	fclose(f);
	return j;
}

/* The escaped text of s, and its width in *w. Caller frees. */
static char *
esc(const char *s, size_t n, size_t *w)
{
	struct rline l;
	char *out;

	rline_init(&l);
	render_text(&l, s, n, STYLE_NORMAL);
	out = strdup(l.text.data ? l.text.data : "");
	if (w)
		*w = l.width;
	rline_dispose(&l);
	return out;
}

/* No byte that a terminal would obey: C0, DEL, and no C1 code point. */
static bool
inert(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; u[i]; i++) {
		if (u[i] < 0x20 || u[i] == 0x7F)
			return false;
		if (u[i] == 0xC2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
			return false;
	}
	return true;
}

static void
check_escape(const char *in, const char *want)
{
	size_t w;
	char *got = esc(in, strlen(in), &w);

	CHECK_STR(got, want);
	CHECK(inert(got));
	CHECK_INT(w, strlen(want));
	free(got);
}

static void
test_case17(void)
{
	cJSON *ct = record("cases/17-tui-terminal-escape-injection.jsonl", 2);
	cJSON *k8s = record("cases/17-tui-terminal-escape-injection.jsonl", 1);
	const cJSON *v;

	CHECK(ct && k8s);
	if (!ct || !k8s)
		goto out;
	/* CloudTrail eventID ...1702: userAgent with CSI, C1 CSI and LF. */
	v = cJSON_GetObjectItem(ct, "userAgent");
	check_escape(v->valuestring,
		     "curl/8.0\\x1b[1A\\x1b[2K\\u009b31mfake-line\\x0asecond-line");
	/* Its requestParameters.key with backspaces. */
	v = cJSON_GetObjectItem(cJSON_GetObjectItem(ct, "requestParameters"), "key");
	check_escape(v->valuestring, "a\\x08\\x08\\x08b");
	/* k8s auditID ...1701: CR then an SGR that paints "ALL CLEAR". */
	v = cJSON_GetObjectItem(k8s, "userAgent");
	check_escape(v->valuestring, "kubectl/v1.30.0\\x0d\\x1b[32mALL CLEAR\\x1b[0m");
	/* objectRef.name: OSC 0 sets the title, then clear screen and home. */
	v = cJSON_GetObjectItem(cJSON_GetObjectItem(k8s, "objectRef"), "name");
	check_escape(v->valuestring, "cm-\\x1b]0;owned-title\\x07-\\x1b[2J\\x1b[H-x");
	{
		/* The escapes carry their own style, the rest keeps its own. */
		struct rline l;

		rline_init(&l);
		render_str(&l, v->valuestring, STYLE_JSON_STRING);
		CHECK(l.nspan >= 3);
		CHECK_INT(l.span[0].style, STYLE_JSON_STRING);
		CHECK_INT(l.span[0].len, 3);            /* "cm-" */
		CHECK_INT(l.span[1].style, STYLE_ESCAPE);
		CHECK_INT(l.span[1].len, 4);            /* "\x1b" */
		rline_dispose(&l);
	}
out:
	cJSON_Delete(ct);
	cJSON_Delete(k8s);
}

static void
test_marks_and_widths(void)
{
	size_t w;
	char *s;

	/* Bidi override, zero-width space, a tag character. */
	check_escape("abc\xE2\x80\xAE" "fed", "abc<U+202E>fed");
	check_escape("pay\xE2\x80\x8Bpal", "pay<U+200B>pal");
	check_escape("x\xF3\xA0\x81\x81y", "x<U+E0041>y");
	check_escape("line\xE2\x80\xA8sep", "line<U+2028>sep");
	/* DEL and a NUL in the middle of a field. */
	s = esc("a\x7F" "b\0c", 5, &w);
	CHECK_STR(s, "a\\x7fb\\x00c");
	free(s);
	/* Ill-formed bytes are shown byte by byte. */
	check_escape("ok\xFF\xC0", "ok\\xff\\xc0");
	/* Wide characters count two columns; a combining mark none. */
	s = esc("\xE6\xBC\xA2\xE5\xAD\x97", 6, &w);
	CHECK_STR(s, "\xE6\xBC\xA2\xE5\xAD\x97");
	CHECK_INT(w, 4);
	free(s);
	s = esc("e\xCC\x81", 3, &w);
	CHECK_STR(s, "e\xCC\x81");
	CHECK_INT(w, 1);
	free(s);
	/* A mark with no base in the field is shown, not combined with the
	 * cell before it. */
	check_escape("\xCC\x81x", "<U+0301>x");
}

static void
test_ascii_and_fit(void)
{
	struct rline l;

	render_set_ascii(true);
	check_escape("caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\\u00e9 \\U0001f600");
	rline_init(&l);
	render_str(&l, "abcdef", STYLE_NORMAL);
	render_fit(&l, 4);
	CHECK_STR(l.text.data, "abc~");
	CHECK_INT(l.width, 4);
	render_set_ascii(false);
	rline_reset(&l);
	render_str(&l, "abcdef", STYLE_NORMAL);
	render_fit(&l, 4);
	CHECK_STR(l.text.data, "abc\xE2\x80\xA6");
	CHECK_INT(l.width, 4);
	/* A cell is exactly its width, cut or padded, on either side. */
	rline_reset(&l);
	render_cell(&l, "7", 4, true, STYLE_NORMAL);
	render_cell(&l, "\x1b[31m", 6, false, STYLE_NORMAL);
	CHECK_STR(l.text.data, "   7\\x1b[\xE2\x80\xA6");
	CHECK_INT(l.width, 10);
	rline_dispose(&l);
}

static void
test_wrap_and_search(void)
{
	struct rline l, *lines = NULL;
	size_t n = 0;

	rline_init(&l);
	render_str(&l, "one two three four five six seven", STYLE_NORMAL);
	CHECK_INT(rline_wrap(&l, 10, 2, &lines, &n), 0);
	CHECK(n >= 4);
	for (size_t i = 0; i < n; i++) {
		CHECK(lines[i].width <= 10);
		rline_dispose(&lines[i]);
	}
	free(lines);
	CHECK_STR(l.text.data, "one two three four five six seven");
	/* Searching happens on the escaped text, so \x1b can be found. */
	rline_reset(&l);
	render_str(&l, "a\x1b[2Jb a", STYLE_NORMAL);
	CHECK(rline_contains(&l, "\x1b[2J"));
	CHECK(rline_contains(&l, "\\X1B"));
	CHECK_INT(rline_highlight(&l, "a", STYLE_SEARCH), 2);
	CHECK_INT(l.span[0].style, STYLE_SEARCH);
	rline_dispose(&l);
}

static void
test_theme(void)
{
	struct theme t;
	char path[4096];
	FILE *f;

	/* The bundled themes, never a user theme of the same name. */
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	CHECK_INT(theme_load("default-dark", &t), 0);
	CHECK_INT(t.style[STYLE_TITLE].fg, 231);
	CHECK_INT(t.style[STYLE_TITLE].bg, 24);
	CHECK(t.style[STYLE_TITLE].attrs & THEME_BOLD);
	CHECK_INT(t.style[STYLE_ESCAPE].fg, 213);
	theme_dispose(&t);
	CHECK_INT(theme_load("mono", &t), 0);
	for (int s = 0; s < STYLE_COUNT; s++)
		CHECK(t.style[s].fg < 0 && t.style[s].bg < 0);
	theme_dispose(&t);
	CHECK_INT(theme_load("high-contrast", &t), 0);
	CHECK_INT(t.style[STYLE_NORMAL].fg, 15);
	CHECK_INT(t.style[STYLE_NORMAL].bg, 0);
	theme_dispose(&t);
	CHECK_INT(theme_load("light", &t), 0);
	CHECK_INT(t.style[STYLE_NORMAL].bg, 255);
	theme_dispose(&t);
	CHECK_INT(theme_load("no-such-theme", &t), ERR_NOTFOUND);
	theme_dispose(&t);
	CHECK_INT(theme_load("../etc/passwd", &t), ERR_NOTFOUND);
	theme_dispose(&t);

	/* A bad line names file and line; the theme is left as it was. */
	snprintf(path, sizeof(path), "%s/verdict-test-theme-%d.theme",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("# a user theme\nnormal = red black\ntitle = blu default bold\n", f);
		fclose(f);
		theme_init_builtin(&t);
		CHECK_INT(theme_parse_file(&t, path), ERR_PARSE);
		CHECK(strstr(err_msg(), path) != NULL);
		CHECK(strstr(err_msg(), ":3: fg: unknown colour \"blu\"") != NULL);
		CHECK_INT(t.style[STYLE_NORMAL].fg, -1);
		remove(path);
	}
	/* Colours come down to what the terminal has. */
	CHECK_INT(theme_color_reduce(196, 256), 196);
	CHECK_INT(theme_color_reduce(196, 16), 9);
	CHECK_INT(theme_color_reduce(196, 8), 1);
	CHECK_INT(theme_color_reduce(231, 16), 15);
	CHECK_INT(theme_color_reduce(-1, 8), -1);
	CHECK_INT(theme_color_reduce(12, 8), 4);
}

static void
test_keymap(void)
{
	struct keymap km;
	char path[4096], keys[128];
	int key;

	snprintf(path, sizeof(path), "%s/tui/keys.default", srcdir);
	keymap_init(&km);
	CHECK_INT(keymap_load_file(&km, path), 0);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_QUEUE, 'j'), ACTION_MOVE_DOWN);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_QUEUE, KEYMAP_DOWN), ACTION_MOVE_DOWN);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_QUEUE, KEYMAP_ENTER), ACTION_OPEN);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_BLAST, KEYMAP_ENTER), ACTION_TOGGLE);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_INVESTIGATION, 'n'), ACTION_NEXT);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_INVESTIGATION, 'p'), ACTION_PREV);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_QUEUE, 'D'), ACTION_SET_DECIDED);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_EVIDENCE, 'D'), ACTION_NONE);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_HELP, KEYMAP_ESC), ACTION_BACK);
	CHECK_INT(keymap_keys_for(&km, KEYMAP_SCOPE_QUEUE, ACTION_MOVE_DOWN,
				  keys, sizeof(keys)), 2);
	CHECK_STR(keys, "j, Down");

	/* Lowercase keys are safe; every key that changes state is upper
	 * case, in every view. */
	for (size_t i = 0; i < km.n; i++) {
		int k = km.b[i].key;

		if (keymap_action_changes(km.b[i].action))
			CHECK(k >= 'A' && k <= 'Z');
		if (k >= 'a' && k <= 'z')
			CHECK(!keymap_action_changes(km.b[i].action));
	}

	/* The user's file goes through the same parser and wins. */
	CHECK_INT(keymap_load_text(&km, "bind queue j move-up\n", "user"), 0);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_QUEUE, 'j'), ACTION_MOVE_UP);
	CHECK_INT(keymap_lookup(&km, KEYMAP_SCOPE_EVIDENCE, 'j'), ACTION_MOVE_DOWN);
	CHECK_INT(keymap_load_text(&km, "# ok\nbind queue x explode\n", "keys"),
		  ERR_PARSE);
	CHECK(strstr(err_msg(), "keys:2: unknown action \"explode\"") != NULL);
	CHECK_INT(keymap_load_text(&km, "bind nowhere x quit\n", "keys"), ERR_PARSE);
	CHECK_INT(keymap_load_text(&km, "bind queue Ctrl-x quit\n", "keys"), ERR_PARSE);
	CHECK(strstr(err_msg(), "keys:1: unknown key \"Ctrl-x\"") != NULL);
	keymap_dispose(&km);

	CHECK_INT(keymap_key_parse("C-f", &key), 0);
	CHECK_INT(key, 6);
	CHECK_INT(keymap_key_parse("PgDn", &key), 0);
	CHECK_INT(key, KEYMAP_PGDN);
	CHECK_INT(keymap_key_parse("F12", &key), 0);
	CHECK_INT(key, KEYMAP_F12);
	CHECK_INT(keymap_key_parse("\xC3\xA9", &key), 0);
	CHECK_INT(key, 0xE9);
	CHECK_STR(keymap_key_name(KEYMAP_CTRL('l'), keys, sizeof(keys)), "C-l");
	CHECK_STR(keymap_key_name(' ', keys, sizeof(keys)), "Space");
	CHECK_STR(keymap_action_name(ACTION_SORT_NEXT), "sort-next");
	CHECK_INT(keymap_action_by_name("investigate"), ACTION_INVESTIGATE);
}

int
main(void)
{
	srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8")) {
		printf("1..0 # skip: no UTF-8 locale for wcwidth\n");
		return 77;
	}
	test_case17();
	test_marks_and_widths();
	test_ascii_and_fit();
	test_wrap_and_search();
	test_theme();
	test_keymap();
	return tap_done();
}
