/* sandboxed: enter a stage's sandbox, then try one thing and say how it went.
 *
 *   sandboxed MODE PROFILE DATA_DIR [-w DIR]... [-r PATH]... [-p PORT]... [-u URL]... ACTION [ARG...]
 *
 * MODE is off, on or require (the config key sandbox). PROFILE is split,
 * move, reap or fetch: the spec is built the way that stage's sandbox hook
 * builds it (doc/sandbox.md), after the same set-up (data_dir layout, stage
 * lock, trigger FIFO). -w adds a directory the stage writes (the mover's
 * read_path, archive_dir and staging directories; the reaper's archive_dir
 * and log directories), -r a path it only reads (the consumer's state dir,
 * a CA file), -p a TCP port the fetcher may connect to, -u a URL whose port
 * it may connect to (base_url, proxy).
 *
 * Actions (paths absolute):
 *   socket [inet|inet6|unix|netlink]   socketpair        connect PORT     bind PORT
 *   open PATH      create PATH         ls DIR            write-in DIR
 *   rename-between DIR1 DIR2   (create in DIR1, rename to DIR2, link back, unlink)
 *   publish TMPDIR DSTDIR NAME    transfer SRCDIR DSTDIR NAME
 *   copy SRCDIR STAGEDIR DSTDIR NAME    remove DIR NAME        (common/spool.c)
 *   mkfifo DIR NAME   exec PATH   fork   thread   mmap-exec   kill PID   kill-self   nnp
 *   https URL CAFILE   (a libcurl GET: prints "ok BYTES" or "curl ERROR")
 *   abi   (print the Landlock ABI: use with mode off)
 *
 * Prints "ok" (nnp: the flag) and exits 0, or prints the failed step and
 * the errno name ("rename EXDEV", "EPERM") and exits 1. Set-up errors
 * exit 100 or 111 with a message, as the stages do.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layout.h"
#include "lock.h"
#include "log.h"
#include "sandbox.h"
#include "spool.h"
#include "wake.h"

static const char *errname(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { EACCES, "EACCES" }, { EXDEV, "EXDEV" }, { ENOENT, "ENOENT" },
		{ EEXIST, "EEXIST" }, { EAFNOSUPPORT, "EAFNOSUPPORT" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ ENOSYS, "ENOSYS" }, { EINVAL, "EINVAL" }, { EAGAIN, "EAGAIN" }, { EBADF, "EBADF" },
		{ ENOTDIR, "ENOTDIR" }, { EROFS, "EROFS" }, { ESRCH, "ESRCH" },
	};
	static char other[32];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(other, sizeof other, "errno%d", e);
	return other;
}

static int report(const char *step, int ok, int err)
{
	if (ok) {
		printf("ok\n");
		return 0;
	}
	if (step != NULL)
		printf("%s %s\n", step, errname(err));
	else
		printf("%s\n", errname(err));
	return 1;
}

#define CHECK(step, call)                                  \
	do {                                               \
		if ((call) < 0)                            \
			return report(step, 0, errno);     \
	} while (0)

static int opendirfd(const char *p)
{
	return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* ---- profiles: what each stage's sandbox hook will contain --------------- */

struct extra {
	const char *w[8];
	size_t nw;
	const char *r[8];
	size_t nr;
	unsigned short p[4];
	size_t np;
	const char *u[4];
	size_t nu;
};

