/* SPDX-License-Identifier: Apache-2.0 */
/* repo: the knowledge base as a git repository: seeding it from the bundled
 * default, cloning a team's remote, and reading the documents at the tip of
 * its branch, versioned by the commit id. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "core/buf.h"
#include "core/error.h"
#include "kb/feedback.h"
#include "kb/kb.h"
#include "kb/repo.h"

#define KB_MAX_DOC (8u << 20)  /* a document larger than this is refused */
#define KB_MAX_DEPTH 16        /* folders deeper than this are not seeded */

static const char *const kb_subdirs[] = {
	"playbooks/", "intel/", "allowlists/", "feedback/",
};

int
kb_repo_err(const char *what)
{
	const git_error *e = git_error_last();

	return err_set(ERR_IO, "%s: %s", what,
		       e && e->message ? e->message : "git failed");
}

int
kb_repo_setup(void)
{
	static bool ready;

	if (ready)
		return 0;
	if (git_libgit2_init() < 0)
		return kb_repo_err("libgit2");
	/* A decision is acknowledged only once it is on disk: objects, refs
	 * and their folders are synced as libgit2 writes them. */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		return kb_repo_err("libgit2 fsync");
	ready = true;
	return 0;
}

int
kb_repo_default_path(char **out)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct buf b;

	*out = NULL;
	buf_init(&b);
	if (xdg && *xdg == '/')
		buf_printf(&b, "%s/verdict/kb", xdg);
	else if (home && *home)
		buf_printf(&b, "%s/.local/share/verdict/kb", home);
	else
		return err_set(ERR_NOTFOUND, "no XDG_DATA_HOME or HOME for the "
			       "knowledge base; give --kb PATH");
	if (!b.data)
		return err_set(ERR_NOMEM, "out of memory");
	*out = buf_detach(&b);
	return 0;
}

static bool
exists_in(const char *dir, const char *name, bool want_dir)
{
	struct buf b;
	struct stat sb;
	bool ok;

	buf_init(&b);
	buf_printf(&b, "%s/%s", dir, name);
	ok = b.data && stat(b.data, &sb) == 0 &&
	     (!want_dir || S_ISDIR(sb.st_mode));
	buf_dispose(&b);
	return ok;
}

bool
kb_repo_is(const char *path)
{
	return exists_in(path, ".git", false) ||
	       (exists_in(path, "HEAD", false) &&
		exists_in(path, "objects", true) && exists_in(path, "refs", true));
}

/* ---- seeding --------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tree of dir's files (hidden ones left out), written to the object
 * database. *empty is set when it holds nothing (git keeps no empty
 * folders). */
