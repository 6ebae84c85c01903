# SPDX-License-Identifier: Apache-2.0
# lib.sh: shared helpers for the console tests, which run the real verdict
# binary: a temporary directory per test, a runner that fails on crashes and
# sanitizer reports, and assertions that print what was expected and got.
#
# Sourced by each tests/cli/*.sh. `make check` sets top_srcdir and VERDICT;
# run by hand as  top_srcdir=/path/to/src VERDICT=/path/to/verdict sh x.sh
# Every check runs; a test exits 1 at the end (finish) if any failed, and at
# once (die) when it cannot go on.

set -u

top_srcdir=${top_srcdir:-.}
VERDICT=${VERDICT:-${top_builddir:-.}/verdict}
DATA=$top_srcdir/tests/data
CASES=$DATA/cases
test_name=$(basename "$0" .sh)

# Sanitizer exit codes apart from verdict's own 0-3, so that a report from
# an ASan/UBSan build is never taken for "some records rejected".
ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="exitcode=87:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

checks=0
failures=0

die() {
	printf 'FAIL: %s: %s\n' "$test_name" "$*" >&2
	exit 1
}

[ -x "$VERDICT" ] || die "no verdict binary at $VERDICT (set VERDICT)"
[ -d "$DATA" ] || die "no test data at $DATA (set top_srcdir)"

T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-$test_name.XXXXXX") ||
	die "cannot make a temporary directory"
trap 'rm -rf "$T"' EXIT
trap 'exit 130' HUP INT TERM
# Nothing may reach the user's own store or configuration.
HOME=$T/home XDG_DATA_HOME=$T/xdg-data XDG_CONFIG_HOME=$T/xdg-config
export HOME XDG_DATA_HOME XDG_CONFIG_HOME
DB=$T/events.db

# ---- assertions -----------------------------------------------------------

pass() {
	checks=$((checks + 1))
	printf 'ok - %s\n' "$1"
}

# flunk DESC [DETAIL...]: record a failed check and go on.
flunk() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	printf 'not ok - %s\n' "$1"
	shift
	for line in "$@"; do
		printf '  %s\n' "$line"
	done
}

# assert_eq DESC EXPECTED GOT
assert_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		flunk "$1" "expected: $2" "     got: $3"
	fi
}

# assert_rc DESC EXPECTED: the status of the last vrun.
assert_rc() {
	if [ "$rc" -eq "$2" ]; then
		pass "$1"
	else
		flunk "$1" "expected exit status $2, got $rc; stderr:" \
			"$(head -c 2000 "$T/err")"
	fi
}

# assert_contains DESC TEXT FILE: FILE holds TEXT (a fixed string).
assert_contains() {
	if grep -qF -- "$2" "$3"; then
		pass "$1"
	else
		flunk "$1" "expected to find: $2" "in $(basename "$3"):" \
			"$(head -c 2000 "$3")"
	fi
}

# assert_lacks DESC TEXT FILE: FILE does not hold TEXT.
assert_lacks() {
	if grep -qF -- "$2" "$3"; then
		flunk "$1" "did not expect: $2" "in $(basename "$3"):" \
			"$(grep -F -- "$2" "$3" | head -c 2000)"
	else
		pass "$1"
	fi
}

# assert_match DESC ERE FILE: a line of FILE matches the extended regex.
assert_match() {
	if grep -qE -- "$2" "$3"; then
		pass "$1"
	else
		flunk "$1" "expected a line matching: $2" "in $(basename "$3"):" \
			"$(head -c 2000 "$3")"
	fi
}

# finish: the test's verdict; call it last.
finish() {
	if [ "$failures" -gt 0 ]; then
		printf 'FAIL: %s: %d of %d checks failed\n' "$test_name" \
			"$failures" "$checks"
		exit 1
	fi
	printf 'PASS: %s: %d checks\n' "$test_name" "$checks"
	exit 0
}

# ---- running verdict ------------------------------------------------------

# run_into OUT ERR ARGS...: run verdict with stdout and stderr to files and
# its status in $status. A signal, a sanitizer report or a sanitizer exit
# code ends the test: nothing verdict is given may crash it.
run_into() {
	out=$1 err=$2
	shift 2
	status=0
	"$VERDICT" "$@" >"$out" 2>"$err" || status=$?
	sane "$status" "$err" "$*"
}

