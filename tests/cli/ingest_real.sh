#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ingest_real.sh: the real data in tests/data (see each folder's
# PROVENANCE.md) ingested end to end: per-source counts in the summary and
# in the store, and named records' normalized fields.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# folder DIR ARGS...: ingest one folder (or file) of tests/data.
folder() {
	d=$1
	shift
	ingest "$@" "$DATA/$d"
	assert_rc "$d ingests cleanly" 0
}

# ---- per folder: the summary -------------------------------------------------
folder stratus-red-team-detonations
assert_eq "Stratus: 142 CloudTrail records, all new" "142 142" \
	"$(summary events cloudtrail) $(summary new cloudtrail)"
assert_contains "Stratus: PROVENANCE.md skipped as documentation" \
	"skipped 1: documentation or rule file (not a log)" "$T/out"
assert_eq "Stratus: every event carries the stratus user agent" 142 \
	"$(count "user_agent LIKE 'stratus-red-team_%'")"

folder otrf-aws-cloud-bank-breach-s3
assert_eq "OTRF: 103 CloudTrail records, all new" "103 103" \
	"$(summary events cloudtrail) $(summary new cloudtrail)"

folder cloud-custodian-event-fixtures
assert_eq "Custodian: 15 CloudTrail records, 14 distinct" "15 14" \
	"$(summary events cloudtrail) $(summary new cloudtrail)"
assert_eq "Custodian: 1 GuardDuty finding" 1 "$(summary events guardduty)"
assert_eq "Custodian: 1 Security Hub finding" 1 "$(summary events asff)"
assert_contains "Custodian: Config items are skipped, not errors" \
	"skipped 2: AWS Config rule invocation" "$T/out"
assert_match "Custodian: a record with no eventTime is a warning" \
	"^verdict: warning: .*event-cloud-trail-bedrock-create-customization-jobs\.json:1: record 1: field \`eventTime\`" \
	"$T/err"

folder falco-alerts
assert_eq "Falco: 8 blog alerts + 8 regression-test alerts" 16 "$(summary events falco)"

folder falco-k8s-audit-fixtures
assert_eq "K8s fixtures: 23 audit events, 22 distinct requests" "23 22" \
	"$(summary events k8s_audit) $(summary new k8s_audit)"

folder iam-authz-cloudsplaining-iam-vulnerable
assert_eq "IAM: 175 identities, no events" "175 0" \
	"$(summary identities iam_authz) $(summary events iam_authz)"

folder ocsf
assert_eq "OCSF: 12 events" 12 "$(summary events ocsf)"
assert_match "OCSF: severity_id out of range is a warning naming the field" \
	"^verdict: warning: .*odd-severity-out-of-range\.json:1: record 1: field \`severity_id\`" \
	"$T/err"

folder panther-analysis-rule-tests
assert_eq "Panther: records read per source" \
	"asff 8 cloudtrail 275 guardduty 6 k8s_audit 76 ocsf 1 vpcflow 12" \
	"$(for s in asff cloudtrail guardduty k8s_audit ocsf vpcflow; do
		printf '%s %s ' "$s" "$(summary events $s)"; done | sed 's/ $//')"

folder vpc-flow-logs-aws-docs-examples/custom-format-v3-tcpflags.log
assert_eq "VPC v3 custom format: 8 flows from its # fields header" 8 \
	"$(summary events vpcflow)"
folder vpc-flow-logs-aws-docs-examples/default-format-v2.log --vpc-fields \
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
assert_eq "VPC v2 default format with --vpc-fields: 7 flows" 7 \
	"$(summary events vpcflow)"

# ---- the store: per source ---------------------------------------------------
assert_eq "events per source in the store" \
'{"source":"asff","n":4}
{"source":"cloudtrail","n":364}
{"source":"falco","n":16}
{"source":"guardduty","n":4}
{"source":"k8s_audit","n":91}
{"source":"ocsf","n":13}
{"source":"vpcflow","n":27}' \
	"$(sqlj "SELECT source, count(*) AS n FROM events GROUP BY source ORDER BY source")"
assert_eq "IAM identities: users 41, groups 3, roles 75, policies 56" \
'{"kind":"group","n":3}
{"kind":"policy","n":56}
{"kind":"role","n":75}
{"kind":"user","n":41}' \
	"$(sqlj "SELECT kind, count(*) AS n FROM identities GROUP BY kind ORDER BY kind")"
