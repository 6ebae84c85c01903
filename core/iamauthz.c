/* SPDX-License-Identifier: Apache-2.0 */
/* iamauthz: the adapter for `aws iam get-account-authorization-details`,
 * which yields identity objects (users, groups, roles, policies), not events. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"

#define IAMAUTHZ_ACCOUNT_LEN 12

/* The four lists of the export and the keys naming each entry. */
static const struct iamauthz_list {
	const char *key;
	const char *kind;
	const char *name_key;
	const char *id_key;
} iamauthz_lists[] = {
	{ "UserDetailList", "user", "UserName", "UserId" },
	{ "GroupDetailList", "group", "GroupName", "GroupId" },
	{ "RoleDetailList", "role", "RoleName", "RoleId" },
	{ "Policies", "policy", "PolicyName", "PolicyId" },
};

#define IAMAUTHZ_NLISTS (sizeof(iamauthz_lists) / sizeof(iamauthz_lists[0]))

/* The 12-digit account of arn:PARTITION:iam::ACCOUNT:..., copied to out, or
 * NULL; AWS-managed policies (arn:aws:iam::aws:policy/...) have none. */
static const char *
iamauthz_account(const char *arn, char out[IAMAUTHZ_ACCOUNT_LEN + 1])
{
	const char *p = arn;
	int i;

	for (i = 0; i < 4 && p; i++) {
		p = strchr(p, ':');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	for (i = 0; i < IAMAUTHZ_ACCOUNT_LEN; i++)
		if (p[i] < '0' || p[i] > '9')
			return NULL;
	if (p[IAMAUTHZ_ACCOUNT_LEN] != ':')
		return NULL;
	memcpy(out, p, IAMAUTHZ_ACCOUNT_LEN);
	out[IAMAUTHZ_ACCOUNT_LEN] = '\0';
	return out;
}

static void
iamauthz_warn(struct ingest_sink *sink, const struct iamauthz_list *l,
	      int index, const char *member, const char *msg)
{
	char field[96];

	if (!sink->warn)
		return;
	snprintf(field, sizeof(field), "%s[%d]%s", l->key, index, member);
	sink->warn(sink, field, msg);
}

/* Hand one entry to the sink; a malformed entry is warned about and
 * skipped so one bad principal does not cost the whole inventory. */
static int
iamauthz_entry(const struct iamauthz_list *l, int index, const cJSON *entry,
	       struct ingest_sink *sink)
{
	char account[IAMAUTHZ_ACCOUNT_LEN + 1];
	struct identity_item it = { .kind = l->kind };
	char *doc;
	int rc;

	if (!cJSON_IsObject(entry)) {
		iamauthz_warn(sink, l, index, "", "not an object; skipped");
		return 0;
	}
	it.arn = jsonu_strne(entry, "Arn");
	if (!it.arn || strncmp(it.arn, "arn:", 4) != 0) {
		iamauthz_warn(sink, l, index, ".Arn",
			      it.arn ? "not an ARN; entry skipped"
				     : "missing; entry skipped");
		return 0;
	}
	it.name = jsonu_strne(entry, l->name_key);
	it.id = jsonu_strne(entry, l->id_key);
	it.account = iamauthz_account(it.arn, account);
	doc = cJSON_PrintUnformatted(entry);
	if (!doc)
		return err_set(ERR_NOMEM, "out of memory serializing %s[%d]",
			       l->key, index);
	it.doc = doc;
	rc = sink->identity(sink, &it);
	free(doc);
	return rc;
}

static int
iamauthz_detect(const cJSON *rec)
{
	const cJSON *policies = jsonu_key(rec, "Policies");
	size_t i;

	for (i = 0; i < IAMAUTHZ_NLISTS; i++) {
		if (strcmp(iamauthz_lists[i].key, "Policies") != 0 &&
		    cJSON_IsArray(jsonu_key(rec, iamauthz_lists[i].key)))
			return 95;
	}
	/* "Policies" alone is a common word; a policy export's entries carry
	 * their versions. */
	if (cJSON_IsArray(policies) &&
	    jsonu_key(policies->child, "PolicyVersionList"))
		return 95;
	return 0;
}

static int
iamauthz_normalize(const cJSON *rec, const char *raw, size_t raw_len,
		   struct ingest_sink *sink)
{
	const cJSON *list, *entry;
	size_t i, found = 0;
	int index, rc = 0;

	if (!cJSON_IsObject(rec))
		return err_set(ERR_FIELD, "authorization details: not a JSON object");
	if (!sink->identity)
		return err_set(ERR_UNSUPPORTED, "authorization details: this sink "
				"takes no identity objects");
	for (i = 0; i < IAMAUTHZ_NLISTS && rc >= 0; i++) {
		const struct iamauthz_list *l = &iamauthz_lists[i];

		list = jsonu_key(rec, l->key);
		if (jsonu_isnull(list))
			continue;
		if (!cJSON_IsArray(list)) {
			if (sink->warn)
				sink->warn(sink, l->key, "not an array; skipped");
			continue;
		}
		found++;
		index = 0;
		cJSON_ArrayForEach(entry, list) {
			if ((rc = iamauthz_entry(l, index++, entry, sink)) < 0)
				break;
		}
	}
	if (rc < 0)
		return rc;
	if (!found)
		return err_set(ERR_FIELD, "authorization details: no UserDetailList, "
			       "GroupDetailList, RoleDetailList or Policies array");
	/* A paged export that was not followed to its end misses principals. */
	if (cJSON_IsTrue(jsonu_key(rec, "IsTruncated")) && sink->warn)
		sink->warn(sink, "IsTruncated",
			   "export is truncated: later pages are missing");
	return 0;
}

const struct adapter adapter_iam_authz = {
	.name = "iam_authz",
	.description = "IAM get-account-authorization-details exports "
		       "(users, groups, roles, managed policies)",
	.detect = iamauthz_detect,
	.normalize = iamauthz_normalize,
};
