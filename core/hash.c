/* SPDX-License-Identifier: Apache-2.0 */
/* hash: FNV-1a over 128 bits, the content hash behind ids of id-less
 * records; the constants are the published FNV-128 ones, so any other
 * implementation gives the same ids. */
#include "config.h"

#include "core/hash.h"

__extension__ typedef unsigned __int128 u128;

/* 2^88 + 2^8 + 0x3b */
#define FNV128_PRIME (((u128)1 << 88) | 0x13B)
#define FNV128_BASIS_HI UINT64_C(0x6c62272e07bb0142)
#define FNV128_BASIS_LO UINT64_C(0x62b821756295c58d)

struct hash128
hash128_add(struct hash128 h, const void *data, size_t n)
{
	const unsigned char *p = data;
	u128 v = ((u128)h.hi << 64) | h.lo;
	size_t i;

	for (i = 0; i < n; i++) {
		v ^= p[i];
		v *= FNV128_PRIME;
	}
	h.hi = (uint64_t)(v >> 64);
	h.lo = (uint64_t)v;
	return h;
}

struct hash128
hash128(const void *data, size_t n)
{
	struct hash128 h = { FNV128_BASIS_HI, FNV128_BASIS_LO };

	return hash128_add(h, data, n);
}

char *
hash128_hex(struct hash128 h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[i] = hex[(h.hi >> (60 - 4 * i)) & 0xF];
		out[16 + i] = hex[(h.lo >> (60 - 4 * i)) & 0xF];
	}
	out[32] = '\0';
	return out;
}