# sane STATUS ERRFILE WHAT: end the test if verdict crashed or a sanitizer
# spoke; for runs made without run_into.
sane() {
	if grep -qE 'Sanitizer|runtime error:' "$2" || [ "$1" -ge 86 ]; then
		cat "$2" >&2
		die "verdict $3 (exit $1): crash or sanitizer report above"
	fi
	return 0
}

# vrun ARGS...: run verdict; stdout in $T/out, stderr in $T/err, status in
# $rc, for the assertions that follow.
vrun() {
	run_into "$T/out" "$T/err" "$@"
	rc=$status
}

# ingest ARGS...: `verdict --db $DB ingest --no-progress ARGS`.
ingest() {
	vrun --db "$DB" ingest --no-progress "$@"
}

# sqlj QUERY [DB]: the rows of a read-only query as verdict's JSON lines.
# Comparing those lines whole checks values, types and NULLs at once. It
# leaves $T/out, $T/err and $rc of the last vrun alone.
sqlj() {
	run_into "$T/sql.out" "$T/sql.err" --db "${2:-$DB}" sql --json "$1"
	[ "$status" -eq 0 ] ||
		die "verdict sql \"$1\" failed ($status): $(cat "$T/sql.err")"
	cat "$T/sql.out"
}

# sql1 QUERY [DB]: one column's value per row, as JSON text: "text", 12,
# 9.0 or null (a NULL and an empty string stay apart).
sql1() {
	sqlj "$@" | sed -E 's/^[{]"([^"\\]|\\.)*"://; s/[}]$//'
}

# count WHERE [DB]: the number of events matching an SQL condition.
count() {
	sql1 "SELECT count(*) FROM events WHERE $1" "${2:-$DB}"
}

# summary COLUMN SOURCE: a cell of the ingest summary table in $T/out.
summary() {
	awk -v col="$1" -v src="$2" '
		NR == 1 { w = NF; for (i = 1; i <= NF; i++) at[$i] = i; next }
		NF == w && $1 == src && (col in at) { print $(at[col]); found = 1 }
		END { if (!found) print "none" }' "$T/out"
}

# summary_errors: the "N errors (records rejected)" figure in $T/out.
summary_errors() {
	sed -n 's/.* \([0-9][0-9]*\) errors (records rejected).*/\1/p' "$T/out"
}

# ---- bytes and JSON -------------------------------------------------------

# hex: stdin as upper-case hex, the form SQLite's hex() gives.
hex() {
	od -An -tx1 -v | tr -d ' \n' | tr 'abcdef' 'ABCDEF'
}

# line_hex FILE N: line N of FILE without its newline, in hex.
line_hex() {
	sed -n "$2p" "$1" | tr -d '\n' | hex
}

if command -v jq >/dev/null 2>&1; then
	json_tool=jq
elif command -v python3 >/dev/null 2>&1; then
	json_tool=python3
else
	json_tool=
fi

# json_str FIELD: the string FIELD of the JSON object on stdin, decoded,
# written byte for byte with no newline added.
json_str() {
	case $json_tool in
	jq) jq -j --arg f "$1" '.[$f]' ;;
	python3) python3 -c 'import json, sys
v = json.loads(sys.stdin.buffer.read())[sys.argv[1]]
sys.stdout.buffer.write(v.encode("utf-8", "surrogatepass"))' "$1" ;;
	*) return 1 ;;
	esac
}

# json_lines_ok FILE: every line of FILE is one JSON object.
json_lines_ok() {
	case $json_tool in
	jq) [ "$(jq -s 'map(select(type == "object")) | length' "$1" \
			2>/dev/null)" = "$(wc -l <"$1" | tr -d ' ')" ] ;;
	python3) python3 -c 'import json, sys
for line in open(sys.argv[1], "rb"):
    if not isinstance(json.loads(line), dict):
        sys.exit(1)' "$1" 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# need_json_tool DESC: true when JSON can be decoded here; notes a skip.
need_json_tool() {
	[ -n "$json_tool" ] && return 0
	printf 'skip - %s (neither jq nor python3 found)\n' "$1"
	return 1
}
