/* Revocation (RFC 8555 section 7.6) and renewal information (RFC 9773). */
#include "acme_int.h"

#include "b64.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int acme_revoke(struct acme *a, const uint8_t *der, size_t der_len, int reason, EVP_PKEY *cert_key,
		struct acme_error *e)
{
	if (reason < 0 || reason > 10 || reason == 7)
		return acme_fail(e, ACME_ERR_USAGE, "revocation reason %d is not one of RFC 5280's (0-10 but 7)", reason);
	if (!cert_key && !a->kid)
		return acme_fail(e, ACME_ERR_USAGE, "revocation needs the account or the certificate's key");
	char *cert = b64url_encode(der, der_len);
	json_t *payload = cert ? json_pack("{s:s, s:i}", "certificate", cert, "reason", reason) : NULL;
	free(cert);
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (!body)
		return acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	struct http_response r;
	int rc = acme_post(a, acme_dir_url(a, "revokeCert"), body, cert_key, NULL, &r, e);
	free(body);
	if (rc < 0)
		return -1;
	http_response_clear(&r);
	log_info("acme: certificate revoked (reason %d, signed by the %s key)", reason, cert_key ? "certificate" : "account");
	return 0;
}

static int window_read(json_t *o, time_t *start, time_t *end, struct acme_error *e)
{
	json_t *w = json_object_get(o, "suggestedWindow");
	if (acme_parse_time(json_string_value(json_object_get(w, "start")), start) < 0 ||
	    acme_parse_time(json_string_value(json_object_get(w, "end")), end) < 0 || *end < *start)
		return acme_fail(e, ACME_ERR_NET, "renewalInfo: no valid suggestedWindow in the answer");
	return 0;
}

int acme_renewal_info(struct acme *a, const char *ari_id, time_t *start, time_t *end, long *retry_after_s,
		      struct acme_error *e)
{
	const char *base = acme_dir_url(a, "renewalInfo");
	if (!base)
		return acme_fail(e, ACME_ERR_USAGE, "this CA offers no renewal information (RFC 9773)");
	char url[2048];
	size_t blen = strlen(base);
	snprintf(url, sizeof(url), "%s%s%s", base, blen && base[blen - 1] == '/' ? "" : "/", ari_id);
	struct http_response r = { 0 };
	char err[512];
	if (http_request(a->http, "GET", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)) < 0)
		return acme_fail(e, ACME_ERR_NET, "renewalInfo: %s", err);
	int rc;
	if (r.status != 200) {
		rc = acme_fail(e, r.status == 404 ? ACME_ERR_CA : ACME_ERR_NET, "renewalInfo %s: HTTP %ld", url, r.status);
		e->status = (int)r.status;
	} else {
		json_t *o = acme_json_body(&r, "renewalInfo", e);
		rc = o ? window_read(o, start, end, e) : -1;
		json_decref(o);
	}
	if (retry_after_s)
		*retry_after_s = r.retry_after;
	http_response_clear(&r);
	return rc;
}
