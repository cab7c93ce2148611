/* The run context of acme-dns-cli: state directory lock, HTTP client, DNS check settings, ACME client. */
#include "context.h"

#include "journal.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int open_state(struct cli_ctx *c)
{
	char err[512];
	char *dir = state_default_dir(c->opt->state_dir);
	if (!dir)
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
				    "no state directory: give --state-dir or ACME_DNS_STATE_DIR (HOME is not set)");
	c->st = state_open(dir, c->opt->lock_timeout, err, sizeof(err));
	int saved = errno;
	free(dir);
	if (c->st)
		return 0;
	if (saved == EWOULDBLOCK || strstr(err, "locked by another run"))
		return cli_out_fail(c->out, CLI_EXIT_LOCKED, "locked", NULL, NULL, "%s", err);
	return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
}

/* The acme-dns accounts file: --acme-dns-storage, else STATE/acme-dns/accounts.json (its folder made here, since
 * the adapter writes the file but makes no folders). */
static int make_storage_path(struct cli_ctx *c)
{
	if (c->opt->acme_dns_storage) {
		c->storage_path = strdup(c->opt->acme_dns_storage);
		return c->storage_path ? 0 : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	}
	size_t n = strlen(state_path(c->st)) + sizeof("/acme-dns/accounts.json");
	if (!(c->storage_path = malloc(n)))
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	snprintf(c->storage_path, n, "%s/acme-dns", state_path(c->st));
	if (mkdir(c->storage_path, 0700) != 0 && errno != EEXIST)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s: %s", c->storage_path,
				    strerror(errno));
	snprintf(c->storage_path, n, "%s/acme-dns/accounts.json", state_path(c->st));
	return 0;
}

static void fill_dns(struct cli_ctx *c)
{
	const struct cli_options *o = c->opt;
	for (size_t i = 0; i < o->dns_resolvers.n && i < DNSCHECK_MAX_RESOLVERS; i++)
		c->dns.resolvers[i] = o->dns_resolvers.v[i];
	c->dns.n_resolvers = o->dns_resolvers.n < DNSCHECK_MAX_RESOLVERS ? o->dns_resolvers.n : DNSCHECK_MAX_RESOLVERS;
	c->dns.timeout_s = o->propagation_timeout;
	c->dns.interval_s = o->propagation_interval;
	c->dns.progress = cli_progress_dns;
	c->dns.progress_ctx = c->out;
	c->dns.cancel = &cli_cancel;
}

/* After each round of the checker: how many servers still lag, and the first of them. */
static void prop_progress(void *ctx, const struct prop_target *t, size_t n, int round, int elapsed_s)
{
	struct cli_prop *p = ctx;
	size_t lagging = 0;
	const char *first = "";
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < t[i].n_servers; s++)
			if (t[i].servers[s].state != PROP_HAS_ALL && lagging++ == 0)
				first = t[i].servers[s].detail;
	cli_progress_dns(p->out, elapsed_s, p->timeout_s, lagging, first);
	log_debug("propagation: round %d: %zu server%s lagging", round, lagging, lagging == 1 ? "" : "s");
}

void cli_prop_init(struct cli_prop *p, const struct cli_options *o, struct cli_out *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->timeout_s = o->propagation_timeout;
	p->po = (struct prop_opts){ .timeout_s = o->propagation_timeout, .interval_s = o->propagation_interval,
				    .port = (uint16_t)o->authoritative_port, .serials_must_match = o->propagation_serial,
				    .check_resolvers = o->check_resolvers, .progress = prop_progress,
				    .progress_ctx = p, .cancel = &cli_cancel };
	for (size_t i = 0; i < o->dns_resolvers.n && i < sizeof(p->po.resolvers) / sizeof(p->po.resolvers[0]); i++)
		p->po.resolvers[p->po.n_resolvers++] = o->dns_resolvers.v[i];
}

int cli_ctx_open(struct cli_ctx *c, const struct cli_options *o, struct cli_out *out)
{
	memset(c, 0, sizeof(*c));
	c->opt = o;
	c->out = out;
	cli_prop_init(&c->prop, o, out);
	int rc = open_state(c);
	if (rc != 0)
		return rc;
	if ((rc = make_storage_path(c)) != 0)
		return rc;
	if (!(c->journal = journal_new(c->st)))
		return cli_out_fail(out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	struct http_options ho = { .ca_file = o->ca_file };
	c->http = http_client_new(&ho);
	if (!c->http)
		return cli_out_fail(out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "cannot set up the HTTP client");
	fill_dns(c);
	return 0;
}

void cli_ctx_close(struct cli_ctx *c)
{
	acme_free(c->acme);
	free(c->acme_server);
	for (size_t i = 0; i < c->n_keys; i++)
		EVP_PKEY_free(c->keys[i]);
	free(c->keys);
	http_client_free(c->http);
	journal_free(c->journal);
	free(c->storage_path);
	state_close(c->st);
	memset(c, 0, sizeof(*c));
}

int cli_ctx_acme(struct cli_ctx *c, const char *server, struct acme **a)
{
	if (c->acme && strcmp(c->acme_server, server) == 0) {
		*a = c->acme;
		return 0;
	}
	acme_free(c->acme);
	free(c->acme_server);
	c->acme = NULL;
	if (!(c->acme_server = strdup(server)))
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	struct acme_options ao = {
		.directory_url = server,
		.http = c->http,
		.timeout_s = c->opt->timeout,
		.progress = cli_progress_ca,
		.progress_ctx = c->out,
		.cancel = &cli_cancel,
	};
	struct acme_error e = { 0 };
	log_debug("CA directory %s", server);
	if (strncmp(server, "http://", 7) == 0)
		log_warn("CA directory %s: plain http (RFC 8555 requires https; for test CAs only)", server);
	c->acme = acme_new(&ao, &e);
	if (!c->acme)
		return cli_out_acme_fail(c->out, &e);
	*a = c->acme;
	return 0;
}

int cli_ctx_hold_key(struct cli_ctx *c, EVP_PKEY *key)
{
	EVP_PKEY **k = realloc(c->keys, (c->n_keys + 1) * sizeof(*k));
	if (!k || EVP_PKEY_up_ref(key) != 1) {
		if (k)
			c->keys = k;
		return -1;
	}
	c->keys = k;
	c->keys[c->n_keys++] = key;
	return 0;
}

void cli_ctx_acmedns(const struct cli_ctx *c, struct acmedns_options *ao, bool allow_register)
{
	memset(ao, 0, sizeof(*ao));
	ao->api_url = c->opt->acme_dns_api;
	ao->storage_path = c->storage_path;
	ao->http = c->http;
	ao->dns = &c->dns;
	ao->allow_register = allow_register;
	/* With --skip-propagation our resolvers may not see the names at all (split horizon): trust the CNAME too. */
	ao->skip_cname_check = c->opt->skip_propagation;
}
