/* SPDX-License-Identifier: Apache-2.0 */
/* screen: the terminal under the console; the only code that calls curses
 * (ncursesw). */
#include "config.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "tui/keymap.h"
#include "tui/screen.h"

/* Esc alone is a key: wait this long for the rest of a sequence. */
#define SCREEN_ESCDELAY_MS 25

struct screen {
	SCREEN *term;
	FILE *out, *in;          /* /dev/null for a virtual screen */
	bool color;              /* colours wanted and available */
	bool default_colors;     /* the terminal's own colours usable as -1 */
	attr_t attr[STYLE_COUNT];
};

/* ---- opening -------------------------------------------------------------- */

/* newterm with the terminal's own type, else the fallbacks, so an unknown
 * TERM still gives a usable screen. */
static int
open_term(struct screen *s, const char *term, char *note, size_t notesz)
{
	const char *chain[] = { term, "xterm-256color", "vt100", "dumb" };

	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		if (!chain[i] || !*chain[i])
			continue;
		if ((s->term = newterm(chain[i], s->out, s->in))) {
			if (i > 0 && term && *term)
				snprintf(note, notesz, "TERM=%s is not known here; "
					 "drawing as %s", term, chain[i]);
			return 0;
		}
	}
	return err_set(ERR_UNSUPPORTED, "no usable terminal description "
		       "(TERM=%s; tried xterm-256color, vt100 and dumb)",
		       term ? term : "");
}

int
screen_open(bool virtual, int cols, int rows, char *note, size_t notesz,
	    struct screen **out)
{
	const char *no_color = getenv("NO_COLOR");
	struct screen *s = calloc(1, sizeof(*s));
	int rc;

	note[0] = '\0';
	*out = NULL;
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	if (virtual) {
		/* Curses writes to /dev/null; the script supplies the keys
		 * and reads the screen back. */
		s->out = fopen("/dev/null", "w");
		s->in = fopen("/dev/null", "r");
		use_env(FALSE);
		rc = s->out && s->in
			? open_term(s, "xterm-256color", note, notesz)
			: err_set(ERR_IO, "cannot open /dev/null");
	} else if (!isatty(STDOUT_FILENO)) {
		rc = err_set(ERR_USAGE, "the console needs a terminal (or "
			     "--script FILE)");
	} else if (!isatty(STDIN_FILENO)) {
		/* stdin is a stream being followed (--follow -): the keys
		 * come from the terminal itself, as with less */
		s->in = fopen("/dev/tty", "r");
		s->out = stdout;
		rc = s->in ? open_term(s, getenv("TERM"), note, notesz)
			   : err_set(ERR_USAGE, "the console needs a terminal "
				     "(or --script FILE)");
		s->out = NULL;     /* not ours to close; s->in is */
	} else {
		s->out = stdout;
		s->in = stdin;
		rc = open_term(s, getenv("TERM"), note, notesz);
		s->out = s->in = NULL;     /* not ours to close */
	}
	if (rc < 0) {
		screen_close(s);
		return rc;
	}
	set_term(s->term);
	set_escdelay(SCREEN_ESCDELAY_MS);
	/* Raw: C-c is a key (quit) that leaves the terminal restored. */
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (virtual)
		resizeterm(rows, cols);
	s->color = !(no_color && *no_color) && has_colors();
	if (s->color) {
		start_color();
		s->default_colors = use_default_colors() != ERR;
	}
	*out = s;
	return 0;
}

void
screen_close(struct screen *s)
{
	if (!s)
		return;
	if (s->term) {
		endwin();
		delscreen(s->term);
	}
	if (s->out)
		fclose(s->out);
	if (s->in)
		fclose(s->in);
	free(s);
}

int
screen_cols(const struct screen *s)
{
	(void)s;
	return COLS;
}

int
screen_rows(const struct screen *s)
{
	(void)s;
	return LINES;
}

