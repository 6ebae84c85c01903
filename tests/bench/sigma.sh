#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sigma.sh: the Sigma benchmark: every shipped rule over generated
# CloudTrail events, `verdict detect` against the same rules as sqlite3
# JSON queries over the same store's raw column, in one run, with the hits
# per rule compared.
#
# Run from the build directory. Environment:
#   BENCH_EVENTS  events to generate (default 1000000; 20000 for a trial)
#   VERDICT       the verdict binary (default ./verdict)
# Reuses bench-data/ from tests/bench/ingest.sh (the same generator and
# inputs); writes bench-data/sigma-N.db (kept for the next run) and
# bench-sigma-results.txt. Exits 1 when verdict is slower than sqlite3 or
# the hits differ, 2 when it cannot run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(pwd)
N=${BENCH_EVENTS:-1000000}
VERDICT=${VERDICT:-$build/verdict}
data=$build/bench-data
results=$build/bench-sigma-results.txt
rules=$top_srcdir/kb/default/rules/sigma
stratus=$top_srcdir/tests/data/stratus-red-team-detonations
otrf=$top_srcdir/tests/data/otrf-aws-cloud-bank-breach-s3

die() {
	echo "bench: $*" >&2
	exit 2
}

need() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install the Debian package '$2' (apt-get install $2)"
}
[ -x /usr/bin/time ] ||
	die "/usr/bin/time not found: install the Debian package 'time' (apt-get install time)"
need sqlite3 sqlite3
need cc gcc
need pkg-config pkg-config
pkg-config --exists libcjson || die "libcjson not found: install libcjson-dev"
pkg-config --exists zlib || die "zlib not found: install zlib1g-dev"
[ -x "$VERDICT" ] || die "$VERDICT: not built (run make verdict, or set VERDICT)"
case $N in ''|*[!0-9]*) die "BENCH_EVENTS must be a number: $N" ;; esac
sqlite3 :memory: "SELECT regexp('a', 'a')" >/dev/null 2>&1 ||
	die "this sqlite3 shell has no REGEXP (it came with 3.36)"
mkdir -p "$data"

# ---- input and store (reused while the generator and size are the same) --
gen=$data/gen_cloudtrail
if [ ! -x "$gen" ] || [ "$here/gen_cloudtrail.c" -nt "$gen" ]; then
	# shellcheck disable=SC2046 # pkg-config prints separate words
	cc -std=c11 -O2 -o "$gen" "$here/gen_cloudtrail.c" \
		$(pkg-config --cflags --libs libcjson zlib) ||
		die "cannot build the generator"
fi
jsonl=$data/cloudtrail-$N.jsonl
if [ ! -e "$jsonl" ] || [ "$gen" -nt "$jsonl" ]; then
	echo "bench: generating $N events as JSON lines"
	"$gen" -n "$N" -d "$stratus" -d "$otrf" "$jsonl.tmp" && mv "$jsonl.tmp" "$jsonl"
fi
db=$data/sigma-$N.db
log=$data/sigma-log
: >"$log"
if [ ! -e "$db" ] || [ "$jsonl" -nt "$db" ]; then
	echo "bench: storing the events (verdict ingest, no detection)"
	rm -f "$db" "$db-wal" "$db-shm"
	"$VERDICT" --db "$db" ingest --no-progress --no-threats --no-detect \
		--no-investigate "$jsonl" >>"$log" 2>&1 || die "ingest failed (log: $log)"
	# Fold the write-ahead log in, so no run pays for replaying it.
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
fi
stored=$(sqlite3 "$db" "SELECT count(*) FROM events WHERE source = 'cloudtrail'")
[ "$stored" -eq "$N" ] || die "the store holds $stored events, expected $N"

# ---- the rules as SQL -----------------------------------------------------
tsv=$data/sigma-rules.tsv
"$VERDICT" detect --rules "$rules" --sql >"$tsv" 2>>"$log" ||
	die "verdict detect --sql failed (log: $log)"
nrules=$(wc -l <"$tsv" | tr -d ' ')
loaded=$("$VERDICT" --db "$db" detect --rules "$rules" --dry-run --since 2100-01-01 |
	sed -n 's/^rules: //p')

# One statement, one pass over the events, a count per rule.
single=$data/sigma-single.sql
awk -F '\t' 'BEGIN { printf "SELECT " }
	{ printf "%ssum(source = '\''%s'\'' AND %s)", (NR > 1 ? ",\n" : ""), $2, $3 }
	END { print "\nFROM events WHERE source IN ('\''cloudtrail'\'', '\''k8s_audit'\'');" }' \
	"$tsv" >"$single"
