/* TSIG (RFC 8945): keys from flags or a BIND key file, HMAC signing of requests, checking the TSIG of answers. */
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

#define TSIG_SECRET_MAX 512             /* decoded bytes; tsig-keygen makes one digest's length */
#define TSIG_NAME_MAX 256
#define TSIG_KEYFILE_MAX (64 * 1024)    /* a key file is a few lines: a big one is the wrong file */
#define TSIG_TOKEN_MAX 1024
#define TSIG_CLASS_ANY 255

struct tsig_key {
	char name[TSIG_NAME_MAX];
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

static const struct {
	enum tsig_alg alg;
	const char *name;               /* for people and for parsing */
	const char *wire;               /* the algorithm's domain name (RFC 8945 section 6) */
	const char *digest;             /* OpenSSL's name */
} tsig_algs[] = {
	{ TSIG_HMAC_MD5, "hmac-md5", "hmac-md5.sig-alg.reg.int.", "MD5" },
	{ TSIG_HMAC_SHA1, "hmac-sha1", "hmac-sha1.", "SHA1" },
	{ TSIG_HMAC_SHA224, "hmac-sha224", "hmac-sha224.", "SHA224" },
	{ TSIG_HMAC_SHA256, "hmac-sha256", "hmac-sha256.", "SHA256" },
	{ TSIG_HMAC_SHA384, "hmac-sha384", "hmac-sha384.", "SHA384" },
	{ TSIG_HMAC_SHA512, "hmac-sha512", "hmac-sha512.", "SHA512" },
};
#define N_ALGS (sizeof(tsig_algs) / sizeof(tsig_algs[0]))

/* ---- algorithms ---- */

int tsig_alg_parse(const char *s, enum tsig_alg *alg)
{
	size_t len = s ? strlen(s) : 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	for (size_t i = 0; len > 0 && i < N_ALGS; i++) {
		size_t wlen = strlen(tsig_algs[i].wire) - 1;
		if ((strlen(tsig_algs[i].name) == len && strncasecmp(s, tsig_algs[i].name, len) == 0) ||
		    (wlen == len && strncasecmp(s, tsig_algs[i].wire, len) == 0)) {
			*alg = tsig_algs[i].alg;
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

/* A key name as TSIG writes it: a DNS name, lower case, no trailing dot. */
static int tsig_name_set(struct tsig_key *k, const char *name)
{
	ldns_rdf *d;
	size_t len = name ? strlen(name) : 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof k->name)
		return -1;
	for (size_t i = 0; i < len; i++)
		k->name[i] = (char)tolower((unsigned char)name[i]);
	k->name[len] = '\0';
	d = ldns_dname_new_frm_str(k->name);
	ldns_rdf_deep_free(d);
	return d ? 0 : -1;
}

struct tsig_key *tsig_key_new(const char *name, const char *alg, const char *secret_b64, char *errbuf,
			      size_t errlen)
{
	struct tsig_key *k = calloc(1, sizeof *k);

	if (!k) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (tsig_name_set(k, name) != 0) {
		snprintf(errbuf, errlen, "TSIG key name \"%.64s\" is not a DNS name", name ? name : "");
	} else if (tsig_alg_parse(alg ? alg : "hmac-sha256", &k->alg) != 0) {
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

/* ---- the MAC ---- */

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

static uint64_t r_u48(const uint8_t *p)
{
	return (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 | (uint64_t)p[2] << 24 | (uint64_t)p[3] << 16 |
	       (uint64_t)p[4] << 8 | p[5];
}

static int tsig_hmac(const struct tsig_key *k, const uint8_t *data, size_t len, uint8_t *mac, size_t *mac_len)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)tsig_algs[k->alg].digest, 0),
		OSSL_PARAM_construct_end(),
	};
	int ok = c && EVP_MAC_init(c, k->secret, k->secret_len, params) && EVP_MAC_update(c, data, len) &&
		 EVP_MAC_final(c, mac, mac_len, TSIG_MAC_MAX);

	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok ? 0 : -1;
}

/* A domain name in canonical wire form (lower case, uncompressed), or NULL. */
static ldns_rdf *tsig_canonical(const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);

	if (d)
		ldns_dname2canonical(d);
	return d;
}

/* The TSIG variables of RFC 8945 section 4.3.3, after the message in the digest. */
static void tsig_put_vars(struct wbuf *w, const ldns_rdf *name, const ldns_rdf *alg, uint64_t time, uint16_t fudge,
			  uint16_t error, const uint8_t *other, size_t other_len)
{
	w_put(w, ldns_rdf_data(name), ldns_rdf_size(name));
	w_u16(w, TSIG_CLASS_ANY);
	w_u32(w, 0);
	w_put(w, ldns_rdf_data(alg), ldns_rdf_size(alg));
	w_u48(w, time);
	w_u16(w, fudge);
	w_u16(w, error);
	w_u16(w, (unsigned)other_len);
	w_put(w, other, other_len);
}

/* HMAC over [request MAC] + msg (with its ID and ARCOUNT as given) + the TSIG variables. */
static int tsig_digest(const struct tsig_key *k, const uint8_t *req_mac, size_t req_mac_len, const uint8_t *msg,
		       size_t len, const ldns_rdf *name, const ldns_rdf *alg, uint64_t time, uint16_t fudge,
		       uint16_t error, const uint8_t *other, size_t other_len, uint8_t *mac, size_t *mac_len)
{
	size_t cap = len + req_mac_len + 2 * 256 + 64 + other_len;
	struct wbuf w = { .p = malloc(cap), .cap = cap };
	int rc = -1;

	if (!w.p)
		return -1;
	if (req_mac) {
		w_u16(&w, (unsigned)req_mac_len);
		w_put(&w, req_mac, req_mac_len);
	}
	w_put(&w, msg, len);
	tsig_put_vars(&w, name, alg, time, fudge, error, other, other_len);
	if (!w.bad)
		rc = tsig_hmac(k, w.p, w.len, mac, mac_len);
	OPENSSL_cleanse(w.p, w.cap);
	free(w.p);
	return rc;
}

int tsig_sign(const struct tsig_key *k, const uint8_t *msg, size_t len, const struct tsig_params *p, uint8_t *out,
	      size_t outcap, size_t *outlen, uint8_t *mac, size_t *mac_len)
{
	ldns_rdf *name = tsig_canonical(k->name), *alg = tsig_canonical(tsig_algs[k->alg].wire);
	uint8_t other[6];
	size_t other_len = 0, rdlen;
	struct wbuf w = { .p = out, .cap = outcap };
	int rc = -1;

	if (p->other_time) {
		struct wbuf o = { .p = other, .cap = sizeof other };
		w_u48(&o, p->other_time);
		other_len = o.len;
	}
	if (!name || !alg || len < LDNS_HEADER_SIZE || LDNS_ARCOUNT(msg) == 0xffff ||
	    tsig_digest(k, p->request_mac, p->request_mac_len, msg, len, name, alg, p->time, p->fudge, p->error,
			other, other_len, mac, mac_len) != 0)
		goto out;
	w_put(&w, msg, len);
	if (!w.bad)
		ldns_write_uint16(out + LDNS_ARCOUNT_OFF, (uint16_t)(LDNS_ARCOUNT(msg) + 1));
	w_put(&w, ldns_rdf_data(name), ldns_rdf_size(name));
	w_u16(&w, LDNS_RR_TYPE_TSIG);
	w_u16(&w, TSIG_CLASS_ANY);
	w_u32(&w, 0);
	rdlen = ldns_rdf_size(alg) + 6 + 2 + 2 + *mac_len + 2 + 2 + 2 + other_len;
	w_u16(&w, (unsigned)rdlen);
	w_put(&w, ldns_rdf_data(alg), ldns_rdf_size(alg));
	w_u48(&w, p->time);
	w_u16(&w, p->fudge);
	w_u16(&w, (unsigned)*mac_len);
	w_put(&w, mac, *mac_len);
	w_put(&w, msg, 2);                                  /* original ID */
	w_u16(&w, p->error);
	w_u16(&w, (unsigned)other_len);
	w_put(&w, other, other_len);
	if (!w.bad) {
		*outlen = w.len;
		rc = 0;
	}
out:
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(alg);
	return rc;
}

/* ---- checking an answer ---- */

/* The TSIG RR that ends the message: its offset and the record. Returns 1 found, 0 when the message has none,
 * -1 when the message cannot be read. */
static int tsig_find(const uint8_t *wire, size_t len, size_t *off, ldns_rr **tsig)
{
	static const ldns_pkt_section sections[] = { LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
						     LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };
	size_t pos = LDNS_HEADER_SIZE;
	unsigned counts[4];

	if (len < LDNS_HEADER_SIZE)
		return -1;
	counts[0] = LDNS_QDCOUNT(wire);
	counts[1] = LDNS_ANCOUNT(wire);
	counts[2] = LDNS_NSCOUNT(wire);
	counts[3] = LDNS_ARCOUNT(wire);
	if (counts[3] == 0)
		return 0;
	counts[3]--;
	for (size_t s = 0; s < 4; s++)
		for (unsigned i = 0; i < counts[s]; i++) {
			ldns_rr *rr = NULL;
			if (ldns_wire2rr(&rr, wire, len, &pos, sections[s]) != LDNS_STATUS_OK)
				return -1;
			ldns_rr_free(rr);
		}
	*off = pos;
	if (ldns_wire2rr(tsig, wire, len, &pos, LDNS_SECTION_ADDITIONAL) != LDNS_STATUS_OK)
		return -1;
	if (ldns_rr_get_type(*tsig) != LDNS_RR_TYPE_TSIG) {
		ldns_rr_free(*tsig);
		*tsig = NULL;
		return 0;
	}
	if (pos != len || ldns_rr_rd_count(*tsig) != 7 || ldns_rr_get_class(*tsig) != TSIG_CLASS_ANY) {
		ldns_rr_free(*tsig);
		*tsig = NULL;
		return -1;
	}
	return 1;
}

/* The fields of a TSIG RR, checked for size. */
struct tsig_fields {
	const uint8_t *mac, *other;
	size_t mac_len, other_len;
	uint16_t orig_id;
};

static int tsig_fields(const ldns_rr *rr, struct tsig_result *r, struct tsig_fields *f)
{
	const ldns_rdf *t = ldns_rr_rdf(rr, 1), *fu = ldns_rr_rdf(rr, 2), *m = ldns_rr_rdf(rr, 3),
		       *id = ldns_rr_rdf(rr, 4), *e = ldns_rr_rdf(rr, 5), *o = ldns_rr_rdf(rr, 6);

	if (ldns_rdf_size(t) != 6 || ldns_rdf_size(fu) != 2 || ldns_rdf_size(m) < 2 || ldns_rdf_size(id) != 2 ||
	    ldns_rdf_size(e) != 2 || ldns_rdf_size(o) < 2)
		return -1;
	r->time_signed = r_u48(ldns_rdf_data(t));
	r->fudge = ldns_read_uint16(ldns_rdf_data(fu));
	r->error = ldns_read_uint16(ldns_rdf_data(e));
	f->orig_id = ldns_read_uint16(ldns_rdf_data(id));
	f->mac = ldns_rdf_data(m) + 2;
	f->mac_len = ldns_rdf_size(m) - 2;
	f->other = ldns_rdf_data(o) + 2;
	f->other_len = ldns_rdf_size(o) - 2;
	if (f->mac_len != ldns_read_uint16(ldns_rdf_data(m)) || f->other_len != ldns_read_uint16(ldns_rdf_data(o)))
		return -1;
	if (f->other_len == 6)
		r->other_time = r_u48(f->other);
	return 0;
}

/* Recomputes the MAC of the answer whose TSIG RR starts at off, and compares it in constant time. */
static bool tsig_mac_matches(const struct tsig_key *k, const uint8_t *wire, size_t off, const ldns_rr *rr,
			     const struct tsig_result *r, const struct tsig_fields *f, const uint8_t *req_mac,
			     size_t req_mac_len)
{
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len = 0;
	uint8_t *msg = malloc(off);
	ldns_rdf *name = ldns_rdf_clone(ldns_rr_owner(rr)), *alg = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
	bool ok = false;

	if (msg && name && alg) {
		/* the message as it was before the TSIG RR was added: its original ID, one record fewer */
		memcpy(msg, wire, off);
		ldns_write_uint16(msg, f->orig_id);
		ldns_write_uint16(msg + LDNS_ARCOUNT_OFF, (uint16_t)(LDNS_ARCOUNT(wire) - 1));
		ldns_dname2canonical(name);
		ldns_dname2canonical(alg);
		ok = tsig_digest(k, req_mac, req_mac_len, msg, off, name, alg, r->time_signed, r->fudge, r->error,
				 f->other, f->other_len, mac, &mac_len) == 0 &&
		     mac_len == f->mac_len && CRYPTO_memcmp(mac, f->mac, mac_len) == 0;
	}
	free(msg);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(alg);
	return ok;
}

static bool tsig_is_ours(const struct tsig_key *k, const ldns_rr *rr)
{
	ldns_rdf *name = ldns_dname_new_frm_str(k->name), *alg = ldns_dname_new_frm_str(tsig_algs[k->alg].wire);
	bool ours = name && alg && ldns_dname_compare(name, ldns_rr_owner(rr)) == 0 &&
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME &&
		    ldns_dname_compare(alg, ldns_rr_rdf(rr, 0)) == 0;

	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(alg);
	return ours;
}

static enum tsig_verdict tsig_judge(const struct tsig_key *k, const uint8_t *wire, size_t off, const ldns_rr *rr,
				    const uint8_t *req_mac, size_t req_mac_len, uint64_t now, struct tsig_result *r)
{
	struct tsig_fields f;
	uint64_t skew;

	if (tsig_fields(rr, r, &f) != 0)
		return TSIG_MALFORMED;
	if (!tsig_is_ours(k, rr))
		return TSIG_OTHER_KEY;
	if (r->error != 0) {
		/* BADKEY and BADSIG answers carry no MAC; a BADTIME answer is signed (RFC 8945 5.2.3) */
		r->mac_ok = f.mac_len > 0 && tsig_mac_matches(k, wire, off, rr, r, &f, req_mac, req_mac_len);
		return TSIG_SERVER_ERROR;
	}
	if (f.mac_len == 0 || !tsig_mac_matches(k, wire, off, rr, r, &f, req_mac, req_mac_len))
		return TSIG_BAD_MAC;
	skew = now > r->time_signed ? now - r->time_signed : r->time_signed - now;
	return skew > r->fudge ? TSIG_BAD_TIME : TSIG_VERIFIED;
}

bool tsig_verify(const struct tsig_key *k, const uint8_t *wire, size_t len, const uint8_t *request_mac,
		 size_t request_mac_len, uint64_t now, struct tsig_result *r)
{
	ldns_rr *rr = NULL;
	size_t off = 0;
	int found = tsig_find(wire, len, &off, &rr);

	memset(r, 0, sizeof *r);
	if (found <= 0) {
		r->verdict = found == 0 ? TSIG_UNSIGNED : TSIG_MALFORMED;
		return false;
	}
	r->verdict = tsig_judge(k, wire, off, rr, request_mac, request_mac_len, now, r);
	ldns_rr_free(rr);
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
