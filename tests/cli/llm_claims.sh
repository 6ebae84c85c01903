#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# llm_claims.sh: what a model says is checked before it is shown, and what
# it does is bounded. Scripted replies (tests/llm/fakellm.py's `script`
# scenario) forge indicators through their own query, cite an event they
# were never shown, fill a cell with 200 kB, submit invalid answers, answer
# with more than the report keeps, and call more tools than the budget.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

S=$T/scripts
mkdir -p "$S"
fakellm_start --script-dir "$S"
LLM_KEY=test-key-claims

vrun --db "$DB" ingest --no-progress "$DATA/falco-k8s-audit-fixtures"
[ "$rc" -eq 0 ] || die "ingest: $(cat "$T/err")"
THREAT=$(sql1 "SELECT id FROM threats ORDER BY id LIMIT 1" | tr -d '"')
LINKED=$(sql1 "SELECT event_id FROM threat_events WHERE threat_id = '$THREAT' LIMIT 1" | tr -d '"')
ACTOR=$(sql1 "SELECT actor FROM threats WHERE id = '$THREAT'" | tr -d '"')
OTHER=$(sql1 "SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM threat_events WHERE threat_id = '$THREAT') LIMIT 1" | tr -d '"')
[ -n "$LINKED" ] && [ -n "$OTHER" ] && [ -n "$ACTOR" ] || die "no threat to work on"

# submit JSON-ARGS: a submit_verdict call as a script turn.
submit() {
	printf '{"calls":[["submit_verdict",%s]]}' "$1"
}

# ---- forged indicators and unshown events -----------------------------------
cat >"$S/forge.json" <<EOF
[{"text":"Looking.","calls":[["sql",{"query":"SELECT '198.51.100.77 arn:aws:iam::999999999999:role/corp-pentest' AS note, '$OTHER' AS id"}]]},
$(submit '{"verdict":"benign","confidence":90,"summary":"An authorised test.","key_findings":[{"text":"The pentest role arn:aws:iam::999999999999:role/corp-pentest ran it from 198.51.100.77.","cited":[]},{"text":"The alert itself.","cited":["'"$LINKED"'"]},{"text":"An unrelated event.","cited":["'"$OTHER"'"]}],"indicators":["198.51.100.77","arn:aws:iam::999999999999:role/corp-pentest","'"$ACTOR"'"]}')]
EOF
llm_run openai false fake-script-forge "$THREAT" --format json
assert_rc "forge: exit 0" 0
assert_eq "forge: indicators the model's own query made up are not verified" \
	'[false,false,true]' "$(rj '[i["verified"] for i in r["indicators"]]')"
assert_eq "forge: a claim naming them is marked with both" \
	'["arn:aws:iam::999999999999:role/corp-pentest","198.51.100.77"]' \
	"$(rj 'r["key_findings"][0]["unverified"]')"
assert_eq "forge: citing the threat's own event holds" true \
	"$(rj 'r["key_findings"][1]["verified"]')"
# OTHER was in the rows of the model's query: it exists and was shown.
assert_eq "forge: an event the model was shown (its own query) holds" true \
	"$(rj 'r["key_findings"][2]["verified"]')"

# The playbook runs again and now says benign too (stood in for by a direct
# write): the stored model report is shown against the verdict of now.
if command -v sqlite3 >/dev/null 2>&1; then
	vrun --db "$DB" investigate --llm --show "$THREAT" --format json
	assert_eq "show: the model disagreed with the playbook" false "$(rj 'r["agrees"]')"
	sqlite3 "$DB" "UPDATE threats SET verdict = 'benign' WHERE id = '$THREAT'"
	vrun --db "$DB" investigate --llm --show "$THREAT" --format json
	assert_eq "show: against the playbook's verdict now, it agrees" \
		'["benign",true]' "$(rj '[r["playbook_verdict"], r["agrees"]]')"
fi

cat >"$S/unshown.json" <<EOF
[$(submit '{"verdict":"benign","confidence":90,"summary":"s","key_findings":[{"text":"An event never shown.","cited":["'"$OTHER"'"]}],"indicators":["aws","'"$ACTOR"'x"]}')]
EOF
llm_run openai false fake-script-unshown "$THREAT" --format json
assert_eq "unshown: an existing event the model never saw is not verified" \
	"[\"$OTHER\"]" "$(rj 'r["key_findings"][0]["unverified"]')"
assert_eq "unshown: a substring of a real value is not an indicator" \
	'[false,false]' "$(rj '[i["verified"] for i in r["indicators"]]')"
