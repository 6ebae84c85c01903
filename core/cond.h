/* SPDX-License-Identifier: Apache-2.0 */
/* cond: the small condition and template language of playbooks (see
 * kb/default/playbooks/README.md): parsed once into a tree at load time,
 * evaluated over a step's variables and result rows at run time. */
#ifndef VERDICT_COND_H
#define VERDICT_COND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* A value in the language. MISSING is "nothing to say" (an unknown
 * variable, a column the rows lack): any comparison with it is unknown,
 * and a condition that ends unknown is false. */
enum cond_type {
	CV_MISSING,
	CV_NULL,
	CV_BOOL,
	CV_NUM,
	CV_STR
};

struct cond_value {
	enum cond_type type;
	bool b;
	double num;
	const char *str;   /* borrowed for CV_STR */
};

/* A named variable of the evaluation context. */
struct cond_var {
	const char *name;
	struct cond_value v;
};

/* A step's result rows: nrows x ncols cells as text, NULL for SQL NULL. */
struct cond_rows {
	size_t ncols, nrows;
	const char *const *names;  /* ncols column names */
	const char *const *cells;  /* row-major, nrows * ncols */
	const bool *numeric;       /* same shape, or NULL: all text */
};

struct cond_env {
	const struct cond_var *vars;
	size_t nvars;
	const struct cond_rows *rows;  /* NULL: the row functions give MISSING */
	/* allows('action'): true/false, or MISSING when unknown. NULL: MISSING. */
	struct cond_value (*allows)(void *ctx, const char *action);
	void *ctx;
	/* Optional, nrows bytes: set to 1 for every row that a row predicate
	 * (count, any) matched, so a rule can cite the rows behind it. */
	unsigned char *matched;
};

struct cond;
struct cond_template;

/* Parse a condition. Returns 0, or ERR_PARSE with a message
 * "column N: ..." (1-based, in text). *out is the caller's (cond_free). */
int cond_parse(const char *text, struct cond **out);
void cond_free(struct cond *c);

/* True only when c definitely holds in env. */
bool cond_eval(const struct cond *c, const struct cond_env *env);

/* Check that every variable c names is in allowed (n names). Returns 0 or
 * ERR_FIELD "column N: unknown variable `x`". Columns inside row
 * functions are not checked: the rows decide them at run time. */
int cond_check_vars(const struct cond *c, const char *const *allowed,
		    size_t n);

/* Templates: text with {expression} parts ("{actor}", "{values(action)}",
 * "{count(error_code = null)}"); "{{" and "}}" stand for braces. Parse
 * errors are ERR_PARSE "column N: ...". */
int cond_template_parse(const char *text, struct cond_template **out);
void cond_template_free(struct cond_template *t);
int cond_template_check_vars(const struct cond_template *t,
			     const char *const *allowed, size_t n);
/* Append the expansion to out. MISSING and NULL values read "unknown". */
int cond_template_expand(const struct cond_template *t,
			 const struct cond_env *env, struct buf *out);

/* Shell-style glob: '*' any run, '?' one byte; case-sensitive. */
bool cond_glob(const char *pattern, const char *s);

/* Value constructors for context building. */
struct cond_value cond_str(const char *s);  /* NULL gives CV_NULL */
struct cond_value cond_num(double n);
struct cond_value cond_bool(bool b);

#endif
