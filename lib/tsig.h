/* TSIG (RFC 8945): shared-secret keys (given, or read from a BIND key file), signing a DNS message and checking
 * the signature of an answer, with OpenSSL's HMAC. ldns 1.8 signs only with MD5, SHA-1, SHA-256 and SHA-512 (its
 * SHA-384 name is misspelt, SHA-224 is missing), so the MAC is computed here for all six algorithms alike. */
#ifndef ADNS_TSIG_H
#define ADNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSIG_MAC_MAX 64                 /* HMAC-SHA512 */
#define TSIG_FUDGE 300                  /* seconds of clock difference accepted, as BIND, Knot and lego use */

/* TSIG error codes of the TSIG RR's error field (RFC 8945 section 3). */
#define TSIG_BADSIG 16
#define TSIG_BADKEY 17
#define TSIG_BADTIME 18
#define TSIG_BADTRUNC 22

enum tsig_alg { TSIG_HMAC_MD5, TSIG_HMAC_SHA1, TSIG_HMAC_SHA224, TSIG_HMAC_SHA256, TSIG_HMAC_SHA384, TSIG_HMAC_SHA512 };

struct tsig_key;

/* Reads an algorithm name: "hmac-sha256", any case, with or without the trailing dot (lego writes
 * "hmac-sha256."), and "hmac-md5" or "hmac-md5.sig-alg.reg.int". Returns 0, or -1 when unknown. */
int tsig_alg_parse(const char *s, enum tsig_alg *alg);
/* The algorithm's short name for people ("hmac-sha256"). */
const char *tsig_alg_name(enum tsig_alg alg);

/* A key from its name, algorithm (NULL = hmac-sha256) and base64 secret. Returns NULL with errbuf set (never
 * quoting the secret). Free with tsig_key_free. */
struct tsig_key *tsig_key_new(const char *name, const char *alg, const char *secret_b64, char *errbuf,
			      size_t errlen);
/* A key from a BIND key file (`key "name" { algorithm hmac-sha256; secret "..."; };`, comments //, # and
 * / * * /): the one named name, or the only one when name is NULL. Errors name FILE:LINE. */
struct tsig_key *tsig_key_file(const char *path, const char *name, char *errbuf, size_t errlen);
/* Wipes the secret and frees. NULL is fine. */
void tsig_key_free(struct tsig_key *k);
/* The key's name, lower case, without the trailing dot. */
const char *tsig_key_name(const struct tsig_key *k);
enum tsig_alg tsig_key_alg(const struct tsig_key *k);

/* What goes into a TSIG RR besides the key. */
struct tsig_params {
	uint64_t time;                  /* time signed, unix seconds */
	uint16_t fudge;
	uint16_t error;                 /* 0 in a request; an answer's TSIG error (TSIG_BADTIME...) */
	uint64_t other_time;            /* with error TSIG_BADTIME: the server's time, sent as the other data */
	const uint8_t *request_mac;     /* signing an answer: the request's MAC; NULL for a request */
	size_t request_mac_len;
};

/* Signs the DNS message msg (len bytes, no TSIG yet): writes msg with the TSIG RR appended and ARCOUNT raised
 * into out (outcap bytes), its length into *outlen, and the MAC into mac (TSIG_MAC_MAX bytes; *mac_len).
 * Returns 0, or -1 when out is too small or the message is malformed. */
int tsig_sign(const struct tsig_key *k, const uint8_t *msg, size_t len, const struct tsig_params *p, uint8_t *out,
	      size_t outcap, size_t *outlen, uint8_t *mac, size_t *mac_len);

/* What tsig_verify found in an answer. */
enum tsig_verdict {
	TSIG_VERIFIED,                  /* signed by our key, MAC correct, time within the fudge */
	TSIG_UNSIGNED,                  /* no TSIG RR */
	TSIG_OTHER_KEY,                 /* a TSIG RR of another key name or algorithm */
	TSIG_SERVER_ERROR,              /* the TSIG error field is set (BADSIG, BADKEY, BADTIME...) */
	TSIG_BAD_MAC,                   /* the MAC does not match */
	TSIG_BAD_TIME,                  /* MAC correct, but signed further than the fudge from our clock */
	TSIG_MALFORMED,                 /* the message or its TSIG RR cannot be read */
};

struct tsig_result {
	enum tsig_verdict verdict;
	uint16_t error;                 /* the TSIG error field */
	bool mac_ok;                    /* with TSIG_SERVER_ERROR: the answer's MAC was present and correct */
	uint64_t time_signed;
	uint16_t fudge;
	uint64_t other_time;            /* the other data read as a 48-bit time (BADTIME answers), 0 when absent */
};

/* Checks the TSIG of an answer (wire, len) to a request whose MAC was request_mac, at our time now. Fills r;
 * returns true only for TSIG_VERIFIED. */
bool tsig_verify(const struct tsig_key *k, const uint8_t *wire, size_t len, const uint8_t *request_mac,
		 size_t request_mac_len, uint64_t now, struct tsig_result *r);
/* A name for a TSIG error code: "BADSIG", "BADKEY", "BADTIME", "BADTRUNC", else "TSIG error N" (in buf). */
const char *tsig_error_name(uint16_t error, char *buf, size_t len);

#endif
