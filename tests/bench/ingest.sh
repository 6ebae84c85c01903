#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ingest.sh: the ingest benchmark behind `make bench`: verdict ingest against
# the sqlite3 shell with its JSON functions and against jq, on the same
# generated CloudTrail records, with a check that memory stays flat.
# It measures the load alone (--no-threats --no-detect --no-investigate):
# detection and investigation have their own benchmarks (bench-sigma,
# bench-investigate).
#
# Run from the build directory (make bench does). Environment:
#   BENCH_EVENTS    events to generate (default 1000000; 20000 for a trial)
#   BENCH_PER_FILE  records per gzip file in the S3 form (default 10000)
#   VERDICT         the verdict binary (default ./verdict)
# Writes bench-data/ (inputs, reused) and bench-results.txt here; exits 1
# when a target is missed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(pwd)
N=${BENCH_EVENTS:-1000000}
PER_FILE=${BENCH_PER_FILE:-10000}
VERDICT=${VERDICT:-$build/verdict}
data=$build/bench-data
results=$build/bench-results.txt
stratus=$top_srcdir/tests/data/stratus-red-team-detonations
otrf=$top_srcdir/tests/data/otrf-aws-cloud-bank-breach-s3

die() {
	echo "bench: $*" >&2
	exit 2
}

# ---- what the benchmark needs -------------------------------------------
need() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package '$2' (apt-get install $2)"
}
[ -x /usr/bin/time ] ||
	die "/usr/bin/time not found: install the Debian package 'time' (apt-get install time)"
need sqlite3 sqlite3
need jq jq
need cc gcc
need pkg-config pkg-config
pkg-config --exists libcjson || die "libcjson not found: install libcjson-dev"
pkg-config --exists zlib || die "zlib not found: install zlib1g-dev"
[ -x "$VERDICT" ] || die "$VERDICT: not built (run make verdict, or set VERDICT)"
case $N in ''|*[!0-9]*) die "BENCH_EVENTS must be a number: $N" ;; esac
case $PER_FILE in ''|*[!0-9]*) die "BENCH_PER_FILE must be a number" ;; esac
[ "$N" -ge 4 ] || die "BENCH_EVENTS must be at least 4"
[ "$N" -ge "$PER_FILE" ] || PER_FILE=$N

mkdir -p "$data"

# ---- inputs (reused while the generator and the size are the same) ------
# newer A B: A was modified after B (test -nt is not POSIX)
newer() {
	[ -n "$(find "$1" -newer "$2" 2>/dev/null)" ]
}
gen=$data/gen_cloudtrail
if [ ! -x "$gen" ] || newer "$here/gen_cloudtrail.c" "$gen"; then
	# shellcheck disable=SC2046 # pkg-config prints separate words
	cc -std=c11 -O2 -o "$gen" "$here/gen_cloudtrail.c" \
		$(pkg-config --cflags --libs libcjson zlib) ||
		die "cannot build the generator"
fi

QUARTER=$((N / 4))
jsonl=$data/cloudtrail-$N.jsonl
jsonl_q=$data/cloudtrail-$N-first-$QUARTER.jsonl
s3=$data/s3-$N-$PER_FILE
fresh() { # output, made by the current generator
	[ -e "$1" ] && ! newer "$gen" "$1"
}
if ! fresh "$jsonl"; then
	echo "bench: generating $N events as JSON lines"
	"$gen" -n "$N" -d "$stratus" -d "$otrf" "$jsonl.tmp" ||
		die "cannot generate $jsonl"
	mv "$jsonl.tmp" "$jsonl"
fi
if ! fresh "$jsonl_q"; then
	# The generator is a function of the index: a prefix is a smaller run.
	head -n "$QUARTER" "$jsonl" >"$jsonl_q.tmp" || die "cannot write $jsonl_q"
	mv "$jsonl_q.tmp" "$jsonl_q"
fi
if ! fresh "$s3/.done"; then
	echo "bench: generating $N events as gzip files of $PER_FILE (S3 form)"
	rm -rf "$s3"
	"$gen" -n "$N" -f s3 -m "$PER_FILE" -d "$stratus" -d "$otrf" "$s3" ||
		die "cannot generate $s3"
	: >"$s3/.done"
