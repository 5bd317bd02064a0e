/* Unit tests for common/json.c (strict JSON on jsmn) and common/state.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "tap.h"

static int parses(const char *s)
{
	struct json j;
	json_init(&j);
	int r = json_parse(&j, s, strlen(s));
	json_free(&j);
	return r == 0;
}

int main(void)
{
	plan(36);
	const char *doc = "{\"meta\":{\"status\":200,\"pagination\":{\"next\":\"tok\"}},"
			  "\"data\":[{\"a\":1},{\"a\":\"x\\u00e9\\n\\ud83c\\udf89\"}],\"fail\":[],"
			  "\"n\":null,\"t\":true,\"num\":\"31363\"}";
	struct json j;
	json_init(&j);
	ok(json_parse(&j, doc, strlen(doc)) == 0, "an envelope parses");
	int data = json_get(&j, 0, "data");
	is_int(json_type(&j, data), JSMN_ARRAY, "data is an array");
	is_int(json_size(&j, data), 2, "two elements");
	char s[64];
	long n = json_str(&j, json_get(&j, json_elem(&j, data, 1), "a"), s, sizeof s);
	is_str(s, "x\xc3\xa9\n\xf0\x9f\x8e\x89", "escapes and a surrogate pair decode to UTF-8");
	is_int(n, 8, "decoded length");
	int next = json_get(&j, json_get(&j, json_get(&j, 0, "meta"), "pagination"), "next");
	ok(json_str(&j, next, s, sizeof s) == 3 && strcmp(s, "tok") == 0, "a nested key");
	ok(json_get(&j, 0, "absent") == -1 && json_get(&j, -1, "x") == -1, "absent keys are -1, and -1 propagates");
	ok(json_is_null(&j, json_get(&j, 0, "n")) && json_is_true(&j, json_get(&j, 0, "t")), "null and true");
	long long v = 0;
	ok(json_int(&j, json_get(&j, 0, "num"), &v) == 0 && v == 31363, "a number in a string");
	is_int(json_size(&j, json_get(&j, 0, "fail")), 0, "empty fail[]");
	ok(json_str(&j, next, s, 3) == -1, "a string that does not fit is refused");
	json_free(&j);

	ok(parses(" [1, -0.5e3, \"a\", false] \n"), "numbers, literals, whitespace");
	ok(!parses("{\"a\":1} x"), "trailing garbage is refused");
	ok(!parses("{\"a\":1}{\"b\":2}"), "two documents are refused");
	ok(!parses("{'a':1}"), "single quotes are refused");
	ok(!parses("{\"a\":True}"), "Python's True is refused");
	ok(!parses("{\"a\":01}"), "a leading zero is refused");
	ok(!parses("{\"a\":\"\\x\"}"), "a bad escape is refused");
	ok(!parses("{\"a\":\"\xff\"}"), "invalid UTF-8 is refused");
	ok(!parses("{\"a\":\"\xc0\xaf\"}"), "an overlong encoding is refused");
	ok(!parses("{ \"type\" : \"MTA\", \"data\" : "), "a truncated document is refused");
	ok(!parses(""), "an empty document is refused");
	ok(!parses("{\"a\",\"b\":1}"), "a key without a value is refused (jsmn lets it through)");
	ok(parses("\"just a string\""), "a top-level string is a document");
	ok(!parses("[\"a\" \"b\"]") && !parses("{\"a\" 1}") && !parses("{\"a\":1 \"b\":2}") &&
		   !parses("[1,]") && !parses("{,}") && !parses("[1 2]"),
	   "missing or stray commas and colons are refused");
	char deep[200];
	memset(deep, '[', 70);
	memset(deep + 70, ']', 70);
	deep[140] = '\0';
	ok(!parses(deep), "nesting deeper than 64 is refused");
	ok(utf8_valid("\xe2\x9c\x85 ok", 6) && !utf8_valid("\xed\xa0\x80", 3), "UTF-8 check: surrogates refused");

	struct buf b;
	buf_init(&b, 256);
	ok(json_put_str(&b, "a\"b\\c\n\x01|", 8) == 0 && strcmp(b.p, "\"a\\\"b\\\\c\\n\\u0001|\"") == 0,
	   "json_put_str escapes quotes, backslashes and controls");
	buf_free(&b);

	/* State files. */
	char dir[] = "/tmp/mcspool-state-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 2;
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	int ver = 0;
	is_int(state_load(d, "siem1", "siem1", 1, &body, &ver), 1, "a missing state file is reported as absent");
	state_put(&body, "token", "eNo9jLEO");
	state_put(&body, "seq", "7");
	ok(state_save(d, "siem1", "siem1", 1, body.p, body.len) == 0, "save");
	ok(state_load(d, "siem1", "siem1", 1, &body, &ver) == 0 && ver == 1 &&
		   state_get(&body, "token", s, sizeof s) == 0 && strcmp(s, "eNo9jLEO") == 0 &&
		   state_get(&body, "seq", s, sizeof s) == 0 && strcmp(s, "7") == 0,
	   "load gives back every key");
	ok(state_put(&body, "k", "a\nb") == -1, "a value with a newline is refused");

	/* A newer version is refused (the process dies with 100), never reset. */
	ok(state_save(d, "siem1", "siem1", 9, "token x\n", 8) == 0, "a version-9 file");
	pid_t p = fork();
	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		state_load(d, "siem1", "siem1", 1, &body, &ver);
		_exit(0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 100, "a newer version is refused with exit 100");
	/* A full body (as the mover's ledger can be) still loads. */
	struct buf big;
	buf_init(&big, STATE_MAX_BYTES);
	while (big.len + 32 <= STATE_MAX_BYTES)
		buf_adds(&big, "k 0123456789012345678901234567\n");
	int saved = state_save(d, "big", "move", 1, big.p, big.len);
	ok(saved == 0 && state_load(d, "big", "move", 1, &body, &ver) == 0 && body.len == big.len,
	   "a body of nearly STATE_MAX_BYTES saves and loads again");
	ok(state_save(d, "big", "move", 1, big.p, STATE_MAX_BYTES + 1) == -1 && errno == E2BIG,
	   "a body over STATE_MAX_BYTES is refused by state_save, not written");
	buf_free(&big);
	buf_free(&body);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done();
}
