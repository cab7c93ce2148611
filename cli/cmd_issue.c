/* acme-dns-cli issue and renew: account, certificate key, one dns-01 order through acme-dns, files, deploy hook.
 * renew asks the CA's renewalInfo (RFC 9773) first and does nothing when the certificate is not due. */
#include "cmd_issue.h"

#include "account.h"
#include "certs.h"
#include "hook.h"
#include "key.h"
#include "log.h"
#include "solver.h"
#include "solvers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct issue_job {
	const char *cert_name;
	const char *const *names;
	size_t n_names;
	const char *server;
	enum key_type key_type;
	bool key_type_given;            /* --key-type was set: a reused key must be of that type */
	const char *replaces;           /* ARI id of the certificate being replaced, or NULL */
	const char *profile;
	const char *preferred_chain;
	const char *result;             /* "issued" or "renewed" */
};

/* ---------- the certificate object of the JSON answer ---------- */

static json_t *cert_json(struct cli_ctx *c, const char *name, const char *const *names, size_t n,
			 time_t not_before, time_t not_after, const char *serial)
{
	char nb[32], na[32], dir[4096];
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	snprintf(dir, sizeof(dir), "%s/certificates/%s", state_path(c->st), name);
	return json_pack("{s:s, s:o, s:s, s:s, s:o, s:s}", "name", name, "names", list, "not_before",
			 cli_time_format(not_before, nb, sizeof(nb)), "not_after",
			 cli_time_format(not_after, na, sizeof(na)), "serial",
			 serial ? json_string(serial) : json_null(), "dir", dir);
}

/* ---------- key, order, files ---------- */

static int cert_key_for(struct cli_ctx *c, const struct issue_job *j, EVP_PKEY **key)
{
	*key = NULL;
	if (c->opt->reuse_key) {
		*key = cli_cert_load_key(c->st, j->cert_name);
		if (!*key && errno != ENOENT)
			return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL,
					    "certificate %s: privkey.pem cannot be read or parsed", j->cert_name);
		if (*key && j->key_type_given && key_type_of(*key) != (int)j->key_type) {
			EVP_PKEY_free(*key);
			*key = NULL;
			return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL,
					    "certificate %s: --reuse-key keeps a key that is not --key-type %s",
					    j->cert_name, key_type_name(j->key_type));
		}
		if (*key)
			return 0;
		log_info("certificate %s: no privkey.pem to reuse; making a new key", j->cert_name);
	}
	*key = key_generate(j->key_type);
	if (!*key)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "cannot generate a %s key",
				    key_type_name(j->key_type));
	return 0;
}

/* One order; retried once without "replaces" when the CA says that certificate was replaced already. */
static int order_once(struct cli_ctx *c, struct acme *a, struct acme_order_params *p, char **fullchain)
{
	struct acme_error e = { 0 };
	int rc = acme_order_issue(a, p, fullchain, &e);
	if (rc != 0 && p->replaces && e.kind == ACME_ERR_CA && strstr(e.type, "alreadyReplaced")) {
		log_warn("the CA says %s was replaced already; ordering without \"replaces\"", p->replaces);
		p->replaces = NULL;
		memset(&e, 0, sizeof(e));
		rc = acme_order_issue(a, p, fullchain, &e);
	}
	cli_progress_done(c->out);
	return rc == 0 ? 0 : cli_out_acme_fail(c->out, &e);
}

static int run_order(struct cli_ctx *c, struct acme *a, const struct issue_job *j, EVP_PKEY *key, char **fullchain)
{
	json_t *report = NULL;
	struct solver *solver;
	int src = cli_solver_new(c, c->opt->acme_dns_register, &solver);
	if (src != 0)
		return src;
	struct acme_order_params p = {
		.names = j->names,
		.n_names = j->n_names,
		.cert_key = key,
		.replaces = j->replaces,
		.profile = j->profile,
		.preferred_chain = j->preferred_chain,
		.solver = solver,
		.prop = c->opt->skip_propagation ? NULL : &c->prop.po,
		.fixed_wait_s = c->opt->propagation_wait,
		.prop_report = &report,
	};
	log_info("certificate %s: ordering %zu name%s from %s%s%s", j->cert_name, j->n_names, j->n_names == 1 ? "" : "s",
		 j->server, j->replaces ? ", replacing " : "", j->replaces ? j->replaces : "");
	int rc = order_once(c, a, &p, fullchain);
	solver_free(solver);
	if (report)
		cli_out_set(c->out, "propagation", report);   /* the last order's checker report */
	return rc;
}

