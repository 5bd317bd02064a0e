/* split.h: the splitter's internals (raw/ -> mta/, audit/, bad/).
 *
 * One input payload is one "job". Parsers read the payload through a
 * "src" (a file, a gzip stream or a zip member: all pulled in chunks, so
 * memory is bounded whatever the size) and hand each record to the job,
 * which renders it into output "streams" (one per log type), cuts them
 * into parts of at most max_file_bytes between records, and publishes
 * every part through spool_publish() under a name that depends only on
 * the input name and the record's position. A re-run after a crash thus
 * rebuilds exactly the same parts, and SPOOL_EXISTS says "already done".
 * See doc/output-format.md.
 */
#ifndef MCSPOOL_SPLIT_H
#define MCSPOOL_SPLIT_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "spool.h"

/* Ceilings on hostile input. Defaults in split_limits_default(). */
struct split_limits {
	size_t record_max;              /* bytes of one record (line, element): 64 KiB */
	unsigned long long expand_max;  /* decompressed bytes per input (all members) */
	unsigned long long ratio_max;   /* decompressed / compressed, checked ... */
	unsigned long long ratio_floor; /* ... once this much was decompressed */
	size_t audit_page_max;          /* bytes of one audit page (sorted in memory) */
	long zip_members_max;
	size_t why_max; /* bytes of one .why note */
};
void split_limits_default(struct split_limits *l);

/* ---- sources ------------------------------------------------------------ */

struct src {
	/* > 0 bytes read, 0 at the end, -1 on error (what went wrong in err). */
	ssize_t (*read)(struct src *, char *, size_t);
	/* Start again from the first byte (for a second pass). 0 or -1. */
	int (*rewind)(struct src *);
	void *priv;
	int fd;
	unsigned long long pos; /* bytes delivered so far (offsets in .why) */
	char err[200];
};

/* A plain file descriptor (not closed by the src). */
void src_fd(struct src *s, int fd);
/* gzip (RFC 1952, one or more members) read from fd, with the bomb limits. */
int src_gz_open(struct src *s, int fd, const struct split_limits *lim);
void src_gz_close(struct src *s);

/* ---- the job: one input ------------------------------------------------- */

#define JOB_STREAMS 16

struct stream {
	int used;
	char prefix[SPOOL_NAME_MAX + 1]; /* output name up to the part number */
	const char *ext;                 /* "log" or "json" */
	int dir;                         /* dirs.mta or dirs.audit */
	int is_mta;
	struct spool_file f;
	int open;
	long part; /* number of the part being written (1, 2, ...) */
	long records_in_part;
	/* What the stream was asked for, so that the next record of the same
	 * log type finds it without building the prefix again. */
	char logtype[64];
	int to_audit, member;
};

struct job {
	/* Where things go (from the stage context; fds are not owned). */
	int tmp, mta, audit, bad;
	const struct config *cfg;
	struct split_limits lim;

	const char *input;        /* name in raw/ */
	char seq[16];             /* 12 digits from the name, or "000000000000" */
	char stream_tag[48];      /* "siem1", "siem2", "audit", "other" */
	char hash[9];             /* FNV-1a of the input name, 8 hex digits */
	int member;               /* zip member number (1...), 0 outside zips */

	struct stream st[JOB_STREAMS];
	struct stream *last; /* the stream of the last record, or NULL */

	/* Bad records of this input, written to bad/<input>.lines. */
	struct spool_file badf;
	int bad_open;
	long bad_records;
	struct buf why; /* the .why text for bad records and a bad payload */
	long why_lines;
	int payload_bad; /* move the whole input to bad/ */

	long records;      /* records delivered */
	long parts_mta;    /* parts published (or found already there) into mta/ */
	long parts_audit;
	int failed;        /* a temporary error: leave the input for the next pass */

	/* Scratch space for rendering one record. */
	struct buf line;
	struct buf tmpv;
	struct json js;
};

void job_init(struct job *j, const struct config *cfg, int tmp, int mta, int audit, int bad,
	      const char *input);
void job_free(struct job *j);

/* Deliver one record of log type logtype (already rendered, without the
 * line ending) to mta/ (to_audit = 0) or audit/. Returns 0, or -1 after a
 * temporary error (j->failed is set). */
int job_emit(struct job *j, const char *logtype, int to_audit, const char *ext,
	     const char *rec, size_t len);
/* Publish every open part (end of a zip member or of the input). */
int job_flush(struct job *j);

/* Report a bad record: its bytes go to bad/<input>.lines, the reason to
 * the .why note. A record can be given in pieces: job_bad_begin(), then
 * job_bad_add() any number of times (for records too long to hold), then
 * job_bad_end(). */
void job_bad_record(struct job *j, const char *rec, size_t len, unsigned long long off,
		    long recno, const char *fmt, ...);
int job_bad_begin(struct job *j);
int job_bad_add(struct job *j, const char *p, size_t n);
void job_bad_end(struct job *j, unsigned long long off, long recno, const char *fmt, ...);
/* The payload as a whole is bad: it is moved to bad/ with this reason
 * (records delivered before the fault stay delivered). */
