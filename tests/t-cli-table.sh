#!/bin/sh
# t-cli-table.sh: the command table (src/cli/commands.c) and its one option
# parser (src/cli/opt.c): the man pages' SYNOPSIS is what the table
# generates (tools/gen-synopsis), every command in the hand-written COMMANDS
# section is in `featscope help` and the other way round, every command and
# notes subcommand takes --help, a usage error is one line that names the
# option or argument, --opt=V and --opt V mean the same everywhere, and a
# mistyped command says so.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IX=$(fixture_index) || { fail table-fixture "fixture index not built"; exit 0; }

# --- the SYNOPSIS sections are fresh
for page in main notes; do
	man=$S/man/featscope.1
	[ $page = notes ] && man=$S/man/featscope-notes.1
	"$FS" gen synopsis $page >"$TMP/syn.$page"
	awk '/^\.\\" BEGIN SYNOPSIS/ { on = 1; next } /^\.\\" END SYNOPSIS/ { on = 0 } on' "$man" >"$TMP/man.$page"
	if [ -s "$TMP/syn.$page" ] && cmp -s "$TMP/syn.$page" "$TMP/man.$page"; then
		ok "synopsis-fresh-$page"
	else
		fail "synopsis-fresh-$page" "$man SYNOPSIS is stale: run tools/gen-synopsis ($(diff "$TMP/man.$page" "$TMP/syn.$page" | head -4 | tr '\n' '~'))"
	fi
done

# --- help lists the commands the man page documents (its COMMANDS section,
# written by hand: ".B name ..." items), and no others
"$FS" help >"$TMP/help.txt"
check_eq help-exit 0 $?
awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' "$TMP/help.txt" | sort >"$TMP/help.names"
awk '/^\.SH COMMANDS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.B [a-z]/ { print $2 }' "$S/man/featscope.1" |
	sort -u >"$TMP/man.names"

sort -u -o "$TMP/man.names" "$TMP/man.names"
if [ "$(wc -l <"$TMP/help.names")" -ge 10 ] && cmp -s "$TMP/help.names" "$TMP/man.names"; then
	ok help-matches-man
else
	fail help-matches-man "help: $(tr '\n' ' ' <"$TMP/help.names") man: $(tr '\n' ' ' <"$TMP/man.names")"
fi
"$FS" --help >"$TMP/help2.txt"
check help-same-as-dash-help cmp "$TMP/help.txt" "$TMP/help2.txt"

# --- every command and notes subcommand: --help on stdout, exit 0, its own usage
for c in $(cat "$TMP/help.names") "notes set" "notes show" "notes list" "notes search" "notes lists" \
	"notes list-add" "notes list-rm" "notes import" "notes path"; do
	# shellcheck disable=SC2086
	"$FS" $c --help >"$TMP/h.out" 2>"$TMP/h.err"
	rc=$?
	first=$(head -1 "$TMP/h.out")
	case "$c:$first" in
	notes:"usage: featscope notes set"*) good=yes ;;
	*:"usage: featscope $c"*) good=yes ;;
	*) good=no ;;
	esac
	if [ $rc = 0 ] && [ $good = yes ] && [ ! -s "$TMP/h.err" ]; then
		ok "help-$c"
	else
		fail "help-$c" "exit $rc, first line [$first], stderr [$(head -c 200 "$TMP/h.err")]"
	fi
	# featscope help COMMAND prints the same
	# shellcheck disable=SC2086
	"$FS" help $c >"$TMP/h2.out" 2>&1
	check "help-command-$c" cmp "$TMP/h.out" "$TMP/h2.out"
done

# --- a usage error is one line on stderr, exit 2, naming what is wrong
one_line() { # NAME PATTERN COMMAND...
	local n=$1 pat=$2
	shift 2
	"$@" >"$TMP/u.out" 2>"$TMP/u.err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/u.err" | tr -d ' ')
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -Eq -- "$pat" "$TMP/u.err" && [ ! -s "$TMP/u.out" ]; then
		ok "$n"
	else
		fail "$n" "exit $rc, $lines lines: $(head -c 300 "$TMP/u.err")"
	fi
}
for c in $(cat "$TMP/help.names"); do
	case $c in help) continue ;; notes) c="notes list" ;; esac
	# shellcheck disable=SC2086
	one_line "bogus-option-$c" "^featscope: $c: unknown option '--bogus'" "$FS" $c "$IX" --bogus
