/* move_pos.c: the LogRhythm .pos parser and reader-path matching. */
#include <stdio.h>
#include <string.h>

#include "reader.h"
#include "tap.h"

static int parses(const char *s, size_t n, unsigned long long off)
{
	struct lrpos p;
	return lrpos_parse(s, n, &p) == 0 && p.offset == off;
}

#define P(s) s, sizeof s - 1

static const char *in_dir(const char *dir, const char *path, int *fold)
{
	static char name[SPOOL_NAME_MAX + 1];
	if (!rpath_in_dir(dir, path, name, sizeof name, fold))
		return "(no)";
	return name;
}

int main(void)
{
	plan(40);
	struct lrpos p;
	ok(lrpos_parse(P("D:\\mcspool\\read\\receipt_1.log\r\n1234\r\n638408987240279906\r\n"), &p) == 0,
	   "CRLF .pos parses");
	is_str(p.path, "D:\\mcspool\\read\\receipt_1.log", "line 1 is the path");
	is_int((long long)p.offset, 1234, "line 2 is the offset");
	ok(p.ticks == 638408987240279906ULL, "line 3 is the ticks");
	ok(parses(P("/var/log/r/x.log\n0\n638408987240279906\n"), 0), "LF .pos parses, offset 0");
	ok(parses(P("/r/x.log\r17\r638408987240279906\r"), 17), "bare CR lines parse");
	ok(parses(P("/r/x.log\n17\n638408987240279906"), 17), "no final line break, full ticks");
	ok(parses(P("\xef\xbb\xbf/r/x.log\n5\n638408987240279906\n"), 5), "UTF-8 BOM skipped");
	ok(parses(P("\xff\xfe/\0r\0/\0x\0.\0l\0o\0g\0\r\0\n\0" "9\0\r\0\n\0" "1\0\r\0\n\0"), 9),
	   "UTF-16LE ASCII .pos parses");
	ok(parses(P("/r/x.log\n 42 \n638408987240279906\n"), 42), "spaces around numbers trimmed");
	ok(parses(P("/r/x.log\n42\n638408987240279906\nextra\n"), 42), "extra lines ignored");
	/* Half written or foreign: not read. */
	ok(!parses(P(""), 0), "empty file: not read");
	ok(!parses(P("/r/x.log"), 0), "path only, unterminated: not read");
	ok(!parses(P("/r/x.log\n"), 0), "path only: not read");
	ok(!parses(P("/r/x.log\n12"), 12), "offset not terminated: not read");
	ok(!parses(P("/r/x.log\n12\n"), 12), "no ticks line: not read");
	ok(!parses(P("/r/x.log\n12\n63840898724"), 12), "ticks cut short: not read");
	ok(!parses(P("/r/x.log\n12\n6384089872402799061"), 12), "ticks too long: not read");
	ok(!parses(P("/r/x.log\n1x2\n638408987240279906\n"), 12), "offset with a letter: not read");
	ok(!parses(P("/r/x.log\n-12\n638408987240279906\n"), 12), "negative offset: not read");
	ok(!parses(P("/r/x.log\n99999999999999999999\n638408987240279906\n"), 0), "huge offset: not read");
	ok(!parses(P("/r/x\0.log\n12\n638408987240279906\n"), 12), "NUL byte: not read");
	ok(!parses(P("\n12\n638408987240279906\n"), 12), "empty path: not read");
	ok(!parses(P("\xff\xfe/\0r\0\n\0" "9"), 9), "odd-length UTF-16: not read");

	int fold = -1;
	is_str(in_dir("D:\\mcspool\\read", "D:\\mcspool\\read\\a_1.log", &fold), "a_1.log", "windows path");
	is_int(fold, 1, "windows paths fold case");
	is_str(in_dir("D:\\mcspool\\read\\", "d:/MCSPOOL/Read/a_1.log", &fold), "a_1.log",
	       "windows: case and slashes do not matter");
	is_str(in_dir("\\\\host\\share\\read", "\\\\HOST\\share\\read\\\\a_1.log", &fold), "a_1.log",
	       "UNC path, doubled separator");
	is_str(in_dir("\\\\host\\share\\read", "\\\\?\\UNC\\host\\share\\read\\a_1.log", &fold), "a_1.log",
	       "\\\\?\\UNC\\ prefix");
	is_str(in_dir("D:\\read", "\\\\?\\D:\\read\\a_1.log", &fold), "a_1.log", "\\\\?\\ prefix");
	is_str(in_dir("D:\\read", "D:\\read\\sub\\a_1.log", &fold), "(no)", "subdirectory: not ours");
	is_str(in_dir("D:\\read", "D:\\readme\\a_1.log", &fold), "(no)", "prefix is not the directory");
	is_str(in_dir("D:\\read", "/read/a_1.log", &fold), "(no)", "posix path against windows dir");
	is_str(in_dir("/var/log/read", "/var/log/read/a_1.log", &fold), "a_1.log", "posix path");
	is_int(fold, 0, "posix paths are exact");
	is_str(in_dir("/var/log/read/", "/var//log/read/a_1.log", &fold), "a_1.log", "posix: runs of /");
	is_str(in_dir("/var/log/read", "/var/log/READ/a_1.log", &fold), "(no)", "posix: case matters");
	is_str(in_dir("/var/log/read", "/var/log/read/../x/a_1.log", &fold), "(no)", "posix: no dot-dot");
	is_str(in_dir("/var/log/read", "/var/log/read/.hidden", &fold), "(no)", "not one of our names");
	is_str(in_dir("/", "/a_1.log", &fold), "a_1.log", "root directory");
	return done();
}