static int
tree_of_dir(git_repository *repo, const char *dir, int depth, git_oid *out,
	    bool *empty)
{
	git_treebuilder *tb = NULL;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	*empty = true;
	if (depth > KB_MAX_DEPTH)
		return err_set(ERR_USAGE, "%s: folders nested too deep", dir);
	if (!(d = opendir(dir)))
		return err_set(ERR_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char **grown;

		if (de->d_name[0] == '.')
			continue;
		if (!(grown = realloc(names, (n + 1) * sizeof(*grown))) ||
		    !(grown[n] = strdup(de->d_name))) {
			if (grown)
				names = grown;
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		names = grown;
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	if (git_treebuilder_new(&tb, repo, NULL) < 0) {
		rc = kb_repo_err("tree");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct buf p;
		struct stat sb;
		git_oid oid;
		bool sub_empty;

		buf_init(&p);
		buf_printf(&p, "%s/%s", dir, names[i]);
		if (!p.data) {
			rc = err_set(ERR_NOMEM, "out of memory");
		} else if (stat(p.data, &sb) < 0) {
			rc = err_set(ERR_IO, "%s: %s", p.data, strerror(errno));
		} else if (S_ISDIR(sb.st_mode)) {
			rc = tree_of_dir(repo, p.data, depth + 1, &oid, &sub_empty);
			if (rc == 0 && !sub_empty &&
			    git_treebuilder_insert(NULL, tb, names[i], &oid,
						   GIT_FILEMODE_TREE) < 0)
				rc = kb_repo_err(p.data);
			*empty = *empty && sub_empty;
		} else if (S_ISREG(sb.st_mode)) {
			if (git_blob_create_from_disk(&oid, repo, p.data) < 0 ||
			    git_treebuilder_insert(NULL, tb, names[i], &oid,
						   GIT_FILEMODE_BLOB) < 0)
				rc = kb_repo_err(p.data);
			*empty = false;
		}
		buf_dispose(&p);
	}
	if (rc == 0 && git_treebuilder_write(out, tb) < 0)
		rc = kb_repo_err("tree");
out:
	git_treebuilder_free(tb);
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
open_repo(const char *path, git_repository **repo)
{
	int rc;

	if ((rc = kb_repo_setup()) < 0)
		return rc;
	if (git_repository_open_ext(repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return kb_repo_err(path);
	return 0;
}

static int
refuse_existing(const char *path)
{
	if (kb_repo_is(path))
		return err_set(ERR_USAGE, "%s: already holds a knowledge base", path);
	return 0;
}

int
kb_repo_init(const char *path, const char *seed_dir,
	     char commit[KB_COMMIT_HEXSZ])
{
	git_repository_init_options io;
	git_checkout_options co;
	git_repository *repo = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	bool empty;
	int rc;

	if ((rc = kb_repo_setup()) < 0 || (rc = refuse_existing(path)) < 0)
		return rc;
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	io.initial_head = "main";
	if (git_repository_init_ext(&repo, path, &io) < 0)
		return kb_repo_err(path);
	if ((rc = tree_of_dir(repo, seed_dir, 0, &tree_id, &empty)) < 0)
		goto out;
	if (empty) {
		rc = err_set(ERR_NOTFOUND, "%s: no documents to seed from", seed_dir);
		goto out;
	}
	/* The analyst when git knows them, else the program itself. */
	if (git_signature_default(&sig, repo) < 0 &&
	    git_signature_now(&sig, "verdict", "verdict@localhost") < 0) {
		rc = kb_repo_err("signature");
		goto out;
	}
	if (git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL,
			      "kb: seed the knowledge base from the bundled "
			      "default\n", tree, 0, NULL) < 0) {
		rc = kb_repo_err("first commit");
		goto out;
	}
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_head(repo, &co) < 0) {
		rc = kb_repo_err("checkout");
		goto out;
	}
	git_oid_tostr(commit, KB_COMMIT_HEXSZ, &commit_id);
out:
	git_tree_free(tree);
	git_signature_free(sig);
	git_repository_free(repo);
	return rc;
}

int
kb_repo_clone(const char *url, const char *path,
	      char commit[KB_COMMIT_HEXSZ])
{
	git_repository *repo = NULL;
	git_object *tip = NULL;
	int rc;

	if ((rc = kb_repo_setup()) < 0 || (rc = refuse_existing(path)) < 0)
		return rc;
	if (git_clone(&repo, url, path, NULL) < 0)
		return kb_repo_err(url);
	if (git_revparse_single(&tip, repo, "HEAD^{commit}") < 0)
		rc = kb_repo_err("the cloned branch");
	else
		git_oid_tostr(commit, KB_COMMIT_HEXSZ, git_object_id(tip));
	git_object_free(tip);
	git_repository_free(repo);
	return rc;
}

/* ---- reading the tip --------------------------------------------------------- */

struct walk {
	git_repository *repo;
	struct kb_doc *docs;
	size_t n;
	int rc;
};

static bool
wanted(const char *root)
{
	for (size_t i = 0; i < sizeof(kb_subdirs) / sizeof(*kb_subdirs); i++)
		if (strcmp(root, kb_subdirs[i]) == 0)
			return true;
	return false;
}

static int
on_entry(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk *w = payload;
	struct kb_doc *grown, *d;
	git_blob *blob = NULL;
	struct buf rel;
	size_t size;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		char top[256];

		/* Only the document folders, and only their own files. */
		if (*root)
			return 1;
		snprintf(top, sizeof(top), "%s/", git_tree_entry_name(e));
		return wanted(top) ? 0 : 1;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !wanted(root))
		return 0;
	if (!(grown = realloc(w->docs, (w->n + 1) * sizeof(*grown)))) {
		w->rc = err_set(ERR_NOMEM, "out of memory");
		return -1;
	}
	w->docs = grown;
	d = &grown[w->n];
	memset(d, 0, sizeof(*d));
	buf_init(&rel);
	buf_printf(&rel, "%s%s", root, git_tree_entry_name(e));
	if (!(d->rel = buf_detach(&rel)) || !(d->path = strdup(d->rel))) {
		free(d->rel);
		w->rc = err_set(ERR_NOMEM, "out of memory");
		return -1;
	}
	w->n++;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e)) < 0) {
		w->rc = kb_repo_err(d->rel);
		return -1;
	}
	size = (size_t)git_blob_rawsize(blob);
	/* An oversized document keeps text NULL; the loader reports it. */
	if (size <= KB_MAX_DOC && (d->text = malloc(size + 1))) {
		memcpy(d->text, git_blob_rawcontent(blob), size);
		d->text[size] = '\0';
		d->len = size;
	}
	git_blob_free(blob);
	if (!d->text && size <= KB_MAX_DOC) {
		w->rc = err_set(ERR_NOMEM, "out of memory");
		return -1;
	}
	return 0;
}

