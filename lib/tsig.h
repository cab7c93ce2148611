/* TSIG (RFC 8945) for both programs: shared-secret keys (given as bytes or base64, or read from a BIND key file),
 * and both sides of a signed exchange. The client (the rfc2136 solver) signs requests and checks answers; the
 * server (acme-dnsd's UPDATE) finds and checks the TSIG of a request and signs its response, or appends an
 * unsigned error record. The MAC is computed with OpenSSL's HMAC for all six algorithms alike: ldns 1.8 signs
 * only with MD5, SHA-1, SHA-256 and SHA-512 (its SHA-384 name is misspelt, SHA-224 is missing), and always writes
 * error 0 and no other data, so it cannot answer BADTIME. */
#ifndef ADNS_TSIG_H
#define ADNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSIG_MAC_MAX 64                 /* HMAC-SHA512 */
#define TSIG_SECRET_MAX 512             /* decoded secret bytes; tsig-keygen makes one digest's length */
#define TSIG_WIRE_NAME_MAX 255          /* a domain name in wire form */
#define TSIG_FUDGE 300                  /* seconds of clock difference accepted, as BIND, Knot and lego use */

/* TSIG error codes of the TSIG RR's error field (RFC 8945 section 3). */
#define TSIG_NOERROR 0
#define TSIG_BADSIG 16
#define TSIG_BADKEY 17
#define TSIG_BADTIME 18
#define TSIG_BADTRUNC 22

enum tsig_alg { TSIG_HMAC_MD5, TSIG_HMAC_SHA1, TSIG_HMAC_SHA224, TSIG_HMAC_SHA256, TSIG_HMAC_SHA384, TSIG_HMAC_SHA512 };

/* ---- algorithms ---- */

/* Reads an algorithm name: "hmac-sha256", any case, with or without the trailing dot (lego writes
 * "hmac-sha256."), and "hmac-md5" or "hmac-md5.sig-alg.reg.int". Returns 0, or -1 when unknown. */
int tsig_alg_parse(const char *s, enum tsig_alg *alg);
/* The algorithm's short name for people ("hmac-sha256", "hmac-md5"). */
const char *tsig_alg_name(enum tsig_alg alg);

/* ---- keys ---- */

/* Opaque so that the secret has one owner: it is copied in once, used only here, and wiped when freed. */
struct tsig_key;

/* A key from its name, algorithm (NULL = hmac-sha256) and base64 secret. Returns NULL with errbuf set (never
 * quoting the secret). Free with tsig_key_free. */
struct tsig_key *tsig_key_new(const char *name, const char *alg, const char *secret_b64, char *errbuf,
			      size_t errlen);
/* A key from its name, algorithm and decoded secret (1 to TSIG_SECRET_MAX bytes, copied: the caller wipes its
 * own copy), for callers that decode the secret themselves, as acme-dnsd's configuration does. */
struct tsig_key *tsig_key_new_raw(const char *name, enum tsig_alg alg, const uint8_t *secret, size_t len,
				  char *errbuf, size_t errlen);
/* A key from a BIND key file (`key "name" { algorithm hmac-sha256; secret "..."; };`, comments //, # and
 * / * * /): the one named name, or the only one when name is NULL. Errors name FILE:LINE. */
struct tsig_key *tsig_key_file(const char *path, const char *name, char *errbuf, size_t errlen);
/* Wipes the secret and frees. NULL is fine. */
void tsig_key_free(struct tsig_key *k);
/* The key's name, lower case, without the trailing dot. */
const char *tsig_key_name(const struct tsig_key *k);
enum tsig_alg tsig_key_alg(const struct tsig_key *k);
/* Same name, algorithm and secret (the secret compared in constant time). */
bool tsig_key_equal(const struct tsig_key *a, const struct tsig_key *b);

/* ---- a message's TSIG record ---- */

/* The TSIG RR of a message as tsig_find read it. mac and other point into the message. */
struct tsig_rr {
	size_t offset;                      /* where the RR starts: the MAC covers the message up to here */
	uint8_t key[TSIG_WIRE_NAME_MAX];    /* key name, lower-case uncompressed wire */
	uint8_t alg[TSIG_WIRE_NAME_MAX];    /* algorithm name, the same */
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/* Walks the whole message. Returns 1 with *rr filled when its last additional record is a TSIG, 0 when it
 * holds no TSIG, and -1 when the message is malformed: a record cut short, a name with a forward or looping
 * compression pointer, a TSIG anywhere but last, bytes after the last record, or a TSIG that is not class ANY
 * and TTL 0 or whose fields do not fill its rdata exactly. Never reads past len. */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr);

/* ---- the client's side: signing a request, checking its answer ---- */

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
 * returns true only for TSIG_VERIFIED. Only full-length MACs are taken. */
bool tsig_verify(const struct tsig_key *k, const uint8_t *wire, size_t len, const uint8_t *request_mac,
		 size_t request_mac_len, uint64_t now, struct tsig_result *r);
/* A name for a TSIG error code: "BADSIG", "BADKEY", "BADTIME", "BADTRUNC", else "TSIG error N" (in buf). */
const char *tsig_error_name(uint16_t error, char *buf, size_t len);

/* ---- the server's side: checking a request, signing its response ---- */

/* True when the request's TSIG (found by tsig_find) names key k: how the server looks its key up. */
bool tsig_request_names(const struct tsig_rr *rr, const struct tsig_key *k);

/* Checks a request's TSIG against k, the key its name matched (RFC 8945 section 5.2): the algorithm, the MAC,
 * the time (|now - time signed| within the smaller of the request's fudge and max_fudge) and truncation.
 * Returns TSIG_NOERROR, TSIG_BADKEY, TSIG_BADSIG, TSIG_BADTIME, TSIG_BADTRUNC, or -1 when the MAC length is
 * malformed (FORMERR). The comparison takes constant time. */
int tsig_request_verify(const uint8_t *msg, const struct tsig_rr *rr, const struct tsig_key *k, int64_t now,
			uint32_t max_fudge);

/* The TSIG RR of a response. key NULL makes an unsigned error record (MAC size 0), as RFC 8945 section 5.3.2
 * requires for BADKEY and BADSIG. */
struct tsig_response {
	const struct tsig_key *key;
	const struct tsig_rr *req;      /* the request's TSIG: its MAC is covered, its names are echoed */
	uint16_t error;
	uint64_t time_signed;
	uint16_t fudge;
	uint64_t other_time;            /* with error TSIG_BADTIME: the server's time, sent as the other data */
};

/* Appends the TSIG RR r describes to the response buf[0..len) (cap bytes in all) and adds one to its ARCOUNT.
 * The MAC covers the request's MAC, the response and the TSIG variables (RFC 8945 section 4.3). Returns the new
 * length, or 0 when the record does not fit or the HMAC fails. */
size_t tsig_response_append(uint8_t *buf, size_t len, size_t cap, const struct tsig_response *r);

#endif
