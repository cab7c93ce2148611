/* acme-dns-cli check: the propagation checker on the command line, with a line per server or a JSON report. */
#include "cmd_check.h"

#include "log.h"
#include "propagation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_progress {
	struct cli_out *out;
	int timeout_s;
};

/* After each round: how many servers still lag, and the first of them. */
static void check_progress(void *ctx, const struct prop_target *t, size_t n, int round, int elapsed_s)
{
	struct check_progress *p = ctx;
	size_t lagging = 0;
	const char *first = "";
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < t[i].n_servers; s++)
			if (t[i].servers[s].state != PROP_HAS_ALL && lagging++ == 0)
				first = t[i].servers[s].detail;
	cli_progress_dns(p->out, elapsed_s, p->timeout_s, lagging, first);
	log_debug("check: round %d: %zu server%s lagging", round, lagging, lagging == 1 ? "" : "s");
}

static void target_init(struct prop_target *t, const char *domain, const char *value)
{
	memset(t, 0, sizeof(*t));
	if (strncmp(domain, "*.", 2) == 0)
		domain += 2;
	snprintf(t->name, sizeof(t->name), "_acme-challenge.%s", domain);
	if (value)
		t->values[t->n_values++] = value;
}

static void target_print(struct cli_out *out, const struct prop_target *t)
{
	cli_out_line(out, "%s -> %s (zone %s, negative TTL %u s): %s", t->name, t->final, t->zone, t->negative_ttl,
		     t->done ? "every server answers" : "not everywhere yet");
	for (size_t s = 0; s < t->n_servers; s++) {
		const struct prop_server *sv = &t->servers[s];
		char prefix[PROP_NAME_MAX + 80];
		snprintf(prefix, sizeof(prefix), "%s %s: ", sv->ns, sv->addr);
		const char *detail = sv->detail;
		if (strncmp(detail, prefix, strlen(prefix)) == 0)
			detail += strlen(prefix);       /* the detail may already name the server */
		cli_out_line(out, "  %-10s %s %s%s%s", prop_state_name(sv->state), sv->ns, sv->addr, detail[0] ? ": " : "",
			     detail);
	}
}

int cli_cmd_check(const struct cli_options *o, struct cli_out *out)
{
	size_t n = o->domain.n;
	struct prop_target *t = calloc(n, sizeof(*t));
	if (!t)
		return cli_out_fail(out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	struct check_progress prog = { out, o->propagation_timeout };
	struct prop_opts po = { .timeout_s = o->propagation_timeout, .interval_s = o->propagation_interval,
				.progress = check_progress, .progress_ctx = &prog, .cancel = &cli_cancel };
	for (size_t i = 0; i < o->dns_resolvers.n && i < 8; i++)
		po.resolvers[po.n_resolvers++] = o->dns_resolvers.v[i];
	for (size_t i = 0; i < n; i++)
		target_init(&t[i], o->domain.v[i], o->value);
	char err[1024] = "";
	int rc = prop_wait(&po, t, n, err, sizeof(err));
	cli_progress_done(out);
	for (size_t i = 0; i < n; i++)
		if (t[i].n_servers)
			target_print(out, &t[i]);
	cli_out_set(out, "propagation", prop_report_json(t, n));
	free(t);
	if (rc == 0) {
		cli_out_result(out, "propagated");
		return CLI_EXIT_OK;
	}
	if (cli_cancel)
		return cli_out_fail(out, CLI_EXIT_CANCELLED, "cancelled", NULL, NULL, "%s", err);
	return cli_out_fail(out, CLI_EXIT_DNS, "dns", NULL, NULL, "%s", err);
}
