/*
 * number.h: the one checked conversion of a number read from input (a
 * double from JSON or text) to the 32-bit float the index stores. A value
 * that is not finite, or that is finite as a double but beyond FLT_MAX
 * (1e39, 3.5e38, 1e308), is refused with a reason instead of becoming
 * +-inf in the index (the builder's histogram loop once spun forever on
 * one).
 */
#ifndef FS_NUMBER_H
#define FS_NUMBER_H

/* d as a float in *out: 0, or -1 with *why (when not NULL) set to a static
 * reason ("not a finite number", "does not fit a 32-bit float"). A finite
 * value too small for a float becomes 0 or a subnormal, which is fine. */
int number_to_float(double d, float *out, const char **why);

/* True when d converts (number_to_float would return 0). */
int number_float_ok(double d);

#endif
