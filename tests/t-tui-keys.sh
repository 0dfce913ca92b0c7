#!/bin/sh
# t-tui-keys.sh: the man page's key list (man/featscope-keys.inc and the
# KEYS section of man/featscope.1) is generated from the keymap table by
# tools/gen-keys (`featscope gen keys`); fail when either is stale, and check that the help screen lists every
# action of the table (both come from the one table).
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

"$FS" gen keys >"$TMP/keys.inc"
check_eq keymap-man-exit 0 $?
if cmp -s "$TMP/keys.inc" "$S/man/featscope-keys.inc"; then
	ok keymap-man-fresh
else
	fail keymap-man-fresh "man/featscope-keys.inc is stale: run tools/gen-keys ($(diff "$S/man/featscope-keys.inc" "$TMP/keys.inc" | head -4 | tr '\n' '~'))"
fi
# The same list between the BEGIN/END KEYS markers of man/featscope.1.
awk '/^\.\\" BEGIN KEYS/ { on = 1; next } /^\.\\" END KEYS/ { on = 0 } on' "$S/man/featscope.1" >"$TMP/section"
if cmp -s "$TMP/keys.inc" "$TMP/section"; then
	ok keymap-man-section-fresh
else
	fail keymap-man-section-fresh "the KEYS section of man/featscope.1 is stale: run 'tools/gen-keys --splice' ($(diff "$TMP/section" "$TMP/keys.inc" | head -4 | tr '\n' '~'))"
fi
check_grep keymap-man-roff '^\.SS Everywhere$' "$TMP/keys.inc"
check_nogrep keymap-man-no-raw-dash '^[^.].*[^\\]-' "$TMP/keys.inc"

# The help screen, scrolled through, names every action in the table.
FIX=$(fixture_index) || { fail tui-keys-fixture "fixture_index failed"; exit 1; }
{
	echo "?"
	echo ":save-display $TMP/help1"
	echo "<PgDn>"
	echo ":save-display $TMP/help2"
	echo "<PgDn>"
	echo ":save-display $TMP/help3"
	echo "<PgDn>"
	echo ":save-display $TMP/help4"
	echo "<PgDn>"
	echo ":save-display $TMP/help5"
} >"$TMP/help.keys"
FEATSCOPE_SCRIPT=$TMP/help.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$FIX" 2>"$TMP/help.err"
cat "$TMP/help1" "$TMP/help2" "$TMP/help3" "$TMP/help4" "$TMP/help5" >"$TMP/help.all" 2>/dev/null
missing=""
for name in $(sed -n 's/.*(\\fI\(.*\)\\fP)$/\1/p' "$TMP/keys.inc" | sed 's/\\-/-/g'); do
	grep -q ":$name\( \|\$\)" "$TMP/help.all" || missing="$missing $name"
done
check_eq help-lists-every-action "" "$missing"
