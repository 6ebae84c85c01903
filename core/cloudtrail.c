/* SPDX-License-Identifier: Apache-2.0 */
/* cloudtrail: the adapter for AWS CloudTrail records (and digest files). */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/adapter.h"
#include "core/error.h"
#include "core/jsonu.h"

#define CT_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- what was acted on ------------------------------------------------- */

/* One well-known requestParameters member that names the target of a call.
 * The first rule that matches a record wins, so specific rules come before
 * general ones. */
struct ct_param_rule {
	const char *service; /* eventSource before its first dot; NULL: any */
	const char *name_has; /* eventName must contain this; NULL: any */
	const char *path;    /* dotted, inside requestParameters */
	const char *type;    /* resource_type; NULL: from the EC2 id prefix */
};

static const struct ct_param_rule ct_param_rules[] = {
	{ "iam", NULL, "userName", "iam_user" },
	{ "iam", NULL, "roleName", "iam_role" },
	{ "iam", NULL, "groupName", "iam_group" },
	{ "iam", NULL, "instanceProfileName", "iam_instance_profile" },
	{ "iam", NULL, "policyArn", "iam_policy" },
	{ "sts", NULL, "roleArn", "iam_role" },
	{ "s3", NULL, "bucketName", "s3_bucket" },
	{ "secretsmanager", NULL, "secretId", "secret" },
	{ "secretsmanager", NULL, "name", "secret" },
	{ "ssm", "Parameter", "name", "ssm_parameter" },
	{ "ssm", "Parameter", "names", "ssm_parameter" },
	{ "ssm", "Document", "name", "ssm_document" },
	{ "ssm", NULL, "instanceId", "ec2_instance" },
	{ "ssm", NULL, "instanceIds", "ec2_instance" },
	{ "ssm", "Session", "target", "ec2_instance" },
	{ "cloudtrail", NULL, "trailName", "trail" },
	{ "cloudtrail", NULL, "name", "trail" },
	{ "ec2", NULL, "instanceId", "ec2_instance" },
	{ "ec2", NULL, "instancesSet.items.instanceId", "ec2_instance" },
	{ "ec2", NULL, "snapshotId", "ebs_snapshot" },
	{ "ec2", NULL, "volumeId", "ebs_volume" },
	{ "ec2", NULL, "imageId", "ec2_image" },
	{ "ec2", NULL, "instancesSet.items.imageId", "ec2_image" },
	{ "ec2", NULL, "groupId", "security_group" },
	{ "ec2", NULL, "DeleteFlowLogsRequest.FlowLogId.content", "flow_log" },
	{ "ec2", NULL, "flowLogIds", "flow_log" },
	{ "ec2", NULL, "flowLogIds.items.flowLogId", "flow_log" },
	{ "ec2", NULL, "resourcesSet.items.resourceId", NULL },
	{ "ec2", NULL, "groupName", "security_group" },
	{ "ec2", NULL, "networkAclId", "network_acl" },
	{ "ec2", NULL, "routeTableId", "route_table" },
	{ "ec2", NULL, "internetGatewayId", "internet_gateway" },
	{ "ec2", NULL, "vpcId", "vpc" },
	{ "ec2-instance-connect", NULL, "instanceId", "ec2_instance" },
	{ "lambda", NULL, "functionName", "lambda_function" },
	{ "kms", NULL, "keyId", "kms_key" },
	{ "guardduty", NULL, "detectorId", "guardduty_detector" },
	{ "route53", NULL, "hostedZoneId", "route53_zone" },
	{ "route53resolver", NULL, "resolverQueryLogConfigId",
	  "resolver_query_log_config" },
	{ "logs", NULL, "logGroupName", "log_group" },
	{ "rds", NULL, "dBInstanceIdentifier", "rds_instance" },
	{ "rds", NULL, "dBClusterIdentifier", "rds_cluster" },
	{ "rds", NULL, "dBSnapshotIdentifier", "rds_snapshot" },
	{ "rds", NULL, "dBClusterSnapshotIdentifier", "rds_cluster_snapshot" },
	{ "rds", NULL, "dBSecurityGroupName", "rds_security_group" },
	{ "codebuild", NULL, "projectArn", "codebuild_project" },
	{ "codebuild", NULL, "projectName", "codebuild_project" },
	{ "organizations", NULL, "accountId", "aws_account" },
	{ "dynamodb", NULL, "tableName", "dynamodb_table" },
	{ "sns", NULL, "topicArn", "sns_topic" },
	{ "sqs", NULL, "queueUrl", "sqs_queue" },
	{ "eks", NULL, "name", "eks_cluster" },
	{ "ecs", NULL, "cluster", "ecs_cluster" },
	{ "bedrock", NULL, "modelId", "bedrock_model" },
	{ "config", NULL, "configurationRecorderName", "config_recorder" },
	{ "rolesanywhere", "TrustAnchor", "name",
	  "rolesanywhere_trust_anchor" },
	{ "rolesanywhere", "Profile", "name", "rolesanywhere_profile" },
	{ NULL, NULL, "roleArn", "iam_role" },
};

