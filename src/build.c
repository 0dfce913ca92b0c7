/*
 * build.c: native builder
 * (placeholder: being written now.)
 */
#include "cmd.h"
#include "util.h"

int cmd_build(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}
