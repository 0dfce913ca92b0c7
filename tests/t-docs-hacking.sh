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
