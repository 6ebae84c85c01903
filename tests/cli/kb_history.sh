#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kb_history.sh: reading the knowledge base's past. Two analysts record
# decisions, one proposes an allowlist entry from hers and it is merged;
# `verdict kb blame allowlists/FILE:LINE` names the commit, the analyst and
# the decision (file, verdict, note) behind the entry's line, and a line of
# the bundled seed has a commit but no decision. The console's history view
# (c in the queue, :history PATH) lists the commit subjects newest first,
# Enter shows a commit's diff with the added allowlist lines, and b on one
# of them shows the same decision and analyst.
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v git >/dev/null 2>&1 || { echo "SKIP: kb_history: no git"; exit 77; }
LSAN_OPTIONS="suppressions=$top_srcdir/tests/cli/lsan-libgit2.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

KB=$T/kb
# Two Falco "Terminal shell in container" threats with actor root.
DECIDED=t-77be2475c74776542ea31587c4f4df6a
OTHER=t-7ad77db291c1ba0b8eeca0a1b3bae255
unset VERDICT_ANALYST VERDICT_KB

vrun --kb "$KB" kb init -q
assert_rc "kb init" 0
ingest --no-investigate "$DATA/falco-alerts"
vrun --db "$DB" --kb "$KB" investigate $DECIDED
vrun --db "$DB" --kb "$KB" investigate $OTHER
VERDICT_ANALYST="Ana Lyst <ana@example.com>" \
	vrun --db "$DB" --kb "$KB" feedback $DECIDED --verdict benign \
	--reason maintenance --note "Ops confirmed a debugging session"
assert_rc "first decision" 0
DECISION_FILE=$(sed -n 's/^saved [0-9a-f]* \(feedback\/[^ ]*\.json\) .*/\1/p' "$T/out")
VERDICT_ANALYST="Bo Reviewer <bo@example.com>" \
	vrun --db "$DB" --kb "$KB" feedback $OTHER --verdict malicious \
	--note "not on the change calendar"
assert_rc "second decision" 0
VERDICT_ANALYST="Ana Lyst <ana@example.com>" \
	vrun --db "$DB" --kb "$KB" kb propose $DECIDED \
	--reason "ops debug shells" --expires 2027-06-30
assert_rc "kb propose" 0
vrun --db "$DB" --kb "$KB" kb merge proposals/$DECIDED
assert_rc "kb merge" 0

# ---- kb blame -----------------------------------------------------------
ENTRY=allowlists/$DECIDED.yaml
LINE=$(git -C "$KB" show "HEAD:$ENTRY" | grep -n '^  actor: "root"$' | cut -d: -f1)
[ -n "$LINE" ] || die "no actor line in $ENTRY"
PROPOSAL=$(git -C "$KB" log --format=%H%x09%s | \
	sed -n "s/^\([0-9a-f]*\)	proposal: allowlist $DECIDED\$/\1/p")
vrun --kb "$KB" kb blame "$ENTRY:$LINE"
assert_rc "kb blame" 0
assert_contains "blame quotes the line" "$ENTRY:$LINE:   actor: \"root\"" "$T/out"
assert_match "blame names the proposal commit" \
	"^commit ${PROPOSAL%"${PROPOSAL#????????????}"} [0-9T:.-]+Z\$" "$T/out"
assert_contains "blame names the analyst" "analyst Ana Lyst" "$T/out"
assert_contains "blame names the decision" "decision $DECISION_FILE" "$T/out"
assert_contains "and its threat" "  threat $DECIDED" "$T/out"
assert_contains "and its verdict" "  verdict benign" "$T/out"
assert_contains "and its analyst" "  analyst Ana Lyst <ana@example.com>" "$T/out"
assert_contains "and its note" "  note Ops confirmed a debugging session" "$T/out"
assert_lacks "the other analyst's decision is not it" "Bo Reviewer" "$T/out"
vrun --kb "$KB" kb blame playbooks/generic.yaml:1
assert_rc "kb blame of a seed line" 0
assert_lacks "a seed line has no decision" "decision " "$T/out"
vrun --kb "$KB" kb blame "$ENTRY:999"
assert_rc "kb blame past the end" 3
assert_contains "says so" "fewer lines" "$T/err"
vrun --kb "$KB" kb blame "$ENTRY"
assert_rc "kb blame without a line" 2

# ---- the console's history view -----------------------------------------
# Subjects newest first: the merge (or the proposal when fast-forwarded),
# then the two decisions.
git -C "$KB" log --format=%s >"$T/subjects"
cat >"$T/history.keys" <<KEYS
key c
dump $T/history.list
cmd :history $ENTRY
dump $T/history.path
key Enter
dump $T/history.diff
search actor:
key b
dump $T/history.blame
KEYS
vrun --db "$DB" --kb "$KB" console --script "$T/history.keys"
assert_rc "history script runs" 0
first=$(sed -n 1p "$T/subjects")
assert_contains "the list shows the newest subject" "$first" "$T/history.list"
assert_contains "the list shows a decision's subject" \
	"feedback: malicious for Terminal shell in container" "$T/history.list"
assert_contains "the list shows the analyst" "Bo Reviewer" "$T/history.list"
n_list=$(grep -n "feedback: malicious for" "$T/history.list" | cut -d: -f1)
n_first=$(grep -nF "feedback: benign for" "$T/history.list" | cut -d: -f1)
[ -n "$n_list" ] && [ -n "$n_first" ] && [ "$n_list" -lt "$n_first" ] &&
	pass "newest first" || flunk "newest first" "$(cat "$T/history.list")"
assert_lacks ":history PATH leaves out the decisions" "feedback: " \
	"$T/history.path"
assert_contains ":history PATH keeps the proposal" \
	"proposal: allowlist $DECIDED" "$T/history.path"
assert_contains "Enter shows the commit's diff" "+++ b/$ENTRY" "$T/history.diff"
assert_contains "with the added allowlist line" '+  actor: "root"' \
	"$T/history.diff"
assert_contains "b shows the analyst" "by Ana Lyst <ana@example.com>" \
	"$T/history.blame"
assert_contains "b shows the decision" "decision: $DECISION_FILE" \
	"$T/history.blame"
assert_contains "b shows its verdict and analyst" \
	"verdict: benign on $DECIDED by Ana Lyst <ana@example.com>" \
	"$T/history.blame"
assert_contains "b shows the note" "note: Ops confirmed a debugging session" \
	"$T/history.blame"
finish
