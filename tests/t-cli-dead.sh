#!/bin/sh
# t-cli-dead.sh: the records fire features 0 and 1 of a dictionary of 4;
# a feature that never fires (in the dictionary, no example,
# no activation) says so in show (text and JSON) and in export, instead of
# an empty "top activations:".
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

cat >"$TMP/r.jsonl" <<'J'
{"tokens": ["the", " cat", " sat"], "acts": [[0, 0, 2.0], [1, 1, 3.0]]}
{"tokens": ["a", " dog", " ran"], "acts": [[1, 0, 1.5], [2, 1, 4.0]]}
J
check dead-build "$FS" build -o "$TMP/d.sqlite" --n-features 4 --no-progress "$TMP/r.jsonl"
IX=$TMP/d.sqlite
"$FS" show "$IX" 3 >"$TMP/s3.txt"
check_eq dead-show-exit 0 $?
check_grep dead-show-says '^top activations: none: this feature never fires on the indexed text$' "$TMP/s3.txt"
"$FS" show "$IX" 1 >"$TMP/s1.txt"
check_nogrep dead-live-not-dead 'never fires' "$TMP/s1.txt"
check_grep dead-live-lists '^ +1\. +3\.000 ' "$TMP/s1.txt"
check_eq dead-show-json "False True" "$("$FS" show "$IX" 3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fires"])') $("$FS" show "$IX" 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fires"])')"
"$FS" export "$IX" >"$TMP/x.txt"
check_eq dead-export-text 2 "$(grep -c '^contexts: *none: this feature never fires' "$TMP/x.txt")"
check_eq dead-export-json "sae/2 sae/3" "$("$FS" export "$IX" --format json | python3 -c '
import json, sys; print(" ".join(f["feature"] for f in json.load(sys.stdin)["features"] if f["fires"] is False))')"
"$FS" export "$IX" --format markdown >"$TMP/x.md"
check_eq dead-export-md 2 "$(grep -c '^| fires | never on the indexed text |$' "$TMP/x.md")"
