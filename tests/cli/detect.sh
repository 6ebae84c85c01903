#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# detect.sh: the shipped Sigma rules over the test data: each Stratus
# technique a rule covers raises that rule's threat on the technique's own
# record; the OTRF capture's benign admin (pedro) raises nothing beyond the
# documented list; detection runs again after each ingest, only over what
# that ingest stored; rules that cannot run are listed with the reason.
. "${top_srcdir:-.}/tests/cli/lib.sh"

KB=$top_srcdir/kb/default
STRATUS=$DATA/stratus-red-team-detonations
OTRF=$DATA/otrf-aws-cloud-bank-breach-s3
PEDRO=arn:aws:iam::123456789123:user/pedro

# The Stratus techniques a shipped rule covers: technique, rule id, and
# the technique's triggering record (its eventID).
COVERED='aws.defense-evasion.vpc-remove-flow-logs e386b9b5-af12-450e-afff-761730fb8a98 ded2f5af-f3a5-46d2-a170-a23206a32c36
aws.execution.ssm-send-command 38e7f511-3f74-41d4-836e-f57dfa18eead 5288bfb8-e3fa-4c41-be02-6853521afe8b
aws.exfiltration.ec2-security-group-open-port-22-ingress 6fb77778-040f-4015-9440-572aa9b6b580 9fd68588-ecbf-4528-a345-199fa6bb0821
aws.exfiltration.ec2-share-ebs-snapshot abae8fec-57bd-4f87-aff6-6e3db989843d 6897ff63-d738-445c-9e86-43e5b1f8e12f
aws.persistence.iam-create-admin-user 0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2 94faedcc-0fa4-46e6-9322-022e8e934f04
aws.persistence.lambda-layer-extension 97fbabf8-8e1b-47a2-b7d5-a418d2b95e3d da929d96-8e20-475c-a810-973addd64769
aws.privilege-escalation.iam-update-user-login-profile 055fb148-60f8-462d-ad16-26926ce050f1 a46a1a42-9ef1-48d4-9c61-507eb6d4019f'
# The other eleven techniques (cloudtrail-event-selectors, dns-delete-logs,
# secretsmanager and ssm credential access, ec2-get-password-data,
# ec2-launch-unusual-instances, bedrock-invoke-model, ec2-instance-connect,
# iam-backdoor-role, iam-create-user-login-profile,
# rolesanywhere-create-trust-anchor) have no technique-specific rule in the
# shipped set; some of their assumed-role calls raise only the generic
# low-level "AWS STS AssumeRole Misuse".

# linked RULE_ID EVENT_ID [DB]: threats of the rule that hold the event.
linked() {
	sql1 "SELECT count(*) FROM threats t JOIN threat_events te
		ON te.threat_id = t.id WHERE t.detection = 'sigma:$1'
		AND te.event_id = '$2'" "${3:-$DB}"
}

# covered WHEN [DB]: every covered technique raised its rule's threat.
covered() {
	while read -r technique rule event; do
		assert_eq "$1: $technique raises sigma:$rule" 1 \
			"$(linked "$rule" "$event" "${2:-$DB}")"
	done <<EOF
$COVERED
EOF
}

# ---- on demand: verdict detect over stored events ------------------------
ingest --no-detect --no-investigate "$STRATUS" "$OTRF" "$DATA/falco-k8s-audit-fixtures"
assert_rc "ingest without detection" 0
assert_lacks "--no-detect: no Sigma line" "threats from Sigma rules" "$T/out"
assert_eq "--no-detect: no Sigma threats" 0 \
	"$(sql1 "SELECT count(*) FROM threats WHERE source = 'sigma'")"

vrun --db "$DB" --kb "$KB" detect
assert_rc "detect runs" 0
assert_contains "all shipped rules load" "rules: 73 loaded, 0 not loaded" "$T/out"
assert_contains "the rule that tests a field CloudTrail lacks is noted" \
	"aws_delete_saml_provider.yml: detection \`selection\`: field \`status\` is not part of CloudTrail records" \
	"$T/out"
assert_eq "events scanned: CloudTrail and Kubernetes audit only" \
	"$(count "source IN ('cloudtrail', 'k8s_audit')")" \
	"$(sed -n 's/^events scanned: //p' "$T/out")"
new=$(sed -n 's/^threats: \([0-9]*\) new$/\1/p' "$T/out")
assert_eq "detect reports the threats it raised" \
	"$(sql1 "SELECT count(*) FROM threats WHERE source = 'sigma'")" "$new"
assert_contains "the new threats are investigated" "investigated: " "$T/out"
assert_eq "every Sigma threat has a report and a verdict" 0 \
	"$(sql1 "SELECT count(*) FROM threats WHERE source = 'sigma'
		AND (verdict IS NULL OR id NOT IN (SELECT threat_id FROM reports))")"

covered "detect"

