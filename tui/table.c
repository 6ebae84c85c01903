/* SPDX-License-Identifier: Apache-2.0 */
/* table: aligned plain-text tables for the command line. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/utf8.h"
#include "tui/render.h"
#include "tui/table.h"

/* The command line's tables escape through the console's renderer, so
 * there is one set of rules for what telemetry may show. */
size_t
text_escape(const char *s, struct buf *out)
{
	return render_escape(s, strlen(s), out);
}

int
table_init(struct table *t, size_t ncol, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->ncol = ncol;
	t->head = calloc(ncol ? ncol : 1, sizeof(char *));
	t->right = calloc(ncol ? ncol : 1, sizeof(bool));
	t->width = calloc(ncol ? ncol : 1, sizeof(size_t));
	if (!t->head || !t->right || !t->width)
		return -1;
	for (size_t c = 0; c < ncol; c++) {
		struct buf b;

		buf_init(&b);
		t->width[c] = text_escape(head[c] ? head[c] : "", &b);
		t->head[c] = b.data ? buf_detach(&b) : strdup("");
		t->right[c] = true;
	}
	return 0;
}

void
table_dispose(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncol; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	for (size_t c = 0; c < t->ncol && t->head; c++)
		free(t->head[c]);
	free(t->rows);
	free(t->head);
	free(t->right);
	free(t->width);
	memset(t, 0, sizeof(*t));
}

int
table_add(struct table *t, const char *const *cells, const bool *numeric)
{
	char **row;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return -1;
		t->rows = rows;
		t->cap = cap;
	}
	row = calloc(t->ncol ? t->ncol : 1, sizeof(char *));
	if (!row)
		return -1;
	for (size_t c = 0; c < t->ncol; c++) {
		struct buf b;
		size_t w;

		buf_init(&b);
		w = text_escape(cells[c] ? cells[c] : "", &b);
		if (t->max_width && w > t->max_width) {
			/* cut on a character boundary, approximately by width */
			size_t keep = 0, cw = 0;

			while (keep < b.len && cw + 1 < t->max_width) {
				unsigned cp;
				size_t k = utf8_decode(b.data + keep, b.len - keep, &cp);
				int ww = wcwidth((wchar_t)cp);

				cw += ww > 0 ? (size_t)ww : 0;
				keep += k;
			}
			b.len = keep;
			b.data[keep] = '\0';
			buf_adds(&b, "…");
			w = cw + 1;
		}
		row[c] = b.data ? buf_detach(&b) : strdup("");
		if (w > t->width[c])
			t->width[c] = w;
		if (cells[c] && (!numeric || !numeric[c]))
			t->right[c] = false;
	}
	t->rows[t->nrows++] = row;
	return 0;
}

static size_t
display_width(const char *s)
{
	size_t w = 0, n = strlen(s), i = 0;

	while (i < n) {
		unsigned cp;
		int cw;

		i += utf8_decode(s + i, n - i, &cp);
		cw = wcwidth((wchar_t)cp);
		w += cw > 0 ? (size_t)cw : 0;
	}
	return w;
}

static void
print_cell(FILE *out, const char *s, size_t width, bool right, bool last)
{
	size_t w = display_width(s);
	size_t pad = width > w ? width - w : 0;

	if (right)
		for (size_t i = 0; i < pad; i++)
			fputc(' ', out);
	fputs(s, out);
	if (!right && !last)
		for (size_t i = 0; i < pad; i++)
			fputc(' ', out);
	if (!last)
		fputs("  ", out);
}

void
table_print(const struct table *t, FILE *out)
{
	for (size_t c = 0; c < t->ncol; c++)
		print_cell(out, t->head[c], t->width[c], t->right[c] && t->nrows,
			   c + 1 == t->ncol);
	fputc('\n', out);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncol; c++)
			print_cell(out, t->rows[r][c], t->width[c],
				   t->right[c], c + 1 == t->ncol);
		fputc('\n', out);
	}
}

/* Code points that JSON may carry raw but a terminal must not get. */
static bool
json_unsafe(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x7f, 0x9f }, { 0xad, 0xad }, { 0x061c, 0x061c },
		{ 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
		{ 0x2060, 0x2069 }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb },
		{ 0xe0000, 0xe007f },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

void
json_puts(const char *json, FILE *out)
{
	size_t n = strlen(json);

	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_decode(json + i, n - i, &cp);

		if (!json_unsafe(cp)) {
			fwrite(json + i, 1, len, out);
		} else if (cp > 0xffff) {
			cp -= 0x10000;
			fprintf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
				0xdc00 + (cp & 0x3ff));
		} else {
			fprintf(out, "\\u%04x", cp);
		}
		i += len;
	}
	fputc('\n', out);
}