/* Writes the files and meta.json; *obj gets the certificate object of the answer. */
static int save_cert(struct cli_ctx *c, const struct issue_job *j, EVP_PKEY *key, const char *fullchain,
		     json_t **obj)
{
	char err[1024];
	struct cert_info ci = { 0 };
	if (cert_info_from_pem(fullchain, strlen(fullchain), &ci, err, sizeof(err)) < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL,
				    "certificate %s: the CA's certificate cannot be read: %s", j->cert_name, err);
	int t = key_type_of(key);
	struct cli_cert_meta m = {
		.n_names = j->n_names,
		.key_type = (char *)(t >= 0 ? key_type_name((enum key_type)t) : "unknown"),
		.server = (char *)j->server,
		.ari_id = ci.ari_id,
		.serial = ci.serial_hex,
		.not_before = ci.not_before,
		.not_after = ci.not_after,
		.issued = time(NULL),
		.profile = (char *)j->profile,
		.preferred_chain = (char *)j->preferred_chain,
	};
	for (size_t i = 0; i < j->n_names; i++)
		m.names[i] = (char *)j->names[i];          /* borrowed: m is never cleared */
	int rc = cli_cert_write(c->st, j->cert_name, fullchain, key, &m, err, sizeof(err));
	if (rc == 0)
		*obj = cert_json(c, j->cert_name, j->names, j->n_names, ci.not_before, ci.not_after, ci.serial_hex);
	else
		rc = cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
	cert_info_clear(&ci);
	return rc;
}

/* Account, key, order, files. Returns 0 with *obj set, or an exit code (reported). */
static int issue_run(struct cli_ctx *c, struct acme *a, const struct issue_job *j, json_t **obj)
{
	struct cli_account acc;
	int rc = cli_account_ready(c, a, j->server, &acc);
	cli_account_clear(&acc);
	if (rc != 0)
		return rc;
	if (j->profile && !acme_has_profile(a, j->profile))
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "the CA %s offers no profile \"%s\"",
				    j->server, j->profile);
	EVP_PKEY *key = NULL;
	char *fullchain = NULL;
	if ((rc = cert_key_for(c, j, &key)) == 0 && (rc = run_order(c, a, j, key, &fullchain)) == 0)
		rc = save_cert(c, j, key, fullchain, obj);
	free(fullchain);
	EVP_PKEY_free(key);
	return rc;
}

/* The deploy hook after new files; exit code 9 when it fails. */
static int run_hook(struct cli_ctx *c, const char *hook, const char *cert_name, const char *const *names, size_t n)
{
	char dir[4096], err[512];
	if (!hook)
		return 0;
	snprintf(dir, sizeof(dir), "%s/certificates/%s", state_path(c->st), cert_name);
	log_info("certificate %s: running the deploy hook %s", cert_name, hook);
	if (cli_hook_run(hook, dir, names, n, CLI_HOOK_TIMEOUT_S, err, sizeof(err)) == 0)
		return 0;
	return cli_out_fail(c->out, CLI_EXIT_HOOK, "hook", NULL, NULL, "%s (the certificate files are written)", err);
}

static int resolve_hook(struct cli_ctx *c, char **hook)
{
	char err[512];
	*hook = NULL;
	if (!c->opt->deploy_hook)
		return 0;
	*hook = cli_hook_resolve(c->opt->deploy_hook, err, sizeof(err));
	return *hook ? 0 : cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "%s", err);
}

static void say_done(struct cli_ctx *c, const struct issue_job *j, const json_t *obj)
{
	cli_out_line(c->out, "%s %s: %zu name%s, valid until %s, files in %s", j->result, j->cert_name, j->n_names,
		     j->n_names == 1 ? "" : "s", json_string_value(json_object_get(obj, "not_after")),
		     json_string_value(json_object_get(obj, "dir")));
}

/* ---------- issue ---------- */

int cli_cmd_issue(struct cli_ctx *c)
{
	const struct cli_options *o = c->opt;
	char *name = o->cert_name ? strdup(o->cert_name) : state_cert_name(o->domain.v[0]);
	char *hook = NULL;
	struct acme *a = NULL;
	json_t *obj = NULL;
	int rc = name ? resolve_hook(c, &hook)
		      : cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
	struct issue_job j = {
		.cert_name = name,
		.names = (const char *const *)o->domain.v,
		.n_names = o->domain.n,
		.server = o->server,
		.key_type = (enum key_type)o->key_type,
		.key_type_given = cli_options_given(o, "key-type"),
		.profile = o->profile,
		.preferred_chain = o->preferred_chain,
		.result = "issued",
	};
	if (rc == 0 && (rc = cli_ctx_acme(c, o->server, &a)) == 0 && (rc = issue_run(c, a, &j, &obj)) == 0) {
		cli_out_result(c->out, "issued");
		say_done(c, &j, obj);
		cli_out_set(c->out, "certificate", obj);
		rc = run_hook(c, hook, name, j.names, j.n_names);
	}
	free(hook);
	free(name);
	return rc;
}

