#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cases.sh: the eleven field cases of tests/data/cases, each held to the
# result its README states, through `verdict sql --json` and `events --json`.
. "${top_srcdir:-.}/tests/cli/lib.sh"

ID=00000000-0000-4000-8000-0000000

# ---- 01: sourceIPAddress that is not an address ----------------------------
ingest "$CASES/01-ct-sourceip-not-an-ip.json"
assert_rc "01 ingests cleanly" 0
assert_eq "01 gives 4 events" 4 "$(summary events cloudtrail)"
assert_eq "01 address, domain and label per record" \
'{"id":"'$ID'00101","src_ip":null,"src_domain":"support.amazonaws.com","label":null}
{"id":"'$ID'00102","src_ip":null,"src_domain":null,"label":"AWS Internal"}
{"id":"'$ID'00103","src_ip":"2001:db8:1234::abcd","src_domain":null,"label":null}
{"id":"'$ID'00104","src_ip":"203.0.113.10","src_domain":null,"label":null}' \
	"$(sqlj "SELECT id, src_ip, src_domain,
		json_extract(attrs, '\$.source_label') AS label
		FROM events WHERE id LIKE '${ID}0010_' ORDER BY id")"
assert_eq "01 the raw sourceIPAddress is always kept" \
'"support.amazonaws.com"
"AWS Internal"
"2001:db8:1234::abcd"
"203.0.113.10"' \
	"$(sql1 "SELECT json_extract(raw, '\$.sourceIPAddress') FROM events
		WHERE id LIKE '${ID}0010_' ORDER BY id")"

# ---- 02: identities without an ARN -----------------------------------------
ingest "$CASES/02-ct-identity-without-arn.jsonl"
assert_rc "02 ingests cleanly" 0
assert_eq "02 none rejected" 0 "$(summary_errors)"
assert_eq "02 gives 3 events" 3 "$(summary events cloudtrail)"
assert_eq "02 AWSService, AWSAccount and IAMUser identities" \
'{"actor":"ec2.amazonaws.com","actor_type":"AWSService","account":null,"pid":null}
{"actor":"AIDAEXAMPLEPRINCIPAL01","actor_type":"AWSAccount","account":"444455556666","pid":"AIDAEXAMPLEPRINCIPAL01"}
{"actor":"arn:aws:iam::111122223333:user/example-admin","actor_type":"IAMUser","account":"111122223333","pid":"AIDAEXAMPLEUSERID0002"}' \
	"$(sqlj "SELECT actor, actor_type, account,
		json_extract(attrs, '\$.principal_id') AS pid
		FROM events WHERE id LIKE '${ID}0020_' ORDER BY id")"
assert_eq "02 the AWSService actor is no ARN" 0 \
	"$(count "id = '${ID}00201' AND actor LIKE 'arn:%'")"
assert_eq "02 an empty sessionIssuer is no role" 0 \
	"$(count "id = '${ID}00203' AND (attrs LIKE '%issuer%'
		OR attrs LIKE '%role%')")"

# ---- 04: a digest file, and an empty Records array -------------------------
before=$(count 1)
ingest "$CASES/04-ct-digest-file-in-bucket.json"
assert_rc "04 a digest file is success" 0
assert_eq "04 no error printed" "" "$(cat "$T/err")"
assert_contains "04 reported as skipped" "skipped 1: CloudTrail digest file" "$T/out"
assert_eq "04 no records rejected" 0 "$(summary_errors)"
assert_eq "04 0 events" "$before" "$(count 1)"
vrun --db "$DB" -v ingest --no-progress "$CASES/04-ct-digest-file-in-bucket.json"
assert_rc "04 with -v still success" 0
assert_contains "04 -v names the skip" \
	"verdict: skipped: $CASES/04-ct-digest-file-in-bucket.json:1: record 1: CloudTrail digest file" \
	"$T/err"
assert_lacks "04 -v prints no error" "error" "$T/err"
printf '{"Records":[]}\n' >"$T/empty-records.json"
ingest "$T/empty-records.json"
assert_rc '04 {"Records":[]} is success' 0
assert_eq '04 {"Records":[]} prints nothing on stderr' "" "$(cat "$T/err")"
assert_eq '04 {"Records":[]} no errors' 0 "$(summary_errors)"
assert_eq '04 {"Records":[]} 0 events' "$before" "$(count 1)"

