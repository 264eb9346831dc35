/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_proto.c: the EPMD engine (proto.c with wire, registry, acl, addr,
 * ratelimit and audit) driven by sequences of connection events, against
 * a small reference model, with the stealth property checked.
 *
 * The input is a program: its first byte picks the daemon's options
 * (relaxed, refusal modes, rate limits on loopback), then each op is one
 * event: open a connection from one of a few sources (local, allowed
 * remote, denied remote, IPv4-mapped), bytes in for a connection (any
 * split of any bytes: the harness frames them as conn.c does), its end of
 * stream, its timeout, time passing, a reload to the other policy.
 *
 * Model: the names registered by open connections and their ports. Every
 * ALIVE2 that succeeds must be for a name the model does not hold; every
 * PORT_PLEASE2 and NAMES from loopback must answer exactly from the model.
 *
 * Stealth: the same program is run a second time against an empty daemon
 * with the same policies, keeping only the events of the denied sources.
 * Every byte a denied source receives (and whether its connection stays
 * open) must be identical in both runs: its requests reveal nothing, not
 * even whether a name exists.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "proto.h"
#include "registry.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

#define MAXCONN		16
#define MAXMODEL	64
#define TRANSCRIPT	(64 * 1024)

/* The sources: what they are, and whether the policies deny them. */
static const struct {
	const char	*addr;
	int		 local;
	int		 denied;
} sources[] = {
	{ "127.0.0.1", 1, 0 },
	{ "::1", 1, 0 },
	{ "10.1.2.3", 0, 0 },
	{ "192.0.2.7", 0, 1 },
	{ "2001:db8::1", 0, 1 },
	{ "::ffff:198.51.100.9", 0, 1 },
};
#define NSOURCES	(sizeof(sources) / sizeof(sources[0]))

/* One simulated connection. */
struct fconn {
	int			 open;
	int			 src;
	struct sockaddr_storage	 ss;
	struct proto_peer	 peer;
	uint8_t			 buf[2 + WIRE_MAX_BODY + 1];
	size_t			 got;
	int			 served;	/* a request was decided */
	int			 registered;
	char			*regname;
	uint16_t		 regport;
};

/* One run of a program. */
struct run {
	struct proto		*p;
	struct acl		*acl[2];
	int			 pol;
	struct proto_policy	 pp[2];
	struct fconn		 c[MAXCONN];
	size_t			 nconns, nremote;
	struct proto_now	 now;
	int			 denied_only;
	int			 relaxed;
	/* The model, for the full run. */
	char			 name[MAXMODEL][WIRE_MAX_NAME_BYTES + 1];
	uint16_t		 port[MAXMODEL];
	int			 owner[MAXMODEL];
	size_t			 nmodel;
	/* What the denied sources saw, in order. */
	uint8_t			 seen[TRANSCRIPT];
	size_t			 nseen;
};

/* Append to the denied sources' transcript. */
static void
see(struct run *r, int conn, const void *p, size_t n)
{
	uint8_t	 hdr[3] = { (uint8_t)conn, (uint8_t)(n >> 8), (uint8_t)n };

	if (r->nseen + sizeof(hdr) + n > sizeof(r->seen))
		return;
	memcpy(r->seen + r->nseen, hdr, sizeof(hdr));
	if (n > 0)
		memcpy(r->seen + r->nseen + sizeof(hdr), p, n);
	r->nseen += sizeof(hdr) + n;
}

/* An ACL from rule lines "allow|deny PREFIX [scope]". */
static struct acl *
mkacl(const char *const *rules, size_t n)
{
	struct acl		*acl = acl_new();
	struct acl_prefix	 pfx;
	const char		*errstr;
	size_t			 i;

	CHECK(acl != NULL);
	for (i = 0; i < n; i++) {
		const char	*w = strchr(rules[i], ' ') + 1;
		const char	*sp = strchr(w, ' ');
		size_t		 len = sp != NULL ? (size_t)(sp - w) : strlen(w);
		unsigned	 scope = ACL_SCOPE_ALL;
		char		 word[64];

		memcpy(word, w, len);
		word[len] = '\0';
		if (sp != NULL)
			scope = strcmp(sp + 1, "names") == 0 ?
			    ACL_SCOPE_NAMES : ACL_SCOPE_PORT;
		CHECK(acl_parse_prefix(word, &pfx, &errstr) == ACL_OK);
		CHECK(acl_add(acl, rules[i][0] == 'a', &pfx, scope, NULL, 0,
		    (unsigned)i + 1) == ACL_OK);
	}
	return acl;
}

