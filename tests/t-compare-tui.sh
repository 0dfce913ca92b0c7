#!/bin/sh
# t-compare-tui.sh: the browser's compare, pair and family screens on the
# planted dictionaries of tests/comparefix, run headless (FEATSCOPE_SCRIPT
# keys, ':save-display' dumps): C compares the selected feature's
# dictionary with the next one, u cycles mutual pairs / unmatched lists, o
# orders pairs by co-activation, d takes the next dictionary, Enter opens
# a pair side by side, y opens the family tree (the list's d picks the
# dictionary, # a feature in it); the feature page lists its best matches
# in the other dictionaries and, at its end, its co-firing features.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

D=$TMP/cf
mkdir -p "$D"
"$B/tests/comparefix" "$D" 2>"$TMP/fix.err" || { fail comparefix "$(head -c 300 "$TMP/fix.err")"; exit 1; }
IX=$D/cmp.sqlite

# dump NAME KEYS: run KEYS ('|' between lines) at 100x20, dump the screen.
dump() {
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/$1.keys"
	echo ":save-display $TMP/$1.out" >>"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x20 TERM=xterm-256color \
		"$FS" "$IX" >/dev/null 2>"$TMP/$1.err" || fail "tui-$1" "exit $?: $(head -c 300 "$TMP/$1.err")"
	[ -f "$TMP/$1.out" ] || { fail "tui-$1" "no dump"; : >"$TMP/$1.out"; }
}

dump pairs "#n/3<Enter>|C"
check_grep "tui compare: title names both dictionaries" "^ compare n with w: mutual pairs by cosine" "$TMP/pairs.out"
check_grep "tui compare: summary with the shares matched" "^ n in w 85\.7%, w in n 90\.0% \(baseline 0\.[0-9]{3} / 0\.[0-9]{3}\), 24 mutual" "$TMP/pairs.out"
check_grep "tui compare: python's pair with its co-activation" "^  0\.968  0\.770  0\.67  n/3 +w/10 +python concept \| python concept variant" "$TMP/pairs.out"
check_grep "tui compare: 24 rows" " 1/24 *$" "$TMP/pairs.out"
dump una "#n/3<Enter>|C|u"
check_grep "tui compare u: unmatched in n, the orphans" "^ compare n with w: unmatched in n" "$TMP/una.out"
check_eq "tui compare u: four orphans listed" 4 "$(grep -c 'orphan 2[4-7]$' "$TMP/una.out")"
dump unb "#n/3<Enter>|C|u|u"
check_eq "tui compare u u: the eight new features of w" 8 "$(grep -c 'new random 7[2-9]$' "$TMP/unb.out")"
dump order "#n/3<Enter>|C|o"
check_grep "tui compare o: pairs by co-activation" "^ compare n with w: mutual pairs by co-activation" "$TMP/order.out"
check "tui compare o: correlations fall down the list" sh -c "sed -n '4,19p' '$TMP/order.out' | awk '{ print \$2 }' | sort -rn -c"
dump next "#n/3<Enter>|C|d"
check_grep "tui compare d: the next dictionary of the same d_model" "^ compare n with x: " "$TMP/next.out"
dump pair "#n/3<Enter>|C|jj<Enter>"
check_grep "tui pair: both features side by side" "^ n/3 +\| w/10 *$" "$TMP/pair.out"
check_grep "tui pair: their contexts in two panes" "p3 q0 alpha .*\| .*p3 q10 alpha" "$TMP/pair.out"
dump family "#n/3<Enter>|y"
check_grep "tui family: the root" "^ +- +- +n/3  python concept" "$TMP/family.out"
check_grep "tui family: a child with its share" "^  0\.968   0\.67   1\.00    w/10  python concept variant" "$TMP/family.out"
check_grep "tui family: a grandchild indented" "^  0\.9[0-9]{2}   0\.50   1\.00      x/2[01]  python concept fine" "$TMP/family.out"
check_grep "tui family: 7 rows" " 1/7 *$" "$TMP/family.out"
dump famorph "#n/25<Enter>|y"
check_grep "tui family: an orphan's empty tree says why" "no children: no feature of 'w' has a decoder cosine" "$TMP/famorph.out"
dump famerr "d|d|y"
check_grep "tui family: the widest dictionary says why there is no tree" "no dictionary wider than 'x'" "$TMP/famerr.out"
dump cmperr "d|d|d|d|d|C"
check_grep "tui compare: a dictionary without decoder says so" "dictionary 'nodec' has no stored decoder" "$TMP/cmperr.out"
dump page "#n/3<Enter>|<Enter>"
check_grep "tui feature page: its best match in each other dictionary of its d_model" \
	"^ matches: w/10 cos 0\.968; x/2[01] cos 0\.9[0-9]{2}; none in other above 0\.[0-9]{3} *$" "$TMP/page.out"
