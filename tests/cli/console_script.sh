#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# console_script.sh: the console in scripted mode (keys and commands from a
# file, screens dumped as text) on the ingested test data: the queue's rows,
# title counts, sorting and the remembered filter; an investigation stepped
# through with n and p; the evidence view of case 17's records with every
# control escaped on one row; the blast radius tree; help; : completion;
# --readonly; themes that fail; resizing; LANG=C; and `verdict demo`.
. "${top_srcdir:-.}/tests/cli/lib.sh"

KB_TEST=$DATA/kb-test
CSI_THREAT=t-8b52ca155fcbca814bcf615effb5ddfd
CT17=00000000-0000-4000-8000-000000001702
K8S17=00000000-0000-4000-8000-000000001701

if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" != UTF-8 ]; then
	printf 'skip - no C.UTF-8 locale here\n'
	exit 77
fi
LC_ALL=C.UTF-8
export LC_ALL
unset NO_COLOR

# console SCRIPT [OPTIONS...]: run the console on $DB with the script in
# $T/SCRIPT.keys; the screens it dumps land in $T.
console() {
	s=$1
	shift
	vrun --db "$DB" --kb "$KB_TEST" console --script "$T/$s.keys" "$@"
}

# row N FILE: row N (from 1) of a dumped screen.
row() {
	sed -n "$1p" "$2"
}

# queue_row ID: the queue row the console must show for a threat, built
# from the store: fixed columns at their widths, title 30 and entity 21
# columns on a 120-column screen.
queue_row() {
	sqlj "SELECT severity, status, verdict, confidence, title, actor,
	      strftime('%Y-%m-%d %H:%M', last_ns / 1000000000, 'unixepoch') AS t,
	      count FROM threats WHERE id = '$1'" |
	sed -E 's/^[{]"severity":"([^"]*)","status":"([^"]*)","verdict":"([^"]*)","confidence":([0-9]+),"title":"([^"]*)","actor":"([^"]*)","t":"([^"]*)","count":([0-9]+)[}]$/\1|\2|\3|\4%|\5|\6|\7|\8/' |
	awk -F'|' '{ printf "%-9s %-13s %-12s %5s %-30s %-21s %-16s %6s\n",
		$1, $2, $3, $4, $5, $6, $7, $8 }'
}

ingest --no-detect --no-investigate "$DATA"
vrun --db "$DB" investigate --all --kb "$KB_TEST"
assert_rc "investigate --all with kb-test" 0
vrun --db "$DB" promote $CT17
assert_rc "promote case 17's CloudTrail record" 0
PIVOT=$(sed -n 's/^\(t-[0-9a-f]\{32\}\)$/\1/p' "$T/out" | head -1)
vrun --db "$DB" investigate "$PIVOT" --kb "$KB_TEST"
nthreats=$(sql1 "SELECT count(*) FROM threats")
ncrit=$(sql1 "SELECT count(*) FROM threats WHERE severity = 'critical'")
nhigh=$(sql1 "SELECT count(*) FROM threats WHERE severity = 'high'")
nmed=$(sql1 "SELECT count(*) FROM threats WHERE severity = 'medium'")

# ---- the queue ----------------------------------------------------------------
cat >"$T/queue.keys" <<EOF
dump $T/queue.1
search csi-cinder
dump $T/queue.2
cmd :filter
cmd :sort time asc
dump $T/queue.3
key s
dump $T/queue.4
key o
dump $T/queue.5
EOF
console queue
assert_rc "queue script runs" 0
assert_eq "queue: 40 rows of 120 columns at most" "40 120" \
	"$(wc -l <"$T/queue.1" | tr -d ' ') $(wc -L <"$T/queue.1" | tr -d ' ')"
assert_eq "queue: title bar with live counts" \
	" verdict │ queue │ $nthreats threats · $ncrit critical · $nhigh high · $nmed medium │ $nthreats new" \
	"$(row 1 "$T/queue.1")"
assert_eq "queue: column headings, sorted by severity" \
	"SEVERITY▼ STATUS        VERDICT       CONF TITLE                          ENTITY                LAST SEEN         COUNT" \
	"$(row 2 "$T/queue.1")"
assert_eq "queue: the first row is a critical threat" critical \
	"$(row 3 "$T/queue.1" | cut -c1-8)"
expected=$(queue_row $CSI_THREAT)
assert_contains "queue: the Falco csi-cinder-controller threat's row" \
	"$expected" "$T/queue.1"
