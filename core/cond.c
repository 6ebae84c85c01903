/* SPDX-License-Identifier: Apache-2.0 */
/* cond: a recursive-descent parser for playbook conditions and templates,
 * and their evaluator over three-valued logic (true, false, unknown). */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cond.h"
#include "core/error.h"

/* Deeper nesting than this is refused: a condition is one line of a
 * playbook, never a program. */
#define COND_MAX_DEPTH 32
#define COND_MAX_NODES 256
#define VALUES_SHOWN 5

enum node_kind {
	N_LIT,
	N_VAR,    /* a context variable */
	N_COL,    /* a column, inside a row function */
	N_NOT,
	N_AND,
	N_OR,
	N_CMP,
	N_FUNC
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_GLOB };

enum func_id {
	F_COUNT,
	F_ANY,
	F_DISTINCT,
	F_SUM,
	F_MAX,
	F_MIN,
	F_VALUES,
	F_ALLOWS
};

/* What each function takes: a row predicate, a bare column, a string
 * literal, or nothing. */
enum arg_form { ARG_PRED_OPT, ARG_PRED, ARG_COLUMN, ARG_STRING };

static const struct {
	const char *name;
	enum func_id id;
	enum arg_form form;
} funcs[] = {
	{ "count", F_COUNT, ARG_PRED_OPT },
	{ "any", F_ANY, ARG_PRED },
	{ "distinct", F_DISTINCT, ARG_COLUMN },
	{ "sum", F_SUM, ARG_COLUMN },
	{ "max", F_MAX, ARG_COLUMN },
	{ "min", F_MIN, ARG_COLUMN },
	{ "values", F_VALUES, ARG_COLUMN },
	{ "allows", F_ALLOWS, ARG_STRING },
};

struct node {
	enum node_kind kind;
	int col;             /* 1-based column in the text, for messages */
	enum cmp_op op;
	enum func_id fn;
	struct cond_value lit;
	char *name;          /* N_VAR, N_COL; N_LIT string storage */
	struct node *a, *b;  /* operands; N_FUNC: a is the argument or NULL */
};

struct cond {
	struct node *root;
};

/* ---- values ------------------------------------------------------------ */

struct cond_value
cond_str(const char *s)
{
	struct cond_value v = { .type = s ? CV_STR : CV_NULL, .str = s };

	return v;
}

struct cond_value
cond_num(double n)
{
	struct cond_value v = { .type = CV_NUM, .num = n };

	return v;
}

struct cond_value
cond_bool(bool b)
{
	struct cond_value v = { .type = CV_BOOL, .b = b };

	return v;
}

static struct cond_value
missing(void)
{
	struct cond_value v = { .type = CV_MISSING };

	return v;
}

/* A whole string that reads as a finite number. */
static bool
parse_number(const char *s, double *out)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

static bool
as_number(const struct cond_value *v, double *out)
{
	switch (v->type) {
	case CV_NUM:
		*out = v->num;
		return true;
	case CV_BOOL:
		*out = v->b ? 1 : 0;
		return true;
	case CV_STR:
		return parse_number(v->str, out);
	default:
		return false;
	}
}

/* CV_BOOL true/false, or CV_MISSING for unknown. */
static struct cond_value
truth(const struct cond_value *v)
{
	switch (v->type) {
	case CV_BOOL:
		return *v;
	case CV_NUM:
		return cond_bool(v->num != 0);
	case CV_STR:
		return cond_bool(v->str[0] != '\0');
	default:
		return missing();
	}
}

/* ---- glob --------------------------------------------------------------- */

bool
cond_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Greedy with one backtrack point: linear in practice and never
	 * exponential, whatever the pattern. */
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ---- lexer ---------------------------------------------------------------- */

enum tok {
	T_END,
	T_NUM,
	T_STR,
	T_IDENT,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_MINUS,
	T_OP,
	T_AND,
	T_OR,
	T_NOT,
	T_TRUE,
	T_FALSE,
	T_NULL
};

