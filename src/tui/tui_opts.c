/*
 * tui_opts.c: the browser's command line: its usage and, with no index
 * named, the shipped demo's path (in the build tree or installed).
 */
#include "tui/tui_int.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "tui/view.h"
#include "cli/cmd.h"
#include "core/format.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The index to open when none is named: the shipped demo. */
char *tui_demo_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			strcpy(slash + 1, "libfs.a");
			if (access(exe, F_OK) == 0)
				return xstrdup(FS_SRCDIR "/data/demo.sqlite");
		}
	}
	return xstrdup(FS_PKGDATADIR "/demo.sqlite");
}

int tui_usage(void)
{
	fs_warn("usage: %s", TUI_USAGE);
	return FS_EXIT_USAGE;
}
