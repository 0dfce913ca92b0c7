#!/bin/sh
# t-demo.sh: the shipped demo index (data/demo.sqlite, made by
# `make demo-data` from the project's own model and SAE) has the features
# the project promises, found by querying the index the way a user would
# (the regex concept probe), never by hard-coded feature numbers; and the
# browser opens it when no index is named.
. "$(dirname "$0")/lib.sh"

DEMO=$S/data/demo.sqlite
if [ ! -f "$DEMO" ]; then
	fail "demo index exists" "$DEMO is missing: run make demo-data"
	exit 1
fi
ok "demo index exists"
check "demo index opens" "$FS" info "$DEMO"
check "demo index is at most 40 MB" test "$(stat -c %s "$DEMO")" -le 41943040

# best PATTERN MIN_CONTEXTS: the best precision among features that fire on
# the pattern's matches in at least MIN_CONTEXTS contexts, with the feature.
best() {
	"$FS" grep --json --sort precision --limit 200 "$DEMO" "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = int(sys.argv[1])
c = [f for f in d["features"] if f["contexts"] >= m]
print("%.3f %s" % (c[0]["precision"], c[0]["feature"]) if c else "0 none")' "$2"
}
at_least() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }

set -- $(best '[ACGTacgt]{12,}' 10)
echo "# DNA: feature $2, precision $1"
check "DNA: a feature has >= 90% of its activation inside [ACGTacgt]{12,} runs" at_least "$1" 0.9

set -- $(best '\p{Hangul}+' 10)
echo "# Hangul: feature $2, precision $1"
check "Hangul: a feature has >= 90% of its activation on Hangul text" at_least "$1" 0.9

# Code: whole lines that start like C, Python or JavaScript statements.
set -- $(best '(?m)^[ \t]*(#include|#define|def |class |return\b|if \(|for \(|while \(|static |int |void |const |import |function |\}|\{)[^\n]*' 10)
echo "# code: feature $2, precision $1"
check "code: a feature has >= 90% of its activation on lines of code" at_least "$1" 0.9

set -- $(best '[0-9]+' 10)
echo "# digits: feature $2, precision $1"
check "digits: a feature has >= 90% of its activation on digits" at_least "$1" 0.9

# Labels are automatic and say so.
"$FS" show --json "$DEMO" 0 >"$TMP/f0.json"
check "demo labels are marked automatic" python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["label_source"] == "auto", d["label_source"]' "$TMP/f0.json"

# The browser opens the demo when no index is named.
printf '%s\n' ":save-display $TMP/start.out" >"$TMP/start.keys"
FEATSCOPE_SCRIPT=$TMP/start.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" 2>"$TMP/start.err"
check_grep "featscope with no index opens the demo" "demo" "$TMP/start.out"
