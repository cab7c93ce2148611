/* TSIG (RFC 8945) with OpenSSL's HMAC: ldns 1.8 cannot serve here, its signer always writes error 0 and no
 * other data (so no BADTIME answer), it has no HMAC-SHA224 and misspells HMAC-SHA384 ("hmac-shac384."). */
#include "update_tsig.h"

#include "wire.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string.h>
#include <strings.h>

#define CLASS_ANY 255

struct alg_info {
	const char *text;              /* as written on the wire, without the trailing dot */
	const char *wire;              /* the same as a wire name; the literal's NUL is the root label */
	const char *digest;            /* OpenSSL's name */
	size_t len;
};

static const struct alg_info algs[TSIG_ALG_COUNT] = {
	[TSIG_HMAC_MD5] = { "hmac-md5.sig-alg.reg.int", "\010hmac-md5\007sig-alg\003reg\003int", "MD5", 16 },
	[TSIG_HMAC_SHA1] = { "hmac-sha1", "\011hmac-sha1", "SHA1", 20 },
	[TSIG_HMAC_SHA224] = { "hmac-sha224", "\013hmac-sha224", "SHA2-224", 28 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", "\013hmac-sha256", "SHA2-256", 32 },
	[TSIG_HMAC_SHA384] = { "hmac-sha384", "\013hmac-sha384", "SHA2-384", 48 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", "\013hmac-sha512", "SHA2-512", 64 },
};

int utsig_alg_parse(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n == 8 && strncasecmp(s, "hmac-md5", 8) == 0)
		return TSIG_HMAC_MD5;
	for (int a = 0; a < TSIG_ALG_COUNT; a++)
		if (strlen(algs[a].text) == n && strncasecmp(s, algs[a].text, n) == 0)
			return a;
	return -1;
}

const char *utsig_alg_text(enum tsig_alg a)
{
	return algs[a].text;
}

size_t utsig_alg_mac_len(enum tsig_alg a)
{
	return algs[a].len;
}

int utsig_alg_from_wire(const uint8_t *alg)
{
	size_t len = wire_name_len(alg);
	for (int a = 0; a < TSIG_ALG_COUNT; a++)
		if (strlen(algs[a].wire) + 1 == len && memcmp(algs[a].wire, alg, len) == 0)
			return a;
	return -1;
}

/* ---- finding the record ---- */

/* Skips one resource record; returns its type (0 with r->err set when it is cut short). */
static uint16_t skip_rr(struct wire_rd *r)
{
	uint8_t owner[WIRE_NAME_MAX];
	wire_rd_name(r, owner);
	uint16_t type = wire_rd_u16(r);
	wire_rd_skip(r, 6);
	wire_rd_skip(r, wire_rd_u16(r));
	return type;
}

/* Reads the TSIG record at r->pos, which must end exactly at the end of the message. */
static int read_tsig(struct wire_rd *r, struct utsig_rr *rr)
{
	uint8_t name[WIRE_NAME_MAX];
	rr->offset = r->pos;
	wire_rd_name(r, name);
	wire_name_lower(rr->key, name);
	wire_rd_u16(r);
	uint16_t cls = wire_rd_u16(r);
	uint32_t ttl = wire_rd_u32(r);
	uint16_t rdlen = wire_rd_u16(r);
	size_t end = r->pos + rdlen;
	wire_rd_name(r, name);
	if (r->err || cls != CLASS_ANY || ttl != 0 || end != r->len)
		return -1;
	wire_name_lower(rr->alg, name);
	uint64_t hi = wire_rd_u16(r);
	rr->time_signed = hi << 32 | wire_rd_u32(r);
	rr->fudge = wire_rd_u16(r);
	rr->mac_len = wire_rd_u16(r);
	rr->mac = r->pkt + r->pos;
	wire_rd_skip(r, rr->mac_len);
	rr->orig_id = wire_rd_u16(r);
	rr->error = wire_rd_u16(r);
	rr->other_len = wire_rd_u16(r);
	rr->other = r->pkt + r->pos;
	wire_rd_skip(r, rr->other_len);
	return r->err || r->pos != end ? -1 : 1;
}

int utsig_find(const uint8_t *msg, size_t len, struct utsig_rr *rr)
{
	struct wire_rd r = { .pkt = msg, .len = len };
	memset(rr, 0, sizeof(*rr));
	wire_rd_skip(&r, 4);
	uint16_t qd = wire_rd_u16(&r), an = wire_rd_u16(&r), ns = wire_rd_u16(&r), ar = wire_rd_u16(&r);
	uint32_t records = (uint32_t)an + ns + ar;
	for (unsigned i = 0; i < qd && !r.err; i++) {
		uint8_t name[WIRE_NAME_MAX];
		wire_rd_name(&r, name);
		wire_rd_skip(&r, 4);
	}
	for (uint32_t i = 0; i < records && !r.err; i++) {
		size_t start = r.pos;
		if (skip_rr(&r) != TSIG_RR_TYPE)
			continue;
		if (i + 1 != records || ar == 0 || r.err)
			return -1;                     /* a TSIG must be the very last record (RFC 8945 5.1) */
		r.pos = start;
		return read_tsig(&r, rr);
	}
	return r.err || r.pos != r.len ? -1 : 0;
}

/* ---- the MAC ---- */

struct mac_ctx {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	bool ok;
};

static void mac_begin(struct mac_ctx *m, const struct utsig_key *key)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)algs[key->alg].digest, 0),
		OSSL_PARAM_construct_end(),
	};
	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	m->ctx = m->mac ? EVP_MAC_CTX_new(m->mac) : NULL;
	m->ok = m->ctx && EVP_MAC_init(m->ctx, key->secret, key->secret_len, params) == 1;
}

