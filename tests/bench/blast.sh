#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# blast.sh: the blast-radius measurement of issue 3. Ingests the
# iam-vulnerable account export into a temporary store, computes the blast
# radius of every principal in principal-labels.jsonl and prints how many of
# each label are flagged (admin-equivalent or with an escalation path), with
# every principal whose flag disagrees with its label.
#
# Run from the build directory. Environment:
#   VERDICT        the verdict binary (default ./verdict)
#   BLAST_VERBOSE  1 to list every principal, not only the disagreements
# Exits 2 when it cannot run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(pwd)
VERDICT=${VERDICT:-$build/verdict}
data=$top_srcdir/tests/data/iam-authz-cloudsplaining-iam-vulnerable

die() {
	echo "blast: $*" >&2
	exit 2
}

[ -x "$VERDICT" ] || die "$VERDICT: not built (run make verdict, or set VERDICT)"
[ -f "$build/libverdict_core.a" ] ||
	die "no libverdict_core.a here: run from the build directory after make"
[ -f "$build/Makefile" ] || die "no Makefile here: run from the build directory"
command -v cc >/dev/null 2>&1 || die "cc not found: install the Debian package 'gcc'"

# The helper links against the library exactly as the build does: the same
# libraries and sanitizer flags, read from the build's Makefile.
mkvar() {
	sed -n "s/^$1 = //p" "$build/Makefile" | head -n 1
}

T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-blast.XXXXXX") || die "no temporary directory"
trap 'rm -rf "$T"' EXIT
trap 'exit 130' HUP INT TERM

# shellcheck disable=SC2046 # each variable holds separate words
cc -std=c11 -I"$top_srcdir" -I"$build" $(mkvar CJSON_CFLAGS) $(mkvar SAN_FLAGS) \
	-o "$T/blast_labels" "$here/blast_labels.c" "$build/libverdict_core.a" \
	$(mkvar CJSON_LIBS) $(mkvar SQLITE_LIBS) $(mkvar YAML_LIBS) \
	$(mkvar ZLIB_LIBS) $(mkvar LIBS) $(mkvar SAN_FLAGS) ||
	die "cannot build the helper"

XDG_DATA_HOME=$T XDG_CONFIG_HOME=$T "$VERDICT" --db "$T/blast.db" ingest \
	--no-progress "$data/example.json" >"$T/ingest.log" 2>&1 ||
	die "ingest failed: $(cat "$T/ingest.log")"

verbose=
[ "${BLAST_VERBOSE:-0}" = 1 ] && verbose=-v
"$T/blast_labels" "$T/blast.db" "$data/principal-labels.jsonl" $verbose
