/* oauth.h: the Mimecast API 2.0 access token (OAuth2 client credentials).
 *
 * The token is registered with log_secret() as soon as it arrives, so it
 * never appears in a log line (a refresh takes the place of the token it
 * replaces in o, so zero o before its first use); the client secret is
 * never echoed in err. On failure o->token is left as it was.
 */
#ifndef MCSPOOL_OAUTH_H
#define MCSPOOL_OAUTH_H

#include <stddef.h>
#include <time.h>

#include "http.h"

struct oauth {
	char token[8192];
	time_t expires_at;
};

/* POST <base_url>/oauth/token (form: client_id, client_secret, grant_type=client_credentials).
 * 0 on success; -1 with a one-line reason in err (never the secret) and *status set to the HTTP
 * status (0 if no response arrived). */
int oauth_fetch(struct http_client *h, const char *base_url, const char *client_id,
		const char *client_secret, struct oauth *o, long *status, char *err, size_t errlen);

#endif