done
one_line bogus-command "^featscope: unknown command 'bogus'" "$FS" bogus
one_line near-command "did you mean 'show'" "$FS" shwo
one_line show-no-args "^featscope: show: missing INDEX" "$FS" show
one_line show-missing-feature "^featscope: show: missing FEATURE" "$FS" show "$IX"
one_line show-bogus-after "^featscope: show: unknown option '--bogus'" "$FS" show "$IX" 10 --bogus
one_line show-extra "^featscope: show: unexpected argument 'extra'" "$FS" show "$IX" 1 extra
one_line limit-not-number "^featscope: grep: --limit: expected a whole number from 1 to 1000000, got 'x'" "$FS" grep "$IX" Gate --limit=x
one_line limit-needs-value "^featscope: search: --limit needs a value" "$FS" search "$IX" Gate --limit
one_line flag-no-value "^featscope: info: --json takes no value" "$FS" info "$IX" --json=1
one_line build-no-o "^featscope: build: -o OUT.sqlite is required" "$FS" build "$TMP/x.jsonl"
one_line build-nothing "^featscope: build: -o OUT.sqlite is required" "$FS" build
one_line notes-nothing "^featscope: notes: missing SUBCOMMAND" "$FS" notes
one_line notes-unknown "^featscope: notes: unknown subcommand 'frobnicate'" "$FS" notes frobnicate "$IX"
one_line notes-show-label "^featscope: notes show: unknown option '--label'" "$FS" notes show "$IX" 1 --label x
one_line export-format "^featscope: export: --format: 'pdf' is not" "$FS" export "$IX" --format=pdf
one_line help-unknown "^featscope: help: no command 'frob'" "$FS" help frob
# a feature number out of range states the valid range (the fixture's size from info --json)
nf=$("$FS" info "$IX" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["saes"][0]["n_features"])')
one_line show-negative "^featscope: -1: no such feature \(fix has features 0 to $((nf - 1))\)$" "$FS" show "$IX" -1
one_line show-too-big "^featscope: $nf: no such feature \(fix has features 0 to $((nf - 1))\)$" "$FS" show "$IX" "$nf"

# --- --opt=V and --opt V, and short forms, are the same for every command
same() { # NAME COMMAND... :: COMMAND...
	local n=$1
	shift
	local a="" b="" side=a
	for w in "$@"; do
		if [ "$w" = "::" ] && [ $side = a ]; then side=b; continue; fi
		[ $side = a ] && a="$a $w" || b="$b $w"
	done
	# shellcheck disable=SC2086
	"$FS" $a >"$TMP/s1" 2>&1
	local r1=$?
	# shellcheck disable=SC2086
	"$FS" $b >"$TMP/s2" 2>&1
	local r2=$?
	if [ $r1 = 0 ] && [ $r2 = 0 ] && [ -s "$TMP/s1" ] && cmp -s "$TMP/s1" "$TMP/s2"; then
		ok "$n"
	else
		fail "$n" "exit $r1/$r2: $(head -c 200 "$TMP/s1") | $(head -c 200 "$TMP/s2")"
	fi
}
same grep-limit-eq grep "$IX" Gate --limit=3 :: grep "$IX" Gate --limit 3
same grep-limit-short grep "$IX" Gate -n3 :: grep "$IX" --limit 3 Gate
same search-limit-eq search "$IX" Gate --limit=2 :: search "$IX" Gate --limit 2
same show-limit-eq show "$IX" 5 --limit=2 --width=30 :: show "$IX" 5 -n 2 -w 30
same token-limit-eq token "$IX" Gate --limit=1 :: token "$IX" Gate --limit 1
same grep-flags-cluster grep "$IX" gate -iF :: grep "$IX" gate -i -F
same grep-dashdash grep "$IX" --json -- -e :: grep "$IX" --json -e -e
same neighbours-k-eq neighbours "$IX" 5 --k=3 :: neighbours "$IX" 5 -k 3
# --limit=3 really limits: 3 rows under the header
"$FS" grep "$IX" '[a-z]+' --limit=3 >"$TMP/l3.txt"
check_eq grep-limit-applies 4 "$(wc -l <"$TMP/l3.txt" | tr -d ' ')"

# --- the usage text is the table's: the usage line of --help is the
# synopsis help prints for the command
"$FS" show --help | head -1 >"$TMP/u1"
check_eq usage-once "usage: featscope show INDEX FEATURE [options]" "$(cat "$TMP/u1")"
check_grep usage-in-help "^ +INDEX FEATURE \[options\]$" "$TMP/help.txt"
