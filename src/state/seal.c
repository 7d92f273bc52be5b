/*
 * seal.c - sensitive values in the state: sealed before they are written,
 * opened for the planner, re-sealed by rekey.  docs/state.md, "Sensitive
 * values", describes the format; the records' `sensitive` paths say which
 * values are sealed.
 *
 * A sealed value replaces the value in the record's inputs or attrs by a
 * one-key object:
 *
 *   {"$encrypted":"KEYID:BASE64"}  with a key: AES-256-GCM of the value's
 *                                  compact JSON; BASE64 holds the 12-byte
 *                                  nonce, the ciphertext and the 16-byte
 *                                  tag; the additional data is the record's
 *                                  address and the value's path, so a
 *                                  sealed value moved to another record or
 *                                  field does not open
 *   {"$sha256":"SALT:HEX"}         without a key: SHA-256 of 16 random
 *                                  bytes (SALT, hex) and the value's
 *                                  canonical JSON; enough to tell whether
 *                                  the manifests changed it
 *
 * KEYID is the first 8 bytes of the key's SHA-256, in hex; the snapshot's
 * header carries it as `key_id` too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "state_internal.h"
#include "../util/fs.h"
#include "../util/mem.h"

#define ENC_KEY "$encrypted"
#define DIG_KEY "$sha256"
#define NONCE_LEN 12
#define TAG_LEN 16
#define SALT_LEN 16

static const char hexd[] = "0123456789abcdef";

static void to_hex(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int from_hex(unsigned char *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			int d = c >= '0' && c <= '9'   ? c - '0'
			        : c >= 'a' && c <= 'f' ? c - 'a' + 10
			                               : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------ */

static void key_finish(struct lf_state_key *k)
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	SHA256(k->bytes, sizeof(k->bytes), h);
	to_hex(k->id, h, 8);
}

/* Standard base64 of exactly 32 bytes, surrounding white space ignored. */
int lf_state_key_from_base64(struct lf_state_key *out, const char *text, size_t len)
{
	unsigned char buf[48];
	char clean[64];
	size_t n = 0;

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
	               text[len - 1] == '\t'))
		len--;
	while (len && (*text == ' ' || *text == '\t' || *text == '\n')) {
		text++;
		len--;
	}
	/* 32 bytes are 44 characters, the last one '=' */
	if (len != 44)
		return -EINVAL;
	memcpy(clean, text, len);
	n = len;
	if (EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)n) != 33 || clean[43] != '=' ||
	    clean[42] == '=')
		return -EINVAL;
	memcpy(out->bytes, buf, 32);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(clean, sizeof(clean));
	key_finish(out);
	return 0;
}

int lf_state_key_from_file(struct lf_state_key *out, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int err = lf_read_file(&data, &len, path, 4096);

	if (err < 0)
		return err;
	err = lf_state_key_from_base64(out, data, len);
	OPENSSL_cleanse(data, len);
	free(data);
	return err;
}

/* ---- one value --------------------------------------------------------------- */

static char *aad_of(const char *address, const char *path, size_t *len)
{
	char *a = lf_xasprintf("lakeform-state%c%s%c%s", 0, address, 0, path);

	*len = strlen("lakeform-state") + 1 + strlen(address) + 1 + strlen(path);
	return a;
}

static void salted(char out[65], const unsigned char salt[SALT_LEN], const json_t *v)
{
	char *text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	unsigned char h[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int hn = 0;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, salt, SALT_LEN) != 1 ||
	    (text && EVP_DigestUpdate(c, text, strlen(text)) != 1) ||
	    EVP_DigestFinal_ex(c, h, &hn) != 1)
		memset(h, 0, sizeof(h)); /* never equal to a recorded digest's use */
	EVP_MD_CTX_free(c);
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	to_hex(out, h, sizeof(h));
}

/* 1 when `v` is a sealed value, of either kind. */
int lf_state__is_sealed(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	       (json_is_string(json_object_get(v, ENC_KEY)) ||
	        json_is_string(json_object_get(v, DIG_KEY)));
}