assert_match "queue: the row as the store has it" \
	'^medium    new           benign +[0-9]+% Disallowed K8s User +csi-cinder-controller 2025-02-10 09:15 +1$' \
	"$T/queue.1"
assert_eq "filter: one row left" "$expected" "$(row 3 "$T/queue.2")"
assert_eq "filter: nothing below it" "" "$(row 4 "$T/queue.2")"
assert_contains "filter: named in the title bar" \
	"│ /csi-cinder (1 shown)" "$T/queue.2"
assert_eq "filter: the status line counts" \
	"filter \"csi-cinder\": 1 of $nthreats threats" \
	"$(row 40 "$T/queue.2" | sed 's/  *[0-9]*\/[0-9]*$//')"
oldest=$(sql1 "SELECT title FROM threats ORDER BY last_ns, id LIMIT 1" | tr -d '"')
assert_contains ":sort time asc: a rising arrow on LAST SEEN" "LAST SEEN▲" "$T/queue.3"
assert_eq ":sort time asc: the oldest threat first" "$oldest" \
	"$(row 3 "$T/queue.3" | cut -c44-73 | sed 's/ *$//')"
assert_contains "s: sorts by the next column (count)" "COUNT▼" "$T/queue.4"
assert_eq "s: the largest count first" \
	"$(sql1 "SELECT max(count) FROM threats")" \
	"$(row 3 "$T/queue.4" | awk '{ print $NF }')"
assert_contains "o: reverses the order" "COUNT▲" "$T/queue.5"
assert_eq "o: the smallest count first" 1 "$(row 3 "$T/queue.5" | awk '{ print $NF }')"

# The filter is remembered for the next session.
cat >"$T/remember.keys" <<EOF
search csi-cinder
EOF
console remember
cat >"$T/remember2.keys" <<EOF
dump $T/remember.1
key /
type  zzz
key Esc
dump $T/remember.2
EOF
console remember2
assert_eq "the filter is remembered across sessions" "$expected" \
	"$(row 3 "$T/remember.1")"
assert_contains "Esc leaves the remembered filter alone" \
	"/csi-cinder (1 shown)" "$T/remember.2"
printf 'cmd :filter\n' >"$T/clear.keys"
console clear

# ---- an investigation ----------------------------------------------------------
nsteps=$(sql1 "SELECT json_array_length(report, '\$.steps') FROM reports WHERE threat_id = '$CSI_THREAT'")
cat >"$T/inv.keys" <<EOF
search csi-cinder
key Enter
dump $T/inv.1
key n
dump $T/inv.2
key p
dump $T/inv.3
key Esc
dump $T/inv.4
EOF
console inv
assert_rc "investigation script runs" 0
assert_eq "investigation: the title names the threat and step 1" \
	" verdict │ investigation │ Disallowed K8s User  step 1/$nsteps" \
	"$(row 1 "$T/inv.1")"
assert_match "investigation: the verdict header" \
	'^Verdict benign   confidence [0-9]+%   score -?[0-9]+   playbook ' "$T/inv.1"
assert_eq "investigation: the threat line" \
	"Threat  medium  Disallowed K8s User" "$(row 3 "$T/inv.1")"
assert_contains "investigation: the actor" \
	"  actor     csi-cinder-controller" "$T/inv.1"
assert_contains "investigation: the allowlist is a key finding" \
	" -60  Allowlisted (ovh-csi-controller): The OVH CSI controller patches" \
	"$T/inv.1"
assert_match "investigation: step 1 is current in the list" \
	'^ ▶  1  ' "$T/inv.1"
assert_contains "n: step 2 of the playbook" "Step 2 of $nsteps  " "$T/inv.2"
assert_match "n: the pointer moved to step 2" '^ ▶  2  ' "$T/inv.2"
assert_contains "n: the title follows" "step 2/$nsteps" "$T/inv.2"
assert_contains "the step's filled-in query" \
	"WHERE id IN (SELECT event_id FROM threat_events WHERE threat_id = '$CSI_THREAT')" \
	"$T/inv.1"
assert_match "n: the step's finding and score" '^  score     [+-][0-9]+$' "$T/inv.2"
assert_contains "p: back to step 1" "Step 1 of $nsteps  " "$T/inv.3"
assert_contains "Esc: back to the queue" " verdict │ queue │" "$T/inv.4"

