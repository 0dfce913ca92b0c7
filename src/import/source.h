/*
 * source.h: finding a context's source document on this machine, so the
 * text around a context can be read where it came from. A context's source
 * is a string the pipeline stored; three forms are understood:
 *   FILE:LINE      (`featscope harvest` writes it): the text file, plain or
 *                  .gz, absolute or relative to the index's folder or the
 *                  current directory, read only when it lies in the
 *                  index's folder, a corpus folder the user named
 *                  (--corpus, $FEATSCOPE_CORPUS) or below one of them,
 *                  links resolved (an index is untrusted: its sources
 *                  must not name any other file of the machine);
 *   PACKAGE:PATH   (the demo's harvest writes it): the document of that
 *                  name in a corpus folder (manifest.tsv with heldout.txt
 *                  and train.txt, as model/corpus.sh makes it), looked for
 *                  in --corpus, $FEATSCOPE_CORPUS and then in
 *                  ../model/work beside the index; else PATH itself when
 *                  it lies in those folders as above;
 *   FILE           a file as above.
 * A trailing "#N" names a part of a file (the demo corpus cuts files into
 * documents PATH#0, PATH#1, ...): kept to find the corpus's document,
 * dropped to read the file itself.
 * The context is then located in the document by its text (from LINE when
 * there is one), so the place is exact even when offsets were not kept;
 * a document that does not hold the context's text is not shown at all.
 * A corpus manifest is untrusted too: a document's offset and size are
 * checked against its file's real size before anything is allocated.
 */
#ifndef FS_SOURCE_H
#define FS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* The largest document a manifest may name (bytes). */
#define SOURCE_MAX_BYTES ((uint64_t)1 << 30)

/* A context's source document as found. */
typedef struct {
	char *text;    /* the document's bytes (malloc'd, NUL-terminated) */
	size_t len;    /* its length */
	size_t at;     /* the context's first byte in text */
	size_t n;      /* the context's length in text */
	int line;      /* 1-based line of `at` */
	char *where;   /* what was read: "FILE" or "corpus DIR, document bytes A-B of heldout.txt" */
} fs_source_doc;

/* Find the document of source for a context whose text is ctx[0..ctxlen)
 * in the index at index_path (corpus: a corpus folder named on the command
 * line, or NULL); 0 and *out on success (the context found in it), -1 and
 * a one-line message in err (naming every place looked in) when it is not
 * here, cannot be read or does not hold the context, -2 on bad input
 * (the source names a file outside the folders a source may be read from,
 * nothing read; a corpus manifest's row is bad). */
int source_find(const char *source, const char *index_path, const char *corpus, const char *ctx, size_t ctxlen,
		fs_source_doc *out, char *err, size_t errlen);
/* One line ln[0..n) of a corpus manifest (doc, group, package, path,
 * split, offset, bytes, ...): 1 when it is the row of document pkg:path,
 * with split (a lowercase name), *off and *bytes (decimal, at most
 * SOURCE_MAX_BYTES) checked; 0 when it is another document's row (or the
 * header); -1 when it is this document's but a field is bad (err names
 * the field). */
int source_manifest_line(const char *ln, size_t n, const char *pkg, const char *path, char split[32],
			 uint64_t *off, uint64_t *bytes, char *err, size_t errlen);
void source_doc_free(fs_source_doc *d);

#endif
