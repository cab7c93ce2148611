/* DNS wire format for the query path: a bounds-checked reader whose first error sticks, and a writer
 * with name compression that never passes its buffer's end. */
#ifndef ADNS_WIRE_H
#define ADNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_NAME_MAX   255
#define WIRE_COMP_SLOTS 64

struct wire_rd {
	const uint8_t *pkt;
	size_t len;
	size_t pos;
	bool err;
};

struct wire_wr {
	uint8_t *buf;
	size_t cap;             /* hard end: nothing is written past it */
	size_t pos;
	bool err;               /* set when a write did not fit */
	uint16_t comp[WIRE_COMP_SLOTS];   /* offsets of label sequences already in buf */
	unsigned ncomp;
};

/* Reader: each returns 0 and sets err once the packet ends; later reads stay in error. */
uint8_t wire_rd_u8(struct wire_rd *r);
uint16_t wire_rd_u16(struct wire_rd *r);
uint32_t wire_rd_u32(struct wire_rd *r);
void wire_rd_skip(struct wire_rd *r, size_t n);
/* Reads a possibly compressed name into out (uncompressed wire, case kept); returns its length (>= 1)
 * or 0 with err set for a bad label type, a forward or looping pointer, a label > 63 or a name > 255. */
size_t wire_rd_name(struct wire_rd *r, uint8_t out[WIRE_NAME_MAX]);

/* Writer. */
void wire_wr_init(struct wire_wr *w, uint8_t *buf, size_t cap);
void wire_wr_u8(struct wire_wr *w, uint8_t v);
void wire_wr_u16(struct wire_wr *w, uint16_t v);
void wire_wr_u32(struct wire_wr *w, uint32_t v);
void wire_wr_bytes(struct wire_wr *w, const void *p, size_t n);
/* Writes uncompressed wire name using earlier names in buf where a suffix matches (exactly, so case is kept),
 * and remembers the new labels for later names. */
void wire_wr_name(struct wire_wr *w, const uint8_t *name);
/* Remembers that a name starts at offset (e.g. the question at 12). */
void wire_wr_remember(struct wire_wr *w, size_t offset);
/* Writes big-endian v at offset (already written). */
void wire_wr_put_u16_at(struct wire_wr *w, size_t offset, uint16_t v);

/* Name helpers on uncompressed wire names. */
size_t wire_name_len(const uint8_t *name);                 /* bytes including the root label */
void wire_name_lower(uint8_t *dst, const uint8_t *src);    /* copies, ASCII lower-cased */
bool wire_name_eq_ci(const uint8_t *a, const uint8_t *b);  /* case-insensitive equality */
int wire_name_labels(const uint8_t *name);                 /* label count, root excluded */
/* True when name is sub or equal to (in-bailiwick of) apex; both lower case. */
bool wire_name_under(const uint8_t *name, size_t namelen, const uint8_t *apex, size_t apexlen);
/* Writes name as dotted text with a trailing dot ("." for the root); bytes outside [!-~] as \DDD. */
void wire_name_to_str(const uint8_t *name, char *out, size_t outlen);
/* Converts "a.b.c" or "a.b.c." to wire; returns length or 0 if invalid. */
size_t wire_name_from_str(const char *s, uint8_t out[WIRE_NAME_MAX]);

#endif
