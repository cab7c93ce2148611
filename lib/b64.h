/* base64url without padding (RFC 4648 section 5), as JOSE and ACME use it. */
#ifndef ADNS_B64_H
#define ADNS_B64_H

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes. Returns a malloc'd NUL-terminated string (caller frees), or NULL on allocation failure. */
char *b64url_encode(const void *data, size_t len);
/* Decodes s (padding and no padding both accepted; no '+', '/' or white space). Returns a malloc'd buffer
 * (caller frees) with its length in *outlen, or NULL for bad input. */
uint8_t *b64url_decode(const char *s, size_t *outlen);

#endif