# ---- 05: no sourceIPAddress, no userAgent ----------------------------------
ingest "$CASES/05-ct-no-sourceip-no-useragent.json"
assert_rc "05 ingests cleanly" 0
assert_eq "05 absent, not empty; actor and action set" \
'{"id":"'$ID'00501","src_ip":null,"src_domain":null,"user_agent":null,"ti":"null","tu":"null","actor":"arn:aws:iam::111122223333:user/example-analyst","action":"QueryDatabase"}' \
	"$(sqlj "SELECT id, src_ip, src_domain, user_agent, typeof(src_ip) AS ti,
		typeof(user_agent) AS tu, actor, action
		FROM events WHERE id LIKE '${ID}0050_'")"

# ---- 06: requestParameters whose types drift -------------------------------
F06=$CASES/06-ct-requestparameters-type-drift.jsonl
ingest "$F06"
assert_rc "06 ingests cleanly" 0
assert_eq "06 all 3 events" 3 "$(count "id LIKE '${ID}0060_'")"
for n in 1 2 3; do
	assert_eq "06 record $n raw is byte-exact" "$(line_hex "$F06" $n)" \
		"$(sql1 "SELECT hex(raw) FROM events WHERE id = '${ID}0060$n'" |
			tr -d '"')"
done
assert_eq "06 parameters keep their drifting types" \
'{"a":"text","b":"array","c":"HIDDEN_DUE_TO_SECURITY_REASONS"}' \
	"$(sqlj "SELECT
		(SELECT json_type(raw, '\$.requestParameters.overrides.containerOverrides[0].environment')
		 FROM events WHERE id = '${ID}00601') AS a,
		(SELECT json_type(raw, '\$.requestParameters.containerOverrides.environment')
		 FROM events WHERE id = '${ID}00602') AS b,
		(SELECT json_extract(raw, '\$.requestParameters.overrides.containerOverrides[0].environment')
		 FROM events WHERE id = '${ID}00601') AS c")"
assert_eq "06 a null responseElements is absent" 0 \
	"$(count "id LIKE '${ID}0060_' AND attrs LIKE '%response%'")"

# ---- 09: VPC flow v2 with NODATA and SKIPDATA rows -------------------------
ingest "$CASES/09-vpc-default-nodata-skipdata.log"
assert_rc "09 ingests cleanly" 0
assert_eq "09 no diagnostics (a - is no address error)" "" "$(cat "$T/err")"
assert_eq "09 header is no event: 3 records" 3 "$(summary events vpcflow)"
assert_eq "09 the first row" \
'{"src_ip":"203.0.113.10","src_port":49152,"dst_ip":"10.0.1.5","dst_port":443,"protocol":"tcp","packets":10,"bytes":5200,"action":"ACCEPT","time":1796083200000000000,"account":"111122223333","resource":"eni-0a1b2c3d4e5f60001"}' \
	"$(sqlj "SELECT src_ip, src_port, dst_ip, dst_port, protocol,
		json_extract(attrs, '\$.packets') AS packets,
		json_extract(attrs, '\$.bytes') AS bytes, action, time, account,
		resource FROM events WHERE source = 'vpcflow' AND time = 1796083200000000000")"
assert_eq "09 the - fields are null, not 0 and not -" \
'{"src_ip":null,"dst_ip":null,"src_port":null,"dst_port":null,"protocol":null,"action":null,"packets":null,"bytes":null,"status":"NODATA"}
{"src_ip":null,"dst_ip":null,"src_port":null,"dst_port":null,"protocol":null,"action":null,"packets":null,"bytes":null,"status":"SKIPDATA"}' \
	"$(sqlj "SELECT src_ip, dst_ip, src_port, dst_port, protocol, action,
		json_type(attrs, '\$.packets') AS packets,
		json_type(attrs, '\$.bytes') AS bytes,
		json_extract(attrs, '\$.log_status') AS status
		FROM events WHERE source = 'vpcflow' AND time > 1796083200000000000
		ORDER BY time")"
{
	sed -n 1p "$CASES/09-vpc-default-nodata-skipdata.log"
	echo "2 111122223333 eni-0a1b2c3d4e5f60001 203.0.113.11 10.0.1.5 49153 443 6 10 5200 - - ACCEPT OK"
} >"$T/dash-time.log"
ingest "$T/dash-time.log"
assert_rc "09 a - time is no error" 0
assert_eq "09 a - time keeps the record with no time" \
	'{"time":null,"src_ip":"203.0.113.11","src_port":49153}' \
	"$(sqlj "SELECT time, src_ip, src_port FROM events
		WHERE source = 'vpcflow' AND src_port = 49153")"

