/* mcspool-setup: the interactive set-up of Mimecast's api_setup.py, and
 * --check for an existing config. See mcspool-setup(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcspool-setup [-c FILE] [--non-interactive] [--owner-users] [answers...]\n"
		"       mcspool-setup [-c FILE] --check\n"
		"Ask for the paths, LogRhythm ids, retention and Mimecast credentials, check them\n"
		"against Mimecast, create the directory tree and write the config.\n"
		"  -c FILE              the config to write or check (default $MCSPOOL_CONF or %s)\n"
		"  --check              validate the existing config, its directories and the\n"
		"                       connection to Mimecast; say exactly what is wrong\n"
		"  --non-interactive    take the answers from the options below and from key=value\n"
		"                       lines on standard input (secret_key=..., client_secret=...:\n"
		"                       secrets are never taken from the command line)\n"
		"  --owner-users        require the stage users (mcfetch, mcsplit, mcmove, mcreap)\n"
		"                       and group mcspool; without it they are used when they exist\n"
		"  --discovery-url URL  API 1.0 discovery host (default %s)\n"
		"  --ca-file FILE       an extra CA for the Mimecast host (mimecast.ca_file)\n"
		"  --sandbox MODE       on | require | off (default: the existing value, or on)\n"
		"  answers: --data-dir DIR --read-path DIR --archive-dir DIR --log-source-id N\n"
		"           --max-files N --retention-days N --api 1|2 --app-id ID --app-key KEY\n"
		"           --access-key KEY --email ADDR --base-url URL (2.0) --client-id ID\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n"
		"exit: 0 done, 100 permanent error (usage, config, credentials refused, permission),\n"
		"111 temporary error (network, Mimecast 5xx)\n",
		CONFIG_DEFAULT_PATH, SETUP_DISCOVERY_URL);
}

enum { O_CHECK = 256, O_NONINT, O_OWNERS, O_DISCOVERY, O_CA, O_SANDBOX, O_QUESTION = 512 };

struct opts {
	const char *conf;
	int check, nonint, owners;
	const char *discovery, *ca_file, *sandbox;
};

static void parse_options(int argc, char **argv, struct opts *o)
{
	static struct option fixed[] = {
		{ "check", no_argument, NULL, O_CHECK },
		{ "non-interactive", no_argument, NULL, O_NONINT },
		{ "owner-users", no_argument, NULL, O_OWNERS },
		{ "discovery-url", required_argument, NULL, O_DISCOVERY },
		{ "ca-file", required_argument, NULL, O_CA },
		{ "sandbox", required_argument, NULL, O_SANDBOX },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	const size_t nfixed = sizeof fixed / sizeof fixed[0];
	struct option longopts[64];
	size_t n = 0;
	for (size_t i = 0; i < nfixed; i++)
		longopts[n++] = fixed[i];
	for (size_t i = 0; i < setup_nquestions && n < 63; i++)
		if (setup_questions[i].option != NULL)
			longopts[n++] = (struct option){ setup_questions[i].option, required_argument,
							 NULL, O_QUESTION + (int)i };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	int c;
	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf = optarg; break;
		case O_CHECK: o->check = 1; break;
		case O_NONINT: o->nonint = 1; break;
		case O_OWNERS: o->owners = 1; break;
		case O_DISCOVERY: o->discovery = optarg; break;
		case O_CA: o->ca_file = optarg; break;
		case O_SANDBOX: o->sandbox = optarg; break;
		case 'h': usage(stdout); exit(EXIT_DONE);
		case 'V': printf("mcspool-setup %s\n", MCSPOOL_VERSION); exit(EXIT_DONE);
		default:
			if (c >= O_QUESTION && c < O_QUESTION + (int)setup_nquestions)
				break; /* applied after the defaults, see apply_options */
			usage(stderr);
			exit(EXIT_PERM);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(EXIT_PERM);
	}
	if (o->sandbox != NULL && strcmp(o->sandbox, "on") != 0 && strcmp(o->sandbox, "off") != 0 &&
	    strcmp(o->sandbox, "require") != 0)
		die(EXIT_PERM, "--sandbox: '%s' is not one of on, require, off", o->sandbox);
	if (o->ca_file != NULL && o->ca_file[0] != '/')
		die(EXIT_PERM, "--ca-file: '%s' must be an absolute path", o->ca_file);
	if (o->discovery == NULL)
		o->discovery = SETUP_DISCOVERY_URL;
	char why[256];
	if (!http_url_allowed(o->discovery, why, sizeof why))
		die(EXIT_PERM, "--discovery-url: %s", why);
}

