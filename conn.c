/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.c: one connection from accept to close.
 *
 * A connection carries one request (stock's protocol). Its whole life,
 * reading the frame and writing the reply, must fit in the packet timeout
 * counted from accept: dribbling bytes does not extend it (stock refreshes
 * it on every byte). A successful ALIVE2 turns the connection into the
 * registration's lifeline: any byte, EOF or error on it unregisters the
 * node. Idle connections hold no input buffer: a frame body is allocated,
 * at its exact size, once its length is known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "acl.h"
#include "conn.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "util.h"
#include "wire.h"

enum conn_state {
	CONN_DELAYED,		/* -delay_accept */
	CONN_READING,
	CONN_REPLY_DELAYED,	/* -delay_write */
	CONN_WRITING,
	CONN_REGISTERED,
};

/* What to do once the reply is written. */
enum conn_after {
	AFTER_CLOSE,
	AFTER_REGISTERED,
	AFTER_KILL,
};

struct conn {
	struct server		*srv;
	int			 fd;
	struct event		*ev;
	enum conn_state		 state;
	enum conn_after		 after;
	int			 local_peer;
	int			 rl_counted;	/* counted per source */
	struct acl_addr		 addr;		/* peer, for the ACL */
	struct acl_addr		 rlkey;		/* source, for the limits */
	struct timespec		 accepted;	/* CLOCK_MONOTONIC */
	struct timespec		 deadline;
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;
	uint8_t			 hdr[2];
	size_t			 got;		/* frame bytes read */
	uint8_t			*frame;		/* 2 + body length bytes */
	size_t			 framelen;
	uint8_t			*out;
	size_t			 outlen;
	size_t			 outoff;
	char			 peerstr[UTIL_ADDRSTRLEN];	/* conn_peer() */
	char			*regname;	/* registered node, for logs */
	uint16_t		 regport;
	enum audit_req		 req;		/* the request being served */
};

static void	conn_event(evutil_socket_t, short, void *);
static void	conn_arm(struct conn *, short, int);
static void	conn_read(struct conn *);
static void	conn_write(struct conn *);

/* Free an unsent reply and return its bytes to the budget. */
static void
conn_out_free(struct conn *c)
{
	if (c->out != NULL)
		server_reply_release(c->srv, c->outlen);
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
}

static void
deadline_set(struct timespec *ts, unsigned seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

/* Time left until the deadline, at least zero. */
static struct timeval
deadline_left(const struct timespec *ts)
{
	struct timespec	 now;
	struct timeval	 tv = { 0, 0 };
	long long	 ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(ts->tv_sec - now.tv_sec) * 1000000000LL +
	    (ts->tv_nsec - now.tv_nsec);
	if (ns > 0) {
		tv.tv_sec = (time_t)(ns / 1000000000LL);
		tv.tv_usec = (suseconds_t)((ns % 1000000000LL) / 1000);
	}
	return tv;
}

/* The peer as "address:port", for messages: formatted on first use. */
static const char *
conn_peer(struct conn *c)
{
	if (c->peerstr[0] == '\0')
		util_sockaddr_str((struct sockaddr *)&c->peer, c->peerstr,
		    sizeof(c->peerstr));
	return c->peerstr;
}

/* Write this connection's audit record, or only count it. */
static void
conn_audit(struct conn *c, enum audit_verdict v, const char *node,
    size_t nodelen, long port, long long creation, long names, unsigned rule,
    const char *reason)
{
	const struct audit	 a = {
		.src = (struct sockaddr *)&c->peer,
		.dst = (struct sockaddr *)&c->local,
		.req = c->req,
		.verdict = v,
		.node = node,
		.nodelen = nodelen,
		.port = port,
		.creation = creation,
		.names = names,
		.rule = rule,
		.reason = reason,
	};
	enum rl_kind		 kind;

	if (audit_summarised(v, c->local_peer, &kind) &&
	    !server_note_refusal(c->srv, &c->addr, kind)) {
		log_count(c->req, v);
		return;
	}
	log_audit(&a);
}

/* Record a refusal or failure with no answer details, and close. */
static void
conn_refuse(struct conn *c, enum audit_verdict v, const char *reason)
{
	conn_audit(c, v, NULL, 0, -1, -1, -1, 0, reason);
	conn_free(c);
}

/*
 * (Re)arm the connection's one event for what, with the deadline. If the
 * event cannot be watched, the connection is closed: callers return at
 * once after this.
 */
static void
conn_arm(struct conn *c, short what, int timed)
{
	struct timeval	 tv;
	int		 r;

	event_del(c->ev);
	event_assign(c->ev, server_base(c->srv), what == 0 ? -1 : c->fd,
	    what, conn_event, c);
	if (timed) {
		tv = deadline_left(&c->deadline);
		r = event_add(c->ev, &tv);
	} else
		r = event_add(c->ev, NULL);
	if (r == -1) {
		/* Unwatched, a registration would never see its end. */
		log_warnx("%s: cannot watch the connection; closing it",
		    conn_peer(c));
		conn_free(c);
	}
}

void
conn_new(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct sockaddr *local, int is_local,
    const struct acl_addr *rlkey)
{
	const struct server_config	*cfg = server_config(srv);
	struct conn			*c;
	unsigned			 first;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ev = event_new(server_base(srv), fd, EV_READ, conn_event,
	    c)) == NULL) {
		log_warnx("out of memory for a new connection");
		free(c);
		close(fd);
		server_conn_closed(srv, is_local, rlkey);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	if (peerlen > sizeof(c->peer))
		peerlen = sizeof(c->peer);
	memcpy(&c->peer, peer, peerlen);
	memcpy(&c->local, local, local->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (acl_addr_from_sockaddr((struct sockaddr *)&c->peer, &c->addr) == -1)
		c->addr.family = AF_UNSPEC;
	c->local_peer = is_local;
	if (rlkey != NULL) {
		c->rlkey = *rlkey;
		c->rl_counted = 1;
	}
	c->req = AUDIT_REQ_NONE;
	clock_gettime(CLOCK_MONOTONIC, &c->accepted);

	if (cfg->delay_accept > 0) {
		c->state = CONN_DELAYED;
		deadline_set(&c->deadline, cfg->delay_accept);
		conn_arm(c, 0, 1);
		return;
	}
	c->state = CONN_READING;
	/* A short deadline for the first byte, then the packet timeout. */
	first = cfg->lim.first_byte_timeout;
	if (first == 0 || first > cfg->packet_timeout)
		first = cfg->packet_timeout;
	deadline_set(&c->deadline, first);
	/* Clients send at once: try before waiting (saves two syscalls). */
	conn_read(c);
}

void
conn_free(struct conn *c)
{
	/*
	 * A registration belongs to its connection from registry_add() on,
	 * whatever state the reply is in: a reset while it is being written
	 * must not leave the name behind pointing at a freed connection.
	 */
	if (c->regname != NULL &&
	    registry_remove_owner(server_registry(c->srv), c) == REGISTRY_OK) {
		c->req = AUDIT_REQ_ALIVE2_END;
		conn_audit(c, AUDIT_OK, c->regname, strlen(c->regname),
		    c->regport, -1, -1, 0, NULL);
	}
	free(c->regname);
	event_free(c->ev);
	close(c->fd);
	free(c->frame);
	conn_out_free(c);
	server_conn_closed(c->srv, c->local_peer, c->rl_counted ? &c->rlkey :
	    NULL);
	free(c);
}

/* Queue a reply of len bytes (copied) and start writing it. */
static void
conn_reply(struct conn *c, const void *buf, size_t len, enum conn_after after)
{
	const struct server_config	*cfg = server_config(c->srv);
	ssize_t				 n = 0;

	c->after = after;
	if (log_debug_level() > 0)
		log_debug("%s: replying %zu bytes", conn_peer(c), len);
	/* Most replies fit the socket buffer: write them from the caller's. */
	if (cfg->delay_write == 0) {
		do
			n = write(c->fd, buf, len);
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("%s: write: %s", conn_peer(c), strerror(errno));
			conn_free(c);
			return;
		}
		if (n == -1)
			n = 0;
	}
	/* Keep the rest, within the daemon-wide budget for unsent replies. */
	free(c->out);
	c->out = NULL;
	c->outoff = c->outlen = 0;
	if ((size_t)n < len) {
		size_t	 rest = len - (size_t)n;

		if (server_reply_reserve(c->srv, rest) == -1) {
			log_warnx("%s: reply of %zu bytes dropped: the reply "
			    "memory budget is full", conn_peer(c), len);
			conn_free(c);
			return;
		}
		if ((c->out = malloc(rest)) == NULL) {
			server_reply_release(c->srv, rest);
			log_warnx("%s: out of memory for a reply", conn_peer(c));
			conn_free(c);
			return;
		}
		memcpy(c->out, (const uint8_t *)buf + n, rest);
		c->outlen = rest;
	}
	if (cfg->delay_write > 0) {
		c->state = CONN_REPLY_DELAYED;
		/* The test aid may overrun the packet timeout, as in stock. */
		deadline_set(&c->deadline, cfg->delay_write);
		conn_arm(c, 0, 1);
		return;
	}
	c->state = CONN_WRITING;
	conn_write(c);
}

/* A growable reply buffer for NAMES and DUMP. */
struct outbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

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
	const struct acl_addr	*addr;
	size_t			 listed;
	size_t			 hidden;
};

