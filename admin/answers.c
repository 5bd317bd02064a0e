/* answers.c: the setup questions, in the order of Mimecast's api_setup.py
 * (data directory, read path, archive directory, Log Source Id, max files,
 * retention days), then the API version, its credentials and the admin
 * email. Every answer is validated where it is given: a bad one is
 * explained and asked again (interactive) or refused (non-interactive).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "mcapi.h"

struct question setup_questions[] = {
	{ "data_dir", "data-dir", "Mimecast data directory", Q_PATH, Q_ALL, 0, 0, "", FROM_NONE },
	{ "read_path", "read-path", "System Monitor read path", Q_PATH, Q_ALL, 0, 0, "", FROM_NONE },
	{ "archive_dir", "archive-dir", "Log archive directory", Q_PATH, Q_ALL, 0, 0, "", FROM_NONE },
	{ "log_source_id", "log-source-id", "Log Source Id (of the Mimecast MTA log source)", Q_INT,
	  Q_ALL, 0, 2147483647L, "", FROM_NONE },
	{ "max_files", "max-files", "Max files in the System Monitor read path", Q_INT, Q_ALL, 1,
	  100000, "", FROM_NONE },
	{ "retention_days", "retention-days", "Number of days to keep logs", Q_INT, Q_ALL, 1, 3650,
	  "", FROM_NONE },
	{ "api", "api", "Mimecast API version (1 or 2)", Q_API, Q_ALL, 1, 2, "", FROM_NONE },
	{ "app_id", "app-id", "Application Id", Q_TEXT, Q_API1, 0, 0, "", FROM_NONE },
	{ "app_key", "app-key", "Application Key", Q_TEXT, Q_API1, 0, 0, "", FROM_NONE },
	{ "access_key", "access-key", "Access Key", Q_TEXT, Q_API1, 0, 0, "", FROM_NONE },
	{ "secret_key", NULL, "Secret Key", Q_B64SECRET, Q_API1, 0, 0, "", FROM_NONE },
	{ "email", "email", "Email address of the Mimecast administrator the keys belong to",
	  Q_EMAIL, Q_API1, 0, 0, "", FROM_NONE },
	{ "base_url", "base-url", "API 2.0 base URL", Q_URL, Q_API2, 0, 0, "", FROM_NONE },
	{ "client_id", "client-id", "Client Id", Q_TEXT, Q_API2, 0, 0, "", FROM_NONE },
	{ "client_secret", NULL, "Client Secret", Q_SECRET, Q_API2, 0, 0, "", FROM_NONE },
};
const size_t setup_nquestions = sizeof setup_questions / sizeof setup_questions[0];

struct question *setup_question(const char *key)
{
	for (size_t i = 0; i < setup_nquestions; i++)
		if (strcmp(setup_questions[i].key, key) == 0)
			return &setup_questions[i];
	return NULL;
}

const char *setup_answer(const char *key)
{
	struct question *q = setup_question(key);
	return q != NULL ? q->value : "";
}

long setup_answer_long(const char *key)
{
	return strtol(setup_answer(key), NULL, 10);
}

const char *setup_origin_name(enum q_origin o)
{
	switch (o) {
	case FROM_DEFAULT: return "default";
	case FROM_CONFIG: return "existing config";
	case FROM_OPTION: return "option";
	case FROM_STDIN: return "standard input";
	case FROM_PROMPT: return "answered";
	case FROM_NONE: break;
	}
	return "none";
}

static int is_secret(const struct question *q)
{
	return q->kind == Q_SECRET || q->kind == Q_B64SECRET;
}

static void set(const char *key, const char *v, enum q_origin origin)
{
	struct question *q = setup_question(key);
	if (q == NULL || v == NULL || v[0] == '\0')
		return;
	snprintf(q->value, sizeof q->value, "%s", v);
	q->origin = origin;
}

static void setl(const char *key, long v, enum q_origin origin)
{
	char s[32];
	snprintf(s, sizeof s, "%ld", v);
	set(key, s, origin);
}

void setup_defaults(const struct config *c, enum q_origin origin)
{
	set("data_dir", c->data_dir, origin);
	set("read_path", c->read_path, origin);
	set("archive_dir", c->archive_dir, origin);
	setl("log_source_id", c->log_source_id, origin);
	setl("max_files", c->max_files, origin);
	setl("retention_days", c->retention_days, origin);
	setl("api", c->mimecast.api, origin);
	set("app_id", c->mimecast.app_id, origin);
	/* Present only when the existing config was loaded with its secrets:
	 * then Enter keeps them. */
	set("app_key", c->mimecast.app_key, origin);
	set("secret_key", c->mimecast.secret_key, origin);
	set("client_secret", c->mimecast.client_secret, origin);
	set("access_key", c->mimecast.access_key, origin);
	set("email", c->mimecast.email, origin);
	set("client_id", c->mimecast.client_id, origin);
	/* An API 1.0 base URL is a regional 1.0 host, no default for 2.0. */
	if (c->mimecast.api == 2 || origin == FROM_DEFAULT)
		set("base_url", c->mimecast.base_url, origin);
}

