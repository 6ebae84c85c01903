#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kb.sh: the knowledge base in git. `kb init` seeds a repository with one
# commit and reports read its tip; `kb lint` names file, line and field of a
# broken playbook; `kb log [PATH]` lists the commits (that changed PATH);
# `feedback` makes one file and one commit by the analyst
# and decides the threat; a benign decision on one Falco shell threat moves
# a later investigation of another (same detection, same actor) from
# suspicious to inconclusive and cites the commit; the console's A and O
# keys record decisions too; an allowlist proposal lives on its own branch,
# replays the stored threats without storing and merges; two writers recording 50
# decisions each at once all land; `kb init --from` clones; `git fsck`
# stays clean.
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v git >/dev/null 2>&1 || { echo "SKIP: kb: no git"; exit 77; }
# libgit2 1.5's clone leaks a PCRE2 match block; not ours to fix.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/cli/lsan-libgit2.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

KB=$T/kb
FALCO=$DATA/falco-alerts
# Two Falco "Terminal shell in container" threats with actor root.
DECIDED=t-77be2475c74776542ea31587c4f4df6a
LATER=t-7ad77db291c1ba0b8eeca0a1b3bae255
unset VERDICT_ANALYST VERDICT_KB

# field KEY FILE: the JSON text of a report's first KEY (top-level keys come
# before the steps, whose rows may hold the same key).
field() {
	grep -o "\"$1\":\"[^\"]*\"" "$2" | head -1 | sed "s/^\"$1\"://"
}

# ---- init ---------------------------------------------------------------
vrun --kb "$KB" kb init
assert_rc "kb init" 0
assert_contains "kb init names the repository" "kb: initialized $KB at" "$T/out"
assert_eq "one first commit" 1 "$(git -C "$KB" rev-list --count HEAD)"
assert_eq "seeded from kb/default" \
	"$(cd "$top_srcdir/kb/default" && find playbooks -name '*.yaml' | sort)" \
	"$(git -C "$KB" ls-tree -r --name-only HEAD playbooks | grep '\.yaml$')"
SEED=$(git -C "$KB" rev-parse HEAD)
vrun --kb "$KB" kb init
assert_rc "kb init twice is refused" 3
assert_contains "and says why" "already holds a knowledge base" "$T/err"
# The default location is $XDG_DATA_HOME/verdict/kb.
vrun kb init -q
assert_rc "kb init at the default location" 0
[ -d "$XDG_DATA_HOME/verdict/kb/.git" ] && pass "default is XDG_DATA_HOME" ||
	flunk "default is XDG_DATA_HOME" "no $XDG_DATA_HOME/verdict/kb/.git"

# ---- lint ---------------------------------------------------------------
vrun --kb "$KB" kb lint
assert_rc "kb lint: the seed is clean" 0
git clone -q "$KB" "$T/broken" || die "git clone"
sed 's/^id: generic$/id: broken/' "$T/broken/playbooks/generic.yaml" \
	>"$T/broken/playbooks/broken.yaml"
sed -i '3a colour: blue' "$T/broken/playbooks/broken.yaml"
git -C "$T/broken" add playbooks/broken.yaml
git -C "$T/broken" -c user.name=P -c user.email=p@example.com \
	commit -qm "a broken playbook" || die "git commit"
vrun --kb "$T/broken" kb lint
assert_rc "kb lint: a broken playbook fails" 1
assert_contains "kb lint names file, line and field" \
	'playbooks/broken.yaml:4: field `colour`: unknown key in playbook' "$T/out"

# ---- log ----------------------------------------------------------------
vrun --kb "$T/broken" kb log
assert_rc "kb log" 0
assert_eq "kb log: newest first, one line per commit" "2" \
	"$(wc -l <"$T/out" | tr -d ' ')"
assert_match "kb log: id, time, author, subject" \
	'^[0-9a-f]{12} [0-9T:-]+Z P <p@example.com> a broken playbook$' "$T/out"
vrun --kb "$T/broken" kb log playbooks/broken.yaml
assert_eq "kb log PATH: only the commits that changed it" \
	"$(git -C "$T/broken" rev-parse --short=12 HEAD)" "$(cut -c1-12 "$T/out")"