/* Is name in the model? Its index, or -1. */
static int
model_find(const struct run *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nmodel; i++)
		if (strcmp(r->name[i], name) == 0)
			return (int)i;
	return -1;
}

/* Drop entry i from the model. */
static void
model_drop(struct run *r, int i)
{
	r->nmodel--;
	memmove(r->name[i], r->name[r->nmodel], sizeof(r->name[i]));
	r->port[i] = r->port[r->nmodel];
	r->owner[i] = r->owner[r->nmodel];
}

/* Close connection k, ending its registration as conn.c does. */
static void
fclose_conn(struct run *r, int k, const char *reason)
{
	struct fconn		*c = &r->c[k];
	struct proto_out	 out;
	int			 m;

	if (!c->open)
		return;
	if (c->regname != NULL) {
		int ended = proto_end(r->p, &c->peer, c->regname, c->regport,
		    reason, &out);

		m = model_find(r, c->regname);
		if (reason == NULL) {
			/* Still registered iff the model holds it for us. */
			CHECK(ended == (m >= 0 && r->owner[m] == k));
		}
		if (m >= 0 && r->owner[m] == k)
			model_drop(r, m);
		if (ended)
			CHECK(out.audit.req == AUDIT_REQ_ALIVE2_END);
		proto_out_free(&out);
		free(c->regname);
		c->regname = NULL;
	}
	proto_close(r->p, &c->peer);
	r->nconns--;
	if (!c->peer.local)
		r->nremote--;
	c->open = 0;
}

/* Check a reply from loopback against the model. */
static void
check_model(struct run *r, int k, const struct proto_out *out)
{
	const struct wire_request	*q = &out->req;
	int				 m;

	if (out->audit.req == AUDIT_REQ_PORT2 && out->log != PROTO_LOG_NONE &&
	    out->audit.verdict != AUDIT_RATE_LIMITED &&
	    out->audit.verdict != AUDIT_MALFORMED) {
		m = model_find(r, q->node.name);
		CHECK(out->replylen >= 2 && out->reply[0] == WIRE_RESP_PORT2);
		if (m < 0)
			CHECK(out->reply[1] == 1 && out->replylen == 2);
		else
			CHECK(out->reply[1] == 0 && out->replylen > 4 &&
			    ((out->reply[2] << 8) | out->reply[3]) ==
			    r->port[m]);
	}
	if (out->audit.req == AUDIT_REQ_NAMES &&
	    out->audit.verdict == AUDIT_OK) {
		size_t	 lines = 0, i;

		for (i = 4; i < out->replylen; i++)
			lines += out->reply[i] == '\n';
		CHECK(lines == r->nmodel);
		CHECK((size_t)out->audit.names == r->nmodel);
	}
	if (out->audit.req == AUDIT_REQ_ALIVE2 && out->replylen > 1) {
		m = model_find(r, q->node.name);
		if (out->reply[1] == 0) {
			CHECK(m < 0 && out->next == PROTO_REPLY_KEEP);
			CHECK(out->regname != NULL &&
			    strcmp(out->regname, q->node.name) == 0);
			CHECK(r->nmodel < MAXMODEL);
			memcpy(r->name[r->nmodel], q->node.name,
			    sizeof(r->name[0]));
			r->port[r->nmodel] = q->node.port;
			r->owner[r->nmodel] = k;
			r->nmodel++;
		} else {
			CHECK(out->next == PROTO_REPLY_CLOSE);
			if (out->audit.verdict == AUDIT_DUPLICATE)
				CHECK(m >= 0);
		}
	}
}