static void profile_split(struct sandbox_spec *sb, const struct layout *d)
{
	sandbox_spec_init(sb, "split", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(sb, d->tmp, d->tmpname, SB_RW);
	sandbox_dir(sb, d->raw, "raw", SB_RW);
	sandbox_dir(sb, d->mta, "mta", SB_RW);
	sandbox_dir(sb, d->audit, "audit", SB_RW);
	sandbox_dir(sb, d->bad, "bad", SB_RW);
	sandbox_dir(sb, d->lock, "lock", SB_RW); /* not state/: the splitter keeps none */
}

static void extra_dirs(struct sandbox_spec *sb, const struct extra *x)
{
	for (size_t i = 0; i < x->nw; i++)
		sandbox_dir(sb, spool_dir_path(x->w[i], 0), x->w[i], SB_RW);
	for (size_t i = 0; i < x->nr; i++)
		sandbox_path(sb, x->r[i], SB_READ);
}

static void profile_move(struct sandbox_spec *sb, const struct layout *d, const struct extra *x)
{
	sandbox_spec_init(sb, "move", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(sb, d->tmp, d->tmpname, SB_RW);
	sandbox_dir(sb, d->mta, "mta", SB_RW);
	sandbox_dir(sb, d->state, "state", SB_RW);
	sandbox_dir(sb, d->lock, "lock", SB_RW);
	extra_dirs(sb, x); /* read_path, archive_dir, their staging dirs; -r: consumer state */
}

static void profile_reap(struct sandbox_spec *sb, const struct layout *d, const struct extra *x,
			 const char *data_dir)
{
	static char tmpshown[4096];
	snprintf(tmpshown, sizeof tmpshown, "%s/tmp", data_dir);
	sandbox_spec_init(sb, "reap", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(sb, spool_dir(d->root, "tmp", tmpshown, 0), "tmp", SB_RW);
	sandbox_dir(sb, d->audit, "audit", SB_RW);
	sandbox_dir(sb, d->bad, "bad", SB_RW);
	sandbox_dir(sb, d->lock, "lock", SB_RW); /* the stages' locks: a tmp/<stage> is swept only while free */
	extra_dirs(sb, x); /* archive_dir, log dirs; -r: the audit log source's state */
}

static void profile_fetch(struct sandbox_spec *sb, const struct layout *d, const struct extra *x)
{
	sandbox_spec_init(sb, "fetch", SB_NET_CONNECT, SB_SECCOMP_DENY);
	sandbox_dir(sb, d->tmp, d->tmpname, SB_RW);
	sandbox_dir(sb, d->raw, "raw", SB_RW);
	sandbox_dir(sb, d->state, "state", SB_RW);
	sandbox_dir(sb, d->lock, "lock", SB_RW);
	sandbox_resolver(sb);
	sandbox_ca_store(sb);
	extra_dirs(sb, x); /* -r: the CA file */
	for (size_t i = 0; i < x->nu; i++) /* base_url, proxy */
		if (sandbox_url_port(sb, x->u[i]) < 0)
			die(EXIT_PERM, "no port in %s", x->u[i]);
	for (size_t i = 0; i < x->np; i++)
		sandbox_port(sb, x->p[i]);
}

/* ---- actions -------------------------------------------------------------- */

static int tcp(const char *what, const char *port, int bind_it)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK("socket", s);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind_it)
		CHECK(what, bind(s, (struct sockaddr *)&a, sizeof a));
	else
		CHECK(what, connect(s, (struct sockaddr *)&a, sizeof a));
	close(s);
	return report(NULL, 1, 0);
}

static int do_socket(const char *fam)
{
	int af = AF_INET;
	if (fam != NULL && strcmp(fam, "inet6") == 0)
		af = AF_INET6;
	else if (fam != NULL && strcmp(fam, "unix") == 0)
		af = AF_UNIX;
	else if (fam != NULL && strcmp(fam, "netlink") == 0)
		af = AF_NETLINK;
	int s = socket(af, af == AF_NETLINK ? SOCK_RAW : SOCK_STREAM, 0);
	CHECK(NULL, s);
	close(s);
	return report(NULL, 1, 0);
}

static int write_in(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/sandbox-probe", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	CHECK("create", fd);
	CHECK("write", write(fd, "probe\n", 6));
	CHECK("fsync", fsync(fd));
	CHECK("close", close(fd));
	CHECK("unlink", unlink(p));
	return report(NULL, 1, 0);
}

static int rename_between(const char *d1, const char *d2)
{
	char a[4096], b[4096], c[4096];
	snprintf(a, sizeof a, "%s/sandbox-x", d1);
	snprintf(b, sizeof b, "%s/sandbox-x", d2);
	snprintf(c, sizeof c, "%s/sandbox-y", d1);
	int fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	CHECK("create", fd);
	CHECK("close", close(fd));
	CHECK("rename", renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE));
	CHECK("link", link(b, c));
	CHECK("unlink", unlink(b));
	CHECK("unlink", unlink(c));
	return report(NULL, 1, 0);
}

