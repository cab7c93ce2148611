/* Secret files: refused when other users may read or change them, with the fix in the message; the group is
 * the owner's business (a BIND key file is often 0640 root:bind). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "secretfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char file[4096];

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(file, sizeof(file), "%s/test_secretfile.XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(file);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	return unlink(file);
}

static void test_modes(void **state)
{
	char err[512];
	static const struct {
		mode_t mode;
		int rc;
		const char *says;
	} cases[] = {
		{ 0600, 0, NULL }, { 0400, 0, NULL }, { 0640, 0, NULL }, { 0660, 0, NULL },
		{ 0644, -1, "other users may read it (mode 0644): chmod o-rwx " },
		{ 0604, -1, "other users may read it (mode 0604)" },
		{ 0602, -1, "other users may change it (mode 0602)" },
		{ 0666, -1, "other users may read it (mode 0666)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(chmod(file, cases[i].mode), 0);
		err[0] = '\0';
		assert_int_equal(secret_path_check(file, err, sizeof(err)), cases[i].rc);
		int fd = open(file, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(secret_fd_check(fd, file, err, sizeof(err)), cases[i].rc);
		close(fd);
		if (cases[i].says) {
			assert_non_null(strstr(err, cases[i].says));
			assert_non_null(strstr(err, file));
		}
	}
}

static void test_missing(void **state)
{
	char err[512] = "", path[4200];
	snprintf(path, sizeof(path), "%s.gone", file);
	assert_int_equal(secret_path_check(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
