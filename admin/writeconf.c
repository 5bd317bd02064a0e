/* writeconf.c: what mcspool-setup leaves on disk.
 *
 *   <confdir>/mcspool.conf    every key of DESIGN.md section 6, commented;
 *                             mode 0640, group mcspool
 *   <confdir>/secret_key      API 1.0 Secret Key, mode 0600, owner mcfetch
 *   <confdir>/client_secret   API 2.0 Client Secret, the same
 *   data_dir/{raw,mta,audit,bad,state,lock,status,tmp/<stage>}, read_path,
 *   archive_dir and the mover's staging directories: mode 02770, group
 *   mcspool, each owned by the stage that writes it
 *
 * Files are replaced atomically (spool_replace: temp, fsync, rename, fsync
 * the directory): a crash leaves the old config or the new one, never half
 * of one. The secret is written before the config that names it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "log.h"
#include "spool.h"

#define TREE_MODE 02770

void setup_owners(struct owners *o, int require)
{
	memset(o, 0, sizeof *o);
	o->uid_self = (unsigned)geteuid();
	o->gid_self = (unsigned)getegid();
	static const char *const users[] = { "mcfetch", "mcsplit", "mcmove", "mcreap" };
	unsigned *uids[] = { &o->uid_fetch, &o->uid_split, &o->uid_move, &o->uid_reap };
	char missing[128] = "";
	for (size_t i = 0; i < 4; i++) {
		struct passwd *pw = getpwnam(users[i]);
		if (pw == NULL) {
			strcat(missing, missing[0] ? ", " : "");
			strcat(missing, users[i]);
		} else {
			*uids[i] = (unsigned)pw->pw_uid;
		}
	}
	struct group *gr = getgrnam("mcspool");
	if (gr == NULL) {
		strcat(missing, missing[0] ? ", group " : "group ");
		strcat(missing, "mcspool");
	} else {
		o->gid = (unsigned)gr->gr_gid;
	}
	o->have = missing[0] == '\0' && o->uid_self == 0;
	if (require && missing[0] != '\0')
		die(EXIT_PERM, "--owner-users: these do not exist: %s (create them first, e.g. "
			       "useradd -r -g mcspool mcfetch)", missing);
	if (require && o->uid_self != 0)
		die(EXIT_PERM, "--owner-users: only root may give the tree to the stage users");
	if (!o->have) {
		struct passwd *me = getpwuid(o->uid_self);
		if (missing[0] != '\0')
			printf("Note: %s not found: the files and directories are owned by %s (uid %u), "
			       "not by the stage users; create them and run mcspool-setup again to "
			       "give each stage its own user.\n",
			       missing, me != NULL ? me->pw_name : "this user", o->uid_self);
		else
			printf("Note: not running as root: the files and directories are owned by %s "
			       "(uid %u), not by the stage users.\n",
			       me != NULL ? me->pw_name : "this user", o->uid_self);
	}
}

/* A libconfuse string literal: quotes and backslashes escaped. */
static int qstr(struct buf *b, const char *s)
{
	int r = buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			r |= buf_addc(b, '\\');
		r |= buf_addc(b, *s);
	}
	return r | buf_addc(b, '"');
}

/* key = "value"  # comment */
static int kv_str(struct buf *b, const char *indent, const char *key, const char *v,
		  const char *comment)
{
	size_t mark = b->len;
	int r = buf_printf(b, "%s%s = ", indent, key) | qstr(b, v);
	if (comment != NULL) {
		size_t w = b->len - mark;
		r |= buf_printf(b, "%*s# %s", w < 40 ? (int)(41 - w) : 1, "", comment);
	}
	return r | buf_addc(b, '\n');
}

static int kv_long(struct buf *b, const char *indent, const char *key, long v,
		   const char *comment)
{
	char s[32];
	int n = snprintf(s, sizeof s, "%s%s = %ld", indent, key, v);
	int r = buf_adds(b, s);
	if (comment != NULL)
		r |= buf_printf(b, "%*s# %s", n < 40 ? 41 - n : 1, "", comment);
	return r | buf_addc(b, '\n');
}

static int kv_bool(struct buf *b, const char *key, int v, const char *comment)
{
	char s[64];
	int n = snprintf(s, sizeof s, "  %s = %s", key, v ? "true" : "false");
	int r = buf_adds(b, s);
	if (comment != NULL)
		r |= buf_printf(b, "%*s# %s", n < 40 ? 41 - n : 1, "", comment);
	return r | buf_addc(b, '\n');
}

static int list(struct buf *b, const char *indent, const char *key, char *const *v, size_t n)
{
	int r = buf_printf(b, "%s%s = {", indent, key);
	for (size_t i = 0; i < n; i++)
		r |= (i ? buf_adds(b, ", ") : 0) | qstr(b, v[i]);
	return r | buf_adds(b, "}\n");
}

