/* stage.c: see stage.h. */
#include "stage.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "status.h"
#include "version.h"
#include "wake.h"

static void usage(const struct stage *s, FILE *f)
{
	fprintf(f,
		"usage: %s [-c FILE] [--once] [--notify-fd N] [-h] [-V]\n"
		"%s\n"
		"  -c FILE        config file (default $MCSPOOL_CONF or " CONFIG_DEFAULT_PATH ")\n"
		"  --once         do the work available now, then exit\n"
		"  --notify-fd N  write a newline to fd N once ready (s6 notification-fd)\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"exit: 0 done, 100 permanent error (usage, config, permission), 111 temporary error\n",
		s->prog, s->summary);
}

static int allow_root(void)
{
	const char *v = getenv("MCSPOOL_ALLOW_ROOT");
	return v != NULL && strcmp(v, "1") == 0;
}

/* The suggested user of each stage (etc/runit, etc/s6, the Debian package). */
static const char *stage_user(const char *name)
{
	static const char *const users[][2] = {
		{ "fetch", "mcfetch" }, { "split", "mcsplit" }, { "move", "mcmove" }, { "reap", "mcreap" },
	};
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
		if (strcmp(users[i][0], name) == 0)
			return users[i][1];
	return "its own user";
}

static void notify_ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "\n", 1) != 1)
		log_warn_sys("unable to write the readiness notification to fd %d", fd);
	close(fd);
}

int stage_main(const struct stage *s, int argc, char **argv)
{
	log_init(s->prog);
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "notify-fd", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL;
	int once = 0, notify_fd = -1, c;
	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 3 || v > 1024)
				die(EXIT_PERM, "--notify-fd: '%s' is not a descriptor number (3 to 1024)", optarg);
			notify_fd = (int)v;
			break;
		}
		case 'h':
			usage(s, stdout);
			return EXIT_DONE;
		case 'V':
			printf("%s %s\n", s->prog, MCSPOOL_VERSION);
			return EXIT_DONE;
		default:
			usage(s, stderr);
			return EXIT_PERM;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		usage(s, stderr);
		return EXIT_PERM;
	}

	/* Least privilege: each stage runs as its own user (DESIGN.md section
	 * 7). MCSPOOL_ALLOW_ROOT=1 overrides, for test machines and demos
	 * where everything runs as root; never set it in a service. */
	if (geteuid() == 0 && !allow_root())
		die(EXIT_PERM, "refusing to run as root: run me as my own user (chpst -u %s, "
			       "s6-setuidgid %s), or set MCSPOOL_ALLOW_ROOT=1 to override",
		    stage_user(s->name), stage_user(s->name));

	/* Static: the config lives until exit, and LeakSanitizer (make check
	 * SAN=1) must not see it as a leak when main returns. */
	static struct stage_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.once = once;
	ctx.cfg = config_load(config_path(conf), s->config_flags);
	layout_open(&ctx.dirs, ctx.cfg->data_dir, s->name);
	status_open(ctx.dirs.status, s->name);
	int lockfd = lock_open(ctx.dirs.lock, s->name);
	wake_signals();
	if (!once)
		wake_listen(ctx.dirs.lock, s->name);
	if (s->init != NULL)
		s->init(&ctx);
	if (s->sandbox != NULL)
		s->sandbox(&ctx);
	notify_ready(notify_fd);

	for (;;) {
		if (lock_take(lockfd, s->name) < 0)
			return EXIT_DONE;
		wake_take_alarm();
		int r;
		do
			r = s->pass(&ctx);
		while (r == STAGE_MORE && !wake_stopping());
		if (r == STAGE_IDLE)
			status_pass_done();
		lock_release(lockfd);
		if (once || wake_stopping())
			return EXIT_DONE;
		long secs = s->interval != NULL ? s->interval(&ctx) : 300;
		if (wake_wait((int)secs) == WAKE_STOP)
			return EXIT_DONE;
	}
}
