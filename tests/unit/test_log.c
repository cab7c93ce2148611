/* Logging: text and JSON lines, including messages whose JSON escaping makes them far longer than they were. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr sent to a temporary file; returns what was written (malloc'd). */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/adns-log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)len + 1);
	assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
	close(fd);
	unlink(path);
	return buf;
}

static void log_escaped(void)
{
	char m[1000];
	memset(m, 1, sizeof(m) - 1);                 /* every byte becomes \u0001 in JSON: six times longer */
	m[sizeof(m) - 1] = '\0';
	log_setup(LOG_LVL_INFO, 1);
	log_msg(LOG_LVL_INFO, "%s", m);
}

static void test_json_long_escaped_line(void **state)
{
	char *out = capture(log_escaped);
	size_t len = strlen(out);
	assert_true(len > 5000);
	assert_int_equal(out[len - 1], '\n');
	json_error_t err;
	json_t *o = json_loadb(out, len - 1, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "msg"))), 999);
	json_decref(o);
	free(out);
}

static void log_levels(void)
{
	log_setup(LOG_LVL_WARN, 0);
	log_msg(LOG_LVL_INFO, "hidden");
	log_msg(LOG_LVL_ERROR, "shown %d", 7);
}

static void test_text_threshold(void **state)
{
	char *out = capture(log_levels);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, " error shown 7\n"));
	assert_int_equal(log_level_parse("warn"), LOG_LVL_WARN);
	assert_int_equal(log_level_parse("loud"), -1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_long_escaped_line),
		cmocka_unit_test(test_text_threshold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