# ---- 11: GuardDuty in EventBridge, severity bands --------------------------
F11=$CASES/11-gd-critical-severity-eventbridge.jsonl
ingest "$F11"
assert_rc "11 ingests cleanly" 0
assert_eq "11 gives 2 findings" 2 "$(summary events guardduty)"
assert_eq "11 unwrapped; 9.0 Critical, 8.9 High" \
'{"id":"0000000000000000000000000000aa01","source":"guardduty","kind":"finding","action":"AttackSequence:IAM/CompromisedCredentials","account":"111122223333","region":"us-east-1","severity":"critical","severity_score":9.0}
{"id":"0000000000000000000000000000aa02","source":"guardduty","kind":"finding","action":"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS","account":"111122223333","region":"us-east-1","severity":"high","severity_score":8.9}' \
	"$(sqlj "SELECT id, source, kind, action, account, region, severity,
		severity_score FROM events WHERE source = 'guardduty' ORDER BY id")"
assert_eq "11 the envelope id is no event" 0 "$(count "id = '${ID}01101'")"
assert_eq "11 raw is the whole envelope, byte-exact" "$(line_hex "$F11" 1)" \
	"$(sql1 "SELECT hex(raw) FROM events WHERE id = '0000000000000000000000000000aa01'" |
		tr -d '"')"
# Every band edge, from the 8.9 finding with its severity and id replaced.
n=0
for s in 0 0.5 1 3.99 4 6.9 7 8.99 9 10 10.5 -1; do
	n=$((n + 1))
	sed -n 2p "$F11" |
		sed "s/\"severity\":8.9/\"severity\":$s/; s/aa02/b$((100 + n))/g"
done >"$T/bands.jsonl"
ingest "$T/bands.jsonl"
assert_rc "11 every band edge ingests" 0
assert_eq "11 bands [1,4) low [4,7) medium [7,9) high [9,10] critical" \
'"0 unknown"
"0.5 unknown"
"1 low"
"3.99 low"
"4 medium"
"6.9 medium"
"7 high"
"8.99 high"
"9 critical"
"10 critical"
"10.5 unknown"
"-1 unknown"' \
	"$(sql1 "SELECT json_extract(raw, '\$.severity') || ' ' || severity
		FROM events WHERE source = 'guardduty' AND id GLOB '*b1[0-9][0-9]'
		ORDER BY id")"

# ---- 13: Falco output_fields with null, <NA>, int64 -------------------------
ingest "$CASES/13-falco-output-fields-null-na-bigint.jsonl"
assert_rc "13 ingests cleanly" 0
assert_eq "13 gives 2 alerts" 2 "$(summary events falco)"
W="source = 'falco' AND action = 'Non sudo setuid'"
assert_eq "13 evt.time keeps every digit in attrs" 1 \
	"$(count "$W AND instr(attrs, '\"evt.time\":1796134434123456789,') > 0")"
assert_eq "13 evt.time is an integer to SQLite" \
	'{"t":"integer","v":"1796134434123456789","time":1796134434123456789}' \
	"$(sqlj "SELECT json_type(attrs, '\$.output_fields.\"evt.time\"') AS t,
		CAST(json_extract(attrs, '\$.output_fields.\"evt.time\"') AS TEXT) AS v,
		time FROM events WHERE $W")"
assert_eq "13 uids exact, \"\" kept apart from missing" \
	'{"uid":4294967295,"loginuid":-1,"pid":40321,"name":"","tname":"text"}' \
	"$(sqlj "SELECT json_extract(attrs, '\$.output_fields.\"user.uid\"') AS uid,
		json_extract(attrs, '\$.output_fields.\"user.loginuid\"') AS loginuid,
		json_extract(attrs, '\$.output_fields.\"proc.pid\"') AS pid,
		json_extract(attrs, '\$.output_fields.\"user.name\"') AS name,
		json_type(attrs, '\$.output_fields.\"user.name\"') AS tname
		FROM events WHERE $W")"
