/* config.c: the libconfuse schema and validation for mcspool.conf. */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* The API 2.0 SIEM event types (mimecast-api.md section 4.6). */
static const char *const siem_type_names[] = {
	"receipt", "process", "delivery", "av", "spam", "internal email protect",
	"impersonation protect", "url protect", "attachment protect", "journal",
};
#define NSIEM_TYPES (sizeof siem_type_names / sizeof siem_type_names[0])

/* Where errors go while parsing. libconfuse hands the error function the
 * section being parsed, whose line counter is the current one. */
static cfg_t *top;
static char *errbuf;
static size_t errcap;

static const char *parsing; /* the file name, for messages */

static void on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (errbuf == NULL || errbuf[0] != '\0')
		return; /* keep the first error: later ones are consequences */
	char msg[512];
	/* libconfuse's wording for a misspelt key; say it the way operators expect. */
	if (strcmp(fmt, "no such option '%s'") == 0)
		fmt = "unknown option '%s'";
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* A section's cfg_t tracks the line inside it; the top one outside. */
	int line = cfg != NULL ? cfg->line : top != NULL ? top->line : 0;
	if (line > 0)
		snprintf(errbuf, errcap, "%s:%d: %s", parsing, line, msg);
	else
		snprintf(errbuf, errcap, "%s: %s", parsing, msg);
}

static int v_abspath(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	if (v != NULL && v[0] != '\0' && v[0] != '/') {
		cfg_error(cfg, "%s must be an absolute path, not '%s'", opt->name, v);
		return -1;
	}
	return 0;
}

static int v_abspath_required(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	if (v == NULL || v[0] != '/') {
		cfg_error(cfg, "%s must be an absolute path, not '%s'", opt->name, v ? v : "");
		return -1;
	}
	return 0;
}

static int range(cfg_t *cfg, cfg_opt_t *opt, long lo, long hi)
{
	long v = cfg_opt_getnint(opt, 0);
	if (v < lo || v > hi) {
		cfg_error(cfg, "%s = %ld is out of range (%ld to %ld)", opt->name, v, lo, hi);
		return -1;
	}
	return 0;
}

#define RANGE(fn, lo, hi) \
	static int fn(cfg_t *cfg, cfg_opt_t *opt) { return range(cfg, opt, lo, hi); }
RANGE(v_id, 0, 2147483647L)
RANGE(v_max_files, 1, 100000)
RANGE(v_retention, 1, 3650)
RANGE(v_file_bytes, 1024, 1L << 40)
RANGE(v_quiet, 1, 10080)
RANGE(v_api, 1, 2)
RANGE(v_poll, 10, 86400)
RANGE(v_lag, 0, 300)
RANGE(v_connect, 1, 600)
RANGE(v_lowspeed, 5, 3600)
RANGE(v_timeout, 10, 86400)

static int oneof(cfg_t *cfg, cfg_opt_t *opt, const char *const *names)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	char list[128] = "";
	for (size_t i = 0; names[i] != NULL; i++) {
		if (v != NULL && strcmp(v, names[i]) == 0)
			return 0;
		strcat(list, i ? " | " : "");
		strcat(list, names[i]);
	}
	cfg_error(cfg, "%s = '%s' is not one of: %s", opt->name, v ? v : "", list);
	return -1;
}

#define ONEOF(fn, ...)                                          \
	static int fn(cfg_t *cfg, cfg_opt_t *opt)               \
	{                                                       \
		static const char *const n[] = { __VA_ARGS__, NULL }; \
		return oneof(cfg, opt, n);                      \
	}
ONEOF(v_format, "kv", "json")
ONEOF(v_eol, "lf", "crlf")
ONEOF(v_sandbox, "on", "require", "off")
ONEOF(v_consumer, "logrhythm", "filebeat", "quiet")

static int v_types(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned n = cfg_opt_size(opt);
	if (n > CONFIG_MAX_TYPES) {
		cfg_error(cfg, "siem_types has more than %d entries", CONFIG_MAX_TYPES);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_opt_getnstr(opt, i);
		size_t k;
		for (k = 0; k < NSIEM_TYPES; k++)
			if (strcmp(v, siem_type_names[k]) == 0)
				break;
		if (k == NSIEM_TYPES) {
			cfg_error(cfg, "siem_types: unknown type '%s' (known: receipt, process, delivery, "
				       "av, spam, internal email protect, impersonation protect, url protect, "
				       "attachment protect, journal)", v);
			return -1;
		}
	}
	return 0;
}

