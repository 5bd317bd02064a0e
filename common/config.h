/* config.h: mcspool.conf (libconfuse), the keys of DESIGN.md section 6.
 *
 * config_load() parses and validates the whole file; any unknown key or bad
 * value is fatal (exit 100) with "file:line: what". The result is a plain
 * struct: nothing else in mcspool touches libconfuse.
 */
#ifndef MCSPOOL_CONFIG_H
#define MCSPOOL_CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_PATH "/etc/mcspool/mcspool.conf"
#define CONFIG_MAX_TYPES 16
#define CONFIG_MAX_LOGDIRS 16

enum output_format { FORMAT_KV, FORMAT_JSON };
enum line_ending { EOL_LF, EOL_CRLF };
enum sandbox_mode { SANDBOX_OFF, SANDBOX_ON, SANDBOX_REQUIRE };
enum consumer_type { CONSUMER_LOGRHYTHM, CONSUMER_FILEBEAT, CONSUMER_QUIET };

struct config {
	char *path; /* the file this came from */

	char *data_dir;
	char *read_path;
	char *archive_dir;
	long log_source_id;
	long audit_log_source_id;
	long max_files;
	long retention_days;
	enum output_format output_format;
	enum line_ending line_ending;
	long max_file_bytes;
	enum sandbox_mode sandbox;
	char *read_stage_dir;    /* mover's staging dir on read_path's fs ("" = <dirname(read_path)>/.mcspool-tmp) */
	char *archive_stage_dir; /* the same for archive_dir */
	char *log_dirs[CONFIG_MAX_LOGDIRS]; /* svlogd / s6-log directories the reaper prunes */
	size_t nlog_dirs;

	struct {
		enum consumer_type type;
		char *state_dir;   /* LogRhythm state dir, or the Filebeat registry dir */
		char *reader_path; /* read_path as the reader names it ("" = read_path) */
		char *audit_reader_path; /* data_dir/audit as the reader names it ("" = itself) */
		long quiet_minutes;
	} consumer;

	struct {
		int api; /* 1 or 2 */
		char *base_url;
		/* API 1.0 */
		char *app_id, *app_key, *access_key, *secret_key, *email, *account_code;
		/* API 2.0 */
		char *client_id, *client_secret;
		char *secret_key_file, *client_secret_file;
		char *ca_file, *proxy;
		int compress;
		int siem, audit;
		char *siem_types[CONFIG_MAX_TYPES];
		size_t nsiem_types;
		long poll_seconds;
		long audit_lag_seconds;
		long connect_timeout; /* seconds */
		long low_speed_time;  /* seconds below 1 byte/s before a transfer is abandoned */
		long timeout;         /* whole-request ceiling, seconds */
	} mimecast;
};

/* What the caller may see. Only the fetcher and setup ask for secrets: for
 * every other stage secrets in the main file are wiped after parsing and the
 * *_file keys are never opened. */
#define CONFIG_SECRETS 1

/* Path from -c, else $MCSPOOL_CONF, else the default. */
const char *config_path(const char *opt);
/* Parse, validate, and return the config; dies (exit 100) on any error. */
struct config *config_load(const char *path, int flags);
/* Parse and validate; on error fill err (file:line: message) and return NULL. */
struct config *config_try_load(const char *path, int flags, char *err, size_t errlen);
void config_free(struct config *c);

#endif
