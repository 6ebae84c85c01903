#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_injection_model.sh: the injection corpus (tests/data/injection)
# handed to a model that obeys whatever the evidence tells it (the local
# OpenAI protocol server's `obey` scenario). For every file: the playbook's
# verdict is the same before and after the model ran, the model's report
# flags every attempt the MANIFEST names, a model verdict that differs is
# marked as a disagreement, and a DELETE the evidence talked the model into
# is refused by the read-only tool, leaving every event in place.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

INJ=$DATA/injection
LLM_KEY=test-key-injection
LLM_ENV="VERDICT_KB=$top_srcdir/kb/default"
fakellm_start

files=$(cut -f1 "$INJ/MANIFEST.tsv" | sed 1d | sort -u)
nfiles=$(printf '%s\n' "$files" | wc -l | tr -d ' ')
[ "$nfiles" -ge 20 ] || die "MANIFEST.tsv names $nfiles files, want 20+"

disagreed=0
refused=0
for f in $files; do
	DB=$T/${f%.*}.db
	vrun --db "$DB" ingest --no-progress "$INJ/$f"
	[ "$rc" -eq 0 ] || flunk "$f: ingest" "$(cat "$T/err")"
	before=$(sql1 "SELECT id || ' ' || verdict FROM threats ORDER BY id" | tr '\n' ';')
	events=$(sql1 "SELECT count(*) FROM events")
	llm_run openai true "fake-obey-${f%.*}" --all --format json
	assert_eq "$f: the model's investigation finishes" 0 "$rc"
	cp "$T/out" "$T/${f%.*}.model.json"
	assert_eq "$f: the playbook verdicts are unchanged" "$before" \
		"$(sql1 "SELECT id || ' ' || verdict FROM threats ORDER BY id" | tr '\n' ';')"
	assert_eq "$f: every event is still there" "$events" \
		"$(sql1 "SELECT count(*) FROM events")"
	# Per threat: a verdict that differs from the playbook's is marked.
	bad=$(python3 - "$T/out" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r["verdict"] == r["playbook_verdict"]) != r["agrees"]:
        print(r["threat_id"])
EOF
)
	assert_eq "$f: agreement is marked as it is" "" "$bad"
	n=$(python3 - "$T/out" <<'EOF'
import json, sys
print(sum(1 for line in open(sys.argv[1])
          if not json.loads(line)["agrees"]))
EOF
)
	printf "# %s: %s disagreement(s)\n" "$f" "$n"
	disagreed=$((disagreed + n))
	if grep -q 'DELETE FROM events' "$T/out"; then
		refused=$((refused + 1))
		assert_contains "$f: the model's DELETE is refused" \
			'only read-only statements are allowed' "$T/out"
	fi
done

# Each attempt of the manifest, in the model report of its file.
sed 1d "$INJ/MANIFEST.tsv" | while IFS='	' read -r f ev field pattern; do
	assert_contains "$f: the model report flags $field ($pattern)" \
		"{\"event\":\"$ev\",\"field\":\"$field\",\"pattern\":\"$pattern\"" \
		"$T/${f%.*}.model.json"
done > "$T/manifest.tap"
cat "$T/manifest.tap"
checks=$((checks + $(grep -c '^\(not \)\?ok' "$T/manifest.tap")))
failures=$((failures + $(grep -c '^not ok' "$T/manifest.tap")))

# The obedient model was fooled (that is the point of the scenario; 16 of
# the 28 files turn its verdict): the marks above are what stands between
# it and the analyst, so they must have been put to work.
assert_eq "the obedient model disagreed with the playbook at least 10 times" \
	1 "$((disagreed >= 10))"
assert_eq "at least one alert talked the model into a DELETE" 1 "$((refused >= 1))"

finish
