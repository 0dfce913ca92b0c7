/*
 * tui.c: the full-screen browser's entry point (TUI area).
 * (placeholder until that area lands: the subcommand reports that it is
 * not available yet and exits 1.)
 */
#include "cmd.h"
#include "util.h"

int cmd_tui(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}
