/*
 * privilege.c: the privilege drop behind --user.
 *
 * Order matters: supplementary groups and the group first (only root may
 * change them), the user last.  setresuid sets real, effective and saved
 * ids at once, so no id is left behind to climb back with.
 */
#include "privilege.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *name, const char *what, int e)
{
	snprintf(err, errlen, "--user %s: %s: %s", name, what, strerror(e));
	return -1;
}

int privilege_drop(const char *name, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		snprintf(err, errlen, "--user %s: no such user", name);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) != 0 && errno != EPERM)
		return fail(err, errlen, name, "setgroups", errno);
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		return fail(err, errlen, name, "setresgid", errno);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return fail(err, errlen, name, "setresuid", errno);
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0)
		return fail(err, errlen, name, "reading ids back", errno);
	if (ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid || rgid != pw->pw_gid ||
	    egid != pw->pw_gid || sgid != pw->pw_gid) {
		snprintf(err, errlen, "--user %s: ids did not change", name);
		return -1;
	}
	/* The proof: a process that dropped root for good cannot take it back. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "--user %s: root could be regained; refusing to run", name);
		return -1;
	}
	return 0;
}
