#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# threats.sh: ingesting the test data turns every finding and alert into a
# threat, repeats of one detection on the same entities grouped with a
# count; the queue lists and filters them; re-ingesting adds none; an
# analyst's pivot makes a threat of any event.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# tsql QUERY: one column per row from the threat tables, as JSON text.
tsql() {
	sql1 "$1"
}

# threat_of EVENT_ID COLUMN: a column of the threat that event is linked to.
threat_of() {
	tsql "SELECT t.$2 FROM threats t JOIN threat_events te
		ON te.threat_id = t.id WHERE te.event_id = '$1'"
}

# ---- ingest builds the queue ------------------------------------------------
ingest --no-detect --no-investigate "$DATA"
assert_contains "ingest reports the new threats" "threats: 27 new" "$T/out"
assert_eq "threats per source" \
	'{"source":"asff","n":4}
{"source":"falco","n":11}
{"source":"guardduty","n":6}
{"source":"ocsf","n":3}
{"source":"wiz","n":3}' \
	"$(sqlj "SELECT source, count(*) AS n FROM threats GROUP BY source
		ORDER BY source")"
assert_eq "every alert-like event is linked to one threat" \
	"$(count "kind IN ('finding', 'runtime_alert', 'detection')")" \
	"$(tsql "SELECT count(DISTINCT event_id) FROM threat_events")"
assert_eq "every threat's count is its linked events" 0 \
	"$(tsql "SELECT count(*) FROM threats t WHERE count != (SELECT count(*)
		FROM threat_events te WHERE te.threat_id = t.id)")"

# GuardDuty's sample finding (a generated TorIPCaller finding)
GD_SAMPLE=36b01b60fc22bb4edb19d62d9899e953
assert_eq "GuardDuty sample: its detection" \
	'"guardduty:UnauthorizedAccess:IAMUser/TorIPCaller"' \
	"$(threat_of $GD_SAMPLE detection)"
assert_eq "GuardDuty sample: actor, address, severity, count" \
	'{"actor":"GeneratedFindingUserName","src_ip":"198.51.100.0","severity":"medium","count":1,"status":"new"}' \
	"$(sqlj "SELECT actor, src_ip, severity, count, status FROM threats
		WHERE id = (SELECT threat_id FROM threat_events
		WHERE event_id = '$GD_SAMPLE')")"
assert_eq "GuardDuty sample: its title" \
	'"API GeneratedFindingAPIName was invoked from a Tor exit node."' \
	"$(threat_of $GD_SAMPLE title)"
assert_eq "GuardDuty attack sequences are two critical threats of one account" \
	'"guardduty:AttackSequence:IAM/CompromisedCredentials"
"guardduty:AttackSequence:IAM/CompromisedCredentials"
"guardduty:AttackSequence:S3/CompromisedData"' \
	"$(tsql "SELECT detection FROM threats WHERE severity = 'critical'
		AND source = 'guardduty' ORDER BY detection")"

# Falco: the OVH false positive from falco-alerts, and eight cat alerts
# on one host grouped into one threat
assert_eq "Falco 'Disallowed K8s User': one threat on csi-cinder-controller" \
	'{"detection":"falco:Disallowed K8s User","actor":"csi-cinder-controller","host":"my-pool-1-node-921b61","severity":"medium","count":1}' \
	"$(sqlj "SELECT detection, actor, host, severity, count FROM threats
		WHERE title = 'Disallowed K8s User'")"
assert_eq "Falco open_from_cat: eight alerts, one threat" \
	'{"count":8,"host":"test-falco-hostname","first_ns":1470327477881781397,"last_ns":1470327477882054739}' \
	"$(sqlj "SELECT count, host, first_ns, last_ns FROM threats
		WHERE detection = 'falco:open_from_cat'")"
assert_eq "Falco shells in four containers are four threats" 4 \
	"$(tsql "SELECT count(*) FROM threats
		WHERE detection = 'falco:Terminal shell in container'")"

# Wiz Defend detections
assert_eq "Wiz: the repeated access-key detection is one threat of two" \
	'{"count":2,"severity":"high","src_ip":"203.0.113.45","account":"111122223333","tactics":"[\"TA0001\",\"TA0006\",\"TA0001-T1078\",\"TA0006-T1552\"]"}' \
	"$(sqlj "SELECT count, severity, src_ip, account, tactics FROM threats
		WHERE actor = 'arn:aws:iam::111122223333:user/example-ci-deployer'")"
assert_eq "Wiz: the reverse shell is critical, on its container" \
	'{"detection":"wiz:Reverse shell from a container","container":"0f1e2d3c4b5a","severity":"critical"}' \
	"$(sqlj "SELECT detection, container, severity FROM threats
		WHERE source = 'wiz' AND container IS NOT NULL")"
assert_eq "Wiz: the forwarded port probe keeps its address and host" \
	'{"src_ip":"192.0.2.77","host":"example-bastion","severity":"info"}' \
	"$(sqlj "SELECT src_ip, host, severity FROM threats
		WHERE detection = 'wiz:Recon:EC2/PortProbeUnprotectedPort'")"

# ---- re-ingest adds nothing ---------------------------------------------------
before=$(tsql "SELECT count(*) || '/' || sum(count) FROM threats")
ingest --no-detect --no-investigate "$DATA"
assert_contains "re-ingest: no new threats" "threats: 0 new" "$T/out"
assert_eq "re-ingest: threats and counts unchanged" "$before" \
	"$(tsql "SELECT count(*) || '/' || sum(count) FROM threats")"

