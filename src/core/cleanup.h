/*
 * cleanup.h: files removed when a signal (SIGINT, SIGTERM, SIGHUP) ends
 * the program in the middle of writing them: a long command's temporary
 * files and their folder, so an interrupted run leaves nothing behind.
 * The handler removes them, restores the signal's previous disposition
 * and raises it again; ignored signals are left alone.
 */
#ifndef FS_CORE_CLEANUP_H
#define FS_CORE_CLEANUP_H

#include <signal.h>

/* Remove paths[0..n) and then the folder dir (may be NULL) on a signal;
 * the arrays must live until fs_cleanup_done. */
void fs_cleanup_on_signal(char *const *paths, int n, const char *dir);
/* Put the handler back in front of whatever handles the signals now
 * (after a library installed its own). */
void fs_cleanup_reinstall(void);
/* Block (on != 0, the old mask into *old) or unblock (restore *old) the
 * three signals, around a change of handlers. */
void fs_cleanup_block(int on, sigset_t *old);
/* The files are finished or removed: the previous handlers return. */
void fs_cleanup_done(void);

#endif
