/*
 * privilege.h: giving up root once the socket is bound (--user).
 */
#ifndef UDPECHO_SERVER_PRIVILEGE_H
#define UDPECHO_SERVER_PRIVILEGE_H

#include <stddef.h>

/*
 * Become user NAME: its primary group only, then its uid, for real,
 * effective and saved ids; then prove root cannot be regained.  Returns 0,
 * or -1 with a one-line reason in err.  The caller must not go on serving
 * after a failure.
 */
int privilege_drop(const char *name, char *err, size_t errlen);

#endif
