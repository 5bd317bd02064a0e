/* reap_names.c: which log-directory files the reaper may prune, and the
 * writer timeout that ages temporaries. */
#include <string.h>

#include "../../reaper/reap.h"
#include "config.h"
#include "tap.h"

int main(void)
{
	plan(12);
	ok(reap_is_log_archive("@400000005f5e10000000000000000000.s"), "svlogd/s6-log processed archive");
	ok(reap_is_log_archive("@400000005f5e10000000000000000000.u"), "unfinished archive");
	ok(reap_is_log_archive("@4000000065a4c6ed1c9c3d34.s"), "short TAI64N label");
	ok(!reap_is_log_archive("current"), "current: never");
	ok(!reap_is_log_archive("state"), "state: never");
	ok(!reap_is_log_archive("lock"), "lock: never");
	ok(!reap_is_log_archive("@400000005f5e1000.t"), "another suffix");
	ok(!reap_is_log_archive("@.s"), "no label");
	ok(!reap_is_log_archive("@40000000/../x.s"), "not hex");
	ok(!reap_is_log_archive("processed"), "s6-log processor output");
	struct config c;
	memset(&c, 0, sizeof c);
	c.mimecast.timeout = 3600;
	is_int(reap_writer_timeout(&c), 3600, "writer timeout is mimecast.timeout");
	c.mimecast.timeout = 600;
	is_int(reap_writer_timeout(&c), 600, "... whatever it is set to");
	return done();
}
