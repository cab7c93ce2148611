/* TSIG (RFC 8945), both sides: keys from bytes, base64 or a BIND key file; signing a request and checking its
 * answer (the rfc2136 solver); finding and checking the TSIG of a request and signing its response (acme-dnsd).
 * One MAC routine serves all four: the MAC always covers [the request's MAC] + the message as it was before its
 * TSIG RR was added + the TSIG variables, and only where the message and the variables come from differs. */
#include "tsig.h"

#include "log.h"
#include "secretfile.h"

#include <ldns/ldns.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define TSIG_NAME_MAX 256               /* a key name in text */
#define TSIG_KEYFILE_MAX (64 * 1024)    /* a key file is a few lines: a big one is the wrong file */
#define TSIG_TOKEN_MAX 1024
#define TSIG_TYPE 250
#define TSIG_CLASS_ANY 255
#define DNS_HEADER 12
#define DNS_ARCOUNT_OFF 10

struct tsig_key {
	char name[TSIG_NAME_MAX];               /* lower case, no trailing dot */
	uint8_t wire[TSIG_WIRE_NAME_MAX];       /* the same in canonical wire form, as the MAC covers it */
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

static const struct {
	const char *name;               /* for people and for parsing */
	const char *text;               /* the algorithm's domain name (RFC 8945 section 6), without the root */
	const char *wire;               /* the same in wire form: the literal's NUL is the root label */
	const char *digest;             /* OpenSSL's name */
	size_t mac_len;                 /* the full MAC */
} tsig_algs[] = {
	[TSIG_HMAC_MD5] = { "hmac-md5", "hmac-md5.sig-alg.reg.int", "\010hmac-md5\007sig-alg\003reg\003int", "MD5",
			    16 },
	[TSIG_HMAC_SHA1] = { "hmac-sha1", "hmac-sha1", "\011hmac-sha1", "SHA1", 20 },
	[TSIG_HMAC_SHA224] = { "hmac-sha224", "hmac-sha224", "\013hmac-sha224", "SHA224", 28 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", "hmac-sha256", "\013hmac-sha256", "SHA256", 32 },
	[TSIG_HMAC_SHA384] = { "hmac-sha384", "hmac-sha384", "\013hmac-sha384", "SHA384", 48 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", "hmac-sha512", "\013hmac-sha512", "SHA512", 64 },
};
#define N_ALGS (sizeof(tsig_algs) / sizeof(tsig_algs[0]))

/* ---- wire names ---- */

/* The length of an uncompressed wire name, the root label included. Only for names this file made or read. */
static size_t name_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n] != 0)
		n += (size_t)name[n] + 1;
	return n + 1;
}

static bool name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t n = name_len(a);

	return n == name_len(b) && memcmp(a, b, n) == 0;
}

/* ---- algorithms ---- */

int tsig_alg_parse(const char *s, enum tsig_alg *alg)
{
	size_t len = s ? strlen(s) : 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	for (size_t i = 0; len > 0 && i < N_ALGS; i++) {
		if ((strlen(tsig_algs[i].name) == len && strncasecmp(s, tsig_algs[i].name, len) == 0) ||
		    (strlen(tsig_algs[i].text) == len && strncasecmp(s, tsig_algs[i].text, len) == 0)) {
			*alg = (enum tsig_alg)i;
			return 0;
		}
	}
	return -1;
}

const char *tsig_alg_name(enum tsig_alg alg)
{
	return (size_t)alg < N_ALGS ? tsig_algs[alg].name : "?";
}

/* ---- keys ---- */

static int tsig_b64_decode(const char *in, uint8_t *out, size_t outcap, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	size_t inlen = strlen(in);
	/* EVP_DecodeUpdate writes 3 bytes per 4 characters before we can tell the length. */
	uint8_t *buf = malloc(inlen / 4 * 3 + 3);
	int n = 0, m = 0, rc = -1;

	if (ctx && buf && inlen > 0 && inlen < (size_t)TSIG_SECRET_MAX * 2) {
		EVP_DecodeInit(ctx);
		if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)in, (int)inlen) >= 0 &&
		    EVP_DecodeFinal(ctx, buf + n, &m) == 1 && n + m > 0 && (size_t)(n + m) <= outcap) {
			memcpy(out, buf, (size_t)(n + m));
			*outlen = (size_t)(n + m);
			rc = 0;
		}
	}
	if (buf) {
		OPENSSL_cleanse(buf, inlen / 4 * 3 + 3);
		free(buf);
	}
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

