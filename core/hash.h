/* SPDX-License-Identifier: Apache-2.0 */
/* hash: a stable 128-bit content hash for event ids of id-less records. */
#ifndef VERDICT_HASH_H
#define VERDICT_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash128 {
	uint64_t hi, lo;
};

/* FNV-1a over 128 bits: stable across runs and machines. */
struct hash128 hash128(const void *data, size_t n);
/* Continue a hash with more data (start from hash128(NULL, 0)). */
struct hash128 hash128_add(struct hash128 h, const void *data, size_t n);

/* 32 lowercase hex digits and a NUL; out needs 33 bytes. */
char *hash128_hex(struct hash128 h, char *out);

#endif
