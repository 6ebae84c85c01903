/* SPDX-License-Identifier: Apache-2.0 */
/* timeutil: UTC times as nanoseconds since the epoch, by plain calendar
 * arithmetic so that no TZ setting or libc time zone code is involved. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/timeutil.h"

#define NS_PER_SEC INT64_C(1000000000)
#define SEC_PER_DAY INT64_C(86400)
/* The last second whose nanoseconds still fit an int64_t (2262-04-11). */
#define MAX_SEC (INT64_MAX / NS_PER_SEC - 1)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. The
 * year is counted from March so the leap day falls at the end; 400-year
 * eras repeat exactly (146097 days). Valid for y >= 0. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d for a day count from 1970-01-01 (may be negative). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Read exactly width decimal digits at *s; advance *s past them. */
static bool
digits(const char **s, int width, int *out)
{
	int v = 0, i;

	for (i = 0; i < width; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += width;
	*out = v;
	return true;
}

/* "YYYY-MM-DD" at *s, range-checked. */
static bool
parse_date(const char **s, int *y, int *m, int *d)
{
	const char *p = *s;

	if (!digits(&p, 4, y) || *p++ != '-' || !digits(&p, 2, m) ||
	    *p++ != '-' || !digits(&p, 2, d))
		return false;
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > days_in_month(*y, *m))
		return false;
	*s = p;
	return true;
}

/* "Z", "+hh:mm", "-hhmm", "+hh" or nothing (UTC); east of UTC is positive. */
static bool
parse_zone(const char **s, int *offset_sec)
{
	const char *p = *s;
	int sign, hh, mm = 0;

	*offset_sec = 0;
	if (*p == 'Z' || *p == 'z') {
		*s = p + 1;
		return true;
	}
	if (*p != '+' && *p != '-')
		return *p == '\0';
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &hh) || hh > 23)
		return false;
	if (*p == ':' || (*p >= '0' && *p <= '9')) {
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &mm) || mm > 59)
			return false;
	}
	*offset_sec = sign * (hh * 3600 + mm * 60);
	*s = p;
	return true;
}

int
timeutil_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int y, mo, d, h, mi, sec = 0, off, i;
	int64_t secs, frac = 0;

	if (!parse_date(&p, &y, &mo, &d))
		goto bad;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
		goto bad;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &sec))
			goto bad;
	}
	/* 60 is a leap second; it lands on the next minute's first second. */
	if (h > 23 || mi > 59 || sec > 60)
		goto bad;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		for (i = 0; *p >= '0' && *p <= '9'; p++, i++)
			if (i < 9)
				frac = frac * 10 + (*p - '0');
		for (; i < 9; i++)
			frac *= 10;
	}
	if (!parse_zone(&p, &off) || *p != '\0')
		goto bad;
	secs = days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 +
	       sec - off;
	if (secs < 0 || secs > MAX_SEC)
		goto bad;
	*ns = secs * NS_PER_SEC + frac;
	return 0;
bad:
	return err_set(ERR_PARSE, "not a time: \"%.64s\"", s);
}

char *
timeutil_format(int64_t ns, char *out)
{
	int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC, days, rem;
	int y, m, d, len, width = 9;

	if (frac < 0) {
		frac += NS_PER_SEC;
		secs--;
	}
	days = secs / SEC_PER_DAY;
	rem = secs % SEC_PER_DAY;
	if (rem < 0) {
		rem += SEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	len = snprintf(out, TIMEUTIL_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d",
		       y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		       (int)(rem % 60));
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			width--;
		}
		len += snprintf(out + len, (size_t)(TIMEUTIL_BUFSZ - len),
				".%0*lld", width, (long long)frac);
	}
	snprintf(out + len, (size_t)(TIMEUTIL_BUFSZ - len), "Z");
	return out;
}

/* A relative bound "15m", "2h", "7d", "1w", "30s": that long before now. */
static bool
parse_relative(const char *s, int64_t now_ns, int64_t *ns)
{
	static const struct {
		char unit;
		int64_t sec;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	int64_t n = 0;
	size_t i, len = strlen(s);

	if (len < 2)
		return false;
	for (i = 0; i + 1 < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n > MAX_SEC)
			return false;
		n = n * 10 + (s[i] - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[len - 1] != units[i].unit)
			continue;
		if (n > MAX_SEC / units[i].sec)
			return false;
		*ns = now_ns - n * units[i].sec * NS_PER_SEC;
		return true;
	}
	return false;
}

/* Epoch seconds: all digits, within the range an int64_t of ns holds. */
static bool
parse_epoch(const char *s, int64_t *ns)
{
	int64_t n = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (*s - '0');
		if (n > MAX_SEC)
			return false;
	}
	*ns = n * NS_PER_SEC;
	return true;
}

int
timeutil_parse_bound(const char *s, int64_t now_ns, int64_t *ns)
{
	const char *p = s;
	int y, m, d;
	int64_t secs;

	if (parse_relative(s, now_ns, ns) || parse_epoch(s, ns))
		return 0;
	if (parse_date(&p, &y, &m, &d) && *p == '\0') {
		secs = days_from_civil(y, m, d) * SEC_PER_DAY;
		if (secs > MAX_SEC)
			goto bad;
		*ns = secs * NS_PER_SEC;
		return 0;
	}
	if (timeutil_parse(s, ns) == 0)
		return 0;
bad:
	return err_set(ERR_PARSE,
		       "not a time bound: \"%.64s\" (want an ISO time, a date, "
		       "epoch seconds or 15m/2h/7d)", s);
}

int64_t
timeutil_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
