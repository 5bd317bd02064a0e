/* sandbox: the spec builders of common/sandbox.c (no kernel involved;
 * tests/integ/sandbox.t enters the sandboxes). */
#include <stdio.h>

#include "sandbox.h"
#include "tap.h"

/* The port sandbox_url_port() adds for url, 0 when it adds none, -1 on refusal. */
static long port_of(const char *url)
{
	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "t", SB_NET_CONNECT, SB_SECCOMP_DENY);
	if (sandbox_url_port(&sb, url) < 0)
		return sb.nports == 0 ? -1 : -2;
	return sb.nports == 1 ? (long)sb.ports[0] : 0;
}

int main(void)
{
	static const struct { const char *url; long port; } cases[] = {
		{ "https://api.services.mimecast.com", 443 },
		{ "https://api.services.mimecast.com/", 443 },
		{ "HTTPS://eu-api.mimecast.com/api/login", 443 },
		{ "https://127.0.0.1:8443/x", 8443 },
		{ "http://127.0.0.1:18080", 18080 },
		{ "http://localhost/", 80 },
		{ "http://proxy.example:3128", 3128 },
		{ "http://user:pa:ss@proxy.example:3129/", 3129 },
		{ "http://user:pass@proxy.example/", 80 },
		{ "socks5h://10.0.0.1", 1080 },
		{ "socks5://10.0.0.1:9050", 9050 },
		{ "https://[::1]:9443/", 9443 },
		{ "https://[::1]/", 443 },
		{ "https://h/path:99", 443 },
		{ "https://h?q=:99", 443 },
		{ "api.services.mimecast.com", -1 },
		{ "ftp://h/", -1 },
		{ "https://h:/", -1 },
		{ "https://h:0/", -1 },
		{ "https://h:65536/", -1 },
		{ "https://h:99999999999999999999/", -1 },
		{ "https://h:44x/", -1 },
		{ "https://[::1/", -1 },
	};
	size_t n = sizeof cases / sizeof cases[0];
	plan((int)n + 3);
	for (size_t i = 0; i < n; i++) {
		long got = port_of(cases[i].url);
		if (!ok(got == cases[i].port, "url port of %s is %ld", cases[i].url, cases[i].port))
			diag("got %ld", got);
	}

	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "fetch", SB_NET_CONNECT, SB_SECCOMP_DENY);
	sandbox_url_port(&sb, "https://a/");
	sandbox_url_port(&sb, "https://b:443/");
	sandbox_port(&sb, 443);
	ok(sb.nports == 1, "a port is listed once however often it is added");
	sandbox_resolver(&sb);
	sandbox_ca_store(&sb);
	ok(sb.npaths > 0 && sb.npaths <= SANDBOX_MAX_PATHS, "resolver and CA paths fit (%zu)", sb.npaths);
	for (int i = 0; i < 20; i++)
		sandbox_dir(&sb, 3, "d", SB_RW);
	ok(sb.ndirs == 20 && sb.dirs[19].rights == SB_RW, "directories are recorded");
	return done();
}