struct parser {
	const char *text;
	size_t pos;          /* start of the current token */
	size_t next;         /* just past it */
	enum tok tok;
	enum cmp_op op;
	double num;
	char *str;           /* T_STR, T_IDENT: owned until taken */
	int depth;
	int nodes;           /* COND_MAX_NODES bounds the tree, and so the
			      * recursion of evaluation */
	bool row_scope;      /* inside a row function: identifiers are columns */
};

static int
perr(struct parser *p, size_t at, const char *what)
{
	return err_set(ERR_PARSE, "column %zu: %s", at + 1, what);
}

static const struct {
	const char *word;
	enum tok tok;
} keywords[] = {
	{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT },
	{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
};

static int
lex_string(struct parser *p, size_t i)
{
	const char *t = p->text;
	struct buf b;

	buf_init(&b);
	for (i++;; i++) {
		if (t[i] == '\0') {
			buf_dispose(&b);
			return perr(p, p->pos, "unterminated string");
		}
		if (t[i] == '\'') {
			if (t[i + 1] != '\'')
				break;
			i++;  /* '' is one quote */
		}
		if (buf_addc(&b, t[i]) < 0) {
			buf_dispose(&b);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	p->str = b.data ? buf_detach(&b) : strdup("");
	if (!p->str)
		return err_set(ERR_NOMEM, "out of memory");
	p->tok = T_STR;
	p->next = i + 1;
	return 0;
}

static int
lex_word(struct parser *p, size_t i)
{
	const char *t = p->text;
	size_t n;

	while (isalnum((unsigned char)t[i]) || t[i] == '_')
		i++;
	n = i - p->pos;
	p->next = i;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		if (strlen(keywords[k].word) == n &&
		    strncasecmp(keywords[k].word, t + p->pos, n) == 0) {
			p->tok = keywords[k].tok;
			return 0;
		}
	}
	p->str = strndup(t + p->pos, n);
	if (!p->str)
		return err_set(ERR_NOMEM, "out of memory");
	p->tok = T_IDENT;
	return 0;
}

static int
lex_number(struct parser *p, size_t i)
{
	const char *t = p->text;
	char tmp[64];
	size_t n;

	while (isdigit((unsigned char)t[i]))
		i++;
	if (t[i] == '.' && isdigit((unsigned char)t[i + 1])) {
		i++;
		while (isdigit((unsigned char)t[i]))
			i++;
	}
	n = i - p->pos;
	if (n >= sizeof(tmp) || isalpha((unsigned char)t[i]) || t[i] == '_')
		return perr(p, p->pos, "not a number");
	memcpy(tmp, t + p->pos, n);
	tmp[n] = '\0';
	p->num = strtod(tmp, NULL);
	p->tok = T_NUM;
	p->next = i;
	return 0;
}

static const struct {
	const char *text;
	enum cmp_op op;
} operators[] = {
	/* longest first */
	{ "==", OP_EQ }, { "!=", OP_NE }, { "<>", OP_NE }, { "<=", OP_LE },
	{ ">=", OP_GE }, { "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT },
	{ "~", OP_GLOB },
};

/* Advance to the next token. */
static int
lex(struct parser *p)
{
	const char *t = p->text;
	size_t i = p->next;

	free(p->str);
	p->str = NULL;
	while (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')
		i++;
	p->pos = i;
	p->next = i + 1;
	switch (t[i]) {
	case '\0':
		p->tok = T_END;
		p->next = i;
		return 0;
	case '(':
		p->tok = T_LPAREN;
		return 0;
	case ')':
		p->tok = T_RPAREN;
		return 0;
	case ',':
		p->tok = T_COMMA;
		return 0;
	case '-':
		p->tok = T_MINUS;
		return 0;
	case '\'':
		return lex_string(p, i);
	default:
		break;
	}
	if (isdigit((unsigned char)t[i]))
		return lex_number(p, i);
	if (isalpha((unsigned char)t[i]) || t[i] == '_')
		return lex_word(p, i);
	for (size_t k = 0; k < sizeof(operators) / sizeof(operators[0]); k++) {
		size_t n = strlen(operators[k].text);

		if (strncmp(t + i, operators[k].text, n) == 0) {
			p->tok = T_OP;
			p->op = operators[k].op;
			p->next = i + n;
			return 0;
		}
	}
	if (t[i] == '"')
		return perr(p, i, "strings take single quotes");
	return perr(p, i, "unexpected character");
}

/* ---- parser ----------------------------------------------------------------- */

static void
node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->name);
	free(n);
}

static struct node *
node_new(enum node_kind kind, size_t at)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n) {
		n->kind = kind;
		n->col = (int)at + 1;
	}
	return n;
}

