/* SPDX-License-Identifier: Apache-2.0 */
/* kb: reads knowledge-base documents (playbooks, intel lists, allowlists),
 * from a folder or a git tree, into the values the engine takes, reporting
 * every bad document with its file and line. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/netaddr.h"
#include "core/playbook.h"
#include "core/timeutil.h"
#include "kb/feedback.h"
#include "kb/kb.h"
#include "kb/repo.h"

#define KB_MAX_FILE (8u << 20)  /* a KB document larger than this is refused */

struct loader {
	kb_diag_fn diag;
	void *ctx;
	unsigned errors;
	struct kb_data *kb;
};

static void
problem(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem(struct loader *ld, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->errors++;
	if (ld->diag)
		ld->diag(ld->ctx, msg);
}

/* ---- reading the folder -------------------------------------------------- */

static int
read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;
	int rc = 0;

	*text = NULL;
	*len = 0;
	if (!f)
		return err_set(ERR_IO, "%s: %s", path, strerror(errno));
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > KB_MAX_FILE) {
			rc = err_set(ERR_TOOBIG, "%s: larger than %u MiB", path,
				     KB_MAX_FILE >> 20);
			break;
		}
		if (buf_add(&b, chunk, n) < 0) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_set(ERR_IO, "%s: %s", path, strerror(errno));
	fclose(f);
	if (rc < 0) {
		buf_dispose(&b);
		return rc;
	}
	*len = b.len;
	*text = b.data ? buf_detach(&b) : strdup("");
	return *text ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && strcmp(s + n - t, tail) == 0;
}

static int
cmp_doc(const void *a, const void *b)
{
	return strcmp(((const struct kb_doc *)a)->rel, ((const struct kb_doc *)b)->rel);
}

void
kb_docs_free(struct kb_doc *docs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(docs[i].rel);
		free(docs[i].path);
		free(docs[i].text);
	}
	free(docs);
}

/* The documents of sub (files ending in ext; hidden files skipped). A
 * missing folder holds none. */
static int
list_docs(struct loader *ld, const char *dir, const char *sub,
	  const char *ext, struct kb_doc **docs, size_t *n)
{
	struct buf path;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	buf_init(&path);
	buf_printf(&path, "%s/%s", dir, sub);
	if (!path.data)
		return err_set(ERR_NOMEM, "out of memory");
	if (!(d = opendir(path.data))) {
		buf_dispose(&path);
		return 0;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		struct kb_doc *grown, *doc;
		struct buf rel, full;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ext))
			continue;
		if (!(grown = realloc(*docs, (*n + 1) * sizeof(*grown)))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		*docs = grown;
		doc = &grown[*n];
		memset(doc, 0, sizeof(*doc));
		(*n)++;
		buf_init(&rel);
		buf_init(&full);
		buf_printf(&rel, "%s/%s", sub, de->d_name);
		buf_printf(&full, "%s/%s", path.data, de->d_name);
		doc->rel = buf_detach(&rel);
		doc->path = buf_detach(&full);
		if (!doc->rel || !doc->path) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		if (read_file(doc->path, &doc->text, &doc->len) < 0) {
			problem(ld, "%s", err_msg());
			free(doc->text);
			doc->text = NULL;
		}
	}
	closedir(d);
	buf_dispose(&path);
	return rc;
}

/* ---- playbooks ----------------------------------------------------------- */

static int
line_of_id(const char *text)
{
	int line = 1;

	for (const char *p = text; *p; p++) {
		if ((p == text || p[-1] == '\n') && strncmp(p, "id:", 3) == 0)
			return line;
		line += *p == '\n';
	}
	return 1;
}

static int
add_playbook(struct loader *ld, const struct kb_doc *d)
{
	struct kb_data *kb = ld->kb;
	struct playbook *pb, **grown;

	if (playbook_parse(d->path, d->text, d->len, &pb) < 0) {
		problem(ld, "%s", err_msg());
		return 0;
	}
	for (size_t i = 0; i < kb->nplaybooks; i++) {
		if (strcmp(kb->playbooks[i]->id, pb->id) == 0) {
			problem(ld, "%s:%d: field `id`: \"%s\" is already the id "
				"of %s", d->path, line_of_id(d->text), pb->id,
				kb->playbooks[i]->file);
			playbook_free(pb);
			return 0;
		}
	}
	if (!(grown = realloc(kb->playbooks,
			      (kb->nplaybooks + 1) * sizeof(*grown)))) {
		playbook_free(pb);
		return err_set(ERR_NOMEM, "out of memory");
	}
	kb->playbooks = grown;
	kb->playbooks[kb->nplaybooks++] = pb;
	return 0;
}