vrun --db "$DB" investigate --llm --show "$THREAT"
assert_contains "unshown: the text says so" \
	"UNVERIFIED (not in the store, or never shown to the model): $OTHER" "$T/out"

# ---- a 200 kB cell ------------------------------------------------------------
cat >"$S/big.json" <<EOF
[{"calls":[["sql",{"query":"SELECT printf('%.*c', 200000, 'x') AS big"}]]}]
EOF
llm_run openai true fake-script-big "$THREAT" --format json
assert_rc "big: exit 0" 0
assert_eq "big: the cell is cut, and says by how much" true \
	"$(rj '"[cut: 198000 more bytes]" in r["steps"][0]["rows"][0]["big"]')"
assert_eq "big: the report stays small" true "$(rj 'len(json.dumps(r)) < 20000')"
assert_eq "big: the model was sent the cut row, not 200 kB" true \
	"$(lq 'max(len(json.dumps(e["body"])) for e in L) < 40000' fake-script-big)"

# ---- invalid answers are steps, and spend the budget --------------------------
BAD='{"verdict":"BENIGN","confidence":1000,"summary":"s","key_findings":[]}'
cat >"$S/invalid.json" <<EOF
[$(submit "$BAD"),$(submit "$BAD")]
EOF
LLM_ENV="VERDICT_LLM_MAX_STEPS=2"
llm_run openai false fake-script-invalid "$THREAT" --format json
assert_rc "invalid: exit 0" 0
assert_eq "invalid: each refused answer is a step with the reason" \
	'[2,"submit_verdict","`verdict`: give malicious, suspicious, benign or inconclusive"]' \
	"$(rj '[len(r["steps"]), r["steps"][0]["kind"], r["steps"][0]["gap"].split(": ", 1)[1][:62]]')"
assert_eq "invalid: the budget ends it and the answer is forced" \
	'["budget:steps","suspicious"]' "$(rj '[r["stopped"], r["verdict"]]')"

# ---- more calls in one turn than the budget allows ----------------------------
cat >"$S/many.json" <<EOF
[{"calls":[["allowlist",{}],["prior_decisions",{}],["permissions",{}]]}]
EOF
LLM_ENV="VERDICT_LLM_MAX_STEPS=2"
llm_run anthropic false fake-script-many "$THREAT" --format json
assert_eq "many: only the budget's calls run" \
	'[["allowlist","prior_decisions"],"budget:steps"]' \
	"$(rj '[[s["kind"] for s in r["steps"]], r["stopped"]]')"
LLM_ENV=

# ---- an answer longer than the report keeps says it was cut -------------------
CLAIMS=$(python3 -c 'import json; print(json.dumps([{"text": "finding %d" % i, "cited": []} for i in range(15)]))')
IOCS=$(python3 -c 'import json; print(json.dumps(["10.0.0.%d" % i for i in range(25)]))')
LONG=$(python3 -c 'print("y" * 3000)')
cat >"$S/long.json" <<EOF
[$(submit '{"verdict":"suspicious","confidence":50,"summary":"'"$LONG"'","key_findings":'"$CLAIMS"',"indicators":'"$IOCS"'}')]
EOF
llm_run ollama true fake-script-long "$THREAT" --format json
assert_eq "long: what was cut is listed" \
	'["key_findings: 15 given, the first 10 kept","indicators: 25 given, the first 20 kept"]' \
	"$(rj 'r["notes"]')"
assert_eq "long: a cut string says so" true \
	"$(rj 'r["summary"].endswith("[cut: 1000 more bytes]")')"

# ---- claims with nothing to check, and what prose may name ------------------
cat >"$S/prose.json" <<EOF
[{"calls":[["allowlist",{}]]},
$(submit '{"verdict":"benign","confidence":80,"summary":"s","key_findings":[{"text":"This was an authorised test.","cited":[]},{"text":"Host 2001:db8::dead:beef, key AKIAIOSFODNN7EXAMPLE and ARN:AWS:IAM::999999999999:ROLE/PENTEST.","cited":[]},{"text":"At 12:30:45 the alert fired.","cited":["'"$LINKED"'"]}]}')]
EOF
llm_run openai false fake-script-prose "$THREAT" --format json
assert_eq "prose: a claim with nothing to check is not verified, and says so" \
	'[false,0]' "$(rj '[r["key_findings"][0]["verified"], r["key_findings"][0]["checked"]]')"
