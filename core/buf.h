/* SPDX-License-Identifier: Apache-2.0 */
/* buf: a growable byte buffer, always NUL-terminated. */
#ifndef VERDICT_BUF_H
#define VERDICT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until first growth */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
};

void buf_init(struct buf *b);
void buf_dispose(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
int buf_grow(struct buf *b, size_t extra); /* room for extra more bytes */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (to free) and reset b. */
char *buf_detach(struct buf *b);

#endif
