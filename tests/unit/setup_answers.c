/* setup_answers.c: mcspool-setup's answer validation, and the config text
 * it renders read back by config_try_load() (every answer where it belongs,
 * the carried-over keys unchanged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../admin/admin.h"
#include "config.h"
#include "tap.h"

static const char *why_of(const char *key, const char *v)
{
	static char why[512];
	struct question *q = setup_question(key);
	return setup_validate(q, v, why, sizeof why);
}

static void answer(const char *key, const char *v)
{
	struct question *q = setup_question(key);
	snprintf(q->value, sizeof q->value, "%s", v);
	q->origin = FROM_OPTION;
}

int main(void)
{
	plan(27);
	char err[1024];
	struct config *d = config_try_load("/dev/null", 0, err, sizeof err);
	ok(d != NULL, "the built-in defaults load from an empty file");
	if (d == NULL)
		return 1;
	setup_defaults(d, FROM_DEFAULT);
	is_str(setup_answer("data_dir"), "/var/spool/mcspool", "default data_dir");
	is_str(setup_answer("api"), "2", "default API version 2");
	ok(setup_question("secret_key")->value[0] == '\0', "no default secret");

	ok(why_of("data_dir", "/srv/spool") == NULL, "an absolute path is fine");
	ok(why_of("data_dir", "srv/spool") != NULL, "a relative path is refused");
	ok(why_of("data_dir", "/") != NULL, "/ is refused");
	ok(why_of("data_dir", "/srv/../etc") != NULL, "'..' is refused");
	ok(why_of("data_dir", "/srv/a\"b") != NULL, "a quote is refused");
	ok(why_of("data_dir", "/dev/null") != NULL, "an existing non-directory is refused");
	answer("data_dir", "/srv/spool");
	answer("read_path", "/srv/read");
	ok(why_of("read_path", "/srv") != NULL, "read_path containing data_dir is refused");
	ok(why_of("archive_dir", "/srv/read/old") != NULL, "archive_dir inside read_path is refused");
	ok(why_of("archive_dir", "/srv/read") != NULL, "archive_dir equal to read_path is refused");
	ok(why_of("archive_dir", "/srv/spool/archive") == NULL, "archive_dir inside data_dir is fine");

	ok(why_of("max_files", "0") != NULL && why_of("max_files", "100001") != NULL &&
		   why_of("max_files", "20") == NULL,
	   "max_files range 1..100000");
	ok(why_of("log_source_id", "-1") != NULL && why_of("log_source_id", "12x") != NULL,
	   "log_source_id digits only");
	ok(why_of("api", "3") != NULL && why_of("api", "1") == NULL, "api 1 or 2");
	ok(why_of("secret_key", "bm90IGEgc2VjcmV0") == NULL, "a base64 secret key");
	ok(why_of("secret_key", "bm90 IGEg") != NULL && why_of("secret_key", "***") != NULL,
	   "a secret key that is not base64");
	ok(why_of("email", "a@example.com") == NULL && why_of("email", "a@b") != NULL &&
		   why_of("email", "@example.com") != NULL,
	   "email addresses");
	ok(why_of("base_url", "https://eu-api.services.mimecast.com") == NULL &&
		   why_of("base_url", "http://example.com") != NULL,
	   "base_url: https, or http to loopback only");

	/* Render, read back. */
	answer("archive_dir", "/srv/archive");
	answer("log_source_id", "42");
	answer("max_files", "7");
	answer("retention_days", "30");
	answer("api", "1");
	answer("app_id", "app-1");
	answer("app_key", "key-1");
	answer("access_key", "acc-1");
	answer("email", "svc@example.com");
	struct setup_extra x = { "/etc/ssl/extra.pem", "require", "CXX00A000", "https://eu-api.mimecast.com" };
	struct buf text;
	buf_init(&text, 1 << 20);
	ok(setup_render(&text, d, &x, "/etc/mcspool/secret_key", "") == 0, "render");
	char path[] = "/tmp/setup_answers.XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, text.p, text.len) == (ssize_t)text.len && close(fd) == 0,
	   "written to %s", path);
	struct config *c = config_try_load(path, 0, err, sizeof err);
	if (!ok(c != NULL, "the rendered config loads"))
		diag("%s", err);
	if (c != NULL) {
		ok(strcmp(c->data_dir, "/srv/spool") == 0 && strcmp(c->read_path, "/srv/read") == 0 &&
			   strcmp(c->archive_dir, "/srv/archive") == 0 && c->log_source_id == 42 &&
			   c->max_files == 7 && c->retention_days == 30,
		   "the answers are where they belong");
		ok(c->mimecast.api == 1 && strcmp(c->mimecast.base_url, "https://eu-api.mimecast.com") == 0 &&
			   strcmp(c->mimecast.account_code, "CXX00A000") == 0 &&
			   strcmp(c->mimecast.secret_key_file, "/etc/mcspool/secret_key") == 0 &&
			   strcmp(c->mimecast.ca_file, "/etc/ssl/extra.pem") == 0 &&
			   c->sandbox == SANDBOX_REQUIRE,
		   "API 1.0 keys, discovered URL, account code, extras");
		ok(c->mimecast.nsiem_types == d->mimecast.nsiem_types &&
			   c->mimecast.poll_seconds == d->mimecast.poll_seconds &&
			   c->consumer.type == d->consumer.type &&
			   strcmp(c->consumer.state_dir, d->consumer.state_dir) == 0 &&
			   c->max_file_bytes == d->max_file_bytes,
		   "keys not asked keep their values");
		config_free(c);
	}
	unlink(path);
	buf_free(&text);
	config_free(d);
	return done();
}