static void
names_line(const struct wire_node *n, uint32_t creation, int fd, void *arg)
{
	struct names_ctx	*x = arg;
	char			 line[WIRE_MAX_NAME_BYTES + 64];

	(void)creation;
	(void)fd;
	if (!acl_check(x->acl, x->addr, ACL_SCOPE_NAMES, n->name).allow) {
		x->hidden++;
		return;
	}
	x->listed++;
	outbuf_add(x->o, line, wire_encode_names_line(line, sizeof(line),
	    n->name, n->port));
}

static void
dump_active(const struct wire_node *n, uint32_t creation, int fd, void *arg)
{
	char	 line[WIRE_MAX_NAME_BYTES + 64];

	(void)creation;
	outbuf_add(arg, line, wire_encode_dump_active(line, sizeof(line),
	    n->name, n->port, fd));
}

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
do_listing(struct conn *c, int dump)
{
	const struct server_policy	*pol = server_policy(c->srv);
	struct registry			*reg = server_registry(c->srv);
	struct outbuf			 o = { NULL, 0, 0, 0 };
	struct names_ctx		 x = { &o, pol->acl, &c->addr, 0, 0 };
	struct acl_verdict		 v = { 1, 0 };
	uint8_t				 hdr[4];

	if (!dump) {
		v = acl_names_allowed(pol->acl, &c->addr);
		if (!v.allow) {
			conn_audit(c, AUDIT_DENIED, NULL, 0, -1, -1, -1,
			    v.line, NULL);
			if (pol->names_refusal == CONF_NAMES_CLOSE) {
				conn_free(c);
				return;
			}
			conn_reply(c, hdr, wire_encode_port_header(hdr,
			    sizeof(hdr), server_config(c->srv)->port),
			    AFTER_CLOSE);
			return;
		}
	}
	outbuf_add(&o, hdr, wire_encode_port_header(hdr, sizeof(hdr),
	    server_config(c->srv)->port));
	if (dump) {
		registry_walk(reg, dump_active, &o);
		registry_walk_freed(reg, dump_old, &o);
	} else
		registry_walk(reg, names_line, &x);
	if (o.failed) {
		log_warnx("%s: cannot build %s reply", conn_peer(c),
		    dump ? "DUMP" : "NAMES");
		free(o.p);
		conn_free(c);
		return;
	}
	conn_audit(c, AUDIT_OK, NULL, 0, -1, -1, dump ?
	    (long)(registry_count(reg) + registry_count_freed(reg)) :
	    (long)x.listed, v.line, NULL);
	conn_reply(c, o.p, o.len, AFTER_CLOSE);
	free(o.p);
}

