#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# investigate.sh: `verdict investigate` over the ingested test data: every
# threat gets one report (and keeps it); named threats get named verdicts
# (a GuardDuty sample finding is not real; a promoted Stratus detonation
# that changed CloudTrail's event selectors is malicious and cites that
# event; a Falco platform false positive is benign through an allowlist);
# two runs give the same bytes; a broken knowledge base is reported with
# file, line and field while its valid playbooks still run.
. "${top_srcdir:-.}/tests/cli/lib.sh"

KB_TEST=$top_srcdir/tests/data/kb-test
KB_DEFAULT=$top_srcdir/kb/default
GD_SAMPLE_THREAT=t-6d34c7fd563dde96c99d480d8be0ceaf
CSI_THREAT=t-8b52ca155fcbca814bcf615effb5ddfd
PUT_EVENT_SELECTORS=c2a89408-340a-42f0-8ace-75d9f5769393

# field KEY FILE: the JSON text of a top-level key in a one-line report.
field() {
	sed -n "s/.*\"$1\":\\(\"[^\"]*\"\\|[a-z0-9-]*\\).*/\\1/p" "$2" | head -1
}

# report_of THREAT_ID FILE: that threat's line of a JSON-lines run.
report_of() {
	grep -F "{\"threat_id\":\"$1\"" "$2"
}

ingest --no-investigate "$DATA"
nthreats=$(sql1 "SELECT count(*) FROM threats")

# ---- the test knowledge base: exact verdicts --------------------------------
vrun --db "$DB" investigate --all --format json --kb "$KB_TEST"
assert_rc "investigate --all with kb-test" 0
cp "$T/out" "$T/kbtest-1.jsonl"
assert_eq "one report per threat" "$nthreats" \
	"$(wc -l <"$T/kbtest-1.jsonl" | tr -d ' ')"
if need_json_tool "reports are JSON objects"; then
	if json_lines_ok "$T/kbtest-1.jsonl"; then
		pass "every report line is one JSON object"
	else
		flunk "every report line is one JSON object"
	fi
fi
report_of $GD_SAMPLE_THREAT "$T/kbtest-1.jsonl" >"$T/sample"
assert_eq "GuardDuty sample: not real" false "$(field real "$T/sample")"
assert_eq "GuardDuty sample: benign" '"benign"' "$(field verdict "$T/sample")"
assert_contains "GuardDuty sample: says why" \
	'"real_reason":"the triggering event is a guardduty sample finding' \
	"$T/sample"
report_of $CSI_THREAT "$T/kbtest-1.jsonl" >"$T/csi"
assert_eq "Falco csi-cinder-controller: benign" '"benign"' \
	"$(field verdict "$T/csi")"
assert_contains "Falco csi-cinder-controller: the allowlist is the reason" \
	'{"text":"Allowlisted (ovh-csi-controller): The OVH CSI controller patches volume attachments as part of the managed platform","score":-60,"cited":["allowlist:ovh-csi-controller"]}' \
	"$T/csi"

# An analyst's pivot on the Stratus detonation.
vrun --db "$DB" investigate --event $PUT_EVENT_SELECTORS --format json \
	--kb "$KB_TEST"
assert_rc "investigate --event" 0
cp "$T/out" "$T/pivot"
assert_eq "Stratus PutEventSelectors: malicious" '"malicious"' \
	"$(field verdict "$T/pivot")"
assert_eq "Stratus PutEventSelectors: its playbook" '"test-evasion"' \
	"$(field playbook "$T/pivot")"
assert_contains "Stratus PutEventSelectors: cites the event" \
	"changed logging 1 time(s): PutEventSelectors\",\"score\":45,\"cited\":[\"$PUT_EVENT_SELECTORS\"]" \
	"$T/pivot"
assert_contains "Stratus PutEventSelectors: the missing flow logs are a gap" \
	'"raise":["No VPC flow logs in the window to show what the address did next"]' \
	"$T/pivot"
pivot=$(field threat_id "$T/pivot" | tr -d '"')
assert_eq "the report is stored with the threat" '"malicious"' \
	"$(sql1 "SELECT verdict FROM threats WHERE id = '$pivot'")"
assert_eq "the threat stays new until an analyst acts" '"new"' \
	"$(sql1 "SELECT status FROM threats WHERE id = '$pivot'")"

