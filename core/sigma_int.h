/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_int: what the files of the Sigma engine share and nothing else
 * sees: the compiled form of a rule, the field table, the gates, and the
 * helpers that more than one of them needs. */
#ifndef VERDICT_SIGMA_INT_H
#define VERDICT_SIGMA_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <yaml.h>

#include "core/buf.h"
#include "core/sigma.h"

/* ---- log sources ------------------------------------------------------- */

struct field_alias {
	const char *name;
	const char *paths[3];
};

struct source_def {
	const char *product, *service;
	const char *label;                 /* for messages */
	const char *const *known;          /* top-level fields of a record */
	const struct field_alias *aliases;
};

/* By enum sigma_source: what a rule's logsource names, and the fields
 * and aliases of its records. */
extern const struct source_def sigma_sources[SIGMA_SOURCE_COUNT];

/* ---- the compiled form ------------------------------------------------- */

enum vkind {
	V_EXACT,    /* the whole text equals lit */
	V_PREFIX,
	V_SUFFIX,
	V_SUBSTR,
	V_GLOB,     /* wildcards inside: units */
	V_RE,
	V_CIDR,
	V_NUM,      /* lt, lte, gt, gte */
	V_NULL,     /* the field has no value */
	V_EXISTS,   /* the field has a value, or has none (want) */
	V_FIELDREF, /* compares with another field's value (how) */
};

/* Glob units: a byte (folded unless cased), one character, or any run. */
#define U_ONE 256
#define U_STAR 257

enum cmp { CMP_LT, CMP_LTE, CMP_GT, CMP_GTE };

struct value {
	enum vkind kind;
	unsigned group;     /* which value of the rule this came from (`all`) */
	bool cased;
	char *lit;          /* V_EXACT..V_SUBSTR: folded unless cased */
	size_t len;
	unsigned short *units; /* V_GLOB */
	size_t nunits;
	regex_t *re;        /* V_RE */
	char *src;          /* V_RE: as written; V_CIDR: as written */
	int re_flags;       /* 'i', 'm', 's' bits for the SQL form */
	int family;         /* V_CIDR: AF_INET or AF_INET6 */
	unsigned char net[16];
	int bits;
	enum cmp cmp;       /* V_NUM */
	double num;
	bool want;          /* V_EXISTS */
	int ref;            /* V_FIELDREF: field index */
	enum vkind how;     /* V_FIELDREF: V_EXACT, V_PREFIX, V_SUFFIX, V_SUBSTR */
};

struct item {
	int field;          /* field index, or -1: keywords over the record */
	bool all;           /* every value must match, not any */
	struct value *v;
	size_t nv;
	unsigned ngroups;
};

struct group {              /* a map: every item */
	struct item *it;
	size_t n;
};

struct search {             /* a search identifier: any of its groups */
	char *name;
	struct group *g;
	size_t ng;
};

enum cnode_kind { C_REF, C_AND, C_OR, C_NOT };

struct cnode {
	enum cnode_kind kind;
	int ref;            /* C_REF: search index */
	int a, b;           /* operands: node indexes */
};

struct sigma_detection {
	size_t index;       /* in rs->rules */
	bool gated;         /* runs only on records its gate values select */
	char *detection;    /* "sigma:<id>" */
	struct search *s;
	size_t ns;
	struct cnode *cn;
	size_t ncn, capcn;
	int root;
};

struct field {
	enum sigma_source source;
	char *name;         /* as the rule writes it */
	const char *paths[3]; /* where it resolves (name itself or aliases) */
	size_t npaths;
};

/* A gate: a rule that needs field to equal one of its values (plain,
 * case-insensitive) runs only on records where it does. Gates are kept
 * sorted by (source, field, len, lit), one per value. */
struct gate {
	enum sigma_source source;
	int field;
	const char *lit;    /* folded; borrowed from the rule's value */
	size_t len;
	size_t rule;        /* index in rs->rules */
};

#define GATE_FIELDS 8       /* gate fields per source */
#define GATE_MAXLEN 256     /* longer values make no gate */

