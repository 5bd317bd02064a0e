/* admin.h: what mcspool-setup's pieces share (the admin directory, built into
 * build/libadmin.a; setup-main.c and status-main.c are the programs).
 *
 *   answers.c   the questions of the original api_setup.py, their defaults,
 *               validation, and where each answer came from
 *   apicheck.c  the Mimecast calls setup makes: API 1.0 discovery and
 *               get-account, API 2.0 token, SIEM and audit access
 *   writeconf.c the config text, the secret files, the directory tree
 */
#ifndef MCSPOOL_ADMIN_H
#define MCSPOOL_ADMIN_H

#include <stddef.h>

#include "config.h"
#include "http.h"

#define SETUP_DISCOVERY_URL "https://api.mimecast.com"

/* ---- answers ------------------------------------------------------- */

enum q_kind { Q_PATH, Q_INT, Q_API, Q_TEXT, Q_SECRET, Q_B64SECRET, Q_EMAIL, Q_URL };
enum q_scope { Q_ALL, Q_API1, Q_API2 };

/* Where an answer came from, for "say which you chose". */
enum q_origin { FROM_NONE, FROM_DEFAULT, FROM_CONFIG, FROM_OPTION, FROM_STDIN, FROM_PROMPT };

#define ANSWER_MAX 4096

struct question {
	const char *key;    /* config key (and the stdin key=value name) */
	const char *option; /* the long option, without "--" */
	const char *prompt; /* what the operator is asked */
	enum q_kind kind;
	enum q_scope scope;
	long lo, hi;        /* Q_INT */
	char value[ANSWER_MAX];
	enum q_origin origin;
};

/* The questions, in the order of api_setup.py. */
extern struct question setup_questions[];
extern const size_t setup_nquestions;

struct question *setup_question(const char *key);
/* The answer to key ("" if none). */
const char *setup_answer(const char *key);
long setup_answer_long(const char *key);
/* Take the non-secret values of c (the built-in defaults, then an existing
 * config) as the defaults, marked with origin. */
void setup_defaults(const struct config *c, enum q_origin origin);
/* Check value for q; NULL when fine, else the reason (static text or in why). */
const char *setup_validate(const struct question *q, const char *value, char *why, size_t cap);
/* Is the question asked, given the API version chosen so far? */
int setup_applies(const struct question *q);
/* Ask every question on the terminal (or whatever stdin is): a default is
 * taken with Enter; a bad answer is explained and asked again. */
void setup_ask_all(void);
/* Ask one question again (after a check against Mimecast refused it). */
void setup_ask(struct question *q, const char *reason);
/* Non-interactive: parse "key=value" lines from fd. Dies (100) on a bad line. */
void setup_read_stdin(int fd);
/* Non-interactive: every applicable answer must be present and valid;
 * print each with its origin. Dies (100) otherwise. */
void setup_check_noninteractive(void);
const char *setup_origin_name(enum q_origin o);

/* ---- Mimecast calls ------------------------------------------------ */

/* Results: 0 ok; SETUP_NOREGION (discovery knows no such address);
 * EXIT_PERM or EXIT_TEMP with an operator's message in msg. */
#define SETUP_NOREGION 1

int setup_api1_discover(struct http_client *h, const char *discovery_url, const char *app_id,
			const char *email, char *base, size_t basecap, char *msg, size_t msgcap);
int setup_api1_account(struct http_client *h, const char *base, const char *app_id,
		       const char *app_key, const char *access_key, const char *secret_key,
		       char *code, size_t codecap, char *msg, size_t msgcap);
int setup_api2_token(struct http_client *h, const char *base, const char *client_id,
		     const char *client_secret, char *token, size_t tokcap, char *msg,
		     size_t msgcap);
int setup_api2_siem(struct http_client *h, const char *base, const char *token, char *msg,
		    size_t msgcap);
int setup_api2_audit(struct http_client *h, const char *base, const char *token, char *msg,
		     size_t msgcap);

/* ---- writing ------------------------------------------------------- */

/* The stage users and group (DESIGN.md section 7), when they exist. */
struct owners {
	int have;        /* all of them exist and we may chown (root) */
	unsigned uid_fetch, uid_split, uid_move, uid_reap, gid;
	unsigned uid_self, gid_self;
};

/* Look the users up. require: die (100) unless they all exist and we are root. */
void setup_owners(struct owners *o, int require);

struct setup_extra {
	const char *ca_file;    /* "" = none */
	const char *sandbox;    /* on | require | off */
	const char *account_code; /* API 1.0: from get-account */
	const char *base_url;     /* API 1.0: discovered; API 2.0: the answer */
};

/* The config text (every key of DESIGN.md section 6, with comments). */
int setup_render(struct buf *out, const struct config *base, const struct setup_extra *x,
		 const char *secret_key_file, const char *client_secret_file);
/* Create data_dir's tree, read_path, archive_dir (and the mover's staging dirs) with their owners and modes, saying what
 * was done on stdout. Dies on failure. */
void setup_make_tree(const struct owners *o, const struct config *base);
/* Write conf (0640) and the secret for the chosen API (0600) atomically, in conf's directory. */
void setup_write_files(const char *conf_path, const struct owners *o, const struct config *base,
		       const struct setup_extra *x);

#endif
