#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bad_input.sh: hostile and broken input never crashes the ingest; each
# fault is reported with its file and line (and field), and the valid
# records around it are still stored. Big inputs are made in the temp dir.
. "${top_srcdir:-.}/tests/cli/lib.sh"

F02=$CASES/02-ct-identity-without-arn.jsonl

# ct ID: a valid CloudTrail record (case 02's IAM user) with event id ID.
ct() {
	sed -n 3p "$F02" | sed "s/00000000-0000-4000-8000-000000000203/$1/"
}

# survived DESC: the last ingest neither crashed nor failed outright.
survived() {
	case $rc in
	0 | 1) pass "$1: exit status $rc" ;;
	*) flunk "$1: exit status 0 or 1" "got $rc; stderr:" "$(head -c 2000 "$T/err")" ;;
	esac
}

# stored DESC N PREFIX: N events have ids starting with PREFIX.
stored() {
	assert_eq "$1" "$2" "$(count "id LIKE '$3%'")"
}

# error_lines: how many "verdict: error:" lines the last run printed.
error_lines() {
	grep -c '^verdict: error: ' "$T/err"
}

# ---- not JSON --------------------------------------------------------------
# One line of prose is one rejected record, not one per word: a reader that
# resyncs token by token reports "this", "is", "not", "json" apart and
# shifts every later record number.
{ ct notjson-1; echo 'this is not json'; ct notjson-2; } >"$T/notjson.jsonl"
ingest "$T/notjson.jsonl"
survived "not JSON"
assert_rc "not JSON: a rejected record is exit 1" 1
assert_match "not JSON: the error names file, line and record" \
	"^verdict: error: .*notjson\.jsonl:2: record 2: " "$T/err"
assert_eq "not JSON: one bad line is one rejected record" 1 "$(summary_errors)"
assert_eq "not JSON: one bad line is one error message" 1 "$(error_lines)"
stored "not JSON: the records around it are stored" 2 notjson-

# ---- truncated gzip --------------------------------------------------------
sed -n 3p "$F02" | awk '{ for (i = 1; i <= 3000; i++) { l = $0
	sub(/00000000-0000-4000-8000-000000000203/, sprintf("gz-%05d", i), l)
	print l } }' >"$T/many.jsonl"
gzip -c "$T/many.jsonl" >"$T/many.jsonl.gz"
size=$(wc -c <"$T/many.jsonl.gz")
head -c $((size / 2)) "$T/many.jsonl.gz" >"$T/cut.jsonl.gz"
ct after-gz >"$T/after-gz.jsonl"
ingest "$T/cut.jsonl.gz" "$T/after-gz.jsonl"
survived "truncated gzip"
assert_rc "truncated gzip is exit 1" 1
assert_match "truncated gzip: the error names the file" \
	"^verdict: error: .*cut\.jsonl\.gz:[0-9]+: .*truncated gzip" "$T/err"
got=$(count "id LIKE 'gz-%'")
last=$(sql1 "SELECT max(id) FROM events WHERE id LIKE 'gz-%'" | tr -d '"')
if [ "$got" -gt 0 ] && [ "$got" -lt 3000 ] && [ "$last" = "$(printf 'gz-%05d' "$got")" ]; then
	pass "truncated gzip: every whole record before the cut is stored ($got)"
else
	flunk "truncated gzip: every whole record before the cut is stored" \
		"expected records gz-00001..gz-N, 0 < N < 3000; got $got, last $last"
fi
stored "truncated gzip: the next file is still ingested" 1 after-gz

# ---- binary data -----------------------------------------------------------
# Deterministic noise: the ZX81 generator, exact in awk's doubles.
LC_ALL=C awk 'BEGIN { x = 7; for (i = 0; i < 8192; i++) {
	x = (x * 75 + 74) % 65537; printf "%c", x % 255 + 1 } }' >"$T/noise.bin"
printf '\000' >>"$T/noise.bin"
mkdir "$T/bindir"
cp "$T/noise.bin" "$T/bindir/capture.json"
ct bin-dir >"$T/bindir/good.jsonl"
ingest "$T/bindir"
survived "binary file"
assert_match "binary file: the error names the file" \
	"^verdict: error: .*bindir/capture\.json:[0-9]+: binary data" "$T/err"
stored "binary file: the valid file beside it is stored" 1 bin-dir
{ ct bin-line-1; head -c 300 "$T/noise.bin" | tr -d '\n\000'; echo; ct bin-line-2; } \
	>"$T/binline.jsonl"
