/* mcspool-status: how the pipeline is doing, for a person (a table), a
 * script (--json) or node_exporter's textfile collector (--prometheus).
 * See mcspool-status(8).
 *
 * It reads, never writes: the stages' status records (status/status.<stage>,
 * common/status.h), the fetcher's cursors (state/siem1, state/audit,
 * state/siem2.*) and the spool directories. It loads the config without
 * secrets, so any user in group mcspool may run it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "version.h"

#define EXIT_UNHEALTHY 1
#define MAX_CURSORS 32
/* Versions are checked by the programs that write these files; we only
 * read keys we know, so any version is fine here. */
#define ANY_VERSION 1000000

enum health { H_OK, H_NEVER, H_STALE, H_FAILING };
static const char *const health_names[] = { "ok", "never", "stale", "failing" };

struct stage_st {
	const char *name;
	int present;
	long long last_success, last_error_time;
	char last_error[600];
	long long files, events, bytes, bad;
	long stale_after;
	enum health h;
};

struct dir_st {
	const char *name; /* label */
	char path[4200];
	int missing;
	char err[128];
	long long files, bytes;
	long long oldest; /* mtime, 0 if none */
};

struct cursor_st {
	char name[64];    /* siem1, audit, siem2.<type> */
	long long seq;    /* the next sequence number, -1 if unknown */
	long long mtime;  /* when the cursor was last saved */
	long long point;  /* the time the cursor stands at (audit checkpoint), 0 if unknown */
	int has_token, pending;
	long long lag;    /* now - point (or now - mtime) */
};

struct report {
	time_t now;
	const char *conf;
	struct stage_st st[4];
	struct dir_st d[5];
	struct cursor_st c[MAX_CURSORS];
	size_t nc;
	int healthy;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcspool-status [-c FILE] [--json | --prometheus] [--stale-seconds [STAGE=]N]...\n"
		"Show each stage's health, the files waiting in the spool and the fetcher's cursors.\n"
		"  -c FILE            the config (default $MCSPOOL_CONF or %s)\n"
		"  --json             one JSON document\n"
		"  --prometheus       node_exporter textfile format\n"
		"  --stale-seconds [STAGE=]N\n"
		"                     a stage (every stage, or the one named) is stale when its last\n"
		"                     success is older than N seconds (default: 3 x poll_seconds for\n"
		"                     fetch, 900 for split and move, 10800 for reap, which runs hourly)\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"exit: 0 healthy, 1 a stage is stale, failing or never ran, or a spool directory is\n"
		"missing; 100 usage or config error, 111 unable to read\n",
		CONFIG_DEFAULT_PATH);
}

static long long num(const struct buf *b, const char *key, long long dflt)
{
	char v[64], *end;
	if (state_get(b, key, v, sizeof v) < 0 || v[0] == '\0')
		return dflt;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	return errno != 0 || *end != '\0' ? dflt : n;
}

static void read_stage(int statusdir, struct stage_st *s)
{
	if (statusdir < 0)
		return;
	char name[64];
	snprintf(name, sizeof name, "status.%s", s->name);
	struct buf b;
	buf_init(&b, STATE_MAX_BYTES);
	int version;
	if (state_load(statusdir, name, "status", ANY_VERSION, &b, &version) == 0) {
		s->present = 1;
		s->last_success = num(&b, "last_success", 0);
		s->last_error_time = num(&b, "last_error_time", 0);
		if (state_get(&b, "last_error", s->last_error, sizeof s->last_error) < 0)
			s->last_error[0] = '\0';
		s->files = num(&b, "c.files", 0);
		s->events = num(&b, "c.events", 0);
		s->bytes = num(&b, "c.bytes", 0);
		s->bad = num(&b, "c.bad", 0);
	}
	buf_free(&b);
}

static void judge_stage(struct stage_st *s, time_t now)
{
	if (s->last_success <= 0)
		s->h = s->last_error_time > 0 ? H_FAILING : H_NEVER;
	else if (s->last_error_time > s->last_success)
		s->h = H_FAILING;
	else if ((long long)now - s->last_success > s->stale_after)
		s->h = H_STALE;
	else
		s->h = H_OK;
}

/* Files in a spool directory: count, bytes, the oldest mtime. Names
 * starting with '.' are a writer's temporaries, not waiting files. */
