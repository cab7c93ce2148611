/* A small XML reader and writer for REST APIs that answer in XML (Route 53): elements, attributes skipped, text
 * with the predefined and numeric entities; no DTD, no CDATA, bounded depth and size. */
#ifndef ADNS_XML_H
#define ADNS_XML_H

#include <stddef.h>

struct xml_node;
struct xml_writer;

/* Parses len bytes of text into a tree. Returns the root element (xml_free), or NULL with errbuf set: not
 * well-formed, a DOCTYPE or CDATA section, more than 32 levels or 100000 elements. */
struct xml_node *xml_parse(const char *text, size_t len, char *errbuf, size_t errlen);
/* Frees a tree from xml_parse. NULL is fine. */
void xml_free(struct xml_node *root);
/* The element's local name (a "prefix:" is dropped). */
const char *xml_name(const struct xml_node *n);
/* The text directly inside the element, entities decoded ("" when none). */
const char *xml_text(const struct xml_node *n);
/* The first child element named name, or NULL (n NULL gives NULL). */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* The next sibling with the same name as n, or NULL. */
const struct xml_node *xml_next(const struct xml_node *n);
/* The element at path ("A/B/C", each step the first child of that name) below n, or NULL. */
const struct xml_node *xml_find(const struct xml_node *n, const char *path);
/* The text of the element at path below n, or NULL when there is none. */
const char *xml_find_text(const struct xml_node *n, const char *path);

/* A writer of at most max bytes (0 = 1 MiB). NULL when out of memory. */
struct xml_writer *xml_writer_new(size_t max);
/* Writes the XML declaration and opens the root element with an xmlns attribute (xmlns NULL: none). */
void xml_root(struct xml_writer *w, const char *name, const char *xmlns);
/* Opens an element. */
void xml_open(struct xml_writer *w, const char *name);
/* Closes the element opened last (by name, for the reader of the code). */
void xml_close(struct xml_writer *w, const char *name);
/* Writes <name>text</name>, text escaped. */
void xml_leaf(struct xml_writer *w, const char *name, const char *text);
/* The document written (malloc'd, the caller frees) and frees w; NULL when a write failed (too long, out of
 * memory, elements left open or a bad name). */
char *xml_writer_finish(struct xml_writer *w);
/* Frees w without taking the document. NULL is fine. */
void xml_writer_free(struct xml_writer *w);

#endif
