/* Certificate signing requests for ACME finalize (RFC 8555 section 7.4), built with OpenSSL. */
#ifndef ADNS_CSR_H
#define ADNS_CSR_H

#include <openssl/evp.h>

#include <stddef.h>
#include <stdint.h>

/* A DER PKCS#10 request for names (DNS subjectAltNames, wildcards allowed; the first name is also the subject CN
 * when it fits in 64 characters), signed by key with SHA-256 (or pure EdDSA). Returns malloc'd DER with its length
 * in *len, or NULL. */
uint8_t *csr_build(EVP_PKEY *key, const char *const *names, size_t n, size_t *len);

#endif
