/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.h: fault injection for the unit tests of the pure modules.
 *
 * A test binary linked with the Makefile's FAULT_WRAP flags
 * (-Wl,--wrap=malloc and so on; read(2) also as _FORTIFY_SOURCE's
 * __read_chk) sends the modules' calls to those libc functions through
 * the wrappers below. A test arms one call to fail (the nth from now,
 * with an errno) and checks that the module reports the failure and
 * carries on; the ASan build of the same test catches a leak or a use of
 * freed memory on that path. Unarmed, every wrapper is the real function.
 * Include this header in exactly one file of each such binary.
 *
 * The symbols are glibc's on a 64-bit Debian: where the headers rename
 * fstat (glibc before 2.33, or _FILE_OFFSET_BITS=64 on a 32-bit build),
 * the fstat faults do not fire and the tests that arm them fail loudly.
 */
#ifndef FAULT_H
#define FAULT_H

#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum fault_fn {
	FAULT_ALLOC,	/* malloc, calloc, realloc, reallocarray, strdup */
	FAULT_READ,	/* errno 0: an early end of file (it shrank) */
	FAULT_FSTAT,	/* errno 0: succeeds, size one byte short (it grew) */
	FAULT_NFN
};

static struct {
	int	 armed;
	long	 skip;		/* calls to let through before failing */
	int	 err;
	long	 fired;		/* calls failed since fault_arm() */
} fault_state[FAULT_NFN];

/* Fail the nth call of fn from now (0: the next one) with errno err. */
static void
fault_arm(enum fault_fn fn, long nth, int err)
{
	fault_state[fn].armed = 1;
	fault_state[fn].skip = nth;
	fault_state[fn].err = err;
	fault_state[fn].fired = 0;
}

/* Let every call through again; returns how many calls were failed. */
static long
fault_disarm(enum fault_fn fn)
{
	fault_state[fn].armed = 0;
	return fault_state[fn].fired;
}

/* A cmocka teardown: whatever a failed test left armed is disarmed. */
static int
fault_reset(void **state)
{
	int	 fn;

	(void)state;
	for (fn = 0; fn < FAULT_NFN; fn++)
		fault_state[fn].armed = 0;
	return 0;
}

/* Should this call fail? Sets errno when it should. */
static int
fault_trip(enum fault_fn fn)
{
	if (!fault_state[fn].armed)
		return 0;
	if (fault_state[fn].skip-- > 0)
		return 0;
	fault_state[fn].armed = 0;
	fault_state[fn].fired++;
	errno = fault_state[fn].err;
	return 1;
}

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__real_reallocarray(void *, size_t, size_t);
char	*__real_strdup(const char *);
ssize_t	 __real_read(int, void *, size_t);
ssize_t	 __real___read_chk(int, void *, size_t, size_t);
int	 __real_fstat(int, struct stat *);

void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
void	*__wrap_reallocarray(void *, size_t, size_t);
char	*__wrap_strdup(const char *);
ssize_t	 __wrap_read(int, void *, size_t);
ssize_t	 __wrap___read_chk(int, void *, size_t, size_t);
int	 __wrap_fstat(int, struct stat *);

/* malloc(), or NULL when armed. */
void *
__wrap_malloc(size_t n)
{
	return fault_trip(FAULT_ALLOC) ? NULL : __real_malloc(n);
}

/* calloc(), or NULL when armed. */
void *
__wrap_calloc(size_t n, size_t size)
{
	return fault_trip(FAULT_ALLOC) ? NULL : __real_calloc(n, size);
}

/* realloc(), or NULL (p untouched) when armed. */
void *
__wrap_realloc(void *p, size_t n)
{
	return fault_trip(FAULT_ALLOC) ? NULL : __real_realloc(p, n);
}

/* reallocarray(), or NULL (p untouched) when armed. */
void *
__wrap_reallocarray(void *p, size_t n, size_t size)
{
	return fault_trip(FAULT_ALLOC) ? NULL :
	    __real_reallocarray(p, n, size);
}

/* strdup(), or NULL when armed. */
char *
__wrap_strdup(const char *s)
{
	return fault_trip(FAULT_ALLOC) ? NULL : __real_strdup(s);
}

/* read(), or -1 (0 if the armed errno is 0) when armed. */
ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	if (!fault_trip(FAULT_READ))
		return __real_read(fd, buf, n);
	return errno == 0 ? 0 : -1;
}

/* read() as _FORTIFY_SOURCE calls it, with the same faults. */
ssize_t
__wrap___read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (!fault_trip(FAULT_READ))
		return __real___read_chk(fd, buf, n, buflen);
	return errno == 0 ? 0 : -1;
}

/* fstat(), or -1 when armed (a size one byte short if errno is 0). */
int
__wrap_fstat(int fd, struct stat *st)
{
	int	 rc;

	if (!fault_trip(FAULT_FSTAT))
		return __real_fstat(fd, st);
	if (errno != 0)
		return -1;
	if ((rc = __real_fstat(fd, st)) == 0 && st->st_size > 0)
		st->st_size--;
	return rc;
}

#endif
