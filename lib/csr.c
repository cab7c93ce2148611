/* PKCS#10 requests for ACME finalize: DNS subjectAltNames, CN when it fits, SHA-256 or pure Ed25519. */
#include "csr.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdlib.h>
#include <string.h>

/* RFC 5280 ub-common-name: a longer first name goes in the SAN only. */
#define CSR_CN_MAX 64
/* RFC 1035: the longest textual domain name. */
#define CSR_NAME_MAX 253

/* Sets the subject to CN=name when name fits; otherwise the subject stays empty. Returns 0 or -1. */
static int csr_set_subject(X509_REQ *req, const char *name)
{
	if (strlen(name) > CSR_CN_MAX)
		return 0;
	X509_NAME *subject = X509_REQ_get_subject_name(req);
	return X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8, (const unsigned char *)name, -1,
					  -1, 0) == 1 ? 0 : -1;
}

/* A GENERAL_NAMES with every name as a dNSName, or NULL. */
static GENERAL_NAMES *csr_dns_names(const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	for (size_t i = 0; gens != NULL && i < n; i++) {
		size_t len = strlen(names[i]);
		GENERAL_NAME *gen = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
		if (gen == NULL || ia5 == NULL || ASN1_STRING_set(ia5, names[i], (int)len) != 1) {
			GENERAL_NAME_free(gen);
			ASN1_IA5STRING_free(ia5);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
		GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
		if (sk_GENERAL_NAME_push(gens, gen) <= 0) {
			GENERAL_NAME_free(gen);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
	}
	return gens;
}

/* Adds the subjectAltName extension (in an extensionRequest attribute), critical when the subject is empty as
 * RFC 5280 section 4.2.1.6 asks. Returns 0 or -1. */
static int csr_add_san(X509_REQ *req, const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = csr_dns_names(names, n);
	if (gens == NULL)
		return -1;
	int critical = X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0;
	X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, critical, gens);
	GENERAL_NAMES_free(gens);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	int rc = -1;
	if (ext != NULL && exts != NULL && sk_X509_EXTENSION_push(exts, ext) > 0) {
		ext = NULL;
		rc = X509_REQ_add_extensions(req, exts) == 1 ? 0 : -1;
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Every name is non-empty and no longer than a domain name can be. */
static int csr_names_ok(const char *const *names, size_t n)
{
	if (names == NULL || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0' || strlen(names[i]) > CSR_NAME_MAX)
			return 0;
	}
	return 1;
}

/* The DER of req, malloc'd, with its length in *len, or NULL. */
static uint8_t *csr_der(X509_REQ *req, size_t *len)
{
	int n = i2d_X509_REQ(req, NULL);
	uint8_t *der = n > 0 ? malloc((size_t)n) : NULL;
	unsigned char *p = der;
	if (der != NULL && i2d_X509_REQ(req, &p) != n) {
		free(der);
		return NULL;
	}
	if (der != NULL)
		*len = (size_t)n;
	return der;
}

uint8_t *csr_build(EVP_PKEY *key, const char *const *names, size_t n, size_t *len)
{
	if (key == NULL || len == NULL || !csr_names_ok(names, n))
		return NULL;
	X509_REQ *req = X509_REQ_new();
	if (req == NULL)
		return NULL;
	/* Ed25519 signs the message itself (RFC 8410); the other keys sign its SHA-256. */
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	uint8_t *der = NULL;
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 && csr_set_subject(req, names[0]) == 0 &&
	    X509_REQ_set_pubkey(req, key) == 1 && csr_add_san(req, names, n) == 0 &&
	    X509_REQ_sign(req, key, md) > 0)
		der = csr_der(req, len);
	X509_REQ_free(req);
	return der;
}
