/* placeholder */
#ifndef DH_AUTHZ_H
#define DH_AUTHZ_H
#endif
