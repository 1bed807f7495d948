/* lib/nonce.c - placeholder, being written. */
#include "config.h"
typedef int dh_placeholder_nonce;
