#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# console_follow.sh: `verdict console --follow PATH|-`. In scripted mode: a
# Falco alert appended to a followed empty file becomes an investigated
# threat on the queue (`wait MS` waits for the follower), a truncated file
# is read again from its start, a flow log's header line serves the lines
# appended after it, stdin is followed as a stream, and
# --readonly refuses --follow. In a real terminal (tmux), for a file and
# for a pipe on stdin: the row and the title count appear while keys still
# answer, and q stops the follower cleanly. The tmux part is skipped when
# tmux is missing.
. "${top_srcdir:-.}/tests/cli/lib.sh"

KB_TEST=$DATA/kb-test
ALERTS=$DATA/falco-alerts/alerts.jsonl

if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" != UTF-8 ]; then
	printf 'skip - no C.UTF-8 locale here\n'
	exit 77
fi
LC_ALL=C.UTF-8
export LC_ALL
unset NO_COLOR

# alert N: line N of the Falco alerts (one alert, one JSON line).
alert() {
	sed -n "$1p" "$ALERTS"
}

# until_file FILE: wait for FILE to exist (10 s at most).
until_file() {
	i=0
	while [ $i -lt 100 ] && ! [ -e "$1" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# An empty store the console can open.
ingest /dev/null

# ---- scripted: an alert appended to an empty followed file ----------------
: >"$T/live.jsonl"
cat >"$T/append.keys" <<EOF
dump $T/append.before
wait 15000
dump $T/append.after
key j ?
dump $T/append.help
EOF
"$VERDICT" --db "$DB" --kb "$KB_TEST" console --follow "$T/live.jsonl" \
	--script "$T/append.keys" >"$T/append.out" 2>"$T/append.err" &
pid=$!
until_file "$T/append.before" || flunk "append: the first screen is dumped"
alert 1 >>"$T/live.jsonl"
status=0
wait $pid || status=$?
sane "$status" "$T/append.err" "console --follow (append)"
assert_eq "append: the console exits with status 0" 0 "$status"
assert_contains "append: the queue starts empty" \
	" verdict │ queue │ 0 threats" "$T/append.before"
assert_contains "append: the title count follows" \
	" verdict │ queue │ 1 threats" "$T/append.after"
assert_match "append: the alert's threat is a row" \
	"^medium +new +[a-z]+ +[0-9]+% Disallowed K8s User " "$T/append.after"
assert_contains "append: the status line says what came in" \
	"follow: 1 events, 1 new threats, 1 investigated" "$T/append.after"
assert_contains "append: keys still answer (help opens)" \
	" verdict │ help │" "$T/append.help"
assert_eq "append: the alert is stored once" 1 \
	"$(sql1 "SELECT count(*) FROM events WHERE source = 'falco'")"
assert_eq "append: its threat is investigated" 1 \
	"$(sql1 "SELECT count(*) FROM threats WHERE verdict IS NOT NULL")"

# ---- scripted: truncation reads the file again from its start ------------
cat >"$T/trunc.keys" <<EOF
wait 15000
dump $T/trunc.first
wait 15000
dump $T/trunc.second
EOF
mkdir "$T/logs"
alert 6 >"$T/logs/rot.jsonl"
"$VERDICT" --db "$DB" --kb "$KB_TEST" console --follow "$T/logs" \
	--script "$T/trunc.keys" >"$T/trunc.out" 2>"$T/trunc.err" &
pid=$!
until_file "$T/trunc.first" || flunk "truncate: the first round is dumped"
# Truncated in place to a shorter line: the follower must start over.
alert 3 >"$T/logs/rot.jsonl"
status=0
wait $pid || status=$?
sane "$status" "$T/trunc.err" "console --follow (truncate)"
assert_eq "truncate: the console exits with status 0" 0 "$status"
assert_contains "directory: a file in a followed directory is read" \
	"Contact K8S API Server From" "$T/trunc.first"
assert_contains "truncate: the new first line is read" \
	"K8s Serviceaccount Created" "$T/trunc.second"
assert_contains "truncate: the title counts both" \
	" verdict │ queue │ 3 threats" "$T/trunc.second"

# ---- scripted: a flow log's header serves the lines appended later -------
VPC=$DATA/vpc-flow-logs-aws-docs-examples/default-format-v2.log
FIELDS="version account-id interface-id srcaddr dstaddr srcport dstport"
FIELDS="$FIELDS protocol packets bytes start end action log-status"
mkdir "$T/flow"
{
	echo "$FIELDS"
	sed -n 1,2p "$VPC"
} >"$T/flow/v.log"
cat >"$T/flow.keys" <<EOF
wait 15000
dump $T/flow.first
wait 15000
dump $T/flow.second
EOF
"$VERDICT" --db "$DB" --kb "$KB_TEST" console --follow "$T/flow/v.log" \
	--script "$T/flow.keys" >"$T/flow.out" 2>"$T/flow.err" &
pid=$!
until_file "$T/flow.first" || flunk "flow log: the first round is dumped"
sed -n 3,5p "$VPC" >>"$T/flow/v.log"
status=0
wait $pid || status=$?
sane "$status" "$T/flow.err" "console --follow (flow log)"
assert_contains "flow log: the first two records" "follow: 2 events" \
	"$T/flow.first"
assert_contains "flow log: three appended records read with the header" \
	"follow: 3 events, 0 new threats" "$T/flow.second"
assert_eq "flow log: all five stored" 5 \
	"$(sql1 "SELECT count(*) FROM events WHERE source = 'vpcflow'")"

# ---- scripted: stdin as a stream ------------------------------------------
cat >"$T/stdin.keys" <<EOF
wait 15000
dump $T/stdin.after
EOF
status=0
{ sleep 0.5; alert 2; sleep 0.5; } |
	"$VERDICT" --db "$DB" --kb "$KB_TEST" console --follow - \
		--script "$T/stdin.keys" >"$T/stdin.out" 2>"$T/stdin.err" ||
	status=$?
sane "$status" "$T/stdin.err" "console --follow - (stdin)"
assert_eq "stdin: the console exits with status 0" 0 "$status"
assert_contains "stdin: the streamed alert is a row" "Attach/Exec Pod" \
	"$T/stdin.after"

# ---- --readonly refuses --follow -------------------------------------------
vrun --db "$DB" console --readonly --follow "$T/live.jsonl" --script "$T/stdin.keys"
assert_rc "--readonly --follow: a usage error" 2
assert_contains "--readonly --follow: says why" "--readonly forbids" "$T/err"
vrun console --help
assert_contains "--help lists --follow" "--follow PATH" "$T/out"

# ---- a real terminal ----------------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
	printf 'ok - # SKIP tmux is not installed\n'
	finish
fi
SOCK=$T/tmux.sock
tm() {
	tmux -S "$SOCK" -f /dev/null "$@"
}
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
if infocmp tmux-256color >/dev/null 2>&1; then
	TERMTYPE=tmux-256color
else
	TERMTYPE=screen-256color
fi
screen() {
	tm capture-pane -p -t "$1"
}
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		screen "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

n0=$(sql1 "SELECT count(*) FROM threats")
: >"$T/tty.jsonl"
tm new-session -d -s live -x 120 -y 40 \
	"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' \
	XDG_DATA_HOME='$XDG_DATA_HOME' ASAN_OPTIONS='$ASAN_OPTIONS' \
	UBSAN_OPTIONS='$UBSAN_OPTIONS' TSAN_OPTIONS='${TSAN_OPTIONS:-}' \
	LC_ALL=C.UTF-8 TERM=$TERMTYPE \
	'$VERDICT' --db '$DB' --kb '$KB_TEST' console --follow '$T/tty.jsonl' \
	2>'$T/live.err'; echo \$? >'$T/live.rc'"
wait_for live " verdict │ queue │ $n0 threats" ||
	flunk "tmux: the queue appears" "$(screen live)"
alert 4 >>"$T/tty.jsonl"
if wait_for live " verdict │ queue │ $((n0 + 1)) threats"; then
	pass "tmux: the title count goes from $n0 to $((n0 + 1))"
else
	flunk "tmux: the title count goes from $n0 to $((n0 + 1))" "$(screen live)"
fi
wait_for live "Terminal shell in container" ||
	flunk "tmux: the new threat is a row" "$(screen live)"
tm send-keys -t live j
tm send-keys -t live '?'
if wait_for live " verdict │ help │"; then
	pass "tmux: keys still answer (? opens help)"
else
	flunk "tmux: keys still answer (? opens help)" "$(screen live)"
fi
tm send-keys -t live q q
i=0
while [ $i -lt 100 ] && ! [ -s "$T/live.rc" ]; do
	sleep 0.1
	i=$((i + 1))
done
assert_eq "tmux: q stops the follower and exits with status 0" 0 \
	"$(cat "$T/live.rc" 2>/dev/null)"
if grep -qE 'Sanitizer|runtime error' "$T/live.err"; then
	flunk "tmux: no sanitizer report" "$(head -c 2000 "$T/live.err")"
fi

# ---- a real terminal, following stdin ----------------------------------------
# The alert arrives through a pipe; the keys still come from the terminal.
n0=$(sql1 "SELECT count(*) FROM threats")
tm new-session -d -s pipe -x 120 -y 40 \
	"{ while ! [ -e '$T/go' ]; do sleep 0.1; done; sed -n 5p '$ALERTS'; \
	sleep 60; } | { env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' \
	XDG_DATA_HOME='$XDG_DATA_HOME' ASAN_OPTIONS='$ASAN_OPTIONS' \
	UBSAN_OPTIONS='$UBSAN_OPTIONS' TSAN_OPTIONS='${TSAN_OPTIONS:-}' \
	LC_ALL=C.UTF-8 TERM=$TERMTYPE \
	'$VERDICT' --db '$DB' --kb '$KB_TEST' console --follow - \
	2>'$T/pipe.err'; echo \$? >'$T/pipe.rc'; }"
wait_for pipe " verdict │ queue │ $n0 threats" ||
	flunk "tmux stdin: the queue appears" "$(screen pipe)"
tm send-keys -t pipe j
touch "$T/go"
if wait_for pipe " verdict │ queue │ $((n0 + 1)) threats"; then
	pass "tmux stdin: the piped alert counts ($((n0 + 1)) threats)"
else
	flunk "tmux stdin: the piped alert counts ($((n0 + 1)) threats)" \
		"$(screen pipe)"
fi
tm send-keys -t pipe '?'
if wait_for pipe " verdict │ help │"; then
	pass "tmux stdin: keys come from the terminal (? opens help)"
else
	flunk "tmux stdin: keys come from the terminal (? opens help)" \
		"$(screen pipe)"
fi
tm send-keys -t pipe q q
i=0
while [ $i -lt 100 ] && ! [ -s "$T/pipe.rc" ]; do
	sleep 0.1
	i=$((i + 1))
done
assert_eq "tmux stdin: q quits with status 0" 0 \
	"$(cat "$T/pipe.rc" 2>/dev/null)"
if grep -qE 'Sanitizer|runtime error' "$T/pipe.err"; then
	flunk "tmux stdin: no sanitizer report" "$(head -c 2000 "$T/pipe.err")"
fi
tm kill-server >/dev/null 2>&1 || true

finish
