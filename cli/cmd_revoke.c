/* acme-dns-cli revoke: the leaf of certificates/<name>/cert.pem, signed by the account or the certificate's key;
 * meta.json then records the revocation so that renew --all leaves the certificate alone. */
#include "cmd_revoke.h"

#include "account.h"
#include "certs.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The leaf certificate's DER. Returns 0 or an exit code (reported). */
static int read_leaf(struct cli_ctx *c, const char *name, uint8_t **der, size_t *der_len)
{
	char *rel = cli_cert_relpath(name, "cert.pem");
	size_t len = 0;
	char *pem = rel ? state_read(c->st, rel, &len) : NULL;
	int saved = errno;
	free(rel);
	if (!pem)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "certificate %s: cert.pem: %s", name,
				    strerror(saved));
	*der = cert_leaf_der(pem, len, der_len);
	free(pem);
	if (!*der)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL,
				    "certificate %s: cert.pem holds no certificate", name);
	return 0;
}

/* Who signs: the certificate's key (*cert_key set) or the account (made current in a). */
static int revoke_signer(struct cli_ctx *c, struct acme *a, const char *name, const char *server,
			 EVP_PKEY **cert_key)
{
	*cert_key = NULL;
	if (c->opt->with_cert_key) {
		*cert_key = cli_cert_load_key(c->st, name);
		if (*cert_key)
			return 0;
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
				    "certificate %s: --with-cert-key, but privkey.pem %s", name,
				    errno == ENOENT ? "does not exist" : "cannot be read");
	}
	struct cli_account acc;
	int rc = cli_account_use_existing(c, a, server, &acc);
	cli_account_clear(&acc);
	return rc;
}

/* The CA has revoked it: a failure here only loses our note of it, so it is a warning. */
static void record_revocation(struct cli_ctx *c, const char *name, struct cli_cert_meta *m)
{
	char err[1024];
	m->revoked = time(NULL);
	m->revoked_reason = c->opt->reason;
	if (cli_cert_write_meta(c->st, name, m, err, sizeof(err)) != 0)
		log_warn("certificate %s: revoked, but meta.json could not record it: %s", name, err);
}

static void say_revoked(struct cli_ctx *c, const char *name, const struct cli_cert_meta *m)
{
	char na[32];
	json_t *list = json_array();
	for (size_t i = 0; i < m->n_names; i++)
		json_array_append_new(list, json_string(m->names[i]));
	cli_out_result(c->out, "revoked");
	cli_out_set(c->out, "certificate",
		    json_pack("{s:s, s:o, s:o, s:i}", "name", name, "names", list, "serial",
			      m->serial ? json_string(m->serial) : json_null(), "reason", c->opt->reason));
	cli_out_line(c->out, "revoked %s (serial %s, reason %d; it was valid until %s)", name,
		     m->serial ? m->serial : "?", c->opt->reason, cli_time_format(m->not_after, na, sizeof(na)));
}

static int revoke_with(struct cli_ctx *c, const char *name, struct cli_cert_meta *m, const uint8_t *der,
		       size_t der_len)
{
	const char *server = cli_options_given(c->opt, "server") ? c->opt->server : m->server;
	struct acme *a = NULL;
	EVP_PKEY *cert_key = NULL;
	int rc = cli_ctx_acme(c, server, &a);
	if (rc == 0)
		rc = revoke_signer(c, a, name, server, &cert_key);
	if (rc == 0) {
		struct acme_error e = { 0 };
		log_info("certificate %s: revoking at %s (reason %d, signed by the %s)", name, server, c->opt->reason,
			 cert_key ? "certificate's key" : "account");
		if (acme_revoke(a, der, der_len, c->opt->reason, cert_key, &e) != 0)
			rc = cli_out_acme_fail(c->out, &e);
	}
	EVP_PKEY_free(cert_key);
	if (rc == 0) {
		record_revocation(c, name, m);
		say_revoked(c, name, m);
	}
	return rc;
}

int cli_cmd_revoke(struct cli_ctx *c)
{
	char err[1024];
	const char *name = c->opt->cert_name;
	struct cli_cert_meta m;
	if (cli_cert_read_meta(c->st, name, &m, err, sizeof(err)) < 0)
		return cli_out_fail(c->out, errno == ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL,
				    errno == ENOENT ? "usage" : "state", NULL, NULL, "%s", err);
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc = read_leaf(c, name, &der, &der_len);
	if (rc == 0)
		rc = revoke_with(c, name, &m, der, der_len);
	free(der);
	cli_meta_clear(&m);
	return rc;
}
