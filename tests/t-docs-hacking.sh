#!/bin/sh
# t-docs-hacking.sh: HACKING.md's table of the tree names every source
# file under src/ (tests/hacking_map.py), so the map a contributor reads
# stays true as files are added; and the check catches an unlisted file.
. "$(dirname "$0")/lib.sh"

missing=$(python3 "$S/tests/hacking_map.py" "$S")
check_eq "HACKING.md lists every source file" "" "$(echo $missing)"
mkdir -p "$TMP/tree/src/core"
grep -v '`source\.\[ch\]`' "$S/HACKING.md" >"$TMP/tree/HACKING.md"
: >"$TMP/tree/src/core/source.c"
: >"$TMP/tree/src/core/util.c"
check_eq "the check names a file HACKING.md does not list" "src/core/source.c" \
	"$(python3 "$S/tests/hacking_map.py" "$TMP/tree")"

# "Where a change goes" counts the places a screen, an importer, a
# subcommand and a model architecture touch (issue 33), and the
# architecture's places are where it says: every src/live/arch_*.c has its
# table declared in live.h and listed in live_archs[] (live.c).
for what in "A screen" "An importer" "A subcommand" "A model architecture"; do
	check_grep "HACKING.md counts the places of: $what" "^- \*\*$what\*\* \([0-9]+ places" "$S/HACKING.md"
done
for f in "$S"/src/live/arch_*.c; do
	a=$(sed -n 's/^const live_arch \(live_arch_[a-z0-9_]*\) = .*/\1/p' "$f")
	check "$(basename "$f"): declared in live.h" grep -q "^extern const live_arch $a;" "$S/src/live/live.h"
	check "$(basename "$f"): listed in live_archs[]" grep -q "^	&$a,\$" "$S/src/live/live.c"
done