/* A key name as TSIG writes it: a DNS name, lower case, no trailing dot; and its wire form for the MAC. */
static int tsig_name_set(struct tsig_key *k, const char *name)
{
	ldns_rdf *d;
	size_t len = name ? strlen(name) : 0;
	int rc = -1;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof k->name)
		return -1;
	for (size_t i = 0; i < len; i++)
		k->name[i] = (char)tolower((unsigned char)name[i]);
	k->name[len] = '\0';
	d = ldns_dname_new_frm_str(k->name);
	if (d && ldns_rdf_size(d) <= sizeof k->wire) {
		ldns_dname2canonical(d);
		memcpy(k->wire, ldns_rdf_data(d), ldns_rdf_size(d));
		rc = 0;
	}
	ldns_rdf_deep_free(d);
	return rc;
}

/* A key with its name set, or NULL with errbuf set. */
static struct tsig_key *tsig_key_alloc(const char *name, char *errbuf, size_t errlen)
{
	struct tsig_key *k = calloc(1, sizeof *k);

	if (!k) {
		snprintf(errbuf, errlen, "out of memory");
	} else if (tsig_name_set(k, name) != 0) {
		snprintf(errbuf, errlen, "TSIG key name \"%.64s\" is not a DNS name", name ? name : "");
		tsig_key_free(k);
		k = NULL;
	}
	return k;
}

struct tsig_key *tsig_key_new(const char *name, const char *alg, const char *secret_b64, char *errbuf,
			      size_t errlen)
{
	struct tsig_key *k = tsig_key_alloc(name, errbuf, errlen);

	if (!k)
		return NULL;
	if (tsig_alg_parse(alg ? alg : "hmac-sha256", &k->alg) != 0) {
		snprintf(errbuf, errlen, "TSIG algorithm \"%.40s\" is unknown (hmac-sha256, hmac-sha1, hmac-sha224, "
			 "hmac-sha384, hmac-sha512, hmac-md5)", alg);
	} else if (!secret_b64 || tsig_b64_decode(secret_b64, k->secret, sizeof k->secret, &k->secret_len) != 0) {
		snprintf(errbuf, errlen, "the TSIG secret of key %s is not base64 of 1 to %d bytes", k->name,
			 TSIG_SECRET_MAX);
	} else {
		return k;
	}
	tsig_key_free(k);
	return NULL;
}

struct tsig_key *tsig_key_new_raw(const char *name, enum tsig_alg alg, const uint8_t *secret, size_t len,
				  char *errbuf, size_t errlen)
{
	struct tsig_key *k = tsig_key_alloc(name, errbuf, errlen);

	if (!k)
		return NULL;
	if ((size_t)alg >= N_ALGS) {
		snprintf(errbuf, errlen, "TSIG key %s: unknown algorithm %d", k->name, (int)alg);
	} else if (!secret || len == 0 || len > sizeof k->secret) {
		snprintf(errbuf, errlen, "the TSIG secret of key %s is not 1 to %d bytes", k->name, TSIG_SECRET_MAX);
	} else {
		k->alg = alg;
		memcpy(k->secret, secret, len);
		k->secret_len = len;
		return k;
	}
	tsig_key_free(k);
	return NULL;
}

void tsig_key_free(struct tsig_key *k)
{
	if (k) {
		OPENSSL_cleanse(k, sizeof *k);
		free(k);
	}
}

const char *tsig_key_name(const struct tsig_key *k)
{
	return k->name;
}

enum tsig_alg tsig_key_alg(const struct tsig_key *k)
{
	return k->alg;
}

bool tsig_key_equal(const struct tsig_key *a, const struct tsig_key *b)
{
	return strcmp(a->name, b->name) == 0 && a->alg == b->alg && a->secret_len == b->secret_len &&
	       CRYPTO_memcmp(a->secret, b->secret, a->secret_len) == 0;
}

/* ---- BIND key files ---- */

enum kf_tok { KF_EOF, KF_WORD, KF_STRING, KF_PUNCT, KF_ERROR };

/* A reader over a key file; the first error sticks in err, which names the file and line. */
struct kf {
	const char *path, *p, *end;
	int line, tok_line, prev_line;  /* now, the current token's, the one before */
	enum kf_tok type;
	char tok[TSIG_TOKEN_MAX];
	char *err;
	size_t errlen;
};

static enum kf_tok kf_fail(struct kf *f, int line, const char *what)
{
	if (f->type != KF_ERROR)
		snprintf(f->err, f->errlen, "%s:%d: %s", f->path, line, what);
	return f->type = KF_ERROR;
}

