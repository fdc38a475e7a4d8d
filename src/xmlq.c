/* xmlq: the XML reader of AWS Query answers (see xmlq.h). */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"
#include "xmlq.h"

struct xmlq_parser {
	const char *s;
	size_t len, pos;
	char *cause;
};

static void xmlq_fail(struct xmlq_parser *, const char *, ...)
        __attribute__((format(printf, 2, 3)));

static void
xmlq_fail(struct xmlq_parser *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->cause != NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->cause = xasprintf("XML: %s at byte %zu", msg, p->pos);
	free(msg);
}

static int
xmlq_starts(const struct xmlq_parser *p, const char *lit)
{
	size_t n = strlen(lit);

	return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

/* Moves past the next occurrence of end; -1 when there is none. */
static int
xmlq_skip_past(struct xmlq_parser *p, const char *end, const char *what)
{
	const char *hit = memmem(p->s + p->pos, p->len - p->pos, end, strlen(end));

	if (hit == NULL) {
		xmlq_fail(p, "unterminated %s", what);
		return -1;
	}
	p->pos = (size_t)(hit - p->s) + strlen(end);
	return 0;
}

static int
xmlq_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
xmlq_is_name(char c)
{
	return !xmlq_is_space(c) && c != '<' && c != '>' && c != '/' && c != '=' && c != '"' &&
	       c != '\'' && c != '&' && c != '\0';
}

/* Comments, processing instructions and blanks between elements; -1 on a DTD. */
static int
xmlq_skip_misc(struct xmlq_parser *p)
{
	for (;;) {
		while (p->pos < p->len && xmlq_is_space(p->s[p->pos]))
			p->pos++;
		if (xmlq_starts(p, "<?")) {
			if (xmlq_skip_past(p, "?>", "processing instruction") != 0)
				return -1;
		} else if (xmlq_starts(p, "<!--")) {
			if (xmlq_skip_past(p, "-->", "comment") != 0)
				return -1;
		} else if (xmlq_starts(p, "<!")) {
			/* DTDs bring entity expansion: AWS never sends one. */
			xmlq_fail(p, "document type declarations are not accepted");
			return -1;
		} else
			return 0;
	}
}

static void
xmlq_utf8(struct buf *out, uint32_t cp)
{
	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(out, (char)(0xc0 | (cp >> 6)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(out, (char)(0xe0 | (cp >> 12)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(out, (char)(0xf0 | (cp >> 18)));
		buf_addc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* At '&': decodes one reference into out. */
static int
xmlq_entity(struct xmlq_parser *p, struct buf *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "&lt;", '<' },
		      { "&gt;", '>' },
		      { "&amp;", '&' },
		      { "&quot;", '"' },
		      { "&apos;", '\'' } };
	uint32_t cp = 0;
	size_t i, start;
	int hex, d, digits = 0;
	char c;

	for (i = 0; i < sizeof named / sizeof named[0]; i++) {
		if (xmlq_starts(p, named[i].name)) {
			buf_addc(out, named[i].c);
			p->pos += strlen(named[i].name);
			return 0;
		}
	}
	start = p->pos;
	if (!xmlq_starts(p, "&#")) {
		xmlq_fail(p, "unknown entity");
		return -1;
	}
	p->pos += 2;
	hex = p->pos < p->len && p->s[p->pos] == 'x';
	p->pos += (size_t)hex;
	for (; p->pos < p->len && p->s[p->pos] != ';'; p->pos++, digits++) {
		c = p->s[p->pos];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		if (cp > 0x10ffff)
			break;
	}
	if (p->pos >= p->len || p->s[p->pos] != ';' || digits == 0 || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		p->pos = start;
		xmlq_fail(p, "bad character reference");
		return -1;
	}
	p->pos++;
	xmlq_utf8(out, cp);
	return 0;
}

/* Reads a name at pos (a prefix before ':' is dropped). */
static char *
xmlq_name(struct xmlq_parser *p)
{
	size_t start = p->pos, colon = SIZE_MAX;

	while (p->pos < p->len && xmlq_is_name(p->s[p->pos])) {
		if (p->s[p->pos] == ':')
			colon = p->pos;
		p->pos++;
	}
	if (p->pos == start) {
		xmlq_fail(p, "expected a name");
		return NULL;
	}
	if (colon != SIZE_MAX && colon + 1 < p->pos)
		start = colon + 1;
	return xstrndup(p->s + start, p->pos - start);
}

/* Skips the attributes of a start tag; sets *empty for "/>". */
static int
xmlq_attrs(struct xmlq_parser *p, int *empty)
{
	char q, *name;

	for (;;) {
		while (p->pos < p->len && xmlq_is_space(p->s[p->pos]))
			p->pos++;
		if (xmlq_starts(p, "/>")) {
			p->pos += 2;
			*empty = 1;
			return 0;
		}
		if (xmlq_starts(p, ">")) {
			p->pos++;
			*empty = 0;
			return 0;
		}
		if ((name = xmlq_name(p)) == NULL)
			return -1;
		free(name);
		while (p->pos < p->len && xmlq_is_space(p->s[p->pos]))
			p->pos++;
		if (!xmlq_starts(p, "=")) {
			xmlq_fail(p, "expected '=' after an attribute name");
			return -1;
		}
		p->pos++;
		while (p->pos < p->len && xmlq_is_space(p->s[p->pos]))
			p->pos++;
		q = p->pos < p->len ? p->s[p->pos] : '\0';
		if (q != '"' && q != '\'') {
			xmlq_fail(p, "expected a quoted attribute value");
			return -1;
		}
		p->pos++;
		if (xmlq_skip_past(p, q == '"' ? "\"" : "'", "attribute value") != 0)
			return -1;
	}
}

static void
xmlq_add_kid(struct xmlq_node *node, struct xmlq_node *kid)
{
	node->kids = xreallocarray(node->kids, node->n + 1, sizeof *node->kids);
	node->kids[node->n++] = kid;
}

static struct xmlq_node *xmlq_element(struct xmlq_parser *p, int depth);

/* The content of node up to and including its end tag. */
static int
xmlq_content(struct xmlq_parser *p, struct xmlq_node *node, int depth, struct buf *text)
{
	struct xmlq_node *kid;
	char *end;
	const char *cdata_end;

	while (p->pos < p->len) {
		if (xmlq_starts(p, "</")) {
			p->pos += 2;
			if ((end = xmlq_name(p)) == NULL)
				return -1;
			if (strcmp(end, node->name) != 0) {
				xmlq_fail(p, "end tag </%.40s> does not close <%.40s>", end,
				          node->name);
				free(end);
				return -1;
			}
			free(end);
			while (p->pos < p->len && xmlq_is_space(p->s[p->pos]))
				p->pos++;
			if (!xmlq_starts(p, ">")) {
				xmlq_fail(p, "expected '>'");
				return -1;
			}
			p->pos++;
			return 0;
		} else if (xmlq_starts(p, "<![CDATA[")) {
			p->pos += 9;
			cdata_end = memmem(p->s + p->pos, p->len - p->pos, "]]>", 3);
			if (cdata_end == NULL) {
				xmlq_fail(p, "unterminated CDATA section");
				return -1;
			}
			buf_add(text, p->s + p->pos, (size_t)(cdata_end - (p->s + p->pos)));
			p->pos = (size_t)(cdata_end - p->s) + 3;
		} else if (xmlq_starts(p, "<!--") || xmlq_starts(p, "<?")) {
			if (xmlq_skip_past(p, p->s[p->pos + 1] == '!' ? "-->" : "?>", "comment") !=
			    0)
				return -1;
		} else if (xmlq_starts(p, "<")) {
			if ((kid = xmlq_element(p, depth + 1)) == NULL)
				return -1;
			xmlq_add_kid(node, kid);
		} else if (p->s[p->pos] == '&') {
			if (xmlq_entity(p, text) != 0)
				return -1;
		} else if (p->s[p->pos] == '\0') {
			xmlq_fail(p, "NUL byte");
			return -1;
		} else {
			buf_addc(text, p->s[p->pos++]);
		}
	}
	xmlq_fail(p, "<%.40s> is not closed", node->name);
	return -1;
}

static struct xmlq_node *
xmlq_element(struct xmlq_parser *p, int depth)
{
	struct xmlq_node *node;
	struct buf text = BUF_INIT;
	int empty = 0;

	if (depth > XMLQ_MAX_DEPTH) {
		xmlq_fail(p, "nested deeper than %d", XMLQ_MAX_DEPTH);
		return NULL;
	}
	if (!xmlq_starts(p, "<")) {
		xmlq_fail(p, "expected '<'");
		return NULL;
	}
	p->pos++;
	node = xcalloc(1, sizeof *node);
	if ((node->name = xmlq_name(p)) == NULL || xmlq_attrs(p, &empty) != 0 ||
	    (!empty && xmlq_content(p, node, depth, &text) != 0)) {
		buf_free(&text);
		xmlq_free(node);
		return NULL;
	}
	node->text_len = text.len;
	buf_addc(&text, '\0'); /* text is "" rather than NULL when empty */
	node->text = buf_detach(&text);
	return node;
}

struct xmlq_node *
xmlq_parse(const char *text, size_t len, char **cause)
{
	struct xmlq_parser p = { text, len, 0, NULL };
	struct xmlq_node *root = NULL;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3; /* a UTF-8 byte order mark */
	if (xmlq_skip_misc(&p) == 0 && (root = xmlq_element(&p, 1)) != NULL &&
	    xmlq_skip_misc(&p) == 0 && p.pos < p.len)
		xmlq_fail(&p, "content after the root element");
	if (p.cause != NULL) {
		xmlq_free(root);
		*cause = p.cause;
		return NULL;
	}
	return root;
}

void
xmlq_free(struct xmlq_node *node)
{
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; i < node->n; i++)
		xmlq_free(node->kids[i]);
	free(node->kids);
	free(node->name);
	free(node->text);
	free(node);
}

const struct xmlq_node *
xmlq_child(const struct xmlq_node *node, const char *name)
{
	size_t i;

	if (node == NULL)
		return NULL;
	for (i = 0; i < node->n; i++)
		if (strcmp(node->kids[i]->name, name) == 0)
			return node->kids[i];
	return NULL;
}

const struct xmlq_node *
xmlq_path(const struct xmlq_node *node, const char *path)
{
	char name[128];
	size_t n;

	while (node != NULL && *path != '\0') {
		n = strcspn(path, "/");
		if (n >= sizeof name)
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		node = xmlq_child(node, name);
		path += n + (path[n] == '/');
	}
	return node;
}

const char *
xmlq_text(const struct xmlq_node *node, const char *path)
{
	node = xmlq_path(node, path);
	return node != NULL ? node->text : NULL;
}