assert_eq "13 null and <NA> are missing values" \
	'{"a":null,"b":null,"c":null,"d":null,"e":null,"na":0}' \
	"$(sqlj "SELECT
		json_type(attrs, '\$.output_fields.\"container.image.repository\"') AS a,
		json_type(attrs, '\$.output_fields.\"k8s.ns.name\"') AS b,
		json_type(attrs, '\$.output_fields.\"proc.aname[3]\"') AS c,
		json_type(attrs, '\$.output_fields.\"evt.arg.uid\"') AS d,
		json_type(attrs, '\$.output_fields.\"proc.cmdline\"') AS e,
		instr(json_extract(attrs, '\$.output_fields'), '<NA>') AS na
		FROM events WHERE $W")"
assert_eq "13 no normalized field is <NA>" 0 \
	"$(count "source = 'falco' AND '<NA>' IN (actor, resource, host,
		container, user_agent, src_ip)")"
vrun --db "$DB" events --json --source falco --action "Non sudo setuid"
assert_rc "13 events --json" 0
assert_contains "13 exported JSON keeps evt.time's digits" \
	'"evt.time":1796134434123456789' "$T/out"
assert_contains "13 exported JSON keeps the uid" '"user.uid":4294967295' "$T/out"
assert_contains "13 exported time has nanoseconds" \
	'"time":"2026-12-01T14:13:54.123456789Z","time_ns":1796134434123456789' "$T/out"
assert_eq "13 output_fields: null still gives an event" \
	'{"action":"Example K8s secret access","host":"falco-audit-01","severity":"medium","time":1796134500000000000,"priority":"Warning","fsrc":"k8s_audit","of":null}' \
	"$(sqlj "SELECT action, host, severity, time,
		json_extract(attrs, '\$.priority') AS priority,
		json_extract(attrs, '\$.falco_source') AS fsrc,
		json_type(attrs, '\$.output_fields') AS of
		FROM events WHERE source = 'falco' AND host = 'falco-audit-01'")"

# ---- 14: Kubernetes audit stages of one request ----------------------------
F14=$CASES/14-k8s-audit-stage-duplicates.jsonl
ingest "$F14"
assert_rc "14 ingests cleanly" 0
assert_eq "14 two logical requests, not three" 2 "$(summary new k8s_audit)"
assert_eq "14 two rows stored" 2 "$(count "id LIKE '${ID}0140_'")"
assert_eq "14 the merged create and the failed list" \
'{"id":"'$ID'01401","time":1796083200100000000,"action":"create","actor":"example-user","resource":"default/example-secret","resource_type":"secrets","outcome":"success","error_code":null,"status":201}
{"id":"'$ID'01402","time":1796083201000000000,"action":"list","actor":null,"resource":null,"resource_type":null,"outcome":"failure","error_code":"401","status":401}' \
	"$(sqlj "SELECT id, time, action, actor, resource, resource_type,
		outcome, error_code, json_extract(attrs, '\$.status_code') AS status
		FROM events WHERE id LIKE '${ID}0140_' ORDER BY id")"
assert_eq '14 "user":{} is no actor, not ""' '"null"' \
	"$(sql1 "SELECT typeof(actor) FROM events WHERE id = '${ID}01402'")"
vrun --db "$DB" events --json --id "${ID}01401"
assert_contains "14 timed at request received" \
	'"time":"2026-12-01T00:00:00.1Z"' "$T/out"
# The same rows whatever order the stages come in, in one file or two runs.
K8S_ROWS="SELECT id, time, source, kind, action, actor, actor_type, src_ip,
	resource, resource_type, outcome, error_code, user_agent, attrs,
	hex(raw) AS raw FROM events WHERE id LIKE '${ID}0140_' ORDER BY id"
want=$(sqlj "$K8S_ROWS")
awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' "$F14" \
	>"$T/reversed.jsonl"
vrun --db "$T/reversed.db" ingest --no-progress "$T/reversed.jsonl"
assert_rc "14 reversed stages ingest" 0
assert_eq "14 reversed stages give the same rows" "$want" \
	"$(sqlj "$K8S_ROWS" "$T/reversed.db")"
