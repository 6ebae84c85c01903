#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# console_tmux.sh: the console in a real terminal (tmux send-keys and
# capture-pane) for what only a terminal shows: case 17's escape sequences
# never reach it (the pane title, colours, cursor and screen stay ours),
# resizing, NO_COLOR, LANG=C, a mono theme and an unknown TERM. Skipped
# (77) only when tmux is missing.
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v tmux >/dev/null 2>&1 || {
	printf 'skip - tmux is not installed\n'
	exit 77
}
if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" != UTF-8 ]; then
	printf 'skip - no C.UTF-8 locale here\n'
	exit 77
fi

CT17=00000000-0000-4000-8000-000000001702
K8S17=00000000-0000-4000-8000-000000001701
SOCK=$T/tmux.sock
ESC=$(printf '\033')

# A private server: never the user's own tmux.
tm() {
	tmux -S "$SOCK" -f /dev/null "$@"
}
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT

# start NAME ENV [OPTIONS [COMMAND]]: the console in a new 120x40 session,
# with the environment assignments ENV and console OPTIONS; COMMAND replaces
# the word "console". Its exit status lands in $T/NAME.rc (tmux's own record
# of it is not reliable).
start() {
	tm new-session -d -s "$1" -x 120 -y 40 \
		"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' \
		XDG_DATA_HOME='$XDG_DATA_HOME' ASAN_OPTIONS='$ASAN_OPTIONS' \
		UBSAN_OPTIONS='$UBSAN_OPTIONS' $2 '$VERDICT' --db '$DB' \
		${4-console} ${3:-} 2>'$T/$1.err'; echo \$? >'$T/$1.rc'"
}

# screen NAME [-e]: the pane's text now (with -e, its attributes too).
screen() {
	tm capture-pane -p -t "$1" ${2:-}
}

# wait_for NAME TEXT: until the pane shows TEXT (10 s at most).
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		screen "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# settle NAME: until two captures a moment apart agree.
settle() {
	prev=
	i=0
	while [ $i -lt 50 ]; do
		cur=$(screen "$1" -e)
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.1
		i=$((i + 1))
	done
}

