#!/bin/sh
# t-search-token.sh: `featscope token` (src/cli/cli_grep.c) on the
# planted-feature fixture: features ranked by activation on tokens equal to
# a string (surrounding whitespace ignored on both sides), else on the
# tokens that make up its occurrences (said so), whitespace strings, -i,
# --limit, --json, no-match and usage behaviour.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail token-fixture "fixture index not built"; exit 0; }

# The token table has this header.
if ! "$FS" token "$IX" Gate 2>&1 | grep -Eq '^rank +feature +mass +tokens'; then
	fail token-wired "featscope token does not print its table"
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
# Only whole tokens match as tokens: "Gat" is a prefix of "Gate" but no
# token, so the answer is by the tokens that make up its occurrences, and
# says so; "Gate" itself matches as a token.
"$FS" token "$IX" Gat >"$TMP/gat.txt"
check_grep token-span-says "^no token is 'Gat' alone: ranked by activation on the tokens that make up its [0-9]+ occurrences" "$TMP/gat.txt"
check_grep token-span-finds '^ +1 +5 ' "$TMP/gat.txt"
check_nogrep token-exact-says-nothing '^no token' "$TMP/gate.txt"
"$FS" token "$IX" Gat --json >"$TMP/gat.json"
"$FS" token "$IX" Gate --json >"$TMP/gate.json"
check_eq token-match-kinds "span token" "$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["match"], json.load(open(sys.argv[2]))["match"])' "$TMP/gat.json" "$TMP/gate.json")"
# The span answer agrees with an independent count: grep -F marks the same
# tokens (those overlapping an occurrence), so its mass for feature 5 is the same.
"$FS" grep "$IX" -F Gat --json >"$TMP/gat-grep.json"
check_eq token-span-is-grep-F "$(python3 -c '
import json, sys
print(round([f["mass"] for f in json.load(open(sys.argv[1]))["features"] if f["feature"] == "5"][0], 3))' "$TMP/gat-grep.json")" \
	"$(python3 -c '
import json, sys
print(round([f["mass"] for f in json.load(open(sys.argv[1]))["features"] if f["feature"] == "5"][0], 3))' "$TMP/gat.json")"
# Python keyword "def" -> feature 4; JSON parses and agrees.
"$FS" token "$IX" def --json >"$TMP/def.json"
check_eq token-json "4 yes" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); f = d["features"][0]
print(f["feature"], "yes" if f["tokens"] > 0 and f["mass"] > 0 and d["tokens_matched"] > 0 else "no")' "$TMP/def.json")"
# No such token: one line that says so, exit 0.
check_exit token-none-exit 0 "$FS" token "$IX" zzqqzz
check_eq token-none-one-line "no token of $IX is or makes up 'zzqqzz'" "$(cat "$TMP/.out")"
check_exit token-usage 2 "$FS" token "$IX"
check_eq token-usage-one-line 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
check_exit token-empty 2 "$FS" token "$IX" ''
# Whitespace is a string like any other: the tokens that make up its
# occurrences (the fixture's words carry leading spaces).
check_exit token-space-exit 0 "$FS" token "$IX" ' '
check_grep token-space-says "^no token is ' ' alone" "$TMP/.out"
"$FS" token "$IX" ' ' --json >"$TMP/space.json"
check_eq token-space-json "span yes" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); print(d["match"], "yes" if d["features"] and d["matches"] > 0 else "no")' "$TMP/space.json")"
