/* digest.h - the Digest hashing of include/digestauth/digest.h, for the
 * project's own code.
 *
 * The declarations live in the public header only (one home each); lib/
 * and the programs include "digest.h" as before and get them from there.
 */
#ifndef DH_DIGEST_H
#define DH_DIGEST_H

#include <digestauth/digest.h>

#endif
