/* Unit tests for common/config.c: a good file, and each kind of bad file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char dir[] = "/tmp/mcspool-config-XXXXXX";
static char path[256];

static void write_file(const char *p, const char *text, mode_t mode)
{
	FILE *f = fopen(p, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
	if (chmod(p, mode) < 0)
		exit(2);
}

/* Load text as a config; return the error (or "" when it loaded). */
static const char *try(const char *text, int flags)
{
	static char err[1024];
	write_file(path, text, 0640);
	struct config *c = config_try_load(path, flags, err, sizeof err);
	if (c != NULL) {
		config_free(c);
		return "";
	}
	/* Drop the directory part so the expectations read well. */
	return strncmp(err, dir, strlen(dir)) == 0 ? err + strlen(dir) + 1 : err;
}

static void bad(const char *text, const char *want, const char *name)
{
	const char *got = try(text, 0);
	int r = ok(strstr(got, want) != NULL, "%s", name);
	if (!r)
		diag("got '%s', want it to contain '%s'", got, want);
}

int main(void)
{
	plan(40);
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof path, "%s/mcspool.conf", dir);

	/* A full, good file. */
	char err[1024];
	write_file(path,
		   "# the example\n"
		   "data_dir = \"/var/spool/mcspool\"\n"
		   "read_path = \"/var/log/mcspool/read\"\n"
		   "archive_dir = \"/var/log/mcspool/archive\"\n"
		   "log_source_id = 42\n"
		   "audit_log_source_id = 43\n"
		   "max_files = 5\n"
		   "retention_days = 3\n"
		   "output_format = \"json\"\n"
		   "line_ending = \"crlf\"\n"
		   "max_file_bytes = 2048\n"
		   "sandbox = \"require\"\n"
		   "log_dirs = {\"/var/log/mcspool/fetch\"}\n"
		   "consumer { type = \"filebeat\"  state_dir = \"/var/lib/filebeat/registry/filebeat\"  quiet_minutes = 4 }\n"
		   "mimecast {\n"
		   "  api = 1\n"
		   "  base_url = \"https://eu-api.mimecast.com\"\n"
		   "  app_id = \"app\"  app_key = \"appkey-secret\"  access_key = \"access\"\n"
		   "  secret_key = \"c2VjcmV0\"\n"
		   "  compress = false  siem = true  audit = false\n"
		   "  siem_types = {\"receipt\", \"url protect\"}\n"
		   "  poll_seconds = 60\n"
		   "  audit_lag_seconds = 300\n"
		   "}\n",
		   0600);
	struct config *c = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
	ok(c != NULL, "a full config loads");
	if (c == NULL) {
		diag("%s", err);
		return done();
	}
	is_str(c->data_dir, "/var/spool/mcspool", "data_dir");
	is_int(c->log_source_id, 42, "log_source_id");
	is_int(c->max_files, 5, "max_files");
	is_int(c->output_format, FORMAT_JSON, "output_format json");
	is_int(c->line_ending, EOL_CRLF, "line_ending crlf");
	is_int(c->sandbox, SANDBOX_REQUIRE, "sandbox require");
	is_int(c->consumer.type, CONSUMER_FILEBEAT, "consumer filebeat");
	is_int((long long)c->nlog_dirs, 1, "log_dirs");
	is_int(c->mimecast.api, 1, "api 1");
	is_int(c->mimecast.compress, 0, "compress false");
	is_int((long long)c->mimecast.nsiem_types, 2, "two siem types");
	is_str(c->mimecast.siem_types[1], "url protect", "a type with a space");
	is_str(c->mimecast.secret_key, "c2VjcmV0", "secret kept for the fetcher");
	config_free(c);

	/* Without CONFIG_SECRETS the inline secrets are gone. */
	c = config_try_load(path, 0, err, sizeof err);
	ok(c != NULL && c->mimecast.secret_key[0] == '\0' && c->mimecast.app_key[0] == '\0',
	   "other stages never see inline secrets");
	config_free(c);

	/* Defaults. */
	ok(strcmp(try("", 0), "") == 0, "an empty file is all defaults");
	write_file(path, "", 0640);
	c = config_try_load(path, 0, err, sizeof err);
	ok(c != NULL && c->max_files == 20 && c->retention_days == 7 && c->mimecast.api == 2 &&
		   c->mimecast.nsiem_types == 10 && c->mimecast.audit_lag_seconds == 120,
	   "defaults as in DESIGN.md section 6");
	config_free(c);

	bad("data_dir = \"/a\"\n\n# comment\ndta_dir = \"/b\"\n", "mcspool.conf:4: unknown option 'dta_dir'",
	    "unknown key: file and line (after comments)");
	bad("mimecast {\n  # c\n  poll_seconds = 5\n}\n", "mcspool.conf:3: poll_seconds = 5 is out of range",
	    "range error inside a section has its own line");
	bad("read_path = \"relative/x\"\n", "read_path must be an absolute path", "relative path refused");
	bad("output_format = \"xml\"\n", "output_format = 'xml' is not one of: kv | json", "bad enum");
	bad("line_ending = \"cr\"\n", "not one of: lf | crlf", "bad line_ending");
	bad("max_files = \"many\"\n", "mcspool.conf:1: invalid integer value for option 'max_files'",
	    "bad integer");
	bad("max_files = 0\n", "max_files = 0 is out of range", "max_files too small");
	bad("mimecast { siem_types = {\"receipt\", \"bogus\"} }\n", "unknown type 'bogus'", "bad siem type");
	bad("mimecast { audit_lag_seconds = 301 }\n", "audit_lag_seconds = 301 is out of range",
	    "audit lag at most 300");
	bad("mimecast { base_url = \"ftp://x\" }\n", "must be an https:// URL", "bad base_url");
	bad("data_dir = \"/a\n", "mcspool.conf:2:", "unterminated string");
	bad("consumer { type = \"logrhythm\" state_dir = \"\" }\n", "consumer.state_dir must be set",
	    "logrhythm needs a state_dir");
	bad("data_dir = \"/s\"\nread_path = \"/s/read\"\n", "read_path (/s/read) must not be inside data_dir (/s)",
	    "read_path inside data_dir is refused");
	bad("read_path = \"/r\"\narchive_dir = \"/r\"\n", "must not be the same as read_path",
	    "archive_dir = read_path is refused");
	ok(strcmp(try("data_dir = \"/srv/spool\"\nread_path = \"/srv/spool-read\"\n", 0), "") == 0,
	   "a sibling whose name starts alike is fine");

	/* Secret files. */
	char sec[300];
	snprintf(sec, sizeof sec, "%s/secret", dir);
	write_file(sec, "c2VjcmV0LWZyb20tZmlsZQ==\n", 0644);
	char text[600];
	snprintf(text, sizeof text, "mimecast { secret_key_file = \"%s\" }\n", sec);
	write_file(path, text, 0640);
	c = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
	ok(c == NULL && strstr(err, "readable by group or others (mode 0644): run chmod 600") != NULL,
	   "a secret file readable by others is refused, saying what to do");
	if (c == NULL)
		diag("%s", err);
	config_free(c);
	chmod(sec, 0600);
	c = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
	ok(c != NULL && strcmp(c->mimecast.secret_key, "c2VjcmV0LWZyb20tZmlsZQ==") == 0,
	   "a 0600 secret file is read, trailing newline dropped");
	config_free(c);
	chmod(sec, 0644);
	c = config_try_load(path, 0, err, sizeof err);
	ok(c != NULL, "a stage without secrets never opens the secret file");
	config_free(c);

	write_file(path, "mimecast { client_secret = \"abcdef\" }\n", 0644);
	c = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
	ok(c == NULL && strstr(err, "holds a secret but is readable by others") != NULL,
	   "an inline secret in a world-readable file is refused");
	config_free(c);

	c = config_try_load("/nonexistent/mcspool.conf", 0, err, sizeof err);
	is_str(err, "unable to open /nonexistent/mcspool.conf: No such file or directory",
	       "a missing file names the path");

	unsetenv("MCSPOOL_CONF");
	is_str(config_path(NULL), CONFIG_DEFAULT_PATH, "default path");
	setenv("MCSPOOL_CONF", "/x.conf", 1);
	is_str(config_path(NULL), "/x.conf", "$MCSPOOL_CONF");
	is_str(config_path("/y.conf"), "/y.conf", "-c wins");

	unlink(sec);
	unlink(path);
	rmdir(dir);
	return done();
}