/* The sealed form of `v` (new reference), or NULL when it cannot be made. */
static json_t *seal_value(const struct lf_state_key *k, const char *address, const char *path,
                          const json_t *v)
{
	if (!k) {
		unsigned char salt[SALT_LEN];
		char salt_hex[2 * SALT_LEN + 1], dig[65];

		if (RAND_bytes(salt, sizeof(salt)) != 1)
			return NULL;
		to_hex(salt_hex, salt, sizeof(salt));
		salted(dig, salt, v);
		char *s = lf_xasprintf("%s:%s", salt_hex, dig);
		json_t *o = json_pack("{s:s}", DIG_KEY, s);
		free(s);
		return o;
	}
	char *plain = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	size_t plen = plain ? strlen(plain) : 0, aadlen;
	char *aad = aad_of(address, path, &aadlen);
	unsigned char *buf = lf_xmalloc(NONCE_LEN + plen + TAG_LEN);
	unsigned char *b64 = lf_xmalloc(4 * ((NONCE_LEN + plen + TAG_LEN + 2) / 3) + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	json_t *o = NULL;
	int n = 0, m = 0;

	if (plain && ctx && RAND_bytes(buf, NONCE_LEN) == 1 &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->bytes, buf) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aadlen) == 1 &&
	    EVP_EncryptUpdate(ctx, buf + NONCE_LEN, &n, (const unsigned char *)plain, (int)plen) ==
	        1 &&
	    EVP_EncryptFinal_ex(ctx, buf + NONCE_LEN + n, &m) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + n + m) == 1) {
		EVP_EncodeBlock(b64, buf, NONCE_LEN + n + m + TAG_LEN);
		char *s = lf_xasprintf("%s:%s", k->id, (char *)b64);
		o = json_pack("{s:s}", ENC_KEY, s);
		free(s);
	}
	EVP_CIPHER_CTX_free(ctx);
	if (plain) {
		OPENSSL_cleanse(plain, plen);
		free(plain);
	}
	free(aad);
	free(buf);
	free(b64);
	return o;
}

/*
 * Open an encrypted value: 0 and *out (new reference), LF_STATE_EKEY for a
 * value of another key (or none given), LF_STATE_ECORRUPT when it does not
 * open (damaged, or moved to another address or path).
 */
