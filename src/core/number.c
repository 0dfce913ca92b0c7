/*
 * number.c: checked double-to-float conversion for everything the builder
 * and the importers read (see number.h).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "core/number.h"

int number_to_float(double d, float *out, const char **why)
{
	if (isnan(d) || isinf(d)) {
		if (why)
			*why = "not a finite number";
		return -1;
	}
	/* compared as doubles, before any conversion (converting a value
	 * beyond the float range is undefined behaviour in C) */
	if (fabs(d) > (double)FLT_MAX) {
		if (why)
			*why = "out of range for a 32-bit float (beyond 3.4e38)";
		return -1;
	}
	if (out)
		*out = (float)d;
	return 0;
}

int number_float_ok(double d)
{
	return number_to_float(d, NULL, NULL) == 0;
}
