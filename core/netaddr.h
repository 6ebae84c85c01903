/* SPDX-License-Identifier: Apache-2.0 */
/* netaddr: telling addresses from host names and labels. */
#ifndef VERDICT_NETADDR_H
#define VERDICT_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_BUFSZ 64

/* If s is an IPv4 or IPv6 address, write its canonical text to out
 * (NETADDR_BUFSZ bytes) and return true. Dotted quads with zero-padded
 * octets ("075.050.255.67", as anonymisers write them) are decimal. */
bool netaddr_canon_ip(const char *s, char *out);

/* True if s looks like a DNS host name (letters, digits, '-', at least one
 * dot, labels of 1-63 bytes, no spaces). */
bool netaddr_is_hostname(const char *s);

#endif