assert_eq "no event without id or source" 0 "$(count "id IS NULL OR id = '' OR source IS NULL")"
assert_eq "no empty strings: an absent field is NULL" 0 \
	"$(count "'' IN (kind, action, actor, actor_type, src_ip, src_domain, dst_ip,
		protocol, resource, resource_type, account, region, outcome,
		error_code, host, container, severity)")"
assert_eq "every raw record is stored" 0 "$(count "raw IS NULL OR length(raw) = 0")"
assert_eq "every attrs is a JSON object" 0 \
	"$(count "attrs IS NOT NULL AND json_type(attrs) <> 'object'")"

# ---- named records -----------------------------------------------------------
assert_eq "Stratus cloudtrail-event-selectors: PutEventSelectors" \
'{"time":1722430202000000000,"kind":"api_call","action":"PutEventSelectors","actor":"arn:aws:iam::958312252124:user/christophe","actor_type":"IAMUser","src_ip":"221.254.191.250","resource":"stratus-red-team-ctes-trail-khlvciwdor","account":"958312252124","region":"cn-northsouth-2r","outcome":"success","error_code":null,"user_agent":"stratus-red-team_ce507fbd-078a-4e4c-975d-d80cb80df469"}' \
	"$(sqlj "SELECT time, kind, action, actor, actor_type, src_ip, resource,
		account, region, outcome, error_code, user_agent FROM events
		WHERE id = 'c2a89408-340a-42f0-8ace-75d9f5769393'")"
assert_eq "Stratus ec2-get-password-data: a denied GetPasswordData" \
'{"action":"GetPasswordData","actor":"arn:aws:sts::457448411975:assumed-role/stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000","actor_type":"AssumedRole","src_ip":"200.249.253.51","outcome":"failure","error_code":"Client.UnauthorizedOperation","region":"apiso-northsouth-3r"}' \
	"$(sqlj "SELECT action, actor, actor_type, src_ip, outcome, error_code,
		region FROM events WHERE id = '450230d4-b39e-4a18-a6a0-d07a6e2105cb'")"
