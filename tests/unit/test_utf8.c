/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for utf8 (repair of the field case 18 bytes), buf, hash and
 * netaddr. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/netaddr.h"
#include "core/utf8.h"
#include "tests/unit/tap.h"

#define FFFD "\xEF\xBF\xBD"

static void
check_repair(const char *in, size_t n, const char *want)
{
	char *got = utf8_dup_repaired(in, n);

	CHECK_STR(got, want);
	CHECK(got && utf8_valid(got, strlen(got)));
	free(got);
}

#define CHECK_REPAIR(lit, want) check_repair(lit, sizeof(lit) - 1, want)

/* The userAgent values of cases/18-invalid-utf8-bytes.jsonl, as they sit
 * in the record (closing quote included where the cut matters). */
static void
test_case_18(void)
{
	/* eventID ...1801: stray bytes FF FE, one U+FFFD each. */
	CHECK_REPAIR("before-\xff\xfe-after", "before-" FFFD FFFD "-after");
	/* ...1802: E2 82 cut before the closing quote: one U+FFFD, and the
	 * quote survives. */
	CHECK_REPAIR("\"trunc-\xe2\x82\",\"requestParameters\"",
		     "\"trunc-" FFFD "\",\"requestParameters\"");
	/* ...1803: overlong C0 AF must never decode to '/'. */
	CHECK_REPAIR("overlong-\xc0\xaf-x", "overlong-" FFFD FFFD "-x");
	/* ...1804 and every record's key: valid text passes unchanged. */
	CHECK_REPAIR("ok-\xe2\x82\xac-euro", "ok-\xe2\x82\xac-euro");
	CHECK_REPAIR("caf\xc3\xa9.txt", "caf\xc3\xa9.txt");

	CHECK(!utf8_valid("before-\xff\xfe-after", 15));
	CHECK(!utf8_valid("trunc-\xe2\x82", 8));
	CHECK(!utf8_valid("overlong-\xc0\xaf-x", 13));
	CHECK(utf8_valid("ok-\xe2\x82\xac-euro", 11));
	CHECK(utf8_valid("caf\xc3\xa9.txt", 9));
}

