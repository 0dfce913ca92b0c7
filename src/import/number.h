/*
 * number.h: the importers' checks of numbers read from foreign files
 * before they become 32-bit floats in the index (core/number.h holds the
 * conversion rule). A value beyond the float range, or an infinity or NaN
 * spelled out in a file, is bad input with FILE:LINE: FIELD, never a
 * silent +-inf or 0.
 */
#ifndef FS_IMPORT_NUMBER_H
#define FS_IMPORT_NUMBER_H

#include <stddef.h>

#include "import/import_int.h"

/* 0 when d is NaN (the toolkit's "absent") or fits a float; otherwise an
 * imp_bad message ("FIELD: 1e+39 is out of range for a 32-bit float") and
 * -1. */
int imp_fcheck(imp_state *st, const char *file, long line, const char *field, double d);

/* Every one of n values must fit a float (NaN included as an error):
 * 0, or -1 with a message naming the element. */
int imp_fcheckv(imp_state *st, const char *file, long line, const char *field,
		const double *v, size_t n);

#endif