F=$DATA/stratus-red-team-detonations/aws.defense-evasion.cloudtrail-event-selectors.json
if need_json_tool "Stratus array element stored byte-exact"; then
	if [ "$json_tool" = jq ]; then
		jq -c '.[0]' "$F" >"$T/el.json"
	else
		python3 -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))[0], separators=(",", ":")))' "$F" >"$T/el.json"
	fi
	assert_eq "Stratus array element: raw parses to the original record" 1 \
		"$(sql1 "SELECT json(raw) = json('$(sed "s/'/''/g" "$T/el.json")')
			FROM events WHERE id = 'c2a89408-340a-42f0-8ace-75d9f5769393'")"
fi
assert_eq "OTRF: the attacker's 11 calls with instance-role credentials" 11 \
	"$(count "actor = 'arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40'")"
assert_eq "OTRF: ListBuckets from a laptop, timed by @timestamp" \
'{"time":1600045204000000000,"action":"ListBuckets","actor_type":"AssumedRole","src_ip":"1.2.3.4","user_agent":"[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]","account":"123456789123","region":"us-east-1"}' \
	"$(sqlj "SELECT time, action, actor_type, src_ip, user_agent, account, region
		FROM events WHERE id = '7d91ac29-614a-4af9-af5c-c5a80e63a0bb'")"
assert_eq "OTRF: the admin pedro's 87 console calls" 87 \
	"$(count "actor = 'arn:aws:iam::123456789123:user/pedro'")"
assert_eq "GuardDuty sample finding (Custodian): sample flag and fields" \
'{"source":"guardduty","kind":"finding","action":"UnauthorizedAccess:IAMUser/TorIPCaller","severity":"medium","severity_score":5.0,"account":"883606788610","region":"us-east-1","sample":1,"stype":"true","time":1512747169000000000}' \
	"$(sqlj "SELECT source, kind, action, severity, severity_score, account,
		region, json_extract(attrs, '\$.sample') AS sample,
		json_type(attrs, '\$.sample') AS stype, time
		FROM events WHERE id = '36b01b60fc22bb4edb19d62d9899e953'")"
assert_eq "Falco alert: Attach/Exec Pod by kubernetes-admin" \
'{"time":1739179786302906000,"kind":"runtime_alert","actor":"kubernetes-admin","resource":"hello-app/nginx-676b6c5bbc-4xc6t","resource_type":"pods/exec","host":"my-pool-1-node-921b61","severity":"low","cmd":"cat","evt_time":"1739179786302906000"}' \
	"$(sqlj "SELECT time, kind, actor, resource, resource_type, host, severity,
		json_extract(attrs, '\$.output_fields.\"ka.uri.param[command]\"') AS cmd,
		CAST(json_extract(attrs, '\$.output_fields.\"evt.time\"') AS TEXT) AS evt_time
		FROM events WHERE source = 'falco' AND action = 'Attach/Exec Pod'
		AND host = 'my-pool-1-node-921b61'")"
assert_eq "K8s fixture exec_pod.json: exec into a pod" \
'{"time":1540561114867116000,"action":"create","actor":"minikube-user","actor_type":"user","src_ip":"192.168.99.1","resource":"default/nginx-deployment-7998647bdf-phvq7","resource_type":"pods/exec","outcome":"success","status":101}' \
	"$(sqlj "SELECT time, action, actor, actor_type, src_ip, resource,
		resource_type, outcome, json_extract(attrs, '\$.status_code') AS status
		FROM events WHERE id = 'ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6'")"
assert_eq "K8s fixture create_nginx_pod_privileged.json: a service account" \
'{"actor":"system:serviceaccount:kube-system:replicaset-controller","actor_type":"service_account","src_ip":"::1","resource_type":"pods","time":1540476552572676000}' \
	"$(sqlj "SELECT actor, actor_type, src_ip, resource_type, time FROM events
		WHERE id = 'a362d22b-db3c-4590-9505-23782f12925f'")"
assert_eq "VPC v2: the rejected RDP flow" \
'{"time":1418530010000000000,"action":"REJECT","src_ip":"172.31.9.69","src_port":49761,"dst_ip":"172.31.9.12","dst_port":3389,"protocol":"tcp","packets":20,"bytes":4249,"resource":"eni-1235b8ca123456789","account":"123456789010"}' \
	"$(sqlj "SELECT time, action, src_ip, src_port, dst_ip, dst_port, protocol,
		json_extract(attrs, '\$.packets') AS packets,
		json_extract(attrs, '\$.bytes') AS bytes, resource, account
		FROM events WHERE source = 'vpcflow' AND dst_port = 3389")"
assert_eq "VPC v2: an IPv6 flow" 1 \
	"$(count "src_ip = '2001:db8:1234:a100:8d6e:3477:df66:f105' AND dst_port = 22")"
assert_eq "VPC v3: the largest transfer" \
'{"src_ip":"52.213.180.42","dst_ip":"10.0.0.62","src_port":43418,"dst_port":5001,"bytes":23294588,"packets":15774}' \
	"$(sqlj "SELECT src_ip, dst_ip, src_port, dst_port,
		json_extract(attrs, '\$.bytes') AS bytes,
		json_extract(attrs, '\$.packets') AS packets FROM events
		WHERE source = 'vpcflow' ORDER BY json_extract(attrs, '\$.bytes') DESC LIMIT 1")"
assert_eq "IAM: a privilege-escalation user of the lab account" \
'{"arn":"arn:aws:iam::200611803367:user/privesc1-CreateNewPolicyVersion-user","kind":"user","principal_id":"AIDAS5NLFGDT64OEBQLGX","account":"200611803367"}' \
	"$(sqlj "SELECT arn, kind, principal_id, account FROM identities
		WHERE name = 'privesc1-CreateNewPolicyVersion-user'")"
assert_eq "IAM: every identity has an ARN and a document" 0 \
	"$(sql1 "SELECT count(*) FROM identities WHERE arn IS NULL OR doc IS NULL
		OR json_valid(doc) = 0")"

# ---- the whole tree at once ------------------------------------------------
vrun --db "$T/all.db" ingest --no-progress "$DATA"
case $rc in
0 | 1) pass "the whole of tests/data ingests (exit $rc)" ;;
*) flunk "the whole of tests/data ingests" "exit $rc: $(head -c 2000 "$T/err")" ;;
esac
bad=$(grep -E '^verdict: (error|warning): ' "$T/err" |
	grep -vE "^verdict: (error|warning): $DATA/[^:]+:[0-9]+: " || true)
assert_eq "every diagnostic names a file and line" "" "$bad"
for s in cloudtrail k8s_audit guardduty falco vpcflow asff ocsf; do
	assert_eq "whole tree: $s summary new = stored" \
		"$(summary new $s)" "$(count "source = '$s'" "$T/all.db")"
done

finish