struct sigma_index {
	struct field *f;
	size_t nf, capf;
	size_t *by_source[SIGMA_SOURCE_COUNT]; /* rule indexes */
	size_t nby[SIGMA_SOURCE_COUNT];
	struct gate *gates;
	size_t ngates, capgates;
	size_t gate_max;    /* the longest gate value */
	int gate_field[SIGMA_SOURCE_COUNT][GATE_FIELDS];
	size_t ngate_fields[SIGMA_SOURCE_COUNT];
};

/* ---- modifiers --------------------------------------------------------- */

enum wild { W_NONE, W_CONTAINS, W_STARTS, W_ENDS };

struct mods {
	enum wild wild;
	bool all, cased, re, cidr, exists, fieldref, b64, b64off, cmp;
	int re_flags;       /* RE_I | RE_M | RE_S */
	int enc;            /* 0, or ENC_* before base64 */
	enum cmp op;
};

/* Regular expression flags (struct value re_flags). */
#define RE_I 1
#define RE_M 2
#define RE_S 4

enum { ENC_NONE, ENC_UTF16LE, ENC_UTF16BE, ENC_UTF16 };

/* ---- small helpers ----------------------------------------------------- */

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* The length of the UTF-8 sequence at s: at most n, and shorter when
 * it is broken. */
static inline size_t
utf8_len_at(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	if (k > n)
		return n;
	for (size_t i = 1; i < k; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return i;
	return k;
}

/* Grow *pp (an array of size-byte elements with *cap of them) to hold
 * need; ERR_NOMEM with the message set. */
int sigma_grow(void *pp, size_t *cap, size_t need, size_t size);
void sigma_strv_free(char **v, size_t n);

/* ---- YAML -------------------------------------------------------------- */

struct ydoc {
	yaml_document_t doc;
	const char *file;
};

static inline yaml_node_t *
ynode(struct ydoc *y, int id)
{
	return id ? yaml_document_get_node(&y->doc, id) : NULL;
}

static inline bool
yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static inline const char *
ystr(const yaml_node_t *n)
{
	return yscalar(n) ? (const char *)n->data.scalar.value : NULL;
}

/* A plain scalar YAML reads as null. */
static inline bool
ynull(const yaml_node_t *n)
{
	const char *s;

	if (!yscalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL") || !strcmp(s, "~");
}

/* A plain scalar YAML reads as a boolean; -1 if it is not one. */
static inline int
ybool(const yaml_node_t *n)
{
	const char *s;

	if (!yscalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return -1;
	s = (const char *)n->data.scalar.value;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* What compiling one rule carries from its YAML to its detection. */
struct compile {
	struct sigma_ruleset *rs;
	struct ydoc *y;
	struct sigma_rule *r;
	struct sigma_detection *d;
	const char *search;   /* the search identifier being compiled */
	struct buf notes;     /* caveats, "; "-separated */
};

/* ---- between the files ------------------------------------------------- */

/* sigma.c: the rule set. */
void sigma_item_dispose(struct item *it);
void sigma_rule_free(struct sigma_rule *r);
int sigma_field_intern(struct sigma_index *ix, enum sigma_source src,
		       const char *name);
bool sigma_field_known(enum sigma_source src, const char *path);
int sigma_rule_register(struct sigma_ruleset *rs, struct sigma_rule *r);
int sigma_gate_cmp(const struct gate *a, enum sigma_source src, int field,
		   const char *lit, size_t len);
size_t sigma_gate_find(const struct sigma_index *ix, enum sigma_source src,
		       int field, const char *lit, size_t len);

/* sigma_value.c: values under their modifiers. */
int sigma_parse_key(const char *key, char **field, struct mods *m);
int sigma_compile_value(struct compile *c, struct item *it, size_t *cap,
			const struct mods *m, yaml_node_t *n);

/* sigma_re.c: a PCRE pattern as a POSIX regular expression (V_RE). */
int sigma_value_regex(struct value *v, const char *src, int flags);

#endif
