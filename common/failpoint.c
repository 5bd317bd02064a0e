/* failpoint.c: see failpoint.h. */
#include "failpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int loaded;
static char want[128];
static long hits_wanted = 1;
static long hits;

static void load(void)
{
	loaded = 1;
	const char *v = getenv("MCSPOOL_FAILPOINT");
	if (v == NULL || *v == '\0' || strlen(v) >= sizeof want)
		return;
	strcpy(want, v);
	char *colon = strchr(want, ':');
	if (colon != NULL) {
		*colon = '\0';
		char *end;
		long n = strtol(colon + 1, &end, 10);
		if (*end == '\0' && n > 0)
			hits_wanted = n;
	}
}

void failpoint(const char *name)
{
	if (!loaded)
		load();
	if (want[0] == '\0' || strcmp(want, name) != 0)
		return;
	if (++hits < hits_wanted)
		return;
	/* Like a power cut as far as this process goes: no atexit, no flush. */
	static const char msg[] = "failpoint reached, killing myself\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	kill(getpid(), SIGKILL);
	_exit(137); /* not reached */
}
