/* Unit tests for common/lock.c and common/wake.c. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "tap.h"
#include "wake.h"

static char top[] = "/tmp/mcspool-lock-XXXXXX";

int main(void)
{
	plan(12);
	if (mkdtemp(top) == NULL)
		return 2;
	int dir = open(top, O_RDONLY | O_DIRECTORY);

	/* Lock: a holder in another process is seen, with its pid. */
	int go[2], held[2];
	if (pipe(go) < 0 || pipe(held) < 0)
		return 2;
	pid_t child = fork();
	if (child == 0) {
		int fd = lock_open(dir, "split");
		long h;
		char c = lock_try(fd, &h) == 0 ? 'y' : 'n';
		if (write(held[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	char c = 0;
	ok(read(held[0], &c, 1) == 1 && c == 'y', "the first process takes the lock");
	int fd = lock_open(dir, "split");
	long holder = 0;
	is_int(lock_try(fd, &holder), 1, "a second process finds it busy");
	is_int(holder, child, "... and knows the holder's pid");
	if (write(go[1], "x", 1) != 1)
		return 2;
	waitpid(child, NULL, 0);
	is_int(lock_try(fd, &holder), 0, "free once the holder is gone");
	lock_release(fd);

	/* Wake-ups. */
	wake_signals();
	wake_listen(dir, "split");
	is_int(wake_wait(0), WAKE_TIMEOUT, "nothing pending: time-out");
	trigger_pull(dir, "split");
	is_int(wake_wait(10), WAKE_TRIGGER, "a producer's poke wakes the consumer");
	is_int(wake_wait(0), WAKE_TIMEOUT, "the poke is consumed");
	raise(SIGALRM);
	is_int(wake_wait(10), WAKE_ALARM, "SIGALRM asks for a rescan");
	ok(wake_take_alarm() == 1 && wake_take_alarm() == 0, "the rescan request is taken once");
	trigger_pull(dir, "nobody"); /* no FIFO: must not fail or block */
	ok(1, "pulling a trigger nobody listens to is harmless");

	/* SIGTERM: the loop sees it; a busy process is ended within 2 s. */
	child = fork();
	if (child == 0) {
		wake_signals();
		raise(SIGTERM);
		if (wake_wait(10) != WAKE_STOP)
			_exit(3);
		for (;;) /* busy, never looking at the stop flag */
			;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	waitpid(child, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after SIGTERM a busy stage still exits 0");
	ok(secs < 5.0, "... within the grace period (took %.1f s)", secs);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done();
}