int
screen_resize(struct screen *s, int cols, int rows)
{
	(void)s;
	if (cols < 1 || rows < 1 || cols > 1000 || rows > 1000)
		return err_set(ERR_USAGE, "resize: %dx%d is not a screen size",
			       cols, rows);
	if (cols != COLS || rows != LINES)
		resizeterm(rows, cols);
	werase(stdscr);
	return 0;
}

/* ---- colours -------------------------------------------------------------- */

static attr_t
curses_attrs(unsigned a)
{
	static const struct {
		unsigned theme;
		attr_t curses;
	} map[] = {
		{ THEME_BOLD, A_BOLD }, { THEME_DIM, A_DIM },
		{ THEME_UNDERLINE, A_UNDERLINE }, { THEME_REVERSE, A_REVERSE },
		{ THEME_ITALIC, A_ITALIC }, { THEME_STANDOUT, A_STANDOUT },
	};
	attr_t out = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (a & map[i].theme)
			out |= map[i].curses;
	return out;
}

void
screen_set_theme(struct screen *s, const struct theme *t)
{
	int ncolors = COLORS > 256 ? 256 : COLORS;

	for (int st = 0; st < STYLE_COUNT; st++) {
		const struct theme_style *ts = &t->style[st];
		attr_t a = curses_attrs(ts->attrs);

		if (s->color && st + 1 < COLOR_PAIRS &&
		    (ts->fg >= 0 || ts->bg >= 0)) {
			int fg = theme_color_reduce(ts->fg, ncolors);
			int bg = theme_color_reduce(ts->bg, ncolors);

			/* No "default" colour: white on black stands in. */
			if (!s->default_colors) {
				fg = fg < 0 ? 7 : fg;
				bg = bg < 0 ? 0 : bg;
			}
			if (init_pair((short)(st + 1), (short)fg, (short)bg) != ERR)
				a |= COLOR_PAIR(st + 1);
		}
		s->attr[st] = a;
	}
	wbkgdset(stdscr, ' ' | s->attr[STYLE_NORMAL]);
}

/* ---- drawing -------------------------------------------------------------- */

/* A code point the terminal may be given: the renderer made the text, but
 * the last line of defence costs one comparison. */
static bool
drawable(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
		return false;
	return cp < 0x80 || !render_ascii();
}

void
screen_line(struct screen *s, int y, const struct rline *l, size_t skip,
	    bool cursor, enum style fill)
{
	size_t width = (size_t)COLS, col = 0, seen = 0;
	attr_t cur = s->attr[STYLE_CURSOR];

	wmove(stdscr, y, 0);
	for (size_t k = 0; k < l->nspan && col < width; k++) {
		const struct rspan *sp = &l->span[k];
		const char *p = l->text.data + sp->off;
		size_t i = 0;
		attr_t a = s->attr[sp->style];

		if (cursor)
			a = cur | (sp->style == STYLE_ESCAPE || sp->style == STYLE_MARK
				   ? A_UNDERLINE : 0);
		wattrset(stdscr, a);
		while (i < sp->len && col < width) {
			unsigned cp;
			int w;
			size_t n = render_next(p + i, sp->len - i, &cp, &w);

			if (seen < skip) {
				/* Scrolled off the left; a wide character cut in
				 * half leaves a space. */
				seen += (size_t)w;
				if (seen > skip && col < width) {
					waddch(stdscr, ' ');
					col++;
				}
			} else if (w == 0) {
				if (col > 0 && drawable(cp))
					waddnstr(stdscr, p + i, (int)n);
			} else if (col + (size_t)w > width) {
				/* A wide character that does not fit: blank the
				 * last cell rather than leave an old one. */
				while (col < width) {
					waddch(stdscr, ' ');
					col++;
				}
			} else {
				if (drawable(cp))
					waddnstr(stdscr, p + i, (int)n);
				else
					for (int j = 0; j < w; j++)
						waddch(stdscr, '?');
				col += (size_t)w;
			}
			i += n;
		}
	}
	wattrset(stdscr, cursor ? cur : s->attr[fill]);
	while (col++ < width)
		waddch(stdscr, ' ');
	wattrset(stdscr, A_NORMAL);
}

