/* A small XML reader and writer for the REST APIs that speak XML: the reader builds a tree of elements and their
 * text, refusing what such an answer never holds (DTDs, CDATA, deep nesting); the writer escapes every text. */
#include "xml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_DEPTH_MAX 32
#define XML_NODES_MAX 100000
#define XML_NAME_MAX 256
#define XML_WRITER_MAX (1024 * 1024)

struct xml_node {
	char *name;
	char *text;
	size_t text_len, text_cap;
	struct xml_node *child, *last, *next;
};

struct xml_parser {
	const char *s;
	size_t len, pos, nodes;
	char *err;
	size_t errlen;
	bool failed;
};

/* ---- reading ---- */

static void px_fail(struct xml_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void px_fail(struct xml_parser *p, const char *fmt, ...)
{
	va_list ap;
	char what[160];

	if (p->failed)
		return;                 /* the first error is the one that explains */
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "XML: %s at byte %zu", what, p->pos);
}

static bool px_at(const struct xml_parser *p, const char *lit)
{
	size_t n = strlen(lit);
	return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static bool px_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void px_skip_space(struct xml_parser *p)
{
	while (p->pos < p->len && px_space(p->s[p->pos]))
		p->pos++;
}

/* Moves past the next occurrence of lit; fails when there is none. */
static void px_skip_past(struct xml_parser *p, const char *lit, const char *what)
{
	size_t n = strlen(lit);
	for (; p->pos + n <= p->len; p->pos++) {
		if (memcmp(p->s + p->pos, lit, n) == 0) {
			p->pos += n;
			return;
		}
	}
	px_fail(p, "unterminated %s", what);
}

/* Comments and processing instructions (the XML declaration among them) are skipped; DOCTYPE and CDATA are
 * refused, since no API answer needs them and a DTD is where entity expansion attacks live. Returns true when
 * something was skipped. */
static bool px_skip_misc(struct xml_parser *p)
{
	if (px_at(p, "<!--")) {
		p->pos += 4;
		px_skip_past(p, "-->", "comment");
		return !p->failed;
	}
	if (px_at(p, "<?")) {
		p->pos += 2;
		px_skip_past(p, "?>", "processing instruction");
		return !p->failed;
	}
	if (px_at(p, "<!"))
		px_fail(p, px_at(p, "<![CDATA[") ? "CDATA sections are not taken" : "a DTD is not taken");
	return false;
}

static bool px_name_char(unsigned char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80)
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

/* Reads a name; returns a malloc'd copy of its local part, or NULL (failed). */
static char *px_name(struct xml_parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && px_name_char((unsigned char)p->s[p->pos], p->pos == start))
		p->pos++;
	size_t n = p->pos - start;
	if (n == 0 || n > XML_NAME_MAX) {
		px_fail(p, n ? "a name is too long" : "a name was expected");
		return NULL;
	}
	const char *colon = memchr(p->s + start, ':', n);
	const char *local = colon ? colon + 1 : p->s + start;
	size_t ln = n - (size_t)(local - (p->s + start));
	char *out = ln ? malloc(ln + 1) : NULL;
	if (!out) {
		px_fail(p, ln ? "out of memory" : "a name without a local part");
		return NULL;
	}
	memcpy(out, local, ln);
	out[ln] = '\0';
	return out;
}

/* Skips the attributes of a start tag (nothing we read is in them). */
static void px_attributes(struct xml_parser *p)
{
	while (!p->failed) {
		px_skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] == '>' || p->s[p->pos] == '/')
			return;
		free(px_name(p));
		px_skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != '=') {
			px_fail(p, "an attribute without '='");
			return;
		}
		p->pos++;
		px_skip_space(p);
		char q = p->pos < p->len ? p->s[p->pos] : 0;
		if (q != '"' && q != '\'') {
			px_fail(p, "an attribute value without quotes");
			return;
		}
		for (p->pos++; p->pos < p->len && p->s[p->pos] != q; p->pos++)
			if (p->s[p->pos] == '<')
				break;
		if (p->pos >= p->len || p->s[p->pos] != q) {
			px_fail(p, "an unterminated attribute value");
			return;
		}
		p->pos++;
	}
}

static void px_text_add(struct xml_parser *p, struct xml_node *n, const char *s, size_t len)
{
	if (n->text_len + len + 1 > n->text_cap) {
		size_t cap = n->text_cap ? n->text_cap : 64;
		while (cap < n->text_len + len + 1)
			cap *= 2;
		char *t = realloc(n->text, cap);
		if (!t) {
			px_fail(p, "out of memory");
			return;
		}
		n->text = t;
		n->text_cap = cap;
	}
	memcpy(n->text + n->text_len, s, len);
	n->text_len += len;
	n->text[n->text_len] = '\0';
}