sed -n 2p "$F14" >"$T/stage2.jsonl"
sed -n 1p "$F14" >"$T/stage1.jsonl"
vrun --db "$T/split.db" ingest --no-progress "$T/stage2.jsonl"
vrun --db "$T/split.db" ingest --no-progress "$T/stage1.jsonl" "$T/reversed.jsonl"
assert_eq "14 stages split over two runs give the same rows" "$want" \
	"$(sqlj "$K8S_ROWS" "$T/split.db")"

# ---- 17: terminal escapes in attacker-controlled fields --------------------
F17=$CASES/17-tui-terminal-escape-injection.jsonl
ingest "$F17"
assert_rc "17 ingests cleanly" 0
for n in 1 2; do
	id=${ID}0170$n
	assert_eq "17 record $n raw column is byte-exact" "$(line_hex "$F17" $n)" \
		"$(sql1 "SELECT hex(raw) FROM events WHERE id = '$id'" | tr -d '"')"
done
ESC=$(printf '\033') BEL=$(printf '\007') CR=$(printf '\r')
UA1="kubectl/v1.30.0${CR}${ESC}[32mALL CLEAR${ESC}[0m"
RES1="default/cm-${ESC}]0;owned-title${BEL}-${ESC}[2J${ESC}[H-x"
UA2=$(printf 'curl/8.0\033[1A\033[2K\302\23331mfake-line\nsecond-line')
assert_eq "17 stored user agents keep every control byte" \
	"\"$(printf '%s' "$UA1" | hex)\"
\"$(printf '%s' "$UA2" | hex)\"" \
	"$(sql1 "SELECT hex(user_agent) FROM events WHERE id LIKE '${ID}0170_' ORDER BY id")"
assert_eq "17 stored values equal the decoded originals" \
	'{"ua":1,"res":1}
{"ua":1,"res":null}' \
	"$(sqlj "SELECT user_agent = json_extract(raw, '\$.userAgent') AS ua,
		resource = 'default/' || json_extract(raw, '\$.objectRef.name') AS res
		FROM events WHERE id LIKE '${ID}0170_' ORDER BY id")"
assert_eq "17 stored resource keeps OSC and CSI" "\"$(printf '%s' "$RES1" | hex)\"" \
	"$(sql1 "SELECT hex(resource) FROM events WHERE id = '${ID}01701'")"
if need_json_tool "17 exported JSON decoded byte-exact"; then
	for n in 1 2; do
		id=${ID}0170$n
		vrun --db "$DB" events --json --id "$id"
		json_str raw <"$T/out" >"$T/raw-$n"
		sed -n "${n}p" "$F17" | tr -d '\n' >"$T/line-$n"
		if cmp -s "$T/raw-$n" "$T/line-$n"; then
			pass "17 record $n exported raw decodes byte-exact"
		else
			flunk "17 record $n exported raw decodes byte-exact" \
				"expected: $(hex <"$T/line-$n")" \
				"     got: $(hex <"$T/raw-$n")"
		fi
		eval "want_ua=\$UA$n"
		assert_eq "17 record $n exported user_agent decodes byte-exact" \
			"$(printf '%s' "$want_ua" | hex)" \
			"$(json_str user_agent <"$T/out" | hex)"
	done
	vrun --db "$DB" events --json --id "${ID}01701"
	assert_eq "17 exported resource decodes byte-exact" \
		"$(printf '%s' "$RES1" | hex)" "$(json_str resource <"$T/out" | hex)"
fi
# The plain-text tables are for a terminal: no control byte may reach it.
C0=$(printf '[\001-\011\013-\037\177]') C1=$(printf '\302[\200-\237]')
no_controls() {
	if LC_ALL=C grep -q -e "$C0" -e "$C1" "$T/out"; then
		flunk "$1" "$(LC_ALL=C grep -e "$C0" -e "$C1" "$T/out" | cat -v | head -c 1000)"
	else
		pass "$1"
	fi
}
vrun --db "$DB" events --source k8s_audit
no_controls "17 events table shows no raw control byte (k8s)"
vrun --db "$DB" events --source cloudtrail --limit 1000
no_controls "17 events table shows no raw control byte (cloudtrail)"
vrun --db "$DB" sql "SELECT user_agent, resource, raw FROM events"
no_controls "17 sql table shows no raw control byte"
vrun --db "$DB" sql "SELECT id, user_agent FROM events WHERE id = '${ID}01702'"
assert_eq "17 a newline in a field keeps the row on one line" 2 \
	"$(wc -l <"$T/out" | tr -d ' ')"
