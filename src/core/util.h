/*
 * util.h: small pure helpers used everywhere: allocation that dies on
 * failure, error reporting with the program name, growable byte buffers,
 * varints, half-float conversion, UTF-8 helpers and a monotonic clock.
 * Nothing here touches SQLite, curses or files other than stderr.
 */
#ifndef FS_UTIL_H
#define FS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Exit codes used by every subcommand. */
enum { FS_EXIT_OK = 0, FS_EXIT_ERR = 1, FS_EXIT_USAGE = 2 };

#if defined(__GNUC__)
#define FS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define FS_NORETURN __attribute__((noreturn))
#else
#define FS_PRINTF(a, b)
#define FS_NORETURN
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) FS_PRINTF(1, 2);

/* "featscope: <message>\n" on stderr. */
void fs_warn(const char *fmt, ...) FS_PRINTF(1, 2);
/* fs_warn, then exit(code). */
FS_NORETURN void fs_die(int code, const char *fmt, ...) FS_PRINTF(2, 3);
/* snprintf into a caller's error buffer (may be NULL); always returns -1. */
int fs_seterr(char *err, size_t errlen, const char *fmt, ...) FS_PRINTF(3, 4);

/* Growable byte buffer. */
typedef struct {
	char *p;    /* bytes, always NUL-terminated when len < cap */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
} fs_buf;
void buf_reserve(fs_buf *b, size_t extra);
void buf_add(fs_buf *b, const void *p, size_t n);
void buf_addc(fs_buf *b, char c);
void buf_adds(fs_buf *b, const char *s);
void buf_printf(fs_buf *b, const char *fmt, ...) FS_PRINTF(2, 3);
void buf_free(fs_buf *b);

/* The whole file at path into memory (malloc'd, a NUL after its *len
 * bytes); NULL and a one-line "PATH: why" in err when it cannot be
 * opened or read, is a directory, or holds more than maxbytes bytes
 * ("PATH: larger than N MiB", or N bytes). The limit is checked as it
 * reads, whatever the file's stated size. Plain files only (core/input.h's
 * input_slurp reads gzip and records). */
char *fs_read_file(const char *path, size_t maxbytes, size_t *len, char *err, size_t errlen);

/* LEB128-style unsigned varints. get returns bytes consumed, 0 on a
 * truncated or over-long input. */
size_t varint_put(uint8_t *out, uint64_t v);
size_t varint_get(const uint8_t *p, size_t n, uint64_t *v);

/* IEEE half and bfloat16 to and from float. */
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
int utf8_len(const unsigned char *p, size_t n);
/* 1 when p[0, n) is all valid UTF-8 (RFC 3629: no overlongs, surrogates or
 * code points above U+10FFFF), with an ASCII fast path; the one check of
 * whole texts (the probe's PCRE2_NO_UTF_CHECK, the live commands' input). */
int utf8_valid(const unsigned char *p, size_t n);
/* Decode one valid sequence (call utf8_len first). */
uint32_t utf8_decode(const unsigned char *p, int len);
/* Encode a code point; returns bytes written (1..4). */
int utf8_encode(uint32_t cp, char *out);

/* Seconds from a monotonic clock. */
double fs_now(void);

/* True when fd 2 is a terminal (progress output is shown only then). */
int fs_stderr_tty(void);

/* Parse a whole decimal integer; returns 0 on success. */
int fs_parse_i64(const char *s, int64_t *out);

/* ---- rel ---- */
/* Make text quoted from untrusted input (a JSON parser's "near '...'")
 * safe inside a one-line message: every control byte, DEL and non-ASCII
 * byte becomes '?'. Returns s, changed in place. */
char *fs_msg_clean(char *s);

#endif