/* ---- intel lists ------------------------------------------------------------ */

/* One entry: an address, a CIDR range or a domain; lowercase, addresses
 * in canonical form. NULL if it is none of them. */
static char *
intel_entry(const char *s)
{
	char canon[NETADDR_BUFSZ];
	char *out;

	if (strchr(s, '/'))
		return investigate_cidr_valid(s) ? strdup(s) : NULL;
	if (netaddr_canon_ip(s, canon))
		return strdup(canon);
	if (!netaddr_is_hostname(s))
		return NULL;
	if ((out = strdup(s)))
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return out;
}

static int
add_intel(struct loader *ld, const struct kb_doc *d)
{
	struct kb_data *kb = ld->kb;
	struct intel_list *l, *grown;
	const char *base = strrchr(d->rel, '/') + 1;
	const char *p = d->text;
	int line = 0;

	if (!(grown = realloc(kb->intel, (kb->nintel + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	kb->intel = grown;
	l = &kb->intel[kb->nintel];
	memset(l, 0, sizeof(*l));
	if (!(l->name = strndup(base, strlen(base) - strlen(".txt"))))
		return err_set(ERR_NOMEM, "out of memory");
	kb->nintel++;
	while (p < d->text + d->len) {
		size_t n = strcspn(p, "\n");
		char item[512];
		char *entry, **more;
		size_t a = 0, b;

		line++;
		/* The entry ends at a comment; blanks around it are ignored. */
		b = strcspn(p, "#\n");
		while (a < b && isspace((unsigned char)p[a]))
			a++;
		while (b > a && isspace((unsigned char)p[b - 1]))
			b--;
		if (b > a) {
			if (b - a >= sizeof(item)) {
				problem(ld, "%s:%d: field `entry`: longer than "
					"%zu bytes", d->path, line, sizeof(item) - 1);
			} else {
				memcpy(item, p + a, b - a);
				item[b - a] = '\0';
				if (!(entry = intel_entry(item))) {
					problem(ld, "%s:%d: field `entry`: \"%s\" is "
						"not an address, CIDR range or "
						"domain", d->path, line, item);
				} else if (!(more = realloc(l->entries,
						(l->nentries + 1) * sizeof(*more)))) {
					free(entry);
					return err_set(ERR_NOMEM, "out of memory");
				} else {
					l->entries = more;
					l->entries[l->nentries++] = entry;
				}
			}
		}
		if (p[n] != '\n')
			break;  /* the end, or an embedded NUL that ends it */
		p += n + 1;
	}
	return 0;
}

/* ---- allowlists ------------------------------------------------------------- */

static int
yaml_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

/* YYYY-MM-DD: the entry applies before 00:00 UTC of that day. */
static bool
parse_date(const char *s, int64_t *ns)
{
	char iso[32];

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	snprintf(iso, sizeof(iso), "%sT00:00:00Z", s);
	return timeutil_parse(iso, ns) == 0;
}

static const char *const allow_keys[] = {
	"id", "reason", "detection", "account", "actor", "resource", "cidr",
	"expires", "analyst",
};

static char **
allow_slot(struct allow_entry *a, const char *key)
{
	char **slots[] = { &a->id, &a->reason, &a->detection, &a->account,
			   &a->actor, &a->resource, &a->cidr, NULL, &a->analyst };

	for (size_t i = 0; i < sizeof(allow_keys) / sizeof(*allow_keys); i++)
		if (strcmp(allow_keys[i], key) == 0)
			return slots[i];
	return NULL;
}

static void
allow_dispose(struct allow_entry *a)
{
	free(a->id);
	free(a->reason);
	free(a->detection);
	free(a->account);
	free(a->actor);
	free(a->resource);
	free(a->cidr);
	free(a->analyst);
	memset(a, 0, sizeof(*a));
}

/* One entry of an allowlist file; 0 with *ok false when it is invalid
 * (already reported). */
static int
parse_allow(struct loader *ld, const struct kb_doc *d, yaml_document_t *doc,
	    yaml_node_t *item, size_t index, struct allow_entry *a, bool *ok)
{
	const char *base = strrchr(d->rel, '/') + 1;
	bool scoped = false;

	*ok = false;
	if (item->type != YAML_MAPPING_NODE) {
		problem(ld, "%s:%d: field `entry`: expected a mapping of keys",
			d->path, yaml_line(item));
		return 0;
	}
	for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
	     pr < item->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *key = k && k->type == YAML_SCALAR_NODE
				  ? (const char *)k->data.scalar.value : "?";
		const char *val = v && v->type == YAML_SCALAR_NODE
				  ? (const char *)v->data.scalar.value : NULL;
		char **slot;

		if (strcmp(key, "expires") != 0 && !(slot = allow_slot(a, key))) {
			problem(ld, "%s:%d: field `%s`: unknown key (known: id, "
				"reason, detection, account, actor, resource, "
				"cidr, expires, analyst)", d->path, yaml_line(k),
				key);
			return 0;
		}
		if (!val || !*val) {
			problem(ld, "%s:%d: field `%s`: expected text", d->path,
				yaml_line(v), key);
			return 0;
		}
		if (strcmp(key, "expires") == 0) {
			if (!parse_date(val, &a->expires_ns)) {
				problem(ld, "%s:%d: field `expires`: \"%s\" is not "
					"a date (YYYY-MM-DD)", d->path,
					yaml_line(v), val);
				return 0;
			}
			continue;
		}
		slot = allow_slot(a, key);
		if (*slot) {
			problem(ld, "%s:%d: field `%s`: given twice", d->path,
				yaml_line(k), key);
			return 0;
		}
		if (!(*slot = strdup(val)))
			return err_set(ERR_NOMEM, "out of memory");
	}
	scoped = a->detection || a->account || a->actor || a->resource ||
		 a->cidr;
	if (!a->reason) {
		problem(ld, "%s:%d: field `reason`: every entry needs one",
			d->path, yaml_line(item));
		return 0;
	}
	if (!scoped) {
		problem(ld, "%s:%d: field `detection`: an entry needs a scope "
			"(detection, account, actor, resource or cidr)",
			d->path, yaml_line(item));
		return 0;
	}
	if (a->cidr && !investigate_cidr_valid(a->cidr)) {
		problem(ld, "%s:%d: field `cidr`: \"%s\" is not an address range",
			d->path, yaml_line(item), a->cidr);
		return 0;
	}
	if (!a->id) {
		char id[300];

		snprintf(id, sizeof(id), "%.*s#%zu",
			 (int)(strlen(base) - strlen(".yaml")), base, index + 1);
		if (!(a->id = strdup(id)))
			return err_set(ERR_NOMEM, "out of memory");
	}
	*ok = true;
	return 0;
}

static int
add_allowlist(struct loader *ld, const struct kb_doc *d)
{
	struct kb_data *kb = ld->kb;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return err_set(ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)d->text,
				     d->len);
	if (!yaml_parser_load(&parser, &doc)) {
		problem(ld, "%s:%zu: yaml: %s", d->path,
			parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return 0;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_SEQUENCE_NODE) {
		problem(ld, "%s:%d: field `entries`: an allowlist is a list of "
			"entries", d->path, yaml_line(root));
		root = NULL;
	}
	for (yaml_node_item_t *it = root ? root->data.sequence.items.start : NULL;
	     it && it < root->data.sequence.items.top && rc == 0; it++) {
		struct allow_entry a = { 0 }, *grown;
		bool ok;

		rc = parse_allow(ld, d, &doc, yaml_document_get_node(&doc, *it),
				 (size_t)(it - root->data.sequence.items.start),
				 &a, &ok);
		if (rc < 0 || !ok) {
			allow_dispose(&a);
			continue;
		}
		if (!(grown = realloc(kb->allow, (kb->nallow + 1) * sizeof(*grown)))) {
			allow_dispose(&a);
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		kb->allow = grown;
		kb->allow[kb->nallow++] = a;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- the whole folder ------------------------------------------------------- */

static const struct {
	const char *sub, *ext;
	int (*add)(struct loader *, const struct kb_doc *);
} kinds[] = {
	{ "allowlists", ".yaml", add_allowlist },
	{ "intel", ".txt", add_intel },
	{ "playbooks", ".yaml", add_playbook },
};

/* "dir:" and 12 hex digits of a hash over the sorted names and contents. */
static char *
version_of(const struct kb_doc *docs, size_t n)
{
	struct hash128 h = hash128(NULL, 0);
	char hex[33], out[32];

	for (size_t i = 0; i < n; i++) {
		h = hash128_add(h, docs[i].rel, strlen(docs[i].rel) + 1);
		if (docs[i].text)
			h = hash128_add(h, docs[i].text, docs[i].len);
		h = hash128_add(h, "", 1);
	}
	hash128_hex(h, hex);
	snprintf(out, sizeof(out), "dir:%.12s", hex);
	return strdup(out);
}

int
kb_load_docs(struct kb_doc *docs, size_t ndocs, const char *version,
	     const char *where, kb_diag_fn diag, void *ctx,
	     struct kb_data **out, unsigned *errors)
{
	struct loader ld = { .diag = diag, .ctx = ctx };
	int rc = 0;

	*out = NULL;
	if (errors)
		*errors = 0;
	if (!(ld.kb = calloc(1, sizeof(*ld.kb))))
		return err_set(ERR_NOMEM, "out of memory");
	/* Sorted, so the version and every "first one wins" are stable. */
	qsort(docs, ndocs, sizeof(*docs), cmp_doc);
	ld.kb->version = version ? strdup(version) : version_of(docs, ndocs);
	if (!ld.kb->version) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ndocs && rc == 0; i++) {
		if (!docs[i].text)
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
			if (strncmp(docs[i].rel, kinds[k].sub,
				    strlen(kinds[k].sub)) == 0 &&
			    docs[i].rel[strlen(kinds[k].sub)] == '/' &&
			    !strchr(docs[i].rel + strlen(kinds[k].sub) + 1, '/') &&
			    ends_with(docs[i].rel, kinds[k].ext))
				rc = kinds[k].add(&ld, &docs[i]);
	}
	if (rc == 0 && ld.kb->nplaybooks == 0)
		rc = err_set(ERR_NOTFOUND, "%s: no usable playbooks", where);
out:
	if (errors)
		*errors = ld.errors;
	if (rc < 0) {
		kb_data_free(ld.kb);
		return rc;
	}
	*out = ld.kb;
	return 0;
}

int
kb_load_dir(const char *dir, kb_diag_fn diag, void *ctx,
	    struct kb_data **out, unsigned *errors)
{
	struct loader ld = { .diag = diag, .ctx = ctx };
	struct kb_doc *docs = NULL;
	size_t ndocs = 0;
	unsigned more = 0;
	struct stat sb;
	int rc = 0;

	*out = NULL;
	if (errors)
		*errors = 0;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return err_set(ERR_IO, "%s: not a knowledge-base folder", dir);
	/* A knowledge-base repository is read at the tip of its branch, never
	 * from whatever its work tree holds. */
	if (kb_repo_is(dir))
		return kb_repo_load(dir, diag, ctx, out, errors);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds) && rc == 0; k++)
		rc = list_docs(&ld, dir, kinds[k].sub, kinds[k].ext, &docs, &ndocs);
	if (rc == 0)
		rc = kb_load_docs(docs, ndocs, NULL, dir, diag, ctx, out, &more);
	kb_docs_free(docs, ndocs);
	if (errors)
		*errors = ld.errors + more;
	return rc;
}

void
kb_data_free(struct kb_data *kb)
{
	if (!kb)
		return;
	if (kb->prior_lookup == kb_feedback_lookup)
		kb_feedback_set_free(kb->prior_ctx);
	free(kb->version);
	for (size_t i = 0; i < kb->nplaybooks; i++)
		playbook_free(kb->playbooks[i]);
	free(kb->playbooks);
	for (size_t i = 0; i < kb->nintel; i++) {
		free(kb->intel[i].name);
		for (size_t k = 0; k < kb->intel[i].nentries; k++)
			free(kb->intel[i].entries[k]);
		free(kb->intel[i].entries);
	}
	free(kb->intel);
	for (size_t i = 0; i < kb->nallow; i++)
		allow_dispose(&kb->allow[i]);
	free(kb->allow);
	free(kb);
}

char *
kb_default_dir(void)
{
	const char *env = getenv("VERDICT_KB");
	struct stat sb;
	char *repo;

	if (env && *env)
		return strdup(env);
	/* The analyst's own repository, once `verdict kb init` made it. */
	if (kb_repo_default_path(&repo) == 0) {
		if (kb_repo_is(repo))
			return repo;
		free(repo);
	}
	if (stat(VERDICT_DATADIR "/kb/default", &sb) == 0 && S_ISDIR(sb.st_mode))
		return strdup(VERDICT_DATADIR "/kb/default");
#ifdef VERDICT_SRCDIR
	/* run from the build tree, not installed: the source tree's copy */
	if (stat("./kb/default", &sb) != 0 &&
	    stat(VERDICT_SRCDIR "/kb/default", &sb) == 0 && S_ISDIR(sb.st_mode))
		return strdup(VERDICT_SRCDIR "/kb/default");
#endif
	return strdup("./kb/default");
}