static int spool_result(int r)
{
	if (r == SPOOL_ERR)
		return report(spool_errstep, 0, errno);
	printf(r == SPOOL_EXISTS ? "exists\n" : "ok\n");
	return 0;
}

static int publish(const char *tmp, const char *dst, const char *name)
{
	int t = opendirfd(tmp), d = opendirfd(dst);
	CHECK("open", t);
	CHECK("open", d);
	struct spool_file f;
	CHECK("create", spool_create(&f, t, name, 0640));
	spool_write(&f, "one record\n", 11);
	return spool_result(spool_publish(&f, d, name));
}

static int transfer(const char *src, const char *dst, const char *name)
{
	int s = opendirfd(src), d = opendirfd(dst);
	CHECK("open", s);
	CHECK("open", d);
	return spool_result(spool_transfer(s, name, d, name));
}

static int copy(const char *src, const char *stage, const char *dst, const char *name)
{
	int s = opendirfd(src), st = opendirfd(stage), d = opendirfd(dst);
	CHECK("open", s);
	CHECK("open", st);
	CHECK("open", d);
	int r = spool_copy(s, name, st, d, name);
	if (r != SPOOL_ERR && spool_remove(s, name) < 0)
		return report("remove", 0, errno);
	return spool_result(r);
}

static int do_ls(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return report(NULL, 0, errno);
	while (readdir(d) != NULL)
		;
	closedir(d);
	return report(NULL, 1, 0);
}

static void *thread_main(void *arg)
{
	return arg;
}

static int do_thread(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, NULL);
	if (e != 0)
		return report(NULL, 0, e);
	e = pthread_join(t, NULL);
	return report("join", e == 0, e);
}

static int do_fork(void)
{
	pid_t p = fork();
	CHECK(NULL, p);
	if (p == 0)
		_exit(0);
	int st;
	CHECK("wait", waitpid(p, &st, 0));
	return report(NULL, 1, 0);
}

static size_t count_bytes(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	*(size_t *)arg += size * n;
	return size * n;
}

/* One libcurl GET the way the fetcher makes them (threaded resolver, no
 * signals, the CA read from a file at handshake time). */
static int https_get(const char *url, const char *cafile)
{
	CURL *h = curl_easy_init();
	if (h == NULL)
		die(EXIT_TEMP, "curl_easy_init");
	size_t got = 0;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAINFO, cafile) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_bytes) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &got) != CURLE_OK)
		die(EXIT_TEMP, "curl_easy_setopt");
	CURLcode r = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (r != CURLE_OK) {
		printf("curl %s\n", curl_easy_strerror(r));
		return 1;
	}
	printf("ok %zu\n", got);
	return 0;
}

