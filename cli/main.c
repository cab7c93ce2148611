/* acme-dns-cli: reads the options, opens the state directory, runs one command, exits with its documented code. */
#include "cmd_account.h"
#include "cmd_check.h"
#include "cmd_cleanup.h"
#include "cmd_delegation.h"
#include "cmd_issue.h"
#include "cmd_register.h"
#include "cmd_revoke.h"
#include "context.h"
#include "log.h"
#include "options.h"
#include "output.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#ifndef ADNS_VERSION
#define ADNS_VERSION "0.1"
#endif

extern char **environ;

static int dispatch(struct cli_ctx *c)
{
	switch (c->opt->cmd) {
	case CLI_CMD_REGISTER:
		return cli_cmd_register(c);
	case CLI_CMD_ISSUE:
		return cli_cmd_issue(c);
	case CLI_CMD_RENEW:
		return cli_cmd_renew(c);
	case CLI_CMD_REVOKE:
		return cli_cmd_revoke(c);
	case CLI_CMD_ACCOUNT:
		return cli_cmd_account(c);
	case CLI_CMD_UPDATE:
		return cli_cmd_update(c);
	case CLI_CMD_DELEGATION:
		return cli_cmd_delegation(c);
	case CLI_CMD_CLEANUP:
		return cli_cmd_cleanup(c);
	default:
		return cli_out_fail(c->out, CLI_EXIT_USAGE, "usage", NULL, NULL, "no command");
	}
}

static int run(const struct cli_options *o)
{
	struct cli_out *out = cli_out_new(cli_cmd_name(o->cmd), o->json, o->quiet);
	if (!out) {
		fprintf(stderr, "acme-dns-cli: error: out of memory\n");
		return CLI_EXIT_INTERNAL;
	}
	int rc;
	if (o->cmd == CLI_CMD_CHECK) {
		rc = cli_cmd_check(o, out);     /* reads DNS only: no state directory, no lock */
	} else {
		struct cli_ctx c;
		rc = cli_ctx_open(&c, o, out);
		if (rc == 0)
			rc = dispatch(&c);
		/* The lock goes before the answer is printed: a caller that starts the next run on our output finds it
		 * free. */
		cli_ctx_close(&c);
	}
	rc = cli_out_finish(out, rc);
	cli_out_free(out);
	return rc;
}

/* Signal handlers only set a flag: the waits see it, the order unwinds, its records are removed. */
static void on_stop_signal(int sig)
{
	(void)sig;
	cli_cancel = 1;
}

static void stop_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;                /* no SA_RESTART: a sleep ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct cli_options o;
	char err[1024] = "";
	/* A closed pipe on stdout must be an error we see, not a signal that kills us halfway through a write. */
	signal(SIGPIPE, SIG_IGN);
	enum cli_parse p = cli_options_parse(argc, argv, environ, &o, err, sizeof(err));
	int rc = CLI_EXIT_OK;
	if (p == CLI_PARSE_ERROR) {
		fprintf(stderr, "acme-dns-cli: %s\n", err);
		if (cli_options_wants_json(argc, argv, environ))
			cli_out_usage_json(cli_cmd_name(o.cmd), err);
		rc = CLI_EXIT_USAGE;
	} else if (p == CLI_PARSE_HELP) {
		cli_options_help(stdout, o.help_cmd);
	} else if (p == CLI_PARSE_VERSION) {
		printf("acme-dns-cli %s\n", ADNS_VERSION);
	} else {
		log_setup((enum log_level)o.log_level, 0);
		stop_signals_catch();
		rc = run(&o);
	}
	cli_options_free(&o);
	return rc;
}