# quit NAME [KEY]: leave the console (q by default); it must exit cleanly.
quit() {
	tm send-keys -t "$1" Escape Escape Escape "${2:-q}"
	i=0
	while [ $i -lt 100 ] && ! [ -s "$T/$1.rc" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$1: the console exits with status 0" 0 \
		"$(cat "$T/$1.rc" 2>/dev/null)"
	if grep -qE 'Sanitizer|runtime error' "$T/$1.err"; then
		flunk "$1: no sanitizer report" "$(head -c 2000 "$T/$1.err")"
	fi
	tm kill-session -t "$1" 2>/dev/null || true
}

# sgr_colours FILE: the colour parameters of the SGR sequences in FILE
# (39 and 49, the terminal's own colours, are no colour).
sgr_colours() {
	grep -o "$ESC\\[[0-9;]*m" "$1" | tr -d "$ESC[m" | tr ';' '\n' |
		grep -E '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' | sort -u | tr '\n' ' '
}

ingest "$CASES/17-tui-terminal-escape-injection.jsonl" \
	"$DATA/falco-alerts/alerts.jsonl"
vrun --db "$DB" promote $K8S17
assert_rc "promote case 17's k8s record" 0

# A session that holds the server up between the console's sessions.
tm new-session -d -s holder -x 20 -y 5 "sleep 600"
if infocmp tmux-256color >/dev/null 2>&1; then
	TERMTYPE=tmux-256color
else
	TERMTYPE=screen-256color
fi

# ---- case 17 in a real terminal -----------------------------------------
start case17 "LC_ALL=C.UTF-8 TERM=$TERMTYPE"
wait_for case17 " verdict │ queue │" || flunk "case17: the queue appears" "$(screen case17)"
title_before=$(tm display -p -t case17 '#{pane_title}')
tm send-keys -t case17 : "event $K8S17" Enter
wait_for case17 '"objectRef": {' || flunk "case17: the k8s record appears" "$(screen case17)"
settle case17
screen case17 >"$T/k8s.txt"
screen case17 -e >"$T/k8s.e"
tm send-keys -t case17 Escape : "event $CT17" Enter
wait_for case17 '"requestParameters": {' || flunk "case17: the CloudTrail record appears"
settle case17
screen case17 >"$T/ct.txt"
screen case17 -e >"$T/ct.e"

assert_eq "case17: the pane title is untouched" "$title_before" \
	"$(tm display -p -t case17 '#{pane_title}')"
assert_contains "case17: the OSC shown escaped" \
	'"name": "cm-\x1b]0;owned-title\x07-\x1b[2J\x1b[H-x",' "$T/k8s.txt"
assert_contains "case17: CR and SGR shown escaped on one row" \
	'"userAgent": "kubectl/v1.30.0\x0d\x1b[32mALL CLEAR\x1b[0m",' "$T/k8s.txt"
assert_contains "case17: the clear screen did not clear ours" \
	" verdict │ evidence │ $K8S17" "$T/k8s.txt"
assert_contains "case17: cursor-up and C1 CSI shown escaped" \
	'"userAgent": "curl/8.0\x1b[1A\x1b[2K\u009b31mfake-line\x0asecond-line",' \
	"$T/ct.txt"
# The row after the userAgent is the next key: nothing moved the cursor up
# or erased a line, and the LF did not start a row of its own.
assert_eq "case17: the rows around the userAgent are in order" \
	'  "sourceIPAddress": "203.0.113.91",|  "userAgent": "curl/8.0\x1b[1A\x1b[2K\u009b31mfake-line\x0asecond-line",|  "requestParameters": {' \
	"$(grep -A1 -B1 -F '"userAgent"' "$T/ct.txt" | sed 's/ *$//' | paste -sd'|' -)"
# In the attributes: the injected SGR 32 is text; "ALL CLEAR" is not green.
if grep -F 'ALL CLEAR' "$T/k8s.e" | grep -q "${ESC}\\[32mALL CLEAR"; then
	flunk "case17: the injected green never reaches the terminal" \
		"$(grep -F 'ALL CLEAR' "$T/k8s.e")"
else
	pass "case17: the injected green never reaches the terminal"
fi
assert_eq "case17: the cursor stays hidden" 0 \
	"$(tm display -p -t case17 '#{cursor_flag}')"
# The pivot's investigation shows the hostile resource escaped in its header.
tm send-keys -t case17 Escape : "filter pivot" Enter Enter
wait_for case17 "Verdict " || flunk "case17: the pivot investigation opens" "$(screen case17)"
settle case17
screen case17 >"$T/pivot.txt"
assert_contains "case17: the resource escaped in the investigation" \
	'cm-\x1b]0;owned-title\x07-\x1b[2J\x1b[H-x' "$T/pivot.txt"
assert_eq "case17: the title is still untouched" "$title_before" \
	"$(tm display -p -t case17 '#{pane_title}')"
tm send-keys -t case17 Escape : "filter" Enter

# ---- resize ----------------------------------------------------------------
tm resize-window -t case17 -x 80 -y 24
wait_for case17 "? help" || true
settle case17
screen case17 >"$T/small.txt"
assert_eq "resize: 24 rows" 24 "$(wc -l <"$T/small.txt" | tr -d ' ')"
assert_eq "resize: nothing wider than 80 columns" 80 \
	"$(wc -L <"$T/small.txt" | tr -d ' ')"
assert_match "resize: the title bar on the first row" '^ verdict │ queue │' "$T/small.txt"
assert_match "resize: the status line on the last row" '[0-9]+/[0-9]+$' "$T/small.txt"
assert_eq "resize: the status line is row 24" 24 \
	"$(grep -nE '[0-9]+/[0-9]+ *$' "$T/small.txt" | tail -1 | cut -d: -f1)"
tm resize-window -t case17 -x 120 -y 40
settle case17
screen case17 >"$T/big.txt"
assert_eq "resize back: 40 rows" 40 "$(wc -l <"$T/big.txt" | tr -d ' ')"
screen case17 -e >"$T/colour.e"
if [ -n "$(sgr_colours "$T/colour.e")" ]; then
	pass "colours: the default theme uses colour (so the NO_COLOR check means something)"
else
	flunk "colours: the default theme uses colour" "$(head -c 600 "$T/colour.e")"
fi
quit case17 C-c

# ---- NO_COLOR --------------------------------------------------------------
start nocolor "LC_ALL=C.UTF-8 NO_COLOR=1 TERM=$TERMTYPE"
wait_for nocolor " verdict │ queue │" || flunk "nocolor: the queue appears"
tm send-keys -t nocolor : "event $CT17" Enter
wait_for nocolor '"requestParameters": {' || true
settle nocolor
screen nocolor -e >"$T/nocolor.e"
assert_eq "NO_COLOR: no colour in any SGR sequence" "" "$(sgr_colours "$T/nocolor.e")"
assert_contains "NO_COLOR: attributes remain (the title reversed or bold)" \
	"${ESC}[" "$T/nocolor.e"
quit nocolor

# ---- LANG=C ----------------------------------------------------------------
start ascii "LC_ALL=C LANG=C TERM=$TERMTYPE"
wait_for ascii " verdict | queue |" || flunk "LANG=C: the queue appears" "$(screen ascii)"
tm send-keys -t ascii : "event $K8S17" Enter
wait_for ascii '"objectRef": {' || true
settle ascii
screen ascii >"$T/ascii.txt"
if LC_ALL=C grep -q "$(printf '[\200-\377]')" "$T/ascii.txt"; then
	flunk "LANG=C: ASCII only" "$(LC_ALL=C grep -n "$(printf '[\200-\377]')" "$T/ascii.txt" | head -3)"
else
	pass "LANG=C: ASCII only"
fi
assert_contains "LANG=C: escapes the same" \
	'"userAgent": "kubectl/v1.30.0\x0d\x1b[32mALL CLEAR\x1b[0m",' "$T/ascii.txt"
quit ascii

# ---- --theme mono ----------------------------------------------------------
start mono "LC_ALL=C.UTF-8 TERM=$TERMTYPE" "--theme mono"
wait_for mono " verdict │ queue │" || flunk "mono: the queue appears"
settle mono
screen mono -e >"$T/mono.e"
assert_eq "--theme mono: no colour" "" "$(sgr_colours "$T/mono.e")"
assert_match "--theme mono: the title bar reversed" "^${ESC}\\[[0-9;]*7[0-9;]*m verdict" \
	"$T/mono.e"
quit mono

# ---- `verdict` alone in a terminal opens the console ---------------------
start bare "LC_ALL=C.UTF-8 TERM=$TERMTYPE" "" ""
wait_for bare " verdict │ queue │" || flunk "verdict alone: opens the queue" \
	"$(screen bare)"
# Live counts: threats ingested by another process appear in the title.
ingest "$DATA/wiz"
n=$(sql1 "SELECT count(*) FROM threats")
if wait_for bare " verdict │ queue │ $n threats"; then
	pass "live counts: the title bar follows the store ($n threats)"
else
	flunk "live counts: the title bar follows the store ($n threats)" \
		"$(screen bare | head -1)"
fi
quit bare

# ---- an unknown TERM --------------------------------------------------------
# ncurses keeps the screen it allocated for a newterm that fails (its own
# leak, once per unknown TERM); LeakSanitizer is told so.
printf 'leak:new_prescr\n' >"$T/lsan.supp"
start oddterm "LC_ALL=C.UTF-8 TERM=no-such-terminal-here \
	LSAN_OPTIONS=suppressions=$T/lsan.supp"
wait_for oddterm " verdict │ queue │" || flunk "unknown TERM: the console still starts" \
	"$(screen oddterm)"
screen oddterm >"$T/odd.txt"
assert_contains "unknown TERM: says what it drew as" \
	"TERM=no-such-terminal-here is not known here; drawing as xterm-256color" \
	"$T/odd.txt"
quit oddterm

finish
