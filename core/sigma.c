/* SPDX-License-Identifier: Apache-2.0 */
/* sigma: the Sigma rule engine: YAML to compiled rules, rules against raw
 * records, and rules over the store, whose hits become threats. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "core/error.h"
#include "core/event.h"
#include "core/jsonscan.h"
#include "core/sigma.h"
#include "core/store.h"
#include "core/threat.h"

#define SIGMA_MAX_FILE (1u << 20) /* larger rule files are refused */
#define SIGMA_MAX_DEPTH 64        /* nesting of conditions */
#define SIGMA_MAX_NEST 1000       /* nesting followed in records: what cJSON
				   * parses at most, so never a limit */

/* ---- log sources -------------------------------------------------------
 * Field names resolve into the raw record by dotted path. A few names in
 * the SigmaHQ Kubernetes rules come from a flattened field mapping, not
 * from the audit record; each maps to where the record keeps it (this is
 * what a Sigma processing pipeline's field mapping does). */

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

static const char *const cloudtrail_fields[] = {
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
	"awsRegion", "sourceIPAddress", "userAgent", "errorCode",
	"errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly",
	"resources", "eventType", "apiVersion", "managementEvent",
	"recipientAccountId", "sharedEventID", "serviceEventDetails",
	"vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
	"tlsDetails", "sessionCredentialFromConsole", "edgeDeviceDetails",
	"insightDetails", "addendum", NULL
};

static const char *const k8s_audit_fields[] = {
	"kind", "apiVersion", "level", "auditID", "stage", "requestURI",
	"verb", "user", "impersonatedUser", "sourceIPs", "userAgent",
	"objectRef", "responseStatus", "requestObject", "responseObject",
	"requestReceivedTimestamp", "stageTimestamp", "annotations",
	"metadata", "timestamp", NULL
};

static const struct field_alias no_aliases[] = { { NULL, { NULL } } };

static const struct field_alias k8s_audit_aliases[] = {
	{ "apiGroup", { "objectRef.apiGroup" } },
	{ "hostPath", { "requestObject.spec.volumes.hostPath" } },
	{ "capabilities",
	  { "requestObject.spec.containers.securityContext.capabilities",
	    "requestObject.spec.initContainers.securityContext.capabilities" } },
	{ NULL, { NULL } }
};

static const struct source_def sources[SIGMA_SOURCE_COUNT] = {
	[SIGMA_CLOUDTRAIL] = { "aws", "cloudtrail", "CloudTrail",
			       cloudtrail_fields, no_aliases },
	[SIGMA_K8S_AUDIT] = { "kubernetes", "audit", "Kubernetes audit",
			      k8s_audit_fields, k8s_audit_aliases },
};

const char *const sigma_source_events[SIGMA_SOURCE_COUNT] = {
	[SIGMA_CLOUDTRAIL] = "cloudtrail",
	[SIGMA_K8S_AUDIT] = "k8s_audit",
};

/* ---- the compiled form -------------------------------------------------- */

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

/* ---- small helpers ------------------------------------------------------ */

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold((unsigned char)a[i]) != (unsigned char)b[i])
			return false;
	return true;
}

/* h[0..hn) holds needle (already folded) in any case. */
static bool
ci_contains(const char *h, size_t hn, const char *needle, size_t nn)
{
	unsigned char lo, up;

	if (nn == 0)
		return true;
	if (hn < nn)
		return false;
	lo = (unsigned char)needle[0];
	up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - 32) : lo;
	for (size_t i = 0; i + nn <= hn; i++) {
		unsigned char c = (unsigned char)h[i];

		if ((c == lo || c == up) && ci_eq(h + i + 1, needle + 1, nn - 1))
			return true;
	}
	return false;
}

static bool
cs_contains(const char *h, size_t hn, const char *needle, size_t nn)
{
	if (nn == 0)
		return true;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == needle[0] && memcmp(h + i, needle, nn) == 0)
			return true;
	return false;
}

static size_t
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

/* Sigma's wildcard match: '*' any run, '?' one character. A failed
 * attempt after a star resumes one character further on, which finds a
 * match whenever there is one. */
static bool
glob_match(const unsigned short *u, size_t nu, const char *s, size_t n,
	   bool cased)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < n) {
		if (pi < nu && u[pi] == U_STAR) {
			star = pi++;
			mark = si;
			continue;
		}
		if (pi < nu && u[pi] == U_ONE) {
			si += utf8_len_at(s + si, n - si);
			pi++;
			continue;
		}
		if (pi < nu && u[pi] ==
		    (cased ? (unsigned char)s[si] : fold((unsigned char)s[si]))) {
			si++;
			pi++;
			continue;
		}
		if (star == (size_t)-1)
			return false;
		pi = star + 1;
		mark += utf8_len_at(s + mark, n - mark);
		si = mark;
	}
	while (pi < nu && u[pi] == U_STAR)
		pi++;
	return pi == nu;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t c = *cap ? *cap : 4;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(np = realloc(*p, c * size)))
		return err_set(ERR_NOMEM, "out of memory");
	*p = np;
	*cap = c;
	return 0;
}

/* Put "kind `name`: " before the last error message; returns code. */
static int
err_prefix(int code, const char *kind, const char *name)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	return err_set(code, "%s `%s`: %s", kind, name, msg);
}

/* ---- YAML helpers ------------------------------------------------------- */

struct ydoc {
	yaml_document_t doc;
	const char *file;
};

static yaml_node_t *
ynode(struct ydoc *y, int id)
{
	return id ? yaml_document_get_node(&y->doc, id) : NULL;
}

static bool
yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *
ystr(const yaml_node_t *n)
{
	return yscalar(n) ? (const char *)n->data.scalar.value : NULL;
}

/* A plain scalar YAML reads as null. */
static bool
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
static int
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

static yaml_node_t *
ymap_get(struct ydoc *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = ystr(ynode(y, p->key));

		if (k && !strcmp(k, key))
			return ynode(y, p->value);
	}
	return NULL;
}