static void
do_alive2(struct conn *c, const struct wire_request *req,
    enum wire_status st, const char *errstr)
{
	const struct wire_node	*n = &req->node;
	enum audit_verdict	 v = AUDIT_INVALID;
	uint8_t			 out[8];
	uint32_t		 creation = WIRE_ERROR_CREATION;
	int			 ok = 0;

	if (st == WIRE_OK) {
		switch (registry_add(server_registry(c->srv), n, c, c->fd,
		    (uint32_t)time(NULL), &creation)) {
		case REGISTRY_OK:
			if ((c->regname = strdup(n->name)) == NULL) {
				/* Cannot log its end: refuse it instead. */
				registry_remove_owner(server_registry(c->srv),
				    c);
				v = AUDIT_FULL;
				errstr = "out of memory";
				break;
			}
			c->regport = n->port;
			ok = 1;
			v = AUDIT_OK;
			errstr = NULL;
			break;
		case REGISTRY_DUPLICATE:
			v = AUDIT_DUPLICATE;
			errstr = NULL;
			break;
		default:
			v = AUDIT_FULL;
			errstr = "node table full";
			break;
		}
	}
	if (!ok)
		creation = WIRE_ERROR_CREATION;
	else if (n->highvsn < 6)
		creation = registry_creation_v5(creation);
	conn_audit(c, v, n->name, n->namelen, n->port,
	    (long long)creation, -1, 0, errstr);
	/*
	 * A refused registration is closed after its reply; stock keeps it
	 * open and a later failure there could unregister the name's real
	 * holder.
	 */
	conn_reply(c, out, wire_encode_alive2_resp(out, sizeof(out),
	    n->highvsn, ok ? 0 : 1, creation),
	    ok ? AFTER_REGISTERED : AFTER_CLOSE);
}

