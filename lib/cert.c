/* Issued certificates: validity, DNS names, issuer CN, RFC 9773 ARI identifier, and PEM chain handling. */
#include "cert.h"

#include "b64.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cert_begin[] = "-----BEGIN CERTIFICATE-----";
static const char cert_end[] = "-----END CERTIFICATE-----";

/* A malloc'd NUL-terminated copy of len bytes, or NULL. */
static char *cert_strndup(const void *p, size_t len)
{
	char *s = malloc(len + 1);
	if (s != NULL) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* Every certificate of a PEM buffer, in order, until the first that does not parse. NULL if there is none. */
static STACK_OF(X509) *cert_read_all(const char *pem, size_t len)
{
	if (pem == NULL || len > INT_MAX)
		return NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *certs = bio != NULL ? sk_X509_new_null() : NULL;
	X509 *x;
	while (certs != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			break;
		}
	}
	/* Reading past the last certificate always leaves a "no start line" error behind. */
	ERR_clear_error();
	BIO_free(bio);
	if (certs != NULL && sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		certs = NULL;
	}
	return certs;
}

/* The first certificate of pem, or NULL. */
static X509 *cert_read_first(const char *pem, size_t len)
{
	if (pem == NULL || len > INT_MAX)
		return NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	ERR_clear_error();
	BIO_free(bio);
	return x;
}

/* An ASN1_TIME as time_t (UTC). Returns 0 or -1. */
static int cert_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* The commonName of the issuer of x, malloc'd UTF-8, or NULL when it has none. */
static char *cert_issuer_cn(X509 *x)
{
	X509_NAME *issuer = X509_get_issuer_name(x);
	int i = X509_NAME_get_index_by_NID(issuer, NID_commonName, -1);
	if (i < 0)
		return NULL;
	ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, i));
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, data);
	char *cn = NULL;
	if (n >= 0 && memchr(utf8, '\0', (size_t)n) == NULL)
		cn = cert_strndup(utf8, (size_t)n);
	OPENSSL_free(utf8);
	return cn;
}

/* Copies the dNSName subjectAltNames of x into ci. Returns 0, or -1 with errbuf set. */
static int cert_dns_names(X509 *x, struct cert_info *ci, char *errbuf, size_t errlen)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int rc = 0;
	for (int i = 0; rc == 0 && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type != GEN_DNS)
			continue;
		const unsigned char *p = ASN1_STRING_get0_data(gen->d.dNSName);
		size_t len = (size_t)ASN1_STRING_length(gen->d.dNSName);
		if (ci->n_names == CERT_MAX_NAMES) {
			snprintf(errbuf, errlen, "certificate has more than %d DNS names", CERT_MAX_NAMES);
			rc = -1;
		} else if (memchr(p, '\0', len) != NULL) {
			snprintf(errbuf, errlen, "certificate has a DNS name with a NUL byte");
			rc = -1;
		} else if ((ci->names[ci->n_names] = cert_strndup(p, len)) == NULL) {
			snprintf(errbuf, errlen, "out of memory");
			rc = -1;
		} else {
			ci->n_names++;
		}
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The contents octets of the serial's DER INTEGER: a 0x00 leads when the high bit is set (RFC 9773 4.1). */
static char *cert_serial_b64(X509 *x)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	unsigned char *der = NULL;
	int derlen = i2d_ASN1_INTEGER(serial, &der);
	if (derlen <= 0)
		return NULL;
	const unsigned char *p = der;
	long clen = 0;
	int tag = 0, xclass = 0;
	char *out = NULL;
	int r = ASN1_get_object(&p, &clen, &tag, &xclass, derlen);
	if (!(r & 0x80) && tag == V_ASN1_INTEGER && clen > 0)
		out = b64url_encode(p, (size_t)clen);
	OPENSSL_free(der);
	return out;
}

/* base64url(AKI keyIdentifier) "." base64url(serial), or NULL when x has no AKI keyIdentifier. */
static char *cert_ari_id(X509 *x)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	if (aki == NULL)
		return NULL;
	char *kid = b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki));
	char *serial = cert_serial_b64(x);
	char *id = NULL;
	if (kid != NULL && serial != NULL) {
		size_t a = strlen(kid), b = strlen(serial);
		if ((id = malloc(a + b + 2)) != NULL) {
			memcpy(id, kid, a);
			id[a] = '.';
			memcpy(id + a + 1, serial, b + 1);
		}
	}
	free(kid);
	free(serial);
	return id;
}