ingest "$T/binline.jsonl"
survived "binary line"
assert_match "binary line: the error names file and line" \
	"^verdict: error: .*binline\.jsonl:2: " "$T/err"
stored "binary line: the records around it are stored" 2 bin-line-
gzip -c "$T/noise.bin" >"$T/noise.gz"
ingest "$T/noise.gz"
survived "binary inside gzip"
assert_match "binary inside gzip: the error names the file" \
	"^verdict: error: .*noise\.gz:[0-9]+: binary data" "$T/err"

# ---- a 100 MiB line --------------------------------------------------------
{
	ct big-1
	printf '{"a":"'
	head -c 104857600 /dev/zero | tr '\0' x
	printf '"}\n'
	ct big-2
} >"$T/big.jsonl"
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
	rc=0
	/usr/bin/time -o "$T/rss" -f %M "$VERDICT" --db "$DB" ingest --no-progress \
		"$T/big.jsonl" >"$T/out" 2>"$T/err" || rc=$?
	sane "$rc" "$T/err" "ingest big.jsonl"
	rss=$(tail -n 1 "$T/rss")
	if [ "$rss" -lt 409600 ]; then
		pass "100 MiB line: peak memory bounded (${rss} KiB)"
	else
		flunk "100 MiB line: peak memory under 400 MiB" "max RSS ${rss} KiB"
	fi
else
	ingest "$T/big.jsonl"
fi
rm -f "$T/big.jsonl"
survived "100 MiB line"
assert_match "100 MiB line: rejected with file and line" \
	"^verdict: error: .*big\.jsonl:2: record 2: record larger than" "$T/err"
assert_eq "100 MiB line: one rejected record" 1 "$(summary_errors)"
stored "100 MiB line: the records around it are stored" 2 big-
# The same for text, and for JSON, with a 1 MiB limit and a 3 MiB line.
{
	sed -n 1p "$CASES/09-vpc-default-nodata-skipdata.log"
	echo "2 111122223333 eni-0000000000000long 203.0.113.50 10.0.1.5 40001 443 6 1 100 1796083200 1796083260 ACCEPT OK"
	head -c 3145728 /dev/zero | tr '\0' 9
	echo
	echo "2 111122223333 eni-0000000000000long 203.0.113.50 10.0.1.5 40002 443 6 1 100 1796083200 1796083260 ACCEPT OK"
} >"$T/long.log"
ingest --max-record 1 "$T/long.log"
survived "3 MiB text line"
assert_match "3 MiB text line: rejected with file and line" \
	"^verdict: error: .*long\.log:3: .*longer than 1 MiB" "$T/err"
assert_eq "3 MiB text line: the flows around it are stored" 2 \
	"$(count "resource = 'eni-0000000000000long'")"
{ ct long-1; printf '["'; head -c 3145728 /dev/zero | tr '\0' y; printf '"]\n'; ct long-2; } \
	>"$T/long.jsonl"
ingest --max-record 1 "$T/long.jsonl"
survived "3 MiB JSON line"
assert_match "3 MiB JSON line: rejected with file and line" \
	"^verdict: error: .*long\.jsonl:2: record 2: record larger than 1 MiB" "$T/err"
stored "3 MiB JSON line: the records around it are stored" 2 long-
rm -f "$T/long.log" "$T/long.jsonl"

# ---- nesting 10,000 deep ---------------------------------------------------
{
	ct deep-1
	LC_ALL=C awk 'BEGIN { for (i = 0; i < 10000; i++) printf "[";
		for (i = 0; i < 10000; i++) printf "]"; printf "\n" }'
	ct deep-2
	LC_ALL=C awk 'BEGIN { for (i = 0; i < 10000; i++) printf "{\"a\":";
		printf "1"; for (i = 0; i < 10000; i++) printf "}"; printf "\n" }'
	ct deep-3
} >"$T/deep.jsonl"
ingest "$T/deep.jsonl"
survived "10,000 deep"
assert_match "10,000 deep arrays: a clear error with file and line" \
	"^verdict: error: .*deep\.jsonl:2: record 2: .*nested deeper" "$T/err"
assert_match "10,000 deep objects: a clear error with file and line" \
	"^verdict: error: .*deep\.jsonl:4: record 4: .*nested deeper" "$T/err"
stored "10,000 deep: the records around it are stored" 3 deep-

