/* SPDX-License-Identifier: Apache-2.0 */
/* netaddr: telling IP addresses from host names and labels in fields such
 * as CloudTrail's sourceIPAddress, which holds all three. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/netaddr.h"

/* A dotted quad of decimal octets. Zero padding ("075") is decimal, as the
 * anonymisers that write it mean it, never octal as inet_aton would read it. */
static bool
canon_ipv4(const char *s, char *out)
{
	unsigned octet[4];
	int i, nd;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return false;
		octet[i] = 0;
		for (nd = 0; *s >= '0' && *s <= '9'; s++, nd++) {
			if (nd == 3)
				return false;
			octet[i] = octet[i] * 10 + (unsigned)(*s - '0');
		}
		if (nd == 0 || octet[i] > 255)
			return false;
	}
	if (*s != '\0')
		return false;
	snprintf(out, NETADDR_BUFSZ, "%u.%u.%u.%u", octet[0], octet[1],
		 octet[2], octet[3]);
	return true;
}

static bool
canon_ipv6(const char *s, char *out)
{
	struct in6_addr a;

	if (strlen(s) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s, &a) != 1)
		return false;
	return inet_ntop(AF_INET6, &a, out, NETADDR_BUFSZ) != NULL;
}

bool
netaddr_canon_ip(const char *s, char *out)
{
	if (!s || !*s)
		return false;
	if (strchr(s, ':'))
		return canon_ipv6(s, out);
	return canon_ipv4(s, out);
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Labels start and end with a letter or digit (RFC 1123); the last label
 * must hold a letter, so "1.2.3" or "10.0.0.300" is never a host name. */
bool
netaddr_is_hostname(const char *s)
{
	size_t total = 0, label = 0;
	bool dot = false, letter = false;
	char prev = '.';

	if (!s)
		return false;
	for (; *s; s++, total++) {
		if (*s == '.') {
			if (label == 0 || prev == '-')
				return false;
			dot = true;
			letter = false;
			label = 0;
		} else if (is_alnum(*s) || *s == '-') {
			if (*s == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
			if (!(*s >= '0' && *s <= '9') && *s != '-')
				letter = true;
		} else {
			return false;
		}
		prev = *s;
	}
	return dot && label > 0 && prev != '-' && letter && total <= 253;
}
