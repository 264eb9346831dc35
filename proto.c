/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto.c: what a request gets. See proto.h for the contract; the
 * comments here say where and why the answers differ from stock epmd.
 */
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "ratelimit.h"
#include "registry.h"
#include "util.h"

/* Open connections of one local uid. */
struct uid_count {
	uint32_t		 uid;
	size_t			 n;
};

struct proto {
	struct proto_config	 cfg;
	struct proto_policy	 pol;
	struct registry		*reg;
	struct rl_table		*rl;
	proto_register_check	 check;
	void			*check_arg;
	struct owner_sticky	*sticky;
	/* Local uids with open connections: at most one per connection. */
	struct uid_count	*uids;
	size_t			 nuids, capuids;
	unsigned long long	 uid_refused;
};

/* Make an engine. */
struct proto *
proto_new(const struct proto_config *cfg)
{
	struct proto	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cfg = *cfg;
	if ((p->reg = registry_new(cfg->max_nodes, cfg->max_freed)) == NULL ||
	    (p->rl = rl_new(cfg->lim.max_sources, cfg->seed)) == NULL ||
	    (p->sticky = owner_sticky_new()) == NULL) {
		proto_free(p);
		return NULL;
	}
	return p;
}

/* Free an engine. */
void
proto_free(struct proto *p)
{
	if (p == NULL)
		return;
	registry_free(p->reg);
	rl_free(p->rl);
	owner_sticky_free(p->sticky);
	free(p->uids);
	free(p);
}

/* Swap the policy. */
void
proto_set_policy(struct proto *p, const struct proto_policy *pol)
{
	p->pol = *pol;
}

/* Install the registration check. */
void
proto_set_register_check(struct proto *p, proto_register_check fn,
    void *arg)
{
	p->check = fn;
	p->check_arg = arg;
}

/* The registry, for counters. */
const struct registry *
proto_registry(const struct proto *p)
{
	return p->reg;
}

/* The sticky owners' table. */
struct owner_sticky *
proto_sticky(struct proto *p)
{
	return p->sticky;
}

/* Counters of the per-uid cap. */
void
proto_uid_stats(const struct proto *p, struct proto_uid_stats *st)
{
	st->uids = p->nuids;
	st->refused = p->uid_refused;
}

/* The count of uid's open connections, created at 0 if new; NULL if no
 * memory. */
static struct uid_count *
uid_slot(struct proto *p, uint32_t uid)
{
	struct uid_count	*nu;
	size_t			 i, ncap;

	for (i = 0; i < p->nuids; i++)
		if (p->uids[i].uid == uid)
			return &p->uids[i];
	if (p->nuids == p->capuids) {
		ncap = p->capuids ? p->capuids * 2 : 8;
		if ((nu = reallocarray(p->uids, ncap, sizeof(*nu))) == NULL)
			return NULL;
		p->uids = nu;
		p->capuids = ncap;
	}
	p->uids[p->nuids].uid = uid;
	p->uids[p->nuids].n = 0;
	return &p->uids[p->nuids++];
}

/* Map an opcode to its audit request kind. */
enum audit_req
proto_req_of(uint8_t op)
{
	switch (op) {
	case WIRE_OP_ALIVE2:
		return AUDIT_REQ_ALIVE2;
	case WIRE_OP_PORT2:
		return AUDIT_REQ_PORT2;
	case WIRE_OP_NAMES:
		return AUDIT_REQ_NAMES;
	case WIRE_OP_DUMP:
		return AUDIT_REQ_DUMP;
	case WIRE_OP_KILL:
		return AUDIT_REQ_KILL;
	case WIRE_OP_STOP:
		return AUDIT_REQ_STOP;
	case WIRE_OP_FORGET:
		return AUDIT_REQ_FORGET;
	default:
		return AUDIT_REQ_NONE;
	}
}