/* A scalar member as an owned string (NULL when absent or not a scalar). */
static int
ydup(struct ydoc *y, yaml_node_t *map, const char *key, char **out)
{
	const char *s = ystr(ymap_get(y, map, key));

	*out = NULL;
	if (s && !(*out = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* A list of scalars (or one scalar) as an owned array of strings. */
static int
ydup_list(struct ydoc *y, yaml_node_t *map, const char *key, char ***out,
	  size_t *n)
{
	yaml_node_t *v = ymap_get(y, map, key);
	yaml_node_item_t *it;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (yscalar(v)) {
		if (!(*out = calloc(1, sizeof(char *))) ||
		    !((*out)[0] = strdup(ystr(v))))
			return err_set(ERR_NOMEM, "out of memory");
		*n = 1;
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return err_set(ERR_PARSE, "`%s` is neither a list nor a value", key);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const char *s = ystr(ynode(y, *it));

		if (!s)
			return err_set(ERR_PARSE, "`%s` holds something other "
				       "than values", key);
		if (grow(out, &cap, *n + 1, sizeof(char *)) < 0 ||
		    !((*out)[*n] = strdup(s)))
			return err_set(ERR_NOMEM, "out of memory");
		(*n)++;
	}
	return 0;
}

/* ---- values: modifiers, escapes, encodings ------------------------------ */

enum wild { W_NONE, W_CONTAINS, W_STARTS, W_ENDS };

struct mods {
	enum wild wild;
	bool all, cased, re, cidr, exists, fieldref, b64, b64off, cmp;
	int re_flags;       /* RE_I | RE_M | RE_S */
	int enc;            /* 0, or ENC_* before base64 */
	enum cmp op;
};

#define RE_I 1
#define RE_M 2
#define RE_S 4

enum { ENC_NONE, ENC_UTF16LE, ENC_UTF16BE, ENC_UTF16 };

/* Parse "field|mod|mod" into the field name (owned) and modifiers. */
static int
parse_key(const char *key, char **field, struct mods *m)
{
	const char *bar = strchr(key, '|'), *p;
	bool typed = false;   /* a type modifier seen (re, cidr, ...) */

	memset(m, 0, sizeof(*m));
	*field = xstrndup(key, bar ? (size_t)(bar - key) : strlen(key));
	if (!*field)
		return err_set(ERR_NOMEM, "out of memory");
	for (p = bar; p; p = strchr(p + 1, '|')) {
		const char *e = strchr(p + 1, '|');
		size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
		char mod[32];

		if (n >= sizeof(mod))
			return err_set(ERR_UNSUPPORTED, "unknown modifier `%.*s`",
				       (int)(n > 40 ? 40 : n), p + 1);
		memcpy(mod, p + 1, n);
		mod[n] = '\0';
		if (!strcmp(mod, "contains") || !strcmp(mod, "startswith") ||
		    !strcmp(mod, "endswith")) {
			if (m->wild)
				return err_set(ERR_PARSE, "two of contains, "
					       "startswith and endswith");
			m->wild = mod[0] == 'c' ? W_CONTAINS :
				  mod[0] == 's' ? W_STARTS : W_ENDS;
		} else if (!strcmp(mod, "all")) {
			m->all = true;
		} else if (!strcmp(mod, "cased")) {
			m->cased = true;
		} else if (!strcmp(mod, "re")) {
			m->re = typed = true;
		} else if (m->re && (!strcmp(mod, "i") || !strcmp(mod, "m") ||
				     !strcmp(mod, "s"))) {
			m->re_flags |= mod[0] == 'i' ? RE_I : mod[0] == 'm' ? RE_M : RE_S;
		} else if (!strcmp(mod, "cidr")) {
			m->cidr = typed = true;
		} else if (!strcmp(mod, "exists")) {
			m->exists = typed = true;
		} else if (!strcmp(mod, "fieldref")) {
			m->fieldref = true;
		} else if (!strcmp(mod, "base64") || !strcmp(mod, "base64offset")) {
			if (m->wild)
				return err_set(ERR_UNSUPPORTED, "`%s` after a "
					       "wildcard modifier would encode the "
					       "wildcard", mod);
			if (m->b64 || m->b64off)
				return err_set(ERR_PARSE, "base64 twice");
			m->b64 = !strcmp(mod, "base64");
			m->b64off = !m->b64;
		} else if (!strcmp(mod, "wide") || !strcmp(mod, "utf16le") ||
			   !strcmp(mod, "utf16be") || !strcmp(mod, "utf16")) {
			m->enc = !strcmp(mod, "utf16be") ? ENC_UTF16BE :
				 !strcmp(mod, "utf16") ? ENC_UTF16 : ENC_UTF16LE;
		} else if (!strcmp(mod, "lt") || !strcmp(mod, "lte") ||
			   !strcmp(mod, "gt") || !strcmp(mod, "gte")) {
			m->cmp = typed = true;
			m->op = !strcmp(mod, "lt") ? CMP_LT :
				!strcmp(mod, "lte") ? CMP_LTE :
				!strcmp(mod, "gt") ? CMP_GT : CMP_GTE;
		} else if (!strcmp(mod, "windash")) {
			return err_set(ERR_UNSUPPORTED, "modifier `windash` (Windows "
				       "command-line flag permutations) is not "
				       "supported");
		} else if (!strcmp(mod, "expand")) {
			return err_set(ERR_UNSUPPORTED, "modifier `expand`: "
				       "placeholders need values verdict does not "
				       "have");
		} else {
			return err_set(ERR_UNSUPPORTED, "unknown modifier `%s`", mod);
		}
	}
	if (m->enc && !m->b64 && !m->b64off)
		return err_set(ERR_UNSUPPORTED, "UTF-16 encoding without base64 "
			       "cannot match JSON text");
	if ((m->re + m->cidr + m->exists + m->cmp + m->fieldref) > 1 ||
	    (typed && (m->wild || m->b64 || m->b64off)) ||
	    (m->fieldref && (m->b64 || m->b64off)))
		return err_set(ERR_PARSE, "modifiers `%s` do not combine", bar + 1);
	return 0;
}

/* Append the units of a Sigma string: '*' and '?' are wildcards, a
 * backslash escapes '*', '?' and itself and is plain before anything
 * else. */
static int
units_parse(const char *s, bool cased, unsigned short **u, size_t *n)
{
	size_t len = strlen(s), k = 0;

	*u = malloc((len + 2) * sizeof(**u) + 2 * sizeof(**u));
	if (!*u)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && i + 1 < len &&
		    (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			c = (unsigned char)s[++i];
		} else if (c == '*') {
			if (!k || (*u)[k - 1] != U_STAR)
				(*u)[k++] = U_STAR;
			continue;
		} else if (c == '?') {
			(*u)[k++] = U_ONE;
			continue;
		}
		(*u)[k++] = cased ? c : fold(c);
	}
	*n = k;
	return 0;
}

static void
units_wrap(unsigned short *u, size_t *n, enum wild w)
{
	if ((w == W_CONTAINS || w == W_ENDS) && (!*n || u[0] != U_STAR)) {
		memmove(u + 1, u, *n * sizeof(*u));
		u[0] = U_STAR;
		(*n)++;
	}
	if ((w == W_CONTAINS || w == W_STARTS) && (!*n || u[*n - 1] != U_STAR))
		u[(*n)++] = U_STAR;
}

/* Pick the fastest kind that means the same as the units. */
static int
value_from_units(struct value *v, unsigned short *u, size_t n)
{
	size_t lo = 0, hi = n, inner = 0;
	bool lead, trail;

	lead = n && u[0] == U_STAR;
	trail = n > lead && u[n - 1] == U_STAR;
	if (lead)
		lo = 1;
	if (trail)
		hi = n - 1;
	for (size_t i = lo; i < hi; i++)
		if (u[i] >= U_ONE)
			inner++;
	if (inner) {
		v->kind = V_GLOB;
		v->units = u;
		v->nunits = n;
		return 0;
	}
	v->kind = lead && trail ? V_SUBSTR : lead ? V_SUFFIX :
		  trail ? V_PREFIX : V_EXACT;
	if (!(v->lit = malloc(hi - lo + 1))) {
		free(u);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = lo; i < hi; i++)
		v->lit[i - lo] = (char)u[i];
	v->len = hi - lo;
	v->lit[v->len] = '\0';
	free(u);
	return 0;
}

/* A literal (no wildcards) wrapped as the modifiers say. */
static int
value_literal(struct value *v, const char *s, size_t n, const struct mods *m)
{
	unsigned short *u = malloc((n + 2) * sizeof(*u));
	size_t k = 0;

	if (!u)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		u[k++] = m->cased ? (unsigned char)s[i] : fold((unsigned char)s[i]);
	units_wrap(u, &k, m->wild);
	return value_from_units(v, u, k);
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
base64_encode(const unsigned char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		if (buf_add(out, q, 4) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/* The bytes to encode: the value as UTF-8, or as UTF-16. */
static int
encode_text(const char *s, int enc, struct buf *out)
{
	size_t n = strlen(s);

	if (enc == ENC_NONE)
		return buf_add(out, s, n);
	if (enc == ENC_UTF16 && buf_add(out, "\xFF\xFE", 2) < 0)
		return ERR_NOMEM;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = utf8_len_at(s + i, n - i);
		unsigned cp = c;
		unsigned units[2];
		int nu = 1;

		if (k == 2)
			cp = ((c & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
		else if (k == 3)
			cp = ((c & 0x0Fu) << 12) |
			     (((unsigned char)s[i + 1] & 0x3Fu) << 6) |
			     ((unsigned char)s[i + 2] & 0x3Fu);
		else if (k == 4)
			cp = ((c & 0x07u) << 18) |
			     (((unsigned char)s[i + 1] & 0x3Fu) << 12) |
			     (((unsigned char)s[i + 2] & 0x3Fu) << 6) |
			     ((unsigned char)s[i + 3] & 0x3Fu);
		i += k;
		units[0] = cp;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[0] = 0xD800 | (cp >> 10);
			units[1] = 0xDC00 | (cp & 0x3FF);
			nu = 2;
		}
		for (int j = 0; j < nu; j++) {
			char b[2];

			b[enc == ENC_UTF16BE ? 0 : 1] = (char)(units[j] >> 8);
			b[enc == ENC_UTF16BE ? 1 : 0] = (char)(units[j] & 0xFF);
			if (buf_add(out, b, 2) < 0)
				return ERR_NOMEM;
		}
	}
	return 0;
}

/* The Sigma string without its escapes; ERR_PARSE on a wildcard, which
 * an encoding modifier cannot carry. */
static int
plain_text(const char *s, struct buf *out)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && (s[i + 1] == '*' || s[i + 1] == '?' ||
				     s[i + 1] == '\\'))
			i++;
		else if (s[i] == '*' || s[i] == '?')
			return err_set(ERR_PARSE, "wildcard in a base64 value");
		if (buf_addc(out, s[i]) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/* ---- regular expressions -----------------------------------------------
 * Rules write PCRE; POSIX ERE (regcomp) runs them. The translation keeps
 * PCRE's meaning where ERE differs ('.' and '$' at newlines, classes like
 * \d, escapes inside brackets) and refuses what ERE cannot say
 * (lookaround, backreferences, possessive quantifiers). Lazy quantifiers
 * only change which match is found, never whether one is, so they become
 * greedy. */

static int
re_unsupported(const char *what)
{
	return err_set(ERR_UNSUPPORTED, "regular expression uses %s, which "
		       "POSIX regular expressions cannot express", what);
}

static int
re_bracket(const char *p, size_t *i, int flags, struct buf *o)
{
	struct buf body;
	bool neg = false, rb = false, dash = false, caret = false, first = true;
	size_t k = *i + 1;
	int rc = 0;

	buf_init(&body);
	if (p[k] == '^') {
		neg = true;
		k++;
	}
	for (;; first = false) {
		char c = p[k];

		if (!c) {
			rc = err_set(ERR_PARSE, "regular expression: `[` without `]`");
			goto out;
		}
		if (c == ']' && !first)
			break;
		if (c == ']') {
			rb = true;
			k++;
		} else if (c == '[' && (p[k + 1] == ':' || p[k + 1] == '.' ||
					p[k + 1] == '=')) {
			const char *end = strstr(p + k + 2, (char[]){ p[k + 1], ']', 0 });

			if (!end) {
				rc = err_set(ERR_PARSE, "regular expression: "
					     "unterminated class");
				goto out;
			}
			buf_add(&body, p + k, (size_t)(end + 2 - (p + k)));
			k = (size_t)(end + 2 - p);
		} else if (c == '\\') {
			char e = p[k + 1];

			k += 2;
			if (e == 'd')
				buf_adds(&body, "0-9");
			else if (e == 'w')
				buf_adds(&body, "[:alnum:]_");
			else if (e == 's')
				buf_adds(&body, "[:space:]");
			else if (e == 'D' || e == 'W' || e == 'S') {
				rc = re_unsupported("a negated class inside brackets");
				goto out;
			} else if (e == ']')
				rb = true;
			else if (e == '-')
				dash = true;
			else if (e == '^')
				caret = true;
			else if (e == 'n')
				buf_addc(&body, '\n');
			else if (e == 't')
				buf_addc(&body, '\t');
			else if (e == 'r')
				buf_addc(&body, '\r');
			else if (e && !((e >= 'a' && e <= 'z') ||
					(e >= 'A' && e <= 'Z') ||
					(e >= '0' && e <= '9')))
				buf_addc(&body, e);
			else {
				rc = re_unsupported("an escape inside brackets");
				goto out;
			}
		} else if (c == '-' && (first || p[k + 1] == ']')) {
			dash = true;
			k++;
		} else if (c == '^') {
			caret = true;
			k++;
		} else {
			buf_addc(&body, c);
			k++;
		}
	}
	*i = k + 1; /* past the `]` */
	if (!neg && !rb && !dash && caret && !body.len) {
		buf_adds(o, "\\^");
		goto out;
	}
	/* Under REG_NEWLINE a negated list stops matching a newline; PCRE's
	 * still matches one. */
	if (neg && (flags & RE_M))
		buf_addc(o, '(');
	buf_addc(o, '[');
	if (neg)
		buf_addc(o, '^');
	if (rb)
		buf_addc(o, ']');
	if (body.len)
		buf_add(o, body.data, body.len);
	if (caret)
		buf_addc(o, '^');
	if (dash)
		buf_addc(o, '-');
	buf_addc(o, ']');
	if (neg && (flags & RE_M))
		buf_adds(o, "|\n)");
out:
	buf_dispose(&body);
	return rc;
}

/* The longest run of plain characters every match must contain, found
 * while translating: regexec runs only on texts that hold it. Runs break
 * at anything but a plain ASCII character outside groups; a quantifier
 * that allows zero takes its character back out; alternation at the top
 * means nothing is required. */
struct relit {
	struct buf cur, best;
	int depth;          /* group nesting */
	bool last_plain;    /* the previous atom is the last byte of cur */
	bool none;          /* top-level alternation */
};

static void
relit_break(struct relit *x)
{
	if (x->cur.len > x->best.len) {
		buf_reset(&x->best);
		buf_add(&x->best, x->cur.data, x->cur.len);
	}
	buf_reset(&x->cur);
	x->last_plain = false;
}

static void
relit_char(struct relit *x, char c)
{
	if (x->depth || (unsigned char)c >= 0x80) {
		relit_break(x);
		return;
	}
	buf_addc(&x->cur, c);
	x->last_plain = true;
}

/* A quantifier; may_skip when it allows zero repeats. */
static void
relit_quant(struct relit *x, bool may_skip)
{
	if (x->last_plain && may_skip && x->cur.len)
		x->cur.data[--x->cur.len] = '\0';
	relit_break(x);
}

/* Translate PCRE pattern p with flags into ERE text in o, and the literal
 * every match holds into lit. */
static int
re_translate(const char *p, int *flags, struct buf *o, struct buf *lit)
{
	struct relit x = { .depth = 0 };
	size_t i = 0;
	int rc = 0;

	buf_init(&x.cur);
	buf_init(&x.best);
	if (!strncmp(p, "(?i)", 4)) {
		*flags |= RE_I;
		i = 4;
	}
	while (rc == 0 && p[i]) {
		char c = p[i];

		if (c == '\\') {
			char e = p[i + 1];
			static const char *const classes[][2] = {
				{ "d", "[0-9]" }, { "D", "[^0-9]" },
				{ "w", "[[:alnum:]_]" }, { "W", "[^[:alnum:]_]" },
				{ "s", "[[:space:]]" }, { "S", "[^[:space:]]" },
			};
			bool done = false;

			i += 2;
			for (size_t k = 0; k < 6 && !done; k++)
				if (e == classes[k][0][0]) {
					buf_adds(o, classes[k][1]);
					done = true;
				}
			if (done) {
				relit_break(&x);
			} else if (e == 'b' || e == 'B') {
				buf_addc(o, '\\');
				buf_addc(o, e);
				relit_break(&x);
			} else if (e == 'n' || e == 't' || e == 'r') {
				e = e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
				buf_addc(o, e);
				relit_char(&x, e);
			} else if (e && strchr(".[]{}()*+?^$|\\/-", e)) {
				if (strchr(".[{()*+?^$|\\", e))
					buf_addc(o, '\\');
				buf_addc(o, e);
				relit_char(&x, e);
			} else if (!e) {
				rc = err_set(ERR_PARSE, "regular expression ends with "
					     "a backslash");
			} else if (e >= '1' && e <= '9') {
				rc = re_unsupported("a backreference");
			} else if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
				     (e >= '0' && e <= '9'))) {
				buf_addc(o, e);
				relit_char(&x, e);
			} else {
				char what[16];

				snprintf(what, sizeof(what), "`\\%c`", e);
				rc = re_unsupported(what);
			}
			continue;
		}
		if (c == '[') {
			relit_break(&x);
			rc = re_bracket(p, &i, *flags, o);
			continue;
		}
		if (c == '(') {
			if (p[i + 1] == '?' && p[i + 2] != ':') {
				rc = re_unsupported("a `(?` group other than `(?:`");
				continue;
			}
			relit_break(&x);
			x.depth++;
			buf_addc(o, '(');
			i += p[i + 1] == '?' ? 3 : 1;
			continue;
		}
		if (c == ')' || c == '^') {
			relit_break(&x);
			if (c == ')' && x.depth > 0)
				x.depth--;
		} else if (c == '|') {
			if (!x.depth)
				x.none = true;
			relit_break(&x);
		} else if (c == '.') {
			/* PCRE's dot skips newlines unless `s`; ERE's matches them
			 * unless REG_NEWLINE (which `m` turns on). */
			if ((*flags & RE_S) && (*flags & RE_M))
				buf_adds(o, "(.|\n)");
			else if (!(*flags & RE_S) && !(*flags & RE_M))
				buf_adds(o, "[^\n]");
			else
				buf_addc(o, '.');
			relit_break(&x);
			i++;
			continue;
		} else if (c == '$' && !(*flags & RE_M)) {
			buf_adds(o, "(\n?$)"); /* PCRE: end, or before a final newline */
			relit_break(&x);
			i++;
			continue;
		} else if (c == '$') {
			relit_break(&x);
		}
		if (c == '{') {
			size_t k = i + 1;

			while (p[k] >= '0' && p[k] <= '9')
				k++;
			if (p[k] == ',')
				for (k++; p[k] >= '0' && p[k] <= '9'; k++)
					;
			if (k == i + 1 || p[k] != '}') {
				buf_adds(o, "\\{"); /* PCRE reads it as a brace */
				relit_char(&x, '{');
				i++;
				continue;
			}
			relit_quant(&x, p[i + 1] == '0' || p[i + 1] == ',');
			buf_add(o, p + i, k + 1 - i);
			i = k + 1;
		} else {
			if (c == '*' || c == '?' || c == '+')
				relit_quant(&x, c != '+');
			else if (!strchr(")^|$", c))
				relit_char(&x, c);
			buf_addc(o, c);
			i++;
		}
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (p[i] == '+')
				rc = re_unsupported("a possessive quantifier");
			else if (p[i] == '?')
				i++;
		}
	}
	relit_break(&x);
	if (rc == 0 && !x.none && x.best.len)
		rc = buf_add(lit, x.best.data, x.best.len) < 0 ? ERR_NOMEM : 0;
	buf_dispose(&x.cur);
	buf_dispose(&x.best);
	return rc;
}

static int
value_regex(struct value *v, const char *src, int flags)
{
	struct buf ere, lit;
	char msg[160];
	int cflags, rc;

	buf_init(&ere);
	buf_init(&lit);
	v->kind = V_RE;
	v->re_flags = flags;
	if (!(v->src = strdup(src)) || !(v->re = calloc(1, sizeof(*v->re)))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = re_translate(src, &v->re_flags, &ere, &lit)) < 0)
		goto out;
	/* The literal must be there, whatever the case under `i`. */
	if (lit.len) {
		v->len = lit.len;
		v->lit = buf_detach(&lit);
		for (size_t k = 0; (v->re_flags & RE_I) && k < v->len; k++)
			v->lit[k] = (char)fold((unsigned char)v->lit[k]);
	}
	cflags = REG_EXTENDED | REG_NOSUB;
	if (v->re_flags & RE_I)
		cflags |= REG_ICASE;
	if (v->re_flags & RE_M)
		cflags |= REG_NEWLINE;
	rc = regcomp(v->re, ere.data ? ere.data : "", cflags);
	if (rc != 0) {
		regerror(rc, v->re, msg, sizeof(msg));
		free(v->re);
		v->re = NULL;
		rc = err_set(ERR_PARSE, "regular expression `%s`: %s", src, msg);
	}
out:
	buf_dispose(&ere);
	buf_dispose(&lit);
	return rc;
}

static int
value_cidr(struct value *v, const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;
	long bits;
	int max;

	v->kind = V_CIDR;
	if (n >= sizeof(addr))
		return err_set(ERR_PARSE, "`%s` is not a CIDR network", s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, v->net) == 1)
		v->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, addr, v->net) == 1)
		v->family = AF_INET6, max = 128;
	else
		return err_set(ERR_PARSE, "`%s` is not a CIDR network", s);
	bits = max;
	if (slash) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits < 0 || bits > max)
			return err_set(ERR_PARSE, "`%s` is not a CIDR network", s);
	}
	v->bits = (int)bits;
	return (v->src = strdup(s)) ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static bool