int
kb_repo_load(const char *path, kb_diag_fn diag, void *ctx,
	     struct kb_data **out, unsigned *errors)
{
	return kb_repo_load_rev(path, NULL, diag, ctx, out, errors);
}

int
kb_repo_load_rev(const char *path, const char *rev, kb_diag_fn diag,
		 void *ctx, struct kb_data **out, unsigned *errors)
{
	struct buf spec;
	git_repository *repo = NULL;
	git_object *tip = NULL;
	git_tree *tree = NULL;
	struct walk w = { 0 };
	struct kb_feedback_set *fb = NULL;
	char hex[KB_COMMIT_HEXSZ];
	unsigned bad = 0, fb_bad = 0;
	int rc;

	*out = NULL;
	if (errors)
		*errors = 0;
	if ((rc = open_repo(path, &repo)) < 0)
		return rc;
	buf_init(&spec);
	buf_printf(&spec, "%s^{commit}", rev ? rev : "HEAD");
	if (!spec.data || git_revparse_single(&tip, repo, spec.data) < 0 ||
	    git_commit_tree(&tree, (git_commit *)tip) < 0) {
		rc = spec.data ? kb_repo_err(rev ? rev : path)
			       : err_set(ERR_NOMEM, "out of memory");
		buf_dispose(&spec);
		goto out;
	}
	buf_dispose(&spec);
	git_oid_tostr(hex, sizeof(hex), git_object_id(tip));
	w.repo = repo;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, on_entry, &w) < 0) {
		rc = w.rc < 0 ? w.rc : kb_repo_err(path);
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		if (w.docs[i].text)
			continue;
		err_set(ERR_TOOBIG, "%s: larger than %u MiB", w.docs[i].path,
			KB_MAX_DOC >> 20);
		if (diag)
			diag(ctx, err_msg());
		bad++;
	}
	if ((rc = kb_feedback_set_new(path, hex, &fb)) < 0)
		goto out;
	for (size_t i = 0; i < w.n && rc == 0; i++)
		if (w.docs[i].text && strncmp(w.docs[i].rel, "feedback/", 9) == 0)
			rc = kb_feedback_set_add(fb, &w.docs[i], diag, ctx, &fb_bad);
	if (rc < 0)
		goto out;
	rc = kb_load_docs(w.docs, w.n, hex, path, diag, ctx, out, errors);
	if (rc == 0) {
		(*out)->prior_lookup = kb_feedback_lookup;
		(*out)->prior_ctx = fb;
		fb = NULL;
	}
out:
	if (errors)
		*errors += bad + fb_bad;
	kb_feedback_set_free(fb);
	kb_docs_free(w.docs, w.n);
	git_tree_free(tree);
	git_object_free(tip);
	git_repository_free(repo);
	return rc;
}

/* ---- history ------------------------------------------------------------------ */

/* Did commit c change sub (a file or folder) against its first parent? */
static bool
changed(git_commit *c, const char *sub)
{
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	git_tree_entry *e = NULL, *pe = NULL;
	bool diff;

	if (git_commit_tree(&tree, c) < 0)
		return false;
	if (git_tree_entry_bypath(&e, tree, sub) < 0)
		e = NULL;
	if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0 &&
	    git_commit_tree(&ptree, parent) == 0 &&
	    git_tree_entry_bypath(&pe, ptree, sub) < 0)
		pe = NULL;
	if (!e || !pe)
		diff = e || pe;
	else
		diff = !git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(pe));
	git_tree_entry_free(e);
	git_tree_entry_free(pe);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_error_clear();
	return diff;
}

int
kb_repo_log(const char *path, const char *sub, size_t limit, kb_log_fn cb,
	    void *ctx)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	size_t shown = 0;
	int rc;

	if ((rc = open_repo(path, &repo)) < 0)
		return rc;
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_push_head(walk) < 0) {
		rc = kb_repo_err(path);
		goto out;
	}
	while (rc == 0 && (!limit || shown < limit) &&
	       git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		const git_signature *a;
		char hex[KB_COMMIT_HEXSZ];
		struct kb_log_entry e;

		if (git_commit_lookup(&c, repo, &id) < 0) {
			rc = kb_repo_err("commit");
			break;
		}
		if (sub && *sub && !changed(c, sub)) {
			git_commit_free(c);
			continue;
		}
		a = git_commit_author(c);
		git_oid_tostr(hex, sizeof(hex), &id);
		e.id = hex;
		e.author = a->name;
		e.email = a->email;
		e.time_ns = (int64_t)a->when.time * 1000000000LL;
		e.summary = git_commit_summary(c);
		rc = cb(ctx, &e);
		shown++;
		git_commit_free(c);
	}
	git_error_clear();
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	return rc;
}
