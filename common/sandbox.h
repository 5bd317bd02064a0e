/* sandbox.h: confine a stage after its config is read (DESIGN.md section 7).
 *
 * A stage's sandbox hook (struct stage.sandbox) describes what it needs and
 * calls sandbox_enter() once, after it opened every descriptor it keeps
 * (log, lock, trigger FIFO, spool directories):
 *
 *     struct sandbox_spec sb;
 *     sandbox_spec_init(&sb, "split", SB_NET_NONE, SB_SECCOMP_ALLOW);
 *     sandbox_dir(&sb, ctx->dirs.raw, "raw", SB_RW);
 *     ...
 *     sandbox_enter(ctx->cfg->sandbox, &sb);
 *
 * sandbox_enter() applies, in this order:
 *   1. prctl(PR_SET_NO_NEW_PRIVS)  (every mode but off);
 *   2. Landlock: every filesystem right the kernel's ABI knows is denied
 *      except, beneath each listed directory or path, the rights listed;
 *      TCP bind and connect denied except connect to the listed ports
 *      (ABI >= 4); signals and abstract unix sockets scoped to the process
 *      (ABI >= 6);
 *   3. seccomp (libseccomp): SB_SECCOMP_ALLOW, a short allowlist for the
 *      file-shuffling stages (split, move, reap), anything else fails with
 *      EPERM; or SB_SECCOMP_DENY, the fetcher's denylist (libcurl needs
 *      threads and sockets): exec, ptrace, mounts, namespaces, modules and
 *      the like kill the process, new processes and socket families other
 *      than AF_INET/AF_INET6 fail with EPERM.
 *
 * Modes (config key sandbox): off does nothing. on and require do all of
 * the above; when the kernel has no usable Landlock (none, disabled, or
 * ABI 1, which cannot rename between directories), or lacks the TCP rules
 * a spec relies on, on warns once and goes on without that part, require
 * dies with exit 100. Any other failure is fatal: 100 when it is a
 * configuration matter (a path that cannot be confined), 111 otherwise.
 *
 * Rights given to directories that exchange files by rename or link must
 * be equal: Landlock refuses (EXDEV) a move into a directory that grants
 * more than the source. Give every spool directory SB_RW.
 *
 * For tests only: MCSPOOL_SANDBOX_FAKE_ABI=N makes the probe report at most
 * ABI N (0 = no Landlock). It can only weaken the sandbox towards what an
 * older kernel gives, which on reports as a warning and require refuses.
 *
 * See doc/sandbox.md.
 */
#ifndef MCSPOOL_SANDBOX_H
#define MCSPOOL_SANDBOX_H

#include <stddef.h>

#include "config.h"

/* Rights on a directory (and everything beneath it) or a file. */
#define SB_READ 1u  /* read files, list directories */
#define SB_WRITE 2u /* write, truncate; create files, FIFOs, dirs; remove files; rename/link in and out (any file type but devices) */
#define SB_RW (SB_READ | SB_WRITE)

enum sb_net {
	SB_NET_NONE,    /* no TCP connect or bind (and, with SB_SECCOMP_ALLOW, no socket at all) */
	SB_NET_CONNECT, /* TCP connect to the listed ports only (Landlock ABI >= 4) */
};

enum sb_seccomp {
	SB_SECCOMP_ALLOW, /* split, move, reap */
	SB_SECCOMP_DENY,  /* fetch */
};

#define SANDBOX_MAX_DIRS 24
#define SANDBOX_MAX_PATHS 24
#define SANDBOX_MAX_PORTS 4

struct sandbox_spec {
	const char *stage; /* "split", for messages */
	struct {
		int fd;            /* an open directory (O_PATH is enough); kept open by the caller */
		const char *shown; /* its name in messages */
		unsigned rights;
	} dirs[SANDBOX_MAX_DIRS];
	size_t ndirs;
	struct {
		const char *path; /* absolute; a missing path is skipped */
		unsigned rights;  /* on a file, only the file rights apply */
	} paths[SANDBOX_MAX_PATHS];
	size_t npaths;
	enum sb_net net;
	unsigned short ports[SANDBOX_MAX_PORTS];
	size_t nports;
	enum sb_seccomp seccomp;
};

/* Start an empty spec. */
void sandbox_spec_init(struct sandbox_spec *sb, const char *stage, enum sb_net net,
		       enum sb_seccomp seccomp);
/* Add a directory by descriptor, a file or directory by path, a TCP port.
 * Overflowing a table is a programming error: exit 111 with a message. */
void sandbox_dir(struct sandbox_spec *sb, int fd, const char *shown, unsigned rights);
void sandbox_path(struct sandbox_spec *sb, const char *path, unsigned rights);
void sandbox_port(struct sandbox_spec *sb, unsigned short port);
/* Read-only access to what name resolution reads after the sandbox is up
 * (the /etc resolver files, ld.so.cache, the NSS modules): the fetcher. */
void sandbox_resolver(struct sandbox_spec *sb);
/* Read-only access to the system CA store (/etc/ssl/certs and the
 * certificates its links point to), which libcurl reads at each handshake
 * unless given CURLOPT_CAINFO_BLOB. */
void sandbox_ca_store(struct sandbox_spec *sb);
/* Allow TCP connect to the port of url: explicit ("https://h:8443/"), or
 * the scheme's (https 443, http 80, socks4/5 1080). 0, or -1 when url has
 * no scheme or a bad port (nothing added). */
int sandbox_url_port(struct sandbox_spec *sb, const char *url);

/* Enter the sandbox; returns only if it is in place (as far as mode asks). */
void sandbox_enter(enum sandbox_mode mode, const struct sandbox_spec *sb);

/* The Landlock ABI version this kernel offers (after MCSPOOL_SANDBOX_FAKE_ABI),
 * 0 when there is none. For mcspool-status and the tests. */
int sandbox_landlock_abi(void);

#endif
