/* acme-dns-cli output: human lines on stdout, errors on stderr, one JSON object with --json, progress on stderr. */
#include "output.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_out {
	json_t *obj;            /* the JSON answer being built */
	bool json, quiet;
	bool tty;               /* stderr is a terminal: progress is one rewritten line */
	bool progress_open;     /* a progress line without its newline is on stderr */
	int last_logged;        /* elapsed second last logged per round, to avoid repeats without a terminal */
};

struct cli_out *cli_out_new(const char *command, bool json, bool quiet)
{
	struct cli_out *out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	out->obj = json_object();
	if (!out->obj) {
		free(out);
		return NULL;
	}
	json_object_set_new(out->obj, "command", json_string(command));
	out->json = json;
	out->quiet = quiet;
	out->tty = isatty(STDERR_FILENO) == 1;
	out->last_logged = -1;
	return out;
}

void cli_out_free(struct cli_out *out)
{
	if (!out)
		return;
	json_decref(out->obj);
	free(out);
}

void cli_out_line(struct cli_out *out, const char *fmt, ...)
{
	if (out->json || out->quiet)
		return;
	cli_progress_done(out);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void cli_out_result(struct cli_out *out, const char *result)
{
	json_object_set_new(out->obj, "result", json_string(result));
}

void cli_out_set(struct cli_out *out, const char *key, json_t *value)
{
	if (value)
		json_object_set_new(out->obj, key, value);
}

void cli_out_append(struct cli_out *out, const char *key, json_t *value)
{
	if (!value)
		return;
	json_t *arr = json_object_get(out->obj, key);
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(out->obj, key, arr);
	}
	json_array_append_new(arr, value);
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *cli_out_error_json(const char *kind, const char *type, const char *identifier, const char *detail)
{
	return json_pack("{s:s, s:o, s:o, s:s}", "kind", kind, "type", string_or_null(type), "identifier",
			 string_or_null(identifier), "detail", detail ? detail : "");
}

int cli_out_fail(struct cli_out *out, int code, const char *kind, const char *type, const char *identifier,
		 const char *fmt, ...)
{
	char detail[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	cli_progress_done(out);
	/* Also with --json: stderr is what a CI log shows; stdout stays the one JSON object. */
	if (code == CLI_EXIT_SETUP)
		fprintf(stderr, "acme-dns-cli: setup needed: %s\n", detail);
	else
		fprintf(stderr, "acme-dns-cli: error: %s\n", detail);
	json_object_set_new(out->obj, "error", cli_out_error_json(kind, type, identifier, detail));
	if (!json_object_get(out->obj, "result"))
		cli_out_result(out, "failed");
	return code;
}

json_t *cli_out_take_error(struct cli_out *out)
{
	json_t *e = json_incref(json_object_get(out->obj, "error"));
	json_object_del(out->obj, "error");
	json_object_del(out->obj, "result");
	return e;
}

volatile sig_atomic_t cli_cancel;

int cli_exit_for_acme(enum acme_err kind)
{
	switch (kind) {
	case ACME_OK:
		return CLI_EXIT_OK;
	case ACME_ERR_NET:
	case ACME_ERR_TIMEOUT:
		return CLI_EXIT_NET;
	case ACME_ERR_CA:
		return CLI_EXIT_CA;
	case ACME_ERR_DNS:
		return CLI_EXIT_DNS;
	case ACME_ERR_SETUP:
		return CLI_EXIT_SETUP;
	case ACME_ERR_USAGE:
		return CLI_EXIT_USAGE;
	case ACME_ERR_CANCELLED:
		return CLI_EXIT_CANCELLED;
	default:
		return CLI_EXIT_INTERNAL;
	}
}

int cli_out_acme_fail(struct cli_out *out, const struct acme_error *e)
{
	int code = cli_exit_for_acme(e->kind);
	const char *detail = *e->detail ? e->detail : "no detail";
	if (e->kind == ACME_ERR_CA) {
		/* The problem type and the identifier in the message, unless the detail names them already. */
		bool type = *e->type && !strstr(detail, e->type), id = *e->identifier && !strstr(detail, e->identifier);
		return cli_out_fail(out, code, acme_err_name(e->kind), e->type, e->identifier, "the CA refused%s%s%s%s%s: %s",
				    type || id ? " (" : "", type ? e->type : "", type && id ? ", " : "",
				    id ? e->identifier : "", type || id ? ")" : "", detail);
	}
	return cli_out_fail(out, code, acme_err_name(e->kind), e->type, e->identifier, "%s", detail);
}

static void print_json(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

int cli_out_finish(struct cli_out *out, int code)
{
	cli_progress_done(out);
	if (!json_object_get(out->obj, "result"))
		cli_out_result(out, code == CLI_EXIT_OK ? "done" : "failed");
	json_object_set_new(out->obj, "exit_code", json_integer(code));
	if (out->json)
		print_json(out->obj);
	return code;
}

void cli_out_usage_json(const char *command, const char *detail)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:o}", "command", command ? command : "", "result", "failed",
			      "exit_code", CLI_EXIT_USAGE, "error",
			      cli_out_error_json("usage", NULL, NULL, detail));
	if (o)
		print_json(o);
	json_decref(o);
}

/* ---------- progress ---------- */

static void progress_show(struct cli_out *out, int elapsed_s, const char *text)
{
	if (out->quiet)
		return;
	if (out->tty) {
		/* \033[K clears what a longer previous line left behind. */
		fprintf(stderr, "\r%s\033[K", text);
		fflush(stderr);
		out->progress_open = true;
		return;
	}
	if (elapsed_s == out->last_logged)
		return;
	out->last_logged = elapsed_s;
	log_info("%s", text);
}

void cli_progress_ca(void *ctx, const char *stage, int elapsed_s, int limit_s)
{
	char line[256];
	snprintf(line, sizeof(line), "%s: waiting for the CA: %d/%d s", stage ? stage : "order", elapsed_s, limit_s);
	progress_show(ctx, elapsed_s, line);
}

void cli_progress_dns(void *ctx, int elapsed_s, int timeout_s, size_t missing, const char *first_missing)
{
	char line[512];
	if (missing == 0)
		return;                 /* everything is visible: nothing to wait for */
	snprintf(line, sizeof(line), "waiting for DNS: %zu record%s not visible yet (%s): %d/%d s", missing,
		 missing == 1 ? "" : "s", first_missing ? first_missing : "?", elapsed_s, timeout_s);
	progress_show(ctx, elapsed_s, line);
}

void cli_progress_done(struct cli_out *out)
{
	if (out && out->progress_open) {
		fputc('\n', stderr);
		fflush(stderr);
		out->progress_open = false;
	}
	if (out)
		out->last_logged = -1;
}
