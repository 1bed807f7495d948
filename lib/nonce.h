/* nonce.h - include/digestauth/nonce.h, for the project's own code.
 *
 * The declarations live in the public header only (one home each); lib/
 * and the programs include "nonce.h" as before and get them from there.
 */
#ifndef DH_NONCE_H
#define DH_NONCE_H

#include <digestauth/nonce.h>

#endif
