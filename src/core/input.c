/*
 * input.c: line reader over zlib's gzFile, which reads gzip and plain files
 * alike, keeping line numbers and positions for messages and progress, and
 * holding every record under the record cap.
 */
#include "core/input.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct fs_input {
	gzFile gz;       /* the open file */
	char *path;      /* as given, for messages */
	fs_buf line;     /* current line */
	int64_t lineno;  /* lines returned so far */
	int64_t size;    /* file size in bytes, 0 when unknown */
	const char *err; /* error text, or NULL */
	int eof;         /* reached end of file */
	char *rb;        /* read buffer (gzread) */
	size_t rpos, rlen; /* unread bytes are rb[rpos..rlen) */
	char bad[600];   /* the message of a record over the cap, "" none */
};

#define INPUT_RB (1 << 17) /* bytes per gzread */

static size_t input_cap = FS_INPUT_MAX_RECORD;

void input_set_max_record(size_t bytes)
{
	input_cap = bytes ? bytes : FS_INPUT_MAX_RECORD;
}

size_t input_max_record(void) { return input_cap; }

/* The cap's message: its size, in MiB when round. */
static void cap_text(char *out, size_t outlen)
{
	if (input_cap % ((size_t)1 << 20) == 0)
		snprintf(out, outlen, "%zu MiB", input_cap >> 20);
	else
		snprintf(out, outlen, "%zu bytes", input_cap);
}

fs_input *input_open(const char *path, char *err, size_t errlen)
{
	gzFile gz;
	int64_t size = 0;
	if (strcmp(path, "-") == 0) {
		gz = gzdopen(dup(0), "rb");
	} else {
		struct stat st;
		if (stat(path, &st) != 0) {
			fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (S_ISDIR(st.st_mode)) {
			fs_seterr(err, errlen, "%s: is a directory", path);
			return NULL;
		}
		size = st.st_size;
		gz = gzopen(path, "rb");
	}
	if (!gz) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOMEM));
		return NULL;
	}
	gzbuffer(gz, 1 << 17);
	fs_input *in = xcalloc(1, sizeof *in);
	in->gz = gz;
	in->path = xstrdup(path);
	in->size = size;
	return in;
}

const char *input_line(fs_input *in, size_t *len)
{
	if (in->eof || in->err)
		return NULL;
	in->line.len = 0;
	if (!in->rb)
		in->rb = xmalloc(INPUT_RB);
	int any = 0;
	for (;;) {
		if (in->rpos == in->rlen) {
			int n = gzread(in->gz, in->rb, INPUT_RB);
			int zerr = Z_OK;
			const char *msg = n <= 0 ? gzerror(in->gz, &zerr) : NULL;
			if (n < 0 || (n == 0 && zerr != Z_OK && zerr != Z_STREAM_END)) {
				in->err = msg ? msg : "read error";
				return NULL;
			}
			if (n == 0) {
				in->eof = 1;
				if (!any)
					return NULL;
				break;
			}
			in->rpos = 0;
			in->rlen = (size_t)n;
		}
		any = 1;
		const char *s = in->rb + in->rpos;
		size_t avail = in->rlen - in->rpos;
		const char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;
		/* checked before the line's buffer grows: a 2 GB line or a gzip
		 * bomb stops here, at the cap, not when memory runs out */
		if (take > input_cap - in->line.len) {
			char c[32];
			cap_text(c, sizeof c);
			snprintf(in->bad, sizeof in->bad,
				 "%s:%lld: record: longer than %s (--max-record-bytes sets the limit)", in->path,
				 (long long)in->lineno + 1, c);
			in->err = in->bad;
			return NULL;
		}
		buf_add(&in->line, s, take);
		in->rpos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (in->line.len && in->line.p[in->line.len - 1] == '\r')
		in->line.len--;
	buf_reserve(&in->line, 1);
	in->line.p[in->line.len] = 0;
	in->lineno++;
	*len = in->line.len;
	return in->line.p;
}

int64_t input_lineno(const fs_input *in) { return in->lineno; }
int64_t input_pos(const fs_input *in) { return (int64_t)gzoffset(in->gz); }
int64_t input_size(const fs_input *in) { return in->size; }
const char *input_error(const fs_input *in) { return in->err; }
const char *input_bad(const fs_input *in) { return in->bad[0] ? in->bad : NULL; }
const char *input_path(const fs_input *in) { return in->path; }

void input_close(fs_input *in)
{
	if (!in)
		return;
	gzclose(in->gz);
	free(in->path);
	free(in->rb);
	buf_free(&in->line);
	free(in);
}

char *input_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		fs_seterr(err, errlen, "%s: is a directory", path);
		return NULL;
	}
	char c[32];
	cap_text(c, sizeof c);
	if ((uint64_t)st.st_size > input_cap) {
		fs_seterr(err, errlen, "%s: record: the file is larger than %s (--max-record-bytes sets the limit)",
			  path, c);
		return NULL;
	}
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fs_buf b = {0};
	char tmp[1 << 16];
	int n;
	while ((n = gzread(gz, tmp, sizeof tmp)) > 0) {
		if ((size_t)n > input_cap - b.len) {
			fs_seterr(err, errlen, "%s: record: expands past %s (--max-record-bytes sets the limit)", path, c);
			gzclose(gz);
			buf_free(&b);
			return NULL;
		}
		buf_add(&b, tmp, (size_t)n);
	}
	int zerr;
	const char *msg = gzerror(gz, &zerr);
	if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
		fs_seterr(err, errlen, "%s: read error: %s", path, msg);
		gzclose(gz);
		buf_free(&b);
		return NULL;
	}
	gzclose(gz);
	buf_reserve(&b, 0);
	*len = b.len;
	return b.p;
}
