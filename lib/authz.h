/* authz.h - include/digestauth/authz.h, for the project's own code.
 *
 * The declarations live in the public header only (one home each); lib/
 * and the programs include "authz.h" as before and get them from there.
 */
#ifndef DH_AUTHZ_H
#define DH_AUTHZ_H

#include <digestauth/authz.h>

#endif