int setup_applies(const struct question *q)
{
	long api = setup_answer_long("api");
	return q->scope == Q_ALL || (q->scope == Q_API1 && api == 1) ||
	       (q->scope == Q_API2 && api == 2);
}

/* Is a inside b (or b itself)? Both are normalized absolute paths. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static const char *check_path(const struct question *q, const char *v, char *why, size_t cap)
{
	if (v[0] != '/')
		return "must be an absolute path (starting with /)";
	if (strcmp(v, "/") == 0)
		return "must not be / itself";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return "must not hold control characters, quotes or backslashes";
	if (strstr(v, "/../") != NULL || strstr(v, "/./") != NULL || strstr(v, "//") != NULL ||
	    (strlen(v) >= 3 && strcmp(v + strlen(v) - 3, "/..") == 0) ||
	    (strlen(v) >= 2 && strcmp(v + strlen(v) - 2, "/.") == 0))
		return "must be a plain path (no '.', '..' or empty components)";
	struct stat st;
	if (stat(v, &st) == 0 && !S_ISDIR(st.st_mode))
		return "exists and is not a directory";
	/* The SIEM must never see the spool's private staging, nor the mover's
	 * archive (and the reaper must never prune what the reader reads): the
	 * three directories are distinct and none lies inside another. Only the
	 * ones answered before this one are compared. */
	static const char *const order[] = { "data_dir", "read_path", "archive_dir" };
	for (size_t i = 0; i < 3 && strcmp(order[i], q->key) != 0; i++) {
		const char *o = setup_answer(order[i]);
		if (o[0] == '\0')
			continue;
		if (strcmp(o, v) == 0)
			snprintf(why, cap, "must differ from %s (%s)", order[i], o);
		else if (path_within(o, v))
			snprintf(why, cap, "must not contain %s (%s)", order[i], o);
		else if (i > 0 && path_within(v, o))
			snprintf(why, cap, "must not lie inside %s (%s)", order[i], o);
		else
			continue;
		return why;
	}
	return NULL;
}

static const char *check_int(const struct question *q, const char *v, char *why, size_t cap)
{
	if (v[0] == '\0' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 10) {
		snprintf(why, cap, "must be a whole number from %ld to %ld", q->lo, q->hi);
		return why;
	}
	long n = strtol(v, NULL, 10);
	if (n < q->lo || n > q->hi) {
		snprintf(why, cap, "%ld is out of range (%ld to %ld)", n, q->lo, q->hi);
		return why;
	}
	return NULL;
}

static const char *check_token(const char *v, size_t max)
{
	if (v[0] == '\0')
		return "must not be empty";
	if (strlen(v) > max)
		return "is too long";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\')
			return "must be printable ASCII without spaces, quotes or backslashes";
	return NULL;
}