/* Skips white space and the three comment styles BIND takes. Returns -1 on an unterminated block comment. */
static int kf_skip(struct kf *f)
{
	while (f->p < f->end) {
		if (*f->p == '\n') {
			f->line++;
			f->p++;
		} else if (isspace((unsigned char)*f->p)) {
			f->p++;
		} else if (*f->p == '#' || (*f->p == '/' && f->p + 1 < f->end && f->p[1] == '/')) {
			while (f->p < f->end && *f->p != '\n')
				f->p++;
		} else if (*f->p == '/' && f->p + 1 < f->end && f->p[1] == '*') {
			int start = f->line;
			for (f->p += 2; f->p < f->end && !(*f->p == '*' && f->p + 1 < f->end && f->p[1] == '/'); f->p++)
				f->line += *f->p == '\n';
			if (f->p >= f->end)
				return kf_fail(f, start, "unterminated /* comment"), -1;
			f->p += 2;
		} else {
			return 0;
		}
	}
	return 0;
}

static enum kf_tok kf_string(struct kf *f)
{
	size_t n = 0;

	for (f->p++; f->p < f->end && *f->p != '"'; f->p++) {
		if (*f->p == '\n' || *f->p == '\\')
			return kf_fail(f, f->line, *f->p == '\n' ? "unterminated quoted string" :
					   "backslash escapes are not supported in key files");
		if (n + 1 >= sizeof f->tok)
			return kf_fail(f, f->line, "quoted string too long");
		f->tok[n++] = *f->p;
	}
	if (f->p >= f->end)
		return kf_fail(f, f->tok_line, "unterminated quoted string");
	f->p++;
	f->tok[n] = '\0';
	return f->type = KF_STRING;
}

/* Reads the next token into f->tok. */
static enum kf_tok kf_next(struct kf *f)
{
	size_t n = 0;

	if (f->type == KF_ERROR || kf_skip(f) != 0)
		return KF_ERROR;
	f->prev_line = f->tok_line;
	f->tok_line = f->line;
	if (f->p >= f->end)
		return f->type = KF_EOF;
	if (*f->p == '"')
		return kf_string(f);
	if (strchr("{};", *f->p)) {
		f->tok[0] = *f->p++;
		f->tok[1] = '\0';
		return f->type = KF_PUNCT;
	}
	while (f->p < f->end && !isspace((unsigned char)*f->p) && !strchr("{};\"#", *f->p) &&
	       !(*f->p == '/' && f->p + 1 < f->end && (f->p[1] == '/' || f->p[1] == '*'))) {
		if (n + 1 >= sizeof f->tok)
			return kf_fail(f, f->line, "word too long");
		f->tok[n++] = *f->p++;
	}
	f->tok[n] = '\0';
	if (n == 0 || memchr(f->tok, 0, n) != NULL)
		return kf_fail(f, f->line, "unexpected character");
	return f->type = KF_WORD;
}

static bool kf_punct(struct kf *f, char c)
{
	return f->type == KF_PUNCT && f->tok[0] == c;
}

/* Expects the punctuation c next; the message names the line of what it should follow, and never quotes what
 * was found: it may be a piece of the secret. */
static int kf_expect(struct kf *f, char c, const char *after)
{
	char what[128];

	if (kf_next(f) == KF_ERROR)
		return -1;
	if (kf_punct(f, c))
		return 0;
	snprintf(what, sizeof what, "expected '%c' after %s", c, after);
	kf_fail(f, f->prev_line, what);
	return -1;
}

struct kf_key {
	char name[TSIG_NAME_MAX];
	char alg[64];
	char secret[TSIG_TOKEN_MAX];
	int line;
};

/* Copies the token into a field; false when it does not fit. */
static bool kf_take(const struct kf *f, char *dst, size_t dstlen)
{
	size_t n = strlen(f->tok);

	if (n >= dstlen)
		return false;
	memcpy(dst, f->tok, n + 1);
	return true;
}

/* One clause of a key block: "algorithm NAME;" or "secret "BASE64";". */
static int kf_clause(struct kf *f, struct kf_key *k)
{
	char what[192];
	bool alg = strcmp(f->tok, "algorithm") == 0, secret = strcmp(f->tok, "secret") == 0;

	if (f->type != KF_WORD || (!alg && !secret)) {
		snprintf(what, sizeof what, "key \"%.64s\": expected algorithm or secret, found %s%.32s%s", k->name,
			 f->type == KF_WORD ? "\"" : "", f->type == KF_WORD ? f->tok : "something else",
			 f->type == KF_WORD ? "\"" : "");
		return kf_fail(f, f->tok_line, what), -1;
	}
	if ((alg && k->alg[0]) || (secret && k->secret[0])) {
		snprintf(what, sizeof what, "key \"%.64s\": %s given twice", k->name, alg ? "algorithm" : "secret");
		return kf_fail(f, f->tok_line, what), -1;
	}
	if (kf_next(f) != KF_WORD && f->type != KF_STRING) {
		snprintf(what, sizeof what, "key \"%.64s\": %s needs a value", k->name, alg ? "algorithm" : "secret");
		return kf_fail(f, f->tok_line, what), -1;
	}
	if (!kf_take(f, alg ? k->alg : k->secret, alg ? sizeof k->alg : sizeof k->secret))
		return kf_fail(f, f->tok_line, alg ? "algorithm name too long" : "secret too long"), -1;
	OPENSSL_cleanse(f->tok, sizeof f->tok);
	return kf_expect(f, ';', alg ? "the algorithm" : "the secret");
}

