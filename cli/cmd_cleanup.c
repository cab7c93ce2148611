/* acme-dns-cli cleanup --stale: a run that was killed (or whose machine died) between creating its challenge
 * records and removing them leaves them in its journal. This removes exactly those, through the solver that made
 * them, and strikes each off once it is gone. The state directory's lock is held, so no live run is touched. */
#include "cmd_cleanup.h"

#include "journal.h"
#include "log.h"
#include "solvers.h"

#include <stdlib.h>
#include <string.h>

static json_t *entry_json(const struct journal_entry *e, const char *state)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "solver", e->solver, "where", e->where,
			 "fqdn", e->fqdn, "target", e->target, "zone", e->zone, "value", e->value, "created",
			 (json_int_t)e->created, "pid", (json_int_t)e->pid, "state", state);
}

int cli_cmd_cleanup(struct cli_ctx *c)
{
	struct journal_entry *e = NULL;
	size_t n = 0;
	char err[1024] = "";
	if (journal_list(c->journal, &e, &n, err, sizeof(err)) < 0)
		return cli_out_fail(c->out, CLI_EXIT_INTERNAL, "state", NULL, NULL, "%s", err);
	if (err[0])
		log_warn("%s", err);
	if (n == 0) {
		cli_out_line(c->out, "nothing to clean up: the journal is empty");
		cli_out_set(c->out, "records", json_array());
		cli_out_result(c->out, "clean");
		journal_entries_free(e, n);
		return CLI_EXIT_OK;
	}
	struct solver *s;
	int rc = cli_solver_new(c, false, &s);
	if (rc != 0) {
		journal_entries_free(e, n);
		return rc;
	}
	size_t removed = 0, left = 0;
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct journal_entry *x = &e[i];
		const char *state;
		if (strcmp(x->solver, s->ops->name) != 0) {
			state = "other-solver";
			log_warn("%s %s was made by solver %s (%s): run cleanup --stale --solver %s", x->target, x->value,
				 x->solver, x->where, x->solver);
		} else {
			struct solver_record r = { .domain = x->domain, .fqdn = x->fqdn, .value = x->value,
						   .target = x->target, .zone = x->zone[0] ? x->zone : NULL };
			if (x->where[0] && s->where && strcmp(x->where, s->where) != 0)
				log_warn("%s %s was written to %s; removing it through %s", x->target, x->value, x->where,
					 s->where);
			/* One at a time: a record that cannot be removed must not keep the others listed. */
			if (solver_cleanup(s, &r, 1, err, sizeof(err)) == 0) {
				state = "removed";
				cli_out_line(c->out, "removed %s TXT \"%s\" (%s, left by pid %ld)", x->target, x->value,
					     x->solver, x->pid);
			} else {
				state = "failed";
				log_error("%s %s: %s", x->target, x->value, err);
			}
		}
		removed += strcmp(state, "removed") == 0;
		left += strcmp(state, "removed") != 0;
		json_array_append_new(list, entry_json(x, state));
	}
	solver_free(s);
	journal_entries_free(e, n);
	cli_out_set(c->out, "records", list);
	if (left)
		return cli_out_fail(c->out, CLI_EXIT_DNS, "dns", NULL, NULL,
				    "%zu stale record%s removed, %zu still listed in the journal", removed,
				    removed == 1 ? "" : "s", left);
	cli_out_result(c->out, "cleaned");
	return CLI_EXIT_OK;
}