static int v_logdirs(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned n = cfg_opt_size(opt);
	if (n > CONFIG_MAX_LOGDIRS) {
		cfg_error(cfg, "log_dirs has more than %d entries", CONFIG_MAX_LOGDIRS);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_opt_getnstr(opt, i);
		if (v[0] != '/') {
			cfg_error(cfg, "log_dirs: '%s' must be an absolute path", v);
			return -1;
		}
	}
	return 0;
}

static int v_base_url(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	if (v == NULL || (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)) {
		cfg_error(cfg, "base_url = '%s' must be an https:// URL", v ? v : "");
		return -1;
	}
	return 0;
}

#define TYPES_DEFAULT "{\"receipt\", \"process\", \"delivery\", \"av\", \"spam\", " \
		      "\"internal email protect\", \"impersonation protect\", \"url protect\", " \
		      "\"attachment protect\", \"journal\"}"

static cfg_t *schema(void)
{
	static cfg_opt_t consumer[] = {
		CFG_STR("type", "logrhythm", CFGF_NONE),
		CFG_STR("state_dir", "/opt/logrhythm/scsm/state", CFGF_NONE),
		CFG_STR("reader_path", "", CFGF_NONE),
		CFG_STR("audit_reader_path", "", CFGF_NONE),
		CFG_INT("quiet_minutes", 10, CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t mimecast[] = {
		CFG_INT("api", 2, CFGF_NONE),
		CFG_STR("base_url", "https://api.services.mimecast.com", CFGF_NONE),
		CFG_STR("app_id", "", CFGF_NONE),
		CFG_STR("app_key", "", CFGF_NONE),
		CFG_STR("access_key", "", CFGF_NONE),
		CFG_STR("secret_key", "", CFGF_NONE),
		CFG_STR("email", "", CFGF_NONE),
		CFG_STR("account_code", "", CFGF_NONE),
		CFG_STR("client_id", "", CFGF_NONE),
		CFG_STR("client_secret", "", CFGF_NONE),
		CFG_STR("secret_key_file", "", CFGF_NONE),
		CFG_STR("client_secret_file", "", CFGF_NONE),
		CFG_STR("ca_file", "", CFGF_NONE),
		CFG_STR("proxy", "", CFGF_NONE),
		CFG_BOOL("compress", cfg_true, CFGF_NONE),
		CFG_BOOL("siem", cfg_true, CFGF_NONE),
		CFG_BOOL("audit", cfg_true, CFGF_NONE),
		CFG_STR_LIST("siem_types", TYPES_DEFAULT, CFGF_NONE),
		CFG_INT("poll_seconds", 300, CFGF_NONE),
		CFG_INT("audit_lag_seconds", 120, CFGF_NONE),
		CFG_INT("connect_timeout", 30, CFGF_NONE),
		CFG_INT("low_speed_time", 60, CFGF_NONE),
		CFG_INT("timeout", 3600, CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t opts[] = {
		CFG_STR("data_dir", "/var/spool/mcspool", CFGF_NONE),
		CFG_STR("read_path", "/var/log/mcspool/read", CFGF_NONE),
		CFG_STR("archive_dir", "/var/log/mcspool/archive", CFGF_NONE),
		CFG_INT("log_source_id", 0, CFGF_NONE),
		CFG_INT("audit_log_source_id", 0, CFGF_NONE),
		CFG_INT("max_files", 20, CFGF_NONE),
		CFG_INT("retention_days", 7, CFGF_NONE),
		CFG_STR("output_format", "kv", CFGF_NONE),
		CFG_STR("line_ending", "lf", CFGF_NONE),
		CFG_INT("max_file_bytes", 10485760, CFGF_NONE),
		CFG_STR("sandbox", "on", CFGF_NONE),
		CFG_STR_LIST("log_dirs", "{}", CFGF_NONE),
		CFG_STR("read_stage_dir", "", CFGF_NONE),
		CFG_STR("archive_stage_dir", "", CFGF_NONE),
		CFG_SEC("consumer", consumer, CFGF_NONE),
		CFG_SEC("mimecast", mimecast, CFGF_NONE),
		CFG_END(),
	};
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL)
		die(EXIT_TEMP, "out of memory");
	cfg_set_error_function(cfg, on_error);
	struct {
		const char *key;
		cfg_validate_callback_t fn;
	} v[] = {
		{ "data_dir", v_abspath_required },
		{ "read_path", v_abspath_required },
		{ "archive_dir", v_abspath_required },
		{ "log_source_id", v_id },
		{ "audit_log_source_id", v_id },
		{ "max_files", v_max_files },
		{ "retention_days", v_retention },
		{ "output_format", v_format },
		{ "line_ending", v_eol },
		{ "max_file_bytes", v_file_bytes },
		{ "sandbox", v_sandbox },
		{ "log_dirs", v_logdirs },
		{ "read_stage_dir", v_abspath },
		{ "archive_stage_dir", v_abspath },
		{ "consumer|type", v_consumer },
		{ "consumer|state_dir", v_abspath },
		{ "consumer|quiet_minutes", v_quiet },
		{ "mimecast|api", v_api },
		{ "mimecast|base_url", v_base_url },
		{ "mimecast|secret_key_file", v_abspath },
		{ "mimecast|client_secret_file", v_abspath },
		{ "mimecast|ca_file", v_abspath },
		{ "mimecast|siem_types", v_types },
		{ "mimecast|poll_seconds", v_poll },
		{ "mimecast|audit_lag_seconds", v_lag },
		{ "mimecast|connect_timeout", v_connect },
		{ "mimecast|low_speed_time", v_lowspeed },
		{ "mimecast|timeout", v_timeout },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		cfg_set_validate_func(cfg, v[i].key, v[i].fn);
	return cfg;
}

static char *xdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d == NULL)
		die(EXIT_TEMP, "out of memory");
	return d;
}

static void wipe(char **s)
{
	if (*s != NULL) {
		volatile char *p = *s;
		while (*p)
			*p++ = '\0';
		free(*s);
	}
	*s = xdup("");
}

/* Read a secret from a file that only its owner may read. */
static int read_secret(const char *key, const char *path, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: unable to open %s: %s", key, path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a regular file", key, path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: %s is readable by group or others (mode %04o): "
				      "run chmod 600 %s", key, path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	char buf[4097];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: unable to read %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (n == (ssize_t)sizeof buf - 1) {
		snprintf(err, errlen, "%s: %s is too long for a secret (over 4096 bytes)", key, path);
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: %s is empty", key, path);
		return -1;
	}
	free(*out);
	*out = xdup(buf);
	memset(buf, 0, sizeof buf);
	return 0;
}

#define CONFIG_MAX_BYTES (1 << 20)

/* Is path dir itself or below it? (Both absolute; a trailing '/' on dir
 * is allowed.) */
static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Replace comments (#..., //..., and C comments) outside quoted strings
 * by spaces, keeping every newline, so line numbers stay exact. */
static void blank_comments(char *s, size_t n)
{
	char quote = 0;
	for (size_t i = 0; i < n; i++) {
		if (quote) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == quote)
				quote = 0;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
		} else if (s[i] == '#' || (s[i] == '/' && i + 1 < n && s[i + 1] == '/')) {
			while (i < n && s[i] != '\n')
				s[i++] = ' ';
		} else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			s[i] = s[i + 1] = ' ';
			for (i += 2; i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/'); i++)
				if (s[i] != '\n')
					s[i] = ' ';
			if (i < n)
				s[i] = s[i + 1] = ' ';
			i++;
		}
	}
}

const char *config_path(const char *opt)
{
	if (opt != NULL)
		return opt;
	const char *env = getenv("MCSPOOL_CONF");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

struct config *config_try_load(const char *path, int flags, char *err, size_t errlen)
{
	err[0] = '\0';
	/* We read the file ourselves: to say which file is missing, and to
	 * blank out comments before libconfuse sees them (libconfuse 3.3
	 * counts each '#' comment line three times, so its line numbers drift
	 * after the first comment). */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "unable to open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "unable to stat %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	struct buf text;
	buf_init(&text, CONFIG_MAX_BYTES);
	char chunk[4096];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || buf_add(&text, chunk, (size_t)got) < 0) {
			snprintf(err, errlen, "unable to read %s: %s", path,
				 got < 0 ? strerror(errno) : "larger than 1 MiB");
			close(fd);
			buf_free(&text);
			return NULL;
		}
	}
	close(fd);
	if (text.p == NULL && buf_add(&text, "", 0) < 0)
		die(EXIT_TEMP, "out of memory");
	blank_comments(text.p, text.len);

	cfg_t *cfg = schema();
	top = cfg;
	parsing = path;
	errbuf = err;
	errcap = errlen;
	int r = cfg_parse_buf(cfg, text.p);
	top = NULL;
	errbuf = NULL;
	buf_free(&text);
	if (r != CFG_SUCCESS) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: unable to parse", path);
		cfg_free(cfg);
		return NULL;
	}

	struct config *c = calloc(1, sizeof *c);
	if (c == NULL)
		die(EXIT_TEMP, "out of memory");
	c->path = xdup(path);
	c->data_dir = xdup(cfg_getstr(cfg, "data_dir"));
	c->read_path = xdup(cfg_getstr(cfg, "read_path"));
	c->archive_dir = xdup(cfg_getstr(cfg, "archive_dir"));
	c->log_source_id = cfg_getint(cfg, "log_source_id");
	c->audit_log_source_id = cfg_getint(cfg, "audit_log_source_id");
	c->max_files = cfg_getint(cfg, "max_files");
	c->retention_days = cfg_getint(cfg, "retention_days");
	c->output_format = strcmp(cfg_getstr(cfg, "output_format"), "json") == 0 ? FORMAT_JSON : FORMAT_KV;
	c->line_ending = strcmp(cfg_getstr(cfg, "line_ending"), "crlf") == 0 ? EOL_CRLF : EOL_LF;
	c->max_file_bytes = cfg_getint(cfg, "max_file_bytes");
	const char *sb = cfg_getstr(cfg, "sandbox");
	c->sandbox = strcmp(sb, "off") == 0 ? SANDBOX_OFF
		   : strcmp(sb, "require") == 0 ? SANDBOX_REQUIRE : SANDBOX_ON;
	c->read_stage_dir = xdup(cfg_getstr(cfg, "read_stage_dir"));
	c->archive_stage_dir = xdup(cfg_getstr(cfg, "archive_stage_dir"));
	c->nlog_dirs = cfg_size(cfg, "log_dirs");
	for (size_t i = 0; i < c->nlog_dirs; i++)
		c->log_dirs[i] = xdup(cfg_getnstr(cfg, "log_dirs", (unsigned)i));

	cfg_t *cs = cfg_getsec(cfg, "consumer");
	const char *ct = cfg_getstr(cs, "type");
	c->consumer.type = strcmp(ct, "filebeat") == 0 ? CONSUMER_FILEBEAT
			 : strcmp(ct, "quiet") == 0 ? CONSUMER_QUIET : CONSUMER_LOGRHYTHM;
	c->consumer.state_dir = xdup(cfg_getstr(cs, "state_dir"));
	c->consumer.reader_path = xdup(cfg_getstr(cs, "reader_path"));
	c->consumer.audit_reader_path = xdup(cfg_getstr(cs, "audit_reader_path"));
	c->consumer.quiet_minutes = cfg_getint(cs, "quiet_minutes");

	cfg_t *m = cfg_getsec(cfg, "mimecast");
	c->mimecast.api = (int)cfg_getint(m, "api");
	c->mimecast.base_url = xdup(cfg_getstr(m, "base_url"));
	c->mimecast.app_id = xdup(cfg_getstr(m, "app_id"));
	c->mimecast.app_key = xdup(cfg_getstr(m, "app_key"));
	c->mimecast.access_key = xdup(cfg_getstr(m, "access_key"));
	c->mimecast.secret_key = xdup(cfg_getstr(m, "secret_key"));
	c->mimecast.email = xdup(cfg_getstr(m, "email"));
	c->mimecast.account_code = xdup(cfg_getstr(m, "account_code"));
	c->mimecast.client_id = xdup(cfg_getstr(m, "client_id"));
	c->mimecast.client_secret = xdup(cfg_getstr(m, "client_secret"));
	c->mimecast.secret_key_file = xdup(cfg_getstr(m, "secret_key_file"));
	c->mimecast.client_secret_file = xdup(cfg_getstr(m, "client_secret_file"));
	c->mimecast.ca_file = xdup(cfg_getstr(m, "ca_file"));
	c->mimecast.proxy = xdup(cfg_getstr(m, "proxy"));
	c->mimecast.compress = cfg_getbool(m, "compress");
	c->mimecast.siem = cfg_getbool(m, "siem");
	c->mimecast.audit = cfg_getbool(m, "audit");
	c->mimecast.nsiem_types = cfg_size(m, "siem_types");
	for (size_t i = 0; i < c->mimecast.nsiem_types; i++)
		c->mimecast.siem_types[i] = xdup(cfg_getnstr(m, "siem_types", (unsigned)i));
	c->mimecast.poll_seconds = cfg_getint(m, "poll_seconds");
	c->mimecast.audit_lag_seconds = cfg_getint(m, "audit_lag_seconds");
	c->mimecast.connect_timeout = cfg_getint(m, "connect_timeout");
	c->mimecast.low_speed_time = cfg_getint(m, "low_speed_time");
	c->mimecast.timeout = cfg_getint(m, "timeout");
	cfg_free(cfg);

	if ((c->consumer.type == CONSUMER_LOGRHYTHM || c->consumer.type == CONSUMER_FILEBEAT) &&
	    c->consumer.state_dir[0] != '/') {
		snprintf(err, errlen, "%s: consumer.state_dir must be set (an absolute path) for "
				      "consumer type %s", path,
			 c->consumer.type == CONSUMER_FILEBEAT ? "filebeat" : "logrhythm");
		config_free(c);
		return NULL;
	}

	/* The three trees must be apart: a reader watching read_path must not
	 * see the spool's temporaries, and the reaper's retention must not
	 * reach into read_path or the spool. */
	const char *const tree[][2] = { { "data_dir", c->data_dir }, { "read_path", c->read_path },
					{ "archive_dir", c->archive_dir } };
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < 3; k++)
			if (i != k && path_within(tree[k][1], tree[i][1])) {
				snprintf(err, errlen, "%s: %s (%s) must not be %s %s (%s)", path,
					 tree[k][0], tree[k][1],
					 strcmp(tree[k][1], tree[i][1]) == 0 ? "the same as" : "inside",
					 tree[i][0], tree[i][1]);
				config_free(c);
				return NULL;
			}

	if (!(flags & CONFIG_SECRETS)) {
		/* Not ours to know: forget inline secrets now. */
		wipe(&c->mimecast.secret_key);
		wipe(&c->mimecast.client_secret);
		wipe(&c->mimecast.app_key);
		return c;
	}

	int inline_secret = c->mimecast.secret_key[0] || c->mimecast.client_secret[0];
	if (inline_secret && (st.st_mode & 007)) {
		snprintf(err, errlen, "%s holds a secret but is readable by others (mode %04o): "
				      "chmod 640 it, or move the secret to secret_key_file / "
				      "client_secret_file", path, (unsigned)(st.st_mode & 07777));
		config_free(c);
		return NULL;
	}
	if (c->mimecast.secret_key_file[0] &&
	    read_secret("secret_key_file", c->mimecast.secret_key_file, &c->mimecast.secret_key,
			err, errlen) < 0) {
		config_free(c);
		return NULL;
	}
	if (c->mimecast.client_secret_file[0] &&
	    read_secret("client_secret_file", c->mimecast.client_secret_file,
			&c->mimecast.client_secret, err, errlen) < 0) {
		config_free(c);
		return NULL;
	}
	log_secret(c->mimecast.secret_key);
	log_secret(c->mimecast.client_secret);
	log_secret(c->mimecast.app_key);
	log_secret(c->mimecast.access_key);
	return c;
}

struct config *config_load(const char *path, int flags)
{
	char err[1024];
	struct config *c = config_try_load(path, flags, err, sizeof err);
	if (c == NULL)
		die(EXIT_PERM, "%s", err);
	return c;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	char **strs[] = {
		&c->path, &c->data_dir, &c->read_path, &c->archive_dir, &c->consumer.state_dir,
		&c->consumer.reader_path, &c->consumer.audit_reader_path, &c->read_stage_dir,
		&c->archive_stage_dir, &c->mimecast.base_url, &c->mimecast.app_id,
		&c->mimecast.app_key, &c->mimecast.access_key, &c->mimecast.secret_key,
		&c->mimecast.email, &c->mimecast.account_code, &c->mimecast.client_id,
		&c->mimecast.client_secret, &c->mimecast.secret_key_file,
		&c->mimecast.client_secret_file, &c->mimecast.ca_file, &c->mimecast.proxy,
	};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	for (size_t i = 0; i < c->nlog_dirs; i++)
		free(c->log_dirs[i]);
	for (size_t i = 0; i < c->mimecast.nsiem_types; i++)
		free(c->mimecast.siem_types[i]);
	free(c);
}
