/* TSIG (RFC 8945): HMAC algorithms, finding and checking the TSIG record of a request, signing a response. */
#ifndef ADNS_UPDATE_TSIG_H
#define ADNS_UPDATE_TSIG_H

#include "tsig.h"   /* lib/tsig.h */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The algorithms, error codes and MAC size are the client's (lib/tsig.h); this module adds the server's side. */
#define TSIG_ALG_COUNT 6
#define TSIG_NOERROR 0
#define TSIG_NAME_MAX   255
#define TSIG_RR_TYPE    250
#define UTSIG_SECRET_MAX 512

/* A key as the configuration holds it. */
struct utsig_key {
	const char *name;          /* lower case, no trailing dot */
	enum tsig_alg alg;
	const uint8_t *secret;
	size_t secret_len;
};

/* The TSIG record of a request, as utsig_find read it. mac and other point into the message. */
struct utsig_rr {
	size_t offset;                      /* where the record starts: the MAC covers the message up to here */
	uint8_t key[TSIG_NAME_MAX];         /* key name, lower-case wire */
	uint8_t alg[TSIG_NAME_MAX];         /* algorithm name, lower-case wire */
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/* What a response's TSIG record carries. key NULL makes an unsigned error record (MAC size 0), as RFC 8945
 * section 5.3.2 requires for BADKEY and BADSIG. */
struct utsig_reply {
	const struct utsig_key *key;
	const struct utsig_rr *req;          /* the request's record: its MAC is covered, its names are echoed */
	uint16_t error;
	uint64_t time_signed;
	uint16_t fudge;
	uint8_t other[6];                   /* the server's time for BADTIME */
	uint16_t other_len;                 /* 0 or 6 */
};

/* Parses an algorithm as a configuration writes it: "hmac-sha256" (any case, trailing dot optional), and
 * "hmac-md5" or "hmac-md5.sig-alg.reg.int". Returns the algorithm or -1. */
int utsig_alg_parse(const char *s);
/* The algorithm's name in text, as on the wire ("hmac-sha256", "hmac-md5.sig-alg.reg.int"). */
const char *utsig_alg_text(enum tsig_alg a);
/* The full MAC length of the algorithm in bytes. */
size_t utsig_alg_mac_len(enum tsig_alg a);
/* The algorithm whose lower-case wire name is alg, or -1 for one we do not implement. */
int utsig_alg_from_wire(const uint8_t *alg);

/* Walks the whole message. Returns 1 with *rr filled when its last additional record is a TSIG, 0 when it
 * holds no TSIG, and -1 when the message is malformed: a record cut short, a TSIG anywhere but last, bytes
 * after the last record, or a TSIG whose fields do not fill its rdata exactly. Never reads past len. */
int utsig_find(const uint8_t *msg, size_t len, struct utsig_rr *rr);

/* Checks a request's TSIG against key, whose name matched rr->key (RFC 8945 section 5.2): the algorithm,
 * the MAC, the time (|now - time signed| within the smaller of the request's fudge and max_fudge) and
 * truncation. Returns TSIG_NOERROR, TSIG_BADKEY, TSIG_BADSIG, TSIG_BADTIME, TSIG_BADTRUNC, or -1 when the
 * MAC length is malformed (FORMERR). The comparison takes constant time. */
int utsig_verify(const uint8_t *msg, const struct utsig_rr *rr, const struct utsig_key *key, int64_t now,
		uint32_t max_fudge);

/* Appends the TSIG record r describes to the response buf[0..len) (cap bytes in all) and adds one to its
 * ARCOUNT. The MAC covers the request's MAC, the response and the TSIG variables (RFC 8945 section 4.3).
 * Returns the new length, or 0 when the record does not fit or the HMAC fails. */
size_t utsig_append(uint8_t *buf, size_t len, size_t cap, const struct utsig_reply *r);

#endif