static int act(int argc, char **argv)
{
	const char *a = argv[0];
	if (strcmp(a, "socket") == 0)
		return do_socket(argc > 1 ? argv[1] : NULL);
	if (strcmp(a, "socketpair") == 0) {
		int sv[2];
		CHECK(NULL, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "connect") == 0 && argc == 2)
		return tcp("connect", argv[1], 0);
	if (strcmp(a, "bind") == 0 && argc == 2)
		return tcp("bind", argv[1], 1);
	if (strcmp(a, "open") == 0 && argc == 2) {
		int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		CHECK(NULL, fd);
		char c;
		CHECK("read", read(fd, &c, 1));
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "create") == 0 && argc == 2) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		CHECK(NULL, fd);
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "ls") == 0 && argc == 2)
		return do_ls(argv[1]);
	if (strcmp(a, "write-in") == 0 && argc == 2)
		return write_in(argv[1]);
	if (strcmp(a, "rename-between") == 0 && argc == 3)
		return rename_between(argv[1], argv[2]);
	if (strcmp(a, "publish") == 0 && argc == 4)
		return publish(argv[1], argv[2], argv[3]);
	if (strcmp(a, "transfer") == 0 && argc == 4)
		return transfer(argv[1], argv[2], argv[3]);
	if (strcmp(a, "copy") == 0 && argc == 5)
		return copy(argv[1], argv[2], argv[3], argv[4]);
	if (strcmp(a, "remove") == 0 && argc == 3) {
		/* A stage removes through a directory fd it already holds, so
		 * the check that matters is the removal: an unlistable directory
		 * is reached through O_PATH (enough for unlinkat). */
		int d = opendirfd(argv[1]);
		if (d < 0 && errno == EACCES)
			d = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
		CHECK("open", d);
		CHECK("remove", spool_remove(d, argv[2]));
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "mkfifo") == 0 && argc == 3) {
		int d = opendirfd(argv[1]);
		CHECK("open", d);
		CHECK("mkfifo", mkfifoat(d, argv[2], 0622));
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "exec") == 0 && argc == 2) {
		fflush(stdout);
		execl(argv[1], argv[1], (char *)NULL);
		return report(NULL, 0, errno);
	}
	if (strcmp(a, "fork") == 0)
		return do_fork();
	if (strcmp(a, "thread") == 0)
		return do_thread();
	if (strcmp(a, "mmap-exec") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return report(NULL, 0, errno);
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "kill") == 0 && argc == 2) {
		CHECK(NULL, kill((pid_t)atol(argv[1]), 0));
		return report(NULL, 1, 0);
	}
	if (strcmp(a, "kill-self") == 0) {
		fflush(stdout);
		kill(getpid(), SIGKILL); /* what a failpoint does */
		return report(NULL, 0, errno);
	}
	if (strcmp(a, "https") == 0 && argc == 3)
		return https_get(argv[1], argv[2]);
	if (strcmp(a, "abi") == 0) {
		printf("%d\n", sandbox_landlock_abi());
		return 0;
	}
	if (strcmp(a, "nnp") == 0) {
		int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
		CHECK(NULL, v);
		printf("%d\n", v);
		return 0;
	}
	die(EXIT_PERM, "unknown action or wrong arguments: %s", a);
}

static enum sandbox_mode parse_mode(const char *m)
{
	if (strcmp(m, "off") == 0)
		return SANDBOX_OFF;
	if (strcmp(m, "on") == 0)
		return SANDBOX_ON;
	if (strcmp(m, "require") == 0)
		return SANDBOX_REQUIRE;
	die(EXIT_PERM, "mode: off, on or require, not %s", m);
}

int main(int argc, char **argv)
{
	log_init("sandboxed");
	if (argc < 5)
		die(EXIT_PERM, "usage: sandboxed MODE PROFILE DATA_DIR [-w DIR] [-r PATH] [-p PORT] ACTION...");
	enum sandbox_mode mode = parse_mode(argv[1]);
	const char *profile = argv[2], *data_dir = argv[3];
	struct extra x;
	memset(&x, 0, sizeof x);
	int i = 4;
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][2] == '\0'; i += 2) {
		char o = argv[i][1];
		if (o == 'w' && x.nw < 8)
			x.w[x.nw++] = argv[i + 1];
		else if (o == 'r' && x.nr < 8)
			x.r[x.nr++] = argv[i + 1];
		else if (o == 'u' && x.nu < 4)
			x.u[x.nu++] = argv[i + 1];
		else if (o == 'p' && x.np < 4)
			x.p[x.np++] = (unsigned short)atoi(argv[i + 1]);
		else
			die(EXIT_PERM, "bad option %s", argv[i]);
	}
	if (i >= argc)
		die(EXIT_PERM, "no action");

	/* What the fetcher's init does before its sandbox. */
	if (strcmp(profile, "fetch") == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(EXIT_TEMP, "curl_global_init");
	/* The set-up stage_main() does before the hook. */
	struct layout d;
	layout_open(&d, data_dir, profile);
	int lockfd = lock_open(d.lock, profile);
	(void)lockfd;
	wake_signals();
	wake_listen(d.lock, profile);

	struct sandbox_spec sb;
	if (strcmp(profile, "split") == 0)
		profile_split(&sb, &d);
	else if (strcmp(profile, "move") == 0)
		profile_move(&sb, &d, &x);
	else if (strcmp(profile, "reap") == 0)
		profile_reap(&sb, &d, &x, data_dir);
	else if (strcmp(profile, "fetch") == 0)
		profile_fetch(&sb, &d, &x);
	else
		die(EXIT_PERM, "profile: split, move, reap or fetch, not %s", profile);
	sandbox_enter(mode, &sb);
	int r = act(argc - i, argv + i);
	fflush(stdout);
	return r;
}