static void
test_maximal_subparts(void)
{
	/* Surrogates (ED A0..BF) are ill-formed: ED alone, then each byte. */
	CHECK_REPAIR("a\xed\xa0\x80z", "a" FFFD FFFD FFFD "z");
	/* ED 9F BF is U+D7FF, the last code point before the surrogates. */
	CHECK_REPAIR("\xed\x9f\xbf", "\xed\x9f\xbf");
	/* Above U+10FFFF: F4 90 .. and F5 .. are ill-formed. */
	CHECK_REPAIR("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_REPAIR("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	CHECK_REPAIR("\xf5\x80", FFFD FFFD);
	/* Overlong three- and four-byte forms. */
	CHECK_REPAIR("\xe0\x80\xaf", FFFD FFFD FFFD);
	CHECK_REPAIR("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	/* A cut four-byte sequence is one subpart, then the next byte. */
	CHECK_REPAIR("\xf0\x9f\x98x", FFFD "x");
	CHECK_REPAIR("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	/* The Unicode standard's own example (Table 3-8). */
	CHECK_REPAIR("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
		     "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
	/* Ends cut short. */
	CHECK_REPAIR("x\xe2", "x" FFFD);
	CHECK_REPAIR("x\xc3", "x" FFFD);
	/* An encoded U+FFFD is valid text. */
	CHECK(utf8_valid(FFFD, 3));
	/* A long ASCII run with a bad byte past the 8-byte fast path. */
	CHECK_REPAIR("0123456789abcdef0123456789\x80!", "0123456789abcdef"
		     "0123456789" FFFD "!");
	CHECK(utf8_valid("", 0));
}

static void
test_decode(void)
{
	unsigned cp;

	CHECK_INT(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
	CHECK_INT(cp, 0x20AC);
	CHECK_INT(utf8_decode("\xc3\xa9", 2, &cp), 2);
	CHECK_INT(cp, 0xE9);
	CHECK_INT(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	CHECK_INT(cp, 0x1F600);
	CHECK_INT(utf8_decode("/", 1, &cp), 1);
	CHECK_INT(cp, '/');
	CHECK_INT(utf8_decode("\xc0\xaf", 2, &cp), 1);
	CHECK_INT(cp, 0xFFFD);
	CHECK_INT(utf8_decode("\xe2\x82\"", 3, &cp), 2);
	CHECK_INT(cp, 0xFFFD);
	/* Only the bytes available are read. */
	CHECK_INT(utf8_decode("\xe2\x82\xac", 2, &cp), 2);
	CHECK_INT(cp, 0xFFFD);
}

static void
test_buf(void)
{
	struct buf b;
	char *s;
	int i;

	buf_init(&b);
	CHECK_INT(buf_adds(&b, "arn:aws:iam::"), 0);
	CHECK_INT(buf_printf(&b, "%s:user/%s", "111122223333", "example-user"),
		  0);
	CHECK_STR(b.data, "arn:aws:iam::111122223333:user/example-user");
	CHECK_INT(b.len, strlen("arn:aws:iam::111122223333:user/example-user"));
	buf_reset(&b);
	CHECK_STR(b.data, "");
	for (i = 0; i < 1000; i++)
		CHECK_INT(buf_addc(&b, (char)('a' + i % 26)), 0);
	CHECK_INT(b.len, 1000);
	CHECK(b.data[1000] == '\0' && b.data[999] == 'a' + 999 % 26);
	CHECK_INT(buf_add(&b, "\0x", 2), 0);
	CHECK_INT(b.len, 1002);
	s = buf_detach(&b);
	CHECK(s && s[1001] == 'x' && s[1002] == '\0');
	CHECK(b.data == NULL && b.len == 0);
	free(s);
	s = buf_detach(&b);
	CHECK_STR(s, "");
	free(s);
	buf_dispose(&b);
	buf_dispose(NULL);
}

/* Expected values computed independently with Python's big integers:
 * h = 0x6c62272e07bb014262b821756295c58d; for each byte:
 * h = ((h ^ byte) * (2**88 + 0x13b)) % 2**128. */
static void
test_hash(void)
{
	char hex[33];
	struct hash128 h;

	CHECK_STR(hash128_hex(hash128(NULL, 0), hex),
		  "6c62272e07bb014262b821756295c58d");
	CHECK_STR(hash128_hex(hash128("a", 1), hex),
		  "d228cb696f1a8caf78912b704e4a8964");
	CHECK_STR(hash128_hex(hash128("foobar", 6), hex),
		  "343e1662793c64bf6f0d3597ba446f18");
	CHECK_STR(hash128_hex(hash128("{\"eventName\":\"GetObject\"}", 25),
			      hex), "29c707f2e85bf7ebc6b245a695c148af");
	/* Continuing a hash equals hashing the whole. */
	h = hash128_add(hash128("foo", 3), "bar", 3);
	CHECK_STR(hash128_hex(h, hex), "343e1662793c64bf6f0d3597ba446f18");
	CHECK_INT(strlen(hex), 32);
}

static void
check_ip(const char *in, const char *want)
{
	char out[NETADDR_BUFSZ];
	bool ok = netaddr_canon_ip(in, out);

	CHECK_STR(ok ? out : NULL, want);
}

static void
test_netaddr(void)
{
	/* Zero-padded sourceIPAddress values of the Stratus Red Team
	 * detonations (aws.defense-evasion.dns-delete-logs.json,
	 * aws.persistence.iam-backdoor-role.json) are decimal. */
	check_ip("251.234.045.249", "251.234.45.249");
	check_ip("225.178.039.250", "225.178.39.250");
	check_ip("075.050.255.67", "75.50.255.67");
	check_ip("88.223.251.255", "88.223.251.255");
	check_ip("203.0.113.92", "203.0.113.92");
	check_ip("0.0.0.0", "0.0.0.0");
	check_ip("256.1.1.1", NULL);
	check_ip("1.2.3.999", NULL);
	check_ip("1.2.3.0255", NULL);
	check_ip("1.2.3", NULL);
	check_ip("1.2.3.4.5", NULL);
	check_ip("1.2.3.", NULL);
	check_ip("1..2.3", NULL);
	check_ip(" 1.2.3.4", NULL);
	check_ip("1.2.3.4 ", NULL);
	check_ip("-1.2.3.4", NULL);
	/* IPv6 comes out in its canonical compressed lower-case form. */
	check_ip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	check_ip("2001:db8::1", "2001:db8::1");
	check_ip("::1", "::1");
	check_ip("::ffff:203.0.113.5", "::ffff:203.0.113.5");
	check_ip("2001:db8::g", NULL);
	check_ip("2001:db8:::1", NULL);
	/* Labels and host names from cases/01-ct-sourceip-not-an-ip.json. */
	check_ip("AWS Internal", NULL);
	check_ip("support.amazonaws.com", NULL);
	check_ip("", NULL);
	check_ip("null", NULL);
	check_ip(NULL, NULL);

	CHECK(netaddr_is_hostname("support.amazonaws.com"));
	CHECK(netaddr_is_hostname("ec2.amazonaws.com"));
	CHECK(netaddr_is_hostname("my-pool-1-node-921b61.example.com"));
	CHECK(!netaddr_is_hostname("AWS Internal"));
	CHECK(!netaddr_is_hostname("localhost"));
	CHECK(!netaddr_is_hostname("1.2.3.4"));
	CHECK(!netaddr_is_hostname("075.050.255.67"));
	CHECK(!netaddr_is_hostname(""));
	CHECK(!netaddr_is_hostname("a..com"));
	CHECK(!netaddr_is_hostname(".example.com"));
	CHECK(!netaddr_is_hostname("example.com."));
	CHECK(!netaddr_is_hostname("-bad.example.com"));
	CHECK(!netaddr_is_hostname("bad-.example.com"));
	CHECK(!netaddr_is_hostname("under_score.example.com"));
	CHECK(!netaddr_is_hostname("2001:db8::1"));
	CHECK(!netaddr_is_hostname(NULL));
	/* Labels of 63 bytes pass, 64 do not. */
	CHECK(netaddr_is_hostname("a1234567890123456789012345678901"
				  "234567890123456789012345678901b.example.com"));
	CHECK(!netaddr_is_hostname("a1234567890123456789012345678901"
				   "234567890123456789012345678901bc.example.com"));
}

int
main(void)
{
	test_case_18();
	test_maximal_subparts();
	test_decode();
	test_buf();
	test_hash();
	test_netaddr();
	return tap_done();
}
