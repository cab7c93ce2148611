/* The solver --solver names, built from the options, with the state directory's journal attached. */
#ifndef ADNS_CLI_SOLVERS_H
#define ADNS_CLI_SOLVERS_H

#include "context.h"
#include "solver.h"

#include <stdbool.h>

/* Builds the solver of c->opt->solver (default acme-dns). allow_register: the acme-dns adapter may register a
 * domain that has no account. Returns 0 with *out set (free with solver_free), or an exit code (reported). */
int cli_solver_new(struct cli_ctx *c, bool allow_register, struct solver **out);

#endif
