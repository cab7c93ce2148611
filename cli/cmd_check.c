/* acme-dns-cli check: the propagation checker on the command line, with a line per server or a JSON report. */
#include "cmd_check.h"

#include "context.h"
#include "propagation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct cli_prop prop;
	cli_prop_init(&prop, o, out);
	for (size_t i = 0; i < n; i++)
		target_init(&t[i], o->domain.v[i], o->value);
	char err[1024] = "";
	int rc = prop_wait(&prop.po, t, n, err, sizeof(err));
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
