#!/bin/sh
# t-bootstrap.sh: ./bootstrap configures again when its arguments differ
# from the last configure's (as config.status --config reports them), and
# keeps the configuration when they are the same. Runs a copy of bootstrap
# in a scratch tree whose config.status is a stand-in, with
# FS_BOOTSTRAP_DRY=1 (say what would be done about configure, do nothing).
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

T=$TMP/tree
mkdir -p "$T"
cp "$S/bootstrap" "$T/bootstrap"
: >"$T/configure.ac"
: >"$T/Makefile.am"
sleep 0.01 2>/dev/null || sleep 1
: >"$T/configure"
: >"$T/Makefile.in"
sleep 0.01 2>/dev/null || sleep 1
: >"$T/Makefile"
stand_in() { # the arguments config.status reports, as configure quotes them
	printf '#!/bin/sh\n[ "$1" = --config ] && echo "%s"\n' "$1" >"$T/config.status"
	chmod +x "$T/config.status"
}
decide() { FS_BOOTSTRAP_DRY=1 sh "$T/bootstrap" "$@" 2>"$TMP/boot.err"; }

stand_in "--enable-werror"
check_eq boot-same-keeps "configure: keep" "$(decide --enable-werror)"
check_eq boot-none-runs "configure: run" "$(decide)"
check_grep boot-says-why "configure arguments changed \(were: --enable-werror; now: none\)" "$TMP/boot.err"
check_eq boot-more-runs "configure: run" "$(decide --enable-werror --disable-silent-rules)"
stand_in "'--enable-werror' 'CFLAGS=-O0 -g'"
check_eq boot-quoted-same "configure: keep" "$(decide --enable-werror 'CFLAGS=-O0 -g')"
check_eq boot-quoted-differs "configure: run" "$(decide --enable-werror 'CFLAGS=-O2 -g')"
stand_in ""
check_eq boot-plain-keeps "configure: keep" "$(decide)"
check_eq boot-werror-runs "configure: run" "$(decide --enable-werror)"
# no Makefile yet: always configure
rm "$T/Makefile"
check_eq boot-fresh-runs "configure: run" "$(decide)"
