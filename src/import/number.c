/*
 * number.c: range checks of the importers' numbers (see number.h).
 */
#include <math.h>

#include "core/number.h"
#include "import/number.h"

int imp_fcheck(imp_state *st, const char *file, long line, const char *field, double d)
{
	const char *why;
	if (isnan(d) || number_to_float(d, NULL, &why) == 0)
		return 0;
	return imp_bad(st, file, line, field, "%g is %s", d, why);
}

int imp_fcheckv(imp_state *st, const char *file, long line, const char *field,
		const double *v, size_t n)
{
	const char *why;
	for (size_t i = 0; i < n; i++)
		if (number_to_float(v[i], NULL, &why) != 0)
			return imp_bad(st, file, line, field, "element %zu: %g is %s", i, v[i], why);
	return 0;
}
