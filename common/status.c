/* status.c: see status.h. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "state.h"

#define STATUS_KIND "status"
#define STATUS_VERSION 1

static int dir = -1;
static char name[64];
static struct {
	char key[32];
	long long value;
} counters[STATUS_MAX_COUNTERS];
static size_t ncounters;
static long long last_success, last_error_time;
static char last_error[512];
static int saving; /* a failing save logs an error: do not recurse */

static void save(void)
{
	if (dir < 0 || saving)
		return;
	saving = 1;
	struct buf b;
	buf_init(&b, 64 * 1024);
	char v[64];
	snprintf(v, sizeof v, "%lld", last_success);
	int r = state_put(&b, "last_success", v);
	if (last_error_time > 0) {
		snprintf(v, sizeof v, "%lld", last_error_time);
		r |= state_put(&b, "last_error_time", v);
		r |= state_put(&b, "last_error", last_error);
	}
	for (size_t i = 0; i < ncounters; i++) {
		char k[40];
		snprintf(k, sizeof k, "c.%.31s", counters[i].key);
		snprintf(v, sizeof v, "%lld", counters[i].value);
		r |= state_put(&b, k, v);
	}
	if (r != 0 || state_save(dir, name, STATUS_KIND, STATUS_VERSION, b.p, b.len) < 0)
		log_warn_sys("unable to save status/%s", name);
	buf_free(&b);
	saving = 0;
}

static void on_error_line(const char *line)
{
	/* Keep the message, not the "prog: level: " prefix. */
	const char *p = strstr(line, ": error: ");
	p = p ? p + 9 : (p = strstr(line, ": fatal: ")) ? p + 9 : line;
	snprintf(last_error, sizeof last_error, "%s", p);
	last_error_time = (long long)time(NULL);
	save();
}

static long long *counter(const char *key)
{
	for (size_t i = 0; i < ncounters; i++)
		if (strcmp(counters[i].key, key) == 0)
			return &counters[i].value;
	if (ncounters == STATUS_MAX_COUNTERS || strlen(key) >= sizeof counters[0].key)
		return NULL;
	snprintf(counters[ncounters].key, sizeof counters[0].key, "%s", key);
	counters[ncounters].value = 0;
	return &counters[ncounters++].value;
}

void status_open(int statedir, const char *stage)
{
	snprintf(name, sizeof name, "status.%s", stage);
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	int version;
	if (state_load(statedir, name, STATUS_KIND, STATUS_VERSION, &body, &version) == 0) {
		char v[512];
		if (state_get(&body, "last_success", v, sizeof v) == 0)
			last_success = strtoll(v, NULL, 10);
		if (state_get(&body, "last_error_time", v, sizeof v) == 0)
			last_error_time = strtoll(v, NULL, 10);
		if (state_get(&body, "last_error", v, sizeof v) == 0)
			snprintf(last_error, sizeof last_error, "%s", v);
		/* Counters: every "c.<name> <n>" line. */
		const char *p = body.p, *end = body.p + body.len;
		while (p != NULL && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			char key[40];
			long long n;
			if (sscanf(p, "c.%39s %lld", key, &n) == 2) {
				long long *c = counter(key);
				if (c != NULL)
					*c = n;
			}
			p = nl ? nl + 1 : NULL;
		}
	}
	buf_free(&body);
	dir = statedir;
	log_on_error(on_error_line);
}

void status_count(const char *key, long long n)
{
	long long *c = counter(key);
	if (c != NULL)
		*c += n;
}

void status_pass_done(void)
{
	last_success = (long long)time(NULL);
	save();
}
