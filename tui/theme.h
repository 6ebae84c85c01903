/* SPDX-License-Identifier: Apache-2.0 */
/* theme: the console's styles and the theme files that colour them. A
 * theme file has one `style = fg bg attrs` line per style; the parser is
 * the same for the bundled themes and the user's own. No curses here: the
 * console turns a theme into colour pairs. */
#ifndef VERDICT_THEME_H
#define VERDICT_THEME_H

#include <stdbool.h>
#include <stddef.h>

/* Every style the console draws with: id, name in theme files, purpose.
 * The list makes the enum, the names and the theme file documentation. */
#define THEME_STYLES(X) \
	X(NORMAL, "normal", "body text") \
	X(TITLE, "title", "the title bar") \
	X(TITLE_COUNT, "title-count", "live counts in the title bar") \
	X(HEADER, "header", "column headings and section headings") \
	X(CURSOR, "cursor", "the selected row") \
	X(STATUS, "status", "the status line") \
	X(ERROR, "error", "error messages in the status line") \
	X(PROMPT, "prompt", "the : and / prompts") \
	X(DIM, "dim", "secondary text: ids, times, counts") \
	X(ESCAPE, "escape", "escaped control characters from telemetry") \
	X(MARK, "mark", "marked bidi, zero-width and tag characters") \
	X(SEARCH, "search", "search matches") \
	X(SEV_CRITICAL, "severity-critical", "critical severity") \
	X(SEV_HIGH, "severity-high", "high severity") \
	X(SEV_MEDIUM, "severity-medium", "medium severity") \
	X(SEV_LOW, "severity-low", "low severity") \
	X(SEV_INFO, "severity-info", "info and unknown severity") \
	X(VERDICT_MALICIOUS, "verdict-malicious", "malicious verdict") \
	X(VERDICT_SUSPICIOUS, "verdict-suspicious", "suspicious verdict") \
	X(VERDICT_BENIGN, "verdict-benign", "benign verdict") \
	X(VERDICT_INCONCLUSIVE, "verdict-inconclusive", "inconclusive verdict") \
	X(STEP, "step", "a playbook step in the list") \
	X(STEP_CURRENT, "step-current", "the step shown below the list") \
	X(SCORE_UP, "score-up", "a step that raised the score") \
	X(SCORE_DOWN, "score-down", "a step that lowered the score") \
	X(LINK, "link", "cited event ids that open the evidence") \
	X(JSON_KEY, "json-key", "object keys in the evidence") \
	X(JSON_STRING, "json-string", "strings in the evidence") \
	X(JSON_NUMBER, "json-number", "numbers in the evidence") \
	X(JSON_LITERAL, "json-literal", "true, false and null in the evidence") \
	X(JSON_PUNCT, "json-punct", "brackets, colons and commas") \
	X(TREE, "tree", "tree branches in the blast radius") \
	X(DIFF_ADD, "diff-add", "added lines in a knowledge-base diff") \
	X(DIFF_DEL, "diff-del", "removed lines in a knowledge-base diff") \
	X(HELP_KEY, "help-key", "key names in the help")

enum style {
#define THEME_ENUM(id, name, help) STYLE_##id,
	THEME_STYLES(THEME_ENUM)
#undef THEME_ENUM
	STYLE_COUNT
};

/* Attributes a theme line may name. */
enum theme_attr {
	THEME_BOLD = 1 << 0,
	THEME_DIM = 1 << 1,
	THEME_UNDERLINE = 1 << 2,
	THEME_REVERSE = 1 << 3,
	THEME_ITALIC = 1 << 4,
	THEME_STANDOUT = 1 << 5,
};

#define THEME_DEFAULT_COLOR (-1)

/* One style: colours are -1 (the terminal's default) or 0-255. */
struct theme_style {
	int fg, bg;
	unsigned attrs;   /* enum theme_attr bits */
};

struct theme {
	char *name;       /* owned: as asked for */
	char *path;       /* owned: the file read, NULL for the built-in */
	struct theme_style style[STYLE_COUNT];
};

/* The built-in fallback: no colours, the cursor reversed, headings bold.
 * Used when no theme file can be read. */
void theme_init_builtin(struct theme *t);
void theme_dispose(struct theme *t);

/* Read the theme file at path over t (styles it does not name keep their
 * value). On a bad line, t is left as it was and the error names the file
 * and line: "path:3: `fg`: unknown colour \"blu\"". */
int theme_parse_file(struct theme *t, const char *path);

/* Find a theme by name: a path when it contains '/', else NAME.theme in
 * $XDG_CONFIG_HOME/verdict/themes/ (the user's), then in the bundled
 * themes/ folder. Caller frees the path. ERR_NOTFOUND if none. */
int theme_find(const char *name, char **path);

/* Load the named theme into *t (initialised here; dispose it). */
int theme_load(const char *name, struct theme *t);

/* Theme names available, sorted and unique, NULL-terminated; caller frees
 * with theme_list_free. */
char **theme_list(void);
void theme_list_free(char **names);

/* The style's name in theme files, or NULL. */
const char *theme_style_name(enum style s);
/* The style named name, or -1. */
int theme_style_by_name(const char *name);

/* The nearest colour a terminal with ncolors colours can show for colour c
 * (0-255, or -1 which stays -1): 256 keeps it, 16 maps the cube and greys
 * to the 16 ANSI colours, 8 drops brightness. */
int theme_color_reduce(int c, int ncolors);

#endif
