/* move_registry.c: the Filebeat registry reader, on the fixture in
 * tests/data/filebeat (see its README.md) and on hand-made inputs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "log.h"
#include "tap.h"

static const char *names[] = { "a_1.log", "b_1.log", "c_1.log", "d_1.log",
			       "e_1.log", "f_1.log", "g_1.log", "h_1.log" };
static const long sizes[] = { 100, 200, 300, 400, 500, 600, 700, 0 };

static void fill(struct rdset *s)
{
	rdset_clear(s);
	for (size_t i = 0; i < 8; i++) {
		struct rdentry e;
		memset(&e, 0, sizeof e);
		strcpy(e.name, names[i]);
		e.size = sizes[i];
		e.ino = 1001 + i;
		e.dev = 2049;
		rdset_add(s, &e);
	}
	rdset_sort(s);
}

static int consumed(const struct rdset *s, const char *name)
{
	long i = rdset_find(s, name, 0);
	return i >= 0 && rdset_consumed(&s->e[i]);
}

static int feed_log(const char *text, struct rdset *s, const char *dir)
{
	struct fbreg *r = fbreg_new(s, dir, 0);
	int rc = fbreg_log_feed(r, text, strlen(text));
	if (rc == 0)
		rc = fbreg_log_end(r);
	fbreg_free(r);
	return rc;
}

int main(void)
{
	log_init("move_registry");
	plan(22);
	const char *top = getenv("MCSPOOL_TOP");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/filebeat/registry/filebeat", top ? top : ".");
	int dir = open(path, O_RDONLY | O_DIRECTORY);
	ok(dir >= 0, "fixture directory opens");
	struct rdset s;
	rdset_init(&s);
	fill(&s);
	is_int(fbreg_scan(dir, path, "/var/log/mcspool/read", 0, &s), 0, "the fixture replays");
	ok(consumed(&s, "a_1.log"), "a: snapshot offset equals the size");
	ok(consumed(&s, "b_1.log"), "b: log.json set over the snapshot");
	ok(!consumed(&s, "c_1.log"), "c: removed in log.json");
	ok(consumed(&s, "d_1.log"), "d: old log input state");
	ok(!consumed(&s, "e_1.log"), "e: one byte short");
	ok(!consumed(&s, "f_1.log"), "f: the torn last line does not count");
	ok(!consumed(&s, "g_1.log"), "g: another directory's file of the same name");
	ok(!consumed(&s, "h_1.log"), "h: cursor null is not an offset");

	/* With inode checks (a reader on this host), keys name inode-device. */
	fill(&s);
	s.e[rdset_find(&s, "a_1.log", 0)].ino = 999;
	is_int(fbreg_scan(dir, path, "/var/log/mcspool/read", 1, &s), 0, "replays with inode checks");
	ok(!consumed(&s, "a_1.log"), "a: another inode under that name is not it");
	ok(consumed(&s, "b_1.log"), "b: matching inode and device");
	fill(&s);
	is_int(fbreg_scan(dir, path, "/elsewhere", 0, &s), 0, "another reader_path replays");
	ok(!consumed(&s, "a_1.log"), "... and matches nothing");

	fill(&s);
	ok(feed_log("{\"op\":\"set\",\"id\":1}\n{\"k\":\"x\",\"v\":{\"cursor\":{\"offset\":100},"
		    "\"meta\":{\"source\":\"/r/a_1.log\"}}}\n", &s, "/r") == 0 && consumed(&s, "a_1.log"),
	   "hand-made set");
	fill(&s);
	ok(feed_log("{\"op\":\"set\",\"id\":1}\n{\"k\":\"x\",\"v\":{\"cursor\":{\"offset\":100},"
		    "\"meta\":{\"source\":\"/r/a_1.log\"}}}\n{\"op\":\"set\",\"id\":2}\n"
		    "{\"k\":\"x\",\"v\":{\"cursor\":{\"offset\":100},\"meta\":{\"source\":\"/r/b_1.log\"}}}\n",
		    &s, "/r") == 0 && !consumed(&s, "a_1.log"),
	   "a key that moves to another file stops counting for the first");
	fill(&s);
	ok(feed_log("{\"op\":\"set\",\"id\":1}\n{\"k\":\"x\",\"v\":{\"offset\":-5,\"source\":\"/r/a_1.log\"}}\n",
		    &s, "/r") < 0, "a negative offset is an error");
	fill(&s);
	ok(feed_log("{\"op\":\"frob\",\"id\":1}\n", &s, "/r") < 0, "an unknown op is an error");
	fill(&s);
	ok(feed_log("[1,2]\n", &s, "/r") < 0, "a line that is not an object is an error");
	struct fbreg *r = fbreg_new(&s, "/r", 0);
	const char *snap = "[{\"_key\":\"k\",\"offset\":100,\"source\":\"/r/a_1.log\"} x";
	ok(fbreg_snap_feed(r, snap, strlen(snap)) < 0, "garbage after a snapshot entry");
	fbreg_free(r);
	r = fbreg_new(&s, "/r", 0);
	snap = "[{\"_key\":\"k\",\"offset\":100,\"source\":\"/r/a_1.log\"}";
	ok(fbreg_snap_feed(r, snap, strlen(snap)) == 0 && fbreg_snap_end(r) < 0,
	   "a snapshot without its closing bracket");
	fbreg_free(r);
	rdset_free(&s);
	close(dir);
	return done();
}
