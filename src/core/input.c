/*
 * input.c: line reader over zlib's gzFile, which reads gzip and plain files
 * alike, keeping line numbers and positions for messages and progress.
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
};

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
	buf_reserve(&in->line, 4096);
	for (;;) {
		size_t room = in->line.cap - in->line.len;
		if (room < 2) {
			buf_reserve(&in->line, in->line.cap);
			room = in->line.cap - in->line.len;
		}
		char *dst = in->line.p + in->line.len;
		if (!gzgets(in->gz, dst, (int)(room > 1 << 30 ? 1 << 30 : room))) {
			int zerr;
			const char *msg = gzerror(in->gz, &zerr);
			if (zerr != Z_OK && zerr != Z_STREAM_END) {
				in->err = msg;
				return NULL;
			}
			in->eof = 1;
			if (in->line.len == 0)
				return NULL;
			break;
		}
		size_t got = strlen(dst);
		/* a NUL inside the line would make strlen stop early; treat the
		 * rest of that read as lost, which the JSON parser then rejects */
		in->line.len += got;
		if (in->line.len && in->line.p[in->line.len - 1] == '\n') {
			in->line.len--;
			break;
		}
		if (gzeof(in->gz)) {
			in->eof = 1;
			break;
		}
	}
	if (in->line.len && in->line.p[in->line.len - 1] == '\r')
		in->line.len--;
	in->line.p[in->line.len] = 0;
	in->lineno++;
	*len = in->line.len;
	return in->line.p;
}

int64_t input_lineno(const fs_input *in) { return in->lineno; }
int64_t input_pos(const fs_input *in) { return (int64_t)gzoffset(in->gz); }
int64_t input_size(const fs_input *in) { return in->size; }
const char *input_error(const fs_input *in) { return in->err; }
const char *input_path(const fs_input *in) { return in->path; }

void input_close(fs_input *in)
{
	if (!in)
		return;
	gzclose(in->gz);
	free(in->path);
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
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fs_buf b = {0};
	char tmp[1 << 16];
	int n;
	while ((n = gzread(gz, tmp, sizeof tmp)) > 0)
		buf_add(&b, tmp, (size_t)n);
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
