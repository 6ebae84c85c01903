/* SPDX-License-Identifier: Apache-2.0 */
/* wiz: Wiz Defend detections as the webhook sends them (being written). */
#include "config.h"

#include "core/adapter.h"

static int
wiz_detect(const cJSON *rec)
{
	(void)rec;
	return 0;
}

static int
wiz_normalize(const cJSON *rec, const char *raw, size_t raw_len,
	      struct ingest_sink *sink)
{
	(void)rec; (void)raw; (void)raw_len; (void)sink;
	return 0;
}

const struct adapter adapter_wiz = {
	.name = "wiz",
	.description = "Wiz Defend detections (webhook JSON)",
	.detect = wiz_detect,
	.normalize = wiz_normalize,
};
