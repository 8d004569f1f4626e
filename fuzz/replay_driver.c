/*
 * replay_driver.c: main() for replaying corpora through a harness with any
 * compiler and no fuzzing runtime (gcc, the asan build, Valgrind, coverage).
 *
 *   replay_HARNESS [--known-bug FILE:CHECK]... PATH...
 *
 * Each PATH is a file or a directory whose regular files are replayed in
 * name order, each from a heap buffer of exactly its size so that ASan and
 * Valgrind see any read past the end.  A failed check aborts, as under a
 * fuzzer; a single FILE is always replayed as is, to reproduce.
 *
 * Known bugs: in a directory, an input that fuzz/known_bugs.txt lists for
 * this harness (the path is compiled in) reproduces a core bug that is on
 * file but not fixed yet.  It runs in a child process that must still fail
 * its listed check; once it no longer does, the bug is fixed and the line
 * must go from known_bugs.txt, so the list never goes stale.  --known-bug
 * adds such an input by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_common.h"

#define MAX_KNOWN 64

struct known_bug {
	char name[256];   /* file name in corpus/HARNESS/ */
	char check[128];  /* the check id it fails */
	const char *path; /* given by --known-bug: run even outside a directory */
	int done;
};

static struct known_bug known[MAX_KNOWN];
static size_t nknown, nknown_run;
static size_t ninputs, nbytes;

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	errno = 0;
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *grown = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (grown == NULL)
				break;
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f) || n == cap) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

/* One input, from an exact-size heap copy. */
static int replay_file(const char *path)
{
	size_t size = 0;
	uint8_t *buf = read_file(path, &size), *exact;

	if (buf == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, errno ? strerror(errno) : "read error");
		return -1;
	}
	exact = fuzz_memdup(buf, size);
	free(buf);
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	ninputs++;
	nbytes += size;
	return 0;
}

/* Runs a known bug's input in a child, which must fail with the bug's check id. */
static int replay_known_bug(struct known_bug *bug, const char *path)
{
	char needle[160], out[8192];
	int fds[2], status;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	bug->done = 1;
	nknown_run++;
	fflush(NULL);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		perror("replay: fork");
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		_exit(replay_file(path) == 0 ? 0 : 2);
	}
	close(fds[1]);
	while ((got = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0 && n < sizeof(out) - 1)
		n += (size_t)got;
	while (got > 0) /* drain what did not fit */
		got = read(fds[0], needle, sizeof(needle));
	close(fds[0]);
	out[n] = '\0';
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	snprintf(needle, sizeof(needle), "[%s]", bug->check);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && strstr(out, needle) != NULL) {
		printf("replay: known bug %s still fails, as fuzz/known_bugs.txt says: %s",
		       bug->check, strstr(out, "fuzz check failed"));
		return 0;
	}
	fprintf(stderr,
		"replay: %s: known bug %s no longer fails that way (%s); if it is fixed, delete "
		"its line from fuzz/known_bugs.txt so the input is replayed as a regression\n%s",
		path, bug->check,
		WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "it passes"
							      : "it fails another way",
		out);
	return -1;
}

static struct known_bug *find_known(const char *name)
{
	for (size_t i = 0; i < nknown; i++) {
		if (strcmp(known[i].name, name) == 0)
			return &known[i];
	}
	return NULL;
}

static int add_known(const char *name, const char *check, const char *path)
{
	if (nknown == MAX_KNOWN || strlen(name) >= sizeof(known[0].name) ||
	    strlen(check) >= sizeof(known[0].check)) {
		fprintf(stderr, "replay: known bug %s:%s: too many or too long\n", name, check);
		return -1;
	}
	snprintf(known[nknown].name, sizeof(known[0].name), "%s", name);
	snprintf(known[nknown].check, sizeof(known[0].check), "%s", check);
	known[nknown].path = path;
	nknown++;
	return 0;
}

/* fuzz/known_bugs.txt: "HARNESS CHECK-ID INPUT description" lines; ours only. */
static int load_known_bugs(void)
{
#if defined(FUZZ_KNOWN_BUGS_FILE) && defined(FUZZ_HARNESS_NAME)
	FILE *f = fopen(FUZZ_KNOWN_BUGS_FILE, "r");
	char line[512], harness[64], check[128], input[256];
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", FUZZ_KNOWN_BUGS_FILE, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%63s %127s %255s", harness, check, input) != 3)
			continue;
		if (strcmp(harness, FUZZ_HARNESS_NAME) == 0)
			rc = add_known(input, check, NULL);
	}
	fclose(f);
	return rc;
#else
	return 0;
#endif
}

static int add_known_arg(char *spec)
{
	char *colon = strrchr(spec, ':');
	const char *slash;

	if (colon == NULL) {
		fprintf(stderr, "replay: --known-bug %s: want FILE:CHECK\n", spec);
		return -1;
	}
	*colon = '\0';
	slash = strrchr(spec, '/');
	return add_known(slash ? slash + 1 : spec, colon + 1, spec);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, alphasort), rc = 0;
	size_t before = ninputs + nknown_run;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct known_bug *bug = find_known(names[i]->d_name);
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = bug ? replay_known_bug(bug, path) : replay_file(path);
		free(names[i]);
	}
	free(names);
	if (rc == 0 && ninputs + nknown_run == before) {
		fprintf(stderr, "replay: %s: no inputs (an empty corpus tests nothing)\n", dir);
		return -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int rc, npaths = 0;

	/* Replays always check everything: no known bug is stepped over here. */
	unsetenv(FUZZ_KNOWN_BUGS_ENV);
	rc = load_known_bugs();
	for (int i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--known-bug") == 0 && i + 1 < argc)
			rc = add_known_arg(argv[++i]);
	}
	for (int i = 1; i < argc && rc == 0; i++) {
		struct stat st;

		if (strcmp(argv[i], "--known-bug") == 0) {
			i++;
			continue;
		}
		npaths++;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = -1;
		} else {
			rc = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
		}
	}
	for (size_t i = 0; i < nknown && rc == 0; i++) {
		if (known[i].path != NULL && !known[i].done)
			rc = replay_known_bug(&known[i], known[i].path);
	}
	if (rc == 0 && npaths + (int)nknown_run == 0) {
		fprintf(stderr, "usage: %s [--known-bug FILE:CHECK]... FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (rc != 0)
		return 1;
	printf("replay: %zu inputs (%zu bytes) passed every check; %zu known bugs still fail\n",
	       ninputs, nbytes, nknown_run);
	return 0;
}
