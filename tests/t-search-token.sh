#!/bin/sh
# t-search-token.sh: `featscope token` (grep_cmd_token in grep.c, called by
# cmd_token) on the planted-feature fixture: features ranked by activation
# on tokens equal to a string (surrounding whitespace ignored on both
# sides), -i, --limit, --json, no-match and usage behaviour.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail token-fixture "fixture index not built"; exit 0; }

# cmd_token (cli.c) hands over to grep_cmd_token: its table has this header.
if ! "$FS" token "$IX" Gate 2>&1 | grep -Eq '^rank +feature +mass +tokens'; then
	fail token-wired "cmd_token in cli.c does not call grep_cmd_token (grep.h) yet"
	exit 0
fi

# "Gate" is planted on feature 5 (Golden/Gate/Bridge).
check_exit token-gate-exit 0 "$FS" token "$IX" Gate
cp "$TMP/.out" "$TMP/gate.txt"
check_grep token-header '^rank +feature +mass +tokens +contexts +mean +label' "$TMP/gate.txt"
check_grep token-gate-first '^ +1 +5 ' "$TMP/gate.txt"
# Sorted by mass, largest first.
check_eq token-sorted "$(awk 'NR>1{print $3}' "$TMP/gate.txt" | sort -gr)" "$(awk 'NR>1{print $3}' "$TMP/gate.txt")"
# Whitespace around the string does not matter (tokens carry leading spaces).
"$FS" token "$IX" ' Gate ' >"$TMP/gate2.txt"
check token-trim cmp "$TMP/gate.txt" "$TMP/gate2.txt"
# Case: "gate" is never planted in lower case; -i finds the same feature.
"$FS" token "$IX" gate >"$TMP/lc.txt"
check_nogrep token-case-sensitive '^ +1 +5 ' "$TMP/lc.txt"
"$FS" token "$IX" -i gate --limit 1 >"$TMP/ci.txt"
check_grep token-caseless '^ +1 +5 ' "$TMP/ci.txt"
check_eq token-limit 2 "$(wc -l <"$TMP/ci.txt" | tr -d ' ')"
# Only whole tokens: "Gat" is a prefix of "Gate" but no token.
"$FS" token "$IX" Gat >"$TMP/gat.txt"
check_nogrep token-whole-only '^ +1 +5 ' "$TMP/gat.txt"
# Python keyword "def" -> feature 4; JSON parses and agrees.
"$FS" token "$IX" def --json >"$TMP/def.json"
check_eq token-json "4 yes" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); f = d["features"][0]
print(f["feature"], "yes" if f["tokens"] > 0 and f["mass"] > 0 and d["tokens_matched"] > 0 else "no")' "$TMP/def.json")"
# No such token: empty output, exit 0.
check_exit token-none-exit 0 "$FS" token "$IX" zzqqzz
check_eq token-none-empty "" "$(cat "$TMP/.out")"
check_exit token-usage 2 "$FS" token "$IX"
check_exit token-empty 2 "$FS" token "$IX" '  '