/* ---------- renew ---------- */

struct renew_item {
	const char *name;
	struct cli_cert_meta meta;
	struct cert_info ci;            /* of cert.pem */
	json_t *obj;                    /* this certificate's entry in the answer */
};

/* meta.json and cert.pem of the certificate. */
static int renew_read(struct cli_ctx *c, struct renew_item *it)
{
	char err[1024];
	if (cli_cert_read_meta(c->st, it->name, &it->meta, err, sizeof(err)) < 0)
		return cli_out_fail(c->out, errno == ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL,
				    errno == ENOENT ? "usage" : "state", NULL, NULL, "%s", err);
	char *rel = cli_cert_relpath(it->name, "cert.pem");
	size_t len = 0;
	char *pem = rel ? state_read(c->st, rel, &len) : NULL;
	free(rel);
	int rc = pem ? cert_info_from_pem(pem, len, &it->ci, err, sizeof(err)) : -1;
	if (!pem)
		snprintf(err, sizeof(err), "%s", strerror(errno));
	free(pem);
	if (rc < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "certificate %s: cert.pem: %s",
				    it->name, err);
	return 0;
}

/* The CA's renewalInfo window, when it has one for this certificate. Returns true with the window set. */
static bool renew_window(struct cli_ctx *c, struct acme *a, const struct renew_item *it, time_t *start,
			 time_t *end)
{
	if (!acme_has_ari(a) || !it->ci.ari_id)
		return false;
	long retry_after = -1;
	struct acme_error e = { 0 };
	if (acme_renewal_info(a, it->ci.ari_id, start, end, &retry_after, &e) == 0)
		return true;
	log_warn("certificate %s: renewalInfo unavailable (%s); deciding by --days instead", it->name, e.detail);
	return false;
}

static void say_not_due(struct cli_ctx *c, const struct renew_item *it, const struct cli_due_out *due,
			bool window, time_t ws, time_t we)
{
	char when[32], a[32], b[32];
	cli_time_format(due->when, when, sizeof(when));
	if (window)
		cli_out_line(c->out, "%s: not due; renewal due at %s (inside the CA's renewalInfo window %s to %s)",
			     it->name, when, cli_time_format(ws, a, sizeof(a)), cli_time_format(we, b, sizeof(b)));
	else
		cli_out_line(c->out, "%s: not due; renewal due at %s (%d days before it expires at %s)", it->name, when,
			     c->opt->days, cli_time_format(it->ci.not_after, a, sizeof(a)));
	json_object_set_new(it->obj, "due", json_string(when));
	json_object_set_new(it->obj, "due_reason", json_string(due->why));
}

/* Whether the certificate is due; reports when it is not. */
static bool renew_due(struct cli_ctx *c, struct acme *a, struct renew_item *it)
{
	struct cli_due_in in = {
		.now = time(NULL),
		.not_after = it->ci.not_after,
		.days = c->opt->days,
		.force = c->opt->force || it->meta.revoked != 0,
		.pick = cli_due_random(),
	};
	if (!in.force)
		in.have_window = renew_window(c, a, it, &in.window_start, &in.window_end);
	struct cli_due_out due;
	cli_due(&in, &due);
	if (due.due)
		log_info("certificate %s: due (%s)", it->name, it->meta.revoked ? "revoked" : due.why);
	else
		say_not_due(c, it, &due, in.have_window, in.window_start, in.window_end);
	return due.due;
}

static void renew_job(struct cli_ctx *c, const struct renew_item *it, const char *server, struct acme *a,
		      struct issue_job *j)
{
	const struct cli_options *o = c->opt;
	enum key_type kt = KEY_EC256;
	if (cli_options_given(o, "key-type"))
		kt = (enum key_type)o->key_type;
	else if (!it->meta.key_type || key_type_parse(it->meta.key_type, &kt) < 0)
		kt = KEY_EC256;
	bool same_ca = strcmp(server, it->meta.server) == 0;
	*j = (struct issue_job){
		.cert_name = it->name,
		.names = (const char *const *)it->meta.names,
		.n_names = it->meta.n_names,
		.server = server,
		.key_type = kt,
		.key_type_given = cli_options_given(o, "key-type"),
		.replaces = acme_has_ari(a) && same_ca ? it->ci.ari_id : NULL,
		.profile = cli_options_given(o, "profile") ? o->profile : it->meta.profile,
		.preferred_chain = cli_options_given(o, "preferred-chain") ? o->preferred_chain : it->meta.preferred_chain,
		.result = "renewed",
	};
}