static void
do_port2(struct conn *c, const struct wire_request *req)
{
	const struct server_policy	*pol = server_policy(c->srv);
	const struct wire_node		*n = NULL;
	struct acl_verdict		 v;
	uint8_t				 out[WIRE_MAX_PORT2_RESP];

	v = acl_check(pol->acl, &c->addr, ACL_SCOPE_PORT, req->node.name);
	if (!v.allow) {
		conn_audit(c, AUDIT_DENIED, req->node.name, req->node.namelen,
		    -1, -1, -1, v.line, NULL);
		if (pol->port_refusal == CONF_PORT_CLOSE) {
			conn_free(c);
			return;
		}
	} else if ((n = registry_find(server_registry(c->srv),
	    req->node.name)) == NULL)
		conn_audit(c, AUDIT_NOT_FOUND, req->node.name,
		    req->node.namelen, -1, -1, -1, v.line, NULL);
	else
		conn_audit(c, AUDIT_OK, req->node.name, req->node.namelen,
		    n->port, -1, -1, v.line, NULL);
	/* A refusal looks exactly like "not registered". */
	conn_reply(c, out, wire_encode_port2_resp(out, sizeof(out), n),
	    AFTER_CLOSE);
}

static void
do_kill(struct conn *c)
{
	const struct server_config	*cfg = server_config(c->srv);

	if (!cfg->relaxed && registry_count(server_registry(c->srv)) > 0) {
		conn_audit(c, AUDIT_REFUSED, NULL, 0, -1, -1, -1, 0,
		    "nodes are registered");
		conn_reply(c, "NO", 2, AFTER_CLOSE);
		return;
	}
	conn_audit(c, AUDIT_OK, NULL, 0, -1, -1, -1, 0, NULL);
	conn_reply(c, "OK", 2, AFTER_KILL);
}

/* Close a registration whose node was already unregistered, e.g. by STOP. */
static void
conn_end_registration(struct conn *owner, const char *reason)
{
	owner->req = AUDIT_REQ_ALIVE2_END;
	conn_audit(owner, AUDIT_OK, owner->regname, strlen(owner->regname),
	    owner->regport, -1, -1, 0, reason);
	conn_free(owner);
}