/* Start an out with nothing decided: close, no record. */
static void
out_init(struct proto_out *out)
{
	out->next = PROTO_CLOSE;
	out->reply = NULL;
	out->replylen = 0;
	out->log = PROTO_LOG_NONE;
	out->regname = NULL;
	out->regport = 0;
	out->stopped = NULL;
	out->warn = NULL;
	out->sticky_changed = 0;
	out->event[0] = '\0';
	out->big = NULL;
	out->req.op = 0;
	out->req.node.namelen = 0;
	out->req.node.name[0] = '\0';
}

/* Release an out. */
void
proto_out_free(struct proto_out *out)
{
	free(out->big);
	out->big = NULL;
	free(out->regname);
	out->regname = NULL;
	out->reply = NULL;
	out->replylen = 0;
}

/* The source key of a peer, for the per-source state; 0 if it has none. */
static int
source_key(const struct proto *p, const struct addr *a, struct addr *key)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	rl_key(a, p->cfg.lim.v4len, p->cfg.lim.v6len, key);
	return 1;
}

/*
 * Fill out's record and decide, once for every record, whether it is
 * logged in full or only counted (audit_summarised()). key: the source
 * the refusal is counted against, NULL for none (always in full).
 */
static void
record(struct proto *p, const struct proto_peer *peer,
    const struct addr *key, const struct audit *a, const struct proto_now *now,
    struct proto_out *out)
{
	enum rl_kind	 kind;

	out->audit = *a;
	out->audit.src = peer->src;
	out->audit.dst = peer->dst;
	if (peer->facts.uid >= 0) {
		out->audit.has_uid = 1;
		out->audit.uid = (unsigned long)peer->facts.uid;
		out->audit.user = peer->facts.user;
	}
	out->log = PROTO_LOG_FULL;
	if (key != NULL && audit_summarised(a->verdict, peer->local, &kind) &&
	    !rl_note_refusal(p->rl, key, kind, now->ms))
		out->log = PROTO_LOG_COUNT;
}

/* Record a request-level event, counted against the peer's source. */
static void
record_peer(struct proto *p, const struct proto_peer *peer,
    const struct audit *a, const struct proto_now *now, struct proto_out *out)
{
	struct addr	 key;

	record(p, peer, source_key(p, &peer->addr, &key) ? &key : NULL, a, now,
	    out);
}

/* Refuse a connection over a cap. */
static int
refuse_conn(struct proto *p, const struct proto_peer *peer,
    const struct addr *key, const char *why, const struct proto_now *now,
    struct proto_out *out)
{
	const struct audit	 a = {
		.req = AUDIT_REQ_NONE,
		.verdict = AUDIT_CONN_LIMIT,
		.port = -1,
		.creation = -1,
		.names = -1,
		.reason = why,
	};

	record(p, peer, key, &a, now, out);
	return 0;
}

/*
 * Excess connections are accepted and closed at once, never left in the
 * backlog where they would starve everyone else. Local peers keep a
 * reserved share of max_connections; remote sources are capped one by
 * one too.
 */
int
proto_admit(struct proto *p, struct proto_peer *peer, size_t nconns,
    size_t nremote, const struct proto_now *now, struct proto_out *out)
{
	const struct conf_limits	*lim = &p->cfg.lim;
	struct addr			 key;

	struct uid_count		*u;

	out_init(out);
	peer->rl_counted = 0;
	peer->uid_counted = 0;
	if (nconns >= lim->max_connections)
		return refuse_conn(p, peer, NULL, "max_connections", now, out);
	/*
	 * Every local peer shares the loopback address: a per-source cap
	 * cannot tell local users apart, the uid can. One local user
	 * holding connections must not starve another's registrations.
	 */
	if (peer->local && peer->facts.uid >= 0 && lim->max_per_uid > 0) {
		if ((u = uid_slot(p, (uint32_t)peer->facts.uid)) == NULL)
			return refuse_conn(p, peer, NULL, "out of memory", now,
			    out);
		if (u->n >= lim->max_per_uid) {
			p->uid_refused++;
			return refuse_conn(p, peer, source_key(p, &peer->addr,
			    &key) ? &key : NULL, "max_connections_per_uid",
			    now, out);
		}
		u->n++;
		peer->uid_counted = 1;
	}
	if (peer->local)
		return 1;
	/* Neither IPv4 nor IPv6: nothing to serve, nothing to log. */
	if (!source_key(p, &peer->addr, &key))
		return 0;
	if (nremote >= lim->max_connections - lim->loopback_reserved)
		return refuse_conn(p, peer, &key, "remote share full", now,
		    out);
	switch (rl_conn_open(p->rl, &key, now->ms, (uint32_t)
	    (lim->max_per_source > UINT32_MAX ? UINT32_MAX :
	    lim->max_per_source))) {
	case RL_OK:
		break;
	case RL_LIMITED:
		return refuse_conn(p, peer, &key, "max_connections_per_source",
		    now, out);
	default:
		return refuse_conn(p, peer, NULL, "source table full", now,
		    out);
	}
	peer->rlkey = key;
	peer->rl_counted = 1;
	return 1;
}