void
screen_cursor(struct screen *s, int y, int x)
{
	(void)s;
	if (y < 0) {
		curs_set(0);
		return;
	}
	wmove(stdscr, y, x < COLS ? x : COLS - 1);
	curs_set(1);
}

void
screen_erase(struct screen *s)
{
	(void)s;
	werase(stdscr);
}

void
screen_flush(struct screen *s)
{
	(void)s;
	wnoutrefresh(stdscr);
	doupdate();
}

void
screen_repaint(struct screen *s)
{
	(void)s;
	clearok(curscr, TRUE);
}

/* ---- keys ----------------------------------------------------------------- */

int
screen_key(struct screen *s, int timeout_ms)
{
	static const struct {
		int curses, key;
	} fkeys[] = {
		{ KEY_UP, KEYMAP_UP }, { KEY_DOWN, KEYMAP_DOWN },
		{ KEY_LEFT, KEYMAP_LEFT }, { KEY_RIGHT, KEYMAP_RIGHT },
		{ KEY_PPAGE, KEYMAP_PGUP }, { KEY_NPAGE, KEYMAP_PGDN },
		{ KEY_HOME, KEYMAP_HOME }, { KEY_END, KEYMAP_END },
		{ KEY_BACKSPACE, KEYMAP_BACKSPACE }, { KEY_DC, KEYMAP_DELETE },
		{ KEY_IC, KEYMAP_INSERT }, { KEY_BTAB, KEYMAP_BTAB },
		{ KEY_ENTER, KEYMAP_ENTER }, { KEY_RESIZE, KEYMAP_RESIZE },
	};
	wint_t ch;
	int rc;

	(void)s;
	wtimeout(stdscr, timeout_ms);
	rc = wget_wch(stdscr, &ch);
	if (rc == ERR)
		return -1;
	if (rc == KEY_CODE_YES) {
		for (size_t i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]); i++)
			if ((int)ch == fkeys[i].curses)
				return fkeys[i].key;
		if ((int)ch >= KEY_F(1) && (int)ch <= KEY_F(12))
			return KEYMAP_F1 + (int)ch - KEY_F(1);
		return -1;
	}
	if (ch == '\n')
		return KEYMAP_ENTER;
	if (ch == 127 || ch == 8)
		return KEYMAP_BACKSPACE;
	return (int)ch;
}

/* ---- reading the screen back ---------------------------------------------- */

static void
put_utf8(FILE *f, unsigned cp)
{
	if (cp < 0x80) {
		fputc((int)cp, f);
	} else if (cp < 0x800) {
		fputc((int)(0xC0 | (cp >> 6)), f);
		fputc((int)(0x80 | (cp & 0x3F)), f);
	} else if (cp < 0x10000) {
		fputc((int)(0xE0 | (cp >> 12)), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3F)), f);
		fputc((int)(0x80 | (cp & 0x3F)), f);
	} else {
		fputc((int)(0xF0 | (cp >> 18)), f);
		fputc((int)(0x80 | ((cp >> 12) & 0x3F)), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3F)), f);
		fputc((int)(0x80 | (cp & 0x3F)), f);
	}
}

int
screen_dump(struct screen *s, const char *path)
{
	wchar_t *row = calloc((size_t)COLS + 1, sizeof(*row));
	FILE *f = row ? fopen(path, "w") : NULL;
	int rc = 0;

	(void)s;
	if (!row || !f) {
		rc = row ? err_set(ERR_IO, "dump: cannot write %s", path)
			 : err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int y = 0; y < LINES; y++) {
		int n = mvwinnwstr(stdscr, y, 0, row, COLS);

		while (n > 0 && row[n - 1] == L' ')
			n--;
		for (int i = 0; i < n && row[i]; i++)
			put_utf8(f, (unsigned)row[i]);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		rc = err_set(ERR_IO, "dump: cannot write %s", path);
out:
	free(row);
	return rc;
}
