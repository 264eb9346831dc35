/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c: the Prometheus text of the counters: every series, the
 * audit vocabulary in labels, sums, and refusal to write a cut file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "metrics.h"

/* Count the lines of text that start with prefix. */
static int
lines_with(const char *text, const char *prefix)
{
	const char	*p = text;
	int		 n = 0;

	while (*p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

static void
test_metrics_render_series(void **state)
{
	static struct metrics	 m;
	static char		 buf[METRICS_TEXT_MAX];
	size_t			 n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.queries[AUDIT_REQ_PORT2][AUDIT_OK] = 7;
	m.queries[AUDIT_REQ_NONE][AUDIT_NO_REQUEST] = 2;
	m.queries[AUDIT_REQ_NAMES][AUDIT_DENIED] = 3;
	m.queries[AUDIT_REQ_PORT2][AUDIT_DENIED] = 4;
	m.queries[AUDIT_REQ_NONE][AUDIT_CONN_LIMIT] = 5;
	m.queries[AUDIT_REQ_ALIVE2][AUDIT_OK] = 6;
	m.log_dropped = 300;
	m.fd_episodes = 1;
	m.conns = 9;
	m.nodes = 2;
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n > 0 && n == strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(lines_with(buf, "epmd_secure_queries_total{"),
	    AUDIT_NREQ * AUDIT_NVERDICT);
	assert_non_null(strstr(buf, "\nepmd_secure_queries_total{req=\"PORT_"
	    "PLEASE2\",verdict=\"ok\"} 7\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_queries_total{req=\"-\","
	    "verdict=\"no_request\"} 2\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_queries_total{req=\"KILL\","
	    "verdict=\"timeout\"} 0\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_refusals_total{verdict="
	    "\"denied\"} 7\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_refusals_total{verdict="
	    "\"conn_limit\"} 5\n"));
	assert_int_equal(lines_with(buf, "epmd_secure_refusals_total{"), 4);
	assert_non_null(strstr(buf, "\nepmd_secure_registrations_total 6\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_log_dropped_total 300\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_fd_exhausted_total 1\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_connections 9\n"));
	assert_non_null(strstr(buf, "\nepmd_secure_nodes 2\n"));
	/* Every metric has its TYPE line, once. */
	assert_int_equal(lines_with(buf, "# TYPE "), 7);
	assert_int_equal(lines_with(buf, "# HELP "), 7);
}

/* The largest values fit the documented buffer; a short one gives 0. */
static void
test_metrics_render_bounds(void **state)
{
	static struct metrics	 m;
	static char		 buf[METRICS_TEXT_MAX];
	size_t			 n, len;
	int			 r, v;

	(void)state;
	for (r = 0; r < AUDIT_NREQ; r++)
		for (v = 0; v < AUDIT_NVERDICT; v++)
			m.queries[r][v] = ~0ULL / (AUDIT_NREQ + 1);
	m.log_dropped = m.fd_episodes = ~0ULL;
	m.conns = m.nodes = (size_t)-1;
	n = metrics_render(&m, buf, sizeof(buf));
	assert_true(n > 0);
	for (len = 0; len <= n; len += (len < 64 ? 1 : 97)) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(metrics_render(&m, buf, len), 0);
		if (len > 0)
			assert_int_equal(buf[0], '\0');
	}
	assert_int_equal(metrics_render(&m, buf, n + 1), n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_render_series),
		cmocka_unit_test(test_metrics_render_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
