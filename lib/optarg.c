/* optarg.c - reading option values (see optarg.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "optarg.h"

int
optarg_int(const char *arg, int min, int max, int *v_r)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return -1;
	*v_r = (int)v;
	return 0;
}
