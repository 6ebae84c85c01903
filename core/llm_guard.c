/* SPDX-License-Identifier: Apache-2.0 */
/* llm_guard: cleaning, data blocks and instruction detection for telemetry
 * on its way to a model (see llm_guard.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/jsonscan.h"
#include "core/llm_guard.h"
#include "core/utf8.h"

#define EXCERPT_MAX 80   /* code points of an excerpt */
#define KEY_MAX 64       /* bytes of one object key inside a field path */

/* ---- characters a reader cannot see ------------------------------------ */

enum hidden_kind {
	HID_NONE,
	HID_BIDI,      /* reorders what is shown */
	HID_ZW,        /* zero width: splits a word without a trace */
	HID_INVIS,     /* other invisible formatting */
	HID_TAG,       /* U+E0000..U+E007F: ASCII nobody sees */
};

static const struct {
	unsigned lo, hi;
	enum hidden_kind kind;
} hidden_ranges[] = {
	{ 0x0000, 0x0000, HID_INVIS },   /* NUL would end the C string */
	{ 0x00AD, 0x00AD, HID_INVIS },   /* soft hyphen */
	{ 0x061C, 0x061C, HID_BIDI },    /* Arabic letter mark */
	{ 0x180E, 0x180E, HID_INVIS },   /* Mongolian vowel separator */
	{ 0x200B, 0x200D, HID_ZW },
	{ 0x200E, 0x200F, HID_BIDI },
	{ 0x202A, 0x202E, HID_BIDI },
	{ 0x2060, 0x2060, HID_ZW },      /* word joiner */
	{ 0x2061, 0x2064, HID_INVIS },   /* invisible operators */
	{ 0x2066, 0x2069, HID_BIDI },
	{ 0xFEFF, 0xFEFF, HID_ZW },
	{ 0xE0000, 0xE007F, HID_TAG },
};

static enum hidden_kind
hidden_kind(unsigned cp)
{
	size_t i;

	if (cp >= 0x20 && cp < 0xAD)
		return HID_NONE;
	for (i = 0; i < sizeof(hidden_ranges) / sizeof(hidden_ranges[0]); i++)
		if (cp >= hidden_ranges[i].lo && cp <= hidden_ranges[i].hi)
			return hidden_ranges[i].kind;
	return HID_NONE;
}

/* The printable ASCII a tag character stands for, or 0. */
static char
tag_ascii(unsigned cp)
{
	unsigned c = cp - 0xE0000;

	return c >= 0x20 && c < 0x7F ? (char)c : 0;
}

/* Code points of s[0..len) are decoded leniently: an ill-formed subpart
 * counts as one U+FFFD of its own length. */
static size_t
next_cp(const char *s, size_t len, size_t i, unsigned *cp)
{
	return utf8_decode(s + i, len - i, cp);
}

static int
add_cp(struct buf *b, unsigned cp, const char *src, size_t n)
{
	static const char fffd[3] = { '\xEF', '\xBF', '\xBD' };

	if (cp == 0xFFFD)
		return buf_add(b, fffd, sizeof(fffd));
	return buf_add(b, src, n);
}

/* ---- cleaning ---------------------------------------------------------- */

/* Clean s[0..len) into out. When map is not NULL (len + 1 entries), map[i]
 * is the offset in out where the character at source offset i shows: for
 * a tag character, its decoded letter inside the mark. */