static void
do_stop(struct conn *c, const struct wire_request *req)
{
	void	*owner;

	if (!server_config(c->srv)->relaxed) {
		conn_audit(c, AUDIT_REFUSED, req->node.name, req->node.namelen,
		    -1, -1, -1, 0, "no -relaxed_command_check");
		conn_free(c);
		return;
	}
	if (req->node.namelen == 0 ||
	    registry_remove_name(server_registry(c->srv), req->node.name,
	    &owner) != REGISTRY_OK) {
		/* Stock appends STOPPED here too. */
		conn_audit(c, AUDIT_NOT_FOUND, req->node.name,
		    req->node.namelen, -1, -1, -1, 0, NULL);
		conn_reply(c, "NOEXIST", 7, AFTER_CLOSE);
		return;
	}
	conn_audit(c, AUDIT_OK, req->node.name, req->node.namelen, -1, -1, -1,
	    0, NULL);
	/* The registration is gone: close its connection, logging its end. */
	conn_end_registration(owner, "stopped");
	conn_reply(c, "STOPPED", 7, AFTER_CLOSE);
}

static enum audit_req
audit_req_of(uint8_t op)
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
	default:
		return AUDIT_REQ_NONE;
	}
}

/* Answer one complete, well-framed request. */
static void
conn_dispatch(struct conn *c)
{
	struct wire_request	 req;
	enum wire_status	 st;
	const char		*errstr = "";
	size_t			 bodylen = c->framelen - 2;

	st = wire_decode_request(c->frame + 2, bodylen, &req, &errstr);
	c->req = audit_req_of(c->frame[2]);
	if (st == WIRE_BAD_FRAME) {
		conn_refuse(c, AUDIT_MALFORMED, errstr);
		return;
	}
	/* Requests that change or reveal daemon state: local peers only. */
	if (!c->local_peer && (req.op == WIRE_OP_ALIVE2 ||
	    req.op == WIRE_OP_DUMP || req.op == WIRE_OP_KILL ||
	    req.op == WIRE_OP_STOP)) {
		conn_audit(c, AUDIT_NOT_LOCAL, req.op == WIRE_OP_ALIVE2 ||
		    req.op == WIRE_OP_STOP ? req.node.name : NULL,
		    req.node.namelen, -1, -1, -1, 0, NULL);
		conn_free(c);
		return;
	}
	if (req.op == WIRE_OP_NAMES || req.op == WIRE_OP_PORT2) {
		if (!server_lookup_allowed(c->srv, &c->addr, c->local_peer)) {
			conn_audit(c, AUDIT_RATE_LIMITED, req.op ==
			    WIRE_OP_PORT2 ? req.node.name : NULL,
			    req.node.namelen, -1, -1, -1, 0, NULL);
			conn_free(c);
			return;
		}
	}
	switch (req.op) {
	case WIRE_OP_ALIVE2:
		do_alive2(c, &req, st, errstr);
		break;
	case WIRE_OP_PORT2:
		do_port2(c, &req);
		break;
	case WIRE_OP_NAMES:
		do_listing(c, 0);
		break;
	case WIRE_OP_DUMP:
		do_listing(c, 1);
		break;
	case WIRE_OP_KILL:
		do_kill(c);
		break;
	case WIRE_OP_STOP:
		do_stop(c, &req);
		break;
	}
}

/*
 * Read what is there. Before the length is known, read into a stack
 * buffer as large as the largest frame, so that bytes beyond the frame
 * sent with it are seen (stock closes on them); after, read exactly the
 * rest of the frame.
 */