/* The answers given as options overwrite the defaults (second getopt pass). */
static void apply_options(int argc, char **argv)
{
	optind = 1;
	opterr = 0;
	struct option longopts[64];
	size_t n = 0;
	for (size_t i = 0; i < setup_nquestions && n < 63; i++)
		if (setup_questions[i].option != NULL)
			longopts[n++] = (struct option){ setup_questions[i].option, required_argument,
							 NULL, O_QUESTION + (int)i };
	static const char *const others[] = { "check", "non-interactive", "owner-users",
					      "discovery-url", "ca-file", "sandbox", "help",
					      "version" };
	static const int has_arg[] = { 0, 0, 0, 1, 1, 1, 0, 0 };
	for (size_t i = 0; i < 8; i++)
		longopts[n++] = (struct option){ others[i], has_arg[i], NULL, 1 };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	int c;
	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		if (c < O_QUESTION)
			continue;
		struct question *q = &setup_questions[c - O_QUESTION];
		snprintf(q->value, sizeof q->value, "%s", optarg);
		q->origin = FROM_OPTION;
	}
}

static void client_init(struct http_client *h, const struct config *b, const char *ca_file)
{
	struct http_opts ho = { ca_file != NULL ? ca_file : b->mimecast.ca_file, b->mimecast.proxy,
				b->mimecast.connect_timeout, 120, b->mimecast.low_speed_time };
	http_init(h, &ho);
}

/* ---- setup ----------------------------------------------------------- */

static void run_api1(struct http_client *h, const struct opts *o, int interactive, char *base,
		     size_t basecap, char *code, size_t codecap)
{
	char msg[2048];
	for (;;) {
		printf("Setting base url for %s\n", setup_answer("email"));
		int rc = setup_api1_discover(h, o->discovery, setup_answer("app_id"),
					     setup_answer("email"), base, basecap, msg, sizeof msg);
		if (rc == 0)
			break;
		if (rc == SETUP_NOREGION && interactive) {
			setup_ask(setup_question("email"), msg);
			continue;
		}
		die(rc == SETUP_NOREGION ? EXIT_PERM : rc, "%s", msg);
	}
	printf("Base URL discovered: %s\n", base);
	printf("Retrieving customer account code to finalise config...\n");
	int rc = setup_api1_account(h, base, setup_answer("app_id"), setup_answer("app_key"),
				    setup_answer("access_key"), setup_answer("secret_key"), code,
				    codecap, msg, sizeof msg);
	if (rc != 0)
		die(rc, "%s", msg);
	printf("Account code: %s\n", code);
}

static void run_api2(struct http_client *h, const char *base)
{
	static char token[8192];
	char msg[2048];
	printf("Obtaining an API 2.0 access token from %s\n", base);
	int rc = setup_api2_token(h, base, setup_answer("client_id"), setup_answer("client_secret"),
				  token, sizeof token, msg, sizeof msg);
	if (rc != 0)
		die(rc, "%s", msg);
	printf("Access token obtained.\n");
	printf("Checking SIEM access (batch listing)...\n");
	if ((rc = setup_api2_siem(h, base, token, msg, sizeof msg)) != 0)
		die(rc, "%s", msg);
	printf("SIEM access: ok\n");
	printf("Checking audit access (get-audit-events)...\n");
	if ((rc = setup_api2_audit(h, base, token, msg, sizeof msg)) != 0)
		die(rc, "%s", msg);
	printf("Audit access: ok\n");
	memset(token, 0, sizeof token);
}