cidr_match(const struct value *v, const char *s)
{
	unsigned char a[16];
	int full = v->bits / 8, rest = v->bits % 8;

	if (inet_pton(v->family, s, a) != 1)
		return false;
	if (memcmp(a, v->net, (size_t)full) != 0)
		return false;
	return !rest || ((a[full] ^ v->net[full]) & (0xFF << (8 - rest))) == 0;
}

/* A number written as the whole of s. */
static bool
parse_number(const char *s, double *out)
{
	char *end;

	if (!*s || *s == ' ' || *s == '\t' || *s == '\n')
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && !*end && isfinite(*out);
}

static void
value_dispose(struct value *v)
{
	free(v->lit);
	free(v->units);
	if (v->re) {
		regfree(v->re);
		free(v->re);
	}
	free(v->src);
}

/* ---- fields --------------------------------------------------------------- */

/* The index of field name for source, added on first use. */
static int
field_intern(struct sigma_index *ix, enum sigma_source src, const char *name)
{
	const struct field_alias *a;
	struct field *f;

	for (size_t i = 0; i < ix->nf; i++)
		if (ix->f[i].source == src && !strcmp(ix->f[i].name, name))
			return (int)i;
	if (grow(&ix->f, &ix->capf, ix->nf + 1, sizeof(*ix->f)) < 0)
		return ERR_NOMEM;
	f = &ix->f[ix->nf];
	memset(f, 0, sizeof(*f));
	f->source = src;
	if (!(f->name = strdup(name)))
		return err_set(ERR_NOMEM, "out of memory");
	f->paths[0] = f->name;
	f->npaths = 1;
	for (a = sources[src].aliases; a->name; a++) {
		if (strcmp(a->name, name) != 0)
			continue;
		for (f->npaths = 0; f->npaths < 3 && a->paths[f->npaths]; f->npaths++)
			f->paths[f->npaths] = a->paths[f->npaths];
	}
	return (int)ix->nf++;
}

/* True when the first segment of path is a field of the source's
 * records (or the path is a known dotted member like "a.b" itself). */
static bool
field_known(enum sigma_source src, const char *path)
{
	for (const char *const *k = sources[src].known; *k; k++) {
		size_t n = strlen(*k);

		if (!strncmp(path, *k, n) && (path[n] == '.' || !path[n]))
			return true;
	}
	return false;
}

/* ---- detection ----------------------------------------------------------- */

struct compile {
	struct sigma_ruleset *rs;
	struct ydoc *y;
	struct sigma_rule *r;
	struct sigma_detection *d;
	const char *search;   /* the search identifier being compiled */
	struct buf notes;     /* caveats, "; "-separated */
};

static int
add_value(struct item *it, size_t *cap, struct value **out)
{
	if (grow(&it->v, cap, it->nv + 1, sizeof(*it->v)) < 0)
		return ERR_NOMEM;
	*out = &it->v[it->nv++];
	memset(*out, 0, sizeof(**out));
	(*out)->group = it->ngroups;
	return 0;
}

/* The base64 form of enc as a literal value. With base64offset, enc is
 * taken shifted by 0-2 bytes inside a longer text: the characters that
 * also encode neighbouring bytes then differ, so only the middle part,
 * which is the same wherever the text sits, is kept. */
static int
value_base64(struct value *v, const struct buf *enc, int shift,
	     const struct mods *m)
{
	static const size_t head[3] = { 0, 2, 3 };  /* by shift */
	static const size_t tail[3] = { 0, 3, 2 };  /* by total length % 3 */
	struct mods lm = *m;
	struct buf in, out;
	size_t lo = 0, hi;
	int rc;

	buf_init(&in);
	buf_init(&out);
	if (buf_add(&in, "\0\0", (size_t)shift) < 0 ||
	    (enc->len && buf_add(&in, enc->data, enc->len) < 0) ||
	    base64_encode((const unsigned char *)(in.data ? in.data : ""),
			  in.len, &out) < 0) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	hi = out.len;
	if (m->b64off) {
		lo = head[shift];
		if (hi >= tail[in.len % 3])
			hi -= tail[in.len % 3];
		if (hi < lo)
			hi = lo;
	}
	lm.cased = true; /* base64 text is case-sensitive */
	v->cased = true;
	rc = value_literal(v, out.data ? out.data + lo : "", hi - lo, &lm);
out:
	buf_dispose(&in);
	buf_dispose(&out);
	return rc;
}

/* One YAML value of an item, compiled into one or more values (base64
 * offsets give three, any of which may match). */
static int
compile_value(struct compile *c, struct item *it, size_t *cap,
	      const struct mods *m, yaml_node_t *n)
{
	const char *s = ystr(n);
	struct value *v;
	struct buf raw, enc;
	int rc = 0, b;

	if (!s)
		return err_set(ERR_PARSE, "a value is a list or map, not a value");
	buf_init(&raw);
	buf_init(&enc);
	if (m->exists) {
		if ((b = ybool(n)) < 0)
			return err_set(ERR_PARSE, "`exists` needs true or false");
		if ((rc = add_value(it, cap, &v)) < 0)
			return rc;
		v->kind = V_EXISTS;
		v->want = b;
		goto done;
	}
	if (ynull(n)) {
		if (m->wild || m->re || m->cidr || m->cmp || m->fieldref ||
		    m->b64 || m->b64off)
			return err_set(ERR_PARSE, "null with a modifier");
		if ((rc = add_value(it, cap, &v)) < 0)
			return rc;
		v->kind = V_NULL;
		goto done;
	}
	if ((rc = add_value(it, cap, &v)) < 0)
		return rc;
	v->cased = m->cased;
	if (m->re) {
		rc = value_regex(v, s, m->re_flags);
	} else if (m->cidr) {
		rc = value_cidr(v, s);
	} else if (m->cmp) {
		v->kind = V_NUM;
		v->cmp = m->op;
		if (!parse_number(s, &v->num))
			rc = err_set(ERR_PARSE, "`%s` is not a number", s);
	} else if (m->fieldref) {
		v->kind = V_FIELDREF;
		v->how = m->wild == W_CONTAINS ? V_SUBSTR : m->wild == W_STARTS ?
			 V_PREFIX : m->wild == W_ENDS ? V_SUFFIX : V_EXACT;
		rc = field_intern(c->rs->ix, c->r->source, s);
		v->ref = rc;
		rc = rc < 0 ? rc : 0;
	} else if (m->b64 || m->b64off) {
		if ((rc = plain_text(s, &raw)) < 0 ||
		    (rc = encode_text(raw.data ? raw.data : "", m->enc, &enc)) < 0)
			goto out;
		for (int shift = 0; shift < (m->b64off ? 3 : 1) && rc >= 0; shift++) {
			if (shift && (rc = add_value(it, cap, &v)) < 0)
				goto out;
			rc = value_base64(v, &enc, shift, m);
		}
	} else {
		unsigned short *u;
		size_t nu;

		if ((rc = units_parse(s, m->cased, &u, &nu)) < 0)
			goto out;
		units_wrap(u, &nu, m->wild);
		rc = value_from_units(v, u, nu);
	}
done:
	it->ngroups++;
out:
	buf_dispose(&raw);
	buf_dispose(&enc);
	return rc;
}

static void
item_dispose(struct item *it)
{
	for (size_t i = 0; i < it->nv; i++)
		value_dispose(&it->v[i]);
	free(it->v);
}

/* A field (or keyword) with its value or list of values. */
static int
compile_item(struct compile *c, struct item *it, const char *key, yaml_node_t *val,
	     bool keywords)
{
	struct mods m;
	char *field = NULL;
	size_t cap = 0;
	int rc;

	memset(it, 0, sizeof(*it));
	it->field = -1;
	if ((rc = parse_key(key, &field, &m)) < 0)
		goto out;
	it->all = m.all;
	if (!*field) {
		keywords = true;
	} else {
		if ((rc = field_intern(c->rs->ix, c->r->source, field)) < 0)
			goto out;
		it->field = rc;
		for (size_t p = 0; p < c->rs->ix->f[rc].npaths; p++)
			if (!field_known(c->r->source, c->rs->ix->f[rc].paths[p])) {
				buf_printf(&c->notes, "%sdetection `%s`: field "
					   "`%s` is not part of %s records (the "
					   "rule may assume another field "
					   "mapping)", c->notes.len ? "; " : "",
					   c->search, field,
					   sources[c->r->source].label);
				break;
			}
	}
	/* Keywords match anywhere inside a string value. */
	if (keywords && !m.wild && !m.re && !m.cidr && !m.cmp && !m.exists)
		m.wild = W_CONTAINS;
	if (keywords && (m.exists || m.fieldref)) {
		rc = err_set(ERR_PARSE, "keywords with `%s`", m.exists ? "exists" :
			     "fieldref");
		goto out;
	}
	if (yscalar(val)) {
		rc = compile_value(c, it, &cap, &m, val);
	} else if (val && val->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *e;

		if (val->data.sequence.items.start == val->data.sequence.items.top) {
			rc = err_set(ERR_PARSE, "empty list of values");
			goto out;
		}
		for (e = val->data.sequence.items.start;
		     e < val->data.sequence.items.top && rc >= 0; e++)
			rc = compile_value(c, it, &cap, &m, ynode(c->y, *e));
	} else {
		rc = err_set(ERR_PARSE, "a map where values belong");
	}
	if (rc >= 0)
		rc = 0;
out:
	free(field);
	return rc;
}

