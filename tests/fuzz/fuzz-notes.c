/*
 * fuzz-notes.c: libFuzzer target for `featscope notes import` (the JSON
 * and TSV readers in src/cli/cli_notes_import.c, then notes.c writing what they
 * parsed): the input is the export file, imported with --force into a
 * fresh notes database for a small index with hostile text (made at
 * start-up). Malformed files must be refused with a message, never crash.
 */
#include "cli/cmd.h"
#include "core/util.h"
#include "fuzz-template.h"

static char ixpath[300], notes[300], file[300]; /* files of the runs */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(ixpath, sizeof ixpath, "%s", fuzz_path(".notes-ix.sqlite"));
	snprintf(notes, sizeof notes, "%s", fuzz_path(".notes.sqlite"));
	snprintf(file, sizeof file, "%s", fuzz_path(".notes-import"));
	unlink(ixpath);
	make_template(ixpath);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536 || fuzz_write(file, data, size) != 0)
		return 0;
	unlink(notes);
	char *argv[] = {"notes", "import", file, ixpath, "--notes", notes, "--force", NULL};
	int rc = cmd_dispatch(7, argv);
	if (rc != FS_EXIT_OK && rc != FS_EXIT_USAGE && rc != FS_EXIT_ERR)
		abort();
	return 0;
}