# ---- case 17: the evidence view ---------------------------------------------
cat >"$T/ev.keys" <<EOF
cmd :event $CT17
dump $T/ev.ct
key Esc
cmd :event $K8S17
dump $T/ev.k8s
search owned
dump $T/ev.search
EOF
console ev
assert_rc "evidence script runs" 0
assert_contains "case 17: CSI, C1 CSI and LF escaped on the userAgent's one row" \
	'  "userAgent": "curl/8.0\x1b[1A\x1b[2K\u009b31mfake-line\x0asecond-line",' \
	"$T/ev.ct"
assert_contains "case 17: backspaces escaped" '    "key": "a\x08\x08\x08b"' "$T/ev.ct"
assert_contains "case 17: CR and SGR escaped" \
	'  "userAgent": "kubectl/v1.30.0\x0d\x1b[32mALL CLEAR\x1b[0m",' "$T/ev.k8s"
assert_contains "case 17: OSC title and clear screen escaped" \
	'    "name": "cm-\x1b]0;owned-title\x07-\x1b[2J\x1b[H-x",' "$T/ev.k8s"
assert_lacks "case 17: no second-line row of its own" '  second-line' "$T/ev.ct"
for f in "$T/ev.ct" "$T/ev.k8s"; do
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$f" ||
		LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$f"; then
		flunk "case 17: no control byte in the screen $(basename "$f")"
	else
		pass "case 17: no control byte in the screen $(basename "$f")"
	fi
done
assert_eq "evidence: the title names the record" \
	" verdict │ evidence │ $CT17  cloudtrail GetObject 2026-12-01T00:00:04Z  624 bytes" \
	"$(row 1 "$T/ev.ct")"
assert_eq "evidence: pretty-printed from the first brace" "{" "$(row 2 "$T/ev.ct")"
assert_contains "evidence: nested objects indented" \
	'    "arn": "arn:aws:iam::111122223333:user/example-user",' "$T/ev.ct"
assert_contains "evidence: null stays null" '  "responseElements": null,' "$T/ev.ct"
assert_contains "evidence: / finds the line" '"owned" on line 19' "$T/ev.search"

# The cited event opens from the pivot's investigation with Enter.
cat >"$T/cite.keys" <<EOF
cmd :threat $PIVOT
key G
dump $T/cite.0
EOF
console cite
line=$(grep -n "^            $CT17\$" "$T/cite.0" | head -1 | cut -d: -f1)
if [ -n "$line" ]; then
	pass "pivot: the cited event is listed under its step"
else
	flunk "pivot: the cited event is listed under its step" "$(cat "$T/cite.0")"
fi
cat >"$T/cite2.keys" <<EOF
cmd :threat $PIVOT
key e
dump $T/cite.1
EOF
console cite2
assert_contains "e: opens the raw record of the step's cited event" \
	" verdict │ evidence │ $CT17" "$T/cite.1"

# ---- blast radius, help, completion -----------------------------------------
cat >"$T/misc.keys" <<EOF
cmd :threat $PIVOT
key b
dump $T/blast.1
key Esc Esc ?
dump $T/help.1
key q
key :
type the
key Tab
dump $T/complete.1
type m
key Tab
dump $T/complete.2
key Enter
dump $T/complete.3
EOF
console misc
assert_rc "blast, help and completion script runs" 0
assert_eq "blast: the principal at the root" \
	"▾ arn:aws:iam::111122223333:user/example-user  not found in the identity data" \
	"$(row 2 "$T/blast.1")"
assert_contains "blast: what it touched, as a branch" "├─ ▾ Touched (1)" "$T/blast.1"
assert_contains "blast: the bucket it read" "│  └─ example-bucket" "$T/blast.1"
assert_eq "help: names the view" " verdict │ help │ queue" "$(row 1 "$T/help.1")"
assert_contains "help: the queue's own keys" \
	"  D                      set-decided        mark the threat as decided" \
	"$T/help.1"
assert_contains "help: generic keys from the action table" \
	"  j, Down                move-down          move down one row" "$T/help.1"
assert_eq ": Tab completes the command" ":theme" \
	"$(row 40 "$T/complete.1" | sed 's/ *$//')"
assert_eq ": Tab completes the theme" ":theme mono" \
	"$(row 40 "$T/complete.2" | sed 's/ *$//')"
assert_match ": Enter runs it" '^theme mono +[0-9]+/[0-9]+$' "$T/complete.3"

