/* base64url (RFC 4648 section 5): unpadded output, strict input for JOSE and ACME. */
#include "b64.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64url_encode(const void *data, size_t len)
{
	const uint8_t *in = data;
	if (len > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

/* The 6-bit value of c, or -1 for anything outside the URL-safe alphabet. */
static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Length of s without its padding, or (size_t)-1 when the padding is wrong for the length. */
static size_t b64url_data_len(const char *s)
{
	size_t len = strlen(s), pad = 0;
	while (pad < len && s[len - 1 - pad] == '=')
		pad++;
	if (pad == 0)
		return len % 4 == 1 ? (size_t)-1 : len;
	size_t n = len - pad;
	/* Padding is only valid as the exact fill of the last quantum: "xx==" or "xxx=". */
	if (len % 4 != 0 || pad > 2 || n % 4 != 4 - pad)
		return (size_t)-1;
	return n;
}

uint8_t *b64url_decode(const char *s, size_t *outlen)
{
	if (s == NULL || outlen == NULL)
		return NULL;
	size_t n = b64url_data_len(s);
	if (n == (size_t)-1)
		return NULL;
	uint8_t *out = malloc(n / 4 * 3 + 3);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);
		if (v < 0) {
			/* What was decoded so far may be part of a key. */
			OPENSSL_cleanse(out, n / 4 * 3 + 3);
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	/* A final group of 2 or 3 characters carries 1 or 2 bytes; its unused low bits are ignored. */
	if (n % 4 == 2) {
		out[o++] = (uint8_t)(acc >> 4);
	} else if (n % 4 == 3) {
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*outlen = o;
	return out;
}
