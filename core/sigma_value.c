/* SPDX-License-Identifier: Apache-2.0 */
/* sigma_value: one value of a Sigma rule under its modifiers (wildcards,
 * case, base64 and UTF-16, CIDR, numbers, field references) compiled into
 * the fastest form that means the same. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/sigma_int.h"

/* ---- modifiers, escapes, encodings ------------------------------------- */

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

/* Parse "field|mod|mod" into the field name (owned) and modifiers. */
int
sigma_parse_key(const char *key, char **field, struct mods *m)
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

/* ---- compiling a value ------------------------------------------------- */

static int
add_value(struct item *it, size_t *cap, struct value **out)
{
	if (sigma_grow(&it->v, cap, it->nv + 1, sizeof(*it->v)) < 0)
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
int
sigma_compile_value(struct compile *c, struct item *it, size_t *cap,
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
		rc = sigma_value_regex(v, s, m->re_flags);
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
		rc = sigma_field_intern(c->rs->ix, c->r->source, s);
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