static int
group_add_item(struct group *g, size_t *cap, struct item **out)
{
	if (grow(&g->it, cap, g->n + 1, sizeof(*g->it)) < 0)
		return ERR_NOMEM;
	*out = &g->it[g->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->field = -1;
	return 0;
}

/* A map: every field must match. */
static int
compile_map(struct compile *c, struct group *g, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	size_t cap = 0;
	int rc;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *key = ystr(ynode(c->y, p->key));
		struct item *it;

		if (!key)
			return err_set(ERR_PARSE, "a field name is not a string");
		if ((rc = group_add_item(g, &cap, &it)) < 0)
			return rc;
		if ((rc = compile_item(c, it, key, ynode(c->y, p->value), false)) < 0)
			return rc == ERR_NOMEM ? rc : err_prefix(rc, "field", key);
	}
	if (g->n == 0)
		return err_set(ERR_PARSE, "an empty map");
	return 0;
}

static void
search_dispose(struct search *s)
{
	for (size_t g = 0; g < s->ng; g++) {
		for (size_t i = 0; i < s->g[g].n; i++)
			item_dispose(&s->g[g].it[i]);
		free(s->g[g].it);
	}
	free(s->g);
	free(s->name);
}

/* A search identifier: a map, a list of maps (any), or keywords. */
static int
compile_search(struct compile *c, struct search *s, yaml_node_t *n)
{
	size_t cap = 0;
	int rc;

	if (n && n->type == YAML_MAPPING_NODE) {
		if ((rc = grow(&s->g, &cap, 1, sizeof(*s->g))) < 0)
			return rc;
		memset(&s->g[0], 0, sizeof(s->g[0]));
		s->ng = 1;
		return compile_map(c, &s->g[0], n);
	}
	if (yscalar(n) || (n && n->type == YAML_SEQUENCE_NODE)) {
		struct group kw = { 0 };
		size_t kcap = 0;
		struct item *it = NULL;
		yaml_node_item_t *e;

		if (yscalar(n)) {
			if ((rc = group_add_item(&kw, &kcap, &it)) < 0)
				goto kwfail;
			if ((rc = compile_item(c, it, "", n, true)) < 0)
				goto kwfail;
		} else {
			size_t vcap = 0;

			for (e = n->data.sequence.items.start;
			     e < n->data.sequence.items.top; e++) {
				yaml_node_t *x = ynode(c->y, *e);

				if (x && x->type == YAML_MAPPING_NODE) {
					if ((rc = grow(&s->g, &cap, s->ng + 1,
						       sizeof(*s->g))) < 0)
						goto kwfail;
					memset(&s->g[s->ng], 0, sizeof(s->g[0]));
					if ((rc = compile_map(c, &s->g[s->ng++], x)) < 0)
						goto kwfail;
					continue;
				}
				if (!yscalar(x) || ynull(x)) {
					rc = err_set(ERR_PARSE, "a list holds "
						     "something other than maps "
						     "and keywords");
					goto kwfail;
				}
				/* Keywords of a list collect into one item. */
				if (!it) {
					if ((rc = group_add_item(&kw, &kcap, &it)) < 0)
						goto kwfail;
				}
				{
					struct mods m = { .wild = W_CONTAINS };

					if ((rc = compile_value(c, it, &vcap, &m, x)) < 0)
						goto kwfail;
				}
			}
			if (!it && !s->ng) {
				rc = err_set(ERR_PARSE, "an empty list");
				goto kwfail;
			}
		}
		if (it) {
			if ((rc = grow(&s->g, &cap, s->ng + 1, sizeof(*s->g))) < 0)
				goto kwfail;
			s->g[s->ng++] = kw;
		}
		return 0;
kwfail:
		for (size_t i = 0; i < kw.n; i++)
			item_dispose(&kw.it[i]);
		free(kw.it);
		return rc;
	}
	return err_set(ERR_PARSE, "neither a map, a list nor keywords");
}

/* ---- conditions ----------------------------------------------------------- */

struct cparse {
	struct compile *c;
	const char *p;        /* the condition text */
	size_t pos;
	char tok[128];        /* current token: "(", ")", a word, "" at end */
	int depth;
};