static int run_setup(int argc, char **argv, const struct opts *o, const char *path)
{
	char err[1024];
	/* The built-in defaults are the schema's own: an empty config. */
	struct config *dflt = config_try_load("/dev/null", 0, err, sizeof err);
	if (dflt == NULL)
		die(EXIT_TEMP, "unable to load the built-in defaults: %s", err);
	setup_defaults(dflt, FROM_DEFAULT);
	struct config *base = dflt, *existing = NULL;
	if (access(path, F_OK) == 0) {
		/* With its secrets if we may read them (Enter then keeps them), else without. */
		existing = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
		if (existing == NULL)
			existing = config_try_load(path, 0, err, sizeof err);
		if (existing != NULL) {
			setup_defaults(existing, FROM_CONFIG);
			base = existing;
			printf("Updating %s: its values are the defaults.\n", path);
		} else {
			printf("Note: the existing config does not load (%s): starting from the built-in "
			       "defaults.\n", err);
		}
	} else {
		printf("Creating %s.\n", path);
	}
	apply_options(argc, argv);

	int interactive = !o->nonint;
	if (interactive) {
		printf("Press Enter to take the value in [brackets].\n");
		setup_ask_all();
	} else {
		if (!isatty(0))
			setup_read_stdin(0);
		setup_check_noninteractive();
	}

	struct http_client h;
	client_init(&h, base, o->ca_file);
	char url[2048] = "", code[128] = "";
	int api = (int)setup_answer_long("api");
	if (api == 1) {
		run_api1(&h, o, interactive, url, sizeof url, code, sizeof code);
	} else {
		snprintf(url, sizeof url, "%s", setup_answer("base_url"));
		run_api2(&h, url);
	}
	http_free(&h);

	struct owners ow;
	setup_owners(&ow, o->owners);
	setup_make_tree(&ow, base);
	struct setup_extra x = { o->ca_file, o->sandbox, code, url };
	setup_write_files(path, &ow, base, &x);
	printf("Config saved successfully.\n");
	config_free(existing);
	config_free(dflt);
	return EXIT_DONE;
}

/* ---- --check --------------------------------------------------------- */

struct verdict {
	int perm, temp;
};

static void problem(struct verdict *v, int code, const char *fmt, const char *arg)
{
	log_error(fmt, arg);
	if (code == EXIT_TEMP)
		v->temp++;
	else
		v->perm++;
}

static void check_dir(struct verdict *v, const char *path, const char *what)
{
	struct stat st;
	char msg[ANSWER_MAX + 256];
	if (lstat(path, &st) < 0) {
		snprintf(msg, sizeof msg, "%s %s: %s (run mcspool-setup to create the tree)", what, path,
			 strerror(errno));
		problem(v, EXIT_PERM, "%s", msg);
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof msg, "%s %s is not a directory%s", what, path,
			 S_ISLNK(st.st_mode) ? " (a symlink, which the stages refuse)" : "");
		problem(v, EXIT_PERM, "%s", msg);
	}
}

static void check_api(struct verdict *v, const struct config *c, const struct opts *o)
{
	struct http_client h;
	client_init(&h, c, o->ca_file);
	char msg[2048];
	const char *base = c->mimecast.base_url;
	char b[1024];
	snprintf(b, sizeof b, "%s", base);
	for (size_t n = strlen(b); n > 0 && b[n - 1] == '/'; n--)
		b[n - 1] = '\0';
	int rc;
	if (c->mimecast.api == 1) {
		char code[128];
		rc = setup_api1_account(&h, b, c->mimecast.app_id, c->mimecast.app_key,
					c->mimecast.access_key, c->mimecast.secret_key, code,
					sizeof code, msg, sizeof msg);
		if (rc != 0) {
			problem(v, rc, "%s", msg);
		} else {
			printf("get-account at %s: ok, account code %s\n", b, code);
			if (c->mimecast.account_code[0] != '\0' &&
			    strcmp(c->mimecast.account_code, code) != 0) {
				snprintf(msg, sizeof msg, "mimecast.account_code is '%s' but the keys belong "
							  "to account %s", c->mimecast.account_code,
					 code);
				problem(v, EXIT_PERM, "%s", msg);
			}
		}
	} else {
		static char token[8192];
		rc = setup_api2_token(&h, b, c->mimecast.client_id, c->mimecast.client_secret, token,
				      sizeof token, msg, sizeof msg);
		if (rc != 0) {
			problem(v, rc, "%s", msg);
		} else {
			printf("oauth/token at %s: ok\n", b);
			if (c->mimecast.siem) {
				if ((rc = setup_api2_siem(&h, b, token, msg, sizeof msg)) != 0)
					problem(v, rc, "%s", msg);
				else
					printf("SIEM access: ok\n");
			}
			if (c->mimecast.audit) {
				if ((rc = setup_api2_audit(&h, b, token, msg, sizeof msg)) != 0)
					problem(v, rc, "%s", msg);
				else
					printf("audit access: ok\n");
			}
		}
		memset(token, 0, sizeof token);
	}
	http_free(&h);
}

