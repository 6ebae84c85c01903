/* SPDX-License-Identifier: Apache-2.0 */
/* store_sqlite: the embedded SQLite back end of the event store. */
#ifndef VERDICT_STORE_SQLITE_H
#define VERDICT_STORE_SQLITE_H

#include "core/store.h"

extern const struct store_ops store_sqlite_ops;

/* The schema version this build migrates to. */
int store_sqlite_schema_version(void);

#endif
