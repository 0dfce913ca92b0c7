/* index.c: the index (placeholder: being written now). */
#include "index.h"
