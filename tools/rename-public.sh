#!/bin/sh
# tools/rename-public.sh: applies tools/rename-public.sed (the renames that
# give public functions their module's prefix, issue 13) to every tracked
# .c, .h and .am file, every .md file and the man pages, in place. Run it
# once from a clean checkout, after merging, then build with
# --enable-werror and run make check. It prints the files it changed.
# FS_RENAME_DRY=1 only lists the files that would change.
set -e
cd "$(dirname "$0")/.."
script=tools/rename-public.sed
[ -f "$script" ] || { echo "rename-public: $script missing" >&2; exit 2; }
sed --version 2>/dev/null | grep -q GNU || { echo "rename-public: needs GNU sed (\\b)" >&2; exit 2; }
git ls-files -- '*.c' '*.h' '*.am' '*.md' 'man/*' |
while IFS= read -r f; do
	[ -f "$f" ] || continue
	sed -f "$script" "$f" >"$f.rename-tmp"
	if cmp -s "$f" "$f.rename-tmp"; then
		rm -f "$f.rename-tmp"
	elif [ -n "${FS_RENAME_DRY:-}" ]; then
		rm -f "$f.rename-tmp"
		echo "$f"
	else
		# keep the file's mode
		cat "$f.rename-tmp" >"$f"
		rm -f "$f.rename-tmp"
		echo "$f"
	fi
done
