/* sandbox.c: see sandbox.h and doc/sandbox.md.
 *
 * Landlock goes through raw syscalls with our own constants: Debian 12's
 * linux-libc-dev (6.1) knows only ABI 2, while the kernels we run on may
 * offer more. Everything the probed ABI knows is handled (denied unless a
 * rule grants it); what it does not know is reported, never guessed at.
 */
#define _GNU_SOURCE /* O_PATH, CLONE_NEW* */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* ---- Landlock uapi beyond ABI 2 (values from the kernel's uapi) ---------- */

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#define SB_RULE_NET_PORT 2 /* LANDLOCK_RULE_NET_PORT, ABI 4 */

/* struct landlock_ruleset_attr as of ABI 6. The kernel takes the size we
 * pass, so an older kernel is given only the fields it knows. */
struct sb_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI >= 4 */
	uint64_t scoped;             /* ABI >= 6 */
};

/* struct landlock_net_port_attr (two u64: no padding, no packing needed). */
struct sb_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

#define FS_ABI1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1) /* EXECUTE .. MAKE_SYM */
/* Rights that make sense on a file (the kernel refuses the others there). */
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
			LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |   \
			LANDLOCK_ACCESS_FS_IOCTL_DEV)

static uint64_t fs_handled(int abi)
{
	uint64_t m = FS_ABI1;
	if (abi >= 2)
		m |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		m |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		m |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return m;
}

static uint64_t fs_rights(unsigned rights)
{
	uint64_t m = 0;
	if (rights & SB_READ)
		m |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	/* REFER on every writable directory: the stages hand files on by
	 * rename and link between directories. Landlock asks for the right
	 * to make a file of the moved file's type at the destination, so
	 * quarantining a symlink or a socket someone dropped into raw/ needs
	 * MAKE_SYM and MAKE_SOCK (a symlink grants nothing: Landlock checks
	 * what it resolves to; socket() is denied by seccomp). No devices, no
	 * removing directories, no executing. */
	if (rights & SB_WRITE)
		m |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
		     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		     LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_REFER;
	return m;
}

/* ---- the spec ----------------------------------------------------------- */

void sandbox_spec_init(struct sandbox_spec *sb, const char *stage, enum sb_net net,
		       enum sb_seccomp seccomp)
{
	memset(sb, 0, sizeof *sb);
	sb->stage = stage;
	sb->net = net;
	sb->seccomp = seccomp;
}

void sandbox_dir(struct sandbox_spec *sb, int fd, const char *shown, unsigned rights)
{
	if (sb->ndirs == SANDBOX_MAX_DIRS)
		die(EXIT_TEMP, "sandbox: more than %d directories (raise SANDBOX_MAX_DIRS)",
		    SANDBOX_MAX_DIRS);
	sb->dirs[sb->ndirs].fd = fd;
	sb->dirs[sb->ndirs].shown = shown;
	sb->dirs[sb->ndirs].rights = rights;
	sb->ndirs++;
}

void sandbox_path(struct sandbox_spec *sb, const char *path, unsigned rights)
{
	if (sb->npaths == SANDBOX_MAX_PATHS)
		die(EXIT_TEMP, "sandbox: more than %d paths (raise SANDBOX_MAX_PATHS)",
		    SANDBOX_MAX_PATHS);
	sb->paths[sb->npaths].path = path;
	sb->paths[sb->npaths].rights = rights;
	sb->npaths++;
}

void sandbox_port(struct sandbox_spec *sb, unsigned short port)
{
	for (size_t i = 0; i < sb->nports; i++)
		if (sb->ports[i] == port)
			return;
	if (sb->nports == SANDBOX_MAX_PORTS)
		die(EXIT_TEMP, "sandbox: more than %d ports (raise SANDBOX_MAX_PORTS)",
		    SANDBOX_MAX_PORTS);
	sb->ports[sb->nports++] = port;
}

