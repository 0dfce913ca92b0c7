#!/bin/sh
# t-tui-multi.sh: `featscope A.sqlite B.sqlite`, several index files in one
# browser session (issue 19), run headless on the planted dictionaries of
# tests/comparefix: cmp.sqlite (n, w, x, other, d32, nodec), alien.sqlite
# (w alone, contexts of other texts) and wide.sqlite (w alone, the same
# contexts as cmp.sqlite). The list's d cycles FILE:SAE over both files;
# '#FILE:SAE/N' opens a feature of the named file; a note made on B's
# feature goes to B's notes (the second --notes); ':compare FILE:SAE'
# matches decoders across files, co-activation only where contexts are
# shared; a bad second file exits 2 before the screen opens; one file
# shows plain SAE names as before.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

D=$TMP/cf
mkdir -p "$D"
"$B/tests/comparefix" "$D" 2>"$TMP/fix.err" || { fail comparefix "$(head -c 300 "$TMP/fix.err")"; exit 1; }
A=$D/cmp.sqlite
NA=$TMP/notes-a.sqlite NB=$TMP/notes-b.sqlite

# tui NAME SIZE KEYS FILE...: run KEYS ('|' between lines) at SIZE on the
# files with the notes $NA (and $NB for a second); the screen's text in
# $TMP/NAME.txt.
tui() {
	name=$1 size=$2 keys=$3
	shift 3
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	# one --notes a file: $NA for the first, $NB for the second
	[ $# -gt 1 ] && set -- --notes "$NB" "$@"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=xterm-256color \
		"$FS" --notes "$NA" "$@" >/dev/null 2>"$TMP/$name.err" ||
		fail "multi-$name-exit" "exit $?: $(head -c 300 "$TMP/$name.err")"
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt" 2>/dev/null || : >"$TMP/$name.txt"
}

# ---- the switcher: every dictionary of both files, as FILE:SAE
keys=""
for i in 0 1 2 3 4 5 6 7 8; do
	tui "d$i" 100x20 "$keys" "$A" "$D/alien.sqlite"
	sed -n '1s/^ features: \([^,]*\), by .*/\1/p' "$TMP/d$i.txt" >>"$TMP/switcher.got"
	keys="$keys|d"
done
printf '%s\n' cmp.sqlite:n cmp.sqlite:w cmp.sqlite:x cmp.sqlite:other cmp.sqlite:d32 cmp.sqlite:nodec \
	cmp.sqlite:all alien.sqlite:w cmp.sqlite:n >"$TMP/switcher.want"
check_eq "multi: d cycles FILE:SAE over both files' dictionaries, each file's all, then back" \
	"$(cat "$TMP/switcher.want")" "$(cat "$TMP/switcher.got")"
check_grep "multi: the list of B's dictionary shows B's rows" "^0 +- +0 +genome concept variant" "$TMP/d7.txt"
check_grep "multi: the title bar names the file being read" "alien\.sqlite \[1\] *$" "$TMP/d7.txt"
tui split 100x20 "d|d|d|d|d|D" "$A" "$D/alien.sqlite"
check_grep "multi: D splits the list with the next dictionary, of the other file" \
	"^ features: cmp\.sqlite:nodec \| cmp\.sqlite:all" "$TMP/split.txt"
tui split2 100x20 "d|d|d|d|d|d|D" "$A" "$D/alien.sqlite"
check_grep "multi: D beside cmp.sqlite:all is alien.sqlite:w" \
	"^ features: cmp\.sqlite:all \| alien\.sqlite:w" "$TMP/split2.txt"

# ---- '#FILE:SAE/N': w/10 of each file (alien's contexts begin "alien")
tui gob 100x30 "#alien.sqlite:w/10<Enter>|<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: #alien.sqlite:w/10 opens the feature page of alien's w/10" "^ feature 10 +alien\.sqlite \[2\]" "$TMP/gob.txt"
check_grep "multi: its contexts are alien's" "alien p3 q10" "$TMP/gob.txt"
tui goa 100x30 "#cmp.sqlite:w/10<Enter>|<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: #cmp.sqlite:w/10 opens cmp's w/10" "^ feature w/10 +cmp\.sqlite \[2\]" "$TMP/goa.txt"
check_nogrep "multi: cmp's w/10 shows no alien context" "alien p3" "$TMP/goa.txt"
tui gostem 100x30 ":goto alien:w/10|<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: :goto alien:w/10 (the file's name without .sqlite) from the list" "alien p3 q10" "$TMP/gostem.txt"
tui gopage 100x30 "#n/3<Enter>|<Enter>|#alien.sqlite:w/10<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: # from a feature page of A opens B's feature on top of it" "^ feature 10 +alien\.sqlite \[3\]" "$TMP/gopage.txt"
check_grep "multi: with B's contexts" "alien p3 q10" "$TMP/gopage.txt"
tui goback 100x30 "#n/3<Enter>|<Enter>|#alien.sqlite:w/10<Enter>|q" "$A" "$D/alien.sqlite"
check_grep "multi: q goes back to A's page, read from A again" "^ feature n/3 +cmp\.sqlite \[2\]" "$TMP/goback.txt"
tui gonone 100x20 "#cmp.sqlite:zz/1<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: an unknown dictionary of a named file says so" "zz" "$TMP/gonone.txt"

# ---- notes: a label on B's feature lands in B's notes, not A's
tui note 100x20 ":goto alien.sqlite:w/10|Lalien label here<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: the label is saved" "w/10 saved" "$TMP/note.txt"
"$FS" notes show --notes "$NB" "$D/alien.sqlite" w/10 >"$TMP/nb.show" 2>&1
check_grep "multi: B's notes hold the label of B's w/10" "alien label here" "$TMP/nb.show"
"$FS" notes list --notes "$NA" "$A" >"$TMP/na.list" 2>&1
check_nogrep "multi: A's notes do not" "alien label here" "$TMP/na.list"
check_eq "multi: A's notes hold no note at all" 0 "$(sqlite3 "$NA" 'select count(*) from notes' 2>/dev/null || echo none)"
tui notea 100x20 ":goto cmp.sqlite:n/3|Lcmp label<Enter>" "$A" "$D/alien.sqlite"
"$FS" notes show --notes "$NA" "$A" n/3 >"$TMP/na.show" 2>&1
check_grep "multi: a label on A's feature goes to A's notes" "cmp label" "$TMP/na.show"
"$FS" notes list --notes "$NB" "$D/alien.sqlite" >"$TMP/nb.list" 2>&1
check_nogrep "multi: and not to B's" "cmp label" "$TMP/nb.list"
tui notepage 100x20 "#n/3<Enter>|<Enter>|#alien.sqlite:w/3<Enter>|Lpage label b<Enter>" "$A" "$D/alien.sqlite"
"$FS" notes show --notes "$NB" "$D/alien.sqlite" w/3 >"$TMP/nb3.show" 2>&1
check_grep "multi: a label given on B's feature page (opened from A's) goes to B's notes" "page label b" "$TMP/nb3.show"
"$FS" notes list --notes "$NA" "$A" >"$TMP/na3.list" 2>&1
check_nogrep "multi: and not to A's" "page label b" "$TMP/na3.list"
tui notelist 100x20 "d|d|d|d|d|d|d" "$A" "$D/alien.sqlite"
check_grep "multi: B's list shows B's own label on w/10" "^10 .*alien label here" "$TMP/notelist.txt"

# ---- :compare across files
tui cmpalien 220x20 "#n/3<Enter>|:compare alien.sqlite:w" "$A" "$D/alien.sqlite"
check_grep "multi: :compare FILE:SAE names both sides by file" \
	"^ compare cmp\.sqlite:n with alien\.sqlite:w: mutual pairs by cosine" "$TMP/cmpalien.txt"
check_grep "multi: cosine matches across files (as featscope compare: 24 of 28)" \
	"cmp\.sqlite:n in alien\.sqlite:w 85\.7%, alien\.sqlite:w in cmp\.sqlite:n 90\.0%" "$TMP/cmpalien.txt"
check_grep "multi: python's pair across files, no co-activation figures" \
	"^  0\.968 +- +- +cmp\.sqlite:n/3 +alien\.sqlite:w/10 " "$TMP/cmpalien.txt"
check_grep "multi: no shared contexts: co-activation not available, and why" \
	"co-activation not available: the two files share no contexts" "$TMP/cmpalien.txt"
tui cmpwide 220x20 "#n/3<Enter>|:compare wide.sqlite:w" "$A" "$D/wide.sqlite"
check_grep "multi: shared contexts: co-activation across files, as in one file" \
	"^  0\.968  0\.770  0\.67  cmp\.sqlite:n/3 +wide\.sqlite:w/10 " "$TMP/cmpwide.txt"
check_nogrep "multi: and no 'not available'" "not available" "$TMP/cmpwide.txt"
tui cmpd 220x20 "#n/3<Enter>|C|d|d|d|d" "$A" "$D/alien.sqlite"
check_grep "multi: the compare screen's d reaches the other file's dictionary" \
	"^ compare cmp\.sqlite:n with alien\.sqlite:w" "$TMP/cmpd.txt"
tui pair 100x20 "#n/3<Enter>|:compare alien.sqlite:w|jj<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: Enter opens the pair side by side, across files" \
	"^ cmp\.sqlite:n/3 and alien\.sqlite:10 side by side" "$TMP/pair.txt"
check_grep "multi: each pane shows its own file's contexts" "p3 q0 alpha .*\| .*alien p3 q10" "$TMP/pair.txt"
tui unb 100x30 "#n/3<Enter>|:compare alien.sqlite:w|u|u|<Enter>" "$A" "$D/alien.sqlite"
check_grep "multi: Enter on a feature unmatched in B opens it from B's file" "^ feature 7[2-9] +alien\.sqlite \[3\]" "$TMP/unb.txt"
check_grep "multi: with B's contexts" "alien " "$TMP/unb.txt"
tui cmpbad 100x20 ":compare alien.sqlite:zz" "$A" "$D/alien.sqlite"
check_grep "multi: :compare with an unknown dictionary says so" "compare: no dictionary 'alien\.sqlite:zz'" "$TMP/cmpbad.txt"

# ---- a bad second file: one line naming it, exit 2, nothing drawn
echo "not an index" >"$TMP/bad.sqlite"
for f in "$TMP/missing.sqlite" "$TMP/bad.sqlite"; do
	b=$(basename "$f")
	FEATSCOPE_SCRIPT=/dev/null FEATSCOPE_SIZE=100x20 TERM=xterm-256color \
		"$FS" "$A" "$f" >"$TMP/$b.stdout" 2>"$TMP/$b.stderr"
	check_eq "multi: $b as second file exits 2" 2 "$?"
	check_eq "multi: $b: one line on stderr" 1 "$(wc -l <"$TMP/$b.stderr")"
	check_grep "multi: $b: the line names the file" "^featscope: $f: " "$TMP/$b.stderr"
	check_eq "multi: $b: nothing drawn" 0 "$(wc -c <"$TMP/$b.stdout")"
done
check_exit "multi: more --notes than files is a usage error" 2 "$FS" --notes a --notes b --notes c "$A" "$D/alien.sqlite"

# ---- one file: plain SAE names, as before
tui one 100x20 "d" "$A"
check_grep "multi: one file: the switcher names plain dictionaries" "^ features: w, by id asc" "$TMP/one.txt"
check_nogrep "multi: one file: no FILE: prefix anywhere" "cmp\.sqlite:" "$TMP/one.txt"
tui onecmp 100x20 "#n/3<Enter>|C" "$A"
check_grep "multi: one file: compare as before" "^ compare n with w: mutual pairs by cosine" "$TMP/onecmp.txt"
tui onego 100x20 "#n/3<Enter>|<Enter>" "$A"
check_grep "multi: one file: # with SAE/N as before" "^ feature n/3 +cmp\.sqlite \[2\]" "$TMP/onego.txt"
