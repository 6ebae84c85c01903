/* SPDX-License-Identifier: Apache-2.0 */
/* kb: the knowledge base: reading its documents (playbooks, intel lists,
 * allowlists) into the values the engine takes. Until the git-backed
 * repository lands (issue: knowledge base in git), documents come from a
 * folder and the version is a hash of their contents. */
#ifndef VERDICT_KB_H
#define VERDICT_KB_H

#include "core/investigate.h"

/* Called for each problem found: "file:line: field `x`: message". */
typedef void (*kb_diag_fn)(void *ctx, const char *msg);

/* Load every document under dir (playbooks/, intel/, allowlists/). An
 * invalid document is reported through diag and counted in *errors; it
 * never silently drops out. Returns 0 or a negative code (no usable
 * playbooks at all). */
int kb_load_dir(const char *dir, kb_diag_fn diag, void *ctx,
		struct kb_data **out, unsigned *errors);
void kb_data_free(struct kb_data *kb);

/* The folder verdict uses when --kb is not given: $VERDICT_KB, else the
 * installed default (VERDICT_DATADIR/kb/default), else ./kb/default.
 * Caller frees. */
char *kb_default_dir(void);

#endif