fi
nfiles=$(find "$s3" -name '*.json.gz' | wc -l)
nfiles_q=$(((nfiles + 3) / 4))
s3_q=$data/s3-$N-$PER_FILE-first-$nfiles_q
rm -rf "$s3_q"
mkdir -p "$s3_q"
find "$s3" -name '*.json.gz' | sort | head -n "$nfiles_q" |
	while read -r f; do ln -s "$f" "$s3_q/"; done
events_q_s3=$((nfiles_q * PER_FILE))
[ "$events_q_s3" -le "$N" ] || events_q_s3=$N
bytes=$(wc -c <"$jsonl")
bytes_q=$(wc -c <"$jsonl_q")
one_file=$(gzip -dc "$(find "$s3" -name '*.json.gz' | sort | head -n 1)" | wc -c)

# ---- measuring ----------------------------------------------------------
log=$data/log
: >"$log"
rows=$data/rows
: >"$rows"

# timed LABEL EVENTS COMMAND...: wall and CPU seconds and peak RSS of a run
timed() {
	label=$1 events=$2
	shift 2
	echo "bench: $label" >&2
	echo "== $label: $*" >>"$log"
	/usr/bin/time -f '%e %M %U %S' -o "$data/time" "$@" >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "$label failed (log: $log)"; }
	read -r secs kib user sys <"$data/time"
	printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$events" "$secs" "$kib" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$rows"
}

# count DB: the events a database holds
count() {
	sqlite3 "$1" 'SELECT count(*) FROM events'
}

check_count() { # what, database, expected
	got=$(count "$2")
	[ "$got" -eq "$3" ] || die "$1 stored $got events, expected $3"
}

drop_db() {
	rm -f "$1" "$1-wal" "$1-shm"
}

# verdict, JSON lines, full size.
vdb=$data/verdict.db
drop_db "$vdb"
timed "verdict ingest" "$N" "$VERDICT" --db "$vdb" ingest --no-progress --no-threats --no-detect --no-investigate "$jsonl"
check_count "verdict ingest" "$vdb" "$N"

# The sqlite3 peer gets verdict's own schema: the same columns, the same
# indexes and the same UNIQUE id.
schema=$(sqlite3 "$vdb" "SELECT sql || ';' FROM sqlite_master
	WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY type DESC, name")
[ -n "$schema" ] || die "no events table in $vdb"
drop_db "$vdb"

# sqlite3: the same records through its JSON functions into the same table,
# one transaction, the same pragmas; staging lines in a temporary table.
peer=$data/sqlite-peer.sql
cat >"$peer" <<EOF
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
$schema
.mode ascii
.separator "\\037" "\\n"
BEGIN;
CREATE TEMP TABLE staging (j TEXT);
.import "$jsonl" staging
EOF
cat "$here/sqlite_peer_insert.sql" >>"$peer"
echo "COMMIT;" >>"$peer"
sdb=$data/sqlite-peer.db
rm -f "$sdb" "$sdb-wal" "$sdb-shm"
timed "sqlite3 JSON functions" "$N" sqlite3 -bail "$sdb" -init "$peer" .quit
check_count "sqlite3" "$sdb" "$N"
drop_db "$sdb"

# jq: reading and writing every record, and pulling out the same fields.
# shellcheck disable=SC2016 # $1 is for the inner shell
timed "jq -c ." "$N" sh -c 'jq -c . "$1" >/dev/null' jq "$jsonl"
# shellcheck disable=SC2016
timed "jq -r fields to TSV" "$N" sh -c 'jq -r "[.eventID, (.eventTime // .[\"@timestamp\"]),
	.eventName, .userIdentity.arn, .userIdentity.type, .sourceIPAddress,
	.userAgent, .awsRegion, .userIdentity.accountId, .errorCode] | @tsv" \
	"$1" >/dev/null' jq "$jsonl"

# verdict memory growth: a quarter of the input, then the S3 form.
timed "verdict ingest, first quarter" "$QUARTER" \
	"$VERDICT" --db "$vdb" ingest --no-progress --no-threats --no-detect --no-investigate "$jsonl_q"