static int
clean_into(const char *s, size_t len, struct buf *out, size_t *map,
	   size_t *nmarked)
{
	size_t i = 0, k, j, marks = 0;
	bool in_tags = false;
	unsigned cp;
	int rc = 0;

	while (i < len && rc == 0) {
		k = next_cp(s, len, i, &cp);
		enum hidden_kind kind = hidden_kind(cp);
		if (in_tags && kind != HID_TAG)
			rc = buf_addc(out, ']'), in_tags = false;
		if (rc == 0 && kind == HID_TAG && !in_tags) {
			rc = buf_adds(out, "[hidden text: ");
			in_tags = true, marks++;
		}
		for (j = 0; map && j < k; j++)
			map[i + j] = out->len;
		if (rc < 0)
			break;
		if (kind == HID_TAG)
			rc = tag_ascii(cp) ? buf_addc(out, tag_ascii(cp)) : 0;
		else if (kind != HID_NONE)
			rc = buf_printf(out, "[U+%04X]", cp), marks++;
		else
			rc = add_cp(out, cp, s + i, k);
		i += k;
	}
	if (rc == 0 && in_tags)
		rc = buf_addc(out, ']');
	if (map)
		map[len] = out->len;
	if (nmarked)
		*nmarked = marks;
	return rc;
}