static void scan_dir(struct dir_st *d)
{
	int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		d->missing = 1;
		snprintf(d->err, sizeof d->err, "%s", strerror(errno));
		return;
	}
	DIR *dir = fdopendir(fd);
	if (dir == NULL)
		die_sys(EXIT_TEMP, "unable to read %s", d->path);
	struct dirent *e;
	errno = 0;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) /* moved on while we looked: not waiting any more */
				continue;
			die_sys(EXIT_TEMP, "unable to stat %s/%s", d->path, e->d_name);
		}
		if (!S_ISREG(st.st_mode))
			continue;
		d->files++;
		d->bytes += (long long)st.st_size;
		if (d->oldest == 0 || (long long)st.st_mtime < d->oldest)
			d->oldest = (long long)st.st_mtime;
		errno = 0;
	}
	if (errno != 0)
		die_sys(EXIT_TEMP, "unable to read %s", d->path);
	closedir(dir);
}

/* The kind named on a state file's first line ("mcspool-state <kind> <v>"). */
static int sniff_kind(int dir, const char *name, char *kind, size_t cap)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char head[128];
	ssize_t n = read(fd, head, sizeof head - 1);
	close(fd);
	if (n <= 0)
		return -1;
	head[n] = '\0';
	char k[64];
	int v;
	if (sscanf(head, "mcspool-state %63s %d", k, &v) != 2 || strlen(k) >= cap)
		return -1;
	snprintf(kind, cap, "%s", k);
	return 0;
}