/* UTF-8 of a code point XML allows in a document; 0 when it does not. */
static size_t px_utf8(unsigned long cp, char out[4])
{
	bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
		  (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
	if (!ok)
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A character reference "&#N;" or "&#xH;"; ref is what lies between '&' and ';'. */
static size_t px_char_ref(const char *ref, size_t n, char out[4])
{
	bool hex = n > 1 && (ref[1] == 'x');
	size_t i = hex ? 2 : 1;
	unsigned long cp = 0;

	if (i >= n || n - i > 8)
		return 0;
	for (; i < n; i++) {
		char c = ref[i];
		int d = c >= '0' && c <= '9' ? c - '0' : !hex ? -1 : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	return px_utf8(cp, out);
}

/* An entity reference at p->pos ('&'): appended to n's text decoded. */
static void px_entity(struct xml_parser *p, struct xml_node *n)
{
	static const struct {
		const char *name, *value;
	} predefined[] = { { "lt", "<" }, { "gt", ">" }, { "amp", "&" }, { "quot", "\"" }, { "apos", "'" } };
	const char *ref = p->s + p->pos + 1;
	const char *semi = memchr(ref, ';', p->len - p->pos - 1 < 12 ? p->len - p->pos - 1 : 12);
	size_t len = semi ? (size_t)(semi - ref) : 0;
	char buf[4];
	size_t k;

	if (!semi || len == 0) {
		px_fail(p, "a '&' that starts no entity");
		return;
	}
	for (size_t i = 0; i < sizeof predefined / sizeof predefined[0]; i++) {
		if (strlen(predefined[i].name) == len && memcmp(ref, predefined[i].name, len) == 0) {
			px_text_add(p, n, predefined[i].value, 1);
			p->pos += len + 2;
			return;
		}
	}
	if (ref[0] != '#' || (k = px_char_ref(ref, len, buf)) == 0) {
		px_fail(p, "an unknown entity or a character XML does not allow");
		return;
	}
	px_text_add(p, n, buf, k);
	p->pos += len + 2;
}

static void px_node_free(struct xml_node *n)
{
	while (n) {
		struct xml_node *next = n->next;
		px_node_free(n->child);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

static struct xml_node *px_element(struct xml_parser *p, int depth);

/* Reads the content of n up to and including its end tag. */
static void px_content(struct xml_parser *p, struct xml_node *n, int depth)
{
	while (!p->failed) {
		size_t start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != '<' && p->s[p->pos] != '&')
			p->pos++;
		if (p->pos > start)
			px_text_add(p, n, p->s + start, p->pos - start);
		if (p->failed)
			return;
		if (p->pos >= p->len) {
			px_fail(p, "the element %s is not closed", n->name);
			return;
		}
		if (p->s[p->pos] == '&') {
			px_entity(p, n);
		} else if (px_at(p, "</")) {
			p->pos += 2;
			char *name = px_name(p);
			if (name && strcmp(name, n->name) != 0)
				px_fail(p, "the end tag of %s closes %s", name, n->name);
			free(name);
			px_skip_space(p);
			if (!p->failed && (p->pos >= p->len || p->s[p->pos] != '>'))
				px_fail(p, "an end tag without '>'");
			p->pos++;
			return;
		} else if (!px_skip_misc(p) && !p->failed) {
			struct xml_node *c = px_element(p, depth + 1);
			if (!c)
				return;
			if (n->last)
				n->last->next = c;
			else
				n->child = c;
			n->last = c;
		}
	}
}

static struct xml_node *px_element(struct xml_parser *p, int depth)
{
	struct xml_node *n;

	if (depth > XML_DEPTH_MAX || ++p->nodes > XML_NODES_MAX) {
		px_fail(p, depth > XML_DEPTH_MAX ? "nested too deep" : "too many elements");
		return NULL;
	}
	if (p->pos >= p->len || p->s[p->pos] != '<') {
		px_fail(p, "an element was expected");
		return NULL;
	}
	p->pos++;
	if (!(n = calloc(1, sizeof *n))) {
		px_fail(p, "out of memory");
		return NULL;
	}
	n->name = px_name(p);
	if (!p->failed)
		px_attributes(p);
	if (!p->failed && px_at(p, "/>")) {
		p->pos += 2;
	} else if (!p->failed && px_at(p, ">")) {
		p->pos++;
		px_content(p, n, depth);
	} else {
		px_fail(p, "a start tag without '>'");
	}
	if (!p->failed && !n->text)
		px_text_add(p, n, "", 0);
	if (p->failed) {
		px_node_free(n);
		return NULL;
	}
	return n;
}

struct xml_node *xml_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
	struct xml_parser p = { .s = text, .len = text ? len : 0, .err = errbuf, .errlen = errlen };
	struct xml_node *root;

	if (px_at(&p, "\xEF\xBB\xBF"))
		p.pos += 3;
	do
		px_skip_space(&p);
	while (px_skip_misc(&p));
	if (p.failed)
		return NULL;
	if (!(root = px_element(&p, 0)))
		return NULL;
	do
		px_skip_space(&p);
	while (px_skip_misc(&p));
	if (!p.failed && p.pos < p.len)
		px_fail(&p, "content after the root element");
	if (p.failed) {
		px_node_free(root);
		return NULL;
	}
	return root;
}

void xml_free(struct xml_node *root)
{
	px_node_free(root);
}

const char *xml_name(const struct xml_node *n)
{
	return n ? n->name : NULL;
}

const char *xml_text(const struct xml_node *n)
{
	return n ? n->text : NULL;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	for (const struct xml_node *c = n ? n->child : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct xml_node *xml_next(const struct xml_node *n)
{
	for (const struct xml_node *c = n ? n->next : NULL; c; c = c->next)
		if (strcmp(c->name, n->name) == 0)
			return c;
	return NULL;
}

const struct xml_node *xml_find(const struct xml_node *n, const char *path)
{
	char step[XML_NAME_MAX + 1];

	while (n && path && *path) {
		size_t k = strcspn(path, "/");
		if (k > XML_NAME_MAX)
			return NULL;
		memcpy(step, path, k);
		step[k] = '\0';
		n = xml_child(n, step);
		path += k + (path[k] == '/');
	}
	return n;
}

const char *xml_find_text(const struct xml_node *n, const char *path)
{
	return xml_text(xml_find(n, path));
}

/* ---- writing ---- */

struct xml_writer {
	char *buf;
	size_t len, cap, max;
	int open;
	bool failed;
};

struct xml_writer *xml_writer_new(size_t max)
{
	struct xml_writer *w = calloc(1, sizeof *w);
	if (w)
		w->max = max ? max : XML_WRITER_MAX;
	return w;
}

static void xw_add(struct xml_writer *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->max) {
		w->failed = true;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *b = realloc(w->buf, cap);
		if (!b) {
			w->failed = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void xw_str(struct xml_writer *w, const char *s)
{
	xw_add(w, s, strlen(s));
}

static bool xw_name_ok(const char *name)
{
	if (!name || !px_name_char((unsigned char)name[0], true))
		return false;
	for (size_t i = 1; name[i]; i++)
		if (!px_name_char((unsigned char)name[i], false))
			return false;
	return strlen(name) <= XML_NAME_MAX;
}

/* Text or an attribute value, escaped; control characters XML cannot carry fail the writer. */
static void xw_escaped(struct xml_writer *w, const char *s)
{
	for (; s && *s && !w->failed; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '&')
			xw_str(w, "&amp;");
		else if (c == '<')
			xw_str(w, "&lt;");
		else if (c == '>')
			xw_str(w, "&gt;");
		else if (c == '"')
			xw_str(w, "&quot;");
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			w->failed = true;
		else
			xw_add(w, s, 1);
	}
}

void xml_root(struct xml_writer *w, const char *name, const char *xmlns)
{
	if (!w || w->len) {
		if (w)
			w->failed = true;
		return;
	}
	xw_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (!xw_name_ok(name)) {
		w->failed = true;
		return;
	}
	xw_str(w, "<");
	xw_str(w, name);
	if (xmlns) {
		xw_str(w, " xmlns=\"");
		xw_escaped(w, xmlns);
		xw_str(w, "\"");
	}
	xw_str(w, ">");
	w->open++;
}

void xml_open(struct xml_writer *w, const char *name)
{
	if (!w)
		return;
	if (!xw_name_ok(name) || w->open == 0)
		w->failed = true;
	xw_str(w, "<");
	xw_str(w, name ? name : "");
	xw_str(w, ">");
	w->open++;
}

void xml_close(struct xml_writer *w, const char *name)
{
	if (!w)
		return;
	if (!xw_name_ok(name) || w->open == 0)
		w->failed = true;
	xw_str(w, "</");
	xw_str(w, name ? name : "");
	xw_str(w, ">");
	w->open--;
}

void xml_leaf(struct xml_writer *w, const char *name, const char *text)
{
	xml_open(w, name);
	if (w)
		xw_escaped(w, text);
	xml_close(w, name);
}

char *xml_writer_finish(struct xml_writer *w)
{
	char *doc = NULL;

	if (w && !w->failed && w->open == 0 && w->len) {
		doc = w->buf;
		w->buf = NULL;
	}
	xml_writer_free(w);
	return doc;
}

void xml_writer_free(struct xml_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}
