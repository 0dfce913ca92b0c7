/*
 * index_identity.c: which file an open index reads. A rebuild renames a
 * new file over the path while a browser has the old one open; SQLite's
 * connection keeps reading the old file, but anything that opens the path
 * again (grep's worker connections, the direct chunk reader's map) would
 * get the new one and mix two files. The identity recorded at open (the
 * file's device, inode, size and mtime, with the uuid in meta) lets them
 * check, and lets the browser notice the change and say so. A file
 * overwritten in place (cp over it, a truncation) keeps its inode but
 * not its bytes: the connection's own reads are no longer the opened
 * file's, so that change is told apart (INDEX_MODIFIED) for the browser
 * to open the file again.
 */
#include "index/index_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The recorded identity. */
struct index_file_id {
	dev_t dev;             /* device */
	ino_t ino;             /* inode */
	off_t size;            /* size in bytes */
	struct timespec mtime; /* last modification */
	struct timespec ctime; /* last change of the inode (cp -p keeps the
	                          mtime and a copy may keep the size: not this) */
};

static int same_stat(const struct index_file_id *id, const struct stat *st)
{
	return id->dev == st->st_dev && id->ino == st->st_ino && id->size == st->st_size &&
	       id->mtime.tv_sec == st->st_mtim.tv_sec && id->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       id->ctime.tv_sec == st->st_ctim.tv_sec && id->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

int index_id_record(fs_index *ix, const struct stat *st0)
{
	struct stat st;
	if (stat(ix->path, &st) != 0 || st.st_dev != st0->st_dev || st.st_ino != st0->st_ino ||
	    st.st_size != st0->st_size || st.st_mtim.tv_sec != st0->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != st0->st_mtim.tv_nsec || st.st_ctim.tv_sec != st0->st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != st0->st_ctim.tv_nsec)
		return -1;
	free(ix->fid);
	ix->fid = malloc(sizeof *ix->fid);
	if (!ix->fid)
		return -1;
	*ix->fid = (struct index_file_id){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
	return 0;
}

void index_id_free(fs_index *ix)
{
	free(ix->fid);
	ix->fid = NULL;
}

int index_id_fd_same(const fs_index *ix, int fd)
{
	struct stat st;
	return ix->fid && fstat(fd, &st) == 0 && same_stat(ix->fid, &st);
}

int index_file_changed(fs_index *ix, char *why, size_t whylen)
{
	struct stat st;
	if (!ix->fid)
		return 0;
	if (stat(ix->path, &st) != 0) {
		snprintf(why, whylen, "removed");
		return INDEX_REPLACED;
	}
	if (st.st_dev != ix->fid->dev || st.st_ino != ix->fid->ino) {
		snprintf(why, whylen, "replaced by another file (rebuilt?)");
		return INDEX_REPLACED;
	}
	if (!same_stat(ix->fid, &st)) {
		snprintf(why, whylen, st.st_size < ix->fid->size ? "truncated" : "modified in place");
		return INDEX_MODIFIED;
	}
	return INDEX_SAME;
}

void index_read_unmapped(fs_index *ix)
{
	ix->unmapped = 1;
	sqlite3_exec(ix->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
}

int index_same_file(fs_index *a, fs_index *b)
{
	if (!a->fid || !b->fid || a->fid->dev != b->fid->dev || a->fid->ino != b->fid->ino ||
	    a->fid->size != b->fid->size || a->fid->mtime.tv_sec != b->fid->mtime.tv_sec ||
	    a->fid->mtime.tv_nsec != b->fid->mtime.tv_nsec || a->fid->ctime.tv_sec != b->fid->ctime.tv_sec ||
	    a->fid->ctime.tv_nsec != b->fid->ctime.tv_nsec)
		return 0;
	const char *ua = index_meta(a, "uuid"), *ub = index_meta(b, "uuid");
	if (!ua && !ub)
		return 1; /* an index without a uuid: the file's identity decides */
	return ua && ub && strcmp(ua, ub) == 0;
}
