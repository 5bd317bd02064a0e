/* fetch2_redact.c: a long-running fetcher refreshes its access token every
 * half hour; each new token must be redacted from every log line, however
 * many came before (the redaction table is small: a refresh takes the
 * place of the token it replaces), and the client secret stays redacted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

int main(void)
{
	plan(4);
	char path[] = "/tmp/fetch2_redact.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	int saved = dup(2);
	if (saved < 0 || dup2(fd, 2) < 0)
		return 1;
	log_init("fetch2_redact");
	log_secret("client-secret-value");
	char prev[64] = "", tok[64];
	for (int i = 0; i < 100; i++) {
		snprintf(tok, sizeof tok, "access-token-number-%03d", i);
		log_secret_replace(prev, tok);
		log_info("call with %s (secret %s)", tok, "client-secret-value");
		memcpy(prev, tok, sizeof prev);
	}
	fflush(stderr);
	dup2(saved, 2);
	FILE *f = fopen(path, "r");
	char line[512];
	int lines = 0, leaked = 0, secret = 0, marks = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		lines++;
		if (strstr(line, "access-token-number-") != NULL)
			leaked++;
		if (strstr(line, "client-secret-value") != NULL)
			secret++;
		if (strstr(line, "call with [redacted] (secret [redacted])") != NULL)
			marks++;
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
	is_int(lines, 100, "100 lines logged");
	is_int(leaked, 0, "no access token in any of them, the 100th included");
	is_int(secret, 0, "the client secret stays redacted");
	is_int(marks, 100, "each line shows [redacted] for both");
	return done();
}
