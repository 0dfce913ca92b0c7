/*
 * export.c: export of features and notes (notes area).
 * (placeholder until that area lands: the subcommand reports that it is
 * not available yet and exits 1.)
 */
#include "cmd.h"
#include "util.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}