/* Decide the whole frame connection k holds. */
static void
fserve(struct run *r, int k)
{
	struct fconn		*c = &r->c[k];
	struct proto_out	 out;
	int			 m;

	proto_request(r->p, &c->peer, c->buf + 2, c->got - 2, &r->now, &out);
	c->served = 1;
	CHECK(out.log == PROTO_LOG_NONE || out.audit.req < AUDIT_NREQ);
	CHECK(out.replylen == 0 || out.next != PROTO_CLOSE);
	if (sources[c->src].denied) {
		uint8_t	 next = (uint8_t)out.next;

		see(r, k, &next, 1);
		see(r, k, out.reply, out.replylen);
		/* A denied peer can never register or stop anything. */
		CHECK(out.regname == NULL && out.stopped == NULL);
		CHECK(out.next != PROTO_REPLY_KILL);
	}
	if (!r->denied_only && c->peer.local)
		check_model(r, k, &out);
	if (out.stopped != NULL) {
		int	 o = (int)((struct fconn *)out.stopped - r->c);

		CHECK(o >= 0 && o < MAXCONN && r->c[o].open &&
		    r->c[o].regname != NULL);
		m = model_find(r, r->c[o].regname);
		CHECK(m >= 0 && r->owner[m] == o);
		model_drop(r, m);
		fclose_conn(r, o, "stopped");
	}
	if (out.regname != NULL) {
		c->regname = out.regname;
		c->regport = out.regport;
		out.regname = NULL;
		c->registered = 1;
	}
	proto_out_free(&out);
	if (!c->registered)
		fclose_conn(r, k, NULL);
}

/* Feed bytes to connection k as conn.c frames them. */
static void
fbytes(struct run *r, int k, const uint8_t *p, size_t n)
{
	struct fconn		*c = &r->c[k];
	struct proto_out	 out;
	size_t			 bodylen, take;

	if (c->registered) {
		/* Any byte ends a registration. */
		fclose_conn(r, k, NULL);
		return;
	}
	take = n < sizeof(c->buf) - c->got ? n : sizeof(c->buf) - c->got;
	memcpy(c->buf + c->got, p, take);
	c->got += take;
	switch (wire_frame_check(c->buf, c->got, &bodylen)) {
	case WIRE_BAD_FRAME:
		proto_refuse(r->p, &c->peer, c->got > 2 ?
		    proto_req_of(c->buf[2]) : AUDIT_REQ_NONE, AUDIT_MALFORMED,
		    "framing", &r->now, &out);
		proto_out_free(&out);
		if (sources[c->src].denied)
			see(r, k, "X", 1);
		fclose_conn(r, k, NULL);
		return;
	case WIRE_NEED_MORE:
		return;
	default:
		break;
	}
	if (c->got == 2 + bodylen)
		fserve(r, k);
}

