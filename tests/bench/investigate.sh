#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# investigate.sh: investigation latency (p50, p95, p99, max) and
# investigations per second over a store of generated CloudTrail events
# plus the real alerts of tests/data, with BENCH_PIVOTS generated events
# promoted to threats the way an analyst's pivot would.
#
# Run from the build directory (an optimised build: no sanitizers).
# Environment:
#   BENCH_EVENTS   events to generate (default 1000000)
#   BENCH_PIVOTS   generated events promoted to threats (default 500)
#   BENCH_KB       the knowledge base (default $top_srcdir/kb/default)
#   VERDICT        the verdict binary (default ./verdict)
# Reuses bench-data/ (the ingest benchmark's inputs) and keeps the store
# there as investigate-N.db; prints the figures and writes them to
# bench-investigate.txt. Exits 1 when p95 is over the 10 ms target.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(pwd)
N=${BENCH_EVENTS:-1000000}
PIVOTS=${BENCH_PIVOTS:-500}
KB=${BENCH_KB:-$top_srcdir/kb/default}
VERDICT=${VERDICT:-$build/verdict}
data=$build/bench-data
db=$data/investigate-$N.db
results=$build/bench-investigate.txt

die() {
	echo "bench: $*" >&2
	exit 2
}
need() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package '$2' (apt-get install $2)"
}
need cc gcc
need pkg-config pkg-config
need sqlite3 sqlite3
for lib in libcjson sqlite3 yaml-0.1 zlib; do
	pkg-config --exists $lib || die "$lib not found (its -dev package)"
done
[ -x "$VERDICT" ] || die "$VERDICT: not built (run make verdict)"
[ -f "$build/libverdict_core.a" ] && [ -f "$build/libverdict_kb.a" ] ||
	die "run from the build directory after make"
case $N$PIVOTS in *[!0-9]*) die "BENCH_EVENTS and BENCH_PIVOTS are numbers" ;; esac
mkdir -p "$data"

gen=$data/gen_cloudtrail
if [ ! -x "$gen" ] || [ "$here/gen_cloudtrail.c" -nt "$gen" ]; then
	# shellcheck disable=SC2046 # pkg-config prints separate words
	cc -std=c11 -O2 -o "$gen" "$here/gen_cloudtrail.c" \
		$(pkg-config --cflags --libs libcjson zlib) ||
		die "cannot build the generator"
fi
jsonl=$data/cloudtrail-$N.jsonl
if [ ! -e "$jsonl" ] || [ "$gen" -nt "$jsonl" ]; then
	echo "bench: generating $N events"
	"$gen" -n "$N" -d "$top_srcdir/tests/data/stratus-red-team-detonations" \
		-d "$top_srcdir/tests/data/otrf-aws-cloud-bank-breach-s3" \
		"$jsonl.tmp" || die "cannot generate $jsonl"
	mv "$jsonl.tmp" "$jsonl"
fi

if [ ! -e "$db" ] || [ "$jsonl" -nt "$db" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
	echo "bench: ingesting $N events and tests/data"
	"$VERDICT" --db "$db" ingest --no-progress --no-investigate "$jsonl" \
		>/dev/null || die "ingest failed"
	"$VERDICT" --db "$db" ingest --no-progress --no-investigate \
		"$top_srcdir/tests/data" >/dev/null 2>&1 || true
	# Every PIVOTS-th generated event, by its place in the store.
	stride=$((N / PIVOTS))
	[ "$stride" -ge 1 ] || stride=1
	echo "bench: promoting $PIVOTS events"
	sqlite3 "$db" "SELECT id FROM events WHERE source = 'cloudtrail'
		AND seq % $stride = 7 ORDER BY seq LIMIT $PIVOTS" |
		while read -r id; do
			"$VERDICT" --db "$db" promote "$id" >/dev/null ||
				die "cannot promote $id"
		done
	# The query planner needs statistics to prefer the id and actor
	# indexes over the source one on a large table (without them a
	# playbook step can scan every CloudTrail event). A sampled ANALYZE
	# takes milliseconds.
	sqlite3 "$db" "PRAGMA analysis_limit = 1000; ANALYZE;" >/dev/null ||
		die "ANALYZE failed"
fi

bin=$data/investigate_latency
# shellcheck disable=SC2046 # pkg-config prints separate words
cc -std=c11 -O2 -I"$top_srcdir" -I"$build" -o "$bin" \
	"$here/investigate_latency.c" "$build/libverdict_kb.a" \
	"$build/libverdict_core.a" \
	$(pkg-config --libs libcjson sqlite3 yaml-0.1 zlib) -lm ||
	die "cannot build investigate_latency"

# The first pass warms the page cache; the second is measured.
"$bin" "$db" "$KB" >/dev/null || die "the warm-up run failed"
"$bin" "$db" "$KB" | tee "$results"
p95=$(sed -n "s/^wall  *latency p95  *\([0-9.]*\) ms$/\1/p" "$results")
awk -v p="$p95" 'BEGIN { exit !(p <= 10) }' || {
	echo "bench: p95 $p95 ms is over the 10 ms target"
	exit 1
}
