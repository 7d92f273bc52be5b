/* SHA-256 (FIPS 180-4) through libcrypto's low-level interface, whose block
 * function is the fastest the CPU offers; the context lives in the
 * caller's struct lf_sha256, so nothing allocates. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "sha256.h"

#include <openssl/sha.h>
#include <string.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct lf_sha256), "lf_sha256 holds a SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(struct lf_sha256), "and its alignment");

void lf_sha256_init(struct lf_sha256 *c)
{
	SHA256_Init((SHA256_CTX *)c);
}

void lf_sha256_update(struct lf_sha256 *c, const void *data, size_t n)
{
	SHA256_Update((SHA256_CTX *)c, data, n);
}

void lf_sha256_final(struct lf_sha256 *c, unsigned char out[LF_SHA256_LEN])
{
	SHA256_Final(out, (SHA256_CTX *)c);
	memset(c, 0, sizeof(*c));
}

void lf_sha256(unsigned char out[LF_SHA256_LEN], const void *data, size_t n)
{
	struct lf_sha256 c;

	lf_sha256_init(&c);
	lf_sha256_update(&c, data, n);
	lf_sha256_final(&c, out);
}

void lf_sha256_hex(char out[LF_SHA256_HEX_LEN + 1], const unsigned char md[LF_SHA256_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < LF_SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[LF_SHA256_HEX_LEN] = '\0';
}

int lf_unhex(unsigned char *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		int v = hex[i] >= '0' && hex[i] <= '9'   ? hex[i] - '0'
		        : hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 10
		                                         : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

int lf_sha256_hex_line(const char **p, const char *end, const char *word,
                       char out[LF_SHA256_HEX_LEN + 1])
{
	size_t wl = strlen(word);
	unsigned char md[LF_SHA256_LEN];

	if ((size_t)(end - *p) < wl + 1 + LF_SHA256_HEX_LEN + 1 || memcmp(*p, word, wl) ||
	    (*p)[wl] != ' ' || lf_unhex(md, *p + wl + 1, LF_SHA256_LEN) ||
	    (*p)[wl + 1 + LF_SHA256_HEX_LEN] != '\n')
		return -1;
	memcpy(out, *p + wl + 1, LF_SHA256_HEX_LEN);
	out[LF_SHA256_HEX_LEN] = '\0';
	*p += wl + 1 + LF_SHA256_HEX_LEN + 1;
	return 0;
}

void lf_sha256_final_hex(struct lf_sha256 *c, char out[LF_SHA256_HEX_LEN + 1])
{
	unsigned char md[LF_SHA256_LEN];

	lf_sha256_final(c, md);
	lf_sha256_hex(out, md);
}