/* One certificate: read, decide, renew, hook. Returns 0 renewed, CLI_EXIT_NOT_DUE, or an exit code (reported). */
static int renew_one(struct cli_ctx *c, struct renew_item *it, const char *hook)
{
	int rc = renew_read(c, it);
	if (rc != 0)
		return rc;
	/* An explicit --server moves the certificate to that CA; otherwise it stays with the one that issued it. */
	const char *server = cli_options_given(c->opt, "server") ? c->opt->server : it->meta.server;
	it->obj = cert_json(c, it->name, (const char *const *)it->meta.names, it->meta.n_names, it->ci.not_before,
			    it->ci.not_after, it->ci.serial_hex);
	struct acme *a = NULL;
	if ((rc = cli_ctx_acme(c, server, &a)) != 0)
		return rc;
	if (!renew_due(c, a, it))
		return CLI_EXIT_NOT_DUE;
	struct issue_job j;
	json_t *obj = NULL;
	renew_job(c, it, server, a, &j);
	if ((rc = issue_run(c, a, &j, &obj)) != 0)
		return rc;
	json_decref(it->obj);
	it->obj = obj;
	say_done(c, &j, obj);
	return run_hook(c, hook, it->name, j.names, j.n_names);
}

static const char *renew_result(int rc)
{
	return rc == 0 ? "renewed" : rc == CLI_EXIT_NOT_DUE ? "not_due" : rc == CLI_EXIT_HOOK ? "renewed" : "failed";
}

/* Renews name; its entry goes to "certificate" (single) or "certificates" (--all). Returns its code. */
static int renew_entry(struct cli_ctx *c, const char *name, const char *hook, json_t **first_error)
{
	struct renew_item it = { .name = name };
	int rc = renew_one(c, &it, hook);
	if (!it.obj)
		it.obj = json_pack("{s:s}", "name", name);
	json_object_set_new(it.obj, "result", json_string(renew_result(rc)));
	if (rc != 0 && rc != CLI_EXIT_NOT_DUE) {
		json_t *e = cli_out_take_error(c->out);
		if (e && !*first_error)
			*first_error = json_incref(e);
		if (e)
			json_object_set_new(it.obj, "error", e);
	}
	if (c->opt->all)
		cli_out_append(c->out, "certificates", it.obj);
	else
		cli_out_set(c->out, "certificate", it.obj);
	cli_meta_clear(&it.meta);
	cert_info_clear(&it.ci);
	return rc;
}

/* The certificates to look at: --cert-name, or every one with a meta.json (revoked ones left out). */
static int renew_list(struct cli_ctx *c, char ***names, int *n)
{
	char err[1024];
	if (!c->opt->all) {
		*names = calloc(1, sizeof(**names));
		if (!*names || !((*names)[0] = strdup(c->opt->cert_name)))
			return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "internal", NULL, NULL, "out of memory");
		*n = 1;
		return 0;
	}
	*n = cli_cert_list(c->st, names, err, sizeof(err));
	if (*n < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
	if (*n == 0)
		log_info("no certificates in %s/certificates", state_path(c->st));
	return 0;
}

static bool revoked_skip(struct cli_ctx *c, const char *name)
{
	char err[1024];
	struct cli_cert_meta m;
	if (!c->opt->all || cli_cert_read_meta(c->st, name, &m, err, sizeof(err)) < 0)
		return false;
	bool revoked = m.revoked != 0;
	cli_meta_clear(&m);
	if (revoked)
		log_info("certificate %s: revoked; renew --all leaves it alone (renew --cert-name %s renews it)", name,
			 name);
	return revoked;
}

int cli_cmd_renew(struct cli_ctx *c)
{
	char **names = NULL, *hook = NULL;
	int n = 0, rc = resolve_hook(c, &hook);
	if (rc == 0)
		rc = renew_list(c, &names, &n);
	if (rc != 0) {
		free(hook);
		return rc;
	}
	int worst = 0, renewed = 0;
	json_t *first_error = NULL;
	for (int i = 0; i < n; i++) {
		if (revoked_skip(c, names[i]))
			continue;
		int r = renew_entry(c, names[i], hook, &first_error);
		renewed += r == 0 || r == CLI_EXIT_HOOK;
		if (r != 0 && r != CLI_EXIT_NOT_DUE && worst == 0)
			worst = r;
	}
	rc = worst ? worst : renewed ? 0 : CLI_EXIT_NOT_DUE;
	/* A failed hook still leaves a renewed certificate behind: exit code 9, result "renewed". */
	cli_out_result(c->out, worst && worst != CLI_EXIT_HOOK ? "failed" : renewed ? "renewed" : "not_due");
	cli_out_set(c->out, "error", first_error);
	cli_cert_names_free(names, n);
	free(hook);
	return rc;
}
