#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kb_sync.sh: `verdict kb sync` against a bare remote on disk. Two clones
# record DECISIONS decisions each at the same time, then sync in turn: every
# decision ends up on both clones and on the remote, with no conflict. Two
# edits of one playbook are a real conflict: reported with the file, exit 1,
# and nothing changed on either side (no side dropped).
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v git >/dev/null 2>&1 || { echo "SKIP: kb_sync: no git"; exit 77; }
LSAN_OPTIONS="suppressions=$top_srcdir/tests/cli/lsan-libgit2.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

DECISIONS=${KB_SYNC_DECISIONS:-200}
THREAT=t-77be2475c74776542ea31587c4f4df6a
REMOTE=$T/remote.git

ingest --no-investigate "$DATA/falco-alerts"
vrun --db "$DB" investigate $THREAT --kb "$top_srcdir/kb/default"
vrun --kb "$T/seed" kb init -q
git clone -q --bare "$T/seed" "$REMOTE" || die "git clone --bare"
vrun --kb "$T/a" kb init --from "file://$REMOTE"
assert_rc "clone a (file://)" 0
vrun --kb "$T/b" kb init --from "$REMOTE"
assert_rc "clone b (a path)" 0
for c in a b; do
	git -C "$T/$c" config user.name "Analyst $c"
	git -C "$T/$c" config user.email "$c@example.com"
done

writer() {
	i=0
	while [ $i -lt "$DECISIONS" ]; do
		"$VERDICT" --db "$DB" --kb "$T/$1" feedback $THREAT \
			--verdict benign --note "$1 $i" >>"$T/$1.out" \
			2>>"$T/$1.err" || return 1
		i=$((i + 1))
	done
}
writer a & pa=$!
writer b & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
assert_eq "both clones recorded" "0 0" "$ra $rb"

vrun --kb "$T/a" kb sync
assert_rc "sync a" 0
assert_contains "a pushes" "pushed" "$T/out"
vrun --kb "$T/b" kb sync
assert_rc "sync b" 0
assert_contains "b merges a's decisions" "fetched new commits, merged, pushed" \
	"$T/out"
vrun --kb "$T/a" kb sync
assert_rc "sync a again" 0
assert_contains "a fast-forwards to b's merge" "fast-forwarded" "$T/out"

want=$((2 * DECISIONS))
for where in "$T/a" "$T/b" "$REMOTE"; do
	assert_eq "$(basename "$where"): all $want decisions" "$want" \
		"$(git -C "$where" ls-tree --name-only main feedback/ | grep -c '\.json$')"
done
assert_eq "a and b at the same commit" "$(git -C "$T/a" rev-parse HEAD)" \
	"$(git -C "$T/b" rev-parse HEAD)"
assert_eq "the remote too" "$(git -C "$T/a" rev-parse HEAD)" \
	"$(git -C "$REMOTE" rev-parse main)"
assert_eq "a's work tree follows" "" "$(git -C "$T/a" status --porcelain)"
for where in "$T/a" "$T/b" "$REMOTE"; do
	if git -C "$where" fsck --strict >"$T/fsck" 2>&1; then
		pass "git fsck $(basename "$where")"
	else
		flunk "git fsck $(basename "$where")" "$(head -c 2000 "$T/fsck")"
	fi
done

# ---- a real conflict: one playbook edited on both sides -----------------
sed -i 's/^title: .*/title: "Edited by a"/' "$T/a/playbooks/generic.yaml"
git -C "$T/a" commit -qam "generic: a's title" || die "commit a"
sed -i 's/^title: .*/title: "Edited by b"/' "$T/b/playbooks/generic.yaml"
git -C "$T/b" commit -qam "generic: b's title" || die "commit b"
vrun --kb "$T/a" kb sync
assert_rc "a pushes its edit" 0
b_before=$(git -C "$T/b" rev-parse HEAD)
remote_before=$(git -C "$REMOTE" rev-parse main)
vrun --kb "$T/b" kb sync
assert_rc "b's sync stops on the conflict" 1
assert_contains "the conflict names the playbook" \
	"conflict: playbooks/generic.yaml" "$T/out"
assert_contains "and says who resolves it" "resolve it with git" "$T/err"
assert_eq "b's branch is unchanged" "$b_before" "$(git -C "$T/b" rev-parse HEAD)"
assert_eq "the remote keeps a's edit" "$remote_before" \
	"$(git -C "$REMOTE" rev-parse main)"
assert_contains "b's edit is still there" 'title: "Edited by b"' \
	"$T/b/playbooks/generic.yaml"

finish