static int open_value(const struct lf_state_key *k, const char *address, const char *path,
                      const json_t *sealed, json_t **out)
{
	const char *s = json_string_value(json_object_get(sealed, ENC_KEY));
	const char *colon = s ? strchr(s, ':') : NULL;
	int err = LF_STATE_ECORRUPT;

	*out = NULL;
	if (!colon)
		return LF_STATE_ECORRUPT;
	if (!k || (size_t)(colon - s) != 16 || memcmp(s, k->id, 16))
		return LF_STATE_EKEY;
	const char *b = colon + 1;
	size_t blen = strlen(b);
	if (blen % 4 || blen < 4)
		return LF_STATE_ECORRUPT;
	unsigned char *buf = lf_xmalloc(blen / 4 * 3 + 1);
	int n = EVP_DecodeBlock(buf, (const unsigned char *)b, (int)blen);
	int pad = (b[blen - 1] == '=') + (b[blen - 2] == '=');
	n -= pad;
	if (n < NONCE_LEN + TAG_LEN) {
		free(buf);
		return LF_STATE_ECORRUPT;
	}
	size_t clen = (size_t)n - NONCE_LEN - TAG_LEN, aadlen;
	char *aad = aad_of(address, path, &aadlen);
	unsigned char *plain = lf_xmalloc(clen + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l = 0, f = 0;

	if (ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k->bytes, buf) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &l, (const unsigned char *)aad, (int)aadlen) == 1 &&
	    EVP_DecryptUpdate(ctx, plain, &l, buf + NONCE_LEN, (int)clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + NONCE_LEN + clen) == 1 &&
	    EVP_DecryptFinal_ex(ctx, plain + l, &f) == 1) {
		*out = json_loadb((const char *)plain, (size_t)(l + f),
		                  JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		if (*out)
			err = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(plain, clen + 1);
	free(plain);
	free(aad);
	free(buf);
	return err;
}

/* ---- paths ------------------------------------------------------------------- */

/* The container and the key or index of dotted `path` under `root`. */
static json_t *path_parent(json_t *root, const char *path, char **last)
{
	char *copy = lf_xstrdup(path), *seg = copy, *dot;
	json_t *at = root;

	while ((dot = strchr(seg, '.')) != NULL) {
		*dot = '\0';
		if (json_is_object(at)) {
			at = json_object_get(at, seg);
		} else if (json_is_array(at)) {
			char *e;
			unsigned long i = strtoul(seg, &e, 10);
			at = *seg && !*e ? json_array_get(at, i) : NULL;
		} else {
			at = NULL;
		}
		if (!at)
			break;
		seg = dot + 1;
	}
	if (!at || (!json_is_object(at) && !json_is_array(at))) {
		free(copy);
		*last = NULL;
		return NULL;
	}
	*last = lf_xstrdup(seg);
	free(copy);
	return at;
}

static json_t *child(json_t *parent, const char *key)
{
	if (json_is_object(parent))
		return json_object_get(parent, key);
	char *e;
	unsigned long i = strtoul(key, &e, 10);
	return *key && !*e ? json_array_get(parent, i) : NULL;
}

static void set_child(json_t *parent, const char *key, json_t *v /* stolen */)
{
	if (json_is_object(parent))
		json_object_set_new(parent, key, v);
	else
		json_array_set_new(parent, strtoul(key, NULL, 10), v);
}

/*
 * Seal, in `root` (a copy the caller owns), every value at one of `paths`
 * that is not sealed yet.  `prefix` names the tree in the additional data
 * ("inputs", "attrs").  Returns how many were sealed, or -1.
 */
static int seal_tree(const struct lf_state_key *k, const char *address, const char *prefix,
                     json_t *root, const json_t *paths)
{
	size_t i;
	json_t *p;
	int n = 0;

	json_array_foreach ((json_t *)paths, i, p) {
		char *last = NULL;
		json_t *parent = path_parent(root, json_string_value(p), &last);
		json_t *v = parent ? child(parent, last) : NULL;
		if (v && !json_is_null(v) && !lf_state__is_sealed(v)) {
			char *full = lf_xasprintf("%s.%s", prefix, json_string_value(p));
			json_t *s = seal_value(k, address, full, v);
			free(full);
			if (!s) {
				free(last);
				return -1;
			}
			set_child(parent, last, s);
			n++;
		}
		free(last);
	}
	return n;
}

/* Whether anything at `paths` under `root` is still in clear. */
static int has_clear(json_t *root, const json_t *paths)
{
	size_t i;
	json_t *p;

	json_array_foreach ((json_t *)paths, i, p) {
		char *last = NULL;
		json_t *parent = path_parent(root, json_string_value(p), &last);
		json_t *v = parent ? child(parent, last) : NULL;
		free(last);
		if (v && !json_is_null(v) && !lf_state__is_sealed(v))
			return 1;
	}
	return 0;
}

int lf_state__seal_res(const struct lf_state_key *k, struct lf_state_res *r)
{
	if (!json_array_size(r->sensitive))
		return 0;
	if (r->inputs && has_clear(r->inputs, r->sensitive)) {
		json_t *c = json_deep_copy(r->inputs);
		if (seal_tree(k, r->address, "inputs", c, r->sensitive) < 0) {
			json_decref(c);
			return -EIO;
		}
		json_decref(r->inputs);
		r->inputs = c;
	}
	if (r->attrs && has_clear(r->attrs, r->sensitive)) {
		json_t *c = json_deep_copy(r->attrs);
		if (seal_tree(k, r->address, "attrs", c, r->sensitive) < 0) {
			json_decref(c);
			return -EIO;
		}
		json_decref(r->attrs);
		r->attrs = c;
	}
	return 0;
}

json_t *lf_state__seal_intent(const struct lf_state_key *k, const char *address, json_t *record)
{
	json_t *paths = json_object_get(record, "sensitive");
	json_t *inputs = json_object_get(record, "inputs");

	if (!json_array_size(paths) || !inputs || !has_clear(inputs, paths))
		return json_incref(record);
	/* the record shares its inputs with the executor's: copies */
	json_t *r = json_copy(record), *c = json_deep_copy(inputs);
	if (seal_tree(k, address, "inputs", c, paths) < 0) {
		json_decref(c);
		json_decref(r);
		return NULL;
	}
	json_object_set_new(r, "inputs", c);
	return r;
}

/*
 * Walk `v` (at dotted `path` below `prefix`), replacing each encrypted value
 * by what `fn` makes of it.  Returns the first error of `fn`.
 */
struct walk {
	const struct lf_state_key *from, *to;
	const char *address;
	const json_t *want; /* the desired inputs, or NULL */
	size_t count;
	int err;
};

static json_t *want_at(const json_t *want, const char *path)
{
	char *last = NULL;
	json_t *parent = want ? path_parent((json_t *)want, path, &last) : NULL;
	json_t *v = parent ? child(parent, last) : NULL;

	free(last);
	return v;
}

/* Open (w->to NULL) or re-seal (w->to) the sealed values under `v`. */
static void walk(struct walk *w, json_t *v, struct lf_buf *path, const char *prefix)
{
	size_t at = path->len;

	if (json_is_object(v)) {
		const char *key;
		json_t *e;
		void *tmp;
		json_object_foreach_safe (v, tmp, key, e) {
			if (path->len)
				lf_buf_addc(path, '.');
			lf_buf_adds(path, key);
			if (lf_state__is_sealed(e)) {
				json_t *repl = NULL;
				char *full = lf_xasprintf("%s.%s", prefix, lf_buf_cstr(path));
				const char *dig = json_string_value(json_object_get(e, DIG_KEY));
				if (dig) {
					/* a digest opens only to the desired value it matches */
					json_t *wv =
					    w->to ? NULL : want_at(w->want, lf_buf_cstr(path));
					unsigned char salt[SALT_LEN];
					char d[65];
					if (wv && strlen(dig) == 2 * SALT_LEN + 1 + 64 &&
					    !from_hex(salt, dig, SALT_LEN)) {
						salted(d, salt, wv);
						if (!strcmp(d, dig + 2 * SALT_LEN + 1))
							repl = json_deep_copy(wv);
					}
				} else {
					json_t *clear = NULL;
					int err = open_value(w->from, w->address, full, e, &clear);
					if (err && !w->err)
						w->err = err;
					if (!err && w->to) {
						repl = seal_value(w->to, w->address, full, clear);
						json_decref(clear);
						if (!repl && !w->err)
							w->err = -EIO;
					} else {
						repl = clear;
					}
				}
				free(full);
				if (!repl && !w->to) {
					/* unopened: one leaf, which no desired value equals */
					const char *k = dig ? DIG_KEY : ENC_KEY;
					char *t = lf_xasprintf(
					    "%s:%s", k, json_string_value(json_object_get(e, k)));
					json_object_set_new(v, key, json_string(t));
					free(t);
				} else if (repl) {
					json_object_set_new(v, key, repl);
					w->count++;
				}
			} else {
				walk(w, e, path, prefix);
			}
			lf_buf_truncate(path, at);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (path->len)
				lf_buf_addc(path, '.');
			lf_buf_addf(path, "%zu", i);
			walk(w, json_array_get(v, i), path, prefix);
			lf_buf_truncate(path, at);
		}
	}
}

json_t *lf_state_res_open_inputs(const struct lf_state *st, struct lf_state_res *r,
                                 const json_t *want)
{
	struct lf_buf path = LF_BUF_INIT;
	json_t *c;

	/* parsed first: parsing replaces the record's strings */
	if (r->line && lf_state_res_parse(r) != 0)
		return NULL;
	if (!r->inputs)
		return NULL;
	struct walk w = {st->has_key ? &st->key : NULL, NULL, r->address, want, 0, 0};
	c = json_deep_copy(r->inputs);
	walk(&w, c, &path, "inputs");
	lf_buf_release(&path);
	return c;
}

/* Re-seal every encrypted value of `r` (parsed) from `from` to `to`. */
static int rekey_res(const struct lf_state_key *from, const struct lf_state_key *to,
                     struct lf_state_res *r, size_t *count)
{
	struct lf_buf path = LF_BUF_INIT;
	struct walk w = {from, to, r->address, NULL, 0, 0};

	if (r->inputs)
		walk(&w, r->inputs, &path, "inputs");
	lf_buf_truncate(&path, 0);
	if (r->attrs)
		walk(&w, r->attrs, &path, "attrs");
	lf_buf_release(&path);
	*count += w.count;
	if (w.err)
		return w.err;
	/* values still in clear (a state written before sealing) too */
	return lf_state__seal_res(to, r);
}

int lf_state_rekey(struct lf_backend *b, struct lf_state *st, const struct lf_state_key *to,
                   size_t *count, struct lf_diags *d)
{
	const struct lf_state_key *from = st->has_key ? &st->key : NULL;
	int err;

	*count = 0;
	if (st->key_id[0] && (!from || strcmp(from->id, st->key_id))) {
		lf_diag_error(d, NULL,
		              "the state's values are encrypted with key '%s': give that key "
		              "as the current one",
		              st->key_id);
		return LF_STATE_EKEY;
	}
	/* the journal goes into the new snapshot: every record is re-sealed */
	lf_state_normalize(st);
	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (lf_state_res_parse(r) != 0) {
			lf_diag_error(d, NULL, "the record of '%s' is damaged", r->address);
			return LF_STATE_ECORRUPT;
		}
		if ((err = rekey_res(from, to, r, count)) != 0) {
			lf_diag_error(d, NULL, "cannot re-encrypt the values of '%s': %s",
			              r->address, lf_state_strerror(err));
			return err;
		}
	}
	for (size_t i = 0; i < st->npending; i++) {
		struct lf_buf path = LF_BUF_INIT;
		json_t *rec = json_object_get(st->pending[i].intent, "record");
		json_t *in = json_object_get(rec, "inputs");
		struct walk w = {from, to, st->pending[i].address, NULL, 0, 0};
		if (in)
			walk(&w, in, &path, "inputs");
		lf_buf_release(&path);
		*count += w.count;
		if (w.err) {
			lf_diag_error(d, NULL, "cannot re-encrypt the pending intent of '%s': %s",
			              st->pending[i].address, lf_state_strerror(w.err));
			return w.err;
		}
	}
	struct lf_state_key old = b->key;
	int had = b->has_key;
	lf_backend_set_key(b, to);
	memcpy(st->key_id, to->id, sizeof(st->key_id));
	st->dirty = 1;
	if ((err = lf_state_write(b, st)) != 0) {
		lf_backend_set_key(b, had ? &old : NULL);
		lf_diag_error(d, NULL, "cannot write the state: %s", lf_state_strerror(err));
	}
	OPENSSL_cleanse(&old, sizeof(old));
	return err;
}
