/* acme-dns-cli register (an acme-dns account per domain, and the CNAME that delegates its challenge name) and
 * update (one TXT value by hand). */
#include "cmd_register.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The domain without "*.": register and update work on the challenge name, shared by a wildcard and its base. */
static const char *base_domain(const char *name)
{
	return strncmp(name, "*.", 2) == 0 ? name + 2 : name;
}

/* The domains of -d without "*.", duplicates merged. Returns the count; pointers into o. */
static size_t base_domains(const struct cli_options *o, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < o->domain.n; i++) {
		const char *d = base_domain(o->domain.v[i]);
		size_t k = 0;
		while (k < n && strcmp(out[k], d) != 0)
			k++;
		if (k == n)
			out[n++] = d;
	}
	return n;
}

/* Whether the CNAME is in DNS already: true, false, or JSON null when no resolver answered (or not asked). */
static json_t *cname_in_place(struct cli_ctx *c, const char *domain, const char *target)
{
	char name[300], found[300], err[256];
	if (c->opt->skip_propagation)
		return json_null();
	snprintf(name, sizeof(name), "_acme-challenge.%s", domain);
	int rc = dnscheck_cname(&c->dns, name, found, sizeof(found), err, sizeof(err));
	if (rc < 0) {
		log_warn("%s: cannot tell whether the CNAME is in place: %s", name, err);
		return json_null();
	}
	return json_boolean(rc == 1 && strcasecmp(found, target) == 0);
}

/* "_acme-challenge.example.com. CNAME x.auth.example.org." as {domain, name, type, target, new, in_place}. */
static json_t *record_json(struct cli_ctx *c, const char *domain, const char *cname, bool created)
{
	char name[300] = "", target[300] = "";
	const char *sep = strstr(cname, " CNAME ");
	if (sep) {
		snprintf(name, sizeof(name), "%.*s", (int)(sep - cname), cname);
		snprintf(target, sizeof(target), "%s", sep + 7);
	}
	size_t tl = strlen(target);
	char bare[300];
	snprintf(bare, sizeof(bare), "%.*s", (int)(tl && target[tl - 1] == '.' ? tl - 1 : tl), target);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "domain", domain, "record", cname, "name", name,
			 "type", "CNAME", "target", target, "new", created, "in_place", cname_in_place(c, domain, bare));
}

int cli_cmd_register(struct cli_ctx *c)
{
	const char *domains[CLI_LIST_MAX];
	size_t n = base_domains(c->opt, domains);
	struct acmedns_options ao;
	cli_ctx_acmedns(c, &ao, true);
	for (size_t i = 0; i < n; i++) {
		char cname[600], err[1024];
		int rc = acmedns_register(&ao, domains[i], cname, sizeof(cname), err, sizeof(err));
		if (rc < 0)
			return cli_out_fail(c->out, CLI_EXIT_DNS, "dns", NULL, domains[i], "%s", err);
		log_info("%s: %s", domains[i], rc == 1 ? "new acme-dns account" : "acme-dns account exists already");
		json_t *rec = record_json(c, domains[i], cname, rc == 1);
		bool in_place = json_is_true(json_object_get(rec, "in_place"));
		cli_out_line(c->out, "%s%s", cname, in_place ? " ; in place already" : "");
		cli_out_append(c->out, "records", rec);
	}
	cli_out_result(c->out, "registered");
	return 0;
}

int cli_cmd_update(struct cli_ctx *c)
{
	const char *domain = base_domain(c->opt->domain.v[0]);
	struct acmedns_options ao;
	char err[1024];
	cli_ctx_acmedns(c, &ao, false);
	if (acmedns_update(&ao, domain, c->opt->value, err, sizeof(err)) < 0) {
		/* The adapter's one error for "no account" tells the user to register: that is setup, not DNS. */
		int code = strstr(err, "no account for") ? CLI_EXIT_SETUP : CLI_EXIT_DNS;
		return cli_out_fail(c->out, code, code == CLI_EXIT_SETUP ? "setup" : "dns", NULL, domain, "%s", err);
	}
	cli_out_result(c->out, "updated");
	cli_out_append(c->out, "records", json_pack("{s:s, s:s+, s:s, s:s}", "domain", domain, "name", "_acme-challenge.",
						  domain, "type", "TXT", "value", c->opt->value));
	cli_out_line(c->out, "updated the TXT value of _acme-challenge.%s", domain);
	return 0;
}
