/*
 * jobs.c: an importer's input files read by worker processes (`featscope
 * build --jobs N`). File i goes to worker i mod W, which turns it into a
 * stream of records on its own pipe (the reader decides what a record
 * is); the importer takes the files back one after the other, in the
 * order a single process would have read them, so that everything it
 * writes (ids, ranks, messages) is the same as without workers. The
 * workers only read files and write their pipe: the index, the progress
 * bar and the messages stay with the parent.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "import/import_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

struct imp_jobs {
	int n;          /* workers */
	pid_t *pid;     /* their process ids (0: reaped) */
	FILE **in;      /* the parent's end of each pipe */
};

/* Bytes buffered on either end of a pipe. */
#define JOBS_BUF (1 << 20)

/* The worker: files w, w + n, ... then exit without running the parent's
 * exit handlers (the index and its temporary file are the parent's). */
static void worker(int w, int n, int nfiles, int fd, imp_job_fn fn, void *ctx)
{
	signal(SIGPIPE, SIG_DFL); /* the parent stopped reading: stop too */
	/* the parent's handlers remove its temporary index: a worker that is
	 * stopped (SIGTERM from imp_jobs_stop, ^C) must leave that to it */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	FILE *out = fdopen(fd, "wb");
	if (!out)
		_exit(1);
	char *buf = xmalloc(JOBS_BUF);
	setvbuf(out, buf, _IOFBF, JOBS_BUF);
	int rc = 0;
	for (int i = w; i < nfiles && rc == 0; i += n)
		rc = fn(ctx, i, out);
	if (fclose(out) != 0)
		rc = -1;
	free(buf);
	_exit(rc == 0 ? 0 : 1);
}

imp_jobs *imp_jobs_start(int workers, int nfiles, imp_job_fn fn, void *ctx, char *err, size_t errlen)
{
	if (workers > nfiles)
		workers = nfiles;
	if (workers < 1)
		workers = 1;
	imp_jobs *j = xcalloc(1, sizeof *j);
	j->pid = xcalloc((size_t)workers, sizeof *j->pid);
	j->in = xcalloc((size_t)workers, sizeof *j->in);
	int (*fd)[2] = xcalloc((size_t)workers, sizeof *fd);
	for (int w = 0; w < workers; w++)
		if (pipe(fd[w]) != 0) {
			fs_seterr(err, errlen, "--jobs: pipe: %s", strerror(errno));
			for (int k = 0; k < w; k++)
				close(fd[k][0]), close(fd[k][1]);
			free(fd);
			free(j->pid);
			free(j->in);
			free(j);
			return NULL;
		}
	fflush(NULL); /* nothing buffered is written twice */
	for (int w = 0; w < workers; w++) {
		pid_t p = fork();
		if (p == 0) {
			int mine = fd[w][1];
			for (int k = 0; k < workers; k++) {
				close(fd[k][0]);
				if (k != w)
					close(fd[k][1]);
			}
			/* the parent's streams of earlier workers are left as they
			 * are (their descriptors are closed above) */
			free(fd);
			free(j->pid);
			free(j->in);
			free(j);
			worker(w, workers, nfiles, mine, fn, ctx);
		}
		if (p < 0) {
			fs_seterr(err, errlen, "--jobs: fork: %s", strerror(errno));
			for (int k = w; k < workers; k++)
				close(fd[k][0]), close(fd[k][1]);
			j->n = w;
			imp_jobs_stop(j, 1);
			free(fd);
			return NULL;
		}
		j->pid[w] = p;
		close(fd[w][1]);
#ifdef F_SETPIPE_SZ
		fcntl(fd[w][0], F_SETPIPE_SZ, JOBS_BUF); /* fewer switches; a smaller pipe works too */
#endif
		j->in[w] = fdopen(fd[w][0], "rb");
		if (j->in[w])
			setvbuf(j->in[w], NULL, _IOFBF, JOBS_BUF);
		j->n = w + 1;
		if (!j->in[w]) {
			close(fd[w][0]);
			for (int k = w + 1; k < workers; k++)
				close(fd[k][0]), close(fd[k][1]);
			fs_seterr(err, errlen, "--jobs: %s", strerror(errno));
			imp_jobs_stop(j, 1);
			free(fd);
			return NULL;
		}
	}
	free(fd);
	return j;
}

FILE *imp_jobs_stream(imp_jobs *j, int i)
{
	return j->in[i % j->n];
}

int imp_jobs_get(FILE *f, void *p, size_t n)
{
	return n == 0 || fread(p, 1, n, f) == n ? 0 : -1;
}

int imp_jobs_put(FILE *f, const void *p, size_t n)
{
	return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

int imp_jobs_stop(imp_jobs *j, int early)
{
	if (!j)
		return 0;
	int bad = 0;
	for (int w = 0; w < j->n; w++) {
		if (early && j->pid[w] > 0)
			kill(j->pid[w], SIGTERM); /* our own worker, mid-way */
		if (j->in[w])
			fclose(j->in[w]);
	}
	for (int w = 0; w < j->n; w++) {
		int status = 0;
		while (j->pid[w] > 0 && waitpid(j->pid[w], &status, 0) < 0 && errno == EINTR)
			;
		if (!early && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			bad = 1;
	}
	free(j->pid);
	free(j->in);
	free(j);
	return bad ? -1 : 0;
}