check_count "verdict ingest" "$vdb" "$QUARTER"
drop_db "$vdb"
timed "verdict ingest, S3 gzip, $nfiles files" "$N" \
	"$VERDICT" --db "$vdb" ingest --no-progress --no-threats --no-detect --no-investigate "$s3"
check_count "verdict ingest" "$vdb" "$N"
drop_db "$vdb"
timed "verdict ingest, S3 gzip, $nfiles_q files" "$events_q_s3" \
	"$VERDICT" --db "$vdb" ingest --no-progress --no-threats --no-detect --no-investigate "$s3_q"
check_count "verdict ingest" "$vdb" "$events_q_s3"
drop_db "$vdb"
rm -rf "$s3_q"

# ---- report -------------------------------------------------------------
{
	echo "verdict ingest benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "input: $N CloudTrail events, $bytes bytes of JSON lines;" \
		"S3 form: $nfiles gzip files of $PER_FILE records" \
		"($one_file bytes uncompressed each)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	echo "sqlite3 $(sqlite3 --version | cut -d' ' -f1), $(jq --version)"
	echo
	awk -F '\t' -v N="$N" -v bytes_q="$bytes_q" \
		-v s3_bytes_q="$((nfiles_q * one_file))" '
	function rate(i) { return secs[i] > 0 ? ev[i] / secs[i] : 0 }
	function mib(i) { return kib[i] / 1024 }
	# Flat: within 10% and 8 MiB of the run on a quarter of the input.
	# Below 128 MiB of input the store has not yet filled its 64 MiB
	# page cache, so growth there says nothing about the input size.
	function flat(what, big, small, small_bytes,   ok) {
		if (small_bytes < 128 * 1048576) {
			printf "%-52s %6.2fx  target: flat     not judged" \
				" (input under 128 MiB)\n", what,
				kib[big] / kib[small]
			return
		}
		ok = kib[big] <= kib[small] * 1.10 + 8192; miss += !ok
		printf "%-52s %6.2fx  target: flat     %s\n", what,
			kib[big] / kib[small], ok ? "met" : "MISSED"
	}
	{
		name[NR] = $1; ev[NR] = $2; secs[NR] = $3; kib[NR] = $4
		cpu[NR] = $5; id[$1] = NR
	}
	END {
		printf "%-36s %9s %8s %8s %10s %10s\n", "run", "events",
			"seconds", "CPU s", "events/s", "peak RSS"
		for (i = 1; i <= NR; i++)
			printf "%-36s %9d %8.2f %8.2f %10.0f %6.1f MiB\n", name[i],
				ev[i], secs[i], cpu[i], rate(i), mib(i)
		v = id["verdict ingest"]; s = id["sqlite3 JSON functions"]
		j = id["jq -c ."]; q = id["verdict ingest, first quarter"]
		for (k in id) {
			if (k ~ /S3 gzip/ && ev[id[k]] == N) g = id[k]
			else if (k ~ /S3 gzip/) gq = id[k]
		}
		print ""
		miss = 0
		r = rate(s) > 0 ? rate(v) / rate(s) : 0
		ok = r >= 1.0; miss += !ok
		printf "%-52s %6.2fx  target >= 1.0x  %s\n",
			"verdict / sqlite3 load rate", r, ok ? "met" : "MISSED"
		r = rate(j) > 0 ? rate(v) / rate(j) : 0
		ok = r >= 2.0; miss += !ok
		printf "%-52s %6.2fx  target >= 2.0x  %s\n",
			"verdict / jq -c rate", r, ok ? "met" : "MISSED"
		flat(sprintf("peak RSS, %d vs %d events (JSON lines)", ev[v],
			ev[q]), v, q, bytes_q)
		flat(sprintf("peak RSS, %d vs %d events (S3 gzip)", ev[g],
			ev[gq]), g, gq, s3_bytes_q)
		print ""
		print miss ? miss " target(s) missed" : "all targets met"
		exit miss ? 1 : 0
	}' "$rows"
} >"$results" || status=$?
cat "$results"
echo "bench: results in $results, run log in $log"
exit "${status:-0}"