static int run_check(const struct opts *o, const char *path)
{
	char err[1024];
	struct config *c = config_try_load(path, CONFIG_SECRETS, err, sizeof err);
	if (c == NULL) {
		log_error("%s", err);
		printf("Config NOT OK: 1 problem.\n");
		return EXIT_PERM;
	}
	printf("%s: loads (API %d)\n", path, c->mimecast.api);
	struct verdict v = { 0, 0 };
	static const char *const subs[] = { "raw", "mta", "audit", "bad", "state", "lock", "status", "tmp" };
	check_dir(&v, c->data_dir, "data_dir");
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		char p[ANSWER_MAX + 16], what[32];
		snprintf(p, sizeof p, "%s/%s", c->data_dir, subs[i]);
		snprintf(what, sizeof what, "data_dir/%s", subs[i]);
		check_dir(&v, p, what);
	}
	check_dir(&v, c->read_path, "read_path");
	check_dir(&v, c->archive_dir, "archive_dir");
	/* The reader's state is the agent's, not ours to create: a warning,
	 * since the agent may simply not have run yet; the mover refuses to
	 * start without it. */
	struct stat sst;
	errno = 0;
	if (c->consumer.type != CONSUMER_QUIET &&
	    (stat(c->consumer.state_dir, &sst) < 0 || !S_ISDIR(sst.st_mode)))
		log_warn("consumer.state_dir %s: %s: the %s keeps its read positions there, and "
			 "mcspool-move will not start until it exists (point the key at it, or mount it)",
			 c->consumer.state_dir, errno ? strerror(errno) : "not a directory",
			 c->consumer.type == CONSUMER_FILEBEAT ? "Filebeat registry" : "LogRhythm agent");
	if (v.perm == 0)
		printf("directories: ok\n");
	int creds = c->mimecast.api == 1
			    ? c->mimecast.app_id[0] && c->mimecast.app_key[0] &&
				      c->mimecast.access_key[0] && c->mimecast.secret_key[0]
			    : c->mimecast.client_id[0] && c->mimecast.client_secret[0];
	if (!creds)
		problem(&v, EXIT_PERM, "%s",
			c->mimecast.api == 1
				? "API 1.0 credentials incomplete: app_id, app_key, access_key and "
				  "secret_key (or secret_key_file) must all be set"
				: "API 2.0 credentials incomplete: client_id and client_secret (or "
				  "client_secret_file) must be set");
	else
		check_api(&v, c, o);
	config_free(c);
	int n = v.perm + v.temp;
	if (n == 0) {
		printf("Config OK.\n");
		return EXIT_DONE;
	}
	printf("Config NOT OK: %d problem%s.\n", n, n == 1 ? "" : "s");
	return v.perm > 0 ? EXIT_PERM : EXIT_TEMP;
}

int main(int argc, char **argv)
{
	log_init("mcspool-setup");
	/* Nothing we create is for others until we say so (chmod below). */
	umask(077);
	/* Prompts and the answers must interleave on a pipe too. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct opts o = { NULL, 0, 0, 0, NULL, NULL, NULL };
	parse_options(argc, argv, &o);
	const char *path = config_path(o.conf);
	if (path[0] != '/')
		die(EXIT_PERM, "-c %s: the config path must be absolute", path);
	if (o.check)
		return run_check(&o, path);
	return run_setup(argc, argv, &o, path);
}
