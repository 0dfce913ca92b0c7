#!/bin/sh
# t-live-files-hostile.sh: an index's live_files rows are untrusted (issue
# 31, item 4). analyze, steer and the browser's live screens read an
# attached file only when it is a regular file in the index's folder or
# below it (links resolved, the last one not followed, a FIFO never
# waited on), of the size the row records (checked before a byte is
# read); anything else is one line naming the row, exit 2 (the status line
# in the browser), and no message prints the hash of a file that did not
# match (no oracle for the bytes of files the index names).
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D/sub" "$TMP/outside"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
cp "$S/data/demo-lm.bin" "$TMP/outside/demo-lm.bin"
IX=$D/demo.sqlite
LM_BYTES=$(wc -c <"$D/demo-lm.bin" | tr -d ' ')
LM_HASH=$(sqlite3 "$IX" "select xxh3 from live_files where role = 'model'")
check "the demo's model row as shipped" test -n "$LM_HASH" -a "$(sqlite3 "$IX" "select file from live_files where role = 'model'")" = demo-lm.bin
check "analyze runs on the copy as shipped" timeout 120 "$FS" analyze "$IX" "hi"
# a secret outside the index's folder
printf 'root:x:0:0:secret\n' >"$TMP/outside/shadow"
SECRET_BYTES=$(wc -c <"$TMP/outside/shadow" | tr -d ' ')

# row FILE BYTES [XXH3]: the model's row names FILE
row() {
	sqlite3 "$IX" "update live_files set file = '$1', bytes = $2, xxh3 = '${3:-$LM_HASH}' where role = 'model'"
}
# refused NAME PATTERN COMMAND...: exit 2 in time, one line matching PATTERN
# and naming the row, no hash of the file (only the recorded one may appear)
refused() {
	name=$1 pat=$2
	shift 2
	timeout 20 "$@" >"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	if [ "$rc" = 2 ]; then ok "$name: exit 2"; else fail "$name: exit 2" "exit $rc: $(head -c 300 "$TMP/r.err")"; fi
	check_eq "$name: one line" 1 "$(wc -l <"$TMP/r.err" | tr -d ' ')"
	check_grep "$name: says why" "$pat" "$TMP/r.err"
	check_grep "$name: names the row" "attached to .*demo.sqlite as the model" "$TMP/r.err"
	if grep -o '[0-9a-f]\{16,\}' "$TMP/r.err" | grep -v '^[0-9]*$' | grep -qv "^$LM_HASH\$"; then
		fail "$name: no hash of the file printed" "$(cat "$TMP/r.err")"
	else ok "$name: no hash of the file printed"; fi
}

row /dev/zero "$LM_BYTES"
refused "/dev/zero: analyze" "/dev/zero: not in the index's folder" "$FS" analyze "$IX" "hi"
refused "/dev/zero: steer" "/dev/zero: not in the index's folder" "$FS" steer "$IX" --feature 1=2 --tokens 2
row ../../../../../../dev/zero "$LM_BYTES"
refused "../ to /dev/zero" "file '../../[.a-z/]*': a '..' step" "$FS" analyze "$IX" "hi"
row ../../../../../../etc/passwd "$LM_BYTES"
refused "../../etc/passwd" "file '../../[.a-z/]*': a '..' step" "$FS" analyze "$IX" "hi"
row "$TMP/outside/shadow" "$SECRET_BYTES" 0123456789abcdef
refused "an absolute path outside" "outside/shadow: not in the index's folder .* or below it: not read" "$FS" analyze "$IX" "hi"
# the real model, the right size and hash, but outside the folder: refused all the same
row "$TMP/outside/demo-lm.bin" "$LM_BYTES"
refused "the right model outside the folder" "not in the index's folder" "$FS" analyze "$IX" "hi"
mkfifo "$D/fifo"
row fifo "$LM_BYTES"
refused "a FIFO in the folder (never waited on)" "fifo: not a regular file" "$FS" analyze "$IX" "hi"
ln -s "$TMP/outside/shadow" "$D/link"
row link "$SECRET_BYTES" 0123456789abcdef
refused "a link in the folder to a file outside" "link: a symbolic link" "$FS" analyze "$IX" "hi"
ln -s "$TMP/outside" "$D/outdir"
row outdir/shadow "$SECRET_BYTES" 0123456789abcdef
refused "a linked folder to outside" "outdir/shadow: not in the index's folder or below it .links resolved." "$FS" analyze "$IX" "hi"
ln -s /dev "$D/devdir"
row devdir/zero "$LM_BYTES"
refused "a linked folder to /dev" "devdir/zero: not a regular file|not in the index's folder" "$FS" analyze "$IX" "hi"
# the recorded size is the limit: another size is refused before reading
row demo-lm.bin $((LM_BYTES - 1))
refused "a size other than the recorded one" "demo-lm.bin: $LM_BYTES bytes, but the index records $((LM_BYTES - 1))" "$FS" analyze "$IX" "hi"
row demo-lm.bin 99999999999999999
refused "a size past the limit" "bytes: 99999999999999999 is not the size of a weights file" "$FS" analyze "$IX" "hi"
# the right size, another hash: said, the file's own hash not printed
row demo-lm.bin "$LM_BYTES" 0123456789abcdef
refused "a hash that does not match" "demo-lm.bin: xxh3 does not match the one recorded" "$FS" analyze "$IX" "hi"
check_nogrep "a hash that does not match: the file's hash not printed" "$LM_HASH" "$TMP/r.err"
row "demo-lm.bin" "$LM_BYTES" NOTAHASH
refused "a recorded xxh3 that is not one" "xxh3: not 16 lowercase hex digits" "$FS" analyze "$IX" "hi"
# below the folder is fine; and as shipped again
cp "$D/demo-lm.bin" "$D/sub/lm.bin"
row sub/lm.bin "$LM_BYTES"
check "a file below the index's folder is read" timeout 120 "$FS" analyze "$IX" "hi"
row "$D/demo-lm.bin" "$LM_BYTES"
check "an absolute path in the index's folder is read" timeout 120 "$FS" analyze "$IX" "hi"