/* Open a connection from source src in slot k. */
static void
fopen_conn(struct run *r, int k, int src)
{
	struct fconn		*c = &r->c[k];
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)&c->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)&c->ss;
	struct proto_out	 out;

	memset(c, 0, sizeof(*c));
	c->src = src;
	if (inet_pton(AF_INET, sources[src].addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		CHECK(inet_pton(AF_INET6, sources[src].addr,
		    &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
	}
	c->peer.src = (struct sockaddr *)&c->ss;
	c->peer.dst = NULL;
	c->peer.local = sources[src].local;
	c->peer.owner = c;
	c->peer.fd = k + 10;
	c->peer.facts.uid = -1;
	CHECK(addr_from_sockaddr(c->peer.src, &c->peer.addr) == 0);
	if (!proto_admit(r->p, &c->peer, r->nconns, r->nremote, &r->now,
	    &out)) {
		proto_out_free(&out);
		if (sources[src].denied)
			see(r, k, "R", 1);
		return;
	}
	c->open = 1;
	r->nconns++;
	if (!c->peer.local)
		r->nremote++;
}

/* Check one refusal summary line. */
static void
summary_line(const char *line, void *arg)
{
	(void)arg;
	CHECK(strncmp(line, "event=refusal_summary src=", 26) == 0);
}

/* Run the program; the transcript of the denied sources is in r. */
static void
run(struct run *r, const uint8_t *data, size_t size, int denied_only)
{
	static const char *const rules_a[] = {
		"allow 127.0.0.0/8", "allow ::1", "allow 10.0.0.0/8",
		"deny 192.0.2.0/24",
	};
	static const char *const rules_b[] = {
		"allow 127.0.0.0/8", "allow ::1", "allow 10.0.0.0/8 port",
		"deny 0.0.0.0/0", "deny ::/0",
	};
	struct proto_config	 pc;
	uint8_t			 opts;
	size_t			 i = 0;
	int			 k;

	memset(r, 0, sizeof(*r));
	r->denied_only = denied_only;
	opts = size > 0 ? data[i++] : 0;
	memset(&pc, 0, sizeof(pc));
	pc.port = 4369;
	pc.relaxed = r->relaxed = opts & 1;
	pc.max_nodes = 8;
	pc.max_freed = 4;
	pc.seed = 42;
	pc.lim.rate = (opts >> 4) & 3;
	pc.lim.burst = 2;
	pc.lim.v4len = 32;
	pc.lim.v6len = 64;
	pc.lim.limit_loopback = (opts >> 6) & 1;
	pc.lim.max_connections = 1000;
	pc.lim.max_per_source = 1000;
	pc.lim.loopback_reserved = 10;
	pc.lim.max_sources = 64;
	pc.lim.summary_interval = 60;
	CHECK((r->p = proto_new(&pc)) != NULL);
	r->acl[0] = mkacl(rules_a, sizeof(rules_a) / sizeof(rules_a[0]));
	r->acl[1] = mkacl(rules_b, sizeof(rules_b) / sizeof(rules_b[0]));
	for (k = 0; k < 2; k++) {
		r->pp[k].acl = r->acl[k];
		r->pp[k].names_refusal = (opts >> (1 + k)) & 1 ?
		    CONF_NAMES_EMPTY : CONF_NAMES_CLOSE;
		r->pp[k].port_refusal = (opts >> 3) & 1 ? CONF_PORT_CLOSE :
		    CONF_PORT_NOT_FOUND;
	}
	proto_set_policy(r->p, &r->pp[0]);
	r->now.ms = 1000;
	r->now.epoch = 1700000000;

	while (i < size) {
		uint8_t	 op = data[i++], arg = i < size ? data[i++] : 0;
		int	 denied;

		k = arg % MAXCONN;
		denied = r->c[k].open ? sources[r->c[k].src].denied : 0;
		switch (op % 8) {
		case 0: {	/* open */
			/*
			 * Slots 0..7 are for the served sources, 8..15 for
			 * the denied ones, so that the denied connections'
			 * lives are the same in both runs.
			 */
			int	 src = (k < MAXCONN / 2 ? 0 : 3) +
			    (arg / MAXCONN) % 3;

			if (r->c[k].open || (denied_only &&
			    !sources[src].denied))
				break;
			fopen_conn(r, k, src);
			break;
		}
		case 1:		/* bytes: n, then n bytes of the input */
		case 2: {
			size_t	 n = i < size ? data[i++] : 0;

			if (op % 8 == 2)
				n *= 16;
			if (n > size - i)
				n = size - i;
			if (r->c[k].open && (!denied_only || denied))
				fbytes(r, k, data + i, n);
			i += n;
			break;
		}
		case 3:		/* end of stream */
			if (r->c[k].open && (!denied_only || denied)) {
				if (!r->c[k].registered && !r->c[k].served) {
					struct proto_out out;

					proto_refuse(r->p, &r->c[k].peer,
					    AUDIT_REQ_NONE, r->c[k].got == 0 ?
					    AUDIT_NO_REQUEST : AUDIT_MALFORMED,
					    NULL, &r->now, &out);
					proto_out_free(&out);
				}
				if (denied)
					see(r, k, "E", 1);
				fclose_conn(r, k, NULL);
			}
			break;
		case 4:		/* time passes */
			r->now.ms += (uint64_t)arg * 37;
			r->now.epoch += arg / 16;
			break;
		case 5:		/* reload */
			r->pol = !r->pol;
			proto_set_policy(r->p, &r->pp[r->pol]);
			break;
		case 6:		/* summaries */
			proto_summarise(r->p, r->now.ms, summary_line, NULL);
			break;
		case 7:		/* timeout */
			if (r->c[k].open && !r->c[k].registered &&
			    (!denied_only || denied)) {
				struct proto_out out;

				proto_refuse(r->p, &r->c[k].peer,
				    AUDIT_REQ_NONE, AUDIT_TIMEOUT, "timeout",
				    &r->now, &out);
				proto_out_free(&out);
				if (denied)
					see(r, k, "T", 1);
				fclose_conn(r, k, NULL);
			}
			break;
		}
	}
	/* Shutdown: every registration ends, and the registry is empty. */
	for (k = 0; k < MAXCONN; k++)
		fclose_conn(r, k, NULL);
	CHECK(registry_count(proto_registry(r->p)) == 0);
	CHECK(r->nmodel == 0 && r->nconns == 0 && r->nremote == 0);
	proto_free(r->p);
	acl_free(r->acl[0]);
	acl_free(r->acl[1]);
}

/* Run the program twice and compare what the denied sources saw. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run	 full, empty;

	run(&full, data, size, 0);
	run(&empty, data, size, 1);
	CHECK(full.nseen == empty.nseen);
	CHECK(memcmp(full.seen, empty.seen, full.nseen) == 0);
	return 0;
}
