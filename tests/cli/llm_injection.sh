#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_injection.sh: the injection corpus (tests/data/injection) through the
# real binary. Each alert and its clean twin go into stores of their own and
# are investigated by the playbooks: the verdicts and confidences must be
# the same with and without the planted text, and every row of MANIFEST.tsv
# must appear in the injected alert's report, in its "injection" array.
. "${top_srcdir:-.}/tests/cli/lib.sh"

INJ=$DATA/injection

# verdicts DB: the sorted "verdict confidence" of every threat in a store.
verdicts() {
	sql1 "SELECT verdict || ' ' || confidence FROM threats
	      ORDER BY verdict, confidence" "$1" | tr '\n' ';'
}

# investigated FILE DB REPORTS: ingest one alert, run the Sigma rules (the
# CloudTrail and Kubernetes alerts become threats that way) and every
# playbook, the reports as JSON lines in REPORTS.
investigated() {
	vrun --db "$2" ingest --no-progress "$1"
	[ "$rc" -eq 0 ] || flunk "ingest $(basename "$1")" "$(cat "$T/err")"
	vrun --db "$2" detect
	vrun --db "$2" investigate --all --format json
	[ "$rc" -eq 0 ] || flunk "investigate $(basename "$1")" "$(cat "$T/err")"
	cp "$T/out" "$3"
}

files=$(cut -f1 "$INJ/MANIFEST.tsv" | sed 1d | sort -u)
nfiles=$(printf '%s\n' "$files" | wc -l | tr -d ' ')
[ "$nfiles" -ge 24 ] || die "MANIFEST.tsv names $nfiles files, want 24+"

for f in $files; do
	base=$T/${f%.*}
	investigated "$INJ/$f" "$base.inj.db" "$base.inj.json"
	investigated "$INJ/clean/$f" "$base.clean.db" "$base.clean.json"
	want=$(verdicts "$base.clean.db")
	[ -n "$want" ] || flunk "$f: the clean twin makes a threat"
	assert_eq "$f: playbook verdicts unchanged by the injection" \
		"$want" "$(verdicts "$base.inj.db")"
	assert_lacks "$f: the clean twin's report flags nothing" \
		'"injection":[{' "$base.clean.json"
	assert_contains "$f: the attempt is a key finding, scored zero" \
		'"text":"Text in the evidence reads like instructions to an automated analyst' \
		"$base.inj.json"
	assert_lacks "$f: no such key finding without the injection" \
		'reads like instructions' "$base.clean.json"
done

# Each finding of the manifest, as the report writes it.
sed 1d "$INJ/MANIFEST.tsv" | while IFS='	' read -r f ev field pattern; do
	assert_contains "$f: $field flagged as $pattern" \
		"{\"event\":\"$ev\",\"field\":\"$field\",\"pattern\":\"$pattern\"" \
		"$T/${f%.*}.inj.json"
done > "$T/manifest.tap"
cat "$T/manifest.tap"
# The loop ran in a subshell: count its results here.
checks=$((checks + $(grep -c '^\(not \)\?ok' "$T/manifest.tap")))
failures=$((failures + $(grep -c '^not ok' "$T/manifest.tap")))

# JSON on a terminal: the bidi override of the Falco command line is
# written as an escape, never as the raw character.
vrun --db "$T/falco-cmdline-bidi.inj.db" events --json
assert_contains "events --json escapes the bidi override" '\u202e' "$T/out"
RLO=$(printf '\342\200\256')
assert_lacks "events --json carries no raw bidi override" "$RLO" "$T/out"

finish
