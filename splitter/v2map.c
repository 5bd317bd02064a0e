/* v2map.c: an API 2.0 event as the API 1.0 key=value line of the same
 * log type, so LogRhythm's Mimecast rules keep parsing it.
 *
 * The table below is doc/v2-to-v1-mapping.md in C (keep them in step);
 * the evidence for each row is in shared/reference/v2-to-v1-fields.md.
 * Line layout: datetime, aCode, acc, then the 1.0 keys in the 1.0 order
 * of the type, then every field the table does not name, under its 2.0
 * name, in the event's own order. A null or "" value omits its key, except
 * for the keys real 1.0 lines always carry (K_ALWAYS).
 */
#include "split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define K_ALWAYS 1u /* write "key=" even when the field is null or missing */
#define K_CAP 2u    /* capitalise the first letter (inbound -> Inbound) */
#define K_YESNO 4u  /* "true"/"false" -> Yes/No */
#define K_UNWRAP 8u /* a JSON string whose text is itself a JSON string: unwrap once */
#define K_NULLSTR 16u /* the text "null" means no value (url protect "analysis") */

struct v1key {
	const char *key;
	const char *from[3]; /* 2.0 fields, first present wins */
	unsigned flags;
};

struct v2type {
	const char *type; /* 2.0 "type" */
	const char *prefix;
	const struct v1key *keys;
	size_t nkeys;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct v1key k_receipt[] = {
	{ "SpamLimit", { "spamDetectionLevel" }, 0 },
	{ "IP", { "senderIp" }, 0 },
	{ "RejType", { "rejectionType" }, 0 },
	{ "Error", { "receiptErrors" }, 0 },
	{ "RejCode", { "rejectionCode" }, 0 },
	{ "Dir", { "direction" }, K_CAP },
	{ "MsgId", { "messageId" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "headerFrom", { "senderHeader" }, K_ALWAYS },
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Rcpt", { "recipients" }, 0 },
	{ "SpamInfo", { "spamInfo" }, 0 },
	{ "Act", { "action", "subtype", "subType" }, 0 },
	{ "RejInfo", { "rejectionInfo" }, 0 },
	{ "TlsVer", { "tlsVersion" }, 0 },
	{ "Cphr", { "tlsCipher" }, 0 },
	{ "SpamScore", { "spamScore" }, 0 },
	{ "SpamProcessingDetail", { "spamProcessingDetail" }, K_UNWRAP },
	{ "AttCnt", { "numberAttachments" }, 0 },
	{ "Virus", { "virusFound" }, 0 },
};

static const struct v1key k_process[] = {
	{ "AttSize", { "totalSizeAttachments" }, 0 },
	{ "Act", { "action", "subtype", "subType" }, 0 },
	{ "AttCnt", { "numberAttachments" }, 0 },
	{ "AttNames", { "attachments" }, K_ALWAYS },
	{ "MsgSize", { "emailSize" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "Hld", { "holdReason" }, 0 },
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Subject", { "subject" }, 0 },
};

static const struct v1key k_delivery[] = {
	{ "Delivered", { "delivered", "subtype", "subType" }, 0 },
	{ "IP", { "destinationIp" }, 0 },
	{ "RejType", { "rejectionType" }, 0 },
	{ "RejCode", { "rejectionCode" }, 0 },
	{ "AttCnt", { "numberAttachments" }, 0 },
	{ "Dir", { "direction" }, K_CAP },
	{ "MsgId", { "messageId" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "Latency", { "deliveryTime" }, 0 },
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Rcpt", { "recipients" }, 0 },
	{ "AttSize", { "totalSizeAttachments" }, 0 },
	{ "Attempt", { "deliveryAttempts" }, 0 },
	{ "RejInfo", { "rejectionInfo" }, 0 },
	{ "TlsVer", { "tlsVersion" }, 0 },
	{ "Cphr", { "tlsCipher" }, 0 },
	{ "Snt", { "emailSize" }, 0 },
	{ "UseTls", { "tlsUsed" }, K_YESNO },
	{ "Route", { "route" }, 0 },
	{ "Err", { "deliveryErrors" }, 0 },
};

static const struct v1key k_journal[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Rcpt", { "recipients" }, 0 },
	{ "Dir", { "direction" }, K_CAP },
};

static const struct v1key k_av[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Recipient", { "recipients", "recipient" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "Route", { "route" }, K_CAP },
	{ "IP", { "senderIp" }, 0 },
	{ "SenderDomain", { "senderDomain" }, 0 },
	{ "SenderDomainInternal", { "senderDomainInternal" }, 0 },
	{ "Virus", { "virusFound" }, 0 },
	{ "fileName", { "fileName" }, 0 },
	{ "fileExt", { "fileExtension" }, 0 },
	{ "fileMime", { "fileMime" }, 0 },
	{ "md5", { "md5" }, 0 },
	{ "sha1", { "sha1" }, 0 },
	{ "sha256", { "sha256" }, 0 },
	{ "Size", { "emailSize" }, 0 },
};

static const struct v1key k_spam[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Recipient", { "recipients", "recipient" }, 0 },
	{ "SenderDomain", { "senderDomain" }, 0 },
	{ "headerFrom", { "senderHeader" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "Route", { "route" }, K_CAP },
	{ "SourceIP", { "senderIp" }, 0 },
};

static const struct v1key k_iep[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Recipient", { "recipients", "recipient" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "Route", { "route" }, K_CAP },
	{ "ScanResultInfo", { "scanResults" }, 0 },
	{ "URL", { "url" }, 0 },
	{ "UrlCategory", { "urlCategory" }, 0 },
};

static const struct v1key k_imp[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Recipient", { "recipients", "recipient" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "IP", { "senderIp" }, 0 },
	{ "Route", { "route" }, K_CAP },
	{ "Action", { "action" }, 0 },
	{ "Definition", { "policyDefinition" }, 0 },
	{ "Hits", { "itemsDetected", "hits" }, 0 },
	{ "TaggedExternal", { "taggedExternal" }, 0 },
	{ "TaggedMalicious", { "taggedMalicious" }, 0 },
	{ "InternalName", { "internalUserName" }, 0 },
	{ "NewDomain", { "newDomain" }, 0 },
	{ "ReplyMismatch", { "replyMismatch" }, 0 },
	{ "SimilarCustomExternalDomain", { "similarCustomExternalDomain" }, 0 },
	{ "SimilarInternalDomain", { "similarInternalDomain" }, 0 },
	{ "SimilarMimecastExternalDomain", { "similarMimecastExternalDomain" }, 0 },
	{ "CustomName", { "customNameMatch" }, 0 },
	{ "CustomThreatDictionary", { "customThreatDictionary" }, 0 },
	{ "ThreatDictionary", { "mimecastThreatDictionary" }, 0 },
};

static const struct v1key k_url[] = {
	{ "reason", { "blockReason" }, 0 },
	{ "url", { "url" }, 0 },
	{ "urlCategory", { "urlCategory" }, 0 },
	{ "sourceIp", { "sourceIp" }, 0 },
	{ "sender", { "senderEnvelope" }, 0 },
	{ "senderDomain", { "senderDomain" }, 0 },
	{ "recipient", { "recipients", "recipient" }, 0 },
	{ "subject", { "subject" }, 0 },
	{ "msgid", { "messageId" }, 0 },
	{ "route", { "route" }, 0 },
	{ "action", { "action" }, 0 },
	{ "credentialTheft", { "credentialTheft" }, 0 },
	{ "analysis", { "analysis" }, K_NULLSTR },
};

static const struct v1key k_ap[] = {
	{ "Sender", { "senderEnvelope" }, 0 },
	{ "Recipient", { "recipient", "recipients" }, 0 },
	{ "Subject", { "subject" }, 0 },
	{ "MsgId", { "messageId" }, 0 },
	{ "Route", { "route" }, K_CAP },
	{ "IP", { "senderIp" }, 0 },
	{ "SenderDomain", { "senderDomain" }, 0 },
	{ "fileName", { "fileName" }, 0 },
	{ "fileExt", { "fileExtension" }, 0 },
	{ "fileMime", { "fileMime" }, 0 },
	{ "md5", { "md5" }, 0 },
	{ "sha1", { "sha1" }, 0 },
	{ "sha256", { "sha256" }, 0 },
	{ "Size", { "sizeAttachment" }, 0 },
};

static const struct v2type types[] = {
	{ "receipt", "receipt", k_receipt, N(k_receipt) },
	{ "process", "process", k_process, N(k_process) },
	{ "delivery", "delivery", k_delivery, N(k_delivery) },
	{ "journal", "jrnl", k_journal, N(k_journal) },
	{ "av", "av", k_av, N(k_av) },
	{ "spam", "spameventthread", k_spam, N(k_spam) },
	{ "internal email protect", "iep", k_iep, N(k_iep) },
	{ "impersonation protect", "impersonation", k_imp, N(k_imp) },
	{ "url protect", "ttp_url", k_url, N(k_url) },
	{ "attachment protect", "ttp_ap", k_ap, N(k_ap) },
};

/* Fields every type has; "type" names the file, not a key. */
static const struct v1key k_head[] = {
	{ "aCode", { "aggregateId" }, 0 },
	{ "acc", { "accountId" }, 0 },
};
static const struct {
	const char *name;
	size_t len;
} k_skip[] = { { "type", 4 }, { "eventType", 9 }, { "timestamp", 9 } };

/* "url_protect" and "url protect" are the same type. */
static int type_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a == '_' ? ' ' : *a, y = *b == '_' ? ' ' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static const struct v2type *find_type(const char *type2)
{
	/* One input holds one type: the last answer is asked again and again. */
	static char last[64];
	static const struct v2type *last_t;
	if (last[0] != '\0' && strcmp(last, type2) == 0)
		return last_t;
	const struct v2type *t = NULL;
	for (size_t i = 0; i < N(types) && t == NULL; i++)
		if (type_eq(types[i].type, type2))
			t = &types[i];
	if (strlen(type2) < sizeof last) {
		strcpy(last, type2);
		last_t = t;
	}
	return t;
}

const char *v2_prefix(const char *type2)
{
	const struct v2type *t = find_type(type2);
	return t != NULL ? t->prefix : NULL;
}

/* ---- the fields an event is read by ---------------------------------------
 *
 * Each mapped key reads one to three 2.0 fields, first present wins. Rather
 * than look each name up in the event (a walk of its members per name), the
 * event's members are walked once and each is looked up in a table of the
 * names the type wants, sorted once per type. The first member of a name
 * wins, as a lookup by name would find it. */

#define V2_KEYS_MAX 32 /* keys of one list (k_head, or a type's) */
#define V2_FROM 3

struct want {
	const char *name;
	size_t len;
	unsigned char list; /* 0: k_head, 1: the type's keys, 2: k_time */
	unsigned char key, from;
};

struct lookup {
	struct want w[2 * V2_KEYS_MAX * V2_FROM + 1];
	size_t n;
	int built;
};

/* One per type, and one for an event of no known type (k_head only). */
static struct lookup lookups[N(types) + 1];

/* Where a field was found: the value token of each key's each name, or -1;
 * list 2 holds "timestamp" alone (as v[2][0][0]). */
struct found {
	int v[3][V2_KEYS_MAX][V2_FROM];
};

static const struct v1key k_time[] = { { "datetime", { "timestamp" }, 0 } };

static int want_cmp(const char *p, size_t n, const struct want *w)
{
	if (n != w->len)
		return n < w->len ? -1 : 1;
	/* Names are a few bytes: a loop here costs less than a call. */
	for (size_t i = 0; i < n; i++)
		if (p[i] != w->name[i])
			return (unsigned char)p[i] < (unsigned char)w->name[i] ? -1 : 1;
	return 0;
}

static int want_qcmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = want_cmp(x->name, x->len, y);
	if (c != 0)
		return c;
	return x->list != y->list ? x->list - y->list : x->key != y->key ? x->key - y->key
									  : x->from - y->from;
}

static void add_wants(struct lookup *l, const struct v1key *keys, size_t nkeys, int list)
{
	for (size_t i = 0; i < nkeys && i < V2_KEYS_MAX; i++)
		for (int f = 0; f < V2_FROM && keys[i].from[f] != NULL; f++) {
			struct want *w = &l->w[l->n++];
			w->name = keys[i].from[f];
			w->len = strlen(w->name);
			w->list = (unsigned char)list;
			w->key = (unsigned char)i;
			w->from = (unsigned char)f;
		}
}

static const struct lookup *lookup_for(const struct v2type *t)
{
	struct lookup *l = &lookups[t != NULL ? (size_t)(t - types) : N(types)];
	if (!l->built) {
		add_wants(l, k_head, N(k_head), 0);
		if (t != NULL)
			add_wants(l, t->keys, t->nkeys, 1);
		add_wants(l, k_time, N(k_time), 2);
		qsort(l->w, l->n, sizeof *l->w, want_qcmp);
		l->built = 1;
	}
	return l;
}

static void find_fields(const struct json *js, const struct lookup *l, struct found *fd)
{
	memset(fd, 0xff, sizeof *fd); /* every int -1 */
	int k = 1;
	for (int m = 0; m < js->t[0].size && k < js->n; m++) {
		if (js->t[k].type == JSMN_STRING) {
			const char *p = js->s + js->t[k].start;
			size_t n = (size_t)(js->t[k].end - js->t[k].start);
			size_t lo = 0, hi = l->n; /* the first want not below the name */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (want_cmp(p, n, &l->w[mid]) > 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < l->n && want_cmp(p, n, &l->w[lo]) == 0; lo++) {
				int *slot = &fd->v[l->w[lo].list][l->w[lo].key][l->w[lo].from];
				if (*slot < 0)
					*slot = k + 1;
			}
		}
		k = json_next(js, k + 1);
	}
}

/* Is the value at token v "absent" (null or "")? */
static int absent(const struct json *js, int v)
{
	if (v < 0 || json_is_null(js, v))
		return 1;
	return json_type(js, v) == JSMN_STRING && js->t[v].end == js->t[v].start;
}

static int is_null_text(const struct json *js, int v)
{
	size_t n;
	const char *p = json_raw(js, v, &n);
	return json_type(js, v) == JSMN_STRING && n == 4 && memcmp(p, "null", 4) == 0;
}

static int put_value(struct job *j, int v, unsigned flags)
{
	const struct json *js = &j->js;
	struct buf *out = &j->line;
	int type = json_type(js, v);
	if (type == JSMN_OBJECT || type == JSMN_ARRAY)
		return json_compact(out, js, v, 1);
	if (type == JSMN_PRIMITIVE) {
		size_t n;
		const char *p = json_raw(js, v, &n);
		if ((flags & K_YESNO) && (json_is_true(js, v) || (n == 5 && memcmp(p, "false", 5) == 0)))
			return buf_adds(out, json_is_true(js, v) ? "Yes" : "No");
		return buf_add(out, p, n);
	}
	buf_reset(&j->tmpv);
	if (json_str_buf(js, v, &j->tmpv) < 0)
		return -1;
	char *p = j->tmpv.p;
	size_t n = j->tmpv.len;
	if ((flags & K_UNWRAP) && n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		/* Double-encoded: the text is a JSON string literal. Unwrap it
		 * with a second parser so the event's tokens stay intact; it is
		 * parsed as the element of a one-element array ("[...]"), as
		 * json_parse() takes a document whose value is a container. */
		struct json inner;
		json_init(&inner);
		struct buf wrap, un;
		buf_init(&wrap, n + 2);
		buf_init(&un, n);
		int r = 1;
		if (buf_addc(&wrap, '[') == 0 && buf_add(&wrap, p, n) == 0 && buf_addc(&wrap, ']') == 0 &&
		    json_parse(&inner, wrap.p, wrap.len) == 0 && json_shape_ok(&inner, 2) &&
		    json_size(&inner, 0) == 1 &&
		    json_type(&inner, 1) == JSMN_STRING && json_str_buf(&inner, 1, &un) == 0)
			r = esc_value(out, un.p != NULL ? un.p : "", un.len);
		buf_free(&wrap);
		buf_free(&un);
		json_free(&inner);
		if (r <= 0)
			return r;
	}
	if ((flags & K_YESNO) && n == 4 && memcmp(p, "true", 4) == 0)
		return buf_adds(out, "Yes");
	if ((flags & K_YESNO) && n == 5 && memcmp(p, "false", 5) == 0)
		return buf_adds(out, "No");
	if ((flags & K_CAP) && n > 0 && p[0] >= 'a' && p[0] <= 'z')
		p[0] = (char)(p[0] - 'a' + 'A');
	return esc_value(out, p, n);
}

/* The keys already written, by token: an event has fewer tokens than it
 * has bytes, and records are at most record_max (64 KiB) bytes. */
#define V2_TOKENS_MAX 65536
struct used {
	unsigned char *tok; /* V2_TOKENS_MAX flags, cleared for the event's tokens */
};

static void mark(struct used *u, int keytok)
{
	if (keytok >= 0 && keytok < V2_TOKENS_MAX)
		u->tok[keytok] = 1;
}

static int is_used(const struct used *u, int keytok)
{
	return keytok >= 0 && keytok < V2_TOKENS_MAX && u->tok[keytok];
}

static int put_keys(struct job *j, const struct v1key *keys, size_t nkeys,
		    int (*found)[V2_FROM], struct used *u)
{
	const struct json *js = &j->js;
	for (size_t i = 0; i < nkeys; i++) {
		int val = -1;
		for (int f = 0; f < V2_FROM && keys[i].from[f] != NULL; f++) {
			int v = found[i][f];
			if (v < 0)
				continue;
			/* A fallback that is not used stays on the line under its
			 * 2.0 name (subtype next to action, say). */
			if (absent(js, v) || (keys[i].flags & K_NULLSTR && is_null_text(js, v))) {
				mark(u, v - 1);
			} else if (val < 0) {
				val = v;
				mark(u, v - 1);
			}
		}
		if (val < 0 && !(keys[i].flags & K_ALWAYS))
			continue;
		if (buf_addc(&j->line, '|') < 0 || buf_adds(&j->line, keys[i].key) < 0 ||
		    buf_addc(&j->line, '=') < 0)
			return -1;
		if (val >= 0 && put_value(j, val, keys[i].flags) < 0)
			return -1;
	}
	return 0;
}

int v2_render(struct job *j, const char *type2, char *why, size_t whylen)
{
	const struct json *js = &j->js;
	buf_reset(&j->line);
	const struct v2type *t = find_type(type2);
	struct found fd;
	find_fields(js, lookup_for(t), &fd);
	long long ms;
	if (json_int(js, fd.v[2][0][0], &ms) < 0 || ms < 0 ||
	    ms > 253402300799999LL) {
		snprintf(why, whylen, "no epoch-millisecond \"timestamp\"");
		return -1;
	}
	/* Events come in time order, many in the same second: the text of the
	 * last second is kept. */
	static time_t last_secs = -1;
	static char date[40];
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (secs != last_secs) {
		last_secs = -1;
		if (gmtime_r(&secs, &tm) == NULL ||
		    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+0000", &tm) == 0) {
			snprintf(why, whylen, "\"timestamp\" out of range");
			return -1;
		}
		last_secs = secs;
	}
	if (buf_adds(&j->line, "datetime=") < 0 || buf_adds(&j->line, date) < 0)
		goto full;
	static unsigned char used_tok[V2_TOKENS_MAX];
	if (js->n > V2_TOKENS_MAX) {
		snprintf(why, whylen, "too many fields");
		return -1;
	}
	memset(used_tok, 0, (size_t)js->n);
	struct used u = { used_tok };
	if (put_keys(j, k_head, N(k_head), fd.v[0], &u) < 0)
		goto full;
	if (t != NULL && put_keys(j, t->keys, t->nkeys, fd.v[1], &u) < 0)
		goto full;
	/* Everything else under its 2.0 name. */
	int k = 1;
	for (int m = 0; m < js->t[0].size; m++) {
		int v = k + 1;
		int skip = is_used(&u, k) || absent(js, v);
		for (size_t s = 0; s < N(k_skip) && !skip; s++) {
			size_t n;
			const char *p = json_raw(js, k, &n);
			skip = n == k_skip[s].len && memcmp(p, k_skip[s].name, n) == 0;
		}
		if (!skip) {
			buf_reset(&j->tmpv);
			if (buf_addc(&j->line, '|') < 0 || json_str_buf(js, k, &j->tmpv) < 0 ||
			    esc_key(&j->line, j->tmpv.p != NULL ? j->tmpv.p : "", j->tmpv.len) < 0 ||
			    buf_addc(&j->line, '=') < 0 || put_value(j, v, 0) < 0)
				goto full;
		}
		k = json_next(js, v);
	}
	return 0;
full:
	snprintf(why, whylen, "rendered line too long");
	return -1;
}