/* One "key NAME { ... };" statement; f->tok holds "key". */
static int kf_statement(struct kf *f, struct kf_key *k)
{
	char what[192];

	memset(k, 0, sizeof *k);
	k->line = f->tok_line;
	if (f->type != KF_WORD || strcmp(f->tok, "key") != 0)
		return kf_fail(f, f->tok_line, "expected a key statement (key \"NAME\" { algorithm ...; secret \"...\"; };)"), -1;
	if ((kf_next(f) != KF_WORD && f->type != KF_STRING) || !kf_take(f, k->name, sizeof k->name))
		return kf_fail(f, f->tok_line, "key: expected the key's name"), -1;
	if (kf_expect(f, '{', "the key's name") != 0)
		return -1;
	while (kf_next(f) != KF_ERROR && !kf_punct(f, '}')) {
		if (f->type == KF_EOF)
			return kf_fail(f, k->line, "key block not closed with '}'"), -1;
		if (kf_clause(f, k) != 0)
			return -1;
	}
	if (f->type == KF_ERROR || kf_expect(f, ';', "the key block's '}'") != 0)
		return -1;
	if (!k->alg[0] || !k->secret[0]) {
		snprintf(what, sizeof what, "key \"%.64s\" has no %s", k->name, !k->alg[0] ? "algorithm" : "secret");
		return kf_fail(f, k->line, what), -1;
	}
	return 0;
}

static bool kf_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la > 0 && a[la - 1] == '.';
	lb -= lb > 0 && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Parses every statement; keeps in *found the one named name (or the only one). Returns the number of keys
 * matching, or -1 with f->err set. */
static int kf_parse(struct kf *f, const char *name, struct kf_key *found, int *total)
{
	struct kf_key k;
	int matches = 0;

	*total = 0;
	while (kf_next(f) != KF_EOF) {
		if (f->type == KF_ERROR || kf_statement(f, &k) != 0) {
			OPENSSL_cleanse(&k, sizeof k);
			return -1;
		}
		(*total)++;
		if (!name || kf_name_eq(k.name, name)) {
			if (matches++ == 0)
				*found = k;
		}
		OPENSSL_cleanse(&k, sizeof k);
	}
	return matches;
}

/* Reads the file whole (a few hundred bytes); warns when others may read the secret. */
static char *kf_read(const char *path, size_t *len, char *errbuf, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;

	if (!fp) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TSIG_KEYFILE_MAX) {
		snprintf(errbuf, errlen, "%s: not a regular file of at most %d bytes", path, TSIG_KEYFILE_MAX);
	} else if (secret_fd_check(fileno(fp), path, errbuf, errlen) != 0) {
		/* errbuf says why */
	} else if ((buf = malloc((size_t)st.st_size + 1))) {
		*len = fread(buf, 1, (size_t)st.st_size, fp);
		buf[*len] = '\0';
	} else {
		snprintf(errbuf, errlen, "out of memory");
	}
	fclose(fp);
	return buf;
}

struct tsig_key *tsig_key_file(const char *path, const char *name, char *errbuf, size_t errlen)
{
	struct kf f = { .path = path, .line = 1, .err = errbuf, .errlen = errlen };
	struct kf_key k = { 0 };
	struct tsig_key *key = NULL;
	size_t len = 0;
	int total = 0, matches;
	char *buf = kf_read(path, &len, errbuf, errlen);

	if (!buf)
		return NULL;
	f.p = buf;
	f.end = buf + len;
	matches = kf_parse(&f, name, &k, &total);
	if (matches < 0)
		;       /* errbuf names the file and line */
	else if (matches == 0 && name)
		snprintf(errbuf, errlen, "%s: no key named \"%s\" (%d key%s in the file)", path, name, total,
			 total == 1 ? "" : "s");
	else if (matches == 0)
		snprintf(errbuf, errlen, "%s: no key statement in the file", path);
	else if (matches > 1)
		snprintf(errbuf, errlen, "%s: %d keys%s%s%s: name the one to use with the key name option", path,
			 matches, name ? " named \"" : "", name ? name : "", name ? "\"" : "");
	else if ((key = tsig_key_new(k.name, k.alg, k.secret, errbuf, errlen)) == NULL) {
		char why[256];
		snprintf(why, sizeof why, "%s", errbuf);
		snprintf(errbuf, errlen, "%s:%d: %s", path, k.line, why);
	}
	OPENSSL_cleanse(&k, sizeof k);
	OPENSSL_cleanse(&f, sizeof f);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return key;
}

