/* SPDX-License-Identifier: Apache-2.0 */
/* progress: a one-line progress bar on a terminal's stderr. */
#include "config.h"

#include <stdio.h>

#include "core/timeutil.h"
#include "tui/progress.h"

void
progress_init(struct progress *p, bool on, uint64_t total)
{
	p->on = on;
	p->total = total;
	p->last_ns = 0;
	p->start_ns = timeutil_now();
	p->drawn = false;
}

void
progress_update(struct progress *p, uint64_t done)
{
	int64_t now;
	double mb = (double)done / (1 << 20);

	if (!p->on)
		return;
	now = timeutil_now();
	/* stay quiet for short runs and redraw at most ten times a second */
	if (now - p->start_ns < 500000000 || now - p->last_ns < 100000000)
		return;
	p->last_ns = now;
	if (p->total) {
		int pct = (int)(done * 100 / p->total);
		int fill = pct * 30 / 100;

		if (pct > 100)
			pct = 100, fill = 30;
		fprintf(stderr, "\r[%.*s%*s] %3d%%  %.1f / %.1f MiB ", fill,
			"##############################", 30 - fill, "", pct, mb,
			(double)p->total / (1 << 20));
	} else {
		fprintf(stderr, "\r%.1f MiB read ", mb);
	}
	p->drawn = true;
}

void
progress_clear(struct progress *p)
{
	if (p->drawn)
		fprintf(stderr, "\r%*s\r", 70, "");
	p->drawn = false;
}