char *
llm_guard_clean(const char *s, size_t len, size_t *nmarked)
{
	struct buf b;

	buf_init(&b);
	if (clean_into(s ? s : "", s ? len : 0, &b, NULL, nmarked) < 0) {
		buf_dispose(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ---- boundaries and data blocks ---------------------------------------- */

static int
random_bytes(unsigned char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;
	int fd;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	if (got == n)
		return 0;
	/* Old kernels without getrandom(2): the device gives the same. */
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(ERR_IO, "/dev/urandom: %s", strerror(errno));
	while (got < n && ((r = read(fd, p + got, n - got)) > 0 ||
			   (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	close(fd);
	if (got < n)
		return err_set(ERR_IO, "/dev/urandom: short read");
	return 0;
}

int
llm_guard_boundary(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	int rc;

	out[0] = '\0';
	if ((rc = random_bytes(r, sizeof(r))) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

static bool
boundary_ok(const char *b)
{
	size_t i;

	for (i = 0; b && i < 32; i++)
		if (!isdigit((unsigned char)b[i]) && !(b[i] >= 'a' && b[i] <= 'f'))
			return false;
	return b && b[32] == '\0';
}

static int
add_label(struct buf *b, const char *label)
{
	const char *p;
	int rc = 0;

	if (!label || !*label)
		label = "data";
	for (p = label; *p && rc == 0 && p - label < 128; p++) {
		unsigned char c = (unsigned char)*p;
		bool keep = isalnum(c) || c == ' ' || strchr("-_.:", c);
		rc = buf_addc(b, keep && c < 0x80 ? (char)c : '_');
	}
	return rc;
}

/* Telemetry that forges a block marker ("-----END DATA ...") loses the
 * dashes: however the model reads boundaries, no line of data looks like
 * one. Takes s; returns the new text or NULL. */
static char *
defuse_markers(char *s)
{
	static const char *const marks[] = { "-----begin data", "-----end data" };
	struct buf out;

	buf_init(&out);
	for (const char *p = s; *p;) {
		size_t hit = 0;

		for (size_t i = 0; i < 2 && !hit; i++)
			if (strncasecmp(p, marks[i], strlen(marks[i])) == 0)
				hit = strlen(marks[i]);
		if (hit) {
			buf_adds(&out, "[forged marker: ");
			buf_add(&out, p + 5, hit - 5);
			buf_addc(&out, ']');
			p += hit;
		} else {
			buf_addc(&out, *p++);
		}
	}
	free(s);
	return out.data ? buf_detach(&out) : strdup("");
}

int
llm_guard_block(struct buf *b, const char *boundary, const char *label,
		const char *text)
{
	size_t start = b->len;
	char *clean = NULL;
	int rc;

	if (!boundary_ok(boundary))
		return err_set(ERR_USAGE, "data block boundary is not 32 "
			       "lowercase hex digits");
	if (!(clean = llm_guard_clean(text, text ? strlen(text) : 0, NULL)) ||
	    !(clean = defuse_markers(clean)))
		return err_set(ERR_NOMEM, "out of memory cleaning a data block");
	if (strstr(clean, boundary)) {
		rc = err_set(ERR_FIELD, "data block `%.64s`: the text contains "
			     "the block boundary", label ? label : "data");
		goto out;
	}
	if ((rc = buf_printf(b, "-----BEGIN DATA %s ", boundary)) < 0 ||
	    (rc = add_label(b, label)) < 0 ||
	    (rc = buf_printf(b, "-----\n%s\n-----END DATA %s-----\n", clean,
			     boundary)) < 0)
		goto out;
out:
	if (rc < 0) {
		b->len = start;
		if (b->data)
			b->data[start] = '\0';
	}
	free(clean);
	return rc;
}

/* ---- the text patterns are matched against ----------------------------- */

/* The hidden-character findings, indexes of norm.at. */
enum guard_flag { GF_NONE, GF_TAG, GF_BIDI, GF_SPLIT, GF_COUNT };

/* Lower-cased ASCII, hidden characters dropped, tag characters decoded in
 * place, whitespace runs as one ' ' (or '\n' when the run breaks a line).
 * Each byte remembers the source span of the character it came from. */
struct norm {
	struct buf text;
	size_t *from, *to;        /* per byte of text: source span */
	size_t cap;
	size_t at[GF_COUNT];      /* source offset of the first hidden
				   * character of each kind, or SIZE_MAX */
	size_t pending_zw;        /* a zero-width char after a letter */
	bool in_tags;             /* the last character was a tag character */
};

static int
norm_emit(struct norm *nm, char c, size_t from, size_t to)
{
	size_t *f, *t, cap;
	int rc;

	if (nm->text.len + 1 > nm->cap) {
		cap = nm->cap ? nm->cap * 2 : 128;
		if (!(f = realloc(nm->from, cap * sizeof(*f))))
			return err_set(ERR_NOMEM, "out of memory scanning text");
		nm->from = f;
		if (!(t = realloc(nm->to, cap * sizeof(*t))))
			return err_set(ERR_NOMEM, "out of memory scanning text");
		nm->to = t;
		nm->cap = cap;
	}
	if ((rc = buf_addc(&nm->text, c)) < 0)
		return rc;
	nm->from[nm->text.len - 1] = from;
	nm->to[nm->text.len - 1] = to;
	return 0;
}

static bool
is_space_cp(unsigned cp, bool *newline)
{
	*newline = cp == '\n' || cp == '\r' || cp == 0x85 || cp == 0x2028 ||
		   cp == 0x2029 || cp == '\v' || cp == '\f';
	return *newline || cp == ' ' || cp == '\t' || cp == 0xA0 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x3000 ||
	       cp == 0x202F || cp == 0x205F;
}

static int
norm_space(struct norm *nm, bool newline, size_t i, size_t k)
{
	size_t n = nm->text.len;

	if (n == 0)
		return 0;
	if (nm->text.data[n - 1] == ' ' || nm->text.data[n - 1] == '\n') {
		if (newline)
			nm->text.data[n - 1] = '\n';
		return 0;
	}
	return norm_emit(nm, newline ? '\n' : ' ', i, i + k);
}

static bool
last_is_alpha(const struct norm *nm)
{
	return nm->text.len && isalpha((unsigned char)nm->text.data[
		nm->text.len - 1]);
}

/* One visible character (or decoded tag letter) c at source [i, i+k). */
static int
norm_visible(struct norm *nm, const char *s, unsigned cp, size_t i, size_t k)
{
	static const char fffd[3] = { '\xEF', '\xBF', '\xBD' };
	const char *p = cp == 0xFFFD ? fffd : s + i;
	size_t n = cp == 0xFFFD ? 3 : k, j;
	int rc = 0;

	if (nm->pending_zw != SIZE_MAX && cp < 0x80 && isalpha((int)cp) &&
	    nm->at[GF_SPLIT] == SIZE_MAX)
		nm->at[GF_SPLIT] = nm->pending_zw;
	nm->pending_zw = SIZE_MAX;
	if (cp < 0x80)
		return norm_emit(nm, (char)tolower((int)cp), i, i + k);
	for (j = 0; j < n && rc == 0; j++)
		rc = norm_emit(nm, p[j], i, i + k);
	return rc;
}

static int
norm_char(struct norm *nm, const char *s, unsigned cp, size_t i, size_t k)
{
	enum hidden_kind kind = hidden_kind(cp);
	bool nl;
	int rc;

	/* Hidden text is a separate text: its words never join the visible
	 * ones around it. */
	if ((kind == HID_TAG) != nm->in_tags) {
		nm->in_tags = kind == HID_TAG;
		if ((rc = norm_space(nm, false, i, k)) < 0)
			return rc;
	}
	if (kind == HID_TAG) {
		if (nm->at[GF_TAG] == SIZE_MAX)
			nm->at[GF_TAG] = i;
		return tag_ascii(cp) ? norm_visible(nm, "", tag_ascii(cp), i,
						    k) : 0;
	}
	if (kind == HID_BIDI && nm->at[GF_BIDI] == SIZE_MAX)
		nm->at[GF_BIDI] = i;
	if (kind == HID_ZW && last_is_alpha(nm) && nm->pending_zw == SIZE_MAX)
		nm->pending_zw = i;
	if (kind != HID_NONE)
		return 0;
	if (is_space_cp(cp, &nl)) {
		nm->pending_zw = SIZE_MAX;
		return norm_space(nm, nl, i, k);
	}
	return norm_visible(nm, s, cp, i, k);
}

static void
norm_dispose(struct norm *nm)
{
	buf_dispose(&nm->text);
	free(nm->from);
	free(nm->to);
}

static int
norm_build(struct norm *nm, const char *s, size_t len)
{
	size_t i = 0, k;
	unsigned cp;
	int rc = 0;

	memset(nm, 0, sizeof(*nm));
	buf_init(&nm->text);
	for (size_t f = 0; f < GF_COUNT; f++)
		nm->at[f] = SIZE_MAX;
	nm->pending_zw = SIZE_MAX;
	while (i < len && rc == 0) {
		k = next_cp(s, len, i, &cp);
		rc = norm_char(nm, s, cp, i, k);
		i += k;
	}
	if (rc == 0 && !nm->text.data)
		rc = buf_addc(&nm->text, ' ');  /* never NULL for regexec */
	return rc;
}

/* ---- the pattern table ------------------------------------------------- */

/* A row is either a hidden-character check (flag) or an extended regular
 * expression over the normalised text, where each space in the pattern
 * stands for one whitespace run. needle, when set, is a literal the text
 * must contain for the expression to be worth running. Several rows may
 * share an id; a field reports each id once. */
#define VERDICT_WORDS "(benign|false positive|false-positive|not malicious|" \
	"non-malicious|harmless|safe|legitimate|expected|authori[sz]ed|" \
	"low risk|low severity|informational|resolved|noise)"
#define TOOL_NAMES "(sql|first_seen|intel|allowlist|permissions|" \
	"prior_decisions|blast_radius|kb_search|submit_verdict|query|database)"

static const struct guard_pattern {
	const char *id;
	enum guard_flag flag;
	const char *needle;
	const char *re;
	bool word;                /* the match must not touch [a-z0-9_] */
} patterns[] = {
	{ "hidden-tag-text", GF_TAG, NULL, NULL, false },
	{ "bidi-control", GF_BIDI, NULL, NULL, false },
	{ "zero-width-split", GF_SPLIT, NULL, NULL, false },
	{ "ignore-instructions", GF_NONE, NULL,
	  "(ignore|disregard|forget|override|bypass) ((all|any|the|your|my|of|"
	  "these|those|every|previous|prior|above|earlier|preceding|existing|"
	  "original|initial|system|safety|security|other) )+(instructions?|"
	  "directions?|prompts?|rules|guidelines|guidance|commands|context|"
	  "orders)", true },
	{ "ignore-instructions", GF_NONE, NULL,
	  "(ignore|disregard|forget) (everything|all|anything) ((you were "
	  "told|written) )?(above|before|previously|so far)", true },
	{ "role-override", GF_NONE, "you",
	  "(you are (now|no longer|actually)|from now on,? you|pretend "
	  "(that )?you are|your (new|real|true) (role|task|job|goal|purpose|"
	  "instructions?) (is|are))", true },
	{ "new-instructions", GF_NONE, "instruction",
	  "(new|updated|revised|real|actual|additional|important|urgent) "
	  "instructions?( for (the |you|ai|model|assistant|llm)[a-z ]*)? ?:",
	  true },
	{ "system-prompt", GF_NONE, "prompt",
	  "(system|developer|hidden|initial|original) prompt", true },
	{ "system-prompt", GF_NONE, NULL,
	  "(reveal|print|show|repeat|output|leak|disclose) (me )?(your|the) "
	  "(system |initial |original |hidden )?(prompt|instructions)", true },
	{ "verdict-directive", GF_NONE, "as",
	  "(mark|classify|report|label|treat|consider|flag|tag|record|rate|"
	  "close|resolve|dismiss|categori[sz]e|triage|score|assess|declare|"
	  "deem) (this|the|these|that|it|all)( [a-z0-9_-]+){0,2} as (an? )?"
	  VERDICT_WORDS, true },
	{ "verdict-directive", GF_NONE, "verdict",
	  "\"?verdict\"? ?[:=] ?\"?(benign|false positive|false-positive|"
	  "not malicious|harmless|safe|inconclusive|suspicious|malicious)",
	  true },
	{ "verdict-directive", GF_NONE, NULL,
	  "(this|the) (alert|finding|event|threat|activity|incident|"
	  "detection) (is|was) (an? )?(benign|false positive|not malicious|"
	  "harmless|known good|expected behaviou?r)", true },
	{ "tool-directive", GF_NONE, NULL,
	  "(call|use|invoke|run|execute|trigger) (the |your )?" TOOL_NAMES
	  "( |_|-)?(tool|function)", true },
	{ "tool-directive", GF_NONE, "follow",
	  "(run|execute|perform|issue) (the )?following (sql |database )?"
	  "(query|queries|statements?|commands?|sql|tool calls?)", true },
	{ "tool-directive", GF_NONE, "submit_verdict", "submit_verdict",
	  false },
	{ "tool-directive", GF_NONE, "kb_search", "kb_search", false },
	{ "fake-tool-result", GF_NONE, "<",
	  "</?(tool_result|tool_call|tool_use|tool_response|function_call|"
	  "function_results?|search_results)", false },
	{ "fake-tool-result", GF_NONE, "tool_", "tool_(call|use)_id", false },
	{ "fake-tool-result", GF_NONE, "\"role\"",
	  "\"role\" ?: ?\"(tool|assistant|system|function|developer)\"",
	  false },
	{ "fake-tool-result", GF_NONE, "\"type\"",
	  "\"type\" ?: ?\"(tool_use|tool_result|function_call)\"", false },
	{ "prompt-delimiter", GF_NONE, "<|", "<\\|[a-z_]+\\|>", false },
	{ "prompt-delimiter", GF_NONE, "inst]", "\\[/?inst\\]", false },
	{ "prompt-delimiter", GF_NONE, "sys>>", "<</?sys>>", false },
	{ "prompt-delimiter", GF_NONE, "data>", "</?data>", false },
	{ "prompt-delimiter", GF_NONE, "-----",
	  "-----(begin|end) data", false },
	{ "prompt-delimiter", GF_NONE, "<",
	  "</?(system|instructions|start_of_turn|end_of_turn)>", false },
	{ "chat-turn", GF_NONE, ":",
	  "^(assistant|human|system) ?:( |$)", false },
	{ "jailbreak", GF_NONE, NULL,
	  "(jailbreak|jailbroken|do anything now|(enable|enter|activate|"
	  "switch to) (developer|dan|god|jailbreak) mode)", true },
};

#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

static regex_t compiled[NPATTERNS];
static int compile_rc;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

/* Spaces in the table stand for either kind of whitespace run. */
static void
compile_all(void)
{
	struct buf re;
	size_t i;

	buf_init(&re);
	for (i = 0; i < NPATTERNS && compile_rc == 0; i++) {
		if (!patterns[i].re)
			continue;
		buf_reset(&re);
		for (const char *p = patterns[i].re; *p && compile_rc == 0; p++)
			compile_rc = *p == ' ' ? buf_adds(&re, "[ \n]")
					       : buf_addc(&re, *p);
		if (compile_rc == 0 && regcomp(&compiled[i], re.data,
					       REG_EXTENDED | REG_NEWLINE))
			compile_rc = err_set(ERR_UNSUPPORTED, "guard pattern "
					     "`%s` does not compile",
					     patterns[i].re);
	}
	buf_dispose(&re);
}

/* ---- scanning ---------------------------------------------------------- */

struct hits {
	struct guard_hit *v;
	size_t n, cap;
};

/* One field being scanned: its source, where it shows once cleaned. */
struct field_scan {
	const char *s;
	size_t len;
	struct norm nm;
	struct buf shown;  /* cleaned, built on the first hit */
	size_t *map;       /* source offset -> offset in shown */
};

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Find row i in the normalised text: the match's byte span. */
static bool
row_match(size_t i, const struct norm *nm, size_t *a, size_t *b)
{
	const char *t = nm->text.data;
	regmatch_t m;
	size_t off = 0;
	int eflags = 0;

	if (patterns[i].needle && !strstr(t, patterns[i].needle))
		return false;
	while (off < nm->text.len &&
	       regexec(&compiled[i], t + off, 1, &m, eflags) == 0) {
		*a = off + (size_t)m.rm_so;
		*b = off + (size_t)m.rm_eo;
		if (!patterns[i].word || ((*a == 0 || !word_char(t[*a - 1])) &&
					  !word_char(t[*b])))
			return *b > *a;
		off = *a + 1;
		eflags = REG_NOTBOL;
	}
	return false;
}

/* The source span [*from, *to) of row i's hit, if it hits. */
static bool
row_hit(size_t i, const struct norm *nm, size_t *from, size_t *to)
{
	size_t a, b;

	if (patterns[i].flag != GF_NONE) {
		*from = nm->at[patterns[i].flag];
		*to = *from + 1;
		return *from != SIZE_MAX;
	}
	if (!row_match(i, nm, &a, &b))
		return false;
	*from = nm->from[a];
	*to = nm->to[b - 1];
	return true;
}

static size_t
cp_back(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[--i] & 0xC0) == 0x80)
		;
	return i;
}

static size_t
cp_fwd(const char *s, size_t len, size_t i)
{
	while (i < len && ((unsigned char)s[++i] & 0xC0) == 0x80)
		;
	return i;
}

static size_t
cp_count(const char *s, size_t a, size_t b)
{
	size_t n = 0;

	for (; a < b; a = cp_fwd(s, b, a))
		n++;
	return n;
}

/* Copy shown[a..b) onto one line: controls become spaces, runs of spaces
 * one space, no space at either end. */
static char *
flatten(const char *s, size_t a, size_t b)
{
	struct buf out;
	unsigned char c;

	buf_init(&out);
	for (; a < b; a++) {
		c = (unsigned char)s[a];
		if (c == 0xC2 && a + 1 < b &&
		    (unsigned char)s[a + 1] >= 0x80 &&
		    (unsigned char)s[a + 1] <= 0x9F)
			c = ' ', a++;  /* a C1 control */
		if (c < 0x20 || c == 0x7F)
			c = ' ';
		if (c == ' ' && (out.len == 0 || out.data[out.len - 1] == ' '))
			continue;
		if (buf_addc(&out, (char)c) < 0)
			return buf_dispose(&out), NULL;
	}
	if (out.len && out.data[out.len - 1] == ' ')
		out.data[--out.len] = '\0';
	return buf_detach(&out);
}

/* At most EXCERPT_MAX code points of the cleaned field around the source
 * span [from, to), the hit in the middle. */
static char *
excerpt(struct field_scan *fs, size_t from, size_t to)
{
	const char *d;
	size_t a, b, len, have, pad;

	if (!fs->shown.data) {
		if (!(fs->map = malloc((fs->len + 1) * sizeof(*fs->map))) ||
		    clean_into(fs->s, fs->len, &fs->shown, fs->map, NULL) < 0 ||
		    !fs->shown.data)
			return NULL;
	}
	d = fs->shown.data;
	len = fs->shown.len;
	a = fs->map[from];
	b = to > fs->len ? len : fs->map[to];
	if (b <= a)
		b = cp_fwd(d, len, a);
	have = cp_count(d, a, b);
	pad = have < EXCERPT_MAX ? (EXCERPT_MAX - have) / 2 : 0;
	/* Half the room before the hit, the rest after it, and what the
	 * end of the text leaves unused goes before it after all. */
	for (; pad > 0 && a > 0; pad--, have++)
		a = cp_back(d, a);
	for (; have < EXCERPT_MAX && b < len; have++)
		b = cp_fwd(d, len, b);
	for (; have < EXCERPT_MAX && a > 0; have++)
		a = cp_back(d, a);
	for (b = a, have = 0; have < EXCERPT_MAX && b < len; have++)
		b = cp_fwd(d, len, b);
	return flatten(d, a, b);
}

static void
hit_free(struct guard_hit *h)
{
	free(h->event);
	free(h->field);
	free(h->pattern);
	free(h->excerpt);
}

void
guard_hits_free(struct guard_hit *hits, size_t n)
{
	for (size_t i = 0; hits && i < n; i++)
		hit_free(&hits[i]);
	free(hits);
}

static bool
seen(const struct hits *h, size_t first, const char *id)
{
	for (size_t i = first; i < h->n; i++)
		if (strcmp(h->v[i].pattern, id) == 0)
			return true;
	return false;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
hit_add(struct hits *h, const char *event, const char *field,
	const char *id, char *excerpt)
{
	struct guard_hit *v, *hit;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4;
		if (!(v = realloc(h->v, cap * sizeof(*v))))
			return free(excerpt), err_set(ERR_NOMEM, "out of memory");
		h->v = v;
		h->cap = cap;
	}
	hit = &h->v[h->n];
	hit->event = dup_or_null(event);
	hit->field = dup_or_null(field);
	hit->pattern = strdup(id);
	hit->excerpt = excerpt;
	if ((event && !hit->event) || (field && !hit->field) || !hit->pattern ||
	    !excerpt) {
		hit_free(hit);
		return err_set(ERR_NOMEM, "out of memory recording a hit");
	}
	h->n++;
	return 0;
}

/* Scan s[0..len) as one field; hits already in h from index first belong
 * to the same field (its key), so an id is not reported twice. */
static int
scan_field(const char *s, size_t len, const char *event, const char *field,
	   struct hits *h, size_t first)
{
	struct field_scan fs = { .s = s, .len = len };
	size_t i, from, to;
	int rc;

	buf_init(&fs.shown);
	if ((rc = norm_build(&fs.nm, s, len)) < 0)
		goto out;
	for (i = 0; i < NPATTERNS && rc == 0; i++) {
		if (seen(h, first, patterns[i].id) ||
		    !row_hit(i, &fs.nm, &from, &to))
			continue;
		rc = hit_add(h, event, field, patterns[i].id,
			     excerpt(&fs, from, to));
	}
out:
	norm_dispose(&fs.nm);
	buf_dispose(&fs.shown);
	free(fs.map);
	return rc;
}

static int
scan_start(struct guard_hit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	pthread_once(&compile_once, compile_all);
	return compile_rc;
}

static void
scan_finish(struct hits *h, int rc, struct guard_hit **out, size_t *n)
{
	if (rc < 0) {
		guard_hits_free(h->v, h->n);
		return;
	}
	*out = h->v;
	*n = h->n;
}

int
llm_guard_scan(const char *text, struct guard_hit **out, size_t *n)
{
	struct hits h = { 0 };
	int rc;

	if ((rc = scan_start(out, n)) < 0)
		return rc;
	rc = text ? scan_field(text, strlen(text), NULL, NULL, &h, 0) : 0;
	scan_finish(&h, rc, out, n);
	return rc;
}

/* ---- walking a raw record ---------------------------------------------- */

struct walk {
	const char *event;
	struct hits *h;
	struct buf path;
};

/* Append an object key to the path, cleaned, on one line, and cut short:
 * the key is telemetry too. */
static int
path_add_key(struct buf *path, const char *key)
{
	size_t n = strlen(key), cut = n > KEY_MAX ? KEY_MAX : n;
	char *clean, *flat;
	int rc;

	while (cut > 0 && cut < n && ((unsigned char)key[cut] & 0xC0) == 0x80)
		cut--;
	if (!(clean = llm_guard_clean(key, cut, NULL)))
		return err_set(ERR_NOMEM, "out of memory");
	flat = flatten(clean, 0, strlen(clean));
	free(clean);
	if (!flat)
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = path->len ? buf_addc(path, '.') : 0) == 0)
		rc = buf_adds(path, flat);
	if (rc == 0 && cut < n)
		rc = buf_adds(path, "...");
	free(flat);
	return rc;
}

static int walk_item(struct walk *w, const cJSON *item);

static int
walk_children(struct walk *w, const cJSON *item)
{
	size_t keep = w->path.len, idx = 0, first;
	const cJSON *c;
	int rc = 0;

	for (c = item->child; c && rc == 0; c = c->next, idx++) {
		if (cJSON_IsArray(item))
			rc = buf_printf(&w->path, "[%zu]", idx);
		else if (c->string)
			rc = path_add_key(&w->path, c->string);
		first = w->h->n;
		if (rc == 0 && c->string && cJSON_IsObject(item))
			rc = scan_field(c->string, strlen(c->string), w->event,
					w->path.data, w->h, first);
		if (rc == 0 && cJSON_IsString(c))
			rc = scan_field(c->valuestring, strlen(c->valuestring),
					w->event, w->path.data, w->h, first);
		else if (rc == 0)
			rc = walk_item(w, c);
		w->path.len = keep;
		if (w->path.data)
			w->path.data[keep] = '\0';
	}
	return rc;
}

static int
walk_item(struct walk *w, const cJSON *item)
{
	if (cJSON_IsObject(item) || cJSON_IsArray(item))
		return walk_children(w, item);
	if (cJSON_IsString(item) && item->valuestring)
		return scan_field(item->valuestring, strlen(item->valuestring),
				  w->event, "raw", w->h, w->h->n);
	return 0;
}

int
llm_guard_scan_event(const char *raw_json, const char *event_id,
		     struct guard_hit **out, size_t *n)
{
	struct hits h = { 0 };
	struct walk w = { .event = event_id, .h = &h };
	struct buf prep;
	cJSON *root = NULL;
	int rc;

	if ((rc = scan_start(out, n)) < 0 || !raw_json)
		return rc;
	buf_init(&prep);
	buf_init(&w.path);
	if ((rc = jsonscan_prepare(raw_json, strlen(raw_json), &prep)) < 0)
		goto out;
	/* Whole text or nothing: a flow-log line starts with a number.
	 * cJSON wants the NUL inside the length to see the end. */
	root = cJSON_ParseWithLengthOpts(prep.data ? prep.data : "",
					 prep.len + 1, NULL, true);
	if (root && (cJSON_IsObject(root) || cJSON_IsArray(root) ||
		     cJSON_IsString(root)))
		rc = walk_item(&w, root);
	else if (!root)
		rc = scan_field(raw_json, strlen(raw_json), event_id, "raw", &h,
				0);
out:
	cJSON_Delete(root);
	buf_dispose(&prep);
	buf_dispose(&w.path);
	scan_finish(&h, rc, out, n);
	return rc;
}
