#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sql_readonly.sh: `verdict sql` answers SELECTs exactly and refuses every
# statement that would write, however it is dressed up.
. "${top_srcdir:-.}/tests/cli/lib.sh"

ingest "$CASES/01-ct-sourceip-not-an-ip.json" "$CASES/09-vpc-default-nodata-skipdata.log"
assert_rc "the store is filled" 0
n=$(count 1)
assert_eq "7 events to guard" 7 "$n"
version=$(sql1 "PRAGMA user_version")
sum_before=$(cksum <"$DB")

# refused DESC SQL: the statement fails with a message and changes nothing.
refused() {
	vrun --db "$DB" sql "$2"
	if [ "$rc" -ne 0 ] && [ -s "$T/err" ]; then
		pass "$1 is refused (exit $rc: $(head -n 1 "$T/err"))"
	else
		flunk "$1 is refused with a message" "exit $rc, stderr: $(cat "$T/err")" \
			"stdout: $(head -c 500 "$T/out")"
	fi
	assert_eq "$1 leaves the events" "$n" "$(count 1)"
}

refused "DELETE" "DELETE FROM events"
refused "DELETE with a WHERE" "DELETE FROM events WHERE source = 'vpcflow'"
refused "INSERT" "INSERT INTO events (id, source) VALUES ('x', 'y')"
refused "REPLACE" "REPLACE INTO events (id, source) VALUES ('x', 'y')"
refused "UPDATE" "UPDATE events SET actor = 'mallory'"
refused "DROP TABLE" "DROP TABLE events"
refused "DROP INDEX" "DROP INDEX IF EXISTS events_time"
refused "CREATE TABLE" "CREATE TABLE t (a)"
refused "CREATE TEMP TABLE" "CREATE TEMP TABLE t (a)"
refused "CREATE TRIGGER" "CREATE TRIGGER t AFTER INSERT ON events BEGIN DELETE FROM events; END"
refused "ALTER TABLE" "ALTER TABLE events ADD COLUMN z"
refused "ATTACH" "ATTACH DATABASE '$T/attached.db' AS x"
refused "PRAGMA user_version=5" "PRAGMA user_version=5"
refused "PRAGMA journal_mode" "PRAGMA journal_mode=DELETE"
refused "PRAGMA schema_version" "PRAGMA schema_version=99"
refused "PRAGMA application_id" "PRAGMA application_id=7"
refused "VACUUM" "VACUUM"
refused "VACUUM INTO" "VACUUM INTO '$T/copy.db'"
refused "REINDEX" "REINDEX"
refused "a CTE that deletes" "WITH x AS (SELECT 1) DELETE FROM events"
refused "SELECT then DELETE" "SELECT 1; DELETE FROM events"
refused "SELECT then DELETE, no space" "SELECT 1;DELETE FROM events"
refused "a semicolon in a string, then DELETE" "SELECT ';'; DELETE FROM events"
refused "DELETE after a comment" "SELECT 1 -- ;
; DELETE FROM events"
refused "DELETE after a block comment" "SELECT 1 /* x */; DELETE FROM events"
refused "two SELECTs then DROP" "SELECT 1; SELECT 2; DROP TABLE events"
refused "load_extension" "SELECT load_extension('$T/nothing.so')"
refused "not SQL" "SELEC 1"
[ -e "$T/attached.db" ] && flunk "ATTACH created no file" || pass "ATTACH created no file"
[ -e "$T/copy.db" ] && flunk "VACUUM INTO wrote no file" || pass "VACUUM INTO wrote no file"
assert_eq "user_version unchanged" "$version" "$(sql1 "PRAGMA user_version")"
assert_eq "the store's bytes unchanged" "$sum_before" "$(cksum <"$DB")"
assert_eq "the tables are all there" \
	'"events"
"identities"' \
	"$(sql1 "SELECT name FROM sqlite_master WHERE type = 'table'
		AND name IN ('events', 'identities') ORDER BY name")"

vrun --db "$DB" sql
assert_rc "no query is a usage error" 2
vrun --db "$DB" sql "SELECT 1" "SELECT 2"
assert_rc "two query arguments are a usage error" 2

# A SELECT works, as a table and as JSON, with exact values.
vrun --db "$DB" sql "SELECT id, src_ip, action FROM events WHERE source = 'cloudtrail' ORDER BY id"
assert_rc "SELECT as a table" 0
assert_eq "SELECT as a table: exact output" \
"id                                    src_ip               action
00000000-0000-4000-8000-000000000101                       GetBucketLocation
00000000-0000-4000-8000-000000000102                       GetDownloadUrlForLayer
00000000-0000-4000-8000-000000000103  2001:db8:1234::abcd  DescribeInstances
00000000-0000-4000-8000-000000000104  203.0.113.10         DescribeInstances" \
	"$(cat "$T/out")"
vrun --db "$DB" sql --json "SELECT id, src_ip, src_port, protocol, json_extract(attrs, '\$.bytes') AS bytes, time FROM events WHERE source = 'vpcflow' ORDER BY time"
assert_rc "SELECT as JSON" 0
assert_eq "SELECT as JSON: exact output, NULLs as null" \
'{"id":"dab4d01278d7e73fc9339a36946948bd","src_ip":"203.0.113.10","src_port":49152,"protocol":"tcp","bytes":5200,"time":1796083200000000000}
{"id":"1503b918a0112df2a9fbeaf8d7b35fe1","src_ip":null,"src_port":null,"protocol":null,"bytes":null,"time":1796083260000000000}
{"id":"f93a4cd931880b34c1c709af69233fa0","src_ip":null,"src_port":null,"protocol":null,"bytes":null,"time":1796083320000000000}' \
	"$(cat "$T/out")"
vrun --db "$DB" sql --json "SELECT source, count(*) AS n FROM events GROUP BY source ORDER BY source; "
assert_rc "one SELECT with a trailing semicolon" 0
assert_eq "aggregate as JSON" \
'{"source":"cloudtrail","n":4}
{"source":"vpcflow","n":3}' "$(cat "$T/out")"
vrun --db "$DB" sql --json "SELECT kind, count(*) AS n FROM identities GROUP BY kind"
assert_rc "the identities table is readable" 0
assert_eq "no identities in this store" "" "$(cat "$T/out")"
vrun --db "$DB" sql "SELECT 1 WHERE 0"
assert_rc "an empty result is success" 0

finish
