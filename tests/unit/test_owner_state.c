/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_owner_state.c: the sticky owners' file on disk, in a temporary
 * directory: atomic save, load, and every way a file is not trusted.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "owner_state.h"

#include "fault.h"

static char	 dir[64];
static char	 path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_owner_state.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/owners", dir);
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *p, const char *text, mode_t mode)
{
	int	 fd;

	(void)unlink(p);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode)) != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_owner_state_missing_then_round_trip(void **state)
{
	struct owner_sticky	*t, *u;
	struct stat		 st;
	char			 err[256], tmp[160];
	uint32_t		 uid;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_MISSING);
	assert_int_equal(owner_sticky_claim(t, "rabbit", 1000, NULL, NULL,
	    NULL), OWNER_ST_OK);
	assert_int_equal(owner_state_save(path, t, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);	/* renamed away */
	assert_non_null(u = owner_sticky_new());
	assert_int_equal(owner_state_load(path, u, err, sizeof(err)),
	    OWNER_LOAD_OK);
	assert_int_equal(owner_sticky_lookup(u, "rabbit", &uid), 0);
	assert_int_equal(uid, 1000);
	owner_sticky_free(t);
	owner_sticky_free(u);
}

/* A corrupt file is reported with its line and loads as empty. */
static void
test_owner_state_corrupt_is_empty(void **state)
{
	struct owner_sticky	*t;
	char			 err[256], want[160];

	(void)state;
	write_file(path, OWNER_STATE_HEADER "\n1000 rabbit\n1000\n", 0644);
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_IGNORED);
	snprintf(want, sizeof(want), "%s:3: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(owner_sticky_count(t), 0);
	owner_sticky_free(t);
}

/* Files anyone else could have written are not trusted. */
static void
test_owner_state_unsafe_is_empty(void **state)
{
	struct owner_sticky	*t;
	char			 err[256], other[160];

	(void)state;
	assert_non_null(t = owner_sticky_new());
	write_file(path, OWNER_STATE_HEADER "\n1000 rabbit\n", 0666);
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_IGNORED);
	assert_int_equal(owner_sticky_count(t), 0);
	/* A symbolic link, even to a good file. */
	snprintf(other, sizeof(other), "%s/good", dir);
	write_file(other, OWNER_STATE_HEADER "\n1000 rabbit\n", 0644);
	(void)unlink(path);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_IGNORED);
	assert_int_equal(owner_sticky_count(t), 0);
	/* A directory. */
	(void)unlink(path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_IGNORED);
	assert_int_equal(rmdir(path), 0);
	owner_sticky_free(t);
}

/* A planted .tmp link is replaced, not followed; a bad directory fails. */
static void
test_owner_state_save_safely(void **state)
{
	struct owner_sticky	*t;
	char			 err[256], tmp[160], victim[160], bad[160];
	struct stat		 st;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_sticky_claim(t, "n", 1, NULL, NULL, NULL),
	    OWNER_ST_OK);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_file(victim, "keep\n", 0644);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(owner_state_save(path, t, err, sizeof(err)), 0);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 5);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/owners", dir);
	assert_int_equal(owner_state_save(bad, t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	owner_sticky_free(t);
}

/*
 * A file that cannot be read whole at the size it had when opened is
 * not trusted (treated as empty): a read error, a file that shrank or
 * grew while read, fstat failing, no memory for it. EINTR is retried.
 */
static void
test_owner_state_read_faults(void **state)
{
	static const struct {
		enum fault_fn	 fn;
		int		 err;
		const char	*want;
	} v[] = {
		{ FAULT_READ, EIO, "Input/output error" },
		{ FAULT_READ, 0, "Input/output error" },	/* shrank */
		{ FAULT_FSTAT, 0, "Input/output error" },	/* grew */
		{ FAULT_FSTAT, EACCES, "Permission denied" },
		{ FAULT_ALLOC, ENOMEM, "Cannot allocate memory" },
	};
	struct owner_sticky	*t;
	char			 err[256];
	uint32_t		 uid;
	size_t			 i;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	write_file(path, OWNER_STATE_HEADER "\n1000 rabbit\n", 0644);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err[0] = '\0';
		fault_arm(v[i].fn, 0, v[i].err);
		assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
		    OWNER_LOAD_IGNORED);
		assert_int_equal(fault_disarm(v[i].fn), 1);
		if (strstr(err, v[i].want) == NULL || strstr(err, path) == NULL)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(owner_sticky_count(t), 0);
	}
	fault_arm(FAULT_READ, 0, EINTR);
	assert_int_equal(owner_state_load(path, t, err, sizeof(err)),
	    OWNER_LOAD_OK);
	assert_int_equal(fault_disarm(FAULT_READ), 1);
	assert_int_equal(owner_sticky_lookup(t, "rabbit", &uid), 0);
	assert_int_equal(uid, 1000);
	owner_sticky_free(t);
}

/* A save that cannot even start says why and writes nothing. */
static void
test_owner_state_save_faults(void **state)
{
	struct owner_sticky	*t;
	char			 err[8192], *longpath;
	struct stat		 st;
	size_t			 n = 4200;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_sticky_claim(t, "n", 1, NULL, NULL, NULL),
	    OWNER_ST_OK);
	(void)unlink(path);
	fault_arm(FAULT_ALLOC, 0, ENOMEM);
	assert_int_equal(owner_state_save(path, t, err, sizeof(err)), -1);
	assert_int_equal(fault_disarm(FAULT_ALLOC), 1);
	assert_non_null(strstr(err, ": out of memory"));
	assert_int_equal(stat(path, &st), -1);

	assert_non_null(longpath = malloc(n + 1));
	memset(longpath, 'a', n);
	longpath[0] = '/';
	longpath[n] = '\0';
	assert_int_equal(owner_state_save(longpath, t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": path too long"));
	free(longpath);
	owner_sticky_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_state_missing_then_round_trip),
		cmocka_unit_test(test_owner_state_corrupt_is_empty),
		cmocka_unit_test(test_owner_state_unsafe_is_empty),
		cmocka_unit_test(test_owner_state_save_safely),
		cmocka_unit_test_teardown(test_owner_state_read_faults,
		    fault_reset),
		cmocka_unit_test_teardown(test_owner_state_save_faults,
		    fault_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
