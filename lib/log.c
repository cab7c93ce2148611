/* Logging: a level threshold, text or JSON lines, written with one write(2) so threads never interleave. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_LVL_INFO;
static int log_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_setup(enum log_level level, int json)
{
	log_threshold = level;
	log_json = json;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

static void log_write_line(const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < log_threshold)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[64];
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

	if (log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", when, "level", level_names[level], "msg", msg);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		size_t n = s ? strlen(s) : 0;
		char *line = s ? realloc(s, n + 2) : NULL;   /* escaping can make the JSON far longer than msg */
		if (line) {
			line[n] = '\n';
			log_write_line(line, n + 1);    /* one write, so threads never interleave */
			s = line;
		}
		free(s);
		json_decref(o);
		return;
	}
	char line[1200];
	int len = snprintf(line, sizeof(line), "%s %s %s\n", when, level_names[level], msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1, line[len - 1] = '\n';
	log_write_line(line, (size_t)len);
}
