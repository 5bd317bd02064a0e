/* lock.c: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "wake.h"

int lock_open(int lockdir, const char *stage)
{
	int fd = openat(lockdir, stage, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0660);
	if (fd < 0)
		die_sys(exit_code_for_errno(errno), "unable to open lock/%s", stage);
	return fd;
}

static long holder_of(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void mark(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	/* The pid is a courtesy for waiters; failing to write it is harmless. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn_sys("unable to record my pid in the lock file");
}

int lock_try(int fd, long *holder)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		mark(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK)
		die_sys(EXIT_TEMP, "unable to lock");
	*holder = holder_of(fd);
	return 1;
}

int lock_take(int fd, const char *stage)
{
	long holder;
	if (lock_try(fd, &holder) == 0)
		return 0;
	if (holder > 0)
		log_info("waiting for lock/%s, held by pid %ld", stage, holder);
	else
		log_info("waiting for lock/%s", stage);
	for (;;) {
		if (flock(fd, LOCK_EX) == 0) {
			mark(fd);
			return 0;
		}
		if (errno != EINTR)
			die_sys(EXIT_TEMP, "unable to lock lock/%s", stage);
		if (wake_stopping())
			return -1;
	}
}

void lock_release(int fd)
{
	if (flock(fd, LOCK_UN) < 0)
		die_sys(EXIT_TEMP, "unable to unlock");
}