/* EC2 resource ids carry their kind in a prefix ("i-0abc", "sg-12"). */
static const struct {
	const char *prefix;
	const char *type;
} ec2_id_prefixes[] = {
	{ "i-", "ec2_instance" },     { "sg-", "security_group" },
	{ "snap-", "ebs_snapshot" },  { "vol-", "ebs_volume" },
	{ "ami-", "ec2_image" },      { "vpc-", "vpc" },
	{ "subnet-", "subnet" },      { "eni-", "network_interface" },
	{ "igw-", "internet_gateway" }, { "rtb-", "route_table" },
	{ "acl-", "network_acl" },    { "fl-", "flow_log" },
};

/* Resource kinds named by CloudFormation type ("AWS::IAM::Role", as in
 * resources[].type) or by the service and resource parts of an ARN. */
static const struct {
	const char *cfn_type;
	const char *arn_service;
	const char *arn_kind;
	const char *type;
} arn_kinds[] = {
	{ "AWS::IAM::User", "iam", "user", "iam_user" },
	{ "AWS::IAM::Role", "iam", "role", "iam_role" },
	{ "AWS::IAM::Group", "iam", "group", "iam_group" },
	{ "AWS::IAM::ManagedPolicy", "iam", "policy", "iam_policy" },
	{ "AWS::S3::Object", NULL, NULL, "s3_object" },
	{ "AWS::S3::Bucket", NULL, NULL, "s3_bucket" },
	{ "AWS::EC2::Instance", "ec2", "instance", "ec2_instance" },
	{ "AWS::EC2::Snapshot", "ec2", "snapshot", "ebs_snapshot" },
	{ "AWS::EC2::Volume", "ec2", "volume", "ebs_volume" },
	{ "AWS::EC2::Image", "ec2", "image", "ec2_image" },
	{ "AWS::EC2::SecurityGroup", "ec2", "security-group",
	  "security_group" },
	{ "AWS::KMS::Key", "kms", "key", "kms_key" },
	{ "AWS::Lambda::Function", "lambda", "function", "lambda_function" },
	{ "AWS::SecretsManager::Secret", "secretsmanager", "secret", "secret" },
	{ "AWS::SSM::Parameter", "ssm", "parameter", "ssm_parameter" },
	{ "AWS::CloudTrail::Trail", "cloudtrail", "trail", "trail" },
	{ "AWS::DynamoDB::Table", "dynamodb", "table", "dynamodb_table" },
};

/* Follow a dotted path through objects; an array on the way, or at the
 * end, stands for its first element, because CloudTrail writes one id
 * as "x", ["x", ...] or {"items": [{...}]} depending on the API. */
static const char *
param_string(const cJSON *params, const char *path)
{
	const cJSON *it = params;
	char seg[64];

	while (it && path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (cJSON_IsArray(it))
			it = it->child;
		it = jsonu_key(it, seg);
		path = dot ? dot + 1 : NULL;
	}
	if (cJSON_IsArray(it))
		it = it->child;
	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring
							 : NULL;
}

static bool
service_is(const char *event_source, const char *service)
{
	size_t n;

	if (!service)
		return true;
	if (!event_source)
		return false;
	n = strlen(service);
	return strncmp(event_source, service, n) == 0 &&
	       (event_source[n] == '.' || event_source[n] == '\0');
}

