#!/bin/sh
# t-index-resources.sh: leftovers and odd places. A build killed in its write
# phase leaves OUT.tmp-PID-XXXXXX: the next build to the same output removes
# those of dead builders (and says so), never a live one's. A read-only
# notes database in a read-only folder is read, and a write says read-only.
# A disk full before the notes database's -wal/-shm exist says the disk is
# full. (*NO_JIT) in a pattern is accepted.
. "$(dirname "$0")/lib.sh"

FIX=$(fixture_index) || { fail rel-resources-fixture "fixture_index failed"; exit 1; }
FD=$(dirname "$FIX")
mkdir -p "$TMP/out"

# --- stale temporaries: a dead pid's, a live pid's, another output's
sh -c 'exit 0' &
dead=$!
wait $dead
: >"$TMP/out/o.sqlite.tmp-$dead-AbC123"
: >"$TMP/out/o.sqlite.tmp-$$-XyZ789"
: >"$TMP/out/other.sqlite.tmp-$dead-QqQ111"
"$FS" build --no-progress -o "$TMP/out/o.sqlite" "$FD/records.jsonl" >"$TMP/b.out" 2>"$TMP/b.err"
check_eq "stale tmp: build ok" 0 $?
check "stale tmp: the dead builder's file is removed" test ! -e "$TMP/out/o.sqlite.tmp-$dead-AbC123"
check_grep "stale tmp: and that is said" "removed .*o\.sqlite\.tmp-$dead-AbC123, left by a build that did not finish \(pid $dead is gone\)" "$TMP/b.err"
check "stale tmp: a live builder's file is kept" test -e "$TMP/out/o.sqlite.tmp-$$-XyZ789"
check "stale tmp: another output's file is kept" test -e "$TMP/out/other.sqlite.tmp-$dead-QqQ111"
# a real SIGKILL in the write phase, then the next build
"$FS" build --no-progress -o "$TMP/out/k.sqlite" "$FD/records.jsonl" "$FD/records.jsonl" "$FD/records.jsonl" >/dev/null 2>&1 &
bp=$!
i=0
while ! ls "$TMP/out" | grep -q "^k\.sqlite\.tmp-$bp-" && [ $i -lt 400 ]; do sleep 0.01; i=$((i + 1)); done
kill -9 $bp 2>/dev/null
wait $bp 2>/dev/null
if ls "$TMP/out" | grep -q "^k\.sqlite\.tmp-$bp-"; then
	"$FS" build --no-progress -o "$TMP/out/k.sqlite" "$FD/records.jsonl" >/dev/null 2>"$TMP/k.err"
	check_eq "SIGKILLed build: its temporary is gone after the next build" "k.sqlite" \
		"$(ls "$TMP/out" | grep '^k\.sqlite' | tr '\n' ' ' | sed 's/ $//')"
	check_grep "SIGKILLed build: the next build says so" "pid $bp is gone" "$TMP/k.err"
fi

# --- read-only notes database in a read-only folder
ro_notes() {
	# $1: folder with n.sqlite, already made read-only
	"$FS" notes show --notes "$1/n.sqlite" "$FIX" 0 >"$TMP/ro.out" 2>"$TMP/ro.err"
	check_eq "read-only notes: show works" 0 $?
	check_grep "read-only notes: the label is read" 'label: +ro label' "$TMP/ro.out"
	check_exit "read-only notes: a write fails" 1 "$FS" notes set --notes "$1/n.sqlite" "$FIX" 0 --label other
	check_grep "read-only notes: the write says read-only" 'read-only' "$TMP/.err"
	printf '<Enter>\n:save-display %s\n' "$TMP/ro.screen" >"$TMP/ro.keys"
	FEATSCOPE_SCRIPT=$TMP/ro.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color "$FS" --notes "$1/n.sqlite" "$FIX" 2>"$TMP/ro.tui"
	check_grep "read-only notes: the browser shows them" 'ro label' "$TMP/ro.screen"
	# the editor cannot save: it says why and stays; Esc again closes
	printf '<Enter>\netyped<Esc>\n:save-display %s\n<Esc>\n:save-display %s\n' "$TMP/ro-e1.screen" "$TMP/ro-e2.screen" >"$TMP/ro-e.keys"
	FEATSCOPE_SCRIPT=$TMP/ro-e.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color "$FS" --notes "$1/n.sqlite" "$FIX" 2>"$TMP/ro.tui"
	check_eq "read-only notes: the browser exits 0 after a failed save" 0 $?
	check_grep "read-only notes: the editor says it could not save" 'could not save the note: .*(readonly|read-only)' "$TMP/ro-e1.screen"
	check_grep "read-only notes: the editor stays open after it" 'note on 0' "$TMP/ro-e1.screen"
	check_nogrep "read-only notes: a second Esc closes it" 'note on 0' "$TMP/ro-e2.screen"
}
mkdir -p "$TMP/ro"
"$FS" notes set --notes "$TMP/ro/n.sqlite" "$FIX" 0 --label "ro label" >/dev/null 2>&1
if [ "$(id -u)" != 0 ]; then
	chmod 0444 "$TMP/ro/n.sqlite"
	chmod 0555 "$TMP/ro"
	ro_notes "$TMP/ro"
	chmod 0755 "$TMP/ro"
elif mkdir -p "$TMP/mnt" && mount -t tmpfs -o size=2m tmpfs "$TMP/mnt" 2>/dev/null; then
	# root writes anywhere: a read-only mount stands for the folder
	trap 'umount "$TMP/mnt" 2>/dev/null; rm -rf "$TMP"' EXIT
	cp "$TMP/ro/n.sqlite" "$TMP/mnt/n.sqlite"
	mount -o remount,ro "$TMP/mnt" && ro_notes "$TMP/mnt"
	# --- and a full disk before -wal/-shm exist
	mount -o remount,rw "$TMP/mnt"
	dd if=/dev/zero of="$TMP/mnt/fill" bs=64k >/dev/null 2>&1
	check_exit "full disk: notes show fails" 1 "$FS" notes show --notes "$TMP/mnt/n.sqlite" "$FIX" 0
	check_grep "full disk: says the disk is full" 'the disk is full' "$TMP/.err"
	check_nogrep "full disk: not called corrupt" 'corrupt' "$TMP/.err"
	check_exit "full disk: notes set fails" 1 "$FS" notes set --notes "$TMP/mnt/n.sqlite" "$FIX" 0 --label x
	check_grep "full disk: set says the disk is full" 'the disk is full' "$TMP/.err"
	umount "$TMP/mnt"
fi
# a file size limit before -wal/-shm exist (any user): said as such
(
	trap '' XFSZ
	ulimit -f 8
	exec "$FS" notes show --notes "$TMP/ro/n.sqlite" "$FIX" 0
) >"$TMP/fz.out" 2>"$TMP/fz.err"
check_eq "file size limit: notes show fails with exit 1" 1 $?
check_grep "file size limit: says so" 'file size limit reached' "$TMP/fz.err"

# --- (*NO_JIT)
check_exit "(*NO_JIT) pattern: grep works" 0 "$FS" grep "$FIX" '(*NO_JIT)[ACGT]{4}' --limit 2
check_grep "(*NO_JIT) pattern: same best feature" '^ +1 +0 ' "$TMP/.out"
