#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# layering.sh: dependencies point one way, tui -> kb -> core. core/ and kb/
# never include curses, core/ includes nothing from kb/ or tui/, kb/ nothing
# from tui/, and the core library needs no curses symbol.
. "${top_srcdir:-.}/tests/cli/lib.sh"

SRC=$top_srcdir
CURSES='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((n?cursesw?|ncursesw?/[^>"]*|term|termcap|panel|menu|form|unctrl)\.h|ncursesw?/)'

# includes DESC ERE DIR...: no C file under DIR has an #include matching ERE.
includes() {
	desc=$1 re=$2
	shift 2
	hits=$(find "$@" -type f \( -name '*.c' -o -name '*.h' \) \
		-exec grep -HnE -- "$re" {} + 2>/dev/null)
	if [ -z "$hits" ]; then
		pass "$desc"
	else
		flunk "$desc" "$hits"
	fi
}

# The patterns must catch what they are for, or the checks below mean nothing.
mkdir "$T/probe"
printf '#include <ncursesw/curses.h>\n' >"$T/probe/a.c"
printf '  #  include "curses.h"\n' >"$T/probe/b.h"
printf '#include <term.h>\n' >"$T/probe/c.c"
printf '#include "tui/view.h"\n' >"$T/probe/d.c"
printf '#include "../kb/kb.h"\n' >"$T/probe/e.c"
printf '#include <string.h>\n#include "core/termios_compat.h"\n' >"$T/probe/ok.c"
assert_eq "the curses pattern finds every spelling" 3 \
	"$(cat "$T"/probe/*.[ch] | grep -cE -- "$CURSES")"
assert_eq "the tui pattern finds a tui header" 1 \
	"$(cat "$T"/probe/*.[ch] | grep -cE '#[[:space:]]*include[[:space:]]*"(\.\./)*tui/')"
assert_eq "the kb pattern finds a kb header" 1 \
	"$(cat "$T"/probe/*.[ch] | grep -cE '#[[:space:]]*include[[:space:]]*"(\.\./)*kb/')"

[ -d "$SRC/core" ] || die "no $SRC/core"
includes "core/ includes no curses header" "$CURSES" "$SRC/core"
if [ -d "$SRC/kb" ]; then
	includes "kb/ includes no curses header" "$CURSES" "$SRC/kb"
	includes "kb/ includes no tui/ header" \
		'#[[:space:]]*include[[:space:]]*"(\.\./)*tui/' "$SRC/kb"
fi
includes "core/ includes no tui/ header" \
	'#[[:space:]]*include[[:space:]]*"(\.\./)*tui/' "$SRC/core"
includes "core/ includes no kb/ header" \
	'#[[:space:]]*include[[:space:]]*"(\.\./)*kb/' "$SRC/core"

# The built library: no undefined curses function, whatever the headers say.
LIB=${top_builddir:-.}/libverdict_core.a
if [ -f "$LIB" ] && command -v nm >/dev/null 2>&1; then
	hits=$(nm -u "$LIB" 2>/dev/null | grep -wE \
		'(initscr|newterm|endwin|newwin|delwin|w?refresh|doupdate|wnoutrefresh|w?getch|wget_wch|keypad|start_color|init_pair|w?attr_?on|w?attr_?off|mvw?printw|mvw?add(n)?w?str|w?add(n)?w?str|waddch|wmove|werase|wclear|setupterm|tigetstr|tputs|curs_set|COLS|LINES|stdscr)')
	if [ -z "$hits" ]; then
		pass "libverdict_core.a needs no curses symbol"
	else
		flunk "libverdict_core.a needs no curses symbol" "$hits"
	fi
else
	printf 'skip - no %s or no nm to inspect it\n' "$LIB"
fi

finish