assert_eq "the flow-log deletion threat, as the rule says" \
	'{"title":"AWS VPC Flow Logs Deleted","source":"sigma","severity":"high","actor":"arn:aws:iam::498376118699:user/christophe","tactics":"[\"attack.stealth\"]","count":1}' \
	"$(sqlj "SELECT title, source, severity, actor, tactics, count
		FROM threats WHERE detection =
		'sigma:e386b9b5-af12-450e-afff-761730fb8a98'")"
assert_eq "Kubernetes audit: exec into a pod (Falco's fixture)" 1 \
	"$(sql1 "SELECT count(*) FROM threats
		WHERE detection = 'sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6'")"
assert_eq "Kubernetes audit: hostPath mount via the field mapping" 1 \
	"$(sql1 "SELECT count(*) FROM threats
		WHERE detection = 'sigma:402b955c-8fe0-4a8c-b635-622b4ac5f902'")"

# The OTRF capture: pedro's 87 console calls (benign lab setup) may raise
# only the detections listed here, each with its reason. With the shipped
# rules the list is empty: none of his calls (Describe*, Get*, List* from
# console.*.amazonaws.com, with MFA) is in a rule.
PEDRO_ALLOWED=''
assert_eq "pedro's calls are stored" 87 "$(count "actor = '$PEDRO'")"
assert_eq "pedro raises nothing beyond the documented list" "$PEDRO_ALLOWED" \
	"$(sql1 "SELECT DISTINCT t.detection FROM threats t
		JOIN threat_events te ON te.threat_id = t.id
		JOIN events e ON e.id = te.event_id
		WHERE t.source = 'sigma' AND e.actor = '$PEDRO'
		ORDER BY 1" | tr -d '"')"
# The attacker's 11 calls with the stolen instance-role session are
# assumed-role sessions issued by a role: the generic rule sees them.
assert_eq "the stolen session's calls raise the AssumeRole rule" 11 \
	"$(sql1 "SELECT count(*) FROM threat_events te
		JOIN threats t ON t.id = te.threat_id JOIN events e ON e.id = te.event_id
		WHERE t.detection = 'sigma:905d389b-b853-46d0-9d3d-dea0d3a3cd49'
		AND e.actor LIKE '%assumed-role/MordorNginxStack-BankingWAFRole-%'")"

# They are in the queue.
vrun --db "$DB" threats --source sigma --severity high
assert_contains "verdict threats lists them" "AWS VPC Flow Logs Deleted" "$T/out"

# Running again raises nothing new and changes no count.
before=$(sql1 "SELECT sum(count) FROM threats WHERE source = 'sigma'")
vrun --db "$DB" --kb "$KB" detect
assert_contains "a second run: no new threats" "threats: 0 new" "$T/out"
assert_eq "a second run: the same hits" "$before" \
	"$(sql1 "SELECT sum(count) FROM threats WHERE source = 'sigma'")"

# --since keeps to events at or after a time; --dry-run writes nothing.
vrun --db "$DB" --kb "$KB" detect --dry-run --since 2024-08-28
assert_rc "--dry-run --since" 0
assert_eq "--since: only the later events" \
	"$(count "source IN ('cloudtrail', 'k8s_audit') AND time >= 1724803200000000000")" \
	"$(sed -n 's/^events scanned: //p' "$T/out")"
assert_lacks "--dry-run: no threat line" "threats:" "$T/out"
assert_match "--dry-run: hits per rule" \
	'^ *1 +high +055fb148-60f8-462d-ad16-26926ce050f1 +AWS User Login Profile Was Modified$' \
	"$T/out"

# ---- rules that cannot run, and other rule folders ------------------------
vrun --db "$DB" detect --rules "$DATA/sigma-cases/rules" --dry-run
assert_rc "a folder with an unsupported rule still runs" 0
assert_contains "the good rule loads, the other is counted" \
	"rules: 1 loaded, 1 not loaded" "$T/out"
assert_contains "the reason is given" \
	"not loaded: $DATA/sigma-cases/rules/correlation.yml: a correlation rule" \
	"$T/out"
vrun --db "$DB" detect --rules "$T/none"
assert_rc "a missing rules path fails" 3
vrun detect --rules "$KB/rules/sigma" --sql
assert_eq "--sql: one line per rule" 73 "$(wc -l <"$T/out" | tr -d ' ')"

# ---- during ingest ----------------------------------------------------------
DB2=$T/ingest.db
vrun --db "$DB2" --kb "$KB" ingest --no-progress --no-investigate "$STRATUS"
assert_rc "ingest with detection" 0
covered "ingest" "$DB2"
assert_contains "ingest reports them" \
	"threats from Sigma rules: $(sql1 "SELECT count(*) FROM threats
		WHERE source = 'sigma'" "$DB2") new" "$T/out"
vrun --db "$DB2" --kb "$KB" ingest --no-progress --no-investigate "$OTRF"
assert_contains "the next ingest scans only what it stored" \
	"threats from Sigma rules: 2 new" "$T/out"
vrun --db "$DB2" --kb "$KB" ingest --no-progress --no-investigate "$STRATUS"
assert_contains "re-ingesting the same events raises nothing" \
	"threats from Sigma rules: 0 new" "$T/out"

finish
