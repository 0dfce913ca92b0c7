/*
 * cleanup.c: files removed when a signal ends the program (see
 * cleanup.h).
 */
#include "core/cleanup.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int cl_sigs[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction cl_old[3];   /* what each signal did before */
static int cl_installed[3];          /* our handler is in place */
static char *const *cl_sig_paths;    /* files to remove (the folder's) */
static int cl_sig_n;                 /* their count */
static const char *cl_sig_dir;       /* the folder, removed last */

static void on_signal(int sig)
{
	for (int i = 0; i < cl_sig_n; i++)
		unlink(cl_sig_paths[i]);
	if (cl_sig_dir)
		rmdir(cl_sig_dir);
	/* the signal is blocked while this runs: raised again, it reaches
	 * the previous disposition once this returns */
	for (int k = 0; k < 3; k++)
		if (cl_sigs[k] == sig) {
			sigaction(sig, &cl_old[k], NULL);
			cl_installed[k] = 0;
		}
	raise(sig);
}

void fs_cleanup_reinstall(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int k = 0; k < 3; k++) {
		struct sigaction cur;
		if (sigaction(cl_sigs[k], NULL, &cur) != 0 || cur.sa_handler == SIG_IGN || cur.sa_handler == on_signal)
			continue;
		cl_old[k] = cur;
		if (sigaction(cl_sigs[k], &sa, NULL) == 0)
			cl_installed[k] = 1;
	}
}

void fs_cleanup_done(void)
{
	for (int k = 0; k < 3; k++)
		if (cl_installed[k]) {
			sigaction(cl_sigs[k], &cl_old[k], NULL);
			cl_installed[k] = 0;
		}
	cl_sig_n = 0;
	cl_sig_paths = NULL;
	cl_sig_dir = NULL;
}

void fs_cleanup_block(int on, sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (int k = 0; k < 3; k++)
		sigaddset(&set, cl_sigs[k]);
	if (on)
		sigprocmask(SIG_BLOCK, &set, old);
	else
		sigprocmask(SIG_SETMASK, old, NULL);
}


void fs_cleanup_on_signal(char *const *paths, int n, const char *dir)
{
	cl_sig_paths = paths;
	cl_sig_n = n;
	cl_sig_dir = dir;
	fs_cleanup_reinstall();
}
