/*
 * sha256.h - SHA-256 (FIPS 180-4), for digests of resource inputs and of
 * manifest sets.
 *
 * A context is a plain struct on the caller's stack: lf_sha256_init(), any
 * number of lf_sha256_update() calls, then lf_sha256_final(), which leaves the
 * context unusable until the next init.  Nothing allocates, nothing fails.
 * The work is libcrypto's (OpenSSL's SHA-256 block function, which uses the
 * CPU's SHA extensions where it has them: 5-10x the speed of portable C).
 * Tested against the FIPS 180-2 appendix B vectors (tests/unit/test_sha256.c).
 */
#ifndef LF_UTIL_SHA256_H
#define LF_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LF_SHA256_LEN 32
#define LF_SHA256_HEX_LEN 64

/* libcrypto's SHA-256 context (its block function uses the CPU's SHA
 * instructions where there are some), held without its header */
struct lf_sha256 {
	uint64_t opaque[16];
};

void lf_sha256_init(struct lf_sha256 *c);
void lf_sha256_update(struct lf_sha256 *c, const void *data, size_t n);
/* Writes the 32-byte digest to `out`. */
void lf_sha256_final(struct lf_sha256 *c, unsigned char out[LF_SHA256_LEN]);

/* lf_sha256_final(), then the digest as lowercase hex into `out`. */
void lf_sha256_final_hex(struct lf_sha256 *c, char out[LF_SHA256_HEX_LEN + 1]);

/* The digest of one buffer. */
void lf_sha256(unsigned char out[LF_SHA256_LEN], const void *data, size_t n);
/* Lowercase hex of `md` into `out` (65 bytes, NUL-terminated). */
void lf_sha256_hex(char out[LF_SHA256_HEX_LEN + 1], const unsigned char md[LF_SHA256_LEN]);

/* The `n` bytes written as 2n lowercase hex digits at `hex` into `out`:
 * 0, or -1 at a character that is not one. */
int lf_unhex(unsigned char *out, const char *hex, size_t n);

/* A line "WORD HEX\n" at *p (before `end`), HEX a digest's 64 lowercase
 * digits, as the caches write them: the hex into out[65] and *p past the
 * line; 0, or -1 (nothing moved) when the line is not that. */
int lf_sha256_hex_line(const char **p, const char *end, const char *word,
                       char out[LF_SHA256_HEX_LEN + 1]);

#endif