/* ---- reading a message: bounded, every read checked ---- */

/* A reader whose first error sticks: later reads return 0 and pos never passes len. */
struct rd {
	const uint8_t *p;
	size_t len, pos;
	bool err;
};

static bool rd_need(struct rd *r, size_t n)
{
	if (r->err || n > r->len - r->pos)
		r->err = true;
	return !r->err;
}

static uint16_t rd_u16(struct rd *r)
{
	uint16_t v = 0;

	if (rd_need(r, 2)) {
		v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
		r->pos += 2;
	}
	return v;
}

static uint32_t rd_u32(struct rd *r)
{
	uint32_t hi = rd_u16(r);

	return hi << 16 | rd_u16(r);
}

static void rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->pos += n;
}

/* DNS names compare case-insensitively in ASCII only, whatever the locale (RFC 4343). */
static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

/* Reads a name, following compression pointers, into out as lower-case uncompressed wire: the canonical form
 * the MAC covers (RFC 8945 section 4.3.3). A pointer must go back before the name part it completes, so a name
 * cannot loop; the extended label types are errors. */
static void rd_name(struct rd *r, uint8_t out[TSIG_WIRE_NAME_MAX])
{
	size_t at = r->pos, before = r->pos, n = 0, resume = 0;

	while (!r->err) {
		uint8_t c = at < r->len ? r->p[at] : 0xff;
		if ((c & 0xc0) == 0xc0 && at + 1 < r->len) {
			size_t target = (size_t)(c & 0x3f) << 8 | r->p[at + 1];
			resume = resume ? resume : at + 2;
			r->err = target >= before;
			at = before = target;
		} else if (c > 63 || at + 1 + c > r->len || n + 1 + c > TSIG_WIRE_NAME_MAX) {
			r->err = true;
		} else {
			out[n++] = c;
			for (size_t i = 1; i <= c; i++)
				out[n++] = ascii_lower(r->p[at + i]);
			at += 1 + (size_t)c;
			if (c == 0) {
				r->pos = resume ? resume : at;
				return;
			}
		}
	}
	out[0] = 0;
}

/* Skips one resource record and returns its type; r->err is set when the record is cut short. */
static uint16_t rd_skip_rr(struct rd *r)
{
	uint8_t owner[TSIG_WIRE_NAME_MAX];
	uint16_t type;

	rd_name(r, owner);
	type = rd_u16(r);
	rd_skip(r, 6);
	rd_skip(r, rd_u16(r));
	return type;
}

/* Reads the TSIG RR at r->pos, which must end exactly at the end of the message. */
static int rd_tsig(struct rd *r, struct tsig_rr *rr)
{
	uint16_t cls, rdlen;
	uint32_t ttl;
	uint64_t hi;
	size_t end;

	rr->offset = r->pos;
	rd_name(r, rr->key);
	rd_u16(r);
	cls = rd_u16(r);
	ttl = rd_u32(r);
	rdlen = rd_u16(r);
	end = r->pos + rdlen;
	rd_name(r, rr->alg);
	if (r->err || cls != TSIG_CLASS_ANY || ttl != 0 || end != r->len)
		return -1;
	hi = rd_u16(r);
	rr->time_signed = hi << 32 | rd_u32(r);
	rr->fudge = rd_u16(r);
	rr->mac_len = rd_u16(r);
	rr->mac = r->p + r->pos;
	rd_skip(r, rr->mac_len);
	rr->orig_id = rd_u16(r);
	rr->error = rd_u16(r);
	rr->other_len = rd_u16(r);
	rr->other = r->p + r->pos;
	rd_skip(r, rr->other_len);
	return r->err || r->pos != end ? -1 : 1;
}

int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr)
{
	struct rd r = { .p = msg, .len = len };
	uint8_t name[TSIG_WIRE_NAME_MAX];
	uint16_t qd, an, ns, ar;
	uint32_t records;

	memset(rr, 0, sizeof *rr);
	rd_skip(&r, 4);
	qd = rd_u16(&r);
	an = rd_u16(&r);
	ns = rd_u16(&r);
	ar = rd_u16(&r);
	records = (uint32_t)an + ns + ar;
	for (unsigned i = 0; i < qd && !r.err; i++) {
		rd_name(&r, name);
		rd_skip(&r, 4);
	}
	for (uint32_t i = 0; i < records && !r.err; i++) {
		size_t start = r.pos;
		if (rd_skip_rr(&r) != TSIG_TYPE)
			continue;
		if (i + 1 != records || ar == 0 || r.err)
			return -1;                     /* a TSIG must be the very last record (RFC 8945 5.1) */
		r.pos = start;
		return rd_tsig(&r, rr);
	}
	return r.err || r.pos != r.len ? -1 : 0;
}

