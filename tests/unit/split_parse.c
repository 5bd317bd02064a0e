/* split_parse.c: unit tests of the splitter's parsers and renderers:
 * terminator choice, framing across read boundaries, escaping, compact
 * JSON, audit times, 2.0 -> 1.0 rendering, names. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../splitter/split.h"
#include "tap.h"

/* ---- a memory source that hands out at most `step` bytes a read ---- */
struct mem {
	const char *p;
	size_t n, off, step;
};

static ssize_t mem_read(struct src *s, char *out, size_t cap)
{
	struct mem *m = s->priv;
	size_t k = m->n - m->off;
	if (k > cap)
		k = cap;
	if (k > m->step)
		k = m->step;
	memcpy(out, m->p + m->off, k);
	m->off += k;
	s->pos += k;
	return (ssize_t)k;
}

static int mem_rewind(struct src *s)
{
	((struct mem *)s->priv)->off = 0;
	s->pos = 0;
	return 0;
}

static void mem_src(struct src *s, struct mem *m, const char *p, size_t n, size_t step)
{
	memset(s, 0, sizeof *s);
	m->p = p;
	m->n = n;
	m->off = 0;
	m->step = step;
	s->priv = m;
	s->read = mem_read;
	s->rewind = mem_rewind;
}

/* ---- a private spool tree for the job ---- */
static char root[64];
static int dfd[4]; /* tmp mta audit bad */
static struct config cfg;