void sandbox_resolver(struct sandbox_spec *sb)
{
	/* glibc's getaddrinfo reads these at lookup time, and dlopens NSS
	 * modules (found through ld.so.cache) from the library directories. */
	static const char *const files[] = {
		"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf",
		"/etc/gai.conf", "/etc/services", "/etc/ld.so.cache", "/usr/lib", "/lib",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		sandbox_path(sb, files[i], SB_READ);
}

void sandbox_ca_store(struct sandbox_spec *sb)
{
	sandbox_path(sb, "/etc/ssl/certs", SB_READ);
	sandbox_path(sb, "/usr/share/ca-certificates", SB_READ);
	sandbox_path(sb, "/usr/local/share/ca-certificates", SB_READ);
}

int sandbox_url_port(struct sandbox_spec *sb, const char *url)
{
	static const struct { const char *scheme; unsigned short port; } known[] = {
		{ "https", 443 }, { "http", 80 }, { "socks5h", 1080 }, { "socks5", 1080 },
		{ "socks4a", 1080 }, { "socks4", 1080 },
	};
	const char *sep = strstr(url, "://");
	if (sep == NULL)
		return -1;
	long port = -1;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if ((size_t)(sep - url) == strlen(known[i].scheme) &&
		    strncasecmp(url, known[i].scheme, (size_t)(sep - url)) == 0)
			port = known[i].port;
	/* The authority ends at the first '/', '?' or '#'; a user:password@
	 * part and an [IPv6] literal may hold colons of their own. */
	const char *host = sep + 3;
	size_t alen = strcspn(host, "/?#");
	const char *at = memchr(host, '@', alen);
	if (at != NULL) {
		alen -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	const char *end = host + alen, *colon = NULL;
	if (*host == '[') {
		const char *rb = memchr(host, ']', alen);
		if (rb == NULL)
			return -1;
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(host, ':', alen);
	}
	if (colon != NULL) {
		port = 0;
		for (const char *p = colon + 1; p < end; p++) {
			if (*p < '0' || *p > '9' || port > 65535)
				return -1;
			port = port * 10 + (*p - '0');
		}
		if (colon + 1 == end)
			return -1;
	}
	if (port <= 0 || port > 65535)
		return -1;
	sandbox_port(sb, (unsigned short)port);
	return 0;
}

/* ---- Landlock ----------------------------------------------------------- */

static char fake_note[96];

static int landlock_probe(int *err)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	*err = abi < 0 ? errno : 0;
	if (abi < 0)
		abi = 0;
	const char *fake = getenv("MCSPOOL_SANDBOX_FAKE_ABI");
	if (fake != NULL && *fake != '\0') {
		char *end;
		long f = strtol(fake, &end, 10);
		if (*end != '\0' || f < 0)
			die(EXIT_PERM, "MCSPOOL_SANDBOX_FAKE_ABI: '%s' is not a number", fake);
		if (f < abi) {
			abi = f;
			*err = 0;
			snprintf(fake_note, sizeof fake_note, " (forced by MCSPOOL_SANDBOX_FAKE_ABI=%ld)", f);
		}
	}
	return (int)abi;
}

int sandbox_landlock_abi(void)
{
	int err;
	return landlock_probe(&err);
}

/* The part of the confinement a spec relies on Landlock's TCP rules for:
 * with the allowlist seccomp already refuses socket(), so only the
 * denylist stage (the fetcher) needs them. */
static int needs_net_rules(const struct sandbox_spec *sb)
{
	return sb->net == SB_NET_CONNECT || sb->seccomp == SB_SECCOMP_DENY;
}

/* on: warn and go on; require: refuse. */
static void missing(enum sandbox_mode mode, const char *what, const char *consequence)
{
	if (mode == SANDBOX_REQUIRE)
		die(EXIT_PERM, "%s; sandbox = require refuses to run %s", what, consequence);
	log_warn("%s; running %s", what, consequence);
}

static void add_path_rule(int ruleset, int fd, uint64_t allowed, const char *shown)
{
	struct landlock_path_beneath_attr pb;
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = allowed;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		die_sys(errno == ENOMEM ? EXIT_TEMP : EXIT_PERM,
			"sandbox: unable to allow access to %s", shown);
}

static void landlock_dirs(int ruleset, uint64_t handled, const struct sandbox_spec *sb)
{
	for (size_t i = 0; i < sb->ndirs; i++) {
		uint64_t allowed = fs_rights(sb->dirs[i].rights) & handled;
		if (allowed != 0)
			add_path_rule(ruleset, sb->dirs[i].fd, allowed, sb->dirs[i].shown);
	}
	for (size_t i = 0; i < sb->npaths; i++) {
		const char *p = sb->paths[i].path;
		int fd = open(p, O_PATH | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			log_debug("sandbox: %s does not exist; not allowed", p);
			continue;
		}
		if (fd < 0)
			die_sys(exit_code_for_errno(errno), "sandbox: unable to open %s", p);
		struct stat st;
		if (fstat(fd, &st) < 0)
			die_sys(EXIT_TEMP, "sandbox: unable to stat %s", p);
		uint64_t allowed = fs_rights(sb->paths[i].rights) & handled;
		if (!S_ISDIR(st.st_mode))
			allowed &= FS_FILE_RIGHTS;
		if (allowed != 0)
			add_path_rule(ruleset, fd, allowed, p);
		close(fd);
	}
}

static void landlock_ports(int ruleset, const struct sandbox_spec *sb)
{
	if (sb->net != SB_NET_CONNECT)
		return;
	for (size_t i = 0; i < sb->nports; i++) {
		struct sb_net_port_attr np = { LANDLOCK_ACCESS_NET_CONNECT_TCP, sb->ports[i] };
		if (syscall(SYS_landlock_add_rule, ruleset, SB_RULE_NET_PORT, &np, 0) < 0)
			die_sys(EXIT_TEMP, "sandbox: unable to allow TCP port %u", sb->ports[i]);
	}
}

/* Landlock confines the calling thread only: a thread started earlier
 * would stay free. The stages start none before their sandbox. */
static void check_single_threaded(void)
{
	DIR *d = opendir("/proc/self/task");
	if (d == NULL)
		return; /* no /proc: nothing to check with */
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	if (n > 1)
		die(EXIT_TEMP, "sandbox: %d threads already running; enter the sandbox before starting any", n);
}

static void landlock_enter(enum sandbox_mode mode, const struct sandbox_spec *sb)
{
	int err;
	int abi = landlock_probe(&err);
	const char *without = needs_net_rules(sb) ? "without filesystem or network confinement"
						  : "without filesystem confinement";
	char what[256];
	if (abi < 2) {
		if (abi == 1)
			snprintf(what, sizeof what, "landlock unavailable: ABI 1%s cannot rename between "
				 "directories (needs ABI 2, Linux 5.19)", fake_note);
		else if (err == ENOSYS)
			snprintf(what, sizeof what, "landlock unavailable: this kernel has no Landlock");
		else if (err == EOPNOTSUPP)
			snprintf(what, sizeof what, "landlock unavailable: Landlock is disabled "
				 "(add landlock to the lsm= boot parameter)");
		else if (err != 0)
			snprintf(what, sizeof what, "landlock unavailable: %s", strerror(err));
		else
			snprintf(what, sizeof what, "landlock unavailable: ABI 0%s", fake_note);
		missing(mode, what, without);
		return;
	}
	if (abi < 4 && needs_net_rules(sb)) {
		snprintf(what, sizeof what, "landlock ABI %d%s has no TCP rules (needs ABI 4, Linux 6.7)",
			 abi, fake_note);
		missing(mode, what, "without network confinement");
	}
	if (abi < 3)
		log_info("sandbox: landlock ABI %d%s: truncation not confined (needs ABI 3)", abi, fake_note);

	struct sb_ruleset_attr attr;
	memset(&attr, 0, sizeof attr);
	size_t size = sizeof attr.handled_access_fs;
	attr.handled_access_fs = fs_handled(abi);
	if (abi >= 4) {
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		/* No signals to, no abstract unix sockets of, processes outside. */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
		size = sizeof attr;
	}
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		die_sys(EXIT_TEMP, "sandbox: unable to create the landlock ruleset (ABI %d)", abi);
	landlock_dirs(ruleset, attr.handled_access_fs, sb);
	if (abi >= 4)
		landlock_ports(ruleset, sb);
	check_single_threaded();
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		die_sys(EXIT_TEMP, "sandbox: unable to enter the landlock domain");
	close(ruleset);
	log_debug("sandbox: landlock ABI %d%s: %zu directories, %zu paths, %zu ports", abi, fake_note,
		  sb->ndirs, sb->npaths, sb->net == SB_NET_CONNECT ? sb->nports : 0);
}

/* ---- seccomp ------------------------------------------------------------ */

/* What split, move and reap do after their sandbox: file I/O on open
 * directories, memory, signals, timers, the trigger FIFO, the lock. No
 * socket, no exec, no new process or thread. Names unknown to this
 * architecture are skipped. Calls with argument checks follow below. */
static const char *const allow_plain[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "open", "openat", "close", "close_range", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "lseek", "getdents", "getdents64", "access",
	"faccessat", "faccessat2", "rename", "renameat", "renameat2", "link", "linkat", "unlink",
	"unlinkat", "mkdir", "mkdirat", "mknod", "mknodat", "readlink", "readlinkat", "fsync",
	"fdatasync", "sync_file_range", "syncfs", "fchmod", "ftruncate", "fallocate", "fadvise64",
	"flock", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "poll", "ppoll", "select",
	"pselect6", "munmap", "mremap", "madvise", "msync", "mincore", "brk", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend",
	"sigaltstack", "pause", "alarm", "setitimer", "getitimer", "timer_create", "timer_settime",
	"timer_gettime", "timer_getoverrun", "timer_delete", "clock_gettime", "clock_getres",
	"clock_nanosleep", "nanosleep", "gettimeofday", "time", "getpid", "gettid", "getppid",
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid", "getpgrp",
	"exit", "exit_group", "restart_syscall", "futex", "set_robust_list", "get_robust_list",
	"rseq", "set_tid_address", "getrandom", "sched_yield", "sched_getaffinity", "getrlimit",
	"uname", "sysinfo", "getrusage", "times", "umask", "getcwd",
	"utimensat", /* the mover touches a file it delivers (Landlock does not see it) */
};

/* The fetcher's denylist: what no part of it (libcurl, OpenSSL, zlib,
 * glibc's resolver) ever calls; a call means it was taken over. */
static const char *const deny_kill[] = {
	"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "mount",
	"umount2", "pivot_root", "chroot", "setns", "unshare", "bpf", "perf_event_open", "keyctl",
	"add_key", "request_key", "init_module", "finit_module", "delete_module", "kexec_load",
	"kexec_file_load", "reboot", "swapon", "swapoff", "personality", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "fsopen", "fsconfig", "fsmount",
	"fspick", "move_mount", "open_tree", "mount_setattr", "open_by_handle_at",
	"name_to_handle_at", "iopl", "ioperm", "acct", "quotactl", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex", "sethostname", "setdomainname", "syslog", "vhangup",
	"fanotify_init", "uselib", "kcmp", "setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setgroups", "setfsuid", "setfsgid",
};

struct sb_filter {
	scmp_filter_ctx ctx;
	const char *what;
};

static void rule(struct sb_filter *f, uint32_t action, const char *name, unsigned n,
		 const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return; /* not a system call of this architecture */
	int r = seccomp_rule_add_array(f->ctx, action, nr, n, cmp);
	if (r < 0)
		die(EXIT_TEMP, "sandbox: unable to add the seccomp rule for %s: %s", name, strerror(-r));
}

static void rule0(struct sb_filter *f, uint32_t action, const char *name)
{
	rule(f, action, name, 0, NULL);
}

static void rule1(struct sb_filter *f, uint32_t action, const char *name, struct scmp_arg_cmp c)
{
	rule(f, action, name, 1, &c);
}

/* Signals only to ourselves (failpoints SIGKILL themselves, abort() raises). */
static void own_signals(struct sb_filter *f, uint32_t action, int op)
{
	scmp_datum_t pid = (scmp_datum_t)getpid();
	/* Every comparison names datum_b, even where the operator ignores it:
	 * the SCMP_A* macros otherwise leave it to a missing initializer. */
	rule1(f, action, "kill", SCMP_A0_32(op, pid, 0));
	rule1(f, action, "tgkill", SCMP_A0_32(op, pid, 0));
}

static void allowlist(struct sb_filter *f)
{
	for (size_t i = 0; i < sizeof allow_plain / sizeof allow_plain[0]; i++)
		rule0(f, SCMP_ACT_ALLOW, allow_plain[i]);
	/* No new executable memory: a parsing bug cannot turn into shellcode
	 * that way, and nothing here loads code after start. */
	rule1(f, SCMP_ACT_ALLOW, "mmap", SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rule1(f, SCMP_ACT_ALLOW, "mprotect", SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	own_signals(f, SCMP_ACT_ALLOW, SCMP_CMP_EQ);
	/* isatty() for stdio buffering, nothing else of ioctl. */
	rule1(f, SCMP_ACT_ALLOW, "ioctl", SCMP_A1_32(SCMP_CMP_EQ, TCGETS, 0));
	/* Reading limits, never setting them. */
	rule1(f, SCMP_ACT_ALLOW, "prlimit64", SCMP_A2_64(SCMP_CMP_EQ, 0, 0));
}

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static void denylist(struct sb_filter *f)
{
	for (size_t i = 0; i < sizeof deny_kill / sizeof deny_kill[0]; i++)
		rule0(f, SCMP_ACT_KILL_PROCESS, deny_kill[i]);
	uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	/* Threads yes (the resolver), processes no. clone3 hides its flags
	 * in memory a filter cannot read: ENOSYS makes glibc use clone. */
	rule0(f, eperm, "fork");
	rule0(f, eperm, "vfork");
	rule0(f, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	rule1(f, eperm, "clone", SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	for (uint64_t bit = 1; bit != 0; bit <<= 1)
		if (CLONE_NS_FLAGS & bit)
			rule1(f, SCMP_ACT_KILL_PROCESS, "clone", SCMP_A0_64(SCMP_CMP_MASKED_EQ, bit, bit));
	/* IPv4 and IPv6 sockets only. AF_UNIX would reach local daemons
	 * (Landlock does not confine connecting to a socket path); glibc's
	 * nscd and netlink probes fall back cleanly on EPERM. socketpair()
	 * stays allowed (libcurl's resolver wakes itself with one). */
	rule1(f, eperm, "socket", SCMP_A0_32(SCMP_CMP_LT, AF_INET, 0));
	rule1(f, eperm, "socket", SCMP_A0_32(SCMP_CMP_GT, AF_INET6, 0));
	for (int fam = AF_INET + 1; fam < AF_INET6; fam++)
		rule1(f, eperm, "socket", SCMP_A0_32(SCMP_CMP_EQ, (scmp_datum_t)fam, 0));
	rule1(f, eperm, "socketpair", SCMP_A0_32(SCMP_CMP_NE, AF_UNIX, 0));
	own_signals(f, eperm, SCMP_CMP_NE);
	/* Typing into the controlling terminal. */
	rule1(f, eperm, "ioctl", SCMP_A1_32(SCMP_CMP_EQ, TIOCSTI, 0));
}

static void seccomp_enter(const struct sandbox_spec *sb)
{
	struct sb_filter f;
	int allow = sb->seccomp == SB_SECCOMP_ALLOW;
	f.what = allow ? "allowlist" : "denylist";
	f.ctx = seccomp_init(allow ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW);
	if (f.ctx == NULL)
		die(EXIT_TEMP, "sandbox: unable to start a seccomp filter");
	/* Every thread, should there be one; no_new_privs is ours already. */
	int r = seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r < 0)
		die(EXIT_TEMP, "sandbox: seccomp: unable to ask for thread sync: %s", strerror(-r));
	if (allow)
		allowlist(&f);
	else
		denylist(&f);
	r = seccomp_load(f.ctx);
	if (r < 0)
		die(r == -EINVAL || r == -ENOSYS ? EXIT_PERM : EXIT_TEMP,
		    "sandbox: unable to load the seccomp %s (does this kernel have seccomp?): %s",
		    f.what, strerror(-r));
	seccomp_release(f.ctx);
	log_debug("sandbox: seccomp %s loaded", f.what);
}

/* ---- all of it ---------------------------------------------------------- */

void sandbox_enter(enum sandbox_mode mode, const struct sandbox_spec *sb)
{
	if (mode == SANDBOX_OFF) {
		log_debug("sandbox: off for %s", sb->stage);
		return;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_sys(EXIT_TEMP, "sandbox: unable to set no_new_privs");
	landlock_enter(mode, sb);
	seccomp_enter(sb);
}
