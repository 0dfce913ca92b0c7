#!/bin/sh
# t-build-diskfull.sh: write errors while building. A file size limit
# (ulimit -f, with SIGXFSZ ignored so writes fail with EFBIG) hits the
# staging file early or the index late; a 1 MB tmpfs (when this machine
# lets us mount one) runs out of space. Each time: a clear one-line
# message, a non-zero exit, no partial or temporary file beside the output,
# and a previous index at the output path byte-identical.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }
F=$(dirname "$IX")
mkdir -p "$TMP/out"
cp "$IX" "$TMP/out/keep.sqlite"
sum=$(cksum <"$TMP/out/keep.sqlite")

# build_limited BLOCKS: the fixture build into keep.sqlite under ulimit -f
build_limited() {
	(
		trap '' XFSZ
		ulimit -f "$1"
		exec "$FS" build -o "$TMP/out/keep.sqlite" --sae fix --labels "$F/labels.tsv" "$F/records.jsonl"
	) >"$TMP/lim.out" 2>"$TMP/lim.err"
}
# Block units differ between shells (512 or 1024 bytes): 40 blocks stops
# the staging file, 600 lets it through and stops the index.
for lim in 40 600; do
	build_limited $lim
	rc=$?
	check_eq "limit $lim: build fails with exit 1 (a write error, not bad input)" 1 "$rc"
	check_eq "limit $lim: one-line message" 1 "$(wc -l <"$TMP/lim.err")"
	check_grep "limit $lim: message says what failed" "^featscope: .*(File too large|disk|write|full|I/O)" "$TMP/lim.err"
	check_eq "limit $lim: previous index intact" "$sum" "$(cksum <"$TMP/out/keep.sqlite")"
	check_eq "limit $lim: nothing left beside it" "keep.sqlite" "$(ls -A "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
	cp "$TMP/lim.err" "$TMP/lim-$lim.err"
done
check_grep "small limit: the staging file fails" "staging file" "$TMP/lim-40.err"
check_nogrep "larger limit: the index itself fails" "staging file" "$TMP/lim-600.err"

# Unwritable destinations.
check_exit "output in a missing directory: exit non-zero" 2 "$FS" build -o "$TMP/nodir/x.sqlite" "$F/records.jsonl"
check_grep "missing directory: message names the path" "nodir/x.sqlite" "$TMP/.err"
mkdir -p "$TMP/isdir.sqlite"
"$FS" build -o "$TMP/isdir.sqlite" "$F/records.jsonl" >/dev/null 2>"$TMP/isdir.err"
check "output is a directory: build fails" test $? -ne 0
check "output is a directory: directory left alone" test -d "$TMP/isdir.sqlite"

# A real full file system, when mounting a tmpfs is allowed (root, no
# seccomp/userns restriction); nothing is printed when it is not.
mkdir -p "$TMP/mnt"
if mount -t tmpfs -o size=1m tmpfs "$TMP/mnt" 2>/dev/null; then
	trap 'umount "$TMP/mnt" 2>/dev/null; rm -rf "$TMP"' EXIT
	cp "$IX" "$TMP/mnt/keep.sqlite" 2>/dev/null || head -c 600000 "$IX" >"$TMP/mnt/keep.sqlite"
	msum=$(cksum <"$TMP/mnt/keep.sqlite")
	used=$(df -k "$TMP/mnt" | awk 'NR == 2 {print $3}')
	"$FS" build -o "$TMP/mnt/keep.sqlite" --sae fix "$F/records.jsonl" >/dev/null 2>"$TMP/full.err"
	rc=$?
	check "full tmpfs: build fails" test "$rc" -ne 0 -a "$rc" -lt 128
	check_eq "full tmpfs: one-line message" 1 "$(wc -l <"$TMP/full.err")"
	check_grep "full tmpfs: message says the disk is full" "full|space|I/O|write" "$TMP/full.err"
	check_eq "full tmpfs: previous index intact" "$msum" "$(cksum <"$TMP/mnt/keep.sqlite")"
	check_eq "full tmpfs: nothing left beside it" "keep.sqlite" "$(ls -A "$TMP/mnt" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "full tmpfs: space given back" "$used" "$(df -k "$TMP/mnt" | awk 'NR == 2 {print $3}')"
	umount "$TMP/mnt"
fi