void job_bad_payload(struct job *j, const char *fmt, ...);
/* Add a line to the .why note. */
void job_why(struct job *j, const char *fmt, ...);

/* After the parser: publish parts, bad records, the .why note, move a bad
 * payload to bad/ or remove the input. Returns 0 when the input is done. */
int job_commit(struct job *j, int rawdir);

/* ---- escaping (esc.c) ---------------------------------------------------- */

/* A 1.0 record: every CR and LF byte left in it becomes "\r" / "\n". */
int esc_record(struct buf *b, const char *p, size_t n);
/* A rendered value: CR LF TAB -> \r \n \t, '|' -> \x7c, other C0 and DEL -> \xHH. */
int esc_value(struct buf *b, const char *p, size_t n);
/* A key: as a value, and '=' -> \x3d as well. */
int esc_key(struct buf *b, const char *p, size_t n);
/* Token i of js as compact JSON (no insignificant whitespace); inside
 * strings a '|' is written "\u007c", so the text can sit in a kv field. */
int json_compact(struct buf *b, const struct json *js, int i, int hide_pipe);

/* Is js (just parsed) a well-formed tree, nested at most maxdepth (<= 256)
 * deep? Every parser checks this before using the token helpers. */

/* ---- parsers ------------------------------------------------------------- */

/* Record terminators of a 1.0 key_value payload. */
enum kv_term { TERM_NONE, TERM_CR, TERM_LF, TERM_CRLF };
/* Decide a payload's terminator from counts of bare CR, bare LF and CRLF
 * pairs, and its last byte(s). */
enum kv_term kv_term_decide(unsigned long long ncr, unsigned long long nlf,
			    unsigned long long ncrlf, enum kv_term last);
/* Count pass over s, then rewind. -1 on a read error. */
int kv_term_detect(struct src *s, enum kv_term *t);
/* Split s on terminator t; each record to the job as logtype. Empty
 * records (two terminators in a row) are skipped. -1 on a read error
 * (the payload is marked bad). */
int kv_split(struct job *j, struct src *s, const char *logtype);

/* Split s on t, handing each record of at most record_max bytes (with
 * its byte offset and number) to fn; longer ones go to bad/ as they come. */
int frame_split(struct job *j, struct src *s, enum kv_term t,
		int (*fn)(struct job *, const char *, size_t, unsigned long long, long, void *),
		void *arg);

/* 1.0 fileFormat=json: {"type":"MTA","data":[ {...}, ... ]} streamed. */
int jarr_split(struct job *j, struct src *s, const char *logtype);
/* The same envelope scan, each element of "data" (its raw bytes, at most
 * record_max; longer ones go to bad/) handed to fn. Envelope faults mark
 * the payload bad. -1 only after a temporary error. */
typedef int (*jarr_fn)(struct job *j, struct buf *el, unsigned long long off, long recno,
		       void *arg);
int jarr_stream(struct job *j, struct src *s, jarr_fn fn, void *arg);
/* Render one 1.0 json record (j->js parsed, token 0 an object). */
int v1json_render(struct job *j, const char *logtype);

/* API 2.0 NDJSON (already decompressed). */
int ndjson_split(struct job *j, struct src *s);

/* An audit file: a page, or the fetcher's window of pages in one envelope
 * (streamed; sorted oldest first in blocks of at most audit_page_max). */
int audit_split(struct job *j, struct src *s);
/* "2024-11-25T11:58:41+0000" -> seconds since the epoch; -1 if not a time. */
int audit_time(const char *s, size_t n, long long *t);

/* A zip of 1.0 kv or json members, from fd. */
int zip_split(struct job *j, int fd);

/* ---- 2.0 -> 1.0 (v2map.c) ------------------------------------------------ */

/* The 1.0 file prefix of a 2.0 type ("url protect" -> "ttp_url"), or NULL. */
const char *v2_prefix(const char *type2);
/* Render j->js (a 2.0 event, token 0) as the 1.0 key=value line into
 * j->line. 0, or -1 with a reason in why. */
int v2_render(struct job *j, const char *type2, char *why, size_t whylen);

/* ---- the sandbox (box.c) ---- */
struct stage_ctx;
void split_sandbox(struct stage_ctx *ctx);

/* ---- raw/ (input.c) ------------------------------------------------------ */

/* Log type from a 1.0 file or member name: the prefix before '_' (two
 * parts for ttp_*), lower-case letters only; "mta" when there is none. */
void logtype_from_name(const char *name, char *out, size_t cap);
/* Handle raw/name completely. 0 done (removed or moved to bad/), -1 left. */
int split_input(const struct config *cfg, int rawdir, int tmp, int mta, int audit, int bad,
		int lockdir, const char *name);
/* Order of raw/ names: by sequence number, then by name. */
int split_name_cmp(const char *a, const char *b);

#endif
