/* Unit tests for common/status.c: counters, last success, last error via the log hook. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "state.h"
#include "status.h"
#include "tap.h"

int main(void)
{
	plan(6);
	char dir[] = "/tmp/mcspool-status-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 2;
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	log_init("status-test");
	log_secret("hunter2-secret");
	status_open(d, "split");
	status_count("files", 2);
	status_count("events", 40);
	status_count("files", 1);
	status_pass_done();
	int devnull = open("/dev/null", O_WRONLY), saved = dup(2);
	dup2(devnull, 2);
	log_error("unable to open raw/x with hunter2-secret inside");
	dup2(saved, 2);

	struct buf b;
	buf_init(&b, STATE_MAX_BYTES);
	int v;
	char s[512];
	ok(state_load(d, "status.split", "status", 1, &b, &v) == 0, "state/status.split written");
	ok(state_get(&b, "c.files", s, sizeof s) == 0 && strcmp(s, "3") == 0, "counters add up");
	ok(state_get(&b, "c.events", s, sizeof s) == 0 && strcmp(s, "40") == 0, "a second counter");
	ok(state_get(&b, "last_success", s, sizeof s) == 0 && atoll(s) > 1700000000, "last_success is now");
	ok(state_get(&b, "last_error", s, sizeof s) == 0 &&
		   strcmp(s, "unable to open raw/x with [redacted] inside") == 0,
	   "the last error line is kept, without its prefix, redacted");
	diag("last_error: %s", s);
	/* Counters survive a restart. */
	status_open(d, "split");
	status_count("files", 1);
	status_pass_done();
	state_load(d, "status.split", "status", 1, &b, &v);
	ok(state_get(&b, "c.files", s, sizeof s) == 0 && strcmp(s, "4") == 0, "counters are cumulative across runs");
	buf_free(&b);
	char cmd[100];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done();
}