# One query per rule, as an analyst would run them.
perrule=$data/sigma-per-rule.sql
awk -F '\t' '{ printf "SELECT '\''%s'\'', count(*) FROM events WHERE source = '\''%s'\'' AND %s;\n", $1, $2, $3 }' \
	"$tsv" >"$perrule"

# ---- measuring ------------------------------------------------------------
rows=$data/sigma-rows
: >"$rows"
# timed LABEL OUT COMMAND...: wall, user and system seconds, peak RSS
timed() {
	label=$1 out=$2
	shift 2
	echo "bench: $label" >&2
	echo "== $label: $*" >>"$log"
	/usr/bin/time -f '%e %U %S %M' -o "$data/time" "$@" >"$out" 2>>"$log" ||
		{ tail -n 20 "$log" >&2; die "$label failed (log: $log)"; }
	read -r secs user sys kib <"$data/time"
	printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$secs" "$user" "$sys" "$kib" >>"$rows"
}

timed "verdict detect --dry-run" "$data/sigma-verdict.out" \
	"$VERDICT" --db "$db" detect --rules "$rules" --dry-run
timed "sqlite3, one pass, all rules" "$data/sigma-single.out" \
	sqlite3 -bail "$db" ".read $single"
timed "sqlite3, one query per rule" "$data/sigma-per-rule.out" \
	sqlite3 -bail "$db" ".read $perrule"

# ---- the same hits? ---------------------------------------------------------
scanned=$(sed -n 's/^events scanned: //p' "$data/sigma-verdict.out")
[ "$scanned" = "$N" ] || die "verdict scanned $scanned events, expected $N"
awk '$2 ~ /^(info|low|medium|high|critical|unknown)$/ && $1 ~ /^[0-9]+$/ {
	print $3, $1 }' "$data/sigma-verdict.out" | sort >"$data/sigma-hits.verdict"
tr '|' '\n' <"$data/sigma-single.out" | paste -d ' ' "$tsv" - |
	awk -F '\t' '{ n = split($0, f, " "); if (f[n] > 0) print $1, f[n] }' |
	sort >"$data/sigma-hits.single"
awk -F '|' '$2 > 0 { print $1, $2 }' "$data/sigma-per-rule.out" |
	sort >"$data/sigma-hits.per-rule"
same=yes
cmp -s "$data/sigma-hits.verdict" "$data/sigma-hits.single" || same=no
cmp -s "$data/sigma-hits.verdict" "$data/sigma-hits.per-rule" || same=no

# ---- report -----------------------------------------------------------------
{
	echo "verdict Sigma benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "input: $N CloudTrail events (tests/bench/gen_cloudtrail.c), stored by verdict ingest"
	echo "rules: $loaded (kb/default/rules/sigma), $nrules with an SQL form"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
	echo
	awk -F '\t' -v N="$N" '
	{ label[NR] = $1; wall[NR] = $2; cpu[NR] = $3 + $4; kib[NR] = $5 }
	END {
		printf "%-30s %9s %12s %9s %12s %9s\n", "", "wall s", "events/s",
			"cpu s", "events/s cpu", "peak MiB"
		for (i = 1; i <= NR; i++)
			printf "%-30s %9.2f %12.0f %9.2f %12.0f %9.1f\n", label[i],
				wall[i], (wall[i] > 0 ? N / wall[i] : 0), cpu[i],
				(cpu[i] > 0 ? N / cpu[i] : 0), kib[i] / 1024
		best = (wall[2] < wall[3] ? 2 : 3)
		bestc = (cpu[2] < cpu[3] ? 2 : 3)
		printf "\nverdict over the faster sqlite3 form: %.1fx wall (%s), %.1fx cpu (%s)\n",
			wall[best] / wall[1], label[best], cpu[bestc] / cpu[1], label[bestc]
		printf "target: at least 1.0x\n"
		print (wall[best] / wall[1] >= 1.0 ? "target met" : "TARGET MISSED")
	}' "$rows"
	echo
	echo "hits per rule (verdict; sqlite3 $([ "$same" = yes ] && echo gives the same || echo DIFFERS))"
	sort -k2,2nr "$data/sigma-hits.verdict" | sed 's/^/  /'
} | tee "$results"

[ "$same" = yes ] || { echo "bench: hits differ: see $data/sigma-hits.*" >&2; exit 1; }
grep -q '^target met' "$results" || exit 1
exit 0
