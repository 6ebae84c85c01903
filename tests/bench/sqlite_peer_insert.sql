-- SPDX-License-Identifier: Apache-2.0
-- sqlite_peer_insert.sql: the sqlite3 peer of `verdict ingest` in the
-- benchmark: CloudTrail lines staged in `staging(j)` become rows of the
-- same events table, with the fields core/cloudtrail.c normalizes.
-- SQLite keeps the last parsed JSON document, so the repeated
-- json_extract(j, ...) calls on one row parse it once.
INSERT INTO events (id, time, source, kind, action, actor, actor_type,
	src_ip, src_domain, resource, resource_type, account, region, outcome,
	error_code, user_agent, attrs, raw, rank, ingested)
SELECT
	id,
	unixepoch(t) * 1000000000
		+ CAST(substr(strftime('%f', t), 4) AS INTEGER) * 1000000,
	'cloudtrail',
	CASE
	WHEN event_type = 'AwsConsoleSignIn' OR action = 'ConsoleLogin'
		THEN 'login'
	WHEN event_type = 'AwsServiceEvent' THEN 'service_event'
	WHEN event_type = 'AwsCloudTrailInsight' THEN 'insight'
	ELSE 'api_call'
	END,
	action,
	coalesce(nullif(json_extract(j, '$.userIdentity.arn'), ''),
		CASE actor_type
		WHEN 'AWSService' THEN json_extract(j, '$.userIdentity.invokedBy')
		WHEN 'AWSAccount' THEN json_extract(j, '$.userIdentity.principalId')
		END,
		nullif(json_extract(j, '$.userIdentity.userName'), ''),
		nullif(json_extract(j, '$.userIdentity.principalId'), ''),
		nullif(json_extract(j, '$.userIdentity.invokedBy'), '')),
	actor_type,
	CASE WHEN is_ip THEN src END,
	CASE WHEN NOT is_ip AND src GLOB '*.*' AND src NOT GLOB '*[ /]*'
		THEN src END,
	coalesce(
		json_extract(j, '$.requestParameters.userName'),
		json_extract(j, '$.requestParameters.roleName'),
		json_extract(j, '$.requestParameters.bucketName'),
		json_extract(j, '$.requestParameters.secretId'),
		json_extract(j, '$.requestParameters.instanceId'),
		json_extract(j, '$.requestParameters.instancesSet.items[0].instanceId'),
		json_extract(j, '$.requestParameters.groupId'),
		json_extract(j, '$.requestParameters.functionName'),
		json_extract(j, '$.requestParameters.roleArn'),
		json_extract(j, '$.resources[0].ARN')),
	CASE
	WHEN json_extract(j, '$.requestParameters.userName') IS NOT NULL
		THEN 'iam_user'
	WHEN json_extract(j, '$.requestParameters.roleName') IS NOT NULL
		THEN 'iam_role'
	WHEN json_extract(j, '$.requestParameters.bucketName') IS NOT NULL
		THEN 's3_bucket'
	WHEN json_extract(j, '$.requestParameters.secretId') IS NOT NULL
		THEN 'secret'
	WHEN coalesce(json_extract(j, '$.requestParameters.instanceId'),
		json_extract(j, '$.requestParameters.instancesSet.items[0].instanceId'))
		IS NOT NULL THEN 'ec2_instance'
	WHEN json_extract(j, '$.requestParameters.groupId') IS NOT NULL
		THEN 'security_group'
	WHEN json_extract(j, '$.requestParameters.functionName') IS NOT NULL
		THEN 'lambda_function'
	WHEN json_extract(j, '$.requestParameters.roleArn') IS NOT NULL
		THEN 'iam_role'
	ELSE json_extract(j, '$.resources[0].type')
	END,
	nullif(json_extract(j, '$.userIdentity.accountId'), ''),
	nullif(json_extract(j, '$.awsRegion'), ''),
	CASE
	WHEN nullif(error_code, '') IS NOT NULL THEN 'failure'
	WHEN lower(json_extract(j, '$.responseElements.ConsoleLogin')) = 'failure'
		THEN 'failure'
	ELSE 'success'
	END,
	nullif(error_code, ''),
	nullif(json_extract(j, '$.userAgent'), ''),
	-- json_patch drops the members that are null: absent, never empty.
	nullif(json_patch('{}', json_object(
		'event_source', nullif(json_extract(j, '$.eventSource'), ''),
		'principal_id',
			nullif(json_extract(j, '$.userIdentity.principalId'), ''),
		'access_key_id',
			nullif(json_extract(j, '$.userIdentity.accessKeyId'), ''),
		'user_name', nullif(json_extract(j, '$.userIdentity.userName'), ''),
		'invoked_by', nullif(json_extract(j, '$.userIdentity.invokedBy'), ''),
		'session_issuer_arn', nullif(json_extract(j,
			'$.userIdentity.sessionContext.sessionIssuer.arn'), ''),
		'recipient_account',
			nullif(json_extract(j, '$.recipientAccountId'), ''),
		'error_message', nullif(json_extract(j, '$.errorMessage'), ''),
		'event_type', nullif(event_type, ''),
		'request_id', nullif(json_extract(j, '$.requestID'), ''),
		'source_label', CASE WHEN NOT is_ip THEN nullif(src, '') END,
		'read_only', CASE
			WHEN json_type(j, '$.readOnly') IN ('true', 'false')
				THEN json(json_type(j, '$.readOnly'))
			WHEN lower(json_extract(j, '$.readOnly')) IN ('true', 'false')
				THEN json(lower(json_extract(j, '$.readOnly')))
			END,
		'mfa_authenticated', CASE lower(json_extract(j,
			'$.userIdentity.sessionContext.attributes.mfaAuthenticated'))
			WHEN 'true' THEN json('true')
			WHEN 'false' THEN json('false')
			WHEN '1' THEN json('true')
			WHEN '0' THEN json('false')
			END)), '{}'),
	j,
	0,
	unixepoch('now') * 1000000000
FROM (
	SELECT j,
		json_extract(j, '$.eventID') AS id,
		coalesce(nullif(json_extract(j, '$.eventTime'), ''),
			json_extract(j, '$."@timestamp"')) AS t,
		json_extract(j, '$.eventType') AS event_type,
		json_extract(j, '$.eventName') AS action,
		json_extract(j, '$.userIdentity.type') AS actor_type,
		json_extract(j, '$.errorCode') AS error_code,
		json_extract(j, '$.sourceIPAddress') AS src,
		coalesce(json_extract(j, '$.sourceIPAddress') GLOB '*:*:*'
			OR (json_extract(j, '$.sourceIPAddress')
				GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*'
			AND json_extract(j, '$.sourceIPAddress')
				NOT GLOB '*[^0-9.]*'), 0) AS is_ip
	FROM staging
)
WHERE true
ON CONFLICT(id) DO NOTHING;