static const char *
ec2_id_type(const char *id)
{
	for (size_t i = 0; i < CT_NELEMS(ec2_id_prefixes); i++)
		if (strncmp(id, ec2_id_prefixes[i].prefix,
			    strlen(ec2_id_prefixes[i].prefix)) == 0)
			return ec2_id_prefixes[i].type;
	return "ec2_resource";
}

/* The kind of resource an ARN names ("arn:aws:iam::1:role/x" is iam_role),
 * or NULL when the ARN is of a kind the table does not know. */
static const char *
arn_type(const char *arn)
{
	const char *p = arn, *service, *kind;
	size_t service_len, kind_len;

	/* arn:partition:service:region:account:resource */
	for (int i = 0; i < 2; i++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	service = p;
	p = strchr(p, ':');
	if (!p)
		return NULL;
	service_len = (size_t)(p - service);
	for (int i = 0; i < 2; i++) {
		p = strchr(p + 1, ':');
		if (!p)
			return NULL;
	}
	kind = p + 1;
	/* S3 ARNs have no kind part: "arn:aws:s3:::bucket[/key]". */
	if (service_len == 2 && strncmp(service, "s3", 2) == 0)
		return strchr(kind, '/') ? "s3_object" : "s3_bucket";
	kind_len = strcspn(kind, "/:");
	for (size_t i = 0; i < CT_NELEMS(arn_kinds); i++) {
		const char *s = arn_kinds[i].arn_service;
		const char *k = arn_kinds[i].arn_kind;

		if (s && strlen(s) == service_len &&
		    strncmp(s, service, service_len) == 0 &&
		    strlen(k) == kind_len && strncmp(k, kind, kind_len) == 0)
			return arn_kinds[i].type;
	}
	return NULL;
}

static const char *
cfn_type(const char *type)
{
	for (size_t i = 0; i < CT_NELEMS(arn_kinds); i++)
		if (strcmp(type, arn_kinds[i].cfn_type) == 0)
			return arn_kinds[i].type;
	return NULL;
}

static int
set_resource(struct event *ev, const cJSON *rec)
{
	const char *source = jsonu_str(rec, "eventSource");
	const char *name = jsonu_str(rec, "eventName");
	const cJSON *params = jsonu_key(rec, "requestParameters");
	const cJSON *first;
	const char *arn, *type;
	int rc;

	/* requestParameters may be an object, a string, an array or null. */
	if (cJSON_IsObject(params)) {
		for (size_t i = 0; i < CT_NELEMS(ct_param_rules); i++) {
			const struct ct_param_rule *r = &ct_param_rules[i];
			const char *v;

			if (!service_is(source, r->service))
				continue;
			if (r->name_has &&
			    (!name || !strstr(name, r->name_has)))
				continue;
			v = param_string(params, r->path);
			if (!v)
				continue;
			if ((rc = event_set(ev, EF_RESOURCE, v)) < 0)
				return rc;
			return event_set(ev, EF_RESOURCE_TYPE,
					 r->type ? r->type : ec2_id_type(v));
		}
	}

	first = jsonu_key(rec, "resources");
	first = cJSON_IsArray(first) ? first->child : NULL;
	arn = jsonu_strne(first, "ARN");
	if (!arn)
		return 0;
	if ((rc = event_set(ev, EF_RESOURCE, arn)) < 0)
		return rc;
	type = jsonu_strne(first, "type");
	type = type ? cfn_type(type) : NULL;
	if (!type)
		type = arn_type(arn);
	return event_set(ev, EF_RESOURCE_TYPE, type);
}

/* ---- who acted --------------------------------------------------------- */

/* The actor: the ARN, or for identities that have none (AWS services,
 * other accounts, federated users) the best name the record gives. */
static const char *
actor_of(const cJSON *ui)
{
	const char *type = jsonu_str(ui, "type");
	const char *s;

	if ((s = jsonu_strne(ui, "arn")))
		return s;
	if (type && strcmp(type, "AWSService") == 0)
		return jsonu_strne(ui, "invokedBy");
	if (type && strcmp(type, "AWSAccount") == 0)
		return jsonu_strne(ui, "principalId");
	if ((s = jsonu_strne(ui, "userName")))
		return s;
	if ((s = jsonu_strne(ui, "principalId")))
		return s;
	return jsonu_strne(ui, "invokedBy");
}

static const char *
kind_of(const cJSON *rec)
{
	const char *type = jsonu_str(rec, "eventType");
	const char *name = jsonu_str(rec, "eventName");

	if ((type && strcmp(type, "AwsConsoleSignIn") == 0) ||
	    (name && strcmp(name, "ConsoleLogin") == 0))
		return "login";
	if (type && strcmp(type, "AwsServiceEvent") == 0)
		return "service_event";
	if (type && strcmp(type, "AwsCloudTrailInsight") == 0)
		return "insight";
	return "api_call";
}

/* A console sign-in fails without an errorCode: the response says so. */
static const char *
outcome_of(const cJSON *rec)
{
	const char *login = jsonu_str(rec, "responseElements.ConsoleLogin");
	const cJSON *code = jsonu_key(rec, "errorCode");

	/* any errorCode but null or "" means the call failed, whatever its
	 * type: a forged true or 0 must not read as success */
	if (code && !cJSON_IsNull(code) &&
	    !(cJSON_IsString(code) && !code->valuestring[0]))
		return "failure";
	if (login && strcasecmp(login, "Failure") == 0)
		return "failure";
	return "success";
}

/* ---- attributes -------------------------------------------------------- */

/* Extra fields kept as attrs, each copied when it is a non-empty string. */
static const struct {
	const char *attr;
	const char *path;
} ct_attr_paths[] = {
	{ "event_source", "eventSource" },
	{ "principal_id", "userIdentity.principalId" },
	{ "access_key_id", "userIdentity.accessKeyId" },
	{ "user_name", "userIdentity.userName" },
	{ "invoked_by", "userIdentity.invokedBy" },
	/* An empty {} sessionIssuer has no arn: no role was assumed. */
	{ "session_issuer_arn",
	  "userIdentity.sessionContext.sessionIssuer.arn" },
	{ "recipient_account", "recipientAccountId" },
	{ "error_message", "errorMessage" },
	{ "event_type", "eventType" },
	{ "request_id", "requestID" },
};

/* JSON true/false, or the strings "true"/"false" CloudTrail also writes. */
static bool
flag_of(const cJSON *it, bool *out)
{
	if (cJSON_IsBool(it)) {
		*out = cJSON_IsTrue(it);
		return true;
	}
	if (cJSON_IsString(it) && (strcasecmp(it->valuestring, "true") == 0 ||
				   strcasecmp(it->valuestring, "false") == 0)) {
		*out = strcasecmp(it->valuestring, "true") == 0;
		return true;
	}
	return false;
}

static int
add_flag(cJSON *attrs, const char *name, const cJSON *it)
{
	bool b;

	if (!flag_of(it, &b))
		return 0;
	return cJSON_AddBoolToObject(attrs, name, b) ? 0 : ERR_NOMEM;
}

static int
set_attrs(struct event *ev, const cJSON *rec, const char *source_label)
{
	cJSON *attrs = cJSON_CreateObject();
	int rc = 0;

	if (!attrs)
		return err_set(ERR_NOMEM, "out of memory building attributes");
	for (size_t i = 0; i < CT_NELEMS(ct_attr_paths); i++) {
		const char *v = jsonu_strne(rec, ct_attr_paths[i].path);

		if (v && !cJSON_AddStringToObject(attrs,
						  ct_attr_paths[i].attr, v))
			rc = ERR_NOMEM;
	}
	if (source_label &&
	    !cJSON_AddStringToObject(attrs, "source_label", source_label))
		rc = ERR_NOMEM;
	if (!rc)
		rc = add_flag(attrs, "read_only", jsonu_key(rec, "readOnly"));
	if (!rc)
		rc = add_flag(attrs, "mfa_authenticated",
			      jsonu_path(rec, "userIdentity.sessionContext."
					      "attributes.mfaAuthenticated"));
	if (rc) {
		cJSON_Delete(attrs);
		return err_set(ERR_NOMEM, "out of memory building attributes");
	}
	return adapter_attrs(ev, attrs);
}

/* ---- the adapter ------------------------------------------------------- */

static bool
is_digest(const cJSON *rec)
{
	return jsonu_has_all(rec, "digestStartTime", "logFiles", NULL);
}

static int
cloudtrail_detect(const cJSON *rec)
{
	if (jsonu_has_all(rec, "eventVersion", "eventSource", "eventName",
			  NULL))
		return 90;
	/* exporters that drop eventVersion still keep the call's shape */
	if (jsonu_has_all(rec, "eventSource", "eventName", NULL) &&
	    (jsonu_key(rec, "eventTime") || jsonu_key(rec, "userIdentity") ||
	     jsonu_key(rec, "awsRegion")))
		return 80;
	if (is_digest(rec))
		return 90;
	return 0;
}

/* Event fields copied from one string member each. */
static const struct {
	enum event_field field;
	const char *path;
} ct_field_paths[] = {
	{ EF_ID, "eventID" },
	{ EF_ACTION, "eventName" },
	{ EF_ACTOR_TYPE, "userIdentity.type" },
	/* Only the caller's own account: an AWSService identity has none,
	 * and recipientAccountId is where the call landed (kept in attrs). */
	{ EF_ACCOUNT, "userIdentity.accountId" },
	{ EF_USER_AGENT, "userAgent" },
	{ EF_REGION, "awsRegion" },
	{ EF_ERROR_CODE, "errorCode" },
};

static int
set_fields(struct event *ev, const cJSON *rec)
{
	int rc;

	for (size_t i = 0; i < CT_NELEMS(ct_field_paths); i++) {
		const char *v = jsonu_strne(rec, ct_field_paths[i].path);

		if ((rc = event_set(ev, ct_field_paths[i].field, v)) < 0)
			return rc;
	}
	if ((rc = event_set(ev, EF_SOURCE, "cloudtrail")) < 0 ||
	    (rc = event_set(ev, EF_KIND, kind_of(rec))) < 0 ||
	    (rc = event_set(ev, EF_OUTCOME, outcome_of(rec))) < 0)
		return rc;
	return event_set(ev, EF_ACTOR, actor_of(jsonu_key(rec, "userIdentity")));
}

/* Logstash-shipped records (the OTRF captures) carry @timestamp only. */
static void
set_time(struct event *ev, const cJSON *rec, struct ingest_sink *sink)
{
	static const char *const fields[] = { "eventTime", "@timestamp" };

	for (size_t i = 0; i < CT_NELEMS(fields); i++) {
		const char *t = jsonu_strne(rec, fields[i]);

		if (t) {
			adapter_set_time(ev, sink, fields[i], t);
			return;
		}
	}
	if (sink->warn)
		sink->warn(sink, "eventTime", "missing");
}

static int
cloudtrail_normalize(const cJSON *rec, const char *raw, size_t raw_len,
		     struct ingest_sink *sink)
{
	struct event ev;
	const char *src, *label = NULL;
	int rc;

	if (is_digest(rec)) {
		if (sink->skip)
			sink->skip(sink, "CloudTrail digest file");
		return 0;
	}
	if (!jsonu_strne(rec, "eventName"))
		return err_set(ERR_FIELD,
			       "field `eventName`: missing or not a string");

	event_init(&ev);
	ev.raw = raw;
	ev.raw_len = raw_len;
	if ((rc = set_fields(&ev, rec)) < 0)
		goto fail;
	if (!ev.str[EF_ID] &&
	    (rc = adapter_hash_id(&ev, "ct-", raw, raw_len)) < 0)
		goto fail;
	set_time(&ev, rec, sink);
	src = jsonu_strne(rec, "sourceIPAddress");
	if (src && adapter_set_source(&ev, src) == 0)
		label = src; /* "AWS Internal" and the like */
	if ((rc = set_resource(&ev, rec)) < 0 ||
	    (rc = set_attrs(&ev, rec, label)) < 0)
		goto fail;
	return sink->emit(sink, &ev);

fail:
	event_dispose(&ev);
	return rc;
}

const struct adapter adapter_cloudtrail = {
	.name = "cloudtrail",
	.description = "AWS CloudTrail records (log files, EventBridge, Lake)",
	.detect = cloudtrail_detect,
	.normalize = cloudtrail_normalize,
};
