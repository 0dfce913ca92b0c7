/*
 * fuzz-tui.c: libFuzzer target for the browser's headless script mode
 * (src/tui/term.c script parser, src/tui/tui.c and every view): the input is a
 * script (lines of keys in keymap notation, ':command' lines, the
 * ':resize' and ':save-display' directives) run by tui_main over a small
 * index with hostile text, 80x24, with its own notes database. Runs in a
 * scratch directory (a script may save the display to a file). Leak
 * checking is off for this target (tui.options): ncurses keeps memory
 * across newterm/delscreen.
 */
#include "cli/cmd.h"
#include "core/util.h"
#include "tui/view.h"
#include "fuzz-template.h"

#include <sys/stat.h>

static char ixpath[300], notes[300], script[300]; /* files of the runs */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static char dir[300];
	snprintf(dir, sizeof dir, "%s", fuzz_path(".tui"));
	mkdir(dir, 0700);
	if (chdir(dir) != 0)
		abort();
	snprintf(ixpath, sizeof ixpath, "%s/ix.sqlite", dir);
	snprintf(notes, sizeof notes, "%s/notes.sqlite", dir);
	snprintf(script, sizeof script, "%s/keys", dir);
	unlink(ixpath);
	make_template(ixpath);
	setenv("FEATSCOPE_SCRIPT", script, 1);
	setenv("FEATSCOPE_SIZE", "80x24", 1);
	setenv("TERM", "xterm-256color", 1);
	setenv("HOME", dir, 1);
	unsetenv("FEATSCOPE_TIMING");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2000)
		return 0;
	if (fuzz_write(script, data, size) != 0)
		return 0;
	/* Make sure the script ends the session even when it does not quit. */
	FILE *f = fopen(script, "a");
	if (f) {
		fputs("\n<Esc><Esc>QQ\n", f);
		fclose(f);
	}
	memset(&tui, 0, sizeof tui);
	char *argv[] = {"featscope", "--notes", notes, ixpath, NULL};
	int rc = tui_main(4, argv);
	if (rc != FS_EXIT_OK && rc != FS_EXIT_USAGE && rc != FS_EXIT_ERR)
		abort();
	return 0;
}
