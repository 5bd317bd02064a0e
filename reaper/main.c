/* mcspool-reap: retention. See reap.h and mcspool-reap(8). */
#include "reap.h"
#include "stage.h"

int main(int argc, char **argv)
{
	static const struct stage s = {
		.prog = "mcspool-reap",
		.name = "reap",
		.summary = "Delete archived, audit, quarantined and log files older than retention_days,\n"
			   "and temporaries left by dead writers.",
		.init = reap_init,
		.sandbox = reap_sandbox,
		.pass = reap_pass,
		.interval = reap_interval,
	};
	return stage_main(&s, argc, argv);
}
