/* DNS wire reader and writer for the hot path: no allocation, every access bounds-checked. */
#include "wire.h"

#include <stdio.h>
#include <string.h>

static inline uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline bool rd_need(struct wire_rd *r, size_t n)
{
	if (r->err || r->len - r->pos < n || r->pos > r->len) {
		r->err = true;
		return false;
	}
	return true;
}

uint8_t wire_rd_u8(struct wire_rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->pkt[r->pos++];
}

uint16_t wire_rd_u16(struct wire_rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->pkt[r->pos] << 8 | r->pkt[r->pos + 1]);
	r->pos += 2;
	return v;
}

uint32_t wire_rd_u32(struct wire_rd *r)
{
	uint32_t hi = wire_rd_u16(r);
	return hi << 16 | wire_rd_u16(r);
}

void wire_rd_skip(struct wire_rd *r, size_t n)
{
	if (rd_need(r, n))
		r->pos += n;
}

size_t wire_rd_name(struct wire_rd *r, uint8_t out[WIRE_NAME_MAX])
{
	if (r->err)
		return 0;
	size_t pos = r->pos, outlen = 0, after = 0;
	size_t limit = r->pos;            /* pointers must go strictly backwards from the label they sit in */
	bool jumped = false;
	for (;;) {
		if (pos >= r->len)
			goto bad;
		uint8_t c = r->pkt[pos];
		if ((c & 0xC0) == 0xC0) {
			if (pos + 1 >= r->len)
				goto bad;
			size_t target = (size_t)(c & 0x3F) << 8 | r->pkt[pos + 1];
			if (!jumped)
				after = pos + 2;
			if (target >= limit)
				goto bad;
			jumped = true;
			limit = target;
			pos = target;
			continue;
		}
		if (c & 0xC0)
			goto bad;                 /* extended and reserved label types */
		if (pos + 1 + c > r->len || outlen + 1 + c > WIRE_NAME_MAX)
			goto bad;
		memcpy(out + outlen, r->pkt + pos, 1 + (size_t)c);
		outlen += 1 + (size_t)c;
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	r->pos = jumped ? after : pos;
	return outlen;
bad:
	r->err = true;
	return 0;
}

void wire_wr_init(struct wire_wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->pos = 0;
	w->err = false;
	w->ncomp = 0;
}

static inline bool wr_need(struct wire_wr *w, size_t n)
{
	if (w->err || w->cap - w->pos < n) {
		w->err = true;
		return false;
	}
	return true;
}

void wire_wr_u8(struct wire_wr *w, uint8_t v)
{
	if (wr_need(w, 1))
		w->buf[w->pos++] = v;
}

void wire_wr_u16(struct wire_wr *w, uint16_t v)
{
	if (!wr_need(w, 2))
		return;
	w->buf[w->pos] = (uint8_t)(v >> 8);
	w->buf[w->pos + 1] = (uint8_t)v;
	w->pos += 2;
}

void wire_wr_u32(struct wire_wr *w, uint32_t v)
{
	wire_wr_u16(w, (uint16_t)(v >> 16));
	wire_wr_u16(w, (uint16_t)v);
}

void wire_wr_bytes(struct wire_wr *w, const void *p, size_t n)
{
	if (n && wr_need(w, n)) {
		memcpy(w->buf + w->pos, p, n);
		w->pos += n;
	}
}

void wire_wr_put_u16_at(struct wire_wr *w, size_t offset, uint16_t v)
{
	if (offset + 2 <= w->pos) {
		w->buf[offset] = (uint8_t)(v >> 8);
		w->buf[offset + 1] = (uint8_t)v;
	}
}

void wire_wr_remember(struct wire_wr *w, size_t offset)
{
	if (offset < 0x4000 && w->ncomp < WIRE_COMP_SLOTS)
		w->comp[w->ncomp++] = (uint16_t)offset;
}

/* Does the (trusted, self-written) name at off in buf equal the uncompressed name, case included? */
static bool buf_name_eq(const struct wire_wr *w, size_t off, const uint8_t *name)
{
	for (int hops = 0; hops < 64;) {
		if (off >= w->pos)
			return false;
		uint8_t c = w->buf[off];
		if ((c & 0xC0) == 0xC0) {
			if (off + 1 >= w->pos)
				return false;
			off = (size_t)(c & 0x3F) << 8 | w->buf[off + 1];
			hops++;
			continue;
		}
		if (c != *name || off + 1 + c > w->pos)
			return false;
		/* Exact bytes: a pointer must not change the case of the name it stands for. */
		if (memcmp(w->buf + off + 1, name + 1, c) != 0)
			return false;
		if (c == 0)
			return true;
		off += 1 + c;
		name += 1 + c;
	}
	return false;
}

static int comp_find(const struct wire_wr *w, const uint8_t *suffix)
{
	for (unsigned i = 0; i < w->ncomp; i++)
		if (buf_name_eq(w, w->comp[i], suffix))
			return w->comp[i];
	return -1;
}

void wire_wr_name(struct wire_wr *w, const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p) {
		int off = comp_find(w, p);
		if (off >= 0) {
			wire_wr_u16(w, (uint16_t)(0xC000 | off));
			return;
		}
		size_t here = w->pos;
		wire_wr_bytes(w, p, 1 + (size_t)*p);
		if (w->err)
			return;
		wire_wr_remember(w, here);
		p += 1 + *p;
	}
	wire_wr_u8(w, 0);
}

size_t wire_name_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += 1 + *p;
	return (size_t)(p - name) + 1;
}

void wire_name_lower(uint8_t *dst, const uint8_t *src)
{
	size_t n = wire_name_len(src);
	for (size_t i = 0; i < n; i++)
		dst[i] = lc(src[i]);
}

bool wire_name_eq_ci(const uint8_t *a, const uint8_t *b)
{
	size_t n = wire_name_len(a);
	if (n != wire_name_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (lc(a[i]) != lc(b[i]))
			return false;
	return true;
}

int wire_name_labels(const uint8_t *name)
{
	int n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		n++;
	return n;
}

bool wire_name_under(const uint8_t *name, size_t namelen, const uint8_t *apex, size_t apexlen)
{
	if (namelen < apexlen)
		return false;
	/* The apex must start on a label boundary of name. */
	const uint8_t *p = name;
	while ((size_t)(p - name) < namelen - apexlen)
		p += 1 + *p;
	if ((size_t)(p - name) != namelen - apexlen)
		return false;
	return memcmp(p, apex, apexlen) == 0;
}

size_t wire_name_from_str(const char *s, uint8_t out[WIRE_NAME_MAX])
{
	size_t len = 0;
	if (s[0] == '.' && s[1] == '\0') {
		out[0] = 0;
		return 1;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || len + 1 + l + 1 > WIRE_NAME_MAX)
			return 0;
		out[len] = (uint8_t)l;
		memcpy(out + len + 1, s, l);
		len += 1 + l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[len++] = 0;
	return len;
}

void wire_name_to_str(const uint8_t *name, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	for (const uint8_t *p = name; *p && o + 6 < outlen; p += 1 + *p) {
		for (unsigned i = 1; i <= *p && o + 6 < outlen; i++) {
			uint8_t c = p[i];
			if (c > ' ' && c <= '~' && c != '.' && c != '\\')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
		}
		out[o++] = '.';
	}
	if (o == 0)
		out[o++] = '.';
	out[o < outlen ? o : outlen - 1] = '\0';
}