/* ---- the MAC ---- */

/* The fields of a TSIG RR but its MAC (RFC 8945 section 4.2), names in lower-case wire form. All but the original
 * ID are the TSIG variables the MAC covers after the message (section 4.3.3). */
struct tsig_vars {
	const uint8_t *key, *alg;
	uint64_t time;
	uint16_t fudge, orig_id, error, other_len;
	const uint8_t *other;
};

/* The message a MAC covers: its header as it was before the TSIG RR was added (the original ID, ARCOUNT without
 * the TSIG), the rest up to the RR, and first the request's MAC when a response is signed or checked. */
struct tsig_covered {
	const uint8_t *prior;           /* the request's MAC; NULL when the message is a request */
	size_t prior_len;
	uint8_t hdr[DNS_HEADER];
	const uint8_t *body;
	size_t body_len;
};

/* A message about to be signed: as it is. */
static void covered_as_is(struct tsig_covered *c, const uint8_t *msg, size_t len, const uint8_t *prior,
			  size_t prior_len)
{
	*c = (struct tsig_covered){ .prior = prior, .prior_len = prior_len, .body = msg + DNS_HEADER,
				    .body_len = len - DNS_HEADER };
	memcpy(c->hdr, msg, DNS_HEADER);
}

/* A signed message being checked: without its TSIG RR, with the ID it was signed with. */
static void covered_before_tsig(struct tsig_covered *c, const uint8_t *msg, const struct tsig_rr *rr,
				const uint8_t *prior, size_t prior_len)
{
	uint16_t ar;

	covered_as_is(c, msg, rr->offset, prior, prior_len);
	ar = (uint16_t)(c->hdr[DNS_ARCOUNT_OFF] << 8 | c->hdr[DNS_ARCOUNT_OFF + 1]) - 1;
	c->hdr[0] = (uint8_t)(rr->orig_id >> 8);
	c->hdr[1] = (uint8_t)rr->orig_id;
	c->hdr[DNS_ARCOUNT_OFF] = (uint8_t)(ar >> 8);
	c->hdr[DNS_ARCOUNT_OFF + 1] = (uint8_t)ar;
}

/* An HMAC fed piece by piece; the first failure sticks in ok. */
struct mac_ctx {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	bool ok;
};

static void mac_begin(struct mac_ctx *m, const struct tsig_key *k)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)tsig_algs[k->alg].digest, 0),
		OSSL_PARAM_construct_end(),
	};

	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	m->ctx = m->mac ? EVP_MAC_CTX_new(m->mac) : NULL;
	m->ok = m->ctx && EVP_MAC_init(m->ctx, k->secret, k->secret_len, params) == 1;
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

/* Ends the computation into out (TSIG_MAC_MAX bytes); returns the MAC's length, 0 on failure. The context
 * holds the key: freeing it wipes it. */
static size_t mac_end(struct mac_ctx *m, uint8_t *out)
{
	size_t n = 0;

	if (m->ok && EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX) != 1)
		n = 0;
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	return m->ok ? n : 0;
}

/* The MAC of RFC 8945 section 4.3: [prior MAC] + message + TSIG variables. Returns its length, 0 on failure. */
static size_t tsig_mac(const struct tsig_key *k, const struct tsig_covered *c, const struct tsig_vars *v,
		       uint8_t out[TSIG_MAC_MAX])
{
	uint8_t t[6] = { (uint8_t)(v->time >> 40), (uint8_t)(v->time >> 32), (uint8_t)(v->time >> 24),
			 (uint8_t)(v->time >> 16), (uint8_t)(v->time >> 8), (uint8_t)v->time };
	static const uint8_t class_ttl[6] = { 0, TSIG_CLASS_ANY, 0, 0, 0, 0 };
	struct mac_ctx m;

	mac_begin(&m, k);
	if (c->prior) {
		mac_add_u16(&m, (uint16_t)c->prior_len);
		mac_add(&m, c->prior, c->prior_len);
	}
	mac_add(&m, c->hdr, DNS_HEADER);
	mac_add(&m, c->body, c->body_len);
	mac_add(&m, v->key, name_len(v->key));
	mac_add(&m, class_ttl, sizeof class_ttl);
	mac_add(&m, v->alg, name_len(v->alg));
	mac_add(&m, t, sizeof t);
	mac_add_u16(&m, v->fudge);
	mac_add_u16(&m, v->error);
	mac_add_u16(&m, v->other_len);
	mac_add(&m, v->other, v->other_len);
	return mac_end(&m, out);
}

/* Whether the MAC of the signed message msg, whose TSIG RR is rr, starts with rr's MAC (all of it, or the
 * truncated part: the callers decide which lengths they take). Constant time. */
