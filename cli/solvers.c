/* One row per adapter: its --solver name and how its options are filled from acme-dns-cli's. */
#include "solvers.h"

#include "acmedns.h"
#include "azuredns.h"
#include "cloudflare.h"
#include "digitalocean.h"
#include "exec.h"
#include "gcloud.h"
#include "hetzner.h"
#include "httpreq.h"
#include "pdns.h"
#include "rfc2136.h"
#include "route53.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct solver_kind {
	const char *name;
	/* Builds the adapter; NULL with err set. */
	struct solver *(*make)(struct cli_ctx *c, bool allow_register, char *err, size_t errlen);
};

static struct solver *make_acmedns(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	struct acmedns_options ao;
	cli_ctx_acmedns(c, &ao, allow_register);
	return solver_acmedns_new(&ao, err, errlen);
}

static struct solver *make_pdns(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	struct pdns_options po = {
		.api_url = c->opt->pdns_api_url,
		.api_key = c->opt->pdns_api_key,
		.server_id = c->opt->pdns_server_id,
		.http = c->http,
	};
	return solver_pdns_new(&po, err, errlen);
}

static struct solver *make_exec(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	struct exec_options eo = { .program = c->opt->exec_program, .timeout_s = c->opt->exec_timeout };
	return solver_exec_new(&eo, err, errlen);
}

static struct solver *make_rfc2136(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct rfc2136_options ro = {
		.nameserver = o->rfc2136_nameserver,
		.key_file = o->rfc2136_tsig_file,
		.tsig_key = o->rfc2136_tsig_key,
		.tsig_secret = o->rfc2136_tsig_secret,
		.tsig_algorithm = o->rfc2136_tsig_algorithm,
		.allow_unsigned = o->rfc2136_unsigned,
		.timeout_ms = o->rfc2136_timeout * 1000,
		.ttl = (uint32_t)o->rfc2136_ttl,
	};
	return solver_rfc2136_new(&ro, err, errlen);
}

static struct solver *make_cloudflare(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct cloudflare_options co = {
		.dns_api_token = o->cloudflare_dns_api_token,
		.zone_api_token = o->cloudflare_zone_api_token,
		.email = o->cloudflare_email,
		.api_key = o->cloudflare_api_key,
		.base_url = o->cloudflare_base_url,
		.ttl = (uint32_t)o->cloudflare_ttl,
		.http = c->http,
	};
	return solver_cloudflare_new(&co, err, errlen);
}

static struct solver *make_digitalocean(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct digitalocean_options dopt = { .auth_token = o->digitalocean_auth_token,
					     .base_url = o->digitalocean_base_url,
					     .ttl = (uint32_t)o->digitalocean_ttl,
					     .http = c->http };
	return solver_digitalocean_new(&dopt, err, errlen);
}

static struct solver *make_hetzner(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct hetzner_options ho = { .api_key = o->hetzner_api_key, .base_url = o->hetzner_base_url,
				      .ttl = (uint32_t)o->hetzner_ttl, .http = c->http };
	return solver_hetzner_new(&ho, err, errlen);
}

static struct solver *make_httpreq(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct httpreq_options ho = { .endpoint = o->httpreq_endpoint, .username = o->httpreq_username,
				      .password = o->httpreq_password, .mode = o->httpreq_mode, .http = c->http };
	return solver_httpreq_new(&ho, err, errlen);
}

static struct solver *make_route53(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct route53_options ro = {
		.access_key_id = o->route53_access_key_id,
		.secret_access_key = o->route53_secret_access_key,
		.session_token = o->route53_session_token,
		.credentials_file = o->route53_credentials_file,
		.home = getenv("HOME"),
		.profile = o->route53_profile,
		.hosted_zone_id = o->route53_hosted_zone_id,
		.private_zone = o->route53_private_zone,
		.endpoint = o->route53_endpoint,
		.ttl = (uint32_t)o->route53_ttl,
		.http = c->http,
	};
	return solver_route53_new(&ro, err, errlen);
}

static struct solver *make_gcloud(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct gcloud_options go = {
		.service_account_file = o->gcloud_service_account_file,
		.project = o->gcloud_project,
		.zone_id = o->gcloud_zone_id,
		.allow_private_zone = o->gcloud_allow_private_zone,
		.base_url = o->gcloud_base_url,
		.ttl = (uint32_t)o->gcloud_ttl,
		.http = c->http,
	};
	return solver_gcloud_new(&go, err, errlen);
}

static struct solver *make_azuredns(struct cli_ctx *c, bool allow_register, char *err, size_t errlen)
{
	const struct cli_options *o = c->opt;
	struct azuredns_options ao = {
		.tenant_id = o->azure_tenant_id,
		.client_id = o->azure_client_id,
		.client_secret = o->azure_client_secret,
		.subscription_id = o->azure_subscription_id,
		.resource_group = o->azure_resource_group,
		.zone_name = o->azure_zone_name,
		.authority_host = o->azure_authority_host,
		.resource_manager = o->azure_resource_manager,
		.ttl = (uint32_t)o->azure_ttl,
		.http = c->http,
	};
	return solver_azuredns_new(&ao, err, errlen);
}

static const struct solver_kind kinds[] = {
	{ "acme-dns", make_acmedns },
	{ "pdns", make_pdns },
	{ "exec", make_exec },
	{ "rfc2136", make_rfc2136 },
	{ "cloudflare", make_cloudflare },
	{ "digitalocean", make_digitalocean },
	{ "hetzner", make_hetzner },
	{ "httpreq", make_httpreq },
	{ "route53", make_route53 },
	{ "gcloud", make_gcloud },
	{ "azuredns", make_azuredns },
};

int cli_solver_new(struct cli_ctx *c, bool allow_register, struct solver **out)
{
	const char *name = c->opt->solver ? c->opt->solver : "acme-dns";
	char err[1024] = "";
	*out = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, name) != 0)
			continue;
		struct solver *s = kinds[i].make(c, allow_register, err, sizeof(err));
		if (!s)
			return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "%s: %s", name, err);
		s->journal = c->journal;
		s->cancel = &cli_cancel;
		*out = s;
		return 0;
	}
	char names[256] = "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "", kinds[i].name);
	return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "--solver %s: unknown (known: %s)", name,
			    names);
}
