#!/bin/sh
# t-src-oneof.sh: one of each shared mechanism in src/ (issue 33): the
# escape ring is core/escape.c's alone (escape_str/escape_strn), ... Each
# check greps the tree for a second copy that was once there.
. "$(dirname "$0")/lib.sh"

cd "$S" || exit 1
# every .c and .h file under src/, one per line
files=$(find src -name '*.[ch]' | sort)

# 1. escape rings: core/escape.c holds the only one; the front ends'
#    own names (cli_esc, cli_live_esc and its short form lesc, compare's
#    malloc'ing safe(), geom's geo_safe()) are gone.
grep -l 'static fs_buf ring\[' $files >"$TMP/rings"
check_eq "one escape ring, in core/escape.c" "src/core/escape.c" "$(cat "$TMP/rings")"
grep -nE '\b(cli_esc|cli_live_esc|lesc|geo_safe)\(|static char \*safe\(' $files >"$TMP/esc-names"
check_eq "no front-end escape helpers" "" "$(cat "$TMP/esc-names")"

# 2. whole-file readers: core's fs_read_file is the only loop that reads a
#    file into a growing buffer (gpt2.c, bpe.c and saelens_sae.c each had
#    their own; core/input.c's input_slurp reads gzip records).
grep -lE 'while \(\(k = fread\(tmp, 1, sizeof tmp' $files >"$TMP/readers"
check_eq "one whole-file reader, in core/util.c" "src/core/util.c" "$(cat "$TMP/readers")"

# 3. top-k selection: core/topk.c holds the only quickselects (a k-th
#    largest value, the k best pairs) and the only bounded min-heap
#    of the largest pairs (knn.c, saelens_sae.c and sae_live.c had them).
grep -lE 'while \([a-z]+\[i\] > p\)' $files >"$TMP/kth"
check_eq "one k-th largest, in core/topk.c" "src/core/topk.c" "$(cat "$TMP/kth")"
grep -lE '\[\(c - 1\) / 2\]' $files >"$TMP/heap"
check_eq "one bounded min-heap of the largest, in core/topk.c" "src/core/topk.c" "$(cat "$TMP/heap")"

# 4. progress: the engines report through core/progress.h and never print
#    it themselves (build.c, build_inputs.c, toolkit.c, import.c and
#    geom.c each wrote their own lines to stderr); the command line draws
#    it (cli_progress), steer through the same report.
grep -n 'stderr' src/build/*.c src/import/*.c src/geom/*.c >"$TMP/engine-stderr"
check_eq "no engine prints progress to stderr" "" "$(cat "$TMP/engine-stderr")"
grep -n 'fprintf(stderr, "\\r' src/cli/*.c >"$TMP/cli-bars"
check_eq "the command line draws one progress line (cliutil.c; grep's live rankings and harvest's bar aside)" \
	"src/cli/cli_grep.c src/cli/cli_harvest.c src/cli/cliutil.c" "$(cut -d: -f1 "$TMP/cli-bars" | sort -u | tr '\n' ' ' | sed 's/ $//')"

# 5. no source file over 1,000 lines (knn.c, tui.c and index_read.c were).
for f in $files; do
	n=$(wc -l <"$f")
	[ "$n" -gt 1000 ] && echo "$f $n"
done >"$TMP/long"
check_eq "no source file over 1,000 lines" "" "$(cat "$TMP/long")"

# 7. tests are named by the folder they test with the concern after it:
#    none by concern alone (t-rel-*) or by issue number.
ls tests | grep -E '^t-(rel-|.*issue[0-9])' >"$TMP/badnames"
check_eq "tests named by folder, not t-rel-* or an issue" "" "$(cat "$TMP/badnames")"

# 6. options: a command's enum and option table made from one list
#    (CLI_OPTIONS or CLI_PICK in cli/cmd.h); none written by hand with an
#    enum kept in step by hand (issue 33).
grep -l 'static const cli_opt [a-z_]*\[\] = {' src/cli/*.c src/tui/*.c | tr '\n' ' ' >"$TMP/hand-opts"
check_eq "no option table written by hand (every one from a list: CLI_OPTIONS, CLI_PICK)" \
	"" \
	"$(cat "$TMP/hand-opts")"
# every command walks its options with cli_walk or cli_parse (one style)
grep -ln 'cli_next(' src/cli/*.c src/tui/*.c | grep -v '^src/cli/opt.c$' >"$TMP/rawnext"
check_eq "no command calls cli_next itself (cli_walk or cli_parse)" "" "$(cat "$TMP/rawnext")"
# no command matches its options by name (analyze and steer, the notes
# subcommands did): they read them by index or by id (CLI_PICK)
grep -n 'strcmp(n, "' src/cli/*.c >"$TMP/byname"
check_eq "no options matched by strcmp on their names" "" "$(cat "$TMP/byname")"
grep -lE 'while \(topk_better\(' $files >"$TMP/pairsel"
check_eq "one selection of the k best pairs, in core/topk.c" "src/core/topk.c" "$(cat "$TMP/pairsel")"
