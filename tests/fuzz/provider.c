/*
 * lakeform-provider-fuzz - the other end of the pipe for fuzz_provider.
 *
 * A provider that says whatever the fuzzer wants: $LF_FUZZ_PAYLOAD names a
 * file whose text is cut into chunks at each line "=== next"; for the Nth
 * request line read on stdin it writes the Nth chunk on stdout as it is,
 * then a newline and an error answer to that request's id, so that every
 * call ends at once whether or not the chunk answered it (a call the chunk
 * answered has its answer already: the second one is dropped).  Past the
 * last chunk only the error answers are written.  It exits at the end of
 * its input.  libc only, no sanitizers: it is started once per input and
 * must start fast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEP "=== next\n"

static void write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			exit(0); /* lakeform stopped reading: it is done with us */
		s += w;
		n -= (size_t)w;
	}
}

int main(void)
{
	const char *path = getenv("LF_FUZZ_PAYLOAD");
	char *payload = NULL, *line = NULL;
	size_t plen = 0, at = 0, cap = 0;
	FILE *f = path ? fopen(path, "rb") : NULL;

	if (f) {
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			char *grown = realloc(payload, plen + n + 1);
			if (!grown)
				return 1;
			payload = grown;
			memcpy(payload + plen, buf, n);
			plen += n;
		}
		fclose(f);
	}
	while (getline(&line, &cap, stdin) > 0) {
		long long id = 0;
		const char *p = strstr(line, "\"id\":");
		if (p)
			id = strtoll(p + 5, NULL, 10);
		if (at <= plen && payload) {
			const char *start = payload + at, *end = payload + plen;
			const char *sep = start;
			size_t slen = strlen(SEP);
			/* the next separator that starts a line */
			while ((sep = memmem(sep, (size_t)(end - sep), SEP, slen)) &&
			       sep != payload && sep[-1] != '\n')
				sep++;
			size_t n = sep ? (size_t)(sep - start) : (size_t)(end - start);
			write_all(start, n);
			at = sep ? (size_t)(sep - payload) + slen : plen + 1;
		}
		char answer[160];
		int n = snprintf(answer, sizeof(answer),
		                 "\n{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32603,"
		                 "\"message\":\"fuzz: no answer in the input\"}}\n",
		                 id);
		write_all(answer, (size_t)n);
	}
	free(line);
	free(payload);
	return 0;
}
