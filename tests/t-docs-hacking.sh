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

# the demo model's parameter layout is written once (issue 33/34): the
# table in src/live/demo_layout.h, which the trainer and the live
# architecture both include; neither places tensors itself
for f in src/live/arch_demo.c model/lm.c; do
	check_grep "$f includes demo_layout.h" '#include "live/demo_layout.h"|#include "lm.h"' "$S/$f"
	check_nogrep "$f places no tensor itself" 'off \+= ' "$S/$f"
done
check_grep "model/lm.h takes its offsets from demo_layout.h" 'typedef demo_layer_off lm_layer_off' "$S/model/lm.h"
# "Where a change goes" counts the places a screen, an importer, a
# subcommand and a model architecture touch (issue 33), and the
# architecture's places are where it says: every src/live/arch_*.c has its
# table listed in LIVE_ARCHS (live.c), one X(NAME) line.
for what in "A screen" "An importer" "A subcommand" "A model architecture"; do
	check_grep "HACKING.md counts the places of: $what" "^- \*\*$what\*\* \([0-9]+ places" "$S/HACKING.md"
done
for f in "$S"/src/live/arch_*.c; do
	a=$(sed -n 's/^const live_arch live_arch_\([a-z0-9_]*\) = .*/\1/p' "$f")
	check "$(basename "$f"): defines its table" test -n "$a"
	check "$(basename "$f"): listed in LIVE_ARCHS" grep -Eq "^	X\($a\) " "$S/src/live/live.c"
done