static bool tsig_mac_matches(const struct tsig_key *k, const uint8_t *msg, const struct tsig_rr *rr,
			     const uint8_t *prior, size_t prior_len)
{
	struct tsig_covered c;
	struct tsig_vars v = { .key = rr->key, .alg = rr->alg, .time = rr->time_signed, .fudge = rr->fudge,
			       .error = rr->error, .other_len = rr->other_len, .other = rr->other };
	uint8_t mine[TSIG_MAC_MAX];
	size_t n;
	bool same;

	covered_before_tsig(&c, msg, rr, prior, prior_len);
	n = tsig_mac(k, &c, &v, mine);
	same = n > 0 && rr->mac_len <= n && CRYPTO_memcmp(mine, rr->mac, rr->mac_len) == 0;
	OPENSSL_cleanse(mine, sizeof mine);
	return same;
}

/* ---- writing a TSIG RR ---- */

/* A bounded writer: every put past cap sets bad, which the caller checks once at the end. */
struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool bad;
};

static void w_put(struct wbuf *w, const void *d, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void w_u16(struct wbuf *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	w_put(w, b, 2);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	w_u16(w, v >> 16);
	w_u16(w, v & 0xffff);
}

static void w_u48(struct wbuf *w, uint64_t v)
{
	w_u16(w, (unsigned)(v >> 32) & 0xffff);
	w_u32(w, (uint32_t)v);
}

static void put_u16_at(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint64_t get_u48(const uint8_t *p)
{
	return (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 | (uint64_t)p[2] << 24 | (uint64_t)p[3] << 16 |
	       (uint64_t)p[4] << 8 | p[5];
}

/* The other data: the server's time as 48 bits when given (BADTIME), else nothing. */
static void vars_other(struct tsig_vars *v, uint8_t buf[6], uint64_t other_time)
{
	struct wbuf o = { .p = buf, .cap = 6 };

	if (other_time)
		w_u48(&o, other_time);
	v->other = buf;
	v->other_len = (uint16_t)o.len;
}

/* Appends to the message w holds (w->len bytes) its TSIG RR, signed with k, or with an empty MAC when k is NULL,
 * and adds one to its ARCOUNT. Returns 0, or -1 when the message is no DNS message or already has 65535
 * additional records, the HMAC fails or the RR does not fit. */
static int tsig_append(struct wbuf *w, const struct tsig_key *k, const uint8_t *prior, size_t prior_len,
		       struct tsig_vars *v, uint8_t mac[TSIG_MAC_MAX], size_t *mac_len)
{
	struct tsig_covered c;
	size_t rdlen_at;
	unsigned ar;

	*mac_len = 0;
	if (w->bad || w->len < DNS_HEADER)
		return -1;
	ar = (unsigned)w->p[DNS_ARCOUNT_OFF] << 8 | w->p[DNS_ARCOUNT_OFF + 1];
	v->orig_id = (uint16_t)(w->p[0] << 8 | w->p[1]);
	covered_as_is(&c, w->p, w->len, prior, prior_len);
	if (ar == 0xffff || (k && (*mac_len = tsig_mac(k, &c, v, mac)) == 0))
		return -1;
	w_put(w, v->key, name_len(v->key));
	w_u16(w, TSIG_TYPE);
	w_u16(w, TSIG_CLASS_ANY);
	w_u32(w, 0);
	rdlen_at = w->len;
	w_u16(w, 0);                                        /* the rdata's length, known at the end */
	w_put(w, v->alg, name_len(v->alg));
	w_u48(w, v->time);
	w_u16(w, v->fudge);
	w_u16(w, (unsigned)*mac_len);
	w_put(w, mac, *mac_len);
	w_u16(w, v->orig_id);
	w_u16(w, v->error);
	w_u16(w, v->other_len);
	w_put(w, v->other, v->other_len);
	if (w->bad)
		return -1;
	put_u16_at(w->p + rdlen_at, (unsigned)(w->len - rdlen_at - 2));
	put_u16_at(w->p + DNS_ARCOUNT_OFF, ar + 1);
	return 0;
}

/* ---- the client's side ---- */

int tsig_sign(const struct tsig_key *k, const uint8_t *msg, size_t len, const struct tsig_params *p, uint8_t *out,
	      size_t outcap, size_t *outlen, uint8_t *mac, size_t *mac_len)
{
	struct wbuf w = { .p = out, .cap = outcap };
	struct tsig_vars v = { .key = k->wire, .alg = (const uint8_t *)tsig_algs[k->alg].wire, .time = p->time,
			       .fudge = p->fudge, .error = p->error };
	uint8_t other[6];

	vars_other(&v, other, p->other_time);
	w_put(&w, msg, len);
	if (tsig_append(&w, k, p->request_mac, p->request_mac_len, &v, mac, mac_len) != 0)
		return -1;
	*outlen = w.len;
	return 0;
}

/* Whether rr names our key and its algorithm. */
static bool tsig_is_ours(const struct tsig_key *k, const struct tsig_rr *rr)
{
	return name_eq(rr->key, k->wire) && name_eq(rr->alg, (const uint8_t *)tsig_algs[k->alg].wire);
}

static enum tsig_verdict tsig_judge(const struct tsig_key *k, const uint8_t *wire, const struct tsig_rr *rr,
				    const uint8_t *req_mac, size_t req_mac_len, uint64_t now, struct tsig_result *r)
{
	uint64_t skew;
	bool mac_ok;

	r->time_signed = rr->time_signed;
	r->fudge = rr->fudge;
	r->error = rr->error;
	if (rr->other_len == 6)
		r->other_time = get_u48(rr->other);
	if (!tsig_is_ours(k, rr))
		return TSIG_OTHER_KEY;
	/* We take only full-length MACs. BADKEY and BADSIG answers carry none; a BADTIME answer is signed
	 * (RFC 8945 5.2.3). */
	mac_ok = rr->mac_len == tsig_algs[k->alg].mac_len && tsig_mac_matches(k, wire, rr, req_mac, req_mac_len);
	if (r->error != 0) {
		r->mac_ok = mac_ok;
		return TSIG_SERVER_ERROR;
	}
	if (!mac_ok)
		return TSIG_BAD_MAC;
	skew = now > r->time_signed ? now - r->time_signed : r->time_signed - now;
	return skew > r->fudge ? TSIG_BAD_TIME : TSIG_VERIFIED;
}

bool tsig_verify(const struct tsig_key *k, const uint8_t *wire, size_t len, const uint8_t *request_mac,
		 size_t request_mac_len, uint64_t now, struct tsig_result *r)
{
	struct tsig_rr rr;
	int found = tsig_find(wire, len, &rr);

	memset(r, 0, sizeof *r);
	if (found <= 0)
		r->verdict = found == 0 ? TSIG_UNSIGNED : TSIG_MALFORMED;
	else
		r->verdict = tsig_judge(k, wire, &rr, request_mac, request_mac_len, now, r);
	return r->verdict == TSIG_VERIFIED;
}

const char *tsig_error_name(uint16_t error, char *buf, size_t len)
{
	switch (error) {
	case TSIG_BADSIG:
		return "BADSIG";
	case TSIG_BADKEY:
		return "BADKEY";
	case TSIG_BADTIME:
		return "BADTIME";
	case TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		snprintf(buf, len, "TSIG error %u", error);
		return buf;
	}
}

/* ---- the server's side ---- */

bool tsig_request_names(const struct tsig_rr *rr, const struct tsig_key *k)
{
	return name_eq(rr->key, k->wire);
}

int tsig_request_verify(const uint8_t *msg, const struct tsig_rr *rr, const struct tsig_key *k, int64_t now,
			uint32_t max_fudge)
{
	size_t full = tsig_algs[k->alg].mac_len, half = (full + 1) / 2;
	uint32_t fudge = rr->fudge < max_fudge ? rr->fudge : max_fudge;
	int64_t skew = now - (int64_t)rr->time_signed;

	if (!name_eq(rr->alg, (const uint8_t *)tsig_algs[k->alg].wire))
		return TSIG_BADKEY;                /* a known key name with another algorithm (RFC 8945 5.2.1) */
	if (rr->mac_len == 0)
		return TSIG_BADSIG;
	if (rr->mac_len > full || rr->mac_len < 10 || rr->mac_len < half)
		return -1;                         /* RFC 8945 5.2.2.1: malformed, FORMERR */
	if (!tsig_mac_matches(k, msg, rr, NULL, 0))
		return TSIG_BADSIG;
	if (skew > (int64_t)fudge || skew < -(int64_t)fudge)
		return TSIG_BADTIME;
	if (rr->mac_len < full)
		return TSIG_BADTRUNC;              /* a truncated MAC that matched: we take only full ones */
	return TSIG_NOERROR;
}

size_t tsig_response_append(uint8_t *buf, size_t len, size_t cap, const struct tsig_response *r)
{
	struct wbuf w = { .p = buf, .cap = cap, .len = len, .bad = len > cap };
	/* The names echo the request's: with an unknown key (BADKEY) there is no key of ours to take them from. */
	struct tsig_vars v = { .key = r->req->key, .alg = r->req->alg, .time = r->time_signed, .fudge = r->fudge,
			       .error = r->error };
	uint8_t other[6], mac[TSIG_MAC_MAX];
	size_t mac_len;

	vars_other(&v, other, r->other_time);
	return tsig_append(&w, r->key, r->req->mac, r->req->mac_len, &v, mac, &mac_len) == 0 ? w.len : 0;
}
