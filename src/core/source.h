/*
 * source.h: finding a context's source document on this machine, so the
 * text around a context can be read where it came from. A context's source
 * is a string the pipeline stored; three forms are understood:
 *   FILE:LINE      (`featscope harvest` writes it): the text file, plain or
 *                  .gz, absolute or relative to the index's folder or the
 *                  current directory;
 *   PACKAGE:PATH   (the demo's harvest writes it): the document of that
 *                  name in a corpus folder (manifest.tsv with heldout.txt
 *                  and train.txt, as model/corpus.sh makes it), looked for
 *                  in $FEATSCOPE_CORPUS and then in ../model/work beside
 *                  the index; else PATH itself when the Debian package is
 *                  installed;
 *   FILE           a file as above.
 * A trailing "#N" names a part of a file (the demo corpus cuts files into
 * documents PATH#0, PATH#1, ...): kept to find the corpus's document,
 * dropped to read the file itself.
 * The context is then located in the document by its text (from LINE when
 * there is one), so the place is exact even when offsets were not kept.
 */
#ifndef FS_SOURCE_H
#define FS_SOURCE_H

#include <stddef.h>

/* A context's source document as found. */
typedef struct {
	char *text;    /* the document's bytes (malloc'd, NUL-terminated) */
	size_t len;    /* its length */
	size_t at;     /* the context's first byte in text (its line's start when not found) */
	size_t n;      /* the context's length in text; 0 when its text was not found */
	int line;      /* 1-based line of `at` */
	char *where;   /* what was read: "FILE" or "corpus DIR, document bytes A-B of heldout.txt" */
} fs_source_doc;

/* Find the document of source for a context whose text is ctx[0..ctxlen)
 * in the index at index_path; 0 and *out on success, -1 and a one-line
 * message in err (naming every place looked in) when it is not here. */
int source_find(const char *source, const char *index_path, const char *ctx, size_t ctxlen,
		fs_source_doc *out, char *err, size_t errlen);
void source_doc_free(fs_source_doc *d);

#endif