static const char *check_email(const char *v)
{
	const char *at = strchr(v, '@');
	if (check_token(v, 254) != NULL || at == NULL || at == v || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL || at[1] == '.' || v[strlen(v) - 1] == '.')
		return "is not an email address (user@example.com)";
	return NULL;
}

const char *setup_validate(const struct question *q, const char *v, char *why, size_t cap)
{
	const char *r;
	switch (q->kind) {
	case Q_PATH:
		return check_path(q, v, why, cap);
	case Q_INT:
		return check_int(q, v, why, cap);
	case Q_API:
		return strcmp(v, "1") == 0 || strcmp(v, "2") == 0
			       ? NULL
			       : "must be 1 (API 1.0, end of life) or 2 (API 2.0)";
	case Q_TEXT:
		return check_token(v, 1024);
	case Q_SECRET:
		return check_token(v, 4000);
	case Q_B64SECRET: {
		if ((r = check_token(v, 4000)) != NULL)
			return r;
		unsigned char tmp[512];
		long n = mc_b64decode(v, tmp, sizeof tmp);
		memset(tmp, 0, sizeof tmp);
		return n <= 0 ? "is not standard base64 (Mimecast shows the Secret Key once, when the "
				"keys are created: copy it whole)"
			      : NULL;
	}
	case Q_EMAIL:
		return check_email(v);
	case Q_URL:
		if (!http_url_allowed(v, why, cap))
			return why;
		return NULL;
	}
	return "unknown question";
}

/* Trim blanks around v; drop trailing slashes of paths and URLs. */
static void normalize(const struct question *q, char *v)
{
	size_t n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		v[--n] = '\0';
	size_t s = strspn(v, " \t");
	memmove(v, v + s, n - s + 1);
	n -= s;
	if (q->kind == Q_PATH || q->kind == Q_URL)
		while (n > 1 && v[n - 1] == '/')
			v[--n] = '\0';
}

/* Print the prompt and read one line from stdin, without echo for a secret
 * on a terminal. Echo goes off before the prompt appears, so nothing typed
 * after it is shown; TCSANOW, so no typed-ahead answer is thrown away.
 * 0, or -1 at end of input. */
static int read_answer(const struct question *q, char *out, size_t cap)
{
	struct termios old, quiet;
	int noecho = is_secret(q) && isatty(0) && tcgetattr(0, &old) == 0;
	if (noecho) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(0, TCSANOW, &quiet) < 0)
			noecho = 0;
	}
	if (q->value[0] != '\0')
		printf("%s [%s]: ", q->prompt, is_secret(q) ? "unchanged" : q->value);
	else
		printf("%s: ", q->prompt);
	fflush(stdout);
	char *r = fgets(out, (int)cap, stdin);
	if (noecho) {
		(void)tcsetattr(0, TCSANOW, &old);
		fputs("\n", stdout);
	}
	if (r == NULL)
		return -1;
	size_t n = strlen(out);
	if (n == cap - 1 && out[n - 1] != '\n') {
		/* Too long: drop the rest of the line, make it an invalid answer. */
		int c;
		while ((c = getchar()) != EOF && c != '\n')
			;
		snprintf(out, cap, "%s", "\x01");
	}
	return 0;
}

void setup_ask(struct question *q, const char *reason)
{
	char line[ANSWER_MAX + 2], why[512];
	if (reason != NULL) {
		/* Refused by Mimecast: not a default worth offering again. */
		printf("  %s.\n", reason);
		q->value[0] = '\0';
		q->origin = FROM_NONE;
	}
	for (;;) {
		if (read_answer(q, line, sizeof line) < 0) {
			printf("\n");
			die(EXIT_PERM, "standard input ended at the question for %s (for automation use "
				       "--non-interactive)", q->key);
		}
		normalize(q, line);
		if (line[0] == '\0') {
			if (q->value[0] != '\0')
				snprintf(line, sizeof line, "%s", q->value);
			else {
				printf("  %s: an answer is required.\n", q->key);
				continue;
			}
		}
		const char *bad = setup_validate(q, line, why, sizeof why);
		if (bad == NULL) {
			snprintf(q->value, sizeof q->value, "%s", line);
			q->origin = FROM_PROMPT;
			if (is_secret(q))
				log_secret(q->value);
			return;
		}
		if (is_secret(q))
			printf("  %s %s; please try again.\n", q->key, bad);
		else
			printf("  '%s': %s %s; please try again.\n", line, q->key, bad);
	}
}