int setup_render(struct buf *out, const struct config *b, const struct setup_extra *x,
		 const char *secret_key_file, const char *client_secret_file)
{
	int api = (int)setup_answer_long("api");
	static const char *const sandbox_names[] = { "off", "on", "require" };
	static const char *const consumer_names[] = { "logrhythm", "filebeat", "quiet" };
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
	int r = 0;
	r |= buf_printf(out, "# mcspool.conf: written by mcspool-setup on %s. See mcspool.conf(5).\n"
			     "# Mode 0640, owner root, group mcspool. Secrets live in separate 0600 "
			     "files.\n\n", stamp);
	r |= kv_str(out, "", "data_dir", setup_answer("data_dir"),
		    "raw/, mta/, audit/, bad/, state/, lock/, tmp/");
	r |= kv_str(out, "", "read_path", setup_answer("read_path"),
		    "the LogRhythm System Monitor reads MTA files here");
	r |= kv_str(out, "", "archive_dir", setup_answer("archive_dir"),
		    "fully read files, kept retention_days");
	r |= kv_long(out, "", "log_source_id", setup_answer_long("log_source_id"),
		     "the MTA log source's id in LogRhythm");
	r |= kv_long(out, "", "audit_log_source_id", b->audit_log_source_id,
		     "the audit log source's id; 0 = audit files reaped by age");
	r |= kv_long(out, "", "max_files", setup_answer_long("max_files"),
		     "never more files than this in read_path");
	r |= kv_long(out, "", "retention_days", setup_answer_long("retention_days"), NULL);
	r |= kv_str(out, "", "output_format", b->output_format == FORMAT_JSON ? "json" : "kv",
		    "kv (LogRhythm's Mimecast MPE rules) | json (NDJSON)");
	r |= kv_str(out, "", "line_ending", b->line_ending == EOL_CRLF ? "crlf" : "lf", "lf | crlf");
	r |= kv_long(out, "", "max_file_bytes", b->max_file_bytes, NULL);
	r |= kv_str(out, "", "sandbox", x->sandbox != NULL ? x->sandbox : sandbox_names[b->sandbox],
		    "on | require | off");
	r |= list(out, "", "log_dirs", b->log_dirs, b->nlog_dirs);
	r |= kv_str(out, "", "read_stage_dir", b->read_stage_dir,
		    "\"\" = <dirname(read_path)>/.mcspool-tmp");
	r |= kv_str(out, "", "archive_stage_dir", b->archive_stage_dir,
		    "\"\" = <dirname(archive_dir)>/.mcspool-tmp");

	r |= buf_adds(out, "\nconsumer {\n");
	r |= kv_str(out, "  ", "type", consumer_names[b->consumer.type], "logrhythm | filebeat | quiet");
	r |= kv_str(out, "  ", "state_dir", b->consumer.state_dir, NULL);
	r |= kv_str(out, "  ", "reader_path", b->consumer.reader_path,
		    "read_path as the agent names it, e.g. \"D:\\\\mcspool\\\\read\"");
	r |= kv_str(out, "  ", "audit_reader_path", b->consumer.audit_reader_path, NULL);
	r |= kv_long(out, "  ", "quiet_minutes", b->consumer.quiet_minutes, NULL);
	r |= buf_adds(out, "}\n\nmimecast {\n");
	r |= kv_long(out, "  ", "api", api, "2 (OAuth2) | 1 (end of life)");
	r |= kv_str(out, "  ", "base_url", x->base_url,
		    api == 1 ? "discovered by mcspool-setup" : NULL);
	r |= buf_adds(out, "  # API 2.0\n");
	r |= kv_str(out, "  ", "client_id", api == 2 ? setup_answer("client_id") : b->mimecast.client_id,
		    NULL);
	r |= kv_str(out, "  ", "client_secret_file", client_secret_file, "mode 0600");
	r |= buf_adds(out, "  # API 1.0\n");
	r |= kv_str(out, "  ", "app_id", api == 1 ? setup_answer("app_id") : b->mimecast.app_id, NULL);
	r |= kv_str(out, "  ", "access_key",
		    api == 1 ? setup_answer("access_key") : b->mimecast.access_key, NULL);
	r |= kv_str(out, "  ", "app_key", api == 1 ? setup_answer("app_key") : b->mimecast.app_key,
		    NULL);
	r |= kv_str(out, "  ", "secret_key_file", secret_key_file, "mode 0600");
	r |= kv_str(out, "  ", "email", api == 1 ? setup_answer("email") : b->mimecast.email, NULL);
	r |= kv_str(out, "  ", "account_code",
		    api == 1 ? x->account_code : b->mimecast.account_code, NULL);
	r |= kv_str(out, "  ", "ca_file", x->ca_file != NULL ? x->ca_file : b->mimecast.ca_file,
		    "an extra CA, added to the system's");
	r |= kv_str(out, "  ", "proxy", b->mimecast.proxy, NULL);
	r |= kv_bool(out, "compress", b->mimecast.compress, "API 1.0: ask for zips");
	r |= kv_bool(out, "siem", b->mimecast.siem, NULL);
	r |= kv_bool(out, "audit", b->mimecast.audit, NULL);
	r |= list(out, "  ", "siem_types", b->mimecast.siem_types, b->mimecast.nsiem_types);
	r |= kv_long(out, "  ", "poll_seconds", b->mimecast.poll_seconds, NULL);
	r |= kv_long(out, "  ", "audit_lag_seconds", b->mimecast.audit_lag_seconds,
		     "the audit window ends this long before now");
	r |= kv_long(out, "  ", "connect_timeout", b->mimecast.connect_timeout, NULL);
	r |= kv_long(out, "  ", "low_speed_time", b->mimecast.low_speed_time, NULL);
	r |= kv_long(out, "  ", "timeout", b->mimecast.timeout, NULL);
	r |= buf_adds(out, "}\n");
	return r != 0 ? -1 : 0;
}

