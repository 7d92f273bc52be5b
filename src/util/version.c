#include "version.h"

#include <ctype.h>
#include <string.h>

int lf_version_parse(struct lf_version *v, const char *text, size_t len)
{
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	while (v->parts < 3) {
		long n = 0;
		size_t start = i;
		while (i < len && isdigit((unsigned char)text[i])) {
			if (n > 99999999)
				return -1;
			n = n * 10 + (text[i++] - '0');
		}
		if (i == start)
			return -1;
		v->n[v->parts++] = n;
		if (i < len && text[i] == '.' && v->parts < 3) {
			i++;
			continue;
		}
		break;
	}
	if (i < len && text[i] == '-') {
		size_t plen = len - i - 1;
		if (plen == 0 || plen >= sizeof(v->pre))
			return -1;
		for (size_t k = i + 1; k < len; k++)
			if (!isalnum((unsigned char)text[k]) && text[k] != '.' && text[k] != '-')
				return -1;
		memcpy(v->pre, text + i + 1, plen);
		v->pre[plen] = '\0';
		i = len;
	}
	return i == len ? 0 : -1;
}

int lf_version_cmp(const struct lf_version *a, const struct lf_version *b)
{
	for (int i = 0; i < 3; i++)
		if (a->n[i] != b->n[i])
			return a->n[i] < b->n[i] ? -1 : 1;
	/* 1.3.0-rc1 comes before 1.3.0 */
	if (!*a->pre || !*b->pre)
		return (*a->pre ? -1 : 0) + (*b->pre ? 1 : 0);
	int c = strcmp(a->pre, b->pre);
	return c < 0 ? -1 : c > 0;
}

int lf_constraint_parse(struct lf_constraint *c, const char *text, const char **why)
{
	const char *p = text;

	memset(c, 0, sizeof(*c));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (c->n == LF_CONSTRAINT_MAX) {
			*why = "too many conditions (at most 8)";
			return -1;
		}
		int op = LF_OP_EQ;
		if (!strncmp(p, "~>", 2))
			op = LF_OP_PESS, p += 2;
		else if (!strncmp(p, ">=", 2))
			op = LF_OP_GE, p += 2;
		else if (!strncmp(p, "<=", 2))
			op = LF_OP_LE, p += 2;
		else if (!strncmp(p, "!=", 2))
			op = LF_OP_NE, p += 2;
		else if (*p == '>')
			op = LF_OP_GT, p++;
		else if (*p == '<')
			op = LF_OP_LT, p++;
		else if (*p == '=')
			op = LF_OP_EQ, p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, ", \t");
		if (!len) {
			*why = *p == ',' || !*p ? "a condition without a version"
			                        : "the operators are =, !=, >, >=, <, <= and ~>";
			return -1;
		}
		c->term[c->n].op = op;
		if (lf_version_parse(&c->term[c->n].v, p, len)) {
			*why = strchr("=!<>~", *p)
			           ? "the operators are =, !=, >, >=, <, <= and ~>"
			           : "a version is numbers with dots, such as 1.2.3";
			return -1;
		}
		c->n++;
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (*p != ',') {
			*why = "separate the conditions with commas, such as '>= 1.2, < 2'";
			return -1;
		}
		p++;
	}
}

int lf_constraint_match(const struct lf_constraint *c, const struct lf_version *v)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct lf_version *w = &c->term[i].v;
		int cmp = lf_version_cmp(v, w), ok = 0;
		switch (c->term[i].op) {
		case LF_OP_EQ:
			ok = cmp == 0;
			break;
		case LF_OP_NE:
			ok = cmp != 0;
			break;
		case LF_OP_GT:
			ok = cmp > 0;
			break;
		case LF_OP_GE:
			ok = cmp >= 0;
			break;
		case LF_OP_LT:
			ok = cmp < 0;
			break;
		case LF_OP_LE:
			ok = cmp <= 0;
			break;
		case LF_OP_PESS: {
			/* at least w, and below w with its last written number
			 * dropped and the one before it raised */
			struct lf_version top = {{0, 0, 0}, 3, ""};
			int k = w->parts > 1 ? w->parts - 2 : 0;
			for (int j = 0; j < k; j++)
				top.n[j] = w->n[j];
			top.n[k] = w->n[k] + 1;
			ok = cmp >= 0 && lf_version_cmp(v, &top) < 0;
			break;
		}
		}
		if (!ok)
			return 0;
	}
	return 1;
}