static void read_cursor(struct report *r, int statedir, const char *name, time_t now)
{
	if (r->nc == MAX_CURSORS)
		return;
	char kind[64];
	struct stat st;
	if (fstatat(statedir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    sniff_kind(statedir, name, kind, sizeof kind) < 0)
		return;
	struct buf b;
	buf_init(&b, STATE_MAX_BYTES);
	int version;
	if (state_load(statedir, name, kind, ANY_VERSION, &b, &version) == 0) {
		struct cursor_st *c = &r->c[r->nc++];
		snprintf(c->name, sizeof c->name, "%s", name);
		c->seq = num(&b, "seq", -1);
		c->mtime = (long long)st.st_mtime;
		char tok[16];
		c->has_token = state_get(&b, "token", tok, sizeof tok) == 0 ||
			       state_get(&b, "cursor", tok, sizeof tok) == 0;
		/* A token longer than tok is still a token. */
		if (!c->has_token) {
			const char *p = b.p;
			c->has_token = p != NULL && (strncmp(p, "token ", 6) == 0 || strstr(p, "\ntoken ") ||
						     strncmp(p, "cursor ", 7) == 0 || strstr(p, "\ncursor "));
		}
		c->pending = num(&b, "pending_start", 0) > 0;
		c->point = num(&b, "checkpoint", 0);
		c->lag = (long long)now - (c->point > 0 ? c->point : c->mtime);
	}
	buf_free(&b);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_cursors(struct report *r, int statedir)
{
	if (statedir < 0)
		return;
	read_cursor(r, statedir, "siem1", r->now);
	read_cursor(r, statedir, "audit", r->now);
	int fd = dup(statedir);
	if (fd < 0)
		die_sys(EXIT_TEMP, "unable to read state/");
	DIR *dir = fdopendir(fd);
	if (dir == NULL)
		die_sys(EXIT_TEMP, "unable to read state/");
	char *names[MAX_CURSORS];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL && n < MAX_CURSORS)
		if (strncmp(e->d_name, "siem2.", 6) == 0 && strlen(e->d_name) < 64 &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(dir);
	qsort(names, n, sizeof names[0], cmp_names);
	for (size_t i = 0; i < n; i++) {
		read_cursor(r, statedir, names[i], r->now);
		free(names[i]);
	}
}

static const char *const stage_names[] = { "fetch", "split", "move", "reap" };

static int stage_known(const char *s, size_t n)
{
	for (size_t k = 0; k < 4; k++)
		if (strlen(stage_names[k]) == n && strncmp(s, stage_names[k], n) == 0)
			return 1;
	return 0;
}

static void collect(struct report *r, const struct config *c, const long *stale_opt)
{
	long dflt[] = { 3 * c->mimecast.poll_seconds, 900, 900, 3 * 3600 };
	/* A missing data_dir is a report (every directory MISSING, exit 1),
	 * not an error: monitoring must see it in every output mode. */
	int root = open(c->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 && errno != ENOENT)
		die_sys(exit_code_for_errno(errno), "unable to open data_dir %s", c->data_dir);
	int statedir = root < 0 ? -1 : openat(root, "state", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && statedir < 0 && errno != ENOENT)
		die_sys(exit_code_for_errno(errno), "unable to open %s/state", c->data_dir);
	int statusdir = root < 0 ? -1 : openat(root, "status", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && statusdir < 0 && errno != ENOENT)
		die_sys(exit_code_for_errno(errno), "unable to open %s/status", c->data_dir);
	r->healthy = 1;
	for (size_t i = 0; i < 4; i++) {
		struct stage_st *s = &r->st[i];
		s->name = stage_names[i];
		s->stale_after = stale_opt[i] > 0 ? stale_opt[i] : dflt[i];
		read_stage(statusdir, s);
		judge_stage(s, r->now);
		if (s->h != H_OK)
			r->healthy = 0;
	}
	static const char *const subs[] = { "raw", "mta", "audit", "bad" };
	for (size_t i = 0; i < 4; i++) {
		r->d[i].name = subs[i];
		snprintf(r->d[i].path, sizeof r->d[i].path, "%s/%s", c->data_dir, subs[i]);
	}
	r->d[4].name = "read_path";
	snprintf(r->d[4].path, sizeof r->d[4].path, "%s", c->read_path);
	for (size_t i = 0; i < 5; i++) {
		scan_dir(&r->d[i]);
		if (r->d[i].missing)
			r->healthy = 0;
	}
	read_cursors(r, statedir);
	if (statedir >= 0)
		close(statedir);
	if (statusdir >= 0)
		close(statusdir);
	if (root >= 0)
		close(root);
}

/* ---- output ---------------------------------------------------------- */

static void fmt_age(long long s, char *out, size_t cap)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, cap, "%llds", s);
	else if (s < 3600)
		snprintf(out, cap, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, cap, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, cap, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static void fmt_time(long long t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, cap, "-");
	else
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_when(long long t, time_t now, char *out, size_t cap)
{
	if (t <= 0) {
		snprintf(out, cap, "never");
		return;
	}
	char a[32], b[40];
	fmt_time(t, b, sizeof b);
	fmt_age((long long)now - t, a, sizeof a);
	snprintf(out, cap, "%s (%s ago)", b, a);
}

static void print_table(const struct report *r)
{
	char t[64], a[128], e[128];
	fmt_time((long long)r->now, t, sizeof t);
	printf("mcspool status at %s (%s): %s\n\n", t, r->conf, r->healthy ? "healthy" : "UNHEALTHY");
	printf("%-6s %-8s %-34s %-34s %8s %10s %14s %6s\n", "STAGE", "STATE", "LAST SUCCESS",
	       "LAST ERROR", "FILES", "EVENTS", "BYTES", "BAD");
	for (size_t i = 0; i < 4; i++) {
		const struct stage_st *s = &r->st[i];
		fmt_when(s->last_success, r->now, a, sizeof a);
		fmt_when(s->last_error_time, r->now, e, sizeof e);
		printf("%-6s %-8s %-34s %-34s %8lld %10lld %14lld %6lld\n", s->name,
		       health_names[s->h], a, s->last_error_time > 0 ? e : "-", s->files, s->events,
		       s->bytes, s->bad);
	}
	for (size_t i = 0; i < 4; i++) {
		const struct stage_st *s = &r->st[i];
		if (s->h == H_STALE)
			printf("  %s: stale: no success for more than %ld s\n", s->name, s->stale_after);
		if (s->h == H_NEVER)
			printf("  %s: no pass has completed yet (status/status.%s %s)\n", s->name, s->name,
			       s->present ? "records none" : "does not exist");
		if (s->last_error[0] != '\0' && s->last_error_time > 0)
			printf("  %s: last error: %s\n", s->name, s->last_error);
	}
	printf("\n%-10s %8s %14s %-34s %s\n", "DIRECTORY", "FILES", "BYTES", "OLDEST", "PATH");
	for (size_t i = 0; i < 5; i++) {
		const struct dir_st *d = &r->d[i];
		if (d->missing) {
			printf("%-10s %8s %14s %-34s %s (%s)\n", d->name, "-", "-", "MISSING", d->path,
			       d->err);
			continue;
		}
		fmt_when(d->oldest, r->now, a, sizeof a);
		printf("%-10s %8lld %14lld %-34s %s\n", d->name, d->files, d->bytes,
		       d->files ? a : "-", d->path);
	}
	printf("\n%-28s %-52s %s\n", "CURSOR", "POSITION", "LAG");
	if (r->nc == 0)
		printf("(none yet: the fetcher has not saved a position)\n");
	for (size_t i = 0; i < r->nc; i++) {
		const struct cursor_st *c = &r->c[i];
		char pos[128], lag[64];
		if (c->point > 0) {
			fmt_time(c->point, t, sizeof t);
			snprintf(pos, sizeof pos, "checkpoint %s, next seq %lld%s", t, c->seq,
				 c->pending ? ", window pending" : "");
		} else {
			fmt_time(c->mtime, t, sizeof t);
			snprintf(pos, sizeof pos, "next seq %lld, %s, saved %s", c->seq,
				 c->has_token ? "token held" : "no token yet", t);
		}
		fmt_age(c->lag, lag, sizeof lag);
		printf("%-28s %-52s %s%s\n", c->name, pos, lag,
		       c->point > 0 ? "" : " (since the cursor last moved)");
	}
}

static void jnum_or_null(long long v)
{
	if (v > 0)
		printf("%lld", v);
	else
		printf("null");
}

static void jstr(const char *s)
{
	struct buf b;
	buf_init(&b, 8192);
	if (json_put_str(&b, s, strlen(s)) < 0)
		printf("null");
	else
		fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
}

static void print_json(const struct report *r)
{
	printf("{\"time\":%lld,\"healthy\":%s,\"config\":", (long long)r->now,
	       r->healthy ? "true" : "false");
	jstr(r->conf);
	printf(",\"stages\":{");
	for (size_t i = 0; i < 4; i++) {
		const struct stage_st *s = &r->st[i];
		printf("%s\"%s\":{\"state\":\"%s\",\"last_success\":", i ? "," : "", s->name,
		       health_names[s->h]);
		jnum_or_null(s->last_success);
		printf(",\"last_error_time\":");
		jnum_or_null(s->last_error_time);
		printf(",\"last_error\":");
		if (s->last_error_time > 0)
			jstr(s->last_error);
		else
			printf("null");
		printf(",\"stale_seconds\":%ld,\"files\":%lld,\"events\":%lld,\"bytes\":%lld,"
		       "\"bad\":%lld}",
		       s->stale_after, s->files, s->events, s->bytes, s->bad);
	}
	printf("},\"dirs\":{");
	for (size_t i = 0; i < 5; i++) {
		const struct dir_st *d = &r->d[i];
		printf("%s\"%s\":{\"path\":", i ? "," : "", d->name);
		jstr(d->path);
		printf(",\"missing\":%s,\"files\":%lld,\"bytes\":%lld,\"oldest_mtime\":",
		       d->missing ? "true" : "false", d->files, d->bytes);
		jnum_or_null(d->oldest);
		printf(",\"oldest_age_seconds\":");
		if (d->oldest > 0)
			printf("%lld", (long long)r->now - d->oldest);
		else
			printf("null");
		printf("}");
	}
	printf("},\"cursors\":{");
	for (size_t i = 0; i < r->nc; i++) {
		const struct cursor_st *c = &r->c[i];
		printf("%s\"%s\":{\"seq\":", i ? "," : "", c->name);
		if (c->seq >= 0)
			printf("%lld", c->seq);
		else
			printf("null");
		printf(",\"saved\":%lld,\"checkpoint\":", c->mtime);
		jnum_or_null(c->point);
		printf(",\"token\":%s,\"pending\":%s,\"lag_seconds\":%lld}",
		       c->has_token ? "true" : "false", c->pending ? "true" : "false", c->lag);
	}
	printf("}}\n");
}

static void help(const char *name, const char *type, const char *text)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void print_prometheus(const struct report *r)
{
	help("mcspool_healthy", "gauge", "1 when every stage is fresh and no spool directory is missing.");
	printf("mcspool_healthy %d\n", r->healthy);
	help("mcspool_stage_healthy", "gauge", "1 when the stage's last pass is recent and succeeded.");
	for (size_t i = 0; i < 4; i++)
		printf("mcspool_stage_healthy{stage=\"%s\"} %d\n", r->st[i].name, r->st[i].h == H_OK);
	help("mcspool_last_success_timestamp_seconds", "gauge",
	     "When the stage last completed a pass (0: never).");
	for (size_t i = 0; i < 4; i++)
		printf("mcspool_last_success_timestamp_seconds{stage=\"%s\"} %lld\n", r->st[i].name,
		       r->st[i].last_success);
	help("mcspool_last_error_timestamp_seconds", "gauge",
	     "When the stage last logged an error (0: never).");
	for (size_t i = 0; i < 4; i++)
		printf("mcspool_last_error_timestamp_seconds{stage=\"%s\"} %lld\n", r->st[i].name,
		       r->st[i].last_error_time);
	static const char *const cn[] = { "files", "events", "bytes", "bad" };
	static const char *const ch[] = { "Files the stage delivered.", "Events the stage delivered.",
					  "Bytes the stage delivered.",
					  "Payloads the stage quarantined in bad/." };
	for (size_t k = 0; k < 4; k++) {
		char name[64];
		snprintf(name, sizeof name, "mcspool_%s_total", cn[k]);
		help(name, "counter", ch[k]);
		for (size_t i = 0; i < 4; i++) {
			const struct stage_st *s = &r->st[i];
			long long v = k == 0 ? s->files : k == 1 ? s->events : k == 2 ? s->bytes : s->bad;
			printf("%s{stage=\"%s\"} %lld\n", name, s->name, v);
		}
	}
	help("mcspool_files_waiting", "gauge", "Files waiting in a spool directory.");
	for (size_t i = 0; i < 5; i++)
		printf("mcspool_files_waiting{dir=\"%s\"} %lld\n", r->d[i].name, r->d[i].files);
	help("mcspool_bytes_waiting", "gauge", "Bytes of the files waiting in a spool directory.");
	for (size_t i = 0; i < 5; i++)
		printf("mcspool_bytes_waiting{dir=\"%s\"} %lld\n", r->d[i].name, r->d[i].bytes);
	help("mcspool_oldest_file_age_seconds", "gauge",
	     "Age of the oldest file waiting in a spool directory (0: none).");
	for (size_t i = 0; i < 5; i++)
		printf("mcspool_oldest_file_age_seconds{dir=\"%s\"} %lld\n", r->d[i].name,
		       r->d[i].oldest > 0 ? (long long)r->now - r->d[i].oldest : 0);
	help("mcspool_dir_missing", "gauge", "1 when a spool directory cannot be opened.");
	for (size_t i = 0; i < 5; i++)
		printf("mcspool_dir_missing{dir=\"%s\"} %d\n", r->d[i].name, r->d[i].missing);
	if (r->nc > 0) {
		help("mcspool_cursor_lag_seconds", "gauge",
		     "How far a fetcher cursor is behind now (audit: its checkpoint; SIEM: since it "
		     "last moved).");
		for (size_t i = 0; i < r->nc; i++)
			printf("mcspool_cursor_lag_seconds{stream=\"%s\"} %lld\n", r->c[i].name,
			       r->c[i].lag);
		help("mcspool_cursor_seq", "gauge", "The next sequence number of a fetcher stream.");
		for (size_t i = 0; i < r->nc; i++)
			if (r->c[i].seq >= 0)
				printf("mcspool_cursor_seq{stream=\"%s\"} %lld\n", r->c[i].name,
				       r->c[i].seq);
	}
}

int main(int argc, char **argv)
{
	log_init("mcspool-status");
	static struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "stale-seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL;
	int mode = 0;
	long stale[4] = { 0, 0, 0, 0 };
	int c;
	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'j': mode = 'j'; break;
		case 'p': mode = 'p'; break;
		case 's': {
			/* N for every stage, or STAGE=N for one (repeatable). */
			const char *eq = strchr(optarg, '='), *v = eq != NULL ? eq + 1 : optarg;
			char *end;
			errno = 0;
			long n = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || end == v)
				die(EXIT_PERM, "--stale-seconds: '%s' is not N or STAGE=N (a positive "
					       "number of seconds)", optarg);
			size_t klen = eq != NULL ? (size_t)(eq - optarg) : 0;
			if (eq != NULL && !stage_known(optarg, klen))
				die(EXIT_PERM, "--stale-seconds: unknown stage in '%s' (fetch, split, move, "
					       "reap)", optarg);
			for (size_t k = 0; k < 4; k++)
				if (eq == NULL || (strlen(stage_names[k]) == klen &&
						   strncmp(optarg, stage_names[k], klen) == 0))
					stale[k] = n;
			break;
		}
		case 'h': usage(stdout); return EXIT_DONE;
		case 'V': printf("mcspool-status %s\n", MCSPOOL_VERSION); return EXIT_DONE;
		default: usage(stderr); return EXIT_PERM;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_PERM;
	}
	const char *path = config_path(conf);
	struct config *cfg = config_load(path, 0);
	static struct report r;
	r.now = time(NULL);
	r.conf = path;
	collect(&r, cfg, stale);
	if (mode == 'j')
		print_json(&r);
	else if (mode == 'p')
		print_prometheus(&r);
	else
		print_table(&r);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_sys(EXIT_TEMP, "unable to write the report");
	config_free(cfg);
	return r.healthy ? EXIT_DONE : EXIT_UNHEALTHY;
}
