/* digestauth/export.h - which declarations libdigestauth exports.
 *
 * The library is built with -fvisibility=hidden and a version script
 * (lib/libdigestauth.map), so only functions marked DIGESTAUTH_API are
 * visible to programs that link it; everything else in lib/ stays private
 * to the project's own programs, which link the internal archive.
 */
#ifndef DIGESTAUTH_EXPORT_H
#define DIGESTAUTH_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define DIGESTAUTH_API __attribute__((visibility("default")))
#else
#define DIGESTAUTH_API
#endif

#endif
