/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for timeutil: the time shapes of real records, rejection of
 * garbage and out-of-range values, formatting and --since/--until bounds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "tests/unit/tap.h"

#define SEC INT64_C(1000000000)
/* 2026-12-01T00:00:00Z, the epoch of the field cases. */
#define DEC1 (INT64_C(1796083200) * SEC)

static int64_t
parsed(const char *s)
{
	int64_t ns = -1;

	if (timeutil_parse(s, &ns) != 0)
		return -1;
	return ns;
}

static void
test_parse(void)
{
	CHECK_INT(parsed("2026-12-01T00:00:00Z"), DEC1);
	/* Falco's evt.time of cases/13: a double would lose the digits. */
	CHECK_INT(parsed("2026-12-01T14:13:54.123456789Z"),
		  INT64_C(1796134434123456789));
	/* Panther's CloudTrail test "eventTime" (no zone means UTC). */
	CHECK_INT(parsed("2022-11-21 18:06:52"), INT64_C(1669054012) * SEC);
	/* Panther's ASFF "CreatedAt". */
	CHECK_INT(parsed("2024-05-24 13:17:15.000000000"),
		  INT64_C(1716556635) * SEC);
	/* Panther's Okta-style offsets with microseconds. */
	CHECK_INT(parsed("2017-06-14T00:57:03.508000-04:00"),
		  INT64_C(1497416223508000000));
	/* Stratus Red Team aws.defense-evasion.dns-delete-logs.json:
	 * eventTime and responseElements creationTime. */
	CHECK_INT(parsed("2024-07-31T14:23:46Z"), INT64_C(1722435826) * SEC);
	CHECK_INT(parsed("2024-07-31T14:23:44.841442289Z"),
		  INT64_C(1722435824841442289));
	CHECK_INT(parsed("2026-12-01T00:00:00.100000Z"), DEC1 + SEC / 10);
	CHECK_INT(parsed("2026-12-01T02:00:00+02:00"), DEC1);
	CHECK_INT(parsed("2026-11-30T19:00:00-0500"), DEC1);
	CHECK_INT(parsed("2026-12-01T05:30:00+05:30"), DEC1);
	CHECK_INT(parsed("2026-12-01T01:00:00+01"), DEC1);
	CHECK_INT(parsed("2026-12-01t00:00:00z"), DEC1);
	CHECK_INT(parsed("2026-12-01T00:00Z"), DEC1);
	/* More than nine fraction digits are truncated, not rounded. */
	CHECK_INT(parsed("2026-12-01T00:00:00.1234567899999Z"),
		  DEC1 + 123456789);
	CHECK_INT(parsed("2026-12-01T00:00:00,5Z"), DEC1 + SEC / 2);
	/* Calendar edges. */
	CHECK_INT(parsed("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(parsed("2000-02-29T00:00:00Z"), INT64_C(951782400) * SEC);
	CHECK_INT(parsed("2024-02-29T12:00:00Z"), INT64_C(1709208000) * SEC);
	CHECK_INT(parsed("2026-12-31T23:59:59Z"), INT64_C(1798761599) * SEC);
	CHECK_INT(parsed("2262-04-11T23:47:15Z"), INT64_C(9223372035) * SEC);
	/* A leap second lands on the next minute. */
	CHECK_INT(parsed("2016-12-31T23:59:60Z"), INT64_C(1483228800) * SEC);
}

static void
test_reject(void)
{
	static const char *const bad[] = {
		"", "garbage", "null", "2026", "2026-12-01", "2026-12-01T",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
		"2026-12-32T00:00:00Z", "2026-12-00T00:00:00Z",
		"2026-04-31T00:00:00Z", "2023-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z", "2026-12-01T24:00:00Z",
		"2026-12-01T00:60:00Z", "2026-12-01T00:00:61Z",
		"1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
		"10000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2262-04-12T00:00:00Z", "1970-01-01T00:00:00+01:00",
		"2026-12-01T00:00:00Zjunk", "2026-12-01T00:00:00+24:00",
		"2026-12-01T00:00:00+02:", "2026-12-01T00:00:00+2",
		"2026-12-01T00:00:00.Z", "2026-12-01T00:00:00 Z",
		"2026-12-01X00:00:00Z", "2026-1-01T00:00:00Z",
		" 2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z ",
		"+2026-12-01T00:00:00Z", "2026-12-01T0a:00:00Z",
		"1796083200",
	};
	int64_t ns = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 42;
		CHECK_INT(timeutil_parse(bad[i], &ns), ERR_PARSE);
		if (ns != 42)
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
		CHECK_INT(ns, 42);
	}
	CHECK(strstr(err_msg(), "not a time") != NULL);
}

/* Hostile lengths: a fraction of 100,000 digits, a year of many digits. */
static void
test_huge(void)
{
	size_t n = 100000;
	char *s = malloc(n + 32);
	int64_t ns;

	if (!s)
		return;
	strcpy(s, "2026-12-01T00:00:00.");
	memset(s + 20, '9', n);
	strcpy(s + 20 + n, "Z");
	CHECK_INT(timeutil_parse(s, &ns), 0);
	CHECK_INT(ns, DEC1 + 999999999);
	memset(s, '9', n);
	strcpy(s + n, "-01-01T00:00:00Z");
	CHECK_INT(timeutil_parse(s, &ns), ERR_PARSE);
	free(s);
}

/* Every alert of falco-alerts/alerts.jsonl carries its time twice: the
 * RFC 3339 "time" and the integer "output_fields"."evt.time" in ns. */
static void
test_falco_alerts(void)
{
	char path[4096], line[8192], *t, *e, *end, when[TIMEUTIL_BUFSZ];
	const char *top = getenv("top_srcdir");
	int64_t ns, want;
	int lines = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/falco-alerts/alerts.jsonl",
		 top ? top : ".");
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		t = strstr(line, "\"time\": \"");
		e = strstr(line, "\"evt.time\": ");
		CHECK(t && e);
		if (!t || !e)
			continue;
		want = strtoll(e + 12, NULL, 10);
		t += 9;
		end = strchr(t, '"');
		*end = '\0';
		CHECK_INT(timeutil_parse(t, &ns), 0);
		CHECK_INT(ns, want);
		/* Formatting trims trailing zeros, and parses back. */
		timeutil_format(ns, when);
		CHECK(strncmp(when, t, strlen(when) - 1) == 0);
		CHECK_INT(parsed(when), ns);
		lines++;
	}
	fclose(f);
	CHECK_INT(lines, 8);
}

