/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_conf.c: the configuration and ACL parsers on arbitrary text, and
 * the compiled ACL against a naive first-match scan for a few addresses.
 *
 * Input: the whole input is parsed as a configuration file and as an ACL
 * file (also with a user resolver, keeping register lines). If the ACL
 * parses, addresses and names derived from the input's bytes are checked
 * against a top-to-bottom scan of its rules, and the register lines
 * against a first-match scan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Users "a".."z" exist, with uids 1000.. */
static int
uid_of(void *arg, const char *user, uint32_t *uid)
{
	(void)arg;
	if (user[0] < 'a' || user[0] > 'z' || user[1] != '\0')
		return -1;
	*uid = 1000 + (uint32_t)(user[0] - 'a');
	return 0;
}

/* The register lines against a naive first match, for a few names. */
static void
check_registers(const struct conf_registers *reg)
{
	static const char *const probe[] = { "rabbit", "rabbit1", "couchdb",
	    "a", "" };
	const struct conf_register	*r;
	size_t				 i, k;

	if (reg->n > CONF_MAX_REGISTER)
		abort();
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		r = conf_register_match(reg, probe[i]);
		for (k = 0; k < reg->n; k++)
			if (acl_glob_match(reg->rule[k].glob, probe[i]))
				break;
		if (r != (k < reg->n ? &reg->rule[k] : NULL))
			abort();
		if (r != NULL && (r->nuid == 0 ||
		    r->nuid > CONF_MAX_REGISTER_UIDS ||
		    strchr(r->glob, '@') != NULL))
			abort();
	}
}

static struct acl_verdict
naive(const struct acl *acl, const struct addr *a, unsigned scope,
    const char *node)
{
	struct acl_rule_view	 r;
	struct acl_verdict	 v = { 0, 0 };
	size_t			 i, g;

	for (i = 0; acl_rule(acl, i, &r) == 0; i++) {
		int covers = r.nglobs == 0;

		if (!(r.scope & scope) || !acl_prefix_contains(&r.prefix, a))
			continue;
		for (g = 0; g < r.nglobs && !covers && node != NULL; g++)
			covers = acl_glob_match(r.globs[g], node);
		if (!covers)
			continue;
		v.allow = r.allow;
		v.line = r.line;
		return v;
	}
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_errors	 errs;
	static struct conf_registers	 reg;
	static const struct conf_acl_io	 io = { uid_of, NULL, NULL };
	struct conf			 c;
	struct acl			*acl;
	struct addr			 a;
	struct acl_verdict		 got, want;
	const char			*text = (const char *)data;
	char				 node[8];
	size_t				 i;

	memset(&errs, 0, sizeof(errs));
	conf_defaults(&c);
	conf_parse(text, size, "fuzz.conf", &c, &errs);
	if (errs.n > CONF_MAX_ERRORS || errs.total < errs.n)
		abort();
	memset(&errs, 0, sizeof(errs));
	memset(&reg, 0, sizeof(reg));
	acl = conf_parse_acl_io(text, size, "fuzz.acl", &io, &reg, &errs);
	if ((acl == NULL) != (errs.total != 0) || errs.n > CONF_MAX_ERRORS)
		abort();
	if (acl != NULL)
		check_registers(&reg);
	else if (reg.n != 0)
		abort();
	acl_free(acl);
	memset(&errs, 0, sizeof(errs));
	if ((acl = conf_parse_acl(text, size, "fuzz.acl", &errs)) == NULL)
		return 0;
	if (errs.total != 0)
		abort();
	/* Probe addresses made of the input's bytes, both families. */
	for (i = 0; i < 8; i++) {
		memset(&a, 0, sizeof(a));
		a.family = i % 2 ? AF_INET6 : AF_INET;
		if (size > 0)
			memcpy(a.addr, data + (i * 7) % size,
			    size - (i * 7) % size < 16 ? size - (i * 7) % size :
			    16);
		if (a.family == AF_INET)
			memset(a.addr + 4, 0, 12);
		memcpy(node, i < 4 ? "rabbit1" : "couchdb", 8);
		got = acl_check(acl, &a, ACL_SCOPE_PORT, node);
		want = naive(acl, &a, ACL_SCOPE_PORT, node);
		if (got.allow != want.allow || got.line != want.line)
			abort();
		got = acl_check(acl, &a, ACL_SCOPE_NAMES, NULL);
		want = naive(acl, &a, ACL_SCOPE_NAMES, NULL);
		if (got.allow != want.allow || got.line != want.line)
			abort();
	}
	acl_free(acl);
	return 0;
}