static int parse_or(struct parser *p, struct node **out);

static int
parse_func(struct parser *p, size_t at, char *name, struct node **out)
{
	struct node *n = NULL;
	size_t k;
	int rc;

	for (k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
		if (strcmp(funcs[k].name, name) == 0)
			break;
	if (k == sizeof(funcs) / sizeof(funcs[0])) {
		rc = err_set(ERR_PARSE, "column %zu: unknown function `%s`",
			     at + 1, name);
		goto fail;
	}
	if (p->row_scope && funcs[k].form != ARG_STRING) {
		rc = perr(p, at, "a row function inside a row function");
		goto fail;
	}
	if (!(n = node_new(N_FUNC, at))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	n->fn = funcs[k].id;
	n->name = name;
	name = NULL;
	if ((rc = lex(p)) < 0)  /* past '(' */
		goto fail;
	if (p->tok == T_RPAREN && funcs[k].form == ARG_PRED_OPT)
		goto close;
	switch (funcs[k].form) {
	case ARG_PRED_OPT:
	case ARG_PRED:
		p->row_scope = true;
		rc = parse_or(p, &n->a);
		p->row_scope = false;
		if (rc < 0)
			goto fail;
		break;
	case ARG_COLUMN:
		if (p->tok != T_IDENT) {
			rc = err_set(ERR_PARSE, "column %zu: %s() takes a "
				     "column name", p->pos + 1, n->name);
			goto fail;
		}
		if (!(n->a = node_new(N_COL, p->pos))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto fail;
		}
		n->a->name = p->str;
		p->str = NULL;
		if ((rc = lex(p)) < 0)
			goto fail;
		break;
	case ARG_STRING:
		if (p->tok != T_STR) {
			rc = err_set(ERR_PARSE, "column %zu: %s() takes a "
				     "'quoted' string", p->pos + 1, n->name);
			goto fail;
		}
		if (!(n->a = node_new(N_LIT, p->pos))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto fail;
		}
		n->a->name = p->str;
		n->a->lit = cond_str(p->str);
		p->str = NULL;
		if ((rc = lex(p)) < 0)
			goto fail;
		break;
	}
close:
	if (p->tok != T_RPAREN) {
		rc = perr(p, p->pos, p->tok == T_COMMA
			  ? "functions take one argument" : "expected ')'");
		goto fail;
	}
	if ((rc = lex(p)) < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	free(name);
	node_free(n);
	return rc;
}

static int
parse_primary(struct parser *p, struct node **out)
{
	size_t at = p->pos;
	struct node *n = NULL;
	bool neg = false;
	int rc;

	*out = NULL;
	if (++p->depth > COND_MAX_DEPTH)
		return perr(p, at, "nested too deeply");
	if (++p->nodes > COND_MAX_NODES)
		return perr(p, at, "condition too long");
	switch (p->tok) {
	case T_LPAREN:
		if ((rc = lex(p)) < 0 || (rc = parse_or(p, &n)) < 0)
			goto fail;
		if (p->tok != T_RPAREN) {
			rc = perr(p, p->pos, "expected ')'");
			goto fail;
		}
		break;
	case T_MINUS:
		if ((rc = lex(p)) < 0)
			goto fail;
		if (p->tok != T_NUM) {
			rc = perr(p, p->pos, "expected a number after '-'");
			goto fail;
		}
		neg = true;
		/* fall through */
	case T_NUM:
		if (!(n = node_new(N_LIT, at)))
			goto nomem;
		n->lit = cond_num(neg ? -p->num : p->num);
		break;
	case T_STR:
		if (!(n = node_new(N_LIT, at)))
			goto nomem;
		n->name = p->str;
		n->lit = cond_str(p->str);
		p->str = NULL;
		break;
	case T_TRUE:
	case T_FALSE:
		if (!(n = node_new(N_LIT, at)))
			goto nomem;
		n->lit = cond_bool(p->tok == T_TRUE);
		break;
	case T_NULL:
		if (!(n = node_new(N_LIT, at)))
			goto nomem;
		n->lit.type = CV_NULL;
		break;
	case T_IDENT: {
		char *name = p->str;

		p->str = NULL;
		if ((rc = lex(p)) < 0) {
			free(name);
			goto fail;
		}
		if (p->tok == T_LPAREN) {
			if ((rc = parse_func(p, at, name, &n)) < 0)
				goto fail;
			p->depth--;
			*out = n;
			return 0;
		}
		if (!(n = node_new(p->row_scope ? N_COL : N_VAR, at))) {
			free(name);
			goto nomem;
		}
		n->name = name;
		p->depth--;
		*out = n;
		return 0;
	}
	case T_END:
		rc = perr(p, at, "unexpected end of the condition");
		goto fail;
	default:
		rc = perr(p, at, "expected a value, a name or '('");
		goto fail;
	}
	if ((rc = lex(p)) < 0)
		goto fail;
	p->depth--;
	*out = n;
	return 0;
nomem:
	rc = err_set(ERR_NOMEM, "out of memory");
fail:
	node_free(n);
	return rc;
}

static int
parse_cmp(struct parser *p, struct node **out)
{
	struct node *l = NULL, *r = NULL, *n;
	size_t at = p->pos;
	enum cmp_op op;
	int rc;

	if ((rc = parse_primary(p, &l)) < 0)
		return rc;
	if (p->tok != T_OP) {
		*out = l;
		return 0;
	}
	op = p->op;
	at = p->pos;
	if ((rc = lex(p)) < 0 || (rc = parse_primary(p, &r)) < 0)
		goto fail;
	if (p->tok == T_OP) {
		rc = perr(p, p->pos, "comparisons do not chain; use 'and'");
		goto fail;
	}
	if (!(n = node_new(N_CMP, at))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	n->op = op;
	n->a = l;
	n->b = r;
	*out = n;
	return 0;
fail:
	node_free(l);
	node_free(r);
	return rc;
}

static int
parse_not(struct parser *p, struct node **out)
{
	struct node *n;
	size_t at = p->pos;
	int rc;

	if (p->tok != T_NOT)
		return parse_cmp(p, out);
	if (++p->depth > COND_MAX_DEPTH)
		return perr(p, at, "nested too deeply");
	if ((rc = lex(p)) < 0)
		return rc;
	if (!(n = node_new(N_NOT, at)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = parse_not(p, &n->a)) < 0) {
		node_free(n);
		return rc;
	}
	p->depth--;
	*out = n;
	return 0;
}

/* One left-associative level: operand (word operand)*. */
static int
parse_chain(struct parser *p, enum tok word, enum node_kind kind,
	    int (*operand)(struct parser *, struct node **), struct node **out)
{
	struct node *l = NULL, *n;
	int rc;

	if ((rc = operand(p, &l)) < 0)
		return rc;
	while (p->tok == word) {
		if (!(n = node_new(kind, p->pos))) {
			node_free(l);
			return err_set(ERR_NOMEM, "out of memory");
		}
		n->a = l;
		l = n;
		if ((rc = lex(p)) < 0 || (rc = operand(p, &n->b)) < 0) {
			node_free(l);
			return rc;
		}
	}
	*out = l;
	return 0;
}

static int
parse_and(struct parser *p, struct node **out)
{
	return parse_chain(p, T_AND, N_AND, parse_not, out);
}

static int
parse_or(struct parser *p, struct node **out)
{
	return parse_chain(p, T_OR, N_OR, parse_and, out);
}

/* Parse a whole condition; columns are relative to text. */
static int
parse_text(const char *text, struct node **out)
{
	struct parser p = { .text = text };
	struct node *root = NULL;
	int rc;

	*out = NULL;
	if ((rc = lex(&p)) < 0)
		goto out;
	if (p.tok == T_END) {
		rc = perr(&p, p.pos, "empty condition");
		goto out;
	}
	if ((rc = parse_or(&p, &root)) < 0)
		goto out;
	if (p.tok != T_END) {
		rc = perr(&p, p.pos, p.tok == T_RPAREN ? "unbalanced ')'"
			  : "expected 'and', 'or' or the end");
		goto out;
	}
	*out = root;
	root = NULL;
out:
	free(p.str);
	node_free(root);
	return rc;
}

int
cond_parse(const char *text, struct cond **out)
{
	struct cond *c;
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = parse_text(text ? text : "", &c->root)) < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
cond_free(struct cond *c)
{
	if (!c)
		return;
	node_free(c->root);
	free(c);
}

/* ---- checking names ----------------------------------------------------- */

static int
check_node(const struct node *n, const char *const *allowed, size_t na,
	   int offset)
{
	int rc;

	if (!n)
		return 0;
	if (n->kind == N_VAR) {
		size_t k;

		for (k = 0; k < na; k++)
			if (strcmp(allowed[k], n->name) == 0)
				break;
		if (k == na)
			return err_set(ERR_FIELD, "column %d: unknown variable "
				       "`%s`", n->col + offset, n->name);
	}
	if ((rc = check_node(n->a, allowed, na, offset)) < 0)
		return rc;
	return check_node(n->b, allowed, na, offset);
}

int
cond_check_vars(const struct cond *c, const char *const *allowed, size_t n)
{
	return c ? check_node(c->root, allowed, n, 0) : 0;
}

/* ---- evaluation ----------------------------------------------------------- */

struct eval {
	const struct cond_env *env;
	size_t row;         /* current row in row scope */
	bool in_row;
	struct buf scratch; /* values() text lives here until the end */
	char **owned;       /* strings handed out by values() */
	size_t nowned;
};

static struct cond_value eval_node(struct eval *e, const struct node *n);

static int
column_index(const struct cond_rows *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (r->names[i] && strcmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

static bool
columns_known(const struct cond_rows *r, const struct node *n)
{
	if (!n)
		return true;
	if (n->kind == N_COL && column_index(r, n->name) < 0)
		return false;
	return columns_known(r, n->a) && columns_known(r, n->b);
}

static struct cond_value
cell_value(const struct cond_rows *r, size_t row, int col)
{
	size_t at = row * r->ncols + (size_t)col;
	const char *s = r->cells[at];
	double d;

	if (!s)
		return cond_str(NULL);
	if (r->numeric && r->numeric[at] && parse_number(s, &d))
		return cond_num(d);
	return cond_str(s);
}

static struct cond_value
lookup_var(const struct cond_env *env, const char *name)
{
	for (size_t i = 0; i < env->nvars; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return env->vars[i].v;
	return missing();
}

static struct cond_value
compare(const struct cond_value *a, enum cmp_op op, const struct cond_value *b)
{
	double x, y;
	int c;

	if (a->type == CV_MISSING || b->type == CV_MISSING)
		return missing();
	if (op == OP_GLOB) {
		if (a->type != CV_STR || b->type != CV_STR)
			return cond_bool(false);
		return cond_bool(cond_glob(b->str, a->str));
	}
	if (a->type == CV_NULL || b->type == CV_NULL) {
		bool both = a->type == b->type;

		if (op == OP_EQ)
			return cond_bool(both);
		if (op == OP_NE)
			return cond_bool(!both);
		return cond_bool(false);
	}
	/* Two strings compare as text; otherwise both sides must read as
	 * numbers, or they are simply unequal. */
	if (a->type == CV_STR && b->type == CV_STR) {
		c = strcmp(a->str, b->str);
	} else if (as_number(a, &x) && as_number(b, &y)) {
		c = x < y ? -1 : x > y ? 1 : 0;
	} else {
		return cond_bool(op == OP_NE);
	}
	switch (op) {
	case OP_EQ: return cond_bool(c == 0);
	case OP_NE: return cond_bool(c != 0);
	case OP_LT: return cond_bool(c < 0);
	case OP_LE: return cond_bool(c <= 0);
	case OP_GT: return cond_bool(c > 0);
	case OP_GE: return cond_bool(c >= 0);
	default: return missing();
	}
}

static int
cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct cond_value
eval_distinct(const struct cond_rows *r, int col)
{
	const char **v;
	size_t n = 0, d = 0;

	if (r->nrows == 0)
		return cond_num(0);
	if (!(v = malloc(r->nrows * sizeof(*v))))
		return missing();
	for (size_t i = 0; i < r->nrows; i++)
		if (r->cells[i * r->ncols + (size_t)col])
			v[n++] = r->cells[i * r->ncols + (size_t)col];
	qsort(v, n, sizeof(*v), cmp_str_ptr);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			d++;
	free(v);
	return cond_num((double)d);
}

/* "a, b, c" in first-seen order, at most VALUES_SHOWN, then "and N more". */
static struct cond_value
eval_values(struct eval *e, const struct cond_rows *r, int col)
{
	const char *shown[VALUES_SHOWN];
	size_t nshown = 0, more = 0;
	const char **seen;
	size_t nseen = 0;
	struct buf b;
	char **grown;

	if (!(seen = malloc((r->nrows ? r->nrows : 1) * sizeof(*seen))))
		return missing();
	for (size_t i = 0; i < r->nrows; i++) {
		const char *s = r->cells[i * r->ncols + (size_t)col];
		size_t k;

		if (!s)
			continue;
		for (k = 0; k < nseen; k++)
			if (strcmp(seen[k], s) == 0)
				break;
		if (k < nseen)
			continue;
		seen[nseen++] = s;
		if (nshown < VALUES_SHOWN)
			shown[nshown++] = s;
		else
			more++;
	}
	free(seen);
	buf_init(&b);
	if (nshown == 0)
		buf_adds(&b, "none");
	for (size_t i = 0; i < nshown; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", shown[i]);
	if (more)
		buf_printf(&b, " and %zu more", more);
	grown = realloc(e->owned, (e->nowned + 1) * sizeof(*grown));
	if (!b.data || !grown) {
		buf_dispose(&b);
		if (grown)
			e->owned = grown;
		return missing();
	}
	e->owned = grown;
	e->owned[e->nowned++] = buf_detach(&b);
	return cond_str(e->owned[e->nowned - 1]);
}

static struct cond_value
eval_func(struct eval *e, const struct node *n)
{
	const struct cond_rows *r = e->env->rows;
	struct cond_value v;
	int col = -1;
	size_t hits = 0;
	double acc = 0, d;
	bool any = false;

	if (n->fn == F_ALLOWS) {
		if (!e->env->allows)
			return missing();
		return e->env->allows(e->env->ctx, n->a->lit.str);
	}
	if (!r)
		return missing();
	/* Rows that lack a column the function names leave it unknown; no
	 * rows at all is simply empty (a query with no rows names no
	 * columns). */
	if (r->nrows && n->a && !columns_known(r, n->a))
		return missing();
	if (n->a && n->a->kind == N_COL)
		col = column_index(r, n->a->name);
	switch (n->fn) {
	case F_COUNT:
	case F_ANY:
		if (!n->a)
			return cond_num((double)r->nrows);
		for (size_t i = 0; i < r->nrows; i++) {
			bool match;

			if (n->a->kind == N_COL) {
				match = r->cells[i * r->ncols + (size_t)col];
			} else {
				e->in_row = true;
				e->row = i;
				v = eval_node(e, n->a);
				v = truth(&v);
				e->in_row = false;
				match = v.type == CV_BOOL && v.b;
			}
			if (match) {
				hits++;
				if (e->env->matched)
					e->env->matched[i] = 1;
			}
		}
		return n->fn == F_ANY ? cond_bool(hits > 0)
				      : cond_num((double)hits);
	case F_DISTINCT:
		return eval_distinct(r, col);
	case F_VALUES:
		return eval_values(e, r, col);
	case F_SUM:
	case F_MAX:
	case F_MIN:
		for (size_t i = 0; i < r->nrows; i++) {
			v = cell_value(r, i, col);
			if (!as_number(&v, &d))
				continue;
			if (n->fn == F_SUM)
				acc += d;
			else if (!any || (n->fn == F_MAX ? d > acc : d < acc))
				acc = d;
			any = true;
		}
		if (n->fn != F_SUM && !any)
			return cond_str(NULL);
		return cond_num(acc);
	default:
		return missing();
	}
}

static struct cond_value
eval_node(struct eval *e, const struct node *n)
{
	struct cond_value a, b;

	switch (n->kind) {
	case N_LIT:
		return n->lit;
	case N_VAR:
		return lookup_var(e->env, n->name);
	case N_COL: {
		int col;

		if (!e->in_row || !e->env->rows ||
		    (col = column_index(e->env->rows, n->name)) < 0)
			return missing();
		return cell_value(e->env->rows, e->row, col);
	}
	case N_NOT:
		a = eval_node(e, n->a);
		a = truth(&a);
		return a.type == CV_BOOL ? cond_bool(!a.b) : a;
	case N_AND:
	case N_OR: {
		bool short_on = n->kind == N_OR;

		/* Both sides always run so that row marks are complete; the
		 * cost is nil at this size. */
		a = eval_node(e, n->a);
		a = truth(&a);
		b = eval_node(e, n->b);
		b = truth(&b);
		if ((a.type == CV_BOOL && a.b == short_on) ||
		    (b.type == CV_BOOL && b.b == short_on))
			return cond_bool(short_on);
		if (a.type == CV_BOOL && b.type == CV_BOOL)
			return cond_bool(!short_on);
		return missing();
	}
	case N_CMP:
		a = eval_node(e, n->a);
		b = eval_node(e, n->b);
		return compare(&a, n->op, &b);
	case N_FUNC:
		return eval_func(e, n);
	}
	return missing();
}

static void
eval_dispose(struct eval *e)
{
	for (size_t i = 0; i < e->nowned; i++)
		free(e->owned[i]);
	free(e->owned);
}

bool
cond_eval(const struct cond *c, const struct cond_env *env)
{
	struct eval e = { .env = env };
	struct cond_value v;

	if (!c || !c->root)
		return false;
	v = eval_node(&e, c->root);
	v = truth(&v);
	eval_dispose(&e);
	return v.type == CV_BOOL && v.b;
}

/* ---- templates -------------------------------------------------------------- */

struct tpart {
	char *text;          /* literal, or NULL */
	struct node *expr;   /* or an expression */
};

struct cond_template {
	struct tpart *parts;
	size_t nparts;
};

void
cond_template_free(struct cond_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		node_free(t->parts[i].expr);
	}
	free(t->parts);
	free(t);
}

static int
tmpl_push(struct cond_template *t, char *text, struct node *expr)
{
	struct tpart *p = realloc(t->parts, (t->nparts + 1) * sizeof(*p));

	if (!p) {
		free(text);
		node_free(expr);
		return err_set(ERR_NOMEM, "out of memory");
	}
	t->parts = p;
	p[t->nparts].text = text;
	p[t->nparts].expr = expr;
	t->nparts++;
	return 0;
}

static void
shift_cols(struct node *n, int by)
{
	if (!n)
		return;
	n->col += by;
	shift_cols(n->a, by);
	shift_cols(n->b, by);
}

/* Where the '}' closing the part at text[open] is: skip quoted strings so
 * a brace inside '...' is data. */
static const char *
tmpl_close(const char *s)
{
	for (; *s; s++) {
		if (*s == '\'') {
			for (s++; *s && !(*s == '\'' && s[1] != '\''); s++)
				if (*s == '\'')
					s++;
			if (!*s)
				return NULL;
		} else if (*s == '}') {
			return s;
		}
	}
	return NULL;
}

int
cond_template_parse(const char *text, struct cond_template **out)
{
	struct cond_template *t;
	struct buf lit;
	const char *s = text ? text : "";
	int rc = 0;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return err_set(ERR_NOMEM, "out of memory");
	buf_init(&lit);
	while (*s) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			buf_addc(&lit, s[0]);
			s += 2;
		} else if (*s == '}') {
			rc = err_set(ERR_PARSE, "column %zu: '}' without '{' "
				     "(write '}}' for a brace)",
				     (size_t)(s - text) + 1);
			goto fail;
		} else if (*s == '{') {
			const char *close = tmpl_close(s + 1);
			struct node *expr = NULL;
			char *inner;

			if (!close) {
				rc = err_set(ERR_PARSE, "column %zu: '{' without "
					     "'}'", (size_t)(s - text) + 1);
				goto fail;
			}
			if (!(inner = strndup(s + 1, (size_t)(close - s - 1)))) {
				rc = err_set(ERR_NOMEM, "out of memory");
				goto fail;
			}
			rc = parse_text(inner, &expr);
			free(inner);
			if (rc < 0) {
				/* Re-base the column on the whole template. */
				char msg[512];
				size_t col;

				snprintf(msg, sizeof(msg), "%s", err_msg());
				if (sscanf(msg, "column %zu:", &col) == 1) {
					const char *rest = strchr(msg, ':');

					rc = err_set(ERR_PARSE, "column %zu%s",
						     col + (size_t)(s - text) + 1,
						     rest);
				}
				goto fail;
			}
			if (lit.len && (rc = tmpl_push(t, buf_detach(&lit),
						       NULL)) < 0) {
				node_free(expr);
				goto fail;
			}
			shift_cols(expr, (int)(s - text) + 1);
			if ((rc = tmpl_push(t, NULL, expr)) < 0)
				goto fail;
			s = close + 1;
		} else {
			buf_addc(&lit, *s++);
		}
	}
	if (lit.len && (rc = tmpl_push(t, buf_detach(&lit), NULL)) < 0)
		goto fail;
	buf_dispose(&lit);
	*out = t;
	return 0;
fail:
	buf_dispose(&lit);
	cond_template_free(t);
	return rc;
}

int
cond_template_check_vars(const struct cond_template *t,
			 const char *const *allowed, size_t n)
{
	int rc;

	if (!t)
		return 0;
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].expr &&
		    (rc = check_node(t->parts[i].expr, allowed, n, 0)) < 0)
			return rc;
	return 0;
}

static int
put_value(struct buf *out, const struct cond_value *v)
{
	switch (v->type) {
	case CV_STR:
		return buf_adds(out, v->str);
	case CV_BOOL:
		return buf_adds(out, v->b ? "true" : "false");
	case CV_NUM:
		if (v->num == floor(v->num) && fabs(v->num) < 9e15)
			return buf_printf(out, "%lld", (long long)v->num);
		return buf_printf(out, "%.6g", v->num);
	default:
		return buf_adds(out, "unknown");
	}
}

int
cond_template_expand(const struct cond_template *t,
		     const struct cond_env *env, struct buf *out)
{
	struct eval e = { .env = env };
	int rc = 0;

	if (!t)
		return 0;
	for (size_t i = 0; i < t->nparts && rc == 0; i++) {
		if (t->parts[i].text) {
			rc = buf_adds(out, t->parts[i].text);
		} else {
			struct cond_value v = eval_node(&e, t->parts[i].expr);

			rc = put_value(out, &v);
		}
	}
	eval_dispose(&e);
	return rc < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}
