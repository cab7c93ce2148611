/* ACME accounts (RFC 8555 section 7.3): create or find, read, contacts, deactivate, key rollover. */
#include "acme_int.h"

#include "b64.h"
#include "jws.h"
#include "key.h"
#include "log.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

static json_t *contacts_json(const char *const *contacts, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(contacts[i]));
	return arr;
}

/* The externalAccountBinding member, or NULL with e set. */
static json_t *eab_json(struct acme *a, EVP_PKEY *key, const struct acme_account_params *p, struct acme_error *e)
{
	size_t klen = 0;
	uint8_t *hmac = b64url_decode(p->eab_hmac_key, &klen);
	if (!hmac || klen == 0) {
		free(hmac);
		acme_fail(e, ACME_ERR_USAGE, "the EAB HMAC key is not base64url");
		return NULL;
	}
	json_t *jwk = key_jwk(key);
	json_t *eab = jwk ? jws_eab(p->eab_kid, hmac, klen, acme_dir_url(a, "newAccount"), jwk) : NULL;
	OPENSSL_cleanse(hmac, klen);
	free(hmac);
	json_decref(jwk);
	if (!eab)
		acme_fail(e, ACME_ERR_INTERNAL, "cannot build the external account binding");
	return eab;
}

static json_t *account_payload(struct acme *a, EVP_PKEY *key, const struct acme_account_params *p,
			       struct acme_error *e)
{
	json_t *o = json_object();
	if (p->only_existing) {
		json_object_set_new(o, "onlyReturnExisting", json_true());
		return o;
	}
	if (p->agree_tos)
		json_object_set_new(o, "termsOfServiceAgreed", json_true());
	if (p->n_contacts)
		json_object_set_new(o, "contact", contacts_json(p->contacts, p->n_contacts));
	if ((p->eab_kid != NULL) != (p->eab_hmac_key != NULL)) {
		json_decref(o);
		acme_fail(e, ACME_ERR_USAGE, "external account binding needs both the key id and the HMAC key");
		return NULL;
	}
	if (!p->eab_kid && acme_eab_required(a)) {
		json_decref(o);
		acme_fail(e, ACME_ERR_USAGE, "this CA requires external account binding (an EAB key id and HMAC key)");
		return NULL;
	}
	json_t *eab = p->eab_kid ? eab_json(a, key, p, e) : NULL;
	if (p->eab_kid && !eab) {
		json_decref(o);
		return NULL;
	}
	if (eab)
		json_object_set_new(o, "externalAccountBinding", eab);
	return o;
}

int acme_account_new(struct acme *a, EVP_PKEY *key, const struct acme_account_params *p, char **kid_out,
		     struct acme_error *e)
{
	json_t *payload = account_payload(a, key, p, e);
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (!body)
		return payload ? acme_fail(e, ACME_ERR_INTERNAL, "out of memory") : -1;
	struct http_response r;
	int rc = acme_post(a, acme_dir_url(a, "newAccount"), body, key, NULL, &r, e);
	free(body);
	if (rc < 0)
		return -1;
	if (!r.location) {
		http_response_clear(&r);
		return acme_fail(e, ACME_ERR_NET, "newAccount: the CA gave no account URL");
	}
	log_info("acme: account %s (%s)", r.location, r.status == 201 ? "created" : "found");
	rc = acme_use_account(a, key, r.location);
	if (rc == 0 && kid_out && !(*kid_out = strdup(r.location)))
		rc = acme_fail(e, ACME_ERR_INTERNAL, "out of memory");
	http_response_clear(&r);
	return rc;
}

int acme_use_account(struct acme *a, EVP_PKEY *key, const char *kid)
{
	char *copy = strdup(kid);
	if (!copy)
		return -1;
	free(a->kid);
	a->kid = copy;
	a->key = key;
	return 0;
}

/* POSTs payload to the account URL and returns the account object. */
static json_t *account_post(struct acme *a, const char *payload, struct acme_error *e)
{
	if (!a->kid) {
		acme_fail(e, ACME_ERR_USAGE, "no account");
		return NULL;
	}
	struct http_response r;
	if (acme_post(a, a->kid, payload, NULL, NULL, &r, e) < 0)
		return NULL;
	json_t *o = acme_json_body(&r, "account", e);
	http_response_clear(&r);
	return o;
}

json_t *acme_account_get(struct acme *a, struct acme_error *e)
{
	return account_post(a, NULL, e);
}

int acme_account_update_contacts(struct acme *a, const char *const *contacts, size_t n, struct acme_error *e)
{
	json_t *p = json_pack("{s:o}", "contact", contacts_json(contacts, n));
	char *body = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	json_t *o = body ? account_post(a, body, e) : NULL;
	free(body);
	json_decref(o);
	return o ? 0 : -1;
}

int acme_account_deactivate(struct acme *a, struct acme_error *e)
{
	json_t *o = account_post(a, "{\"status\":\"deactivated\"}", e);
	const char *status = json_string_value(json_object_get(o, "status"));
	int rc = o && status && strcmp(status, "deactivated") == 0 ? 0 : -1;
	if (o && rc < 0)
		acme_fail(e, ACME_ERR_CA, "the account is still %s after deactivation", status ? status : "unknown");
	json_decref(o);
	return rc;
}

int acme_account_rollover(struct acme *a, EVP_PKEY *new_key, struct acme_error *e)
{
	const char *url = acme_dir_url(a, "keyChange");
	json_t *old_jwk = a->key ? key_jwk(a->key) : NULL;
	json_t *inner_payload = old_jwk ? json_pack("{s:s, s:o}", "account", a->kid, "oldKey", old_jwk) : NULL;
	char *ip = inner_payload ? json_dumps(inner_payload, JSON_COMPACT) : NULL;
	json_decref(inner_payload);
	json_t *inner = ip && url ? jws_sign(new_key, NULL, NULL, url, ip) : NULL;
	free(ip);
	char *body = inner ? json_dumps(inner, JSON_COMPACT) : NULL;
	json_decref(inner);
	if (!body)
		return acme_fail(e, url ? ACME_ERR_INTERNAL : ACME_ERR_USAGE, "key rollover: %s",
				 url ? "cannot sign with the new key" : "the CA offers no keyChange");
	struct http_response r;
	int rc = acme_post(a, url, body, NULL, NULL, &r, e);
	free(body);
	if (rc < 0)
		return -1;
	http_response_clear(&r);
	a->key = new_key;
	log_info("acme: account %s now uses its new key", a->kid);
	return 0;
}
