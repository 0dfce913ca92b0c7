#!/bin/sh
# t-notes-tags.sh: one rule for what a tag is (one word: no white space,
# commas or control characters), enforced with a message everywhere tags
# come in: notes set --tag/--untag, notes import (json and tsv), the
# browser's tags prompt. 'has space' once became two tags, and --untag
# 'has space' removed nothing with exit 0.
. "$(dirname "$0")/lib.sh"

FIX=$(fixture_index) || { fail rel-tags-fixture "fixture_index failed"; exit 1; }
N=$TMP/notes.sqlite
"$FS" notes set --notes "$N" "$FIX" 0 --tag keep >/dev/null 2>&1

for t in 'has space' 'a,b' "$(printf 'tab\there')" "$(printf 'esc\033[31m')" "$(printf 'c1\302\233x')" \
	"$(printf 'bad\377utf8')" "$(printf 'nbsp\302\240x')" ''; do
	check_exit "--tag '$(printf '%s' "$t" | od -An -c | tr -s ' ' | head -c 40)' refused" 2 \
		"$FS" notes set --notes "$N" "$FIX" 0 --tag "$t"
	check_grep "--tag refusal says why" "is not a tag: " "$TMP/.err"
done
check_exit "--untag 'has space' refused" 2 "$FS" notes set --notes "$N" "$FIX" 0 --untag 'has space'
check_grep "--untag refusal names the rule" "'has space' is not a tag: holds white space \(a tag is one word" "$TMP/.err"
"$FS" notes show --json --notes "$N" "$FIX" 0 >"$TMP/show.json" 2>&1
check_eq "refused tags changed nothing" "['keep']" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tags"])' "$TMP/show.json")"
check_exit "a good tag (non-ASCII) is taken" 0 "$FS" notes set --notes "$N" "$FIX" 0 --tag "$(printf 'caf\303\251-1')"

# notes import: a json tag with a space, a tsv tag with a control character
printf '{"format":"featscope-export","version":1,"features":[\n{"feature":"fix/1","tags":["has space"]}\n]}\n' >"$TMP/t.json"
check_exit "import json: tag with a space refused" 2 "$FS" notes import --notes "$TMP/i1.sqlite" "$TMP/t.json" "$FIX"
check_grep "import json: message" "tags\[0\]: 'has space' is not a tag" "$TMP/.err"
printf 'feature\ttags\nfix/1\tgood bad\\x1bone\n' >"$TMP/t.tsv"
check_exit "import tsv: tag with ESC refused" 2 "$FS" notes import --notes "$TMP/i2.sqlite" "$TMP/t.tsv" "$FIX"
check_grep "import tsv: message with the line" "t\.tsv:2: tags: '.*' is not a tag: holds a control character" "$TMP/.err"

# the browser's tags prompt
printf '<Enter>\nT<C-u>ok1 ok2<Enter>\n:save-display %s\n' "$TMP/p1.out" >"$TMP/p1.keys"
FEATSCOPE_SCRIPT=$TMP/p1.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color "$FS" --notes "$N" "$FIX" 2>/dev/null
"$FS" notes show --json --notes "$N" "$FIX" 0 >"$TMP/p1.json" 2>&1
check_grep "tags prompt: words separated by spaces are tags" '"ok2"' "$TMP/p1.json"
printf '<Enter>\nT<C-u>x\302\233y<Enter>\n:save-display %s\n' "$TMP/p2.out" >"$TMP/p2.keys"
FEATSCOPE_SCRIPT=$TMP/p2.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color "$FS" --notes "$N" "$FIX" 2>/dev/null
check_grep "tags prompt: a control character is refused on the status line" "not saved: .* is not a tag: " "$TMP/p2.out"
"$FS" notes show --json --notes "$N" "$FIX" 0 >"$TMP/p2.json" 2>&1
check_grep "tags prompt: refused tags leave the old ones" '"ok2"' "$TMP/p2.json"