# Text and Markdown renderings of one threat.
vrun --db "$DB" investigate "$pivot" --kb "$KB_TEST"
assert_rc "investigate THREAT (text)" 0
assert_contains "text: the verdict line" \
	"threat $pivot: malicious, confidence 65, score 75" "$T/out"
vrun --db "$DB" investigate "$pivot" --format md --kb "$KB_TEST"
assert_contains "md: the heading" "# Threat $pivot: malicious" "$T/out"

# Telemetry in a report reaches the terminal escaped.
vrun --db "$DB" investigate --event \
	"$(sql1 "SELECT id FROM events WHERE resource LIKE 'default/cm-%'" |
		tr -d '"')" --kb "$KB_TEST"
assert_rc "investigate an event with escapes in its fields" 0
if LC_ALL=C grep -q "$(printf '\033')" "$T/out"; then
	flunk "no raw ESC reaches the terminal" "$(cat -v "$T/out" | head -20)"
else
	pass "no raw ESC reaches the terminal"
fi
assert_contains "the resource shows escaped" 'cm-\x1b]0;owned-title' "$T/out"

# ---- the shipped knowledge base --------------------------------------------
if ls "$KB_DEFAULT"/playbooks/*.yaml >/dev/null 2>&1; then
	KB=$KB_DEFAULT
else
	KB=$KB_TEST
fi
vrun --db "$DB" investigate --all --format json --kb "$KB"
assert_rc "investigate --all with $(basename "$KB")" 0
cp "$T/out" "$T/run-1.jsonl"
assert_lacks "no knowledge-base problems" "verdict: kb:" "$T/err"
report_of $GD_SAMPLE_THREAT "$T/run-1.jsonl" >"$T/sample"
assert_eq "GuardDuty sample with $(basename "$KB"): not real" false \
	"$(field real "$T/sample")"
assert_eq "GuardDuty sample with $(basename "$KB"): benign" '"benign"' \
	"$(field verdict "$T/sample")"
vrun --db "$DB" investigate --all --format json --kb "$KB"
if cmp -s "$T/run-1.jsonl" "$T/out"; then
	pass "two runs give byte-identical reports"
else
	flunk "two runs give byte-identical reports" \
		"$(diff "$T/run-1.jsonl" "$T/out" | head -c 2000)"
fi

# ---- a broken knowledge base --------------------------------------------------
mkdir -p "$T/kb"
cp -R "$KB_TEST"/. "$T/kb/"
printf 'id: broken\nfamily: generic\ntitle: Broken\ncolour: red\n' \
	>"$T/kb/playbooks/broken.yaml"
vrun --db "$DB" investigate "$CSI_THREAT" --kb "$T/kb"
assert_rc "a broken playbook: exit 1" 1
assert_contains "the problem names file, line and field" \
	"playbooks/broken.yaml:4: field \`colour\`: unknown key" "$T/err"
assert_contains "the valid playbooks still run" \
	"threat $CSI_THREAT: benign" "$T/out"

# ---- usage ------------------------------------------------------------------------
vrun --db "$DB" investigate --kb "$KB_TEST"
assert_rc "no target: usage error" 2
vrun --db "$DB" investigate --all --format yaml --kb "$KB_TEST"
assert_rc "unknown format: usage error" 2
vrun --db "$DB" investigate t-0000 --kb "$KB_TEST"
assert_rc "unknown threat: failure" 3
assert_contains "unknown threat: named" "no threat t-0000" "$T/err"

# ---- ingest investigates new threats -------------------------------------------
DB2=$T/auto.db
vrun --db "$DB2" --kb "$KB_TEST" ingest --no-progress \
	"$DATA/cloud-custodian-event-fixtures/cwe/iam-duty-event.json"
assert_rc "ingest with a knowledge base" 0
assert_contains "ingest says how many it investigated" "investigated: 1" \
	"$T/out"
assert_eq "the sample finding was judged on ingest" '"benign"' \
	"$(sql1 "SELECT verdict FROM threats" "$DB2")"
DB3=$T/none.db
vrun --db "$DB3" --kb "$KB_TEST" ingest --no-progress --no-investigate \
	"$DATA/cloud-custodian-event-fixtures/cwe/iam-duty-event.json"
assert_eq "--no-investigate leaves it for later" null \
	"$(sql1 "SELECT verdict FROM threats" "$DB3")"

finish
