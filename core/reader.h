/* SPDX-License-Identifier: Apache-2.0 */
/* reader: bytes from a file, a gzip file (by magic, whatever the name) or
 * stdin, read in bounded chunks. */
#ifndef VERDICT_READER_H
#define VERDICT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reader;

/* Open path ("-" is stdin). Returns 0 or ERR_IO with a message. */
int reader_open(const char *path, struct reader **out);
void reader_free(struct reader *r);

/* Read up to n bytes. Returns the count (0 at end) or a negative code, with
 * a message naming a truncated or corrupt gzip stream. */
long reader_read(struct reader *r, void *p, size_t n);

bool reader_is_gzip(const struct reader *r);
/* Compressed bytes consumed so far and the file size (0 if unknown), for
 * progress. */
uint64_t reader_offset(const struct reader *r);
uint64_t reader_size(const struct reader *r);

#endif