static void mac_add(struct mac_ctx *m, const void *p, size_t n)
{
	if (m->ok && n)
		m->ok = EVP_MAC_update(m->ctx, p, n) == 1;
}

static void mac_add_u16(struct mac_ctx *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	mac_add(m, b, 2);
}

/* Ends the computation into out (TSIG_MAC_MAX bytes); returns the MAC's length, 0 on failure. */
static size_t mac_end(struct mac_ctx *m, uint8_t *out)
{
	size_t n = 0;
	if (m->ok && EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX) != 1)
		n = 0;
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	return m->ok ? n : 0;
}

/* The TSIG variables of RFC 8945 section 4.3.3, names in canonical (lower-case) form. */
static void mac_add_variables(struct mac_ctx *m, const uint8_t *key, const uint8_t *alg, uint64_t time_signed,
			      uint16_t fudge, uint16_t error, const uint8_t *other, uint16_t other_len)
{
	uint8_t t[6] = { (uint8_t)(time_signed >> 40), (uint8_t)(time_signed >> 32), (uint8_t)(time_signed >> 24),
			 (uint8_t)(time_signed >> 16), (uint8_t)(time_signed >> 8), (uint8_t)time_signed };
	static const uint8_t class_ttl[6] = { 0, CLASS_ANY, 0, 0, 0, 0 };
	mac_add(m, key, wire_name_len(key));
	mac_add(m, class_ttl, sizeof(class_ttl));
	mac_add(m, alg, wire_name_len(alg));
	mac_add(m, t, sizeof(t));
	mac_add_u16(m, fudge);
	mac_add_u16(m, error);
	mac_add_u16(m, other_len);
	mac_add(m, other, other_len);
}

