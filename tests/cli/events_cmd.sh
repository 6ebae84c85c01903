#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# events_cmd.sh: `verdict events` filters on real data (exact counts and
# ids), its JSON lines, and the program's help, version and usage errors.
. "${top_srcdir:-.}/tests/cli/lib.sh"

STRATUS=$DATA/stratus-red-team-detonations
OTRF=$DATA/otrf-aws-cloud-bank-breach-s3
ATTACKER=arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40

# ids ARGS...: the ids `verdict events --json ARGS` lists, in its order.
ids() {
	vrun --db "$DB" events --json "$@"
	[ "$rc" -eq 0 ] || {
		echo "exit $rc: $(cat "$T/err")"
		return
	}
	sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$T/out"
}

# lines ARGS...: how many events `verdict events --json ARGS` lists.
lines() {
	vrun --db "$DB" events --json "$@"
	wc -l <"$T/out" | tr -d ' '
}

# ---- a missing store -------------------------------------------------------
vrun --db "$T/missing.db" events
assert_rc "events on a missing store: exit 3" 3
assert_contains "events on a missing store: the message names it" \
	"missing.db" "$T/err"
assert_eq "events on a missing store: stdout empty" "" "$(cat "$T/out")"
[ -e "$T/missing.db" ] && flunk "events creates no store" ||
	pass "events creates no store"
vrun --db "$T/missing.db" sql "SELECT 1"
assert_rc "sql on a missing store: exit 3" 3

ingest "$STRATUS" "$OTRF" "$DATA/falco-alerts" "$CASES/01-ct-sourceip-not-an-ip.json"
assert_rc "real data ingests" 0
assert_eq "cloudtrail: 142 Stratus + 103 OTRF + 4 case records" 249 \
	"$(summary events cloudtrail)"

# ---- filters -----------------------------------------------------------------
assert_eq "--source falco" 16 "$(lines --source falco)"
assert_eq "--source cloudtrail stops at the default limit of 100" 100 \
	"$(lines --source cloudtrail)"
assert_eq "--limit 0 means no limit" 249 "$(lines --source cloudtrail --limit 0)"
assert_eq "--source nothing" 0 "$(lines --source no-such-source)"
assert_eq "--actor: the attacker's 11 calls" \
"19d32cc1-edab-4b96-9a11-2cd7794b2527
2308e1b4-ed27-49fc-b6e4-cc9a612c1c13
40266d7a-ea06-445b-875c-e17ea31b1bb4
46937d3a-6d68-4ba2-9520-a2ecf06dca32
5376677f-96d4-468a-9539-f0f7edbec349
771299cb-e200-4926-9604-c85358b30499
7d91ac29-614a-4af9-af5c-c5a80e63a0bb
bf575a0c-c344-4302-a468-00e6a84a127a
e5a92162-e061-4d33-a39c-c2b8ec9dbf83
edc2222c-5063-47fb-9fc0-c2ffb86b9d15
fddb4992-b7e8-4c4a-bce5-31fee5c25667" "$(ids --actor "$ATTACKER" | sort)"
vrun --db "$DB" events --json --limit 0
sed -n 's/.*"time_ns":\([0-9]*\),.*/\1/p' "$T/out" >"$T/times"
assert_eq "events come in time order" "$(sort -n "$T/times")" "$(cat "$T/times")"
assert_eq "--actor --limit 3: the first three" \
"7d91ac29-614a-4af9-af5c-c5a80e63a0bb
bf575a0c-c344-4302-a468-00e6a84a127a
5376677f-96d4-468a-9539-f0f7edbec349" "$(ids --actor "$ATTACKER" --limit 3)"
assert_eq "--actor --action GetObject" \
"771299cb-e200-4926-9604-c85358b30499
edc2222c-5063-47fb-9fc0-c2ffb86b9d15" \
	"$(ids --actor "$ATTACKER" --action GetObject)"
assert_eq "--actor --since (inclusive)" \
"40266d7a-ea06-445b-875c-e17ea31b1bb4
fddb4992-b7e8-4c4a-bce5-31fee5c25667" \
	"$(ids --actor "$ATTACKER" --since 2020-09-14T01:12:40Z --until 2020-09-14T01:13:00Z)"
assert_eq "--since and --until on OTRF" \
"0f902c35-794c-4864-b2e0-3c4564b857b0
c9dd614e-0d2e-4c01-992a-eec74b38399b" \
	"$(ids --source cloudtrail --since 2020-09-14T00:50:00Z --until 2020-09-14T00:51:00Z | sort)"
assert_eq "--until is exclusive, --since inclusive" \
"00000000-0000-4000-8000-000000000102
00000000-0000-4000-8000-000000000103" \
	"$(ids --since 2026-12-01T00:01:00Z --until 2026-12-01T00:03:00Z)"