# ---- the queue ------------------------------------------------------------------
vrun --db "$DB" threats --json
assert_rc "threats --json: success" 0
assert_eq "threats --json: one line per threat" 27 "$(wc -l <"$T/out" | tr -d ' ')"
if need_json_tool "threats --json is JSON"; then
	if json_lines_ok "$T/out"; then
		pass "threats --json: every line is a JSON object"
	else
		flunk "threats --json: every line is a JSON object"
	fi
fi
assert_match "threats --json: the queue starts with a critical threat" \
	'^\{"id":"t-[0-9a-f]{32}","detection":"[^"]*","title":"[^"]*","source":"[a-z]*","severity":"critical"' \
	"$T/out"
assert_contains "threats --json: linked events listed" \
	'"count":8,"tactics":null,"verdict":null,"confidence":null,"kb_version":null,"events":["e77503e1314a2ddae735da35e029f60f",' \
	"$T/out"
assert_eq "threats --json: ordered by severity, then newest" \
	"critical critical critical critical critical high" \
	"$(head -n 6 "$T/out" | sed 's/.*"severity":"\([a-z]*\)".*/\1/' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "threats --json: unknown severity last" '"unknown"' \
	"$(tail -n 1 "$T/out" | sed 's/.*"severity":\("[a-z]*"\).*/\1/')"

vrun --db "$DB" threats --severity critical --json
assert_eq "--severity critical: five threats" 5 "$(wc -l <"$T/out" | tr -d ' ')"
vrun --db "$DB" threats --severity high --source wiz --json
assert_eq "--severity high --source wiz: two threats" 2 "$(wc -l <"$T/out" | tr -d ' ')"
vrun --db "$DB" threats --source falco --status new --limit 3 --json
assert_eq "--source falco --limit 3: three threats" 3 "$(wc -l <"$T/out" | tr -d ' ')"
vrun --db "$DB" threats --status decided --json
assert_rc "--status decided: success" 0
assert_eq "--status decided: none yet" "" "$(cat "$T/out")"
vrun --db "$DB" threats --severity severe
assert_rc "--severity severe: usage error" 2
vrun --db "$DB" threats --status closed
assert_rc "--status closed: usage error" 2
vrun --db "$DB" threats --limit many
assert_rc "--limit many: usage error" 2

vrun --db "$DB" threats --source wiz
assert_rc "threats table: success" 0
assert_match "threats table: a header" \
	'^severity +status +verdict +conf +title +entity +last +count +id$' "$T/out"
assert_match "threats table: the Wiz access-key threat, count 2" \
	'^high +new +Access key used from an unfamiliar network +arn:aws:iam::111122223333:user/example-ci-deployer +2026-11-30T11:01:37Z +2 +t-[0-9a-f]{32}$' \
	"$T/out"
assert_match "threats table: the resource when there is no actor" \
	'^info +new +Recon:EC2/PortProbeUnprotectedPort +i-0example00000004 ' "$T/out"

# A hostile rule name reaches the terminal escaped.
printf '%s\n' '{"output":"x","priority":"Critical","rule":"evil\u001b]0;owned\u0007\u001b[2Jrule","time":"2026-12-05T00:00:00.000000000Z","hostname":"example-node","output_fields":{}}' \
	>"$T/evil.jsonl"
ingest --no-detect --no-investigate "$T/evil.jsonl"
assert_contains "hostile alert: one new threat" "threats: 1 new" "$T/out"
vrun --db "$DB" threats --severity critical
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/out"; then
	flunk "hostile alert: no control byte reaches the terminal"
else
	pass "hostile alert: no control byte reaches the terminal"
fi
assert_contains "hostile alert: controls shown escaped" \
	'evil\x1b]0;owned\x07\x1b[2Jrule' "$T/out"

# ---- --no-threats ---------------------------------------------------------------
sed 's/evil/other/; s/2026-12-05/2026-12-06/' "$T/evil.jsonl" >"$T/later.jsonl"
ingest --no-detect --no-investigate --no-threats "$T/later.jsonl"
assert_lacks "--no-threats: no threat line" "threats:" "$T/out"
assert_eq "--no-threats: the alert waits unlinked" 28 "$(tsql "SELECT count(*) FROM threats")"
ingest --no-detect --no-investigate "$T/evil.jsonl"
assert_contains "the next ingest picks it up" "threats: 1 new" "$T/out"

# ---- promote ----------------------------------------------------------------------
STRATUS=c2a89408-340a-42f0-8ace-75d9f5769393 # PutEventSelectors
vrun --db "$DB" promote $STRATUS
assert_rc "promote: success" 0
pivot=$(cat "$T/out")
assert_match "promote: prints the threat id" '^t-[0-9a-f]{32}$' "$T/out"
assert_eq "promote: a pivot threat on the event" \
	"{\"id\":\"$pivot\",\"detection\":\"pivot:$STRATUS\",\"title\":\"Pivot: PutEventSelectors by arn:aws:iam::958312252124:user/christophe\",\"source\":\"pivot\",\"severity\":\"medium\",\"src_ip\":\"221.254.191.250\",\"count\":1}" \
	"$(sqlj "SELECT id, detection, title, source, severity, src_ip, count
		FROM threats WHERE source = 'pivot'")"
vrun --db "$DB" promote $STRATUS
assert_eq "promote again: the same threat" "$pivot" "$(cat "$T/out")"
assert_eq "promote again: still one pivot" 1 \
	"$(tsql "SELECT count(*) FROM threats WHERE source = 'pivot'")"
vrun --db "$DB" threats --source pivot --json
assert_contains "threats --source pivot: its event" "\"events\":[\"$STRATUS\"]" "$T/out"
vrun --db "$DB" promote no-such-event
assert_rc "promote an unknown id: usage error" 2
assert_contains "promote an unknown id: says so" "no event with id no-such-event" "$T/err"
vrun --db "$DB" promote
assert_rc "promote without an id: usage error" 2

finish
