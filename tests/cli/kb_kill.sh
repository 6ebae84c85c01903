#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kb_kill.sh: the durability test of `verdict feedback`. 200 rounds each
# start a writer and SIGKILL it after a delay drawn from a fixed seed (in
# microseconds, over 1.5 times one writer's measured run); then
# every decision acknowledged ("saved" printed before the kill) must be at
# the tip of the branch, the writers that follow must still get through
# (no lock left behind stops them), and `git fsck` must pass.
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v git >/dev/null 2>&1 || { echo "SKIP: kb_kill: no git"; exit 77; }

ROUNDS=${KB_KILL_ROUNDS:-200}
SEED=${KB_KILL_SEED:-20261203}
KB=$T/kb
THREAT=t-77be2475c74776542ea31587c4f4df6a
VERDICT_ANALYST="Kill Test <kill@example.com>"
export VERDICT_ANALYST

ingest --no-investigate "$DATA/falco-alerts"
vrun --kb "$KB" kb init -q
assert_rc "kb init" 0
vrun --db "$DB" --kb "$KB" investigate $THREAT --format json
assert_rc "investigate" 0

# The delays span one whole writer's run as measured here (at least
# 150 ms), so a loaded machine still sees writers finish and get killed.
start=$(date +%s%N)
vrun --db "$DB" --kb "$KB" feedback $THREAT --verdict benign --note timing
assert_rc "one writer, not killed" 0
span=$(( ($(date +%s%N) - start) / 1000 * 3 / 2 ))
[ "$span" -ge 150000 ] || span=150000
printf '# delays drawn from 0-%d us\n' "$span"
awk -v seed="$SEED" -v n="$ROUNDS" -v span="$span" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%d\n", int(rand() * span)
}' >"$T/delays"

i=0
while read -r us; do
	"$VERDICT" --db "$DB" --kb "$KB" feedback $THREAT --verdict benign \
		--note "round $i" >"$T/r$i.out" 2>"$T/r$i.err" &
	pid=$!
	sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	i=$((i + 1))
done <"$T/delays"
assert_eq "$ROUNDS rounds ran" "$ROUNDS" "$i"

cat "$T"/r*.out | grep '^saved ' >"$T/acked" || true
acked=$(wc -l <"$T/acked" | tr -d ' ')
printf '# %s of %s writers acknowledged before the kill\n' "$acked" "$ROUNDS"
[ "$acked" -gt 0 ] && pass "some writers finished" ||
	flunk "some writers finished" "none of $ROUNDS said saved"
[ "$acked" -lt "$ROUNDS" ] && pass "some writers were killed" ||
	flunk "some writers were killed" "all $ROUNDS said saved"

lost=0
while read -r _ commit file _; do
	if ! git -C "$KB" cat-file -e "HEAD:$file" 2>/dev/null ||
	   ! git -C "$KB" merge-base --is-ancestor "$commit" HEAD; then
		lost=$((lost + 1))
		printf '# lost: %s %s\n' "$commit" "$file"
	fi
done <"$T/acked"
assert_eq "no acknowledged decision is lost" 0 "$lost"

vrun --db "$DB" --kb "$KB" feedback $THREAT --verdict benign --note after
assert_rc "a writer after the kills gets through" 0
if git -C "$KB" fsck --strict >"$T/fsck" 2>&1; then
	pass "git fsck"
else
	flunk "git fsck" "$(head -c 2000 "$T/fsck")"
fi
vrun --kb "$KB" kb lint
assert_rc "kb lint after the kills" 0

finish
