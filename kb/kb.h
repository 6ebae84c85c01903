/* SPDX-License-Identifier: Apache-2.0 */
/* kb: the knowledge base: reading its documents (playbooks, intel lists,
 * allowlists) into the values the engine takes. Documents come from a git
 * repository (kb/repo.h: the tip of its branch, versioned by the commit id)
 * or from a plain folder (versioned by a hash of the contents). */
#ifndef VERDICT_KB_H
#define VERDICT_KB_H

#include "core/investigate.h"

/* Called for each problem found: "file:line: field `x`: message". */
typedef void (*kb_diag_fn)(void *ctx, const char *msg);

/* One document: from a folder or a git tree. */
struct kb_doc {
	char *rel;     /* "playbooks/x.yaml": sorts and names it */
	char *path;    /* for messages: the file as opened, or rel in a repository */
	char *text;    /* NULL: could not be read (already reported) */
	size_t len;
};
void kb_docs_free(struct kb_doc *docs, size_t n);

/* Load the documents docs (sorted in place; kept by the caller) as
 * kb_load_dir does. version NULL: a hash of the contents. where names the
 * source in the message when no playbook is usable. */
int kb_load_docs(struct kb_doc *docs, size_t ndocs, const char *version,
		 const char *where, kb_diag_fn diag, void *ctx,
		 struct kb_data **out, unsigned *errors);

/* Load every document under dir (a git repository: at the tip of its
 * branch): playbooks/, intel/, allowlists/. An
 * invalid document is reported through diag and counted in *errors; it
 * never silently drops out. Returns 0 or a negative code (no usable
 * playbooks at all). */
int kb_load_dir(const char *dir, kb_diag_fn diag, void *ctx,
		struct kb_data **out, unsigned *errors);
void kb_data_free(struct kb_data *kb);

/* The folder verdict uses when --kb is not given: $VERDICT_KB, else the
 * repository `verdict kb init` made ($XDG_DATA_HOME/verdict/kb), else the
 * installed default (VERDICT_DATADIR/kb/default), else ./kb/default.
 * Caller frees. */
char *kb_default_dir(void);

#endif