dump orphan "#n/25<Enter>|<Enter>"
check_grep "tui feature page: an orphan has no match above the baselines" \
	"^ matches: none in w above 0\.[0-9]{3}; none in x above " "$TMP/orphan.out"

# co-firing features on the feature page (the end of it: G): what
# comparefix planted, by construction (cofire.tsv): n/3's children and
# grandchildren (a subset of its contexts each) and other/3 (another hook
# point: 12 of n/3's 30 contexts and 6 of its own, Jaccard 12/36), in the
# planted order; Enter opens one.
dump cofire "#n/3<Enter>|<Enter>|G"
check_grep "tui feature page: co-firing heading with its stored contexts" \
	"^ co-firing features: Jaccard of stored contexts, contexts shared \(of its 30\), label *$" "$TMP/cofire.out"
awk -F'\t' '$1 == "n/3" { printf "%s %s %s\n", $3, $5, $4 }' "$D/cofire.tsv" >"$TMP/cofire.want"
sed -n '/^ co-firing features:/,/^ ?:help/p' "$TMP/cofire.out" | sed '1d;$d' |
	awk '{ sub(/^>/, " "); print $1, $2, $3 }' >"$TMP/cofire.got"
check_eq "tui feature page: the 7 planted co-firing features of n/3 in order, with Jaccard and shared contexts" \
	"$(cat "$TMP/cofire.want")" "$(cat "$TMP/cofire.got")"
check_eq "tui feature page: planted list has 7 entries" 7 "$(grep -c . "$TMP/cofire.want")"
check_grep "tui feature page: a co-firing feature of another dictionary with its label" \
	"^   w/10 +0\.667 +20  python concept variant *$" "$TMP/cofire.out"
dump cofire-open "#n/3<Enter>|<Enter>|G|kkkkk|<Enter>"
check_grep "tui feature page: Enter on a co-firing line opens that feature" "^ feature other/3 " "$TMP/cofire-open.out"
dump cofire-last "#n/3<Enter>|<Enter>|G|<Enter>"
check_grep "tui feature page: Enter on the last co-firing line opens x/19" "^ feature x/19 " "$TMP/cofire-last.out"
dump cofire-none "#n/25<Enter>|<Enter>|G"
check_grep "tui feature page: an orphan has no co-firing feature" \
	"^>? *co-firing features: none \(no other feature on its 10 stored contexts\)" "$TMP/cofire-none.out"
# every parent: the page's list equals the planted one
bad=0
for q in 0 4 5 7 11 23; do
	dump "cof$q" "#n/$q<Enter>|<Enter>|G"
	awk -F'\t' -v n="n/$q" '$1 == n { printf "%s %s %s\n", $3, $5, $4 }' "$D/cofire.tsv" >"$TMP/cof$q.want"
	sed -n '/^ co-firing features:/,/^ ?:help/p' "$TMP/cof$q.out" | sed '1d;$d' |
		awk '{ sub(/^>/, " "); print $1, $2, $3 }' >"$TMP/cof$q.got"
	cmp -s "$TMP/cof$q.want" "$TMP/cof$q.got" || bad=$((bad + 1))
done
check_eq "tui feature page: co-firing lists of 6 parents (with and without an other/ feature) as planted" 0 "$bad"