static void tree(void)
{
	snprintf(root, sizeof root, "/tmp/mcspool-unit.XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	static const char *const names[] = { "tmp", "mta", "audit", "bad" };
	for (int i = 0; i < 4; i++) {
		char p[128];
		snprintf(p, sizeof p, "%s/%s", root, names[i]);
		if (mkdir(p, 0700) < 0 || (dfd[i] = open(p, O_RDONLY | O_DIRECTORY)) < 0)
			abort();
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.max_file_bytes = 1 << 20;
}

static void untree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		diag("could not remove %s", root);
}

/* Records collected by the framing callback, "|"-joined with offsets. */
static char got[4096];

static int collect(struct job *j, const char *p, size_t n, unsigned long long off, long recno,
		   void *arg)
{
	(void)j;
	(void)arg;
	size_t l = strlen(got);
	snprintf(got + l, sizeof got - l, "%s%ld@%llu:%.*s", l ? "|" : "", recno, off, (int)n, p);
	return 0;
}

static const char *frame(const char *in, enum kv_term t, size_t step)
{
	struct job j;
	job_init(&j, &cfg, dfd[0], dfd[1], dfd[2], dfd[3], "siem1.000000000001.x.log");
	struct src s;
	struct mem m;
	mem_src(&s, &m, in, strlen(in), step);
	got[0] = '\0';
	frame_split(&j, &s, t, collect, NULL);
	job_free(&j);
	return got;
}

static enum kv_term detect(const char *in)
{
	struct src s;
	struct mem m;
	mem_src(&s, &m, in, strlen(in), 3);
	enum kv_term t = TERM_NONE;
	if (kv_term_detect(&s, &t) < 0)
		return (enum kv_term)-1;
	return t;
}

static const char *esc(int (*f)(struct buf *, const char *, size_t), const char *in, size_t n)
{
	static struct buf b;
	buf_free(&b);
	buf_init(&b, 4096);
	if (f(&b, in, n) < 0)
		return "(error)";
	return b.p != NULL ? b.p : "";
}

static const char *render(const char *event, const char *type2)
{
	static char line[4096];
	struct job j;
	job_init(&j, &cfg, dfd[0], dfd[1], dfd[2], dfd[3], "siem2.x.000000000001.y");
	char why[128] = "";
	if (json_parse(&j.js, event, strlen(event)) < 0)
		snprintf(line, sizeof line, "(parse: %s)", j.js.err);
	else if (v2_render(&j, type2, why, sizeof why) < 0)
		snprintf(line, sizeof line, "(error: %s)", why);
	else
		snprintf(line, sizeof line, "%s", j.line.p);
	job_free(&j);
	return line;
}

int main(void)
{
	tree();

	/* Terminators: the most frequent kind wins; ties go to the last byte. */
	is_int(kv_term_decide(10, 1, 0, TERM_CR), TERM_CR, "CR records with a stray LF: CR");
	is_int(kv_term_decide(1, 0, 10, TERM_CRLF), TERM_CRLF, "CRLF records with a stray CR: CRLF");
	is_int(kv_term_decide(1, 10, 0, TERM_LF), TERM_LF, "LF records with a stray CR: LF");
	is_int(kv_term_decide(0, 0, 0, TERM_NONE), TERM_NONE, "no line break at all: one record");
	is_int(kv_term_decide(1, 1, 0, TERM_LF), TERM_LF, "a tie goes to the kind ending the payload");
	is_int(kv_term_decide(1, 1, 0, TERM_NONE), TERM_CR, "a tie with no final break goes to CR");
	is_int(detect("a=1\rb=2\rc\n=3\r"), TERM_CR, "detect: CR file with a stray LF");
	is_int(detect("a=1\r\nb=2\r\nc=3\r\n"), TERM_CRLF, "detect: CRLF file");
	is_int(detect("a=1\nb=2\nc=3"), TERM_LF, "detect: LF file without a final LF");
	is_int(detect("a=1\r\nb=2\rc=3\r"), TERM_CR, "detect: CR file whose first record ends CR LF");

	/* Framing, one byte per read (every boundary) and in one read. */
	for (size_t step = 1; step <= 64; step += 63) {
		char name[80];
		snprintf(name, sizeof name, "CR framing, %zu-byte reads", step);
		is_str(frame("a=1\rb=\n2\r\rc=3", TERM_CR, step), "1@0:a=1|2@4:b=\n2|3@10:c=3", name);
		snprintf(name, sizeof name, "CRLF framing across reads, stray CR kept, %zu-byte reads", step);
		is_str(frame("a=1\r\nb=\r2\r\nc\r", TERM_CRLF, step), "1@0:a=1|2@5:b=\r2|3@11:c\r", name);
		snprintf(name, sizeof name, "LF framing, %zu-byte reads", step);
		is_str(frame("a\r1\nb\n", TERM_LF, step), "1@0:a\r1|2@4:b", name);
	}
	is_str(frame("whole\nthing\r", TERM_NONE, 5), "1@0:whole\nthing\r", "no terminator: one record");

	/* A record over the limit goes to bad/, streamed, and framing goes on. */
	{
		size_t big = 70000;
		char *in = malloc(big + 16);
		memset(in, 'x', big);
		memcpy(in + big, "\rok=1\r", 7);
		struct job j;
		job_init(&j, &cfg, dfd[0], dfd[1], dfd[2], dfd[3], "siem1.000000000002.x.log");
		struct src s;
		struct mem m;
		mem_src(&s, &m, in, strlen(in), 4096);
		got[0] = '\0';
		frame_split(&j, &s, TERM_CR, collect, NULL);
		is_str(got, "2@70001:ok=1", "a 70000-byte record is not handed on; the next one is");
		is_int(j.bad_records, 1, "it is counted as bad");
		ok(j.bad_open && j.badf.written == (off_t)big + 1, "its bytes are in the bad file (%lld)",
		   (long long)j.badf.written);
		ok(strstr(j.why.p, "record 1 at byte 0: record longer than 65536 bytes") != NULL,
		   "the note says which record and why");
		job_free(&j);
		free(in);
	}

	/* Escaping. */
	is_str(esc(esc_record, "a\rb\nc|d\\e\t", 10), "a\\rb\\nc|d\\e\t",
	       "1.0 record: CR and LF escaped, pipe, backslash and tab untouched");
	is_str(esc(esc_value, "a\rb\nc|d\\e\tf\x01" "g\x7f", 14), "a\\rb\\nc\\x7cd\\e\\tf\\x01g\\x7f",
	       "value: CR LF TAB | and controls escaped, backslash not");
	is_str(esc(esc_key, "k=v|w", 5), "k\\x3dv\\x7cw", "key: = escaped as well");
	is_int(strlen(esc(esc_value, "a\0b", 3)), 6, "value: NUL becomes \\x00");
	{
		struct json js;
		json_init(&js);
		const char *doc = "{ \"a\" : [ 1 , \"x|y\" , { } ] ,\n \"b\":null }";
		struct buf b;
		buf_init(&b, 1024);
		ok(json_parse(&js, doc, strlen(doc)) == 0 && json_compact(&b, &js, 0, 1) == 0 &&
		   strcmp(b.p, "{\"a\":[1,\"x\\u007cy\",{}],\"b\":null}") == 0,
		   "compact JSON drops whitespace and hides pipes in strings: %s", b.p ? b.p : "");
		buf_reset(&b);
		ok(json_compact(&b, &js, 0, 0) == 0 && strchr(b.p, '|') != NULL,
		   "compact JSON keeps pipes when asked to");
		buf_free(&b);
		json_free(&js);
	}

	/* Shapes jsmn lets through, which the token helpers must never see. */
	{
		static const char *const shapes[][2] = {
			{ "{\"a\":1,\"b\":[1,{\"c\":null}]}", "1" },
			{ "{\"a\",\"b\":1}", "0" },
			{ "[[[[1]]]]", "1" },
			{ "[[[[[[1]]]]]]", "0" },
		};
		for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
			struct json js;
			json_init(&js);
			int parsed = json_parse(&js, shapes[i][0], strlen(shapes[i][0])) == 0;
			int good = parsed && json_shape_ok(&js, 5);
			is_int(good, shapes[i][1][0] - '0', shapes[i][0]);
			json_free(&js);
		}
	}

	/* Audit times. */
	long long t = 0;
	ok(audit_time("2024-11-25T11:58:41+0000", 24, &t) == 0 && t == 1732535921,
	   "audit time +0000: %lld", t);
	ok(audit_time("2024-11-25T13:58:41+0200", 24, &t) == 0 && t == 1732535921,
	   "audit time +0200 is the same instant");
	ok(audit_time("2024-11-25T11:58:41.123Z", 24, &t) == 0 && t == 1732535921,
	   "audit time with fraction and Z");
	ok(audit_time("2024-11-25T09:58:41-02:00", 25, &t) == 0 && t == 1732535921,
	   "audit time with a colon in the offset");
	ok(audit_time("2024-13-25T11:58:41+0000", 24, &t) < 0, "month 13 is refused");
	ok(audit_time("2024-11-25T11:58:41+00", 22, &t) < 0, "a short offset is refused");
	ok(audit_time("yesterday", 9, &t) < 0, "free text is refused");

	/* 2.0 -> 1.0. */
	is_str(render("{\"type\":\"receipt\",\"timestamp\":1732528154999,\"aggregateId\":\"A\","
		      "\"accountId\":\"C\",\"direction\":\"inbound\",\"senderHeader\":null,"
		      "\"action\":\"Acc\",\"subtype\":\"Acc\",\"spamProcessingDetail\":"
		      "\"\\\"{\\\\\\\"spf\\\\\\\":1}\\\"\",\"zz\":\"last\",\"_offset\":7}",
		      "receipt"),
	       "datetime=2024-11-25T09:49:14+0000|aCode=A|acc=C|Dir=Inbound|headerFrom=|Act=Acc|"
	       "SpamProcessingDetail={\"spf\":1}|subtype=Acc|zz=last|_offset=7",
	       "receipt: order, cap, always-empty headerFrom, unwrap, unused fallback kept, extras");
	is_str(render("{\"type\":\"delivery\",\"timestamp\":\"1000\",\"subtype\":\"true\","
		      "\"tlsUsed\":\"false\",\"recipients\":[\"a@x\",\"b|c\"],\"route\":\"\"}",
		      "delivery"),
	       "datetime=1970-01-01T00:00:01+0000|Delivered=true|Rcpt=[\"a@x\",\"b\\u007cc\"]|UseTls=No",
	       "delivery: subtype fallback, yes/no, a list as compact JSON, empty omitted");
	is_str(render("{\"type\":\"process\",\"timestamp\":0,\"attachments\":null,"
		      "\"subject\":\"x\\r\\ny\\t|\"}", "process"),
	       "datetime=1970-01-01T00:00:00+0000|AttNames=|Subject=x\\r\\ny\\t\\x7c",
	       "process: AttNames always written; a subject cannot inject");
	is_str(render("{\"type\":\"brand new\",\"timestamp\":0,\"we=ird|key\":{\"a\":true}}",
		      "brand new"),
	       "datetime=1970-01-01T00:00:00+0000|we\\x3dird\\x7ckey={\"a\":true}",
	       "unknown type: 2.0 names, key escaped, object compact");
	is_str(render("{\"type\":\"url protect\",\"timestamp\":0,\"analysis\":\"null\"}", "url_protect"),
	       "datetime=1970-01-01T00:00:00+0000", "url protect: the text null means no analysis");
	is_str(render("{\"type\":\"av\",\"aggregateId\":\"A\"}", "av"),
	       "(error: no epoch-millisecond \"timestamp\")", "no timestamp: refused");
	is_str(render("{\"type\":\"av\",\"timestamp\":-5}", "av"),
	       "(error: no epoch-millisecond \"timestamp\")", "a negative timestamp: refused");
	ok(v2_prefix("url_protect") != NULL && strcmp(v2_prefix("url_protect"), "ttp_url") == 0 &&
	   strcmp(v2_prefix("journal"), "jrnl") == 0 && v2_prefix("nope") == NULL,
	   "type prefixes: url_protect -> ttp_url, journal -> jrnl, unknown -> none");

	/* Names. */
	char lt[40];
	logtype_from_name("ttp_url_20241125135218608.log", lt, sizeof lt);
	is_str(lt, "ttp_url", "log type of a ttp_* name has two parts");
	logtype_from_name("receipt_20241125135218608.log", lt, sizeof lt);
	is_str(lt, "receipt", "log type is the prefix before _");
	logtype_from_name("mta.log", lt, sizeof lt);
	is_str(lt, "mta", "no prefix: mta");
	logtype_from_name("Bad Name_1.log", lt, sizeof lt);
	is_str(lt, "mta", "a prefix with odd bytes: mta");
	ok(split_name_cmp("siem2.av.000000000002.x", "siem1.000000000010.y") < 0 &&
	   split_name_cmp("siem1.000000000010.a", "siem1.000000000010.b") < 0 &&
	   split_name_cmp("audit.000000000003.json", "siem1.000000000002.x") > 0,
	   "raw/ order: by sequence number, then by name");

	untree();
	return done();
}
