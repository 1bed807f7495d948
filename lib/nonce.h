/* placeholder */
#ifndef DH_NONCE_H
#define DH_NONCE_H
#endif