# the browser: the prompt screen's worker says so on the status line, the session goes on
row /dev/zero "$LM_BYTES"
printf 'A\nabc\n:save-display %s/t1\n<Esc>\nS\n:save-display %s/t2\nQ\n' "$TMP" "$TMP" >"$TMP/t.keys"
FEATSCOPE_SCRIPT=$TMP/t.keys FEATSCOPE_SIZE=160x30 TERM=xterm-256color timeout 60 "$FS" "$IX" >/dev/null 2>"$TMP/t.err"
check_eq "browser: /dev/zero: the session goes on and quits" 0 $?
check_grep "browser: the prompt screen says why" "/dev/zero: not in the index's folder" "$TMP/t1"
check_grep "browser: the steering screen says why" "/dev/zero: not in the index's folder" "$TMP/t2"
row fifo "$LM_BYTES"
FEATSCOPE_SCRIPT=$TMP/t.keys FEATSCOPE_SIZE=160x30 TERM=xterm-256color timeout 60 "$FS" "$IX" >/dev/null 2>"$TMP/t.err"
check_eq "browser: a FIFO: the session goes on and quits" 0 $?
check_grep "browser: a FIFO: said" "fifo: not a regular file" "$TMP/t1"

# attach: the files must lie in the index's folder or below it, links
# resolved (a link beside the index to weights elsewhere would be refused
# by analyze: attach refuses it first)
row demo-lm.bin "$LM_BYTES"
ln -s "$TMP/outside/demo-lm.bin" "$D/outlm.bin"
check_exit "attach: a link beside the index to a model outside: exit 2" 2 "$FS" attach "$IX" --model "$D/outlm.bin" --sae "res4k=$D/demo-sae-res4k.bin"
check_grep "attach: a link to outside: says it is not beside the index" "outlm.bin: not beside .*demo.sqlite" "$TMP/.err"
check "attach: a model below the index's folder" "$FS" attach "$IX" --model "$D/sub/lm.bin" --sae "res4k=$D/demo-sae-res4k.bin"
check_eq "attach: recorded by its path below the folder" "sub/lm.bin" "$(sqlite3 "$IX" "select file from live_files where role = 'model'")"
check "attach: ... and analyze reads it" timeout 120 "$FS" analyze "$IX" "hi"

# attach prints file names as the one rule escapes them (item 19)
ESCF="$D/lm$(printf '\033')]0;pwned$(printf '\007').bin"
cp "$D/demo-lm.bin" "$ESCF"
"$FS" attach "$IX" --model "$ESCF" --sae "res4k=$D/demo-sae-res4k.bin" >"$TMP/esc.out" 2>"$TMP/esc.err"
check_eq "attach: a file name with escapes: exit 0" 0 $?
if grep -q "$(printf '\033')" "$TMP/esc.out" "$TMP/esc.err"; then fail "attach: no raw ESC in its output" "$(od -c "$TMP/esc.out" | head -5)"
else ok "attach: no raw ESC in its output"; fi
check_grep "attach: the name escaped" 'attached model: lm\\x1b\]0;pwned\\x07.bin \(xxh3' "$TMP/esc.out"

# attach with one --sae keeps the other attached dictionaries, and says so (item 20)
cp "$S/data/demo.sqlite" "$D/k.sqlite"
before=$(sqlite3 "$D/k.sqlite" "select * from live_files where name in ('res1k', 'res16k') order by name")
"$FS" attach "$D/k.sqlite" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin" >"$TMP/k.out" 2>"$TMP/k.err"
check_eq "attach one --sae: exit 0" 0 $?
check_eq "attach one --sae: the other dictionaries' rows kept as they were" "$before" \
	"$(sqlite3 "$D/k.sqlite" "select * from live_files where name in ('res1k', 'res16k') order by name")"
check_eq "attach one --sae: four rows" 4 "$(sqlite3 "$D/k.sqlite" "select count(*) from live_files")"
check_grep "attach one --sae: says res1k was kept" "^kept sae res1k: demo-sae-res1k.bin \(attached before" "$TMP/k.out"
check_grep "attach one --sae: says res16k was kept" "^kept sae res16k: demo-sae-res16k.bin" "$TMP/k.out"
check_grep "attach one --sae: res4k attached" "^attached sae res4k: demo-sae-res4k.bin" "$TMP/k.out"