/* Upper-case hex of the serial, whole bytes, no leading zero bytes ("0" for zero). */
static char *cert_serial_hex(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	char *out = hex != NULL ? cert_strndup(hex, strlen(hex)) : NULL;
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

/* Fills ci from x. Returns 0, or -1 with errbuf set. */
static int cert_fill(X509 *x, struct cert_info *ci, char *errbuf, size_t errlen)
{
	if (cert_time(X509_get0_notBefore(x), &ci->not_before) != 0 ||
	    cert_time(X509_get0_notAfter(x), &ci->not_after) != 0) {
		snprintf(errbuf, errlen, "certificate has an unreadable validity period");
		return -1;
	}
	if (cert_dns_names(x, ci, errbuf, errlen) != 0)
		return -1;
	ci->issuer_cn = cert_issuer_cn(x);
	/* Without an AKI keyIdentifier there is no ARI identifier; ari_id stays NULL and renewal uses the dates. */
	ci->ari_id = cert_ari_id(x);
	ci->serial_hex = cert_serial_hex(x);
	if (ci->serial_hex == NULL) {
		snprintf(errbuf, errlen, "certificate serial number unreadable");
		return -1;
	}
	return 0;
}

int cert_info_from_pem(const char *pem, size_t len, struct cert_info *out, char *errbuf, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	X509 *x = cert_read_first(pem, len);
	if (x == NULL) {
		snprintf(errbuf, errlen, "no PEM certificate found");
		return -1;
	}
	int rc = cert_fill(x, out, errbuf, errlen);
	X509_free(x);
	if (rc != 0)
		cert_info_clear(out);
	return rc;
}

void cert_info_clear(struct cert_info *ci)
{
	if (ci == NULL)
		return;
	for (size_t i = 0; i < ci->n_names && i < CERT_MAX_NAMES; i++)
		free(ci->names[i]);
	free(ci->issuer_cn);
	free(ci->ari_id);
	free(ci->serial_hex);
	memset(ci, 0, sizeof(*ci));
}

/* Offset of needle in pem[from, len), or (size_t)-1. */
static size_t cert_find(const char *pem, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);
	if (from > len)
		return (size_t)-1;
	const char *p = memmem(pem + from, len - from, needle, n);
	return p != NULL ? (size_t)(p - pem) : (size_t)-1;
}

int cert_split_chain(const char *pem, size_t len, char **leaf, char **rest)
{
	*leaf = NULL;
	*rest = NULL;
	size_t begin = pem != NULL ? cert_find(pem, len, 0, cert_begin) : (size_t)-1;
	size_t end = begin != (size_t)-1 ? cert_find(pem, len, begin, cert_end) : (size_t)-1;
	if (end == (size_t)-1)
		return -1;
	end += strlen(cert_end);
	X509 *x = cert_read_first(pem + begin, end - begin);
	if (x == NULL)
		return -1;
	X509_free(x);
	/* The leaf is re-terminated with a newline; the rest starts at the next certificate, as given. */
	size_t next = cert_find(pem, len, end, cert_begin);
	size_t restlen = next != (size_t)-1 ? len - next : 0;
	int nl = restlen > 0 && pem[len - 1] != '\n';
	*leaf = malloc(end - begin + 2);
	*rest = malloc(restlen + (size_t)nl + 1);
	if (*leaf == NULL || *rest == NULL) {
		free(*leaf);
		free(*rest);
		*leaf = *rest = NULL;
		return -1;
	}
	memcpy(*leaf, pem + begin, end - begin);
	memcpy(*leaf + (end - begin), "\n", 2);
	if (restlen > 0)
		memcpy(*rest, pem + next, restlen);
	memcpy(*rest + restlen, "\n", (size_t)nl);
	(*rest)[restlen + (size_t)nl] = '\0';
	return 0;
}

char *cert_chain_top_issuer(const char *pem, size_t len)
{
	STACK_OF(X509) *certs = cert_read_all(pem, len);
	if (certs == NULL)
		return NULL;
	char *cn = cert_issuer_cn(sk_X509_value(certs, sk_X509_num(certs) - 1));
	sk_X509_pop_free(certs, X509_free);
	return cn;
}

uint8_t *cert_leaf_der(const char *pem, size_t pemlen, size_t *len)
{
	X509 *x = cert_read_first(pem, pemlen);
	if (x == NULL)
		return NULL;
	int n = i2d_X509(x, NULL);
	uint8_t *der = n > 0 ? malloc((size_t)n) : NULL;
	unsigned char *p = der;
	if (der != NULL && i2d_X509(x, &p) == n) {
		*len = (size_t)n;
	} else {
		free(der);
		der = NULL;
	}
	X509_free(x);
	return der;
}