/* Count an open connection against its uid. */
void
proto_count_uid(struct proto *p, struct proto_peer *peer)
{
	struct uid_count	*u;

	if (peer->uid_counted || peer->facts.uid < 0 ||
	    (u = uid_slot(p, (uint32_t)peer->facts.uid)) == NULL)
		return;
	u->n++;
	peer->uid_counted = 1;
}

/* Release a connection's place in its source's count. */
void
proto_close(struct proto *p, const struct proto_peer *peer)
{
	size_t	 i;

	if (peer->rl_counted)
		rl_conn_close(p->rl, &peer->rlkey);
	if (!peer->uid_counted)
		return;
	for (i = 0; i < p->nuids; i++) {
		if (p->uids[i].uid != (uint32_t)peer->facts.uid)
			continue;
		if (--p->uids[i].n == 0)
			p->uids[i] = p->uids[--p->nuids];
		break;
	}
}

/* Record a failure before any request was decided. */
void
proto_refuse(struct proto *p, const struct proto_peer *peer,
    enum audit_req req, enum audit_verdict v, const char *reason,
    const struct proto_now *now, struct proto_out *out)
{
	const struct audit	 a = {
		.req = req,
		.verdict = v,
		.port = -1,
		.creation = -1,
		.names = -1,
		.reason = reason,
	};

	out_init(out);
	record_peer(p, peer, &a, now, out);
}

/* End a registration. */
int
proto_end(struct proto *p, const struct proto_peer *peer, const char *name,
    uint16_t port, const char *reason, struct proto_out *out)
{
	const struct audit	 a = {
		.src = peer->src,
		.dst = peer->dst,
		.req = AUDIT_REQ_ALIVE2_END,
		.verdict = AUDIT_OK,
		.node = name,
		.nodelen = strlen(name),
		.port = port,
		.creation = -1,
		.names = -1,
		.reason = reason,
	};

	out_init(out);
	/*
	 * A registration belongs to its connection from registry_add() on,
	 * whatever state the reply is in: a reset while it is being written
	 * must not leave the name behind pointing at a closed connection.
	 */
	if (registry_remove_owner(p->reg, peer->owner) != REGISTRY_OK &&
	    reason == NULL)
		return 0;
	out->audit = a;
	out->log = PROTO_LOG_FULL;
	return 1;
}

/* May this peer make one more lookup now? */
static int
lookup_allowed(struct proto *p, const struct proto_peer *peer,
    const struct proto_now *now)
{
	const struct conf_limits	*lim = &p->cfg.lim;
	struct addr			 key;

	if (peer->local && !lim->limit_loopback)
		return 1;
	if (!source_key(p, &peer->addr, &key))
		return 0;
	return rl_take(p->rl, &key, now->ms, lim->rate, lim->burst) == RL_OK;
}

/* A growable reply buffer for NAMES and DUMP. */
struct outbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

