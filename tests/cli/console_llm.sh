#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# console_llm.sh: the model's investigation in the console, in a real
# terminal (tmux), against the local OpenAI protocol server: M on a threat
# runs the model in the background with progress on the status line, the
# model view shows its verdict beside the playbook's and marks the
# disagreement; x cancels a run that hangs, leaving no model report; and
# --readonly opens a stored report but refuses to run the model.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/llm/fakellm.sh"

command -v tmux >/dev/null 2>&1 || {
	printf 'skip - tmux is not installed\n'
	exit 77
}

SOCK=$T/tmux.sock
tm() {
	tmux -S "$SOCK" -f /dev/null "$@"
}
fakellm_start
trap 'tm kill-server >/dev/null 2>&1; kill "$fake_pid" 2>/dev/null; rm -rf "$T"' EXIT

vrun --db "$DB" ingest --no-progress "$DATA/falco-k8s-audit-fixtures"
[ "$rc" -eq 0 ] || die "ingest: $(cat "$T/err")"
# A threat the playbook does not call suspicious (the scripted model does)
# and another for the cancelled run.
benign=$(sql1 "SELECT id FROM threats WHERE verdict <> 'suspicious' ORDER BY id LIMIT 1" | tr -d '"')
pbv=$(sql1 "SELECT verdict FROM threats WHERE id = '$benign'")
other=$(sql1 "SELECT id FROM threats WHERE verdict = 'suspicious' ORDER BY id LIMIT 1" | tr -d '"')
[ -n "$benign" ] && [ -n "$other" ] || die "no two threats to open"

# start NAME MODEL [OPTIONS]: the console on the threat, the model set
# through the environment.
start() {
	tm new-session -d -s "$1" -x 140 -y 45 \
		"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' \
		XDG_DATA_HOME='$XDG_DATA_HOME' ASAN_OPTIONS='$ASAN_OPTIONS' \
		UBSAN_OPTIONS='$UBSAN_OPTIONS' VERDICT_LLM_PROVIDER=openai \
		VERDICT_LLM_URL='$(llm_url openai)' VERDICT_LLM_MODEL='$2' \
		VERDICT_LLM_API_KEY=test-key-console VERDICT_LLM_MAX_RETRIES=0 \
		VERDICT_LLM_LOW_SPEED_TIME=60 VERDICT_KB='$top_srcdir/kb/default' \
		'$VERDICT' --db '$DB' console ${3:-} 2>'$T/$1.err'; \
		echo \$? >'$T/$1.rc'"
}
screen() {
	tm capture-pane -p -t "$1"
}
wait_for() {
	i=0
	while [ $i -lt 150 ]; do
		screen "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
quit() {
	tm send-keys -t "$1" Escape Escape Escape q
	i=0
	while [ $i -lt 100 ] && ! [ -s "$T/$1.rc" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$1: the console exits with status 0" 0 \
		"$(cat "$T/$1.rc" 2>/dev/null)"
	sane "$(cat "$T/$1.rc" 2>/dev/null || echo 1)" "$T/$1.err" "console $1"
}

# ---- M runs the model and shows its verdict beside the playbook's ------
start run fake-agent-console "--threat $benign"
wait_for run "investigation" || flunk "run: the investigation opens"
tm send-keys -t run M
if wait_for run "THE MODEL DISAGREES"; then
	pass "M: the model's report is in, marked as a disagreement"
else
	flunk "M: the model's report is in, marked as a disagreement" \
		"$(screen run)"
fi
screen run >"$T/run.txt"
assert_contains "the title bar names both verdicts" "model suspicious  playbook $(echo "$pbv" | tr -d '"')  DISAGREE" "$T/run.txt"
assert_contains "the claims are checked" "never shown to the model): evt-fabricated-0001" "$T/run.txt"
assert_contains "the steps are listed" "steps (each a tool call of the model)" "$T/run.txt"
assert_contains "the status line says how it ended" "playbook $(echo "$pbv" | tr -d '"'): DISAGREES" "$T/run.txt"
tm send-keys -t run Escape
if wait_for run "DISAGREES: the playbook verdict stands"; then
	pass "back in the investigation, the model's verdict is beside the playbook's"
else
	flunk "back in the investigation, the model's verdict is beside the playbook's" \
		"$(screen run)"
fi
assert_eq "the model report is stored" 1 \
	"$(sql1 "SELECT count(*) FROM model_reports WHERE threat_id = '$benign'")"
assert_eq "the playbook verdict stands" "$pbv" \
	"$(sql1 "SELECT verdict FROM threats WHERE id = '$benign'")"
quit run

# ---- x cancels a run that hangs ---------------------------------------------
start hang fake-slow-console "--threat $other"
wait_for hang "investigation" || flunk "hang: the investigation opens"
tm send-keys -t hang M
if wait_for hang "(x cancels)"; then
	pass "a running model shows its progress"
else
	flunk "a running model shows its progress" "$(screen hang)"
fi
t0=$(date +%s)
tm send-keys -t hang x
if wait_for hang "cancelled"; then
	pass "x cancels the run"
else
	flunk "x cancels the run" "$(screen hang)"
fi
if wait_for hang "The last run ended: "; then
	pass "the model view says how the last run ended"
else
	flunk "the model view says how the last run ended" "$(screen hang)"
fi
assert_eq "the cancel takes effect at once (under 3 s)" 1 \
	"$(( $(date +%s) - t0 < 3 ))"
assert_eq "a cancelled run stores nothing" 0 \
	"$(sql1 "SELECT count(*) FROM model_reports WHERE threat_id = '$other'")"
quit hang

# ---- read-only: the stored report opens; running the model is refused ----
start ro fake-agent-console "--readonly --threat $benign"
wait_for ro "investigation" || flunk "ro: the investigation opens"
tm send-keys -t ro M
if wait_for ro "THE MODEL DISAGREES"; then
	pass "read-only: M opens the stored model report"
else
	flunk "read-only: M opens the stored model report" "$(screen ro)"
fi
tm send-keys -t ro M
if wait_for ro "read-only: model-run is refused"; then
	pass "read-only: running the model again is refused"
else
	flunk "read-only: running the model again is refused" "$(screen ro)"
fi
quit ro

finish