# ---- numbers out of range --------------------------------------------------
GD=$(sed -n 2p "$CASES/11-gd-critical-severity-eventbridge.jsonl")
{
	ct num-1
	printf '%s\n' "$GD" | sed 's/"severity":8.9/"severity":1e400/; s/0000000000000000000000000000aa02/num-gd-huge/g'
	printf '%s\n' "$GD" | sed 's/"severity":8.9/"severity":-1e400/; s/0000000000000000000000000000aa02/num-gd-tiny/g'
	ct num-year | sed 's/"eventTime":"2026-12-01T00:02:00Z"/"eventTime":"99999-12-01T00:02:00Z"/'
	ct num-2
} >"$T/numbers.jsonl"
ingest "$T/numbers.jsonl"
survived "numbers out of range (JSON)"
stored "numbers out of range: every record is stored" 5 num-
assert_match "year 99999: a warning names file, line and field" \
	"^verdict: warning: .*numbers\.jsonl:4: record 4: field \`eventTime\`" "$T/err"
assert_eq "year 99999: kept with no time" null \
	"$(sql1 "SELECT time FROM events WHERE id = 'num-year'")"
assert_match "severity 1e400: a warning names file, line and field" \
	"^verdict: warning: .*numbers\.jsonl:2: record 2: field \`severity\`" "$T/err"
assert_eq "severity +-1e400: out of every band is unknown" \
	'"unknown"
"unknown"' \
	"$(sql1 "SELECT severity FROM events WHERE id LIKE 'num-gd-%' ORDER BY id")"
{
	sed -n 1p "$CASES/09-vpc-default-nodata-skipdata.log"
	echo "2 111122223333 eni-00000000000000num 203.0.113.60 10.0.1.5 99999999999999999999 443 6 10 5200 1796083200 1796083260 ACCEPT OK"
	echo "2 111122223333 eni-00000000000000num 203.0.113.61 10.0.1.5 49152 443 6 99999999999999999999999 5200 1796083200 1796083260 ACCEPT OK"
	echo "2 111122223333 eni-00000000000000num 203.0.113.62 10.0.1.5 49152 443 6 10 5200 99999999999999999999 1796083260 ACCEPT OK"
	echo "2 111122223333 eni-00000000000000num 203.0.113.63 10.0.1.5 49152 70000 6 10 5200 1796083200 1796083260 ACCEPT OK"
	echo "2 111122223333 eni-00000000000000num 203.0.113.64 10.0.1.5 49153 443 6 10 5200 1796083200 1796083260 ACCEPT OK"
} >"$T/numbers.log"
ingest "$T/numbers.log"
survived "numbers out of range (flow log)"
assert_match "port 99999999999999999999: a warning names file, line and field" \
	"^verdict: warning: .*numbers\.log:2: record 1: field \`srcport\`" "$T/err"
assert_match "packets 99999999999999999999999: warning names the field" \
	"^verdict: warning: .*numbers\.log:3: record 2: field \`packets\`" "$T/err"
assert_match "start 99999999999999999999: warning names the field" \
	"^verdict: warning: .*numbers\.log:4: record 3: field \`start\`" "$T/err"
assert_match "port 70000: warning names the field" \
	"^verdict: warning: .*numbers\.log:5: record 4: field \`dstport\`" "$T/err"
assert_eq "numbers out of range: the flows are kept, the bad numbers absent" \
'{"src_ip":"203.0.113.60","src_port":null,"dst_port":443,"packets":10,"time":1796083200000000000}
{"src_ip":"203.0.113.61","src_port":49152,"dst_port":443,"packets":null,"time":1796083200000000000}
{"src_ip":"203.0.113.62","src_port":49152,"dst_port":443,"packets":10,"time":null}
{"src_ip":"203.0.113.63","src_port":49152,"dst_port":null,"packets":10,"time":1796083200000000000}
{"src_ip":"203.0.113.64","src_port":49153,"dst_port":443,"packets":10,"time":1796083200000000000}' \
	"$(sqlj "SELECT src_ip, src_port, dst_port,
		json_extract(attrs, '\$.packets') AS packets, time FROM events
		WHERE resource = 'eni-00000000000000num' ORDER BY src_ip")"

# ---- invalid UTF-8 ---------------------------------------------------------
{
	ct utf8-1
	ct utf8-2 | sed "$(printf 's/"eventName":"CreateTags"/"eventName":"Create\377\300Tags","\376\376key":"v"/')"
	printf '{"a":1}\377\376\n'
	ct utf8-3
} >"$T/utf8.jsonl"
{
	sed -n 1p "$CASES/09-vpc-default-nodata-skipdata.log"
	printf '2 111122223333 eni-\377\376utf8 203.0.113.70 10.0.1.5 49152 443 6 10 5200 1796083200 1796083260 ACC\300\257EPT OK\n'
	echo "2 111122223333 eni-0000000000000utf8 203.0.113.71 10.0.1.5 49152 443 6 10 5200 1796083200 1796083260 ACCEPT OK"
} >"$T/utf8.log"
ingest "$T/utf8.jsonl" "$T/utf8.log"
survived "invalid UTF-8"
stored "invalid UTF-8: the JSON records are stored" 3 utf8-
assert_eq "invalid UTF-8: bad bytes in a value become U+FFFD" \
	"\"$(printf 'Create\357\277\275\357\277\275Tags' | hex)\"" \
	"$(sql1 "SELECT hex(action) FROM events WHERE id = 'utf8-2'")"
