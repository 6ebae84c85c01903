#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kb_feedback.sh: feedback commit latency on a knowledge base with many
# commits. Seeds a KB (verdict kb init), grows it to COMMITS commits of
# decision files with git fast-import, then times RUNS runs of `verdict
# feedback` (a whole process: store, analyst, blob, tree, commit, fsync, ref
# compare-and-swap, work tree) and, in the same run, RUNS runs of git
# committing the same change (write the file, git add, git commit), plain
# and with core.fsync=all. Prints p50 and p95 in ms and the ratios.
#
#   top_srcdir=. VERDICT=./verdict sh tests/bench/kb_feedback.sh [COMMITS] [RUNS]
set -eu

top_srcdir=${top_srcdir:-.}
VERDICT=${VERDICT:-./verdict}
COMMITS=${1:-10000}
RUNS=${2:-100}
THREAT=t-77be2475c74776542ea31587c4f4df6a
T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-bench-kb.XXXXXX")
trap 'rm -rf "$T"' EXIT
HOME=$T XDG_DATA_HOME=$T/xdg XDG_CONFIG_HOME=$T/cfg
export HOME XDG_DATA_HOME XDG_CONFIG_HOME
KB=$T/kb DB=$T/events.db

"$VERDICT" --db "$DB" ingest -q --no-progress --no-investigate \
	"$top_srcdir/tests/data/falco-alerts" >/dev/null 2>&1 || true
"$VERDICT" --kb "$KB" kb init -q
"$VERDICT" --db "$DB" --kb "$KB" investigate $THREAT >/dev/null
git -C "$KB" config user.name "Bench Analyst"
git -C "$KB" config user.email "bench@example.com"

# COMMITS - 1 decision commits on top of the seed, in one fast-import.
awk -v n="$((COMMITS - 1))" 'BEGIN {
	for (i = 1; i <= n; i++) {
		f = sprintf("feedback/bench-%06d.json", i)
		body = sprintf("{\"threat\": \"t-bench%06d\", \"detection\": \"bench:x\", \"verdict\": \"benign\", \"analyst\": \"Bench <b@example.com>\", \"note\": \"n\"}\n", i)
		msg = sprintf("feedback: benign for bench (t-bench%06d)\n\nDecision-File: %s\n", i, f)
		printf "commit refs/heads/main\n"
		printf "committer Bench Analyst <bench@example.com> %d +0000\n", 1700000000 + i
		printf "data %d\n%s\n", length(msg), msg
		if (i == 1)
			printf "from refs/heads/main^0\n"
		printf "M 100644 inline %s\ndata %d\n%s\n", f, length(body), body
	}
}' | git -C "$KB" fast-import --quiet
git -C "$KB" reset -q --hard
total=$(git -C "$KB" rev-list --count HEAD)

now_ns() { date +%s%N; }

# pct P FILE: the P-th percentile (nearest rank) of the numbers in FILE, ms.
pct() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END {
		r = int((p * NR + 99) / 100); if (r < 1) r = 1
		printf "%.1f", v[r] / 1e6 }'
}

i=0
while [ $i -lt "$RUNS" ]; do
	a=$(now_ns)
	"$VERDICT" --db "$DB" --kb "$KB" feedback $THREAT --verdict benign \
		--note "bench $i" >/dev/null
	b=$(now_ns)
	echo $((b - a)) >>"$T/verdict.ns"

	f=feedback/git-$i.json
	git -C "$KB" show HEAD:"$(git -C "$KB" log -1 --format=%b | sed -n 's/^Decision-File: //p')" \
		>"$T/same.json"
	a=$(now_ns)
	cp "$T/same.json" "$KB/$f"
	git -C "$KB" add "$f"
	git -C "$KB" commit -q -m "feedback: benign (git $i)"
	b=$(now_ns)
	echo $((b - a)) >>"$T/git.ns"

	f=feedback/gitsync-$i.json
	a=$(now_ns)
	cp "$T/same.json" "$KB/$f"
	git -C "$KB" -c core.fsync=all -c core.fsyncMethod=fsync add "$f"
	git -C "$KB" -c core.fsync=all -c core.fsyncMethod=fsync commit -q \
		-m "feedback: benign (git fsync $i)"
	b=$(now_ns)
	echo $((b - a)) >>"$T/gitsync.ns"
	i=$((i + 1))
done

v50=$(pct 50 "$T/verdict.ns") v95=$(pct 95 "$T/verdict.ns")
g50=$(pct 50 "$T/git.ns") g95=$(pct 95 "$T/git.ns")
s50=$(pct 50 "$T/gitsync.ns") s95=$(pct 95 "$T/gitsync.ns")
printf 'knowledge base: %s commits before the runs, %s runs each\n' "$total" "$RUNS"
printf 'verdict feedback        p50 %8s ms  p95 %8s ms\n' "$v50" "$v95"
printf 'git add+commit          p50 %8s ms  p95 %8s ms\n' "$g50" "$g95"
printf 'git add+commit (fsync)  p50 %8s ms  p95 %8s ms\n' "$s50" "$s95"
awk -v v="$v50" -v g="$g50" -v s="$s50" -v v9="$v95" -v g9="$g95" -v s9="$s95" 'BEGIN {
	printf "ratio verdict/git        p50 %.2f  p95 %.2f\n", v / g, v9 / g9
	printf "ratio verdict/git-fsync  p50 %.2f  p95 %.2f\n", v / s, v9 / s9 }'
git -C "$KB" fsck --no-dangling >/dev/null 2>&1 && echo "git fsck: clean"