void setup_ask_all(void)
{
	for (size_t i = 0; i < setup_nquestions; i++) {
		struct question *q = &setup_questions[i];
		if (!setup_applies(q))
			continue;
		/* A value given as an option is taken as given, but still checked. */
		if (q->origin == FROM_OPTION) {
			char why[512];
			const char *bad = setup_validate(q, q->value, why, sizeof why);
			if (bad == NULL) {
				printf("%s: %s (from --%s)\n", q->prompt, q->value, q->option);
				continue;
			}
			q->value[0] = '\0';
			q->origin = FROM_NONE;
			printf("  --%s: %s %s.\n", q->option, q->key, bad);
		}
		setup_ask(q, NULL);
	}
}

void setup_read_stdin(int fd)
{
	FILE *f = fdopen(fd, "r");
	if (f == NULL)
		die_sys(EXIT_TEMP, "unable to read standard input");
	char line[ANSWER_MAX + 64];
	int lineno = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		size_t n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n')
			die(EXIT_PERM, "standard input line %d: too long", lineno);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		char *p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (eq == NULL)
			die(EXIT_PERM, "standard input line %d: expected key=value", lineno);
		*eq = '\0';
		char *k = p, *v = eq + 1;
		size_t kn = strlen(k);
		while (kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
			k[--kn] = '\0';
		v += strspn(v, " \t");
		size_t vn = strlen(v);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
			v[vn - 1] = '\0';
			v++;
		}
		struct question *q = setup_question(k);
		if (q == NULL) {
			char known[512] = "";
			for (size_t i = 0; i < setup_nquestions; i++) {
				strcat(known, i ? ", " : "");
				strcat(known, setup_questions[i].key);
			}
			die(EXIT_PERM, "standard input line %d: unknown key '%s' (known: %s)", lineno, k,
			    known);
		}
		/* An option given on the command line wins over standard input. */
		if (q->origin == FROM_OPTION)
			continue;
		snprintf(q->value, sizeof q->value, "%s", v);
		normalize(q, q->value);
		q->origin = FROM_STDIN;
		if (is_secret(q))
			log_secret(q->value);
	}
	if (ferror(f))
		die_sys(EXIT_TEMP, "unable to read standard input");
	memset(line, 0, sizeof line);
}

void setup_check_noninteractive(void)
{
	char why[512];
	printf("Non-interactive setup: the answers used\n");
	for (size_t i = 0; i < setup_nquestions; i++) {
		struct question *q = &setup_questions[i];
		if (!setup_applies(q))
			continue;
		if (q->value[0] == '\0' || q->origin == FROM_NONE) {
			if (is_secret(q))
				die(EXIT_PERM, "no value for %s: give %s=... on standard input (secrets are "
					       "never taken from the command line)", q->key, q->key);
			die(EXIT_PERM, "no value for %s: give --%s or %s=... on standard input", q->key,
			    q->option, q->key);
		}
		const char *bad = setup_validate(q, q->value, why, sizeof why);
		if (bad != NULL) {
			if (is_secret(q))
				die(EXIT_PERM, "%s (from %s) %s", q->key, setup_origin_name(q->origin), bad);
			die(EXIT_PERM, "%s = '%s' (from %s): %s %s", q->key, q->value,
			    setup_origin_name(q->origin), q->key, bad);
		}
		printf("  %-15s %s (%s)\n", q->key, is_secret(q) ? "[hidden]" : q->value,
		       setup_origin_name(q->origin));
	}
}