/* The request's MAC: the message as it was before the TSIG was added (original ID, ARCOUNT one less). */
static size_t request_mac(const uint8_t *msg, const struct utsig_rr *rr, const struct utsig_key *key,
			  uint8_t out[TSIG_MAC_MAX])
{
	uint8_t hdr[12];
	memcpy(hdr, msg, 12);
	uint16_t ar = (uint16_t)(hdr[10] << 8 | hdr[11]) - 1;
	hdr[0] = (uint8_t)(rr->orig_id >> 8);
	hdr[1] = (uint8_t)rr->orig_id;
	hdr[10] = (uint8_t)(ar >> 8);
	hdr[11] = (uint8_t)ar;
	struct mac_ctx m;
	mac_begin(&m, key);
	mac_add(&m, hdr, 12);
	mac_add(&m, msg + 12, rr->offset - 12);
	mac_add_variables(&m, rr->key, rr->alg, rr->time_signed, rr->fudge, rr->error, rr->other, rr->other_len);
	return mac_end(&m, out);
}

int utsig_verify(const uint8_t *msg, const struct utsig_rr *rr, const struct utsig_key *key, int64_t now,
		uint32_t max_fudge)
{
	if (utsig_alg_from_wire(rr->alg) != (int)key->alg)
		return TSIG_BADKEY;                /* a known key name with another algorithm (RFC 8945 5.2.1) */
	size_t full = algs[key->alg].len, half = (full + 1) / 2;
	if (rr->mac_len == 0)
		return TSIG_BADSIG;
	if (rr->mac_len > full || rr->mac_len < 10 || rr->mac_len < half)
		return -1;                         /* RFC 8945 5.2.2.1: malformed, FORMERR */
	uint8_t mine[TSIG_MAC_MAX];
	size_t n = request_mac(msg, rr, key, mine);
	bool same = n == full && CRYPTO_memcmp(mine, rr->mac, rr->mac_len) == 0;
	OPENSSL_cleanse(mine, sizeof(mine));
	if (!same)
		return TSIG_BADSIG;
	uint32_t fudge = rr->fudge < max_fudge ? rr->fudge : max_fudge;
	int64_t skew = now - (int64_t)rr->time_signed;
	if (skew > (int64_t)fudge || skew < -(int64_t)fudge)
		return TSIG_BADTIME;
	if (rr->mac_len < full)
		return TSIG_BADTRUNC;              /* we take only full-length MACs */
	return TSIG_NOERROR;
}

/* ---- the response's record ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t utsig_append(uint8_t *buf, size_t len, size_t cap, const struct utsig_reply *r)
{
	const struct utsig_rr *req = r->req;
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len = 0;
	if (r->key) {
		struct mac_ctx m;
		mac_begin(&m, r->key);
		mac_add_u16(&m, req->mac_len);
		mac_add(&m, req->mac, req->mac_len);
		mac_add(&m, buf, len);
		mac_add_variables(&m, req->key, req->alg, r->time_signed, r->fudge, r->error, r->other,
				  r->other_len);
		mac_len = mac_end(&m, mac);
		if (mac_len == 0)
			return 0;
	}
	struct wire_wr w;
	wire_wr_init(&w, buf, cap);
	w.pos = len;
	wire_wr_bytes(&w, req->key, wire_name_len(req->key));
	wire_wr_u16(&w, TSIG_RR_TYPE);
	wire_wr_u16(&w, CLASS_ANY);
	wire_wr_u32(&w, 0);
	size_t rdlen_at = w.pos;
	wire_wr_u16(&w, 0);
	wire_wr_bytes(&w, req->alg, wire_name_len(req->alg));
	wire_wr_u16(&w, (uint16_t)(r->time_signed >> 32));
	wire_wr_u32(&w, (uint32_t)r->time_signed);
	wire_wr_u16(&w, r->fudge);
	wire_wr_u16(&w, (uint16_t)mac_len);
	wire_wr_bytes(&w, mac, mac_len);
	wire_wr_bytes(&w, buf, 2);                 /* original ID: the response's own */
	wire_wr_u16(&w, r->error);
	wire_wr_u16(&w, r->other_len);
	wire_wr_bytes(&w, r->other, r->other_len);
	if (w.err || len < 12)
		return 0;
	put_u16(buf + rdlen_at, (uint16_t)(w.pos - rdlen_at - 2));
	put_u16(buf + 10, (uint16_t)((buf[10] << 8 | buf[11]) + 1));
	return w.pos;
}
