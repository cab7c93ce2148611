/* What acme-dns-cli tells its caller: exit codes, short human lines or one JSON object, progress while waiting. */
#ifndef ADNS_CLI_OUTPUT_H
#define ADNS_CLI_OUTPUT_H

#include "acme.h"

#include <jansson.h>

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>

/* Set by the SIGINT/SIGTERM handler; the waits in lib/ watch it. */
extern volatile sig_atomic_t cli_cancel;

/* The documented exit codes (cli/README.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_INTERNAL = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOT_DUE = 3,
	CLI_EXIT_DNS = 4,
	CLI_EXIT_CA = 5,
	CLI_EXIT_SETUP = 6,
	CLI_EXIT_NET = 7,
	CLI_EXIT_LOCKED = 8,
	CLI_EXIT_HOOK = 9,
	CLI_EXIT_CANCELLED = 10,     /* SIGINT/SIGTERM: the order stopped, its records were removed */
};

struct cli_out;

/* A new reporter for command (e.g. "issue"); json: one object on stdout at the end; quiet: no human lines and
 * no progress. Returns NULL when out of memory; free with cli_out_free. */
struct cli_out *cli_out_new(const char *command, bool json, bool quiet);
/* Frees out. NULL is fine. */
void cli_out_free(struct cli_out *out);

/* One short human line on stdout (nothing with --json or --quiet). */
void cli_out_line(struct cli_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the "result" word of the JSON object ("issued", "not_due", ...). */
void cli_out_result(struct cli_out *out, const char *result);
/* Sets key of the JSON object to value (reference stolen; NULL is ignored). */
void cli_out_set(struct cli_out *out, const char *key, json_t *value);
/* Appends value (reference stolen) to the array at key, creating it. */
void cli_out_append(struct cli_out *out, const char *key, json_t *value);

/* Reports a failure: a line on stderr, and the "error" member {kind,type,identifier,detail} (type and identifier
 * may be NULL). Returns code, for `return cli_out_fail(...)`. */
int cli_out_fail(struct cli_out *out, int code, const char *kind, const char *type, const char *identifier,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Removes the "error" member and the "result" word and returns the error (new reference, NULL when none): for
 * renew --all, where each certificate carries its own. */
json_t *cli_out_take_error(struct cli_out *out);
/* Reports an ACME library error with the exit code for its kind; returns that code. */
int cli_out_acme_fail(struct cli_out *out, const struct acme_error *e);
/* The exit code for an error kind of the ACME library. */
int cli_exit_for_acme(enum acme_err kind);
/* The error member for e as a new JSON object (for per-certificate results of renew --all). */
json_t *cli_out_error_json(const char *kind, const char *type, const char *identifier, const char *detail);

/* Ends the run: prints the JSON object (with "exit_code") when --json was given. Returns code. */
int cli_out_finish(struct cli_out *out, int code);
/* Prints a JSON error object for a run whose options could not be read (usage errors with --json). */
void cli_out_usage_json(const char *command, const char *detail);

/* Progress callbacks for acme_options.progress and dnscheck_opts.progress; ctx is the struct cli_out. On a
 * terminal one line on stderr is rewritten in place, else one log line per round. */
void cli_progress_ca(void *ctx, const char *stage, int elapsed_s, int limit_s);
void cli_progress_dns(void *ctx, int elapsed_s, int timeout_s, size_t missing, const char *first_missing);
/* Ends an open progress line (call when the wait is over, before other output). */
void cli_progress_done(struct cli_out *out);

#endif
