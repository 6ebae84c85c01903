/* SPDX-License-Identifier: Apache-2.0 */
/* paths: where the console finds its bundled data and the user's
 * configuration and state. */
#ifndef VERDICT_PATHS_H
#define VERDICT_PATHS_H

#include <stdbool.h>

/* Bundled data, laid out differently when installed (pkgdatadir) and in
 * the source tree this binary was built from. */
enum paths_item {
	PATHS_KEYS,    /* the default key bindings: keys.default */
	PATHS_THEMES,  /* the bundled themes/ */
	PATHS_KB,      /* the default knowledge base: kb/default */
	PATHS_DEMO,    /* the demo's real data: data/ (tests/data) */
	PATHS_COUNT
};

/* The path of a bundled item under $VERDICT_DATADIR, else the installed data
 * folder when it holds keys.default, else the source tree. Caller frees;
 * NULL on ENOMEM. */
char *paths_data(enum paths_item item);

/* $XDG_CONFIG_HOME/verdict, else ~/.config/verdict. Caller frees; NULL when
 * neither variable is usable. */
char *paths_config_dir(void);

/* $XDG_STATE_HOME/verdict, else ~/.local/state/verdict. Caller frees. */
char *paths_state_dir(void);

/* "dir/name" (caller frees), NULL on ENOMEM or a NULL dir. */
char *paths_join(const char *dir, const char *name);

/* Make the folder path and its missing parents (mode 0700). Returns 0 or
 * ERR_IO. */
int paths_mkdir(const char *path);

/* True when path names an existing file or folder. */
bool paths_exists(const char *path);

#endif