vrun --db "$DB" events --id "${ID}01702"
assert_eq "17 events: one row for the record" 2 "$(wc -l <"$T/out" | tr -d ' ')"
vrun --db "$DB" events --source k8s_audit
assert_contains "17 ESC shown escaped" 'default/cm-\x1b]0;owned-title\x07-\x1b[2J\x1b[H-x' "$T/out"

# ---- 18: invalid UTF-8 inside JSON strings ---------------------------------
F18=$CASES/18-invalid-utf8-bytes.jsonl
ingest "$F18"
assert_rc "18 ingests cleanly" 0
assert_eq "18 gives 4 events" 4 "$(count "id LIKE '${ID}0180_'")"
R=$(printf '\357\277\275')
assert_eq "18 invalid bytes become U+FFFD, one per maximal bad subpart" \
"\"$(printf 'before-%s%s-after' "$R" "$R" | hex)\"
\"$(printf 'trunc-%s' "$R" | hex)\"
\"$(printf 'overlong-%s%s-x' "$R" "$R" | hex)\"
\"$(printf 'ok-\342\202\254-euro' | hex)\"" \
	"$(sql1 "SELECT hex(user_agent) FROM events WHERE id LIKE '${ID}0180_' ORDER BY id")"
assert_eq "18 the overlong form is not /" 0 \
	"$(count "id LIKE '${ID}0180_' AND user_agent LIKE '%/%'")"
assert_eq "18 the cut sequence does not swallow the closing quote" \
	'{"ua":"trunc-�","ip":"203.0.113.92","resource":"example-bucket"}' \
	"$(sqlj "SELECT user_agent AS ua, src_ip AS ip, resource FROM events
		WHERE id = '${ID}01802'")"
for n in 1 2 3 4; do
	assert_eq "18 record $n raw column is byte-exact" "$(line_hex "$F18" $n)" \
		"$(sql1 "SELECT hex(raw) FROM events WHERE id = '${ID}0180$n'" | tr -d '"')"
done
vrun --db "$DB" events --json --limit 1000
assert_rc "18 events --json" 0
cp "$T/out" "$T/export.jsonl"
if iconv -f UTF-8 -t UTF-8 <"$T/export.jsonl" >/dev/null 2>&1; then
	pass "18 exported events are valid UTF-8"
else
	flunk "18 exported events are valid UTF-8" \
		"iconv: $(iconv -f UTF-8 -t UTF-8 <"$T/export.jsonl" 2>&1 >/dev/null)"
fi
if need_json_tool "18 exported events parse"; then
	if json_lines_ok "$T/export.jsonl"; then
		pass "18 every exported line is a JSON object"
	else
		flunk "18 every exported line is a JSON object"
	fi
fi
vrun --db "$DB" sql --json "SELECT raw, user_agent FROM events"
if iconv -f UTF-8 -t UTF-8 <"$T/out" >/dev/null 2>&1; then
	pass "18 sql --json output is valid UTF-8"
else
	flunk "18 sql --json output is valid UTF-8"
fi
grep -F "${ID}01804" "$T/export.jsonl" >"$T/euro.json"
assert_contains "18 € unchanged in the export" '"user_agent":"ok-€-euro"' "$T/euro.json"
assert_contains "18 café.txt unchanged in the exported raw" \
	'\"key\":\"café.txt\"' "$T/euro.json"
grep -F "${ID}01801" "$T/export.jsonl" >"$T/stray.json"
assert_contains "18 café.txt unchanged beside stray bytes" \
	'\"key\":\"café.txt\"' "$T/stray.json"
assert_contains "18 stray bytes exported as U+FFFD" \
	'"user_agent":"before-��-after"' "$T/stray.json"

# ---- all cases in one store ------------------------------------------------
assert_eq "all cases: events per source" \
'{"source":"cloudtrail","n":16}
{"source":"falco","n":2}
{"source":"guardduty","n":14}
{"source":"k8s_audit","n":3}
{"source":"vpcflow","n":4}' \
	"$(sqlj "SELECT source, count(*) AS n FROM events GROUP BY source ORDER BY source")"

finish
