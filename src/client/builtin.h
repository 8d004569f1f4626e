/*
 * builtin.h: the built-in server of `udpecho check` and `udpecho fuzz`.
 */
#ifndef UDPECHO_CLIENT_BUILTIN_H
#define UDPECHO_CLIENT_BUILTIN_H

#include <sys/types.h>

#include "udpecho/net.h"

/*
 * Binds the built-in server on an ephemeral loopback port of family's
 * (127.0.0.1, or ::1 for NET_ONLY_V6), forks it, and says where it is.
 * It dies with the process that started it.  0 or -errno.
 */
int builtin_start(enum net_family_pref family, struct net_addr *target, pid_t *pid);

/* Stops it (SIGTERM) and waits for it; pid 0: nothing to stop. */
void builtin_stop(pid_t pid);

#endif