# ---- changes, and --readonly refusing them -----------------------------------
cat >"$T/change.keys" <<EOF
search csi-cinder
key D
dump $T/change.1
EOF
console change --readonly
assert_rc "readonly script runs" 0
assert_match "--readonly: D is refused on the status line" \
	'^read-only: set-decided is refused \(--readonly\)' "$T/change.1"
assert_eq "--readonly: the threat is still new" '"new"' \
	"$(sql1 "SELECT status FROM threats WHERE id = '$CSI_THREAT'")"
console change
assert_match "D: marks the threat decided" "^$CSI_THREAT is now decided" \
	"$T/change.1"
assert_eq "D: the store has it" '"decided"' \
	"$(sql1 "SELECT status FROM threats WHERE id = '$CSI_THREAT'")"
assert_contains "D: the title bar counts it" " 1 decided" "$T/change.1"
printf 'cmd :filter\n' >"$T/clear.keys"
console clear

# ---- themes that fail, resizing, LANG=C --------------------------------------
mkdir -p "$XDG_CONFIG_HOME/verdict/themes"
printf 'normal = default default\ntitle = blu default bold\n' \
	>"$XDG_CONFIG_HOME/verdict/themes/broken.theme"
printf 'dump %s\n' "$T/theme.1" >"$T/theme.keys"
console theme --theme broken
# A long message takes the last two rows.
tail -2 "$T/theme.1" | tr '\n' ' ' >"$T/theme.status"
assert_contains "bad theme: file and line on the status line" \
	"broken.theme:2: fg: unknown colour \"blu\"" "$T/theme.status"
assert_contains "bad theme: falls back to the default" \
	"using the default-dark theme: $XDG_CONFIG_HOME/verdict/themes/broken.theme" \
	"$T/theme.status"

cat >"$T/resize.keys" <<EOF
resize 80x24
dump $T/resize.1
resize 150x50
dump $T/resize.2
EOF
console resize
assert_eq "resize 80x24: 24 rows of 80 columns at most" "24 80" \
	"$(wc -l <"$T/resize.1" | tr -d ' ') $(wc -L <"$T/resize.1" | tr -d ' ')"
assert_match "resize 80x24: the status line at the bottom" "^\? help" "$T/resize.1"
assert_eq "resize 150x50: 50 rows" 50 "$(wc -l <"$T/resize.2" | tr -d ' ')"

cat >"$T/ascii.keys" <<EOF
dump $T/ascii.1
cmd :event $CT17
dump $T/ascii.2
EOF
LC_ALL=C console ascii
if LC_ALL=C grep -q "$(printf '[\200-\377]')" "$T/ascii.1" "$T/ascii.2"; then
	flunk "LANG=C: the screens are ASCII" "$(LC_ALL=C grep -n "$(printf '[\200-\377]')" "$T/ascii.1" | head -3)"
else
	pass "LANG=C: the screens are ASCII"
fi
assert_contains "LANG=C: ASCII separators" " verdict | queue | " "$T/ascii.1"
assert_contains "LANG=C: case 17 still escaped" \
	'"userAgent": "curl/8.0\x1b[1A\x1b[2K\u009b31mfake-line\x0asecond-line",' \
	"$T/ascii.2"

# ---- mistakes ----------------------------------------------------------------
printf 'key j\nfrobnicate now\n' >"$T/bad.keys"
console bad
assert_rc "a bad script line: usage error" 2
assert_contains "a bad script line: named with its line" \
	"bad.keys:2: unknown script word \"frobnicate\"" "$T/err"
vrun --db "$DB" console </dev/null
assert_rc "no terminal, no script: usage error" 2
assert_contains "no terminal: says so" "the console needs a terminal" "$T/err"

# ---- verdict demo ------------------------------------------------------------
mkdir "$T/tmp"
printf 'dump %s\nkey Enter\ndump %s\n' "$T/demo.1" "$T/demo.2" >"$T/demo.keys"
TMPDIR=$T/tmp vrun demo --script "$T/demo.keys"
assert_rc "demo runs" 0
assert_match "demo: says what it loaded" \
	'^verdict demo: [0-9]+ events from .*, [0-9]+ threats, [0-9]+ investigated' "$T/err"
assert_match "demo: the queue lists the bundled threats" \
	'^ verdict │ queue │ [1-9][0-9]* threats' "$T/demo.1"
assert_match "demo: Enter opens an investigation" '^Verdict [a-z]+   confidence' \
	"$T/demo.2"
assert_eq "demo: the throwaway store is gone" "" "$(ls "$T/tmp")"

finish