/* Append to a reply buffer; a zero length (a line that did not fit) fails. */
static void
outbuf_add(struct outbuf *o, const void *data, size_t len)
{
	uint8_t	*np;
	size_t	 ncap;

	if (o->failed)
		return;
	if (len == 0) {
		o->failed = 1;
		return;
	}
	if (o->cap - o->len < len) {
		ncap = o->cap == 0 ? 256 : o->cap;
		while (ncap - o->len < len)
			ncap *= 2;
		if ((np = realloc(o->p, ncap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
}

/* NAMES shows a peer only the nodes the ACL lets it see. */
struct names_ctx {
	struct outbuf		*o;
	const struct acl	*acl;
	const struct addr	*addr;
	size_t			 listed;
};

/* One NAMES line, if the ACL lets the peer see the node. */
static void
names_line(const struct wire_node *n, uint32_t creation, int fd, void *arg)
{
	struct names_ctx	*x = arg;
	char			 line[WIRE_MAX_NAME_BYTES + 64];

	(void)creation;
	(void)fd;
	if (!acl_check(x->acl, x->addr, ACL_SCOPE_NAMES, n->name).allow)
		return;
	x->listed++;
	outbuf_add(x->o, line, wire_encode_names_line(line, sizeof(line),
	    n->name, n->port));
}

/* One DUMP line for a registered node. */
static void
dump_active(const struct wire_node *n, uint32_t creation, int fd, void *arg)
{
	char	 line[WIRE_MAX_NAME_BYTES + 64];

	(void)creation;
	outbuf_add(arg, line, wire_encode_dump_active(line, sizeof(line),
	    n->name, n->port, fd));
}

/* One DUMP line for a remembered name. */
static void
dump_old(const char *name, uint16_t port, int fd, void *arg)
{
	char	 line[WIRE_MAX_NAME_BYTES + 64];

	outbuf_add(arg, line, wire_encode_dump_old(line, sizeof(line),
	    name, port, fd));
}

/*
 * NAMES and DUMP: the port, then one line per node. A NAMES the ACL
 * refuses closes without a reply by default: Erlang's client then sees an
 * empty list and a scanner sees no epmd at all.
 */
static void
do_listing(struct proto *p, const struct proto_peer *peer, int dump,
    const struct proto_now *now, struct proto_out *out)
{
	struct outbuf		 o = { NULL, 0, 0, 0 };
	struct names_ctx	 x = { &o, p->pol.acl, &peer->addr, 0 };
	struct acl_verdict	 v = { 1, 0 };
	struct audit		 a = {
		.req = dump ? AUDIT_REQ_DUMP : AUDIT_REQ_NAMES,
		.verdict = AUDIT_OK,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	if (!dump) {
		v = acl_names_allowed(p->pol.acl, &peer->addr);
		if (!v.allow) {
			a.verdict = AUDIT_DENIED;
			a.rule = v.line;
			record_peer(p, peer, &a, now, out);
			if (p->pol.names_refusal == CONF_NAMES_CLOSE)
				return;
			out->replylen = wire_encode_port_header(out->small,
			    sizeof(out->small), p->cfg.port);
			out->reply = out->small;
			out->next = PROTO_REPLY_CLOSE;
			return;
		}
	}
	{
		uint8_t	 hdr[4];

		outbuf_add(&o, hdr, wire_encode_port_header(hdr, sizeof(hdr),
		    p->cfg.port));
	}
	if (dump) {
		registry_walk(p->reg, dump_active, &o);
		registry_walk_freed(p->reg, dump_old, &o);
	} else
		registry_walk(p->reg, names_line, &x);
	if (o.failed) {
		free(o.p);
		out->warn = dump ? "cannot build DUMP reply" :
		    "cannot build NAMES reply";
		return;
	}
	a.names = dump ? (long)(registry_count(p->reg) +
	    registry_count_freed(p->reg)) : (long)x.listed;
	a.rule = v.line;
	record_peer(p, peer, &a, now, out);
	out->big = o.p;
	out->reply = o.p;
	out->replylen = o.len;
	out->next = PROTO_REPLY_CLOSE;
}

/* in_use for the sticky quota: is name registered now? */
static int
name_in_use(const char *name, void *arg)
{
	return registry_find(arg, name) != NULL;
}

/* Is v safe as a bare logfmt value? */
static int
bare(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' ||
		    *v >= 0x7f)
			return 0;
	return 1;
}

/* "event=dist_exposed ...": the node is reachable whatever we answer. */
static void
exposed_event(const struct proto_peer *peer, const struct wire_node *n,
    const struct owner_decision *d, struct proto_out *out)
{
	char	 node[1024 + 1], bind[64];

	(void)util_escape(node, sizeof(node), n->name, n->namelen);
	(void)sockdiag_addr_str(&d->bind, bind, sizeof(bind));
	snprintf(out->event, sizeof(out->event), bare(node) ?
	    "event=dist_exposed node=%s port=%u bind=%s" :
	    "event=dist_exposed node=\"%s\" port=%u bind=%s", node,
	    (unsigned)n->port, bind);
	if (peer->facts.uid >= 0) {
		size_t	 m = strlen(out->event);

		snprintf(out->event + m, sizeof(out->event) - m, " uid=%ld",
		    peer->facts.uid);
	}
}

/*
 * Registration integrity: may this local user register this name, for
 * this port? owner.c decides from the facts the edge gathered. AUDIT_OK,
 * or the verdict and a constant reason; *rule is the deciding register
 * line (0 none). Claims a sticky name for the uid when it is accepted.
 */
static enum audit_verdict
integrity(struct proto *p, const struct proto_peer *peer,
    const struct wire_node *n, struct owner_decision *d, unsigned *rule,
    const char **reason, struct proto_out *out)
{
	const struct conf_register	*r = NULL;
	struct owner_request		 q;
	enum owner_status		 st;

	memset(d, 0, sizeof(*d));
	*rule = 0;
	if (!p->pol.attribution)
		return AUDIT_OK;
	memset(&q, 0, sizeof(q));
	q.name = n->name;
	q.uid_known = peer->facts.uid >= 0;
	q.uid = q.uid_known ? (uint32_t)peer->facts.uid : 0;
	if (p->pol.reg != NULL)
		r = conf_register_match(p->pol.reg, n->name);
	if (r != NULL) {
		*rule = r->line;
		q.rule = q.uid_known && conf_register_allows(r, q.uid) ?
		    OWNER_RULE_ALLOWS : OWNER_RULE_DENIES;
	}
	q.def = p->pol.register_default == CONF_REGISTER_DENY ?
	    OWNER_DEFAULT_DENY : p->pol.register_default ==
	    CONF_REGISTER_STICKY ? OWNER_DEFAULT_STICKY : OWNER_DEFAULT_ANY;
	q.sticky = p->sticky;
	q.listeners = peer->facts.listeners;
	q.check_port_owner = p->pol.check_port_owner;
	q.root_any_port = p->pol.root_any_port;
	q.exposure = p->pol.dist_exposure == CONF_DIST_REFUSE ?
	    OWNER_EXPOSURE_REFUSE : p->pol.dist_exposure == CONF_DIST_IGNORE ?
	    OWNER_EXPOSURE_IGNORE : OWNER_EXPOSURE_WARN;
	owner_decide(&q, d);
	switch (d->verdict) {
	case OWNER_OK:
		break;
	case OWNER_NOT_OWNER:
		*reason = r != NULL ? "register rule" : q.def ==
		    OWNER_DEFAULT_DENY ? "register_default deny" :
		    "sticky: another user's name";
		return AUDIT_NOT_OWNER;
	case OWNER_PORT_NOT_OWNED:
		*reason = "no listener of this user on the port";
		return AUDIT_PORT_NOT_OWNED;
	case OWNER_DIST_EXPOSED:
		*reason = "node listens off loopback";
		exposed_event(peer, n, d, out);
		return AUDIT_DIST_EXPOSED;
	case OWNER_UNVERIFIED:
		*reason = "sock_diag gave no answer";
		return AUDIT_UNVERIFIED;
	case OWNER_STICKY_FULL:
		*reason = "sticky table full";
		return AUDIT_STICKY_FULL;
	}
	if (d->claim) {
		st = owner_sticky_claim(p->sticky, n->name, q.uid, name_in_use,
		    p->reg, NULL);
		if (st == OWNER_ST_FULL || st == OWNER_ST_NOMEM) {
			*reason = st == OWNER_ST_FULL ? "sticky table full" :
			    "out of memory";
			return AUDIT_STICKY_FULL;
		}
		out->sticky_changed = st == OWNER_ST_OK;
	}
	if (d->exposed)
		exposed_event(peer, n, d, out);
	return AUDIT_OK;
}

/*
 * ALIVE2. A refused registration is closed after its reply; stock keeps
 * it open and a later failure there could unregister the name's real
 * holder.
 */
static void
do_alive2(struct proto *p, const struct proto_peer *peer, enum wire_status st,
    const char *errstr, const struct proto_now *now, struct proto_out *out)
{
	const struct wire_node	*n = &out->req.node;
	struct audit		 a = {
		.req = AUDIT_REQ_ALIVE2,
		.verdict = AUDIT_INVALID,
		.node = n->name,
		.nodelen = n->namelen,
		.port = n->port,
		.names = -1,
		.reason = errstr,
	};
	struct owner_decision	 d;
	uint32_t		 creation = WIRE_ERROR_CREATION;
	int			 ok = 0;

	if (st == WIRE_OK) {
		a.reason = NULL;
		if (registry_find(p->reg, n->name) != NULL)
			a.verdict = AUDIT_DUPLICATE;
		else if ((a.verdict = integrity(p, peer, n, &d, &a.rule,
		    &a.reason, out)) != AUDIT_OK)
			;	/* refused: another user's name or port */
		else if (p->check != NULL && (a.verdict = p->check(n, peer,
		    p->check_arg, &a.reason)) != AUDIT_OK)
			;	/* refused by the registration check */
		else if ((out->regname = strdup(n->name)) == NULL) {
			/* Cannot log its end: refuse it instead. */
			a.verdict = AUDIT_FULL;
			a.reason = "out of memory";
		} else {
			switch (registry_add(p->reg, n, peer->owner, peer->fd,
			    now->epoch, &creation)) {
			case REGISTRY_OK:
				ok = 1;
				a.verdict = AUDIT_OK;
				out->regport = n->port;
				break;
			case REGISTRY_FULL:
				a.verdict = AUDIT_FULL;
				a.reason = "node table full";
				break;
			default:	/* a duplicate was refused above */
				a.verdict = AUDIT_FULL;
				a.reason = "out of memory";
				break;
			}
			if (!ok) {
				free(out->regname);
				out->regname = NULL;
			}
		}
	}
	if (!ok)
		creation = WIRE_ERROR_CREATION;
	else if (n->highvsn < 6)
		creation = registry_creation_v5(creation);
	a.creation = (long long)creation;
	record_peer(p, peer, &a, now, out);
	out->replylen = wire_encode_alive2_resp(out->small, sizeof(out->small),
	    n->highvsn, ok ? 0 : 1, creation);
	out->reply = out->small;
	out->next = ok ? PROTO_REPLY_KEEP : PROTO_REPLY_CLOSE;
}

/* PORT_PLEASE2: a refusal looks exactly like "not registered". */
static void
do_port2(struct proto *p, const struct proto_peer *peer,
    const struct proto_now *now, struct proto_out *out)
{
	const struct wire_node	*n = NULL;
	struct acl_verdict	 v;
	struct audit		 a = {
		.req = AUDIT_REQ_PORT2,
		.verdict = AUDIT_OK,
		.node = out->req.node.name,
		.nodelen = out->req.node.namelen,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	v = acl_check(p->pol.acl, &peer->addr, ACL_SCOPE_PORT,
	    out->req.node.name);
	a.rule = v.line;
	if (!v.allow) {
		a.verdict = AUDIT_DENIED;
		record_peer(p, peer, &a, now, out);
		if (p->pol.port_refusal == CONF_PORT_CLOSE)
			return;
	} else if ((n = registry_find(p->reg, out->req.node.name)) == NULL) {
		a.verdict = AUDIT_NOT_FOUND;
		record_peer(p, peer, &a, now, out);
	} else {
		a.port = n->port;
		record_peer(p, peer, &a, now, out);
	}
	out->replylen = wire_encode_port2_resp(out->small, sizeof(out->small),
	    n);
	out->reply = out->small;
	out->next = PROTO_REPLY_CLOSE;
}

/* KILL: refused while nodes live, unless relaxed. */
static void
do_kill(struct proto *p, const struct proto_peer *peer,
    const struct proto_now *now, struct proto_out *out)
{
	struct audit	 a = {
		.req = AUDIT_REQ_KILL,
		.verdict = AUDIT_OK,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	if (!p->cfg.relaxed && registry_count(p->reg) > 0) {
		a.verdict = AUDIT_REFUSED;
		a.reason = "nodes are registered";
		record_peer(p, peer, &a, now, out);
		out->reply = (const uint8_t *)"NO";
		out->replylen = 2;
		out->next = PROTO_REPLY_CLOSE;
		return;
	}
	record_peer(p, peer, &a, now, out);
	out->reply = (const uint8_t *)"OK";
	out->replylen = 2;
	out->next = PROTO_REPLY_KILL;
}

/* STOP: relaxed daemons only; the caller closes the stopped registration. */
static void
do_stop(struct proto *p, const struct proto_peer *peer,
    const struct proto_now *now, struct proto_out *out)
{
	struct audit	 a = {
		.req = AUDIT_REQ_STOP,
		.verdict = AUDIT_OK,
		.node = out->req.node.name,
		.nodelen = out->req.node.namelen,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	if (!p->cfg.relaxed) {
		a.verdict = AUDIT_REFUSED;
		a.reason = "no -relaxed_command_check";
		record_peer(p, peer, &a, now, out);
		return;
	}
	if (out->req.node.namelen == 0 || registry_remove_name(p->reg,
	    out->req.node.name, &out->stopped) != REGISTRY_OK) {
		/* Stock appends STOPPED here too. */
		out->stopped = NULL;
		a.verdict = AUDIT_NOT_FOUND;
		record_peer(p, peer, &a, now, out);
		out->reply = (const uint8_t *)"NOEXIST";
		out->replylen = 7;
		out->next = PROTO_REPLY_CLOSE;
		return;
	}
	record_peer(p, peer, &a, now, out);
	out->reply = (const uint8_t *)"STOPPED";
	out->replylen = 7;
	out->next = PROTO_REPLY_CLOSE;
}

/*
 * FORGET (ours, for -forget): release a sticky owner. Root only, which
 * only sock_diag can tell: without it, or for anyone else, the
 * connection is closed without a reply, as STOP is when not relaxed.
 */
static void
do_forget(struct proto *p, const struct proto_peer *peer,
    const struct proto_now *now, struct proto_out *out)
{
	struct audit	 a = {
		.req = AUDIT_REQ_FORGET,
		.verdict = AUDIT_OK,
		.node = out->req.node.name,
		.nodelen = out->req.node.namelen,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	if (!p->pol.attribution || peer->facts.uid != 0) {
		a.verdict = AUDIT_REFUSED;
		a.reason = p->pol.attribution ? "root only" :
		    "no sock_diag: cannot tell root";
		record_peer(p, peer, &a, now, out);
		return;
	}
	if (out->req.node.namelen == 0 ||
	    owner_sticky_forget(p->sticky, out->req.node.name) == -1) {
		a.verdict = AUDIT_NOT_FOUND;
		record_peer(p, peer, &a, now, out);
		out->reply = (const uint8_t *)"NOEXIST";
		out->replylen = 7;
		out->next = PROTO_REPLY_CLOSE;
		return;
	}
	out->sticky_changed = 1;
	record_peer(p, peer, &a, now, out);
	out->reply = (const uint8_t *)"FORGOTTEN";
	out->replylen = 9;
	out->next = PROTO_REPLY_CLOSE;
}

/* Decide one well-framed request. */
void
proto_request(struct proto *p, const struct proto_peer *peer,
    const uint8_t *body, size_t len, const struct proto_now *now,
    struct proto_out *out)
{
	struct wire_request	*req = &out->req;
	enum wire_status	 st;
	const char		*errstr = "";
	struct audit		 a = {
		.req = len > 0 ? proto_req_of(body[0]) : AUDIT_REQ_NONE,
		.verdict = AUDIT_MALFORMED,
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	out_init(out);
	st = wire_decode_request(body, len, req, &errstr);
	if (st == WIRE_BAD_FRAME) {
		a.reason = errstr;
		record_peer(p, peer, &a, now, out);
		return;
	}
	/* Requests that change or reveal daemon state: local peers only. */
	if (!peer->local && (req->op == WIRE_OP_ALIVE2 ||
	    req->op == WIRE_OP_DUMP || req->op == WIRE_OP_KILL ||
	    req->op == WIRE_OP_STOP || req->op == WIRE_OP_FORGET)) {
		a.verdict = AUDIT_NOT_LOCAL;
		if (req->op == WIRE_OP_ALIVE2 || req->op == WIRE_OP_STOP ||
		    req->op == WIRE_OP_FORGET) {
			a.node = req->node.name;
			a.nodelen = req->node.namelen;
		}
		record_peer(p, peer, &a, now, out);
		return;
	}
	if ((req->op == WIRE_OP_NAMES || req->op == WIRE_OP_PORT2) &&
	    !lookup_allowed(p, peer, now)) {
		a.verdict = AUDIT_RATE_LIMITED;
		if (req->op == WIRE_OP_PORT2) {
			a.node = req->node.name;
			a.nodelen = req->node.namelen;
		}
		record_peer(p, peer, &a, now, out);
		return;
	}
	switch (req->op) {
	case WIRE_OP_ALIVE2:
		do_alive2(p, peer, st, errstr, now, out);
		break;
	case WIRE_OP_PORT2:
		do_port2(p, peer, now, out);
		break;
	case WIRE_OP_NAMES:
		do_listing(p, peer, 0, now, out);
		break;
	case WIRE_OP_DUMP:
		do_listing(p, peer, 1, now, out);
		break;
	case WIRE_OP_KILL:
		do_kill(p, peer, now, out);
		break;
	case WIRE_OP_STOP:
		do_stop(p, peer, now, out);
		break;
	case WIRE_OP_FORGET:
		do_forget(p, peer, now, out);
		break;
	}
}

/* Arguments of one summary pass. */
struct summary_ctx {
	const struct proto	*p;
	uint64_t		 now;
	void			(*fn)(const char *, void *);
	void			*arg;
};

/* Format one source's summary line. */
static void
summary_one(const struct addr *key, const uint64_t *counts, uint64_t since,
    void *arg)
{
	const struct summary_ctx	*x = arg;
	char				 a[64], line[256];

	addr_format(key, a, sizeof(a));
	/* The keys are the verdicts of the records these stand for. */
	snprintf(line, sizeof(line), "event=refusal_summary src=%s/%u "
	    "seconds=%llu rate_limited=%llu conn_limit=%llu malformed=%llu "
	    "not_local=%llu no_request=%llu timeout=%llu", a,
	    key->family == AF_INET ? x->p->cfg.lim.v4len :
	    x->p->cfg.lim.v6len,
	    (unsigned long long)((x->now - since + 500) / 1000),
	    (unsigned long long)counts[RL_KIND_RATE],
	    (unsigned long long)counts[RL_KIND_CONN],
	    (unsigned long long)counts[RL_KIND_MALFORMED],
	    (unsigned long long)counts[RL_KIND_NOT_LOCAL],
	    (unsigned long long)counts[RL_KIND_NO_REQUEST],
	    (unsigned long long)counts[RL_KIND_TIMEOUT]);
	x->fn(line, x->arg);
}

/* Summarise the refusals counted per source. */
size_t
proto_summarise(struct proto *p, uint64_t now_ms,
    void (*fn)(const char *line, void *arg), void *arg)
{
	struct summary_ctx	 x = { p, now_ms, fn, arg };

	return rl_summarise(p->rl, now_ms,
	    (uint64_t)p->cfg.lim.summary_interval * 1000, summary_one, &x);
}
