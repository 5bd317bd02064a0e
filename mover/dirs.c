/* dirs.c: opening configured directories with errors that say what to
 * check (shared with mcspool-reap). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "move.h"

int move_open_dir(const char *key, const char *path, int writable)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			die(EXIT_PERM, "%s %s does not exist: create it (mcspool-setup does), "
				       "or correct %s in the config", key, path, key);
		if (e == ENOTDIR || e == ELOOP)
			die(EXIT_PERM, "%s %s is not a directory (a symlink is refused: "
				       "give the real path)", key, path);
		if (e == EACCES)
			die(EXIT_PERM, "%s %s: permission denied (this user, uid %ld, needs "
				       "search and read permission on it and its parents)",
			    key, path, (long)geteuid());
		errno = e;
		die_sys(exit_code_for_errno(e), "unable to open %s %s", key, path);
	}
	int mode = writable ? R_OK | W_OK | X_OK : R_OK | X_OK;
	if (faccessat(fd, ".", mode, AT_EACCESS) < 0)
		die(EXIT_PERM, "%s %s is not %s by this user (uid %ld): check its owner, "
			       "group and mode (and a read-only mount)",
		    key, path, writable ? "writable" : "readable", (long)geteuid());
	return fd;
}