static void
cond_next(struct cparse *cp)
{
	const char *p = cp->p;
	size_t i = cp->pos, n = 0;

	while (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
		i++;
	if (p[i] == '(' || p[i] == ')' || p[i] == '|') {
		cp->tok[n++] = p[i++];
	} else {
		while (p[i] && !strchr(" \t\r\n()|", p[i])) {
			if (n + 1 < sizeof(cp->tok))
				cp->tok[n++] = p[i];
			i++;
		}
	}
	cp->tok[n] = '\0';
	cp->pos = i;
}

static bool
tok_is(const struct cparse *cp, const char *word)
{
	return !strcasecmp(cp->tok, word);
}

static int
cnode_add(struct sigma_detection *d, enum cnode_kind k, int ref, int a, int b)
{
	if (grow(&d->cn, &d->capcn, d->ncn + 1, sizeof(*d->cn)) < 0)
		return ERR_NOMEM;
	d->cn[d->ncn] = (struct cnode){ k, ref, a, b };
	return (int)d->ncn++;
}

/* Sigma's identifier patterns: '*' is any run. */
static bool
name_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;; s++) {
			if (name_match(pat + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *s == *pat && name_match(pat + 1, s + 1);
}

static int cond_or(struct cparse *cp);

/* `1 of X*`, `all of them`: the matching search identifiers joined. */
static int
cond_of(struct cparse *cp, bool all)
{
	struct sigma_detection *d = cp->c->d;
	bool them;
	int node = -1, rc;
	char pat[128];

	cond_next(cp);
	if (!tok_is(cp, "of"))
		return err_set(ERR_PARSE, "condition: `of` expected after `%s`",
			       all ? "all" : "1");
	cond_next(cp);
	if (!cp->tok[0] || !strcmp(cp->tok, "(") || !strcmp(cp->tok, ")"))
		return err_set(ERR_PARSE, "condition: a name or `them` expected "
			       "after `of`");
	them = tok_is(cp, "them");
	snprintf(pat, sizeof(pat), "%s", cp->tok);
	for (size_t i = 0; i < d->ns; i++) {
		if (them ? d->s[i].name[0] == '_' : !name_match(pat, d->s[i].name))
			continue;
		if ((rc = cnode_add(d, C_REF, (int)i, -1, -1)) < 0)
			return rc;
		if (node >= 0 && (rc = cnode_add(d, all ? C_AND : C_OR, -1, node,
						 rc)) < 0)
			return rc;
		node = rc;
	}
	if (node < 0)
		return err_set(ERR_PARSE, "condition: `%s of %s` matches no search "
			       "identifier", all ? "all" : "1", pat);
	cond_next(cp);
	return node;
}

static int
cond_primary(struct cparse *cp)
{
	struct sigma_detection *d = cp->c->d;
	int rc;

	if (++cp->depth > SIGMA_MAX_DEPTH)
		return err_set(ERR_PARSE, "condition nested too deeply");
	if (!strcmp(cp->tok, "(")) {
		cond_next(cp);
		if ((rc = cond_or(cp)) < 0)
			return rc;
		if (strcmp(cp->tok, ")") != 0)
			return err_set(ERR_PARSE, "condition: `)` expected");
		cond_next(cp);
	} else if (tok_is(cp, "not")) {
		cond_next(cp);
		if ((rc = cond_primary(cp)) < 0 ||
		    (rc = cnode_add(d, C_NOT, -1, rc, -1)) < 0)
			return rc;
	} else if (!strcmp(cp->tok, "1") || tok_is(cp, "all")) {
		if ((rc = cond_of(cp, tok_is(cp, "all"))) < 0)
			return rc;
	} else if (cp->tok[0] >= '0' && cp->tok[0] <= '9') {
		return err_set(ERR_UNSUPPORTED, "condition `%s of`: only `1 of` "
			       "and `all of` are in the specification", cp->tok);
	} else if (!cp->tok[0] || !strcmp(cp->tok, ")") || tok_is(cp, "and") ||
		   tok_is(cp, "or")) {
		return err_set(ERR_PARSE, "condition: a search identifier "
			       "expected%s%s", cp->tok[0] ? " before " : " at the end",
			       cp->tok);
	} else {
		size_t i;

		for (i = 0; i < d->ns && strcmp(d->s[i].name, cp->tok); i++)
			;
		if (i == d->ns)
			return err_set(ERR_PARSE, "condition names `%s`, which "
				       "detection does not define", cp->tok);
		if ((rc = cnode_add(d, C_REF, (int)i, -1, -1)) < 0)
			return rc;
		cond_next(cp);
	}
	cp->depth--;
	return rc;
}

static int
cond_and(struct cparse *cp)
{
	int a, b;

	if ((a = cond_primary(cp)) < 0)
		return a;
	while (tok_is(cp, "and")) {
		cond_next(cp);
		if ((b = cond_primary(cp)) < 0 ||
		    (a = cnode_add(cp->c->d, C_AND, -1, a, b)) < 0)
			return b < 0 ? b : a;
	}
	return a;
}

static int
cond_or(struct cparse *cp)
{
	int a, b;

	if ((a = cond_and(cp)) < 0)
		return a;
	while (tok_is(cp, "or")) {
		cond_next(cp);
		if ((b = cond_and(cp)) < 0 ||
		    (a = cnode_add(cp->c->d, C_OR, -1, a, b)) < 0)
			return b < 0 ? b : a;
	}
	return a;
}

static int
compile_condition(struct compile *c, const char *text)
{
	struct cparse cp = { .c = c, .p = text };
	int root;

	if (strchr(text, '|'))
		return err_set(ERR_UNSUPPORTED, "aggregation in the condition "
			       "(`%s`) needs correlation over many events", text);
	cond_next(&cp);
	if ((root = cond_or(&cp)) < 0)
		return root;
	if (cp.tok[0])
		return err_set(ERR_PARSE, "condition: unexpected `%s`", cp.tok);
	return root;
}

/* ---- rules --------------------------------------------------------------- */

static void
detection_free(struct sigma_detection *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ns; i++)
		search_dispose(&d->s[i]);
	free(d->s);
	free(d->cn);
	free(d->detection);
	free(d);
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_free(struct sigma_rule *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->title);
	free(r->id);
	free(r->status);
	free(r->level);
	free(r->description);
	free(r->author);
	free(r->date);
	free(r->product);
	free(r->service);
	free(r->category);
	strv_free(r->tags, r->ntags);
	strv_free(r->fields, r->nfields);
	strv_free(r->falsepositives, r->nfalsepositives);
	strv_free(r->references, r->nreferences);
	free(r->tactics);
	detection_free(r->det);
	free(r);
}

static const char *
level_severity(const char *level)
{
	static const char *const map[][2] = {
		{ "informational", "info" }, { "low", "low" },
		{ "medium", "medium" }, { "high", "high" },
		{ "critical", "critical" },
	};

	for (size_t i = 0; level && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(level, map[i][0]))
			return map[i][1];
	return "unknown";
}

static int
rule_tactics(struct sigma_rule *r)
{
	cJSON *a = NULL;

	for (size_t i = 0; i < r->ntags; i++) {
		if (strncasecmp(r->tags[i], "attack.", 7) != 0)
			continue;
		if (!a && !(a = cJSON_CreateArray()))
			return err_set(ERR_NOMEM, "out of memory");
		cJSON_AddItemToArray(a, cJSON_CreateString(r->tags[i]));
	}
	if (!a)
		return 0;
	r->tactics = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return r->tactics ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int
rule_logsource(struct ydoc *y, yaml_node_t *root, struct sigma_rule *r)
{
	yaml_node_t *ls = ymap_get(y, root, "logsource");
	int rc;

	if (!ls || ls->type != YAML_MAPPING_NODE)
		return err_set(ERR_PARSE, "no `logsource` map");
	if ((rc = ydup(y, ls, "product", &r->product)) < 0 ||
	    (rc = ydup(y, ls, "service", &r->service)) < 0 ||
	    (rc = ydup(y, ls, "category", &r->category)) < 0)
		return rc;
	for (int s = 0; s < SIGMA_SOURCE_COUNT; s++) {
		if (r->product && r->service &&
		    !strcasecmp(r->product, sources[s].product) &&
		    !strcasecmp(r->service, sources[s].service)) {
			r->source = (enum sigma_source)s;
			return 0;
		}
	}
	return err_set(ERR_UNSUPPORTED, "log source%s%s%s%s%s%s: verdict runs "
		       "rules on aws/cloudtrail and kubernetes/audit only",
		       r->category ? " category " : "", r->category ? r->category : "",
		       r->product ? " product " : "", r->product ? r->product : "",
		       r->service ? " service " : "", r->service ? r->service : "");
}

static int
rule_detection(struct compile *c, yaml_node_t *root)
{
	struct sigma_rule *r = c->r;
	struct sigma_detection *d;
	yaml_node_t *det = ymap_get(c->y, root, "detection"), *cond;
	yaml_node_pair_t *p;
	size_t cap = 0;
	int rc, node;

	if (!det || det->type != YAML_MAPPING_NODE)
		return err_set(ERR_PARSE, "no `detection` map");
	if (ymap_get(c->y, det, "timeframe"))
		return err_set(ERR_UNSUPPORTED, "`timeframe` needs correlation over "
			       "a time window");
	if (!(d = r->det = calloc(1, sizeof(*d))))
		return err_set(ERR_NOMEM, "out of memory");
	c->d = d;
	d->root = -1;
	for (p = det->data.mapping.pairs.start; p < det->data.mapping.pairs.top; p++) {
		const char *name = ystr(ynode(c->y, p->key));
		struct search *s;

		if (!name)
			return err_set(ERR_PARSE, "detection: a key is not a name");
		if (!strcmp(name, "condition"))
			continue;
		if ((rc = grow(&d->s, &cap, d->ns + 1, sizeof(*d->s))) < 0)
			return rc;
		s = &d->s[d->ns++];
		memset(s, 0, sizeof(*s));
		if (!(s->name = strdup(name)))
			return err_set(ERR_NOMEM, "out of memory");
		c->search = name;
		if ((rc = compile_search(c, s, ynode(c->y, p->value))) < 0)
			return rc == ERR_NOMEM ? rc :
			       err_prefix(rc, "detection", name);
	}
	cond = ymap_get(c->y, det, "condition");
	if (yscalar(cond)) {
		if ((rc = compile_condition(c, ystr(cond))) < 0)
			return rc;
		d->root = rc;
	} else if (cond && cond->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *e;

		/* A list of conditions: any of them. */
		for (e = cond->data.sequence.items.start;
		     e < cond->data.sequence.items.top; e++) {
			const char *text = ystr(ynode(c->y, *e));

			if (!text)
				return err_set(ERR_PARSE, "condition list holds a "
					       "non-string");
			if ((node = compile_condition(c, text)) < 0)
				return node;
			if (d->root >= 0 &&
			    (node = cnode_add(d, C_OR, -1, d->root, node)) < 0)
				return node;
			d->root = node;
		}
	}
	if (d->root < 0)
		return err_set(ERR_PARSE, "no `condition`");
	return 0;
}

static int
rule_metadata(struct ydoc *y, yaml_node_t *root, struct sigma_rule *r)
{
	static const struct {
		const char *key;
		size_t off;
	} scalars[] = {
		{ "title", offsetof(struct sigma_rule, title) },
		{ "id", offsetof(struct sigma_rule, id) },
		{ "status", offsetof(struct sigma_rule, status) },
		{ "level", offsetof(struct sigma_rule, level) },
		{ "description", offsetof(struct sigma_rule, description) },
		{ "author", offsetof(struct sigma_rule, author) },
		{ "date", offsetof(struct sigma_rule, date) },
	};
	int rc;

	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if ((rc = ydup(y, root, scalars[i].key,
			       (char **)((char *)r + scalars[i].off))) < 0)
			return rc;
	if ((rc = ydup_list(y, root, "tags", &r->tags, &r->ntags)) < 0 ||
	    (rc = ydup_list(y, root, "fields", &r->fields, &r->nfields)) < 0 ||
	    (rc = ydup_list(y, root, "falsepositives", &r->falsepositives,
			    &r->nfalsepositives)) < 0 ||
	    (rc = ydup_list(y, root, "references", &r->references,
			    &r->nreferences)) < 0)
		return rc;
	if (!r->title || !*r->title)
		return err_set(ERR_PARSE, "no `title`");
	r->severity = level_severity(r->level);
	return rule_tactics(r);
}

/* What kind of Sigma document root is, when it is not a detection rule. */
static const char *
other_document(struct ydoc *y, yaml_node_t *root)
{
	const char *action = ystr(ymap_get(y, root, "action"));

	if (ymap_get(y, root, "correlation"))
		return "a correlation rule (events counted or ordered across a "
		       "window)";
	if (ymap_get(y, root, "filter") && !ymap_get(y, root, "detection"))
		return "a Sigma filter (exclusions applied to other rules)";
	if (action)
		return "a rule collection (`action`)";
	return NULL;
}

static int
skip_add(struct sigma_ruleset *rs, const char *file, const struct sigma_rule *r,
	 const char *reason)
{
	struct sigma_skip *s;
	size_t cap = rs->nskips;

	if (grow(&rs->skips, &cap, rs->nskips + 1, sizeof(*rs->skips)) < 0)
		return ERR_NOMEM;
	s = &rs->skips[rs->nskips];
	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	s->title = r && r->title ? strdup(r->title) : NULL;
	s->id = r && r->id ? strdup(r->id) : NULL;
	s->reason = strdup(reason);
	rs->nskips++;
	return s->file && s->reason ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int
note_add(struct sigma_ruleset *rs, const char *file, const char *text)
{
	size_t cap = rs->nnotes;
	char *s;

	if (grow(&rs->notes, &cap, rs->nnotes + 1, sizeof(*rs->notes)) < 0)
		return ERR_NOMEM;
	if (!(s = malloc(strlen(file) + strlen(text) + 3)))
		return err_set(ERR_NOMEM, "out of memory");
	sprintf(s, "%s: %s", file, text);
	rs->notes[rs->nnotes++] = s;
	return 0;
}

/* ---- gates ---------------------------------------------------------------- */

/* How well a field separates records: the action first. */
static int
gate_rank(const char *field)
{
	static const char *const order[] = { "eventName", "objectRef.resource",
					     "eventSource", "verb" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(field, order[i]))
			return 4 - i;
	return 0;
}

/* The best item every match of the condition under node needs that
 * tests one field for plain values only. */
static const struct item *
gate_item(const struct sigma_index *ix, const struct sigma_detection *d,
	  int node, int *rank)
{
	const struct cnode *n = &d->cn[node];
	const struct item *best = NULL, *b;
	int r;

	if (n->kind == C_AND) {
		int ra = -1, rb = -1;

		best = gate_item(ix, d, n->a, &ra);
		b = gate_item(ix, d, n->b, &rb);
		if (b && (!best || rb > ra)) {
			best = b;
			ra = rb;
		}
		*rank = ra;
		return best;
	}
	if (n->kind != C_REF || d->s[n->ref].ng != 1)
		return NULL;
	for (size_t i = 0; i < d->s[n->ref].g[0].n; i++) {
		const struct item *it = &d->s[n->ref].g[0].it[i];
		size_t v;

		if (it->field < 0 || it->all || !it->nv)
			continue;
		for (v = 0; v < it->nv && it->v[v].kind == V_EXACT &&
			    !it->v[v].cased && it->v[v].len <= GATE_MAXLEN; v++)
			;
		if (v < it->nv)
			continue;
		r = gate_rank(ix->f[it->field].name);
		if (!best || r > *rank) {
			best = it;
			*rank = r;
		}
	}
	return best;
}

static int
gate_cmp(const struct gate *a, enum sigma_source src, int field,
	 const char *lit, size_t len)
{
	if (a->source != src)
		return a->source < src ? -1 : 1;
	if (a->field != field)
		return a->field < field ? -1 : 1;
	if (a->len != len)
		return a->len < len ? -1 : 1;
	return memcmp(a->lit, lit, len);
}

/* The first gate not below the key. */
static size_t
gate_find(const struct sigma_index *ix, enum sigma_source src, int field,
	  const char *lit, size_t len)
{
	size_t lo = 0, hi = ix->ngates;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gate_cmp(&ix->gates[mid], src, field, lit, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Give rule r a gate if its condition has one. */
static int
gate_add(struct sigma_index *ix, struct sigma_rule *r, size_t rule)
{
	const struct item *it;
	enum sigma_source src = r->source;
	size_t f;
	int rank = -1;

	if (!(it = gate_item(ix, r->det, r->det->root, &rank)))
		return 0;
	for (f = 0; f < ix->ngate_fields[src] &&
		    ix->gate_field[src][f] != it->field; f++)
		;
	if (f == ix->ngate_fields[src]) {
		if (f == GATE_FIELDS)
			return 0; /* it just runs on every record */
		ix->gate_field[src][ix->ngate_fields[src]++] = it->field;
	}
	if (grow(&ix->gates, &ix->capgates, ix->ngates + it->nv,
		 sizeof(*ix->gates)) < 0)
		return ERR_NOMEM;
	for (size_t v = 0; v < it->nv; v++) {
		const struct value *val = &it->v[v];
		size_t at = gate_find(ix, src, it->field, val->lit, val->len);

		memmove(&ix->gates[at + 1], &ix->gates[at],
			(ix->ngates - at) * sizeof(*ix->gates));
		ix->gates[at] = (struct gate){ src, it->field, val->lit, val->len,
					       rule };
		ix->ngates++;
		if (val->len > ix->gate_max)
			ix->gate_max = val->len;
	}
	r->det->gated = true;
	return 0;
}

static int
rule_register(struct sigma_ruleset *rs, struct sigma_rule *r)
{
	struct sigma_index *ix = rs->ix;
	size_t cap = rs->nrules, scap = ix->nby[r->source];
	const char *name = r->id ? r->id : r->title;

	if (grow(&rs->rules, &cap, rs->nrules + 1, sizeof(*rs->rules)) < 0 ||
	    grow(&ix->by_source[r->source], &scap, ix->nby[r->source] + 1,
		 sizeof(size_t)) < 0)
		return ERR_NOMEM;
	if (!(r->det->detection = malloc(strlen(name) + 7)))
		return err_set(ERR_NOMEM, "out of memory");
	sprintf(r->det->detection, "sigma:%s", name);
	r->det->index = rs->nrules;
	if (gate_add(ix, r, rs->nrules) < 0)
		return ERR_NOMEM;
	ix->by_source[r->source][ix->nby[r->source]++] = rs->nrules;
	rs->rules[rs->nrules++] = r;
	return 0;
}

int
sigma_ruleset_add(struct sigma_ruleset *rs, const char *name, const char *yaml,
		  size_t len)
{
	yaml_parser_t parser;
	struct ydoc y = { .file = name };
	struct compile c = { .rs = rs, .y = &y };
	yaml_document_t extra;
	yaml_node_t *root;
	const char *other;
	bool loaded = false, have_extra = false;
	int rc;

	buf_init(&c.notes);
	memset(&y.doc, 0, sizeof(y.doc));
	if (!(c.r = calloc(1, sizeof(*c.r))) || !(c.r->file = strdup(name))) {
		free(c.r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if (!yaml_parser_initialize(&parser)) {
		rule_free(c.r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &y.doc)) {
		rc = err_set(ERR_PARSE, "YAML: %s at line %zu",
			     parser.problem ? parser.problem : "unreadable",
			     parser.problem_mark.line + 1);
		goto out;
	}
	loaded = true;
	if (!(root = yaml_document_get_root_node(&y.doc)) ||
	    root->type != YAML_MAPPING_NODE) {
		rc = err_set(ERR_PARSE, "not a YAML map");
		goto out;
	}
	if (yaml_parser_load(&parser, &extra)) {
		have_extra = yaml_document_get_root_node(&extra) != NULL;
		yaml_document_delete(&extra);
	}
	if (have_extra) {
		rc = err_set(ERR_UNSUPPORTED, "several YAML documents in one file "
			     "(a rule collection or correlation)");
		goto out;
	}
	/* The title first, so that a skipped rule is listed with it. */
	rc = rule_metadata(&y, root, c.r);
	if ((other = other_document(&y, root))) {
		rc = err_set(ERR_UNSUPPORTED, "%s", other);
		goto out;
	}
	if (rc < 0 || (rc = rule_logsource(&y, root, c.r)) < 0 ||
	    (rc = rule_detection(&c, root)) < 0)
		goto out;
	if ((rc = rule_register(rs, c.r)) < 0)
		goto out;
	if (c.notes.len)
		rc = note_add(rs, name, c.notes.data);
	c.r = NULL;
out:
	if (rc < 0 && rc != ERR_NOMEM) {
		char reason[512];

		snprintf(reason, sizeof(reason), "%s", err_msg());
		if (skip_add(rs, name, c.r, reason) < 0)
			rc = ERR_NOMEM;
		else
			err_set(rc, "%s", reason);
	}
	rule_free(c.r);
	if (loaded)
		yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	buf_dispose(&c.notes);
	return rc;
}

int
sigma_ruleset_new(struct sigma_ruleset **out)
{
	struct sigma_ruleset *rs = calloc(1, sizeof(*rs));

	*out = NULL;
	if (!rs || !(rs->ix = calloc(1, sizeof(*rs->ix)))) {
		free(rs);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = rs;
	return 0;
}

void
sigma_ruleset_free(struct sigma_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nskips; i++) {
		free(rs->skips[i].file);
		free(rs->skips[i].title);
		free(rs->skips[i].id);
		free(rs->skips[i].reason);
	}
	free(rs->skips);
	strv_free(rs->notes, rs->nnotes);
	if (rs->ix) {
		for (size_t i = 0; i < rs->ix->nf; i++)
			free(rs->ix->f[i].name);
		free(rs->ix->f);
		free(rs->ix->gates);
		for (int s = 0; s < SIGMA_SOURCE_COUNT; s++)
			free(rs->ix->by_source[s]);
		free(rs->ix);
	}
	free(rs);
}

static int
load_file(struct sigma_ruleset *rs, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f) {
		char reason[256];

		snprintf(reason, sizeof(reason), "cannot open: %s", strerror(errno));
		return skip_add(rs, path, NULL, reason);
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > SIGMA_MAX_FILE) {
			rc = skip_add(rs, path, NULL, "larger than 1 MiB");
			goto out;
		}
		if (buf_add(&b, chunk, n) < 0) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (ferror(f)) {
		rc = skip_add(rs, path, NULL, "read error");
		goto out;
	}
	rc = sigma_ruleset_add(rs, path, b.data ? b.data : "", b.len);
	if (rc != ERR_NOMEM)
		rc = 0;
out:
	fclose(f);
	buf_dispose(&b);
	return rc;
}

static bool
is_rule_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	       ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
		(n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_path(struct sigma_ruleset *rs, const char *path, int depth)
{
	struct stat sb;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (stat(path, &sb) < 0)
		return err_set(ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return load_file(rs, path);
	if (depth > 16)
		return 0;
	if (!(dir = opendir(path)))
		return err_set(ERR_IO, "%s: %s", path, strerror(errno));
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if ((rc = grow(&names, &cap, n + 1, sizeof(*names))) < 0)
			goto out;
		if (!(names[n] = malloc(strlen(path) + strlen(de->d_name) + 2))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		sprintf(names[n++], "%s/%s", path, de->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const char *base = strrchr(names[i], '/') + 1;

		if (stat(names[i], &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = load_path(rs, names[i], depth + 1);
		else if (is_rule_file(base))
			rc = load_file(rs, names[i]);
	}
out:
	closedir(dir);
	strv_free(names, n);
	return rc;
}

int
sigma_ruleset_load(struct sigma_ruleset *rs, const char *path)
{
	return load_path(rs, path, 0);
}

/* ---- matching ------------------------------------------------------------- */

struct fcache {
	unsigned epoch;       /* record the entry belongs to */
	size_t start, count;  /* its nodes in m->nodes */
};

struct sigma_matcher {
	const struct sigma_ruleset *rs;
	struct fcache *fc;    /* per field */
	size_t nfc;
	unsigned epoch;       /* bumped per record */
	const cJSON **nodes;  /* resolved field values of this record */
	size_t nnodes, capnodes;
	const cJSON *rec;
	bool nomem;
	unsigned *open;       /* per rule: epoch when a gate let it run */
	size_t nopen;
	struct buf prep;      /* the record prepared for cJSON */
};

int
sigma_matcher_new(const struct sigma_ruleset *rs, struct sigma_matcher **out)
{
	struct sigma_matcher *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return err_set(ERR_NOMEM, "out of memory");
	m->rs = rs;
	buf_init(&m->prep);
	*out = m;
	return 0;
}

void
sigma_matcher_free(struct sigma_matcher *m)
{
	if (!m)
		return;
	free(m->fc);
	free(m->open);
	free(m->nodes);
	buf_dispose(&m->prep);
	free(m);
}

/* Rules may be added after the matcher was made: size the cache to the
 * field table and start a new record. */
static int
matcher_begin(struct sigma_matcher *m, const cJSON *rec)
{
	size_t nf = m->rs->ix->nf;

	if (nf > m->nfc) {
		struct fcache *fc = realloc(m->fc, nf * sizeof(*fc));

		if (!fc)
			return err_set(ERR_NOMEM, "out of memory");
		memset(fc + m->nfc, 0, (nf - m->nfc) * sizeof(*fc));
		m->fc = fc;
		m->nfc = nf;
	}
	if (m->rs->nrules > m->nopen) {
		unsigned *open = realloc(m->open, m->rs->nrules * sizeof(*open));

		if (!open)
			return err_set(ERR_NOMEM, "out of memory");
		memset(open + m->nopen, 0, (m->rs->nrules - m->nopen) * sizeof(*open));
		m->open = open;
		m->nopen = m->rs->nrules;
	}
	if (++m->epoch == 0) {
		memset(m->fc, 0, m->nfc * sizeof(*m->fc));
		memset(m->open, 0, m->nopen * sizeof(*m->open));
		m->epoch = 1;
	}
	m->rec = rec;
	m->nnodes = 0;
	m->nomem = false;
	return 0;
}

static void
push_node(struct sigma_matcher *m, const cJSON *n)
{
	if (m->nnodes == m->capnodes &&
	    grow(&m->nodes, &m->capnodes, m->nnodes + 1, sizeof(*m->nodes)) < 0) {
		m->nomem = true;
		return;
	}
	m->nodes[m->nnodes++] = n;
}

/* Collect what path[0..plen) names under n. A key may itself hold dots,
 * so each key that is a prefix of the path ending at a dot is followed;
 * arrays are crossed element by element. */
static void
resolve(struct sigma_matcher *m, const cJSON *n, const char *path, size_t plen,
	int depth)
{
	const cJSON *c;

	if (depth > SIGMA_MAX_NEST)
		return;
	if (plen == 0) {
		push_node(m, n);
		return;
	}
	if (cJSON_IsArray(n)) {
		cJSON_ArrayForEach(c, n)
			resolve(m, c, path, plen, depth + 1);
		return;
	}
	if (!cJSON_IsObject(n))
		return;
	cJSON_ArrayForEach(c, n) {
		const char *k = c->string;
		size_t i = 0;

		if (!k || k[0] != path[0])
			continue;
		while (i < plen && k[i] && k[i] == path[i])
			i++;
		if (k[i])
			continue;
		if (i == plen)
			resolve(m, c, path + i, 0, depth + 1);
		else if (path[i] == '.')
			resolve(m, c, path + i + 1, plen - i - 1, depth + 1);
	}
}

/* The field's nodes in this record: m->nodes[*start .. *start + count). */
static size_t
field_nodes(struct sigma_matcher *m, int f, size_t *start)
{
	struct fcache *c = &m->fc[f];

	if (c->epoch != m->epoch) {
		const struct field *fd = &m->rs->ix->f[f];

		c->start = m->nnodes;
		for (size_t p = 0; p < fd->npaths; p++)
			resolve(m, m->rec, fd->paths[p], strlen(fd->paths[p]), 0);
		c->count = m->nnodes - c->start;
		c->epoch = m->epoch;
	}
	*start = c->start;
	return c->count;
}

static bool
has_value(struct sigma_matcher *m, int f)
{
	size_t start, n = field_nodes(m, f, &start);

	for (size_t i = 0; i < n; i++)
		if (!cJSON_IsNull(m->nodes[start + i]))
			return true;
	return false;
}

#define NUMBUF 64

/* The text a scalar compares as, or NULL for null and containers.
 * Integral numbers print without a fraction, others as SQLite prints
 * them (15 significant digits). */
static const char *
scalar_text(const cJSON *n, char *numbuf, size_t *len)
{
	const char *s = NULL;

	if (cJSON_IsString(n)) {
		s = n->valuestring ? n->valuestring : "";
	} else if (cJSON_IsNumber(n)) {
		double d = n->valuedouble;

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(numbuf, NUMBUF, "%.0f", d == 0 ? 0.0 : d);
		else
			snprintf(numbuf, NUMBUF, "%.15g", d);
		s = numbuf;
	} else if (cJSON_IsTrue(n)) {
		s = "true";
	} else if (cJSON_IsFalse(n)) {
		s = "false";
	}
	if (s)
		*len = strlen(s);
	return s;
}

static bool
text_match(const struct value *v, const char *s, size_t n)
{
	switch (v->kind) {
	case V_EXACT:
		return n == v->len && (v->cased ? !memcmp(s, v->lit, n) :
				       ci_eq(s, v->lit, n));
	case V_PREFIX:
		return n >= v->len && (v->cased ? !memcmp(s, v->lit, v->len) :
				       ci_eq(s, v->lit, v->len));
	case V_SUFFIX:
		return n >= v->len &&
		       (v->cased ? !memcmp(s + n - v->len, v->lit, v->len) :
			ci_eq(s + n - v->len, v->lit, v->len));
	case V_SUBSTR:
		return v->cased ? cs_contains(s, n, v->lit, v->len) :
				  ci_contains(s, n, v->lit, v->len);
	case V_GLOB:
		return glob_match(v->units, v->nunits, s, n, v->cased);
	case V_RE:
		if (v->len && !((v->re_flags & RE_I) ?
				ci_contains(s, n, v->lit, v->len) :
				cs_contains(s, n, v->lit, v->len)))
			return false;
		return regexec(v->re, s, 0, NULL, 0) == 0;
	case V_CIDR:
		return cidr_match(v, s);
	default:
		return false;
	}
}

static bool
num_match(const struct value *v, double d)
{
	switch (v->cmp) {
	case CMP_LT: return d < v->num;
	case CMP_LTE: return d <= v->num;
	case CMP_GT: return d > v->num;
	default: return d >= v->num;
	}
}

/* A value against one node: a scalar by its text, a container by any
 * scalar inside it. Numeric comparisons take JSON numbers only. */
static bool
node_match(const struct value *v, const cJSON *n, int depth)
{
	char numbuf[NUMBUF];
	const char *s;
	const cJSON *c;
	size_t len;

	if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
		if (depth > SIGMA_MAX_NEST)
			return false;
		cJSON_ArrayForEach(c, n)
			if (node_match(v, c, depth + 1))
				return true;
		return false;
	}
	if (v->kind == V_NUM)
		return cJSON_IsNumber(n) && num_match(v, n->valuedouble);
	if (!(s = scalar_text(n, numbuf, &len)))
		return false;
	return text_match(v, s, len);
}

/* Keywords: any string value anywhere in the record. */
static bool
keyword_match(const struct value *v, const cJSON *n, int depth)
{
	const cJSON *c;

	if (cJSON_IsString(n))
		return text_match(v, n->valuestring, strlen(n->valuestring));
	if ((!cJSON_IsArray(n) && !cJSON_IsObject(n)) || depth > SIGMA_MAX_NEST)
		return false;
	cJSON_ArrayForEach(c, n)
		if (keyword_match(v, c, depth + 1))
			return true;
	return false;
}

/* Field f compared with the scalar values of the field v->ref. */
static bool
fieldref_match(struct sigma_matcher *m, int f, const struct value *v)
{
	size_t rstart, rn = field_nodes(m, v->ref, &rstart), start, n;
	bool hit = false;

	n = field_nodes(m, f, &start);
	for (size_t r = 0; r < rn && !hit; r++) {
		char numbuf[NUMBUF];
		const char *t;
		struct value lit = { .kind = v->how, .cased = v->cased };
		size_t len;

		if (!(t = scalar_text(m->nodes[rstart + r], numbuf, &len)))
			continue;
		if (!(lit.lit = malloc(len + 1))) {
			m->nomem = true;
			return false;
		}
		for (size_t i = 0; i < len; i++)
			lit.lit[i] = v->cased ? t[i] : (char)fold((unsigned char)t[i]);
		lit.len = len;
		for (size_t i = 0; i < n && !hit; i++)
			hit = node_match(&lit, m->nodes[start + i], 0);
		free(lit.lit);
	}
	return hit;
}

static bool
value_match(struct sigma_matcher *m, const struct item *it, const struct value *v)
{
	size_t start, n;

	if (it->field < 0)
		return keyword_match(v, m->rec, 0);
	switch (v->kind) {
	case V_NULL:
		return !has_value(m, it->field);
	case V_EXISTS:
		return has_value(m, it->field) == v->want;
	case V_FIELDREF:
		return fieldref_match(m, it->field, v);
	default:
		n = field_nodes(m, it->field, &start);
		for (size_t i = 0; i < n; i++)
			if (node_match(v, m->nodes[start + i], 0))
				return true;
		return false;
	}
}

/* Any value; with `all`, every value of the rule (each may have become
 * several, any of which will do). */
static bool
item_match(struct sigma_matcher *m, const struct item *it)
{
	unsigned group;
	bool ok = false;

	if (!it->all) {
		for (size_t i = 0; i < it->nv; i++)
			if (value_match(m, it, &it->v[i]))
				return true;
		return false;
	}
	group = it->v[0].group;
	for (size_t i = 0; i < it->nv; i++) {
		if (it->v[i].group != group) {
			if (!ok)
				return false;
			group = it->v[i].group;
			ok = false;
		}
		if (!ok)
			ok = value_match(m, it, &it->v[i]);
	}
	return ok;
}

static bool
search_match(struct sigma_matcher *m, const struct search *s)
{
	for (size_t g = 0; g < s->ng; g++) {
		size_t i;

		for (i = 0; i < s->g[g].n && item_match(m, &s->g[g].it[i]); i++)
			;
		if (i == s->g[g].n)
			return true;
	}
	return false;
}

static bool
cond_match(struct sigma_matcher *m, const struct sigma_detection *d, int i)
{
	const struct cnode *n = &d->cn[i];

	switch (n->kind) {
	case C_REF:
		return search_match(m, &d->s[n->ref]);
	case C_AND:
		return cond_match(m, d, n->a) && cond_match(m, d, n->b);
	case C_OR:
		return cond_match(m, d, n->a) || cond_match(m, d, n->b);
	default:
		return !cond_match(m, d, n->a);
	}
}

bool
sigma_rule_match(struct sigma_matcher *m, const struct sigma_rule *r,
		 const cJSON *record)
{
	if (matcher_begin(m, record) < 0)
		return false;
	return cond_match(m, r->det, r->det->root);
}

/* Open the gates of every scalar in n, as V_EXACT would compare it. */
static void
gate_open(struct sigma_matcher *m, enum sigma_source src, int field,
	  const cJSON *n, int depth)
{
	const struct sigma_index *ix = m->rs->ix;
	char numbuf[NUMBUF], folded[GATE_MAXLEN];
	const cJSON *c;
	const char *s;
	size_t len, at;

	if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
		if (depth <= SIGMA_MAX_NEST)
			cJSON_ArrayForEach(c, n)
				gate_open(m, src, field, c, depth + 1);
		return;
	}
	if (!(s = scalar_text(n, numbuf, &len)) || len > ix->gate_max)
		return;
	for (size_t i = 0; i < len; i++)
		folded[i] = (char)fold((unsigned char)s[i]);
	for (at = gate_find(ix, src, field, folded, len);
	     at < ix->ngates && !gate_cmp(&ix->gates[at], src, field, folded, len);
	     at++)
		m->open[ix->gates[at].rule] = m->epoch;
}

int
sigma_match(struct sigma_matcher *m, enum sigma_source source,
	    const cJSON *record, sigma_hit_fn cb, void *ctx)
{
	const struct sigma_index *ix = m->rs->ix;
	int rc;

	if ((rc = matcher_begin(m, record)) < 0)
		return rc;
	for (size_t g = 0; g < ix->ngate_fields[source]; g++) {
		int f = ix->gate_field[source][g];
		size_t start, n = field_nodes(m, f, &start);

		for (size_t i = 0; i < n; i++)
			gate_open(m, source, f, m->nodes[start + i], 0);
	}
	for (size_t k = 0; k < ix->nby[source]; k++) {
		const struct sigma_rule *r = m->rs->rules[ix->by_source[source][k]];

		if (r->det->gated && m->open[r->det->index] != m->epoch)
			continue;
		if (cond_match(m, r->det, r->det->root) && (rc = cb(ctx, r)) != 0)
			return rc;
	}
	return m->nomem ? err_set(ERR_NOMEM, "out of memory") : 0;
}

int
sigma_match_raw(struct sigma_matcher *m, enum sigma_source source,
		const char *raw, size_t len, sigma_hit_fn cb, void *ctx)
{
	cJSON *rec;
	int rc;

	buf_reset(&m->prep);
	if (jsonscan_prepare(raw ? raw : "", raw ? len : 0, &m->prep) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	rec = m->prep.data ? cJSON_ParseWithLength(m->prep.data, m->prep.len) : NULL;
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return err_set(ERR_PARSE, "record is not a JSON object");
	}
	rc = sigma_match(m, source, rec, cb, ctx);
	cJSON_Delete(rec);
	return rc;
}

/* ---- detection over the store -------------------------------------------- */

/* The columns the event query selects, in order: the event's text
 * fields (by event_field_names), then time and raw. */
#define RUN_COLS (EF_COUNT + 2)
#define COL_TIME EF_COUNT
#define COL_RAW (EF_COUNT + 1)

struct run {
	struct store *st;
	const struct sigma_run_opts *o;
	struct sigma_run_stats *stats;
	struct sigma_matcher *m;
	enum sigma_source source;
	const char *const *row; /* the current row's values, by RUN_COLS */
	struct event ev;        /* built from row on the first hit */
	bool have_ev;
};

/* The triggering event for threat_add_hit: built once per row, and only
 * for rows that hit (most rows need nothing but their raw record). */
static int
run_event(struct run *run)
{
	int rc = 0;

	if (run->have_ev)
		return 0;
	event_init(&run->ev);
	for (int f = 0; f < EF_COUNT && rc == 0; f++)
		rc = event_set(&run->ev, (enum event_field)f, run->row[f]);
	if (run->row[COL_TIME]) {
		run->ev.has_time = true;
		run->ev.time_ns = strtoll(run->row[COL_TIME], NULL, 10);
	}
	run->ev.raw = run->row[COL_RAW];
	run->ev.raw_len = strlen(run->row[COL_RAW]);
	run->have_ev = true;
	return rc;
}

static int
on_hit(void *ctx, const struct sigma_rule *r)
{
	struct run *run = ctx;
	struct detection_hit h = {
		.detection = r->det->detection,
		.title = r->title,
		.source = "sigma",
		.severity = r->severity,
		.tactics = r->tactics,
		.ev = &run->ev,
	};
	int rc;

	run->stats->hits++;
	run->stats->rule_hits[r->det->index]++;
	if (run->o->dry_run)
		return 0;
	if ((rc = run_event(run)) < 0)
		return rc;
	return threat_add_hit(run->st, &h, NULL);
}

/* One row of the event query: its raw record against every rule. */
static int
on_row(void *ctx, int ncol, const char *const *names, const char *const *values,
       const bool *numeric)
{
	struct run *run = ctx;
	const char *raw;
	int rc;

	(void)names;
	(void)numeric;
	if (ncol != RUN_COLS)
		return err_set(ERR_STORE, "event query: %d columns, not %d", ncol,
			       RUN_COLS);
	run->row = values;
	run->have_ev = false;
	run->stats->events++;
	raw = values[COL_RAW] ? values[COL_RAW] : "";
	rc = sigma_match_raw(run->m, run->source, raw, strlen(raw), on_hit, run);
	if (rc == ERR_PARSE) {
		run->stats->unparsed++;
		rc = 0;
	}
	if (run->have_ev)
		event_dispose(&run->ev);
	run->have_ev = false;
	return rc;
}

/* The events of one source in time order. Not store_find_events: its
 * order (time, id) makes SQLite sort every row, raw records and all, in
 * memory; (time, seq) is the order of the (source, time) index, so rows
 * stream, and it is as deterministic for a given store. The filter also
 * needs the ingest time, which struct event_filter lacks. */
static int
run_source(struct run *run)
{
	struct buf q;
	int rc;

	buf_init(&q);
	buf_adds(&q, "SELECT ");
	for (int f = 0; f < EF_COUNT; f++)
		buf_printf(&q, "%s, ", event_field_names[f]);
	buf_printf(&q, "time, raw FROM events WHERE source = '%s'",
		   sigma_source_events[run->source]);
	if (run->o->has_ingested_since)
		buf_printf(&q, " AND ingested >= %lld",
			   (long long)run->o->ingested_since_ns);
	if (run->o->has_since)
		buf_printf(&q, " AND time >= %lld", (long long)run->o->since_ns);
	buf_adds(&q, " ORDER BY time, seq");
	rc = q.data ? store_sql(run->st, q.data, on_row, run) :
		      err_set(ERR_NOMEM, "out of memory");
	buf_dispose(&q);
	return rc;
}

static int
count_threat(void *ctx, const struct threat *t)
{
	(void)t;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int
sigma_threats(struct store *st, uint64_t *n)
{
	struct threat_filter f = { .source = "sigma" };

	*n = 0;
	return store_threat_list(st, &f, count_threat, n);
}

int
sigma_run(struct store *st, const struct sigma_ruleset *rs,
	  const struct sigma_run_opts *o, struct sigma_run_stats *stats)
{
	struct run run = { .st = st, .o = o, .stats = stats };
	uint64_t before = 0, after = 0;
	bool in_tx = false;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (!(stats->rule_hits = calloc(rs->nrules + 1, sizeof(uint64_t))))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = sigma_matcher_new(rs, &run.m)) < 0)
		return rc;
	if (!o->dry_run) {
		if ((rc = sigma_threats(st, &before)) < 0 ||
		    (rc = store_begin(st)) < 0)
			goto out;
		in_tx = true;
	}
	for (int s = 0; s < SIGMA_SOURCE_COUNT && rc >= 0; s++) {
		if (!rs->ix->nby[s])
			continue;
		run.source = (enum sigma_source)s;
		rc = run_source(&run);
	}
	if (in_tx) {
		in_tx = false;
		if (rc < 0) {
			store_rollback(st);
			goto out;
		}
		if ((rc = store_commit(st)) < 0 ||
		    (rc = sigma_threats(st, &after)) < 0)
			goto out;
		stats->threats_new = after > before ? after - before : 0;
	}
out:
	if (in_tx)
		store_rollback(st);
	sigma_matcher_free(run.m);
	return rc < 0 ? rc : 0;
}

void
sigma_run_stats_dispose(struct sigma_run_stats *s)
{
	if (!s)
		return;
	free(s->rule_hits);
	s->rule_hits = NULL;
}

/* ---- the same rules as SQLite SQL ----------------------------------------
 * Each field match becomes a CASE over json_type: a scalar compares by
 * its text (true and false as words, as the matcher sees them), an array
 * or object by any scalar inside (json_tree), and a path that crosses an
 * array falls back to json_tree with the path as a regular expression
 * over fullkey. Keys are split at every dot here (the matcher also
 * accepts keys that contain dots). */

static void
sql_str(struct buf *o, const char *s, size_t n)
{
	buf_addc(o, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_addc(o, '\'');
		buf_addc(o, s[i]);
	}
	buf_addc(o, '\'');
}

/* The JSON path '$."a"."b"' of the first nseg segments of path, as an
 * SQL string. */
static int
sql_jpath(struct buf *o, const char *path, size_t nseg)
{
	struct buf jp;
	const char *p = path;

	buf_init(&jp);
	buf_addc(&jp, '$');
	for (size_t k = 0; k < nseg && p; k++) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (memchr(p, '"', n) || memchr(p, '\\', n)) {
			buf_dispose(&jp);
			return err_set(ERR_UNSUPPORTED, "field `%s`: no SQL path for "
				       "a key with quotes", path);
		}
		buf_adds(&jp, ".\"");
		buf_add(&jp, p, n);
		buf_addc(&jp, '"');
		p = dot ? dot + 1 : NULL;
	}
	sql_str(o, jp.data, jp.len);
	buf_dispose(&jp);
	return 0;
}

static size_t
path_segments(const char *path)
{
	size_t n = 1;

	for (const char *p = path; *p; p++)
		n += *p == '.';
	return n;
}

/* A regular expression for json_tree's fullkey of path with any array
 * indexes between its keys; tail is what may follow. */
static void
sql_fullkey_re(struct buf *o, const char *path, const char *tail)
{
	struct buf re;
	const char *p = path;

	buf_init(&re);
	buf_adds(&re, "^\\$(\\[[0-9]+\\])*");
	while (p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		struct buf seg;

		buf_init(&seg);
		for (size_t i = 0; i < n; i++) {
			if (strchr(".^$*+?()[]{}|\\", p[i]))
				buf_addc(&seg, '\\');
			buf_addc(&seg, p[i]);
		}
		/* SQLite quotes keys that are not plain words. */
		buf_printf(&re, "(\\.%s|\\.\"%s\")(\\[[0-9]+\\])*",
			   seg.data ? seg.data : "", seg.data ? seg.data : "");
		buf_dispose(&seg);
		p = dot ? dot + 1 : NULL;
	}
	buf_adds(&re, tail);
	sql_str(o, re.data, re.len);
	buf_dispose(&re);
}

/* An SQL LIKE (or GLOB, when cased) pattern for a value. */
static void
sql_pattern(struct buf *o, const struct value *v)
{
	struct buf p;
	bool cased = v->cased;

	buf_init(&p);
	if (v->kind == V_SUFFIX || v->kind == V_SUBSTR)
		buf_addc(&p, cased ? '*' : '%');
	if (v->kind == V_GLOB) {
		for (size_t i = 0; i < v->nunits; i++) {
			unsigned short u = v->units[i];

			if (u == U_STAR)
				buf_addc(&p, cased ? '*' : '%');
			else if (u == U_ONE)
				buf_addc(&p, cased ? '?' : '_');
			else if (cased && (u == '*' || u == '?' || u == '['))
				buf_printf(&p, "[%c]", (char)u);
			else if (!cased && (u == '%' || u == '_' || u == '\\'))
				buf_printf(&p, "\\%c", (char)u);
			else
				buf_addc(&p, (char)u);
		}
	} else {
		for (size_t i = 0; i < v->len; i++) {
			char c = v->lit[i];

			if (cased && (c == '*' || c == '?' || c == '['))
				buf_printf(&p, "[%c]", c);
			else if (!cased && (c == '%' || c == '_' || c == '\\'))
				buf_printf(&p, "\\%c", c);
			else
				buf_addc(&p, c);
		}
	}
	if (v->kind == V_PREFIX || v->kind == V_SUBSTR)
		buf_addc(&p, cased ? '*' : '%');
	buf_adds(o, cased ? " GLOB " : " LIKE ");
	sql_str(o, p.data ? p.data : "", p.len);
	if (!cased)
		buf_adds(o, " ESCAPE '\\'");
	buf_dispose(&p);
}

/* The predicate of value v over the SQL text expression x. */
static int
sql_pred(struct buf *o, const struct sigma_ruleset *rs, const struct value *v,
	 const char *x)
{
	switch (v->kind) {
	case V_EXACT:
		buf_printf(o, v->cased ? "CAST(%s AS TEXT) = " : "lower(%s) = ", x);
		sql_str(o, v->lit, v->len);
		return 0;
	case V_PREFIX:
	case V_SUFFIX:
	case V_SUBSTR:
	case V_GLOB:
		buf_adds(o, x);
		sql_pattern(o, v);
		return 0;
	case V_RE:
		if (v->re_flags & (RE_M | RE_S))
			return err_set(ERR_UNSUPPORTED, "no SQL form for `re|m` "
				       "or `re|s`");
		buf_adds(o, v->re_flags & RE_I ? "regexpi(" : "regexp(");
		sql_str(o, v->src, strlen(v->src));
		buf_printf(o, ", %s)", x);
		return 0;
	case V_CIDR:
		if (v->family != AF_INET || v->bits % 8)
			return err_set(ERR_UNSUPPORTED, "no SQL form for CIDR `%s`",
				       v->src);
		if (v->bits == 32) {
			buf_printf(o, "CAST(%s AS TEXT) = ", x);
			sql_str(o, v->src, strcspn(v->src, "/"));
		} else {
			char pre[32] = "";

			for (int i = 0; i < v->bits / 8; i++)
				snprintf(pre + strlen(pre), sizeof(pre) - strlen(pre),
					 "%u.", v->net[i]);
			buf_printf(o, "CAST(%s AS TEXT) LIKE '%s%%'", x, pre);
		}
		return 0;
	case V_NUM: {
		static const char *const ops[] = { "<", "<=", ">", ">=" };

		buf_printf(o, "(typeof(%s) IN ('integer','real') AND %s %s %.17g)",
			   x, x, ops[v->cmp], v->num);
		return 0;
	}
	case V_FIELDREF: {
		const struct field *f = &rs->ix->f[v->ref];
		struct buf y;
		int rc;

		if (f->npaths != 1)
			return err_set(ERR_UNSUPPORTED, "no SQL form for fieldref "
				       "to a mapped field");
		buf_init(&y);
		buf_adds(&y, v->cased ? "(" : "lower(");
		buf_adds(&y, "CASE json_type(raw,");
		if ((rc = sql_jpath(&y, f->paths[0], path_segments(f->paths[0]))) < 0) {
			buf_dispose(&y);
			return rc;
		}
		buf_adds(&y, ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
			 " ELSE json_extract(raw,");
		sql_jpath(&y, f->paths[0], path_segments(f->paths[0]));
		buf_adds(&y, ") END)");
		{
			const char *lo = v->cased ? "CAST(" : "lower(";
			const char *hi = v->cased ? " AS TEXT)" : ")";

			if (v->how == V_EXACT)
				buf_printf(o, "%s%s%s = %s", lo, x, hi, y.data);
			else if (v->how == V_SUBSTR)
				buf_printf(o, "instr(%s%s%s, %s) > 0", lo, x, hi,
					   y.data);
			else if (v->how == V_PREFIX)
				buf_printf(o, "substr(%s%s%s, 1, length(%s)) = %s", lo,
					   x, hi, y.data, y.data);
			else
				buf_printf(o, "(length(%s) = 0 OR substr(%s%s%s, "
					   "-length(%s)) = %s)", y.data, lo, x, hi,
					   y.data, y.data);
		}
		buf_dispose(&y);
		return 0;
	}
	default:
		return err_set(ERR_UNSUPPORTED, "no SQL form for this value");
	}
}

#define SQL_TEXT(t, a) "(CASE " t " WHEN 'true' THEN 'true' WHEN 'false' " \
	"THEN 'false' ELSE " a " END)"
#define SQL_SCALAR "type NOT IN ('object','array','null')"

/* Any scalar at path (or inside what is there) satisfies v. One
 * json_type picks the branch, so a text value costs two JSON calls. */
static int
sql_any(struct buf *o, const struct sigma_ruleset *rs, const char *path,
	const struct value *v)
{
	static const char *const scalars[] = { "text", "integer", "real" };
	size_t nseg = path_segments(path);
	struct buf jp, x, direct, yes, no, tree;
	int rc;

	buf_init(&jp);
	buf_init(&x);
	buf_init(&direct);
	buf_init(&yes);
	buf_init(&no);
	buf_init(&tree);
	if ((rc = sql_jpath(&jp, path, nseg)) < 0)
		goto out;
	buf_printf(&x, "json_extract(raw,%s)", jp.data);
	if ((rc = sql_pred(&direct, rs, v, x.data)) < 0 ||
	    (rc = sql_pred(&yes, rs, v, "'true'")) < 0 ||
	    (rc = sql_pred(&no, rs, v, "'false'")) < 0 ||
	    (rc = sql_pred(&tree, rs, v, SQL_TEXT("type", "atom"))) < 0)
		goto out;
	buf_printf(o, "(CASE json_type(raw,%s)", jp.data);
	for (size_t k = 0; k < 3; k++)
		buf_printf(o, " WHEN '%s' THEN COALESCE(%s, 0)", scalars[k],
			   direct.data);
	buf_printf(o, " WHEN 'true' THEN COALESCE(%s, 0) WHEN 'false' THEN "
		   "COALESCE(%s, 0) WHEN 'null' THEN 0 WHEN 'object' THEN EXISTS "
		   "(SELECT 1 FROM json_tree(raw,%s) WHERE " SQL_SCALAR " AND %s)"
		   " WHEN 'array' THEN EXISTS (SELECT 1 FROM json_tree(raw,%s) WHERE "
		   SQL_SCALAR " AND %s)", yes.data, no.data, jp.data, tree.data,
		   jp.data, tree.data);
	/* Absent: maybe an array on the way, which json_extract cannot
	 * cross. */
	if (nseg > 1) {
		buf_adds(o, " ELSE CASE WHEN ");
		for (size_t k = 1; k < nseg; k++) {
			buf_adds(o, k > 1 ? " OR json_type(raw," : "json_type(raw,");
			sql_jpath(o, path, k);
			buf_adds(o, ") = 'array'");
		}
		buf_adds(o, " THEN EXISTS (SELECT 1 FROM json_tree(raw,");
		sql_jpath(o, path, 1);
		buf_adds(o, ") WHERE fullkey REGEXP ");
		sql_fullkey_re(o, path, "((\\.|\\[).*)?$");
		buf_printf(o, " AND " SQL_SCALAR " AND %s) ELSE 0 END", tree.data);
	}
	buf_adds(o, nseg > 1 ? " END)" : " ELSE 0 END)");
out:
	buf_dispose(&jp);
	buf_dispose(&x);
	buf_dispose(&direct);
	buf_dispose(&yes);
	buf_dispose(&no);
	buf_dispose(&tree);
	return rc;
}

/* The field has a non-null value at path. */
static int
sql_has_value(struct buf *o, const char *path)
{
	size_t nseg = path_segments(path);
	struct buf jp;
	int rc;

	buf_init(&jp);
	if ((rc = sql_jpath(&jp, path, nseg)) < 0)
		goto out;
	buf_printf(o, "(CASE WHEN json_type(raw,%s) IS NOT NULL THEN "
		   "json_type(raw,%s) <> 'null'", jp.data, jp.data);
	if (nseg > 1) {
		buf_adds(o, " WHEN ");
		for (size_t k = 1; k < nseg; k++) {
			buf_adds(o, k > 1 ? " OR json_type(raw," : "json_type(raw,");
			sql_jpath(o, path, k);
			buf_adds(o, ") = 'array'");
		}
		buf_adds(o, " THEN EXISTS (SELECT 1 FROM json_tree(raw,");
		sql_jpath(o, path, 1);
		buf_adds(o, ") WHERE fullkey REGEXP ");
		sql_fullkey_re(o, path, "$");
		buf_adds(o, " AND type <> 'null')");
	}
	buf_adds(o, " ELSE 0 END)");
out:
	buf_dispose(&jp);
	return rc;
}

static int
sql_value(struct buf *o, const struct sigma_ruleset *rs, const struct item *it,
	  const struct value *v)
{
	const struct field *f;
	int rc = 0;

	if (it->field < 0) {
		buf_adds(o, "EXISTS (SELECT 1 FROM json_tree(raw) WHERE type = 'text'"
			 " AND ");
		rc = sql_pred(o, rs, v, "atom");
		buf_addc(o, ')');
		return rc;
	}
	f = &rs->ix->f[it->field];
	if (v->kind == V_NULL || (v->kind == V_EXISTS && !v->want))
		buf_adds(o, "NOT ");
	buf_addc(o, '(');
	for (size_t p = 0; p < f->npaths && rc >= 0; p++) {
		if (p)
			buf_adds(o, " OR ");
		if (v->kind == V_NULL || v->kind == V_EXISTS)
			rc = sql_has_value(o, f->paths[p]);
		else
			rc = sql_any(o, rs, f->paths[p], v);
	}
	buf_addc(o, ')');
	return rc;
}

static int
sql_item(struct buf *o, const struct sigma_ruleset *rs, const struct item *it)
{
	int rc = 0;

	buf_addc(o, '(');
	for (size_t i = 0; i < it->nv && rc >= 0; i++) {
		bool new_group = i && it->v[i].group != it->v[i - 1].group;

		if (it->all && new_group)
			buf_adds(o, ") AND (");
		else if (i)
			buf_adds(o, " OR ");
		if (it->all && i == 0)
			buf_addc(o, '(');
		rc = sql_value(o, rs, it, &it->v[i]);
	}
	if (it->all)
		buf_addc(o, ')');
	buf_addc(o, ')');
	return rc;
}

static int
sql_search(struct buf *o, const struct sigma_ruleset *rs, const struct search *s)
{
	int rc = 0;

	buf_addc(o, '(');
	for (size_t g = 0; g < s->ng && rc >= 0; g++) {
		if (g)
			buf_adds(o, " OR ");
		buf_addc(o, '(');
		for (size_t i = 0; i < s->g[g].n && rc >= 0; i++) {
			if (i)
				buf_adds(o, " AND ");
			rc = sql_item(o, rs, &s->g[g].it[i]);
		}
		buf_addc(o, ')');
	}
	buf_addc(o, ')');
	return rc;
}

static int
sql_cond(struct buf *o, const struct sigma_ruleset *rs,
	 const struct sigma_detection *d, int i)
{
	const struct cnode *n = &d->cn[i];
	int rc;

	switch (n->kind) {
	case C_REF:
		return sql_search(o, rs, &d->s[n->ref]);
	case C_NOT:
		buf_adds(o, "(NOT ");
		rc = sql_cond(o, rs, d, n->a);
		buf_addc(o, ')');
		return rc;
	default:
		buf_addc(o, '(');
		if ((rc = sql_cond(o, rs, d, n->a)) < 0)
			return rc;
		buf_adds(o, n->kind == C_AND ? " AND " : " OR ");
		rc = sql_cond(o, rs, d, n->b);
		buf_addc(o, ')');
		return rc;
	}
}

int
sigma_rule_sql(const struct sigma_ruleset *rs, const struct sigma_rule *r,
	       struct buf *out)
{
	struct buf o;
	int rc;

	buf_init(&o);
	rc = sql_cond(&o, rs, r->det, r->det->root);
	if (rc == 0 && !o.data)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == 0)
		rc = buf_add(out, o.data, o.len) < 0 ?
		     err_set(ERR_NOMEM, "out of memory") : 0;
	buf_dispose(&o);
	return rc;
}