static void
conn_read(struct conn *c)
{
	uint8_t		 tmp[2 + WIRE_MAX_BODY + 1];
	size_t		 bodylen;
	ssize_t		 n;
	int		 first_bytes = c->got == 0;

	if (c->frame == NULL) {
		memcpy(tmp, c->hdr, c->got);
		n = read(c->fd, tmp + c->got, sizeof(tmp) - c->got);
	} else
		n = read(c->fd, c->frame + c->got, c->framelen - c->got);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		conn_arm(c, EV_READ, 1);
		return;
	}
	if (n <= 0) {
		if (n == 0 && c->got == 0)
			conn_refuse(c, AUDIT_NO_REQUEST, NULL);
		else
			conn_refuse(c, AUDIT_MALFORMED, n == 0 ?
			    "end of stream inside the frame" :
			    "read error inside the frame");
		return;
	}
	if (c->frame == NULL) {
		size_t	 have = c->got + (size_t)n;

		switch (wire_frame_check(tmp, have, &bodylen)) {
		case WIRE_BAD_FRAME:
			if (have > 2)
				c->req = audit_req_of(tmp[2]);
			conn_refuse(c, AUDIT_MALFORMED, tmp[0] == 0 &&
			    tmp[1] == 0 ? "zero length" : have - 2 >
			    (((size_t)tmp[0] << 8) | tmp[1]) ?
			    "bytes past the end of the frame" :
			    "length over 3057");
			return;
		case WIRE_NEED_MORE:
			if (have < 2) {
				memcpy(c->hdr, tmp, have);
				c->got = have;
				c->deadline = c->accepted;
				c->deadline.tv_sec +=
				    server_config(c->srv)->packet_timeout;
				conn_arm(c, EV_READ, 1);
				return;
			}
			bodylen = ((size_t)tmp[0] << 8) | tmp[1];
			break;
		default:
			break;
		}
		c->framelen = 2 + bodylen;
		if ((c->frame = malloc(c->framelen)) == NULL) {
			log_warnx("%s: out of memory for a frame",
			    conn_peer(c));
			conn_free(c);
			return;
		}
		memcpy(c->frame, tmp, have);
		c->got = have;
	} else
		c->got += (size_t)n;
	if (first_bytes) {
		/* The packet timeout counts from accept, not from now. */
		c->deadline = c->accepted;
		c->deadline.tv_sec += server_config(c->srv)->packet_timeout;
	}
	if (c->got < c->framelen) {
		conn_arm(c, EV_READ, 1);
		return;
	}
	conn_dispatch(c);
}

static void
conn_write(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_arm(c, EV_WRITE, 1);
			return;
		}
		if (n <= 0) {
			log_debug("%s: write: %s", conn_peer(c),
			    n == 0 ? "nothing written" : strerror(errno));
			conn_free(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	conn_out_free(c);
	switch (c->after) {
	case AFTER_REGISTERED:
		free(c->frame);
		c->frame = NULL;
		c->state = CONN_REGISTERED;
		conn_arm(c, EV_READ, 0);
		break;
	case AFTER_KILL:
		server_stop(c->srv, 0);
		conn_free(c);
		break;
	case AFTER_CLOSE:
		conn_free(c);
		break;
	}
}

static void
conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	uint8_t		 b;

	(void)fd;
	switch (c->state) {
	case CONN_DELAYED:
		/* Stock sleeps before accept(): the deadlines start now. */
		c->state = CONN_READING;
		clock_gettime(CLOCK_MONOTONIC, &c->accepted);
		deadline_set(&c->deadline,
		    server_config(c->srv)->packet_timeout);
		conn_arm(c, EV_READ, 1);
		return;
	case CONN_REPLY_DELAYED:
		c->state = CONN_WRITING;
		deadline_set(&c->deadline,
		    server_config(c->srv)->packet_timeout);
		conn_write(c);
		return;
	case CONN_REGISTERED:
		/* Any byte, EOF or error ends the registration. */
		if (read(c->fd, &b, 1) == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK || errno == EINTR)) {
			conn_arm(c, EV_READ, 0);
			return;
		}
		conn_free(c);
		return;
	default:
		break;
	}
	if (what & EV_TIMEOUT) {
		if (c->state == CONN_READING) {
			if (c->got > 2)
				c->req = audit_req_of(c->frame != NULL ?
				    c->frame[2] : 0);
			conn_refuse(c, AUDIT_TIMEOUT, c->got == 0 ?
			    "no bytes" : "incomplete frame");
		} else {
			/* The request has its record: a slow reader. */
			log_debug("%s: reply not read in time", conn_peer(c));
			conn_free(c);
		}
		return;
	}
	if (c->state == CONN_READING)
		conn_read(c);
	else
		conn_write(c);
}
