#include "jspan.h"

#include <stdint.h>
#include <string.h>

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* `p` at a string's opening quote: one past its closing quote, or NULL.
 * `*escaped` (when not NULL) is set to 1 if it holds an escape. */
static const char *skip_string(const char *p, const char *end, int *escaped)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (escaped)
			*escaped = 1;
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) ||
			    !is_hex(p[4]))
				return NULL;
			p += 4;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static const char *digits(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *skip_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p >= end || *p < '1' || *p > '9' || !(p = digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = digits(p, end)))
			return NULL;
	}
	return p;
}

static const char *literal(const char *p, const char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && !memcmp(p, word, n) ? p + n : NULL;
}

/* After a '{' or a ',' in an object: past the member's key and its ':'. */
static const char *skip_key(const char *p, const char *end)
{
	p = ws(p, end);
	if (p >= end || *p != '"' || !(p = skip_string(p, end, NULL)))
		return NULL;
	p = ws(p, end);
	return p < end && *p == ':' ? p + 1 : NULL;
}

const char *lf_jspan_skip(const char *p, const char *end)
{
	/* one bit per open bracket: 1 for an object */
	uint8_t objs[LF_JSPAN_MAX_DEPTH / 8];
	int depth = 0;

	if (!p || !end)
		return NULL;
	for (;;) {
		/* a value starts here */
		p = ws(p, end);
		if (p >= end)
			return NULL;
		switch (*p) {
		case '{':
		case '[': {
			int obj = *p == '{';
			if (depth == LF_JSPAN_MAX_DEPTH)
				return NULL;
			if (obj)
				objs[depth / 8] |= (uint8_t)(1u << (depth % 8));
			else
				objs[depth / 8] &= (uint8_t) ~(1u << (depth % 8));
			depth++;
			p = ws(p + 1, end);
			if (p < end && *p == (obj ? '}' : ']')) {
				p++;
				depth--;
				break;
			}
			if (obj && !(p = skip_key(p, end)))
				return NULL;
			continue;
		}
		case '"':
			p = skip_string(p, end, NULL);
			break;
		case 't':
			p = literal(p, end, "true", 4);
			break;
		case 'f':
			p = literal(p, end, "false", 5);
			break;
		case 'n':
			p = literal(p, end, "null", 4);
			break;
		default:
			p = skip_number(p, end);
			break;
		}
		if (!p)
			return NULL;
		/* after a value: its containers' closings, or a ',' */
		for (;;) {
			if (depth == 0)
				return p;
			int obj = objs[(depth - 1) / 8] >> ((depth - 1) % 8) & 1;
			p = ws(p, end);
			if (p >= end)
				return NULL;
			if (*p == ',') {
				p++;
				if (obj && !(p = skip_key(p, end)))
					return NULL;
				break;
			}
			if (*p != (obj ? '}' : ']'))
				return NULL;
			p++;
			depth--;
		}
	}
}

int lf_jspan_object(struct lf_jspan_iter *it, const char *p, size_t len)
{
	const char *end = p + len;

	p = ws(p, end);
	it->end = end;
	it->state = 3;
	if (p >= end || *p != '{')
		return -1;
	it->p = p + 1;
	it->state = 0;
	return 0;
}

int lf_jspan_next(struct lf_jspan_iter *it, const char **key, size_t *klen, int *escaped,
                  const char **val, size_t *vlen)
{
	const char *p, *end = it->end, *k, *v;
	int esc = 0;

	if (it->state == 2)
		return 0;
	if (it->state != 0 && it->state != 1)
		return -1;
	p = ws(it->p, end);
	if (p < end && *p == '}') {
		if (ws(p + 1, end) != end)
			goto bad;
		it->state = 2;
		return 0;
	}
	if (it->state == 1) {
		if (p >= end || *p != ',')
			goto bad;
		p = ws(p + 1, end);
	}
	if (p >= end || *p != '"')
		goto bad;
	k = p + 1;
	if (!(p = skip_string(p, end, &esc)))
		goto bad;
	*key = k;
	*klen = (size_t)(p - 1 - k);
	*escaped = esc;
	p = ws(p, end);
	if (p >= end || *p != ':')
		goto bad;
	v = ws(p + 1, end);
	if (!(p = lf_jspan_skip(v, end)))
		goto bad;
	*val = v;
	*vlen = (size_t)(p - v);
	it->p = p;
	it->state = 1;
	return 1;
bad:
	it->state = 3;
	return -1;
}

int lf_jspan_member(const char *p, size_t len, const char *key, const char **val, size_t *vlen)
{
	struct lf_jspan_iter it;
	size_t n = strlen(key), kl, vl;
	const char *k, *v;
	int esc, rc, found = 0;

	if (lf_jspan_object(&it, p, len))
		return -1;
	while ((rc = lf_jspan_next(&it, &k, &kl, &esc, &v, &vl)) == 1) {
		if (esc)
			return -1;
		if (kl != n || memcmp(k, key, n))
			continue;
		if (found)
			return -1;
		found = 1;
		*val = v;
		*vlen = vl;
	}
	return rc < 0 ? -1 : found;
}