assert_eq "--since as epoch seconds" \
"00000000-0000-4000-8000-000000000103
00000000-0000-4000-8000-000000000104" "$(ids --since 1796083320)"
assert_eq "--since a date" 4 "$(lines --since 2026-12-01)"
assert_eq "--ip: the attacker and pedro share 1.2.3.4" 98 "$(lines --ip 1.2.3.4)"
assert_eq "--ip an IPv6 address" "00000000-0000-4000-8000-000000000103" \
	"$(ids --ip 2001:db8:1234::abcd)"
assert_eq "--resource" 9 "$(lines --resource mordors3stack-s3bucket-llp2yingx64a --limit 0)"
assert_eq "--id" "c2a89408-340a-42f0-8ace-75d9f5769393" \
	"$(ids --id c2a89408-340a-42f0-8ace-75d9f5769393)"
assert_eq "--id unknown" "" "$(ids --id no-such-id)"
assert_eq "--source=falco --limit=2 (= forms)" 2 "$(lines --source=falco --limit=2)"

# ---- JSON lines --------------------------------------------------------------
vrun --db "$DB" events --json --id c2a89408-340a-42f0-8ace-75d9f5769393
assert_rc "events --json" 0
assert_contains "--json: the normalized fields" \
'{"id":"c2a89408-340a-42f0-8ace-75d9f5769393","time":"2024-07-31T12:50:02Z","time_ns":1722430202000000000,"source":"cloudtrail","kind":"api_call","action":"PutEventSelectors","actor":"arn:aws:iam::958312252124:user/christophe","actor_type":"IAMUser","src_ip":"221.254.191.250","resource":"stratus-red-team-ctes-trail-khlvciwdor","resource_type":"trail","account":"958312252124","region":"cn-northsouth-2r","outcome":"success","user_agent":"stratus-red-team_ce507fbd-078a-4e4c-975d-d80cb80df469","attrs":{' \
	"$T/out"
assert_lacks "--json: an absent field is left out, not null" '":null' "$T/out"
vrun --db "$DB" events --json --limit 0
cp "$T/out" "$T/all.jsonl"
assert_eq "--json --limit 0: one line per event" 265 "$(wc -l <"$T/all.jsonl" | tr -d ' ')"
if need_json_tool "--json lines parse"; then
	if json_lines_ok "$T/all.jsonl"; then
		pass "--json: every line is a JSON object"
	else
		flunk "--json: every line is a JSON object"
	fi
	vrun --db "$DB" events --json --id 7d91ac29-614a-4af9-af5c-c5a80e63a0bb
	assert_eq "--json: raw decodes to the stored record" \
		"$(sql1 "SELECT hex(raw) FROM events WHERE id = '7d91ac29-614a-4af9-af5c-c5a80e63a0bb'" | tr -d '"')" \
		"$(json_str raw <"$T/out" | hex)"
fi

# ---- the table ---------------------------------------------------------------
vrun --db "$DB" events --actor "$ATTACKER" --limit 1
assert_rc "the table" 0
assert_eq "the table: header and one row, long cells cut to 72 columns" \
"time                  source      action       actor                                                                     src      resource  outcome
2020-09-14T01:00:04Z  cloudtrail  ListBuckets  arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-…  1.2.3.4            success" \
	"$(sed 's/ *$//' "$T/out")"

# ---- help, version, usage errors ---------------------------------------------
vrun events --help
assert_rc "events --help: exit 0" 0
assert_contains "events --help: usage on stdout" "usage: verdict events" "$T/out"
vrun --help
assert_rc "--help: exit 0" 0
assert_contains "--help lists events" "events" "$T/out"
vrun --version
assert_rc "--version: exit 0" 0
version=
[ -f "${top_builddir:-.}/config.h" ] &&
	version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "${top_builddir:-.}/config.h")
if [ -n "$version" ]; then
	assert_eq "--version prints the version" "verdict $version" "$(cat "$T/out")"
else
	assert_match "--version prints the version" '^verdict [0-9]+\.[0-9]+' "$T/out"
fi
vrun --db "$DB" events --bogus
assert_rc "events: an unknown option is exit 2" 2
assert_contains "events: the unknown option is named" "--bogus" "$T/err"
vrun --db "$DB" events --since yesterday-ish
assert_rc "events: a bad time is exit 2" 2
assert_contains "events: the bad time is named" "yesterday-ish" "$T/err"
vrun --db "$DB" events --limit
assert_rc "events: a missing value is exit 2" 2
vrun --db "$DB" no-such-command
assert_rc "an unknown command is exit 2" 2
vrun
assert_rc "no command is exit 2" 2

finish