static void
test_format(void)
{
	char out[TIMEUTIL_BUFSZ];

	CHECK_STR(timeutil_format(DEC1, out), "2026-12-01T00:00:00Z");
	CHECK_STR(timeutil_format(INT64_C(1796134434123456789), out),
		  "2026-12-01T14:13:54.123456789Z");
	CHECK_STR(timeutil_format(DEC1 + SEC / 10, out),
		  "2026-12-01T00:00:00.1Z");
	CHECK_STR(timeutil_format(INT64_C(1497416223508000000), out),
		  "2017-06-14T04:57:03.508Z");
	CHECK_STR(timeutil_format(INT64_C(951782400) * SEC, out),
		  "2000-02-29T00:00:00Z");
	CHECK_STR(timeutil_format(0, out), "1970-01-01T00:00:00Z");
	/* "Terminal shell in container" of falco-alerts/alerts.jsonl. */
	CHECK_STR(timeutil_format(INT64_C(1610667584834631763), out),
		  "2021-01-14T23:39:44.834631763Z");
	CHECK_STR(timeutil_format(INT64_C(1739178940698757000), out),
		  "2025-02-10T09:15:40.698757Z");
	CHECK_STR(timeutil_format(-1, out), "1969-12-31T23:59:59.999999999Z");
	CHECK_STR(timeutil_format(INT64_MAX, out),
		  "2262-04-11T23:47:16.854775807Z");
	CHECK_STR(timeutil_format(INT64_MIN, out),
		  "1677-09-21T00:12:43.145224192Z");
}

static void
test_bound(void)
{
	int64_t now = DEC1 + 12 * 3600 * SEC, ns;

	CHECK_INT(timeutil_parse_bound("15m", now, &ns), 0);
	CHECK_INT(ns, now - 900 * SEC);
	CHECK_INT(timeutil_parse_bound("2h", now, &ns), 0);
	CHECK_INT(ns, now - 7200 * SEC);
	CHECK_INT(timeutil_parse_bound("7d", now, &ns), 0);
	CHECK_INT(ns, now - 7 * 86400 * SEC);
	CHECK_INT(timeutil_parse_bound("30s", now, &ns), 0);
	CHECK_INT(ns, now - 30 * SEC);
	CHECK_INT(timeutil_parse_bound("2026-12-01", now, &ns), 0);
	CHECK_INT(ns, DEC1);
	CHECK_INT(timeutil_parse_bound("1796083200", now, &ns), 0);
	CHECK_INT(ns, DEC1);
	CHECK_INT(timeutil_parse_bound("2026-12-01T14:13:54.123456789Z", now,
				       &ns), 0);
	CHECK_INT(ns, INT64_C(1796134434123456789));
	CHECK_INT(timeutil_parse_bound("2026-12-01 18:06:52", now, &ns), 0);
	CHECK_INT(ns, DEC1 + (18 * 3600 + 6 * 60 + 52) * SEC);
	CHECK_INT(timeutil_parse_bound("soon", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("m", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("-5m", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("5y", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("99999999999999999999999d", now, &ns),
		  ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("99999999999999999999999", now, &ns),
		  ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("9999-12-31", now, &ns), ERR_PARSE);
	CHECK_INT(timeutil_parse_bound("2026-02-30", now, &ns), ERR_PARSE);
}

static void
test_now(void)
{
	int64_t a = timeutil_now(), b = timeutil_now();

	/* After 2024-01-01 and moving forwards. */
	CHECK(a > INT64_C(1704067200) * SEC);
	CHECK(b >= a);
}

int
main(void)
{
	test_parse();
	test_reject();
	test_huge();
	test_falco_alerts();
	test_format();
	test_bound();
	test_now();
	return tap_done();
}
