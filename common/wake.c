/* wake.c: see wake.h. */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t alarm_requested;
static int selfpipe[2] = { -1, -1 };
static int fifo_rd = -1, fifo_wr = -1;
static timer_t deadline;
static int have_deadline;

#define STOP_GRACE_SECONDS 2

static void poke_self(void)
{
	int e = errno;
	if (selfpipe[1] >= 0) {
		ssize_t w = write(selfpipe[1], "x", 1);
		(void)w; /* a full pipe already wakes the loop */
	}
	errno = e;
}

static void on_stop(int sig)
{
	(void)sig;
	if (stop_requested && sig == SIGINT)
		_exit(0);
	stop_requested = 1;
	if (have_deadline) {
		struct itimerspec its;
		memset(&its, 0, sizeof its);
		its.it_value.tv_sec = STOP_GRACE_SECONDS;
		timer_settime(deadline, 0, &its, NULL);
	}
	poke_self();
}

static void on_deadline(int sig)
{
	(void)sig;
	static const char msg[] = ": warning: still busy 2 s after SIGTERM; exiting now "
				  "(nothing half-written is visible)\n";
	const char *p = log_prog();
	ssize_t w = write(2, p, strlen(p));
	w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(0);
}

static void on_alarm(int sig)
{
	(void)sig;
	alarm_requested = 1;
	poke_self();
}

static void handle(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocking call returns EINTR and we look at the flags */
	if (sigaction(sig, &sa, NULL) < 0)
		die_sys(EXIT_TEMP, "unable to install a signal handler");
}

void wake_signals(void)
{
	if (selfpipe[0] < 0) {
		if (pipe(selfpipe) < 0)
			die_sys(EXIT_TEMP, "unable to create the self-pipe");
		for (int i = 0; i < 2; i++) {
			int fl = fcntl(selfpipe[i], F_GETFL);
			if (fl < 0 || fcntl(selfpipe[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
			    fcntl(selfpipe[i], F_SETFD, FD_CLOEXEC) < 0)
				die_sys(EXIT_TEMP, "unable to set up the self-pipe");
		}
	}
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR2;
	handle(SIGUSR2, on_deadline);
	if (timer_create(CLOCK_MONOTONIC, &sev, &deadline) == 0)
		have_deadline = 1;
	else
		log_warn_sys("unable to create the stop timer; SIGTERM waits for the current step");
	handle(SIGTERM, on_stop);
	handle(SIGINT, on_stop);
	handle(SIGALRM, on_alarm);
	handle(SIGHUP, on_alarm);
	signal(SIGPIPE, SIG_IGN);
}

void wake_listen(int lockdir, const char *stage)
{
	char name[64];
	snprintf(name, sizeof name, "%s.trigger", stage);
	if (mkfifoat(lockdir, name, 0622) < 0 && errno != EEXIST)
		die_sys(exit_code_for_errno(errno), "unable to create lock/%s", name);
	struct stat st;
	if (fstatat(lockdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die_sys(EXIT_TEMP, "unable to stat lock/%s", name);
	if (!S_ISFIFO(st.st_mode))
		die(EXIT_PERM, "lock/%s is not a FIFO: remove it and restart", name);
	fifo_rd = openat(lockdir, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo_rd < 0)
		die_sys(exit_code_for_errno(errno), "unable to open lock/%s", name);
	/* Our own write end keeps the FIFO from reporting EOF (and waking us
	 * in a loop) after a producer closes its end. */
	fifo_wr = openat(lockdir, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo_wr < 0)
		die_sys(EXIT_TEMP, "unable to open lock/%s for writing", name);
}

static void drain(int fd)
{
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

int wake_wait(int seconds)
{
	if (stop_requested)
		return WAKE_STOP;
	if (alarm_requested)
		return WAKE_ALARM;
	struct pollfd p[2];
	int n = 0;
	p[n].fd = selfpipe[0];
	p[n++].events = POLLIN;
	if (fifo_rd >= 0) {
		p[n].fd = fifo_rd;
		p[n++].events = POLLIN;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long elapsed = (now.tv_sec - start.tv_sec) * 1000LL +
				    (now.tv_nsec - start.tv_nsec) / 1000000;
		long long left = seconds * 1000LL - elapsed;
		if (left <= 0)
			return WAKE_TIMEOUT;
		int r = poll(p, (nfds_t)n, left > 3600000 ? 3600000 : (int)left);
		if (r < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "poll");
		if (r > 0 && (p[0].revents & POLLIN))
			drain(selfpipe[0]);
		if (stop_requested)
			return WAKE_STOP;
		if (alarm_requested)
			return WAKE_ALARM;
		if (r > 0 && n > 1 && (p[1].revents & POLLIN)) {
			drain(fifo_rd);
			return WAKE_TRIGGER;
		}
	}
}

int wake_stopping(void) { return stop_requested; }

int wake_take_alarm(void)
{
	int a = alarm_requested;
	alarm_requested = 0;
	return a;
}

void trigger_pull(int lockdir, const char *stage)
{
	char name[64];
	snprintf(name, sizeof name, "%s.trigger", stage);
	int fd = openat(lockdir, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return; /* nobody listening (ENXIO) or no FIFO yet: the rescan finds the file */
	ssize_t w = write(fd, "", 1);
	(void)w; /* a full FIFO already means "wake up" */
	close(fd);
}