/* mkdir -p for the parents of path, mode 0755 (whatever the umask). */
static void make_parents(const char *path)
{
	char p[ANSWER_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			if (chmod(p, 0755) < 0)
				die_sys(exit_code_for_errno(errno), "unable to chmod %s", p);
			printf("  created %s (mode 0755)\n", p);
		} else if (errno != EEXIST) {
			die_sys(exit_code_for_errno(errno), "unable to create %s", p);
		}
		*s = '/';
	}
}

static void owner_names(uid_t u, gid_t g, char *out, size_t cap)
{
	struct passwd *pw = getpwuid(u);
	struct group *gr = getgrgid(g);
	char us[32], gs[32];
	snprintf(us, sizeof us, "%u", (unsigned)u);
	snprintf(gs, sizeof gs, "%u", (unsigned)g);
	snprintf(out, cap, "%s:%s", pw != NULL ? pw->pw_name : us, gr != NULL ? gr->gr_name : gs);
}

/* One directory of the tree: created if missing, then given its owner and
 * mode when the stage users exist (or when we created it). */
static void tree_dir(const char *path, unsigned uid, const struct owners *o)
{
	make_parents(path);
	int created = mkdir(path, TREE_MODE) == 0;
	if (!created && errno != EEXIST)
		die_sys(exit_code_for_errno(errno), "unable to create %s", path);
	struct stat st;
	if (lstat(path, &st) < 0)
		die_sys(exit_code_for_errno(errno), "unable to stat %s", path);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_PERM, "%s exists and is not a directory (a symlink is refused too)", path);
	if (o->have && chown(path, uid, o->gid) < 0)
		die_sys(exit_code_for_errno(errno), "unable to chown %s", path);
	if ((o->have || created) && chmod(path, TREE_MODE) < 0)
		die_sys(exit_code_for_errno(errno), "unable to chmod %s", path);
	if (lstat(path, &st) < 0)
		die_sys(exit_code_for_errno(errno), "unable to stat %s", path);
	char who[96];
	owner_names(st.st_uid, st.st_gid, who, sizeof who);
	printf("  %s %s (mode %04o, owner %s)\n", created ? "created" : "exists ", path,
	       (unsigned)(st.st_mode & 07777), who);
}

/* The mover's staging directory for dst: set, or <dirname(dst)>/.mcspool-tmp. */
static void stage_dir_of(const char *set, const char *dst, char *out, size_t cap)
{
	if (set[0] != '\0') {
		snprintf(out, cap, "%s", set);
		return;
	}
	char tmp[ANSWER_MAX];
	snprintf(tmp, sizeof tmp, "%s", dst);
	char *d = dirname(tmp);
	snprintf(out, cap, "%s%s.mcspool-tmp", d, strcmp(d, "/") == 0 ? "" : "/");
}

