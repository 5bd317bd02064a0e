/* mcspool-move: mta/ -> read_path -> archive_dir. See move.h and mcspool-move(8). */
#include "move.h"
#include "stage.h"

int main(int argc, char **argv)
{
	static const struct stage s = {
		.prog = "mcspool-move",
		.name = "move",
		.summary = "Move MTA files into the reader's read_path (at most max_files at a time)\n"
			   "and archive those the reader has consumed.",
		.init = move_init,
		.sandbox = move_sandbox,
		.pass = move_pass,
		.interval = move_interval,
	};
	return stage_main(&s, argc, argv);
}