vrun --kb "$T/broken" kb log -n 1 playbooks/generic.yaml
assert_eq "kb log -n 1 PATH: the seed commit" "${SEED%"${SEED#????????????}"}" \
	"$(cut -c1-12 "$T/out")"

# ---- feedback -----------------------------------------------------------
ingest --no-investigate "$FALCO"
vrun --db "$DB" --kb "$KB" investigate $DECIDED --format json
assert_rc "investigate with the repository" 0
assert_eq "the report records the tip commit" "\"$SEED\"" \
	"$(field kb_version "$T/out")"
vrun --db "$DB" --kb "$KB" investigate $LATER --format json
assert_eq "before: suspicious" '"suspicious"' "$(field verdict "$T/out")"

vrun --db "$DB" --kb "$KB" feedback $DECIDED --verdict benign --note "x"
assert_rc "feedback without an analyst is refused" 2
assert_contains "and says how to name one" "user.name" "$T/err"

git -C "$KB" config user.name "Ana Lyst"
git -C "$KB" config user.email "ana@example.com"
vrun --db "$DB" --kb "$KB" feedback $DECIDED --verdict benign \
	--reason "maintenance" --note "Ops confirmed a debugging session"
assert_rc "feedback" 0
assert_match "feedback says saved with the commit" \
	'^saved [0-9a-f]{40} feedback/.*\.json \(override\)$' "$T/out"
DECISION=$(git -C "$KB" rev-parse HEAD)
assert_eq "one commit by the analyst" "Ana Lyst
feedback: benign for Terminal shell in container ($DECIDED)" \
	"$(git -C "$KB" log -1 --format=%an%n%s)"
assert_eq "one new file under feedback/" 1 \
	"$(git -C "$KB" diff --name-only HEAD~1 HEAD | grep -c '^feedback/.*\.json$')"
git -C "$KB" show HEAD:"$(git -C "$KB" diff --name-only HEAD~1 HEAD)" \
	>"$T/decision.json"
assert_contains "the file names the threat" "\"threat\":	\"$DECIDED\"" \
	"$T/decision.json"
assert_contains "the file keeps the playbook's verdict" \
	'"playbook_verdict":	"suspicious"' "$T/decision.json"
assert_contains "the file keeps the note" \
	'"note":	"Ops confirmed a debugging session"' "$T/decision.json"
assert_eq "the threat is decided" '"decided"' \
	"$(sql1 "SELECT status FROM threats WHERE id = '$DECIDED'")"
assert_eq "work tree and index follow" "" \
	"$(git -C "$KB" status --porcelain)"

vrun --db "$DB" --kb "$KB" investigate $LATER --format json
assert_eq "after: a prior benign decision moves the verdict" \
	'"inconclusive"' "$(field verdict "$T/out")"
assert_contains "and cites the decision's commit" \
	"\"cited\":[\"$DECISION\"]" "$T/out"
assert_eq "the report records the new tip" "\"$DECISION\"" \
	"$(field kb_version "$T/out")"

VERDICT_ANALYST="Bea Reviewer <bea@example.com>" \
	vrun --db "$DB" --kb "$KB" feedback $LATER --verdict inconclusive \
	--note "agreed"
assert_match "agreeing is recorded as such" '\(agree\)$' "$T/out"
assert_eq "VERDICT_ANALYST is the author" "Bea Reviewer <bea@example.com>" \
	"$(git -C "$KB" log -1 --format='%an <%ae>')"

# ---- the console: A agrees, O overrides at the : prompt ------------------
git -C "$KB" config user.name "Con Sole"
git -C "$KB" config user.email "console@example.com"
THIRD=t-a95d2d8978cbe30d9059c78eccf81361
vrun --db "$DB" --kb "$KB" investigate $THIRD --format json
third_verdict=$(field verdict "$T/out" | tr -d '"')
cat >"$T/agree.keys" <<KEYS
cmd :threat $THIRD
key A
dump $T/agree.screen
KEYS
vrun --db "$DB" --kb "$KB" console --script "$T/agree.keys"
assert_rc "console: A in an investigation" 0
assert_contains "console: A says saved" "saved " "$T/agree.screen"
assert_eq "console: A is a commit by the analyst" \
	"Con Sole
feedback: $third_verdict for Terminal shell in container ($THIRD)" \
	"$(git -C "$KB" log -1 --format=%an%n%s)"
cat >"$T/override.keys" <<KEYS
cmd :threat $THIRD
key O
type malicious an unknown user opened a shell
key Enter
dump $T/override.screen
KEYS
vrun --db "$DB" --kb "$KB" console --script "$T/override.keys"
assert_rc "console: O in an investigation" 0
assert_contains "console: O says saved" "(override)" "$T/override.screen"
assert_eq "console: O's commit" \
	"feedback: malicious for Terminal shell in container ($THIRD)" \
	"$(git -C "$KB" log -1 --format=%s)"
git -C "$KB" show HEAD --format= -- feedback | grep -q '"note":[[:space:]]*"an unknown user opened a shell"' &&
	pass "console: O keeps the note" ||
	flunk "console: O keeps the note" "$(git -C "$KB" show HEAD | head -40)"
vrun --db "$DB" --kb "$KB" console --readonly --script "$T/agree.keys"
assert_lacks "console --readonly refuses A" "saved " "$T/agree.screen"

# ---- two writers at once ------------------------------------------------
writer() {
	i=0
	while [ $i -lt 50 ]; do
		VERDICT_ANALYST="$1 <$1@example.com>" "$VERDICT" --db "$DB" \
			--kb "$KB" feedback $DECIDED --verdict malicious \
			--note "$1 $i" >>"$T/$1.out" 2>>"$T/$1.err" || return 1
		i=$((i + 1))
	done
}
before=$(git -C "$KB" rev-list --count HEAD)
writer alice & pa=$!
writer bob & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
assert_eq "both writers succeeded" "0 0" "$ra $rb"
assert_eq "alice: 50 saved" 50 "$(grep -c '^saved ' "$T/alice.out")"
assert_eq "bob: 50 saved" 50 "$(grep -c '^saved ' "$T/bob.out")"
assert_eq "100 more commits" $((before + 100)) \
	"$(git -C "$KB" rev-list --count HEAD)"
missing=0
for f in $(cat "$T/alice.out" "$T/bob.out" | cut -d' ' -f3); do
	git -C "$KB" cat-file -e "HEAD:$f" 2>/dev/null || missing=$((missing + 1))
done
assert_eq "every saved decision is at the tip" 0 "$missing"
assert_eq "alice's commits by alice" 50 \
	"$(git -C "$KB" log --format=%an | grep -c '^alice$')"
if git -C "$KB" fsck --strict >"$T/fsck" 2>&1; then
	pass "git fsck"
else
	flunk "git fsck" "$(head -c 2000 "$T/fsck")"
fi

# ---- proposals: an allowlist entry on its own branch, replayed, merged ----
KB3=$T/kb3
vrun --kb "$KB3" kb init -q
later_before=$(sql1 "SELECT kb_version FROM threats WHERE id = '$LATER'")
report_before=$(sql1 "SELECT report FROM reports WHERE threat_id = '$LATER'")
VERDICT_ANALYST="Ana Lyst <ana@example.com>" \
	vrun --db "$DB" --kb "$KB3" kb propose $DECIDED \
	--reason "ops debug shells" --expires 2027-06-30
assert_rc "kb propose" 0
assert_match "kb propose names its branch" \
	"^proposed [0-9a-f]{40} on proposals/$DECIDED\$" "$T/out"
assert_eq "the tip did not move" 1 "$(git -C "$KB3" rev-list --count HEAD)"
vrun --kb "$KB3" kb proposals
assert_match "kb proposals lists it" \
	"^proposals/$DECIDED [0-9a-f]{12} .* Ana Lyst proposal: allowlist $DECIDED\$" \
	"$T/out"
vrun --db "$DB" --kb "$KB3" kb review proposals/$DECIDED
assert_rc "kb review" 0
assert_contains "review shows the diff" '+  actor: "root"' "$T/out"
assert_contains "review shows the expiry" '+  expires: 2027-06-30' "$T/out"
assert_contains "replay: the later shell threat would become benign" \
	"would change: $LATER suspicious -> benign" "$T/out"
assert_eq "replay leaves the stored reports alone" "$later_before" \
	"$(sql1 "SELECT kb_version FROM threats WHERE id = '$LATER'")"
assert_eq "replay puts the stored report back byte for byte" \
	"$report_before" \
	"$(sql1 "SELECT report FROM reports WHERE threat_id = '$LATER'")"
vrun --db "$DB" --kb "$KB3" kb merge proposals/$DECIDED
assert_rc "kb merge" 0
vrun --kb "$KB3" kb proposals
assert_eq "merged proposals are no longer listed" "" "$(cat "$T/out")"
assert_eq "the allowlist entry is at the tip" "allowlists/$DECIDED.yaml" \
	"$(git -C "$KB3" ls-tree -r --name-only HEAD allowlists | grep "$DECIDED")"
vrun --kb "$KB3" kb lint
assert_rc "the merged allowlist lints clean" 0
VERDICT_ANALYST="Ana Lyst <ana@example.com>" \
	vrun --db "$DB" --kb "$KB3" kb propose $LATER --reason "old" \
	--expires 2020-01-01
vrun --kb "$KB3" kb merge proposals/$LATER
assert_rc "merge a proposal that has expired" 0
vrun --kb "$KB3" kb lint
assert_rc "an expired entry is not a problem" 0
assert_contains "kb lint lists the expired entry" \
	"expired: allowlist entry $LATER (2020-01-01): old" "$T/out"
vrun --kb "$KB3" kb log allowlists
assert_match "kb log shows who proposed it" \
	"Ana Lyst <ana@example.com> proposal: allowlist $DECIDED\$" "$T/out"

# ---- clone --------------------------------------------------------------
vrun --kb "$T/clone" kb init --from "file://$KB"
assert_rc "kb init --from file://" 0
assert_eq "the clone has the same tip" "$(git -C "$KB" rev-parse HEAD)" \
	"$(git -C "$T/clone" rev-parse HEAD)"
vrun --kb "$T/clone2" kb init --from "$KB"
assert_rc "kb init --from a local path" 0
vrun --kb "$T/clone" kb lint
assert_rc "the clone lints clean (decisions included)" 0

finish
