/* digestauth/digestauth.h - libdigestauth, HTTP Digest authentication
 * (RFC 7616, RFC 2617) as the digest-helpers use it.
 *
 *   digest.h  the hashes: HA1, session HA1, response, userhash, hex helpers
 *   authz.h   reading Authorization headers, writing WWW-Authenticate
 *   nonce.h   stateless HMAC nonces and the nonce-count tracker
 *
 * Include this one header; link with `pkg-config --libs digestauth`.
 * digestauth(3) is the overview, one page per header follows it.
 */
#ifndef DIGESTAUTH_H
#define DIGESTAUTH_H

#include "digest.h"
#include "authz.h"
#include "nonce.h"

#endif
