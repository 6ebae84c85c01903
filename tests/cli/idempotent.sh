#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# idempotent.sh: ingesting the same data again, under another name, through
# gzip or from stdin, adds nothing: event ids are stable.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# all_new: the sum of the summary table's "new" column (rows as wide as
# its header; lines after the table are not rows).
all_new() {
	awk 'NR == 1 { w = NF; for (i = 1; i <= NF; i++) if ($i == "new") c = i; next }
	     NF == w && c && $c ~ /^[0-9]+$/ { n += $c } END { print n + 0 }' "$T/out"
}

# all_events: the sum of the summary table's "events" column.
all_events() {
	awk 'NR == 1 { w = NF; for (i = 1; i <= NF; i++) if ($i == "events") c = i; next }
	     NF == w && c && $c ~ /^[0-9]+$/ { n += $c } END { print n + 0 }' "$T/out"
}

ROWS="SELECT id, time, source, kind, action, actor, src_ip, resource,
	outcome, error_code, severity, attrs, hex(raw) AS raw
	FROM events ORDER BY id"

ingest "$DATA"
first_rc=$rc
case $rc in
0 | 1) pass "first run finishes (exit $rc)" ;;
*) flunk "first run finishes" "exit $rc: $(head -c 2000 "$T/err")" ;;
esac
n1=$(count 1)
ids1=$(sql1 "SELECT count(DISTINCT id) FROM events")
first_events=$(all_events)
if [ "$n1" -gt 0 ] && [ "$(all_new)" -eq "$n1" ]; then
	pass "first run: every new event is stored ($n1)"
else
	flunk "first run: every new event is stored" \
		"summary new $(all_new), stored $n1"
fi
assert_eq "ids are unique" "$n1" "$ids1"
identities1=$(sql1 "SELECT count(*) FROM identities")
rows1=$(sqlj "$ROWS")

ingest "$DATA"
assert_rc "second run: same status as the first" "$first_rc"
assert_eq "second run: the summary reports 0 new" 0 "$(all_new)"
assert_eq "second run: the same records are read" "$first_events" "$(all_events)"
assert_eq "second run: event count unchanged" "$n1" "$(count 1)"
assert_eq "second run: identities unchanged" "$identities1" \
	"$(sql1 "SELECT count(*) FROM identities")"
if [ "$rows1" = "$(sqlj "$ROWS")" ]; then
	pass "second run: every stored row unchanged"
else
	flunk "second run: every stored row unchanged"
fi

# The same files gzipped, under names that say nothing of their format.
mkdir "$T/odd"
STRATUS=$DATA/stratus-red-team-detonations
gzip -c "$STRATUS/aws.persistence.iam-backdoor-role.json" >"$T/odd/backup copy.LOG.bin"
gzip -c "$CASES/14-k8s-audit-stage-duplicates.jsonl" >"$T/odd/audit.txt.gz.1"
gzip -c "$CASES/09-vpc-default-nodata-skipdata.log" >"$T/odd/flows"
ingest "$T/odd"
assert_rc "gzip copies with odd names ingest" 0
assert_eq "gzip copies: the summary reports 0 new" 0 "$(all_new)"
# 1 CloudTrail record, 3 audit stages, 3 flows.
assert_eq "gzip copies: every record is read" 7 "$(all_events)"
assert_eq "gzip copies: event count unchanged" "$n1" "$(count 1)"

# And from stdin, plain and gzipped.
vrun --db "$DB" ingest --no-progress - <"$CASES/01-ct-sourceip-not-an-ip.json"
assert_rc "stdin ingests" 0
assert_eq "stdin: 4 records read" 4 "$(all_events)"
assert_eq "stdin: the summary reports 0 new" 0 "$(all_new)"
gzip -c "$STRATUS/aws.defense-evasion.cloudtrail-event-selectors.json" >"$T/sel.gz"
vrun --db "$DB" ingest --no-progress - <"$T/sel.gz"
assert_rc "gzip on stdin ingests" 0
assert_eq "gzip on stdin: 1 record read, 0 new" "1 0" "$(all_events) $(all_new)"
assert_eq "stdin: event count unchanged" "$n1" "$(count 1)"
if [ "$rows1" = "$(sqlj "$ROWS")" ]; then
	pass "after every re-ingest: every stored row unchanged"
else
	flunk "after every re-ingest: every stored row unchanged"
fi

finish
