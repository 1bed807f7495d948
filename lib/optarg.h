/* optarg.h - reading option values. */
#ifndef DH_OPTARG_H
#define DH_OPTARG_H

/* A whole decimal number from min to max: 0 and *v_r set, or -1. */
int optarg_int(const char *arg, int min, int max, int *v_r);

#endif