assert_match "invalid UTF-8: junk after a value names file and line" \
	"^verdict: (error|warning): .*utf8\.jsonl:3: " "$T/err"
assert_match "invalid UTF-8 in a flow: a warning names the field" \
	"^verdict: warning: .*utf8\.log:2: record 1: field \`action\`" "$T/err"
assert_eq "invalid UTF-8 in a flow: both flows are stored" \
	"\"$(printf 'eni-\357\277\275\357\277\275utf8' | hex)\"
\"$(printf 'eni-0000000000000utf8' | hex)\"" \
	"$(sql1 "SELECT hex(resource) FROM events WHERE src_ip IN
		('203.0.113.70', '203.0.113.71') ORDER BY src_ip")"
vrun --db "$DB" events --json --limit 100000
if iconv -f UTF-8 -t UTF-8 <"$T/out" >/dev/null 2>&1; then
	pass "invalid UTF-8: exported events are valid UTF-8"
else
	flunk "invalid UTF-8: exported events are valid UTF-8"
fi

# ---- empty and blank files -------------------------------------------------
before=$(count 1)
: >"$T/empty.jsonl"
printf ' \n\t\r\n   \n\n' >"$T/blank.json"
gzip -c "$T/empty.jsonl" >"$T/empty.json.gz"
for f in empty.jsonl blank.json empty.json.gz; do
	ingest "$T/$f"
	assert_rc "$f: nothing to do is success" 0
	assert_eq "$f: no error" "" "$(grep error "$T/err")"
done
vrun --db "$DB" ingest --no-progress - </dev/null
assert_rc "empty stdin: success" 0
assert_eq "empty and blank files: no events" "$before" "$(count 1)"

# ---- a directory with files that cannot be read ----------------------------
mkdir "$T/mixed"
ct mixed-1 >"$T/mixed/a.jsonl"
ct mixed-2 >"$T/mixed/z.jsonl"
ln -s "$T/nowhere.json" "$T/mixed/dangling.json"
ingest "$T/mixed"
survived "dangling link in a directory"
assert_rc "dangling link: exit 1" 1
assert_match "dangling link: the error names the file" \
	"^verdict: error: .*mixed/dangling\.json" "$T/err"
stored "dangling link: the readable files are stored" 2 mixed-
# A file its reader may not open. root reads anything, so drop to nobody
# when running as root, if this system lets us.
ct locked-1 >"$T/mixed/b.jsonl"
ct locked-2 >"$T/mixed/c.jsonl"
ct locked-3 >"$T/mixed/secret.json"
chmod 000 "$T/mixed/secret.json"
chmod a+r "$T"/mixed/*.jsonl
as_user=
if [ "$(id -u)" -eq 0 ]; then
	as_user=none
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$T"
	chmod 777 "$T/mixed"
	mkdir -m 777 "$T/nobody"
	if command -v setpriv >/dev/null 2>&1 &&
	   $nobody "$VERDICT" --version >/dev/null 2>&1 &&
	   $nobody sh -c 'test -r "$1" && test -w "$2"' sh "$T/mixed/b.jsonl" \
		"$T/nobody" 2>/dev/null; then
		as_user=$nobody
	fi
fi
if [ "$as_user" = none ]; then
	printf 'skip - unreadable file: root here, and cannot run as nobody\n'
else
	udb=$DB
	[ -n "$as_user" ] && udb=$T/nobody/events.db
	rc=0
	$as_user "$VERDICT" --db "$udb" ingest --no-progress "$T/mixed" \
		>"$T/out" 2>"$T/err" || rc=$?
	sane "$rc" "$T/err" "ingest (as nobody) mixed/"
	survived "unreadable file"
	assert_match "unreadable file: the error names the file" \
		"^verdict: error: .*mixed/secret\.json.*(ermission|cannot)" "$T/err"
	assert_eq "unreadable file: the readable files are stored" 2 \
		"$(count "id LIKE 'locked-%'" "$udb")"
fi

finish
