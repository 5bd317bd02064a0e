/* input.c: what a raw/ name is, and handling one input from start to
 * commit. The fetcher's names:
 *
 *   siem1.<seq12>.<name>          API 1.0 SIEM body (<name>: kv .log, .json, .zip)
 *   audit.<seq12>.json            an audit page
 *   siem2.<type>.<seq12>.<file>   an API 2.0 batch file (gzip NDJSON)
 *
 * Anything else goes to bad/ with the reason.
 */
#include "split.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "wake.h"

static int lowalnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

void logtype_from_name(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	while (name[n] != '\0' && name[n] != '_')
		n++;
	int ok = name[n] == '_' && n > 0;
	for (size_t i = 0; i < n && ok; i++)
		ok = lowalnum(name[i]);
	if (ok && n == 3 && memcmp(name, "ttp", 3) == 0) {
		/* ttp_url_..., ttp_ap_...: the type has two parts. */
		size_t m = n + 1;
		while (lowalnum(name[m]))
			m++;
		ok = m > n + 1 && (name[m] == '_' || name[m] == '.' || name[m] == '\0');
		n = m;
	}
	if (!ok || n == 0 || n >= cap || n > 32) {
		snprintf(out, cap, "mta");
		return;
	}
	memcpy(out, name, n);
	out[n] = '\0';
}

/* The 12-digit sequence number in a raw/ name, or -1. */
static long long name_seq(const char *name)
{
	const char *p = NULL;
	if (strncmp(name, "siem1.", 6) == 0 || strncmp(name, "audit.", 6) == 0)
		p = name + 6;
	else if (strncmp(name, "siem2.", 6) == 0 && (p = strchr(name + 6, '.')) != NULL)
		p++;
	if (p == NULL || strspn(p, "0123456789") != 12 || p[12] != '.')
		return -1;
	return strtoll(p, NULL, 10);
}

int split_name_cmp(const char *a, const char *b)
{
	long long x = name_seq(a), y = name_seq(b);
	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(a, b);
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

enum kind { K_BAD, K_KV, K_JSON, K_ZIP, K_AUDIT, K_V2 };

/* The first bytes, for payloads whose name does not say what they are. */
static enum kind sniff(int fd)
{
	unsigned char b[256];
	ssize_t n;
	do
		n = pread(fd, b, sizeof b, 0);
	while (n < 0 && errno == EINTR);
	if (n < 4)
		return n > 0 ? K_KV : K_BAD;
	if (b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4)
		return K_ZIP;
	if (b[0] == 0x1f && b[1] == 0x8b)
		return K_BAD;
	for (ssize_t i = 0; i < n; i++) {
		if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')
			continue;
		return b[i] == '{' ? K_JSON : K_KV;
	}
	return K_KV;
}

static int run(struct job *j, int fd, enum kind k, const char *logtype)
{
	struct src s;
	int rc = 0;
	switch (k) {
	case K_KV:
		src_fd(&s, fd);
		rc = kv_split(j, &s, logtype);
		break;
	case K_JSON:
		src_fd(&s, fd);
		rc = jarr_split(j, &s, logtype);
		break;
	case K_ZIP:
		rc = zip_split(j, fd);
		break;
	case K_AUDIT:
		src_fd(&s, fd);
		rc = audit_split(j, &s);
		break;
	case K_V2: {
		unsigned char b[2] = { 0, 0 };
		ssize_t n = pread(fd, b, 2, 0);
		if (n == 2 && b[0] == 0x1f && b[1] == 0x8b) {
			if (src_gz_open(&s, fd, &j->lim) < 0) {
				j->failed = 1;
				return -1;
			}
			rc = ndjson_split(j, &s);
			src_gz_close(&s);
		} else if (sniff(fd) == K_JSON) {
			/* Plain NDJSON is accepted too (a proxy may have inflated it). */
			src_fd(&s, fd);
			rc = ndjson_split(j, &s);
		} else {
			job_bad_payload(j, "a 2.0 batch file that is neither gzip (no 1f 8b magic) "
					   "nor NDJSON");
		}
		break;
	}
	case K_BAD:
		break;
	}
	return rc;
}

/* What the name says; logtype gets the 1.0 log type for siem1 inputs. */
static enum kind classify(const char *name, int fd, char *logtype, size_t cap, char *why,
			  size_t whylen)
{
	snprintf(logtype, cap, "mta");
	if (strncmp(name, "siem1.", 6) == 0 && name_seq(name) >= 0) {
		const char *rest = name + 6 + 13;
		logtype_from_name(rest, logtype, cap);
		if (ends_with(rest, ".zip"))
			return K_ZIP;
		if (ends_with(rest, ".json"))
			return K_JSON;
		if (ends_with(rest, ".log"))
			return K_KV;
		enum kind k = sniff(fd);
		if (k == K_BAD)
			snprintf(why, whylen, "unrecognisable content");
		return k;
	}
	if (strncmp(name, "audit.", 6) == 0 && name_seq(name) >= 0 && ends_with(name, ".json"))
		return K_AUDIT;
	if (strncmp(name, "siem2.", 6) == 0 && name_seq(name) >= 0)
		return K_V2;
	snprintf(why, whylen, "unknown input name (not siem1.<seq>.*, audit.<seq>.json or siem2.<type>.<seq>.*)");
	return K_BAD;
}

int split_input(const struct config *cfg, int rawdir, int tmp, int mta, int audit, int bad,
		int lockdir, const char *name)
{
	struct job j;
	job_init(&j, cfg, tmp, mta, audit, bad, name);
	int fd = openat(rawdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 && errno == ENOENT) {
		job_free(&j);
		return 0; /* gone meanwhile (another run took it) */
	}
	if (fd < 0 && errno != ELOOP) {
		log_error_sys("unable to open raw/%s", name);
		job_free(&j);
		return -1;
	}
	if (fd < 0)
		job_bad_payload(&j, "a symbolic link; not followed");
	else if (fstat(fd, &st) < 0) {
		log_error_sys("unable to stat raw/%s", name);
		close(fd);
		job_free(&j);
		return -1;
	} else if (!S_ISREG(st.st_mode))
		job_bad_payload(&j, "not a regular file");
	else if (st.st_size == 0)
		job_bad_payload(&j, "empty file");
	else {
		char logtype[40], why[160] = "";
		enum kind k = classify(name, fd, logtype, sizeof logtype, why, sizeof why);
		if (k == K_BAD)
			job_bad_payload(&j, "%s", why);
		else
			run(&j, fd, k, logtype);
	}
	if (fd >= 0)
		close(fd);
	int rc = -1;
	if (!j.failed && job_commit(&j, rawdir) == 0)
		rc = 0;
	if (j.parts_mta > 0)
		trigger_pull(lockdir, "move");
	if (rc == 0 && (j.bad_records > 0 || j.payload_bad))
		log_warn("%s: %ld records delivered, %ld bad records%s (see bad/)", name, j.records,
			 j.bad_records, j.payload_bad ? ", payload quarantined" : "");
	else if (rc == 0)
		log_info("%s: %ld records delivered", name, j.records);
	if (rc == 0) {
		status_count("files", 1);
		status_count("events", j.records);
		status_count("bytes", (long long)st.st_size);
		status_count("bad", j.bad_records + (j.payload_bad ? 1 : 0));
	}
	job_free(&j);
	return rc;
}