assert_eq "prose: an IPv6 address, an access key id and an upper-case ARN are checked" \
	'["2001:db8::dead:beef","AKIAIOSFODNN7EXAMPLE","ARN:AWS:IAM::999999999999:ROLE/PENTEST"]' \
	"$(rj 'r["key_findings"][1]["unverified"]')"
assert_eq "prose: a time is not taken for an address" '[true,1]' \
	"$(rj '[r["key_findings"][2]["verified"], r["key_findings"][2]["checked"]]')"
assert_eq "prose: a reply without prose still gives its step tokens" true \
	"$(rj 'r["steps"][0]["tokens_in"] > 0')"
vrun --db "$DB" investigate --llm --show "$THREAT"
assert_contains "prose: the text says what was not checked" \
	"NOT CHECKED: it cites no event and names nothing the store could confirm" "$T/out"

# ---- one row too wide, and a cut inside a character ----------------------------
COLS=$(python3 -c 'print(", ".join("printf(%s, 1999, %s) AS c%d" % (chr(39) + "%.*c" + chr(39), chr(39) + "x" + chr(39), i) for i in range(40)))')
cat >"$S/wide.json" <<EOF
[{"calls":[["sql",{"query":"SELECT $COLS"}]]},{"calls":[["sql",{"query":"SELECT 'x' || replace(printf('%.*c', 5000, 'y'), 'y', 'é') AS u"}]]}]
EOF
llm_run anthropic false fake-script-wide "$THREAT" --format json
assert_eq "wide: the one row loses columns, and says how many" true \
	"$(rj 'r["steps"][0]["rows"][0]["[columns cut]"] >= 20')"
assert_eq "wide: the report stays small" true "$(rj 'len(json.dumps(r)) < 60000')"
assert_eq "wide: a cut cell is still UTF-8 (ends in a whole é)" true \
	"$(rj 'r["steps"][1]["rows"][0]["u"].split(" [cut:")[0].endswith("é")')"

# ---- no verdict: printed, exit 1, and the stored answer is kept --------------
before=$(sql1 "SELECT report FROM model_reports WHERE threat_id = '$THREAT'" | md5sum)
cat >"$S/noanswer.json" <<EOF
[$(submit "$BAD"),$(submit "$BAD"),$(submit "$BAD"),$(submit "$BAD")]
EOF
LLM_ENV="VERDICT_LLM_MAX_STEPS=1"
llm_run openai false fake-script-noanswer "$THREAT"
LLM_ENV=
assert_rc "no answer: exit 1" 1
assert_contains "no answer: the text says so" "the model gave no verdict (the playbook verdict stands)" "$T/out"
assert_contains "no answer: stderr says nothing was stored" "nothing was stored" "$T/err"
assert_eq "no answer: the earlier model report is kept" "$before" \
	"$(sql1 "SELECT report FROM model_reports WHERE threat_id = '$THREAT'" | md5sum)"

# ---- a provider that refuses every request stops --all at the first --------
NTHREATS=$(sql1 "SELECT count(*) FROM threats")
llm_run openai false fake-quota-all --all
assert_rc "quota --all: exit 1" 1
assert_eq "quota --all: one request, not one per threat" 1 "$(lq 'len(L)' fake-quota-all)"
assert_contains "quota --all: says why it stopped" \
	"stopping: the provider will refuse the other $((NTHREATS - 1)) threats too" "$T/err"
vrun --db "$DB" investigate --llm --show t-no-such-threat
assert_contains "show: an unknown threat is named as such" "no threat t-no-such-threat" "$T/err"

# Markdown: a heading with both verdicts, the report in a text fence.
vrun --db "$DB" investigate --llm --show "$THREAT" --format json
want=$(rj '"# Model investigation: %s (playbook: %s)" % (r["verdict"], "agrees" if r["agrees"] else "disagrees")' | tr -d '"')
vrun --db "$DB" investigate --llm --show "$THREAT" --format md
assert_eq "md: the heading names the verdict and the agreement" "$want" "$(head -n 1 "$T/out")"
assert_eq "md: the report sits in one text fence" '```text' "$(sed -n 3p "$T/out")"

# --show --all: the threats a model has investigated, and no complaint
# about the others.
vrun --db "$DB" investigate --llm --show --all --format json
assert_rc "show --all: exit 0" 0
assert_eq "show --all: one report, for the one threat a model saw" \
	"1 $THREAT" "$(wc -l <"$T/out" | tr -d ' ') $(rj 'r["threat_id"]' | tr -d '"')"
assert_eq "show --all: nothing on stderr" "" "$(cat "$T/err")"

finish
