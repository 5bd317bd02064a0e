/* replay.c: run a libFuzzer harness over its seed corpus as a TAP test.
 *
 * build/tests/fuzz/NAME.t replays every file in tests/fuzz/corpus/NAME/ (under
 * $MCSPOOL_TOP, or the current directory) through LLVMFuzzerTestOneInput,
 * one "ok" per file: a crash or a sanitizer report fails the test. Extra
 * arguments name files to replay instead (to reproduce a fuzzer finding).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file in memory: corpus files are small seeds. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	unsigned char *p = malloc(cap);
	while (p != NULL) {
		size_t r = fread(p + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		unsigned char *q = realloc(p, cap * 2);
		if (q == NULL) {
			free(p);
			p = NULL;
			break;
		}
		p = q;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	char name[256];
	snprintf(name, sizeof name, "%s", base);
	char *dot = strrchr(name, '.');
	if (dot != NULL && strcmp(dot, ".t") == 0)
		*dot = '\0';
	const char *top = getenv("MCSPOOL_TOP");
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top != NULL ? top : ".", name);

	char **files = NULL;
	size_t nfiles = 0;
	if (argc > 1) {
		files = argv + 1;
		nfiles = (size_t)(argc - 1);
	} else {
		DIR *d = opendir(dir);
		if (d == NULL) {
			printf("1..0 # SKIP no corpus at %s: %s\n", dir, strerror(errno));
			return 0;
		}
		struct dirent *e;
		size_t cap = 0;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (nfiles == cap) {
				cap = cap ? cap * 2 : 64;
				char **nf = realloc(files, cap * sizeof *nf);
				if (nf == NULL) {
					printf("Bail out! out of memory\n");
					return 1;
				}
				files = nf;
			}
			size_t len = strlen(dir) + strlen(e->d_name) + 2;
			files[nfiles] = malloc(len);
			if (files[nfiles] == NULL) {
				printf("Bail out! out of memory\n");
				return 1;
			}
			snprintf(files[nfiles], len, "%s/%s", dir, e->d_name);
			nfiles++;
		}
		closedir(d);
		qsort(files, nfiles, sizeof *files, cmp);
	}
	printf("1..%zu\n", nfiles);
	fflush(stdout);
	int failed = 0;
	for (size_t i = 0; i < nfiles; i++) {
		size_t len = 0;
		unsigned char *p = slurp(files[i], &len);
		if (p == NULL) {
			printf("not ok %zu - %s: unreadable\n", i + 1, files[i]);
			failed = 1;
			continue;
		}
		LLVMFuzzerTestOneInput(p, len);
		free(p);
		printf("ok %zu - %s (%zu bytes)\n", i + 1, files[i], len);
		fflush(stdout);
	}
	if (argc <= 1) {
		for (size_t i = 0; i < nfiles; i++)
			free(files[i]);
		free(files);
	}
	return failed;
}