void setup_make_tree(const struct owners *o, const struct config *b)
{
	const char *dd = setup_answer("data_dir");
	unsigned self = o->have ? 0 : o->uid_self;
	struct {
		const char *sub;
		unsigned uid;
	} t[] = {
		{ "", self },          { "raw", o->uid_fetch },  { "mta", o->uid_split },
		{ "audit", o->uid_split }, { "bad", o->uid_split }, { "state", self },
		{ "lock", self },      { "status", self },        { "tmp", self },          { "tmp/fetch", o->uid_fetch },
		{ "tmp/split", o->uid_split }, { "tmp/move", o->uid_move }, { "tmp/reap", o->uid_reap },
	};
	printf("Creating the directory tree:\n");
	char path[ANSWER_MAX + 32];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(path, sizeof path, "%s%s%s", dd, t[i].sub[0] ? "/" : "", t[i].sub);
		tree_dir(path, o->have ? t[i].uid : self, o);
	}
	tree_dir(setup_answer("read_path"), o->have ? o->uid_move : self, o);
	tree_dir(setup_answer("archive_dir"), o->have ? o->uid_move : self, o);
	char rs[ANSWER_MAX + 16], as[ANSWER_MAX + 16];
	stage_dir_of(b->read_stage_dir, setup_answer("read_path"), rs, sizeof rs);
	stage_dir_of(b->archive_stage_dir, setup_answer("archive_dir"), as, sizeof as);
	tree_dir(rs, o->have ? o->uid_move : self, o);
	if (strcmp(rs, as) != 0)
		tree_dir(as, o->have ? o->uid_move : self, o);
}

/* Replace dir/name with text, then set its mode and owner exactly. */
static void write_file(int dir, const char *shown, const char *name, const char *text,
		       size_t len, mode_t mode, int own, unsigned uid, unsigned gid)
{
	char tmp[SPOOL_NAME_MAX + 8];
	/* A stale temporary could carry a wider mode into the new file. */
	snprintf(tmp, sizeof tmp, ".%s.new", name);
	if (unlinkat(dir, tmp, 0) < 0 && errno != ENOENT)
		die_sys(exit_code_for_errno(errno), "unable to remove a stale %s.new", shown);
	if (spool_replace(dir, name, text, len, mode) < 0)
		die_sys(exit_code_for_errno(errno), "unable to write %s (%s)", shown, spool_errstep);
	if (fchmodat(dir, name, mode, 0) < 0)
		die_sys(exit_code_for_errno(errno), "unable to chmod %s", shown);
	if (own && fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		die_sys(exit_code_for_errno(errno), "unable to chown %s", shown);
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die_sys(exit_code_for_errno(errno), "unable to stat %s", shown);
	char who[96];
	owner_names(st.st_uid, st.st_gid, who, sizeof who);
	printf("  wrote %s (mode %04o, owner %s)\n", shown, (unsigned)(st.st_mode & 07777), who);
}

/* The other API's secret file stays referenced only while it exists. */
static const char *keep_if_exists(const char *path)
{
	return path[0] != '\0' && access(path, F_OK) == 0 ? path : "";
}

void setup_write_files(const char *conf_path, const struct owners *o, const struct config *b,
		       const struct setup_extra *x)
{
	char a[ANSWER_MAX], c[ANSWER_MAX];
	snprintf(a, sizeof a, "%s", conf_path);
	snprintf(c, sizeof c, "%s", conf_path);
	const char *confdir = dirname(a), *confname = basename(c);
	if (confname[0] == '\0' || strcmp(confname, "/") == 0 || strcmp(confname, ".") == 0)
		die(EXIT_PERM, "-c %s: not a file name", conf_path);
	make_parents(conf_path);
	int dir = open(confdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 && errno == ENOENT) {
		if (mkdir(confdir, 0755) < 0 || chmod(confdir, 0755) < 0)
			die_sys(exit_code_for_errno(errno), "unable to create %s", confdir);
		dir = open(confdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dir < 0)
		die_sys(exit_code_for_errno(errno), "unable to open %s", confdir);

	int api = (int)setup_answer_long("api");
	const char *sname = api == 1 ? "secret_key" : "client_secret";
	char spath[ANSWER_MAX + 32];
	snprintf(spath, sizeof spath, "%s%s%s", confdir, strcmp(confdir, "/") == 0 ? "" : "/", sname);
	printf("Writing the configuration:\n");
	const char *secret = setup_answer(sname);
	struct buf s;
	buf_init(&s, ANSWER_MAX + 2);
	if (buf_adds(&s, secret) < 0 || buf_addc(&s, '\n') < 0)
		die(EXIT_TEMP, "out of memory");
	/* Only the fetcher reads a secret: its user owns it, nobody else may read it. */
	write_file(dir, spath, sname, s.p, s.len, 0600, o->have, o->uid_fetch, o->gid);
	memset(s.p, 0, s.len);
	buf_free(&s);

	struct buf text;
	buf_init(&text, 1 << 20);
	if (setup_render(&text, b, x, api == 1 ? spath : keep_if_exists(b->mimecast.secret_key_file),
			 api == 2 ? spath : keep_if_exists(b->mimecast.client_secret_file)) < 0)
		die(EXIT_TEMP, "unable to build the configuration text");
	write_file(dir, conf_path, confname, text.p, text.len, 0640, o->have, 0, o->gid);
	buf_free(&text);
	close(dir);
}
