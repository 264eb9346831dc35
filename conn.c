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
	struct acl_addr		 addr;		/* peer, for the ACL */
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;
	uint8_t			 hdr[2];
	size_t			 got;		/* frame bytes read */
	uint8_t			*frame;		/* 2 + body length bytes */
	size_t			 framelen;
	uint8_t			*out;
	size_t			 outlen;
	size_t			 outoff;
	char			 peerstr[UTIL_ADDRSTRLEN];
};

static void	conn_event(evutil_socket_t, short, void *);
static void	conn_arm(struct conn *, short, int);

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

/* (Re)arm the connection's one event for what, with the deadline. */
static void
conn_arm(struct conn *c, short what, int timed)
{
	struct timeval	 tv;

	event_del(c->ev);
	event_assign(c->ev, server_base(c->srv), what == 0 ? -1 : c->fd,
	    what, conn_event, c);
	if (timed) {
		tv = deadline_left(&c->deadline);
		event_add(c->ev, &tv);
	} else
		event_add(c->ev, NULL);
}

struct conn *
conn_new(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen)
{
	const struct server_config	*cfg = server_config(srv);
	struct conn			*c;
	socklen_t			 len;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ev = event_new(server_base(srv), fd, EV_READ, conn_event,
	    c)) == NULL) {
		log_warnx("out of memory for a new connection");
		free(c);
		close(fd);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	if (peerlen > sizeof(c->peer))
		peerlen = sizeof(c->peer);
	memcpy(&c->peer, peer, peerlen);
	len = sizeof(c->local);
	if (getsockname(fd, (struct sockaddr *)&c->local, &len) == -1)
		c->local.ss_family = AF_UNSPEC;
	if (acl_addr_from_sockaddr((struct sockaddr *)&c->peer, &c->addr) == -1)
		c->addr.family = AF_UNSPEC;
	c->local_peer = acl_is_local_peer((struct sockaddr *)&c->peer,
	    c->local.ss_family == AF_UNSPEC ? NULL :
	    (struct sockaddr *)&c->local);
	util_sockaddr_str((struct sockaddr *)&c->peer, c->peerstr,
	    sizeof(c->peerstr));
	server_conn_opened(srv, c);
	log_debug("%s: connected (%s peer)", c->peerstr,
	    c->local_peer ? "local" : "remote");

	if (cfg->delay_accept > 0) {
		c->state = CONN_DELAYED;
		deadline_set(&c->deadline, cfg->delay_accept);
		conn_arm(c, 0, 1);
	} else {
		c->state = CONN_READING;
		deadline_set(&c->deadline, cfg->packet_timeout);
		conn_arm(c, EV_READ, 1);
	}
	return c;
}

void
conn_free(struct conn *c)
{
	if (c->state == CONN_REGISTERED &&
	    registry_remove_owner(server_registry(c->srv), c) == REGISTRY_OK)
		log_debug("%s: registration ended", c->peerstr);
	event_free(c->ev);
	close(c->fd);
	free(c->frame);
	free(c->out);
	server_conn_closed(c->srv, c);
	free(c);
}

/* Queue a reply of len bytes (copied) and start writing it. */
static void
conn_reply(struct conn *c, const void *buf, size_t len, enum conn_after after)
{
	const struct server_config	*cfg = server_config(c->srv);

	free(c->out);
	c->outoff = 0;
	c->outlen = 0;
	if ((c->out = malloc(len > 0 ? len : 1)) == NULL) {
		log_warnx("%s: out of memory for a reply", c->peerstr);
		conn_free(c);
		return;
	}
	memcpy(c->out, buf, len);
	c->outlen = len;
	c->after = after;
	if (cfg->delay_write > 0) {
		c->state = CONN_REPLY_DELAYED;
		/* The test aid may overrun the packet timeout, as in stock. */
		deadline_set(&c->deadline, cfg->delay_write);
		conn_arm(c, 0, 1);
		return;
	}
	c->state = CONN_WRITING;
	conn_event(c->fd, EV_WRITE, c);
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
	struct acl_verdict		 v;
	uint8_t				 hdr[4];

	if (!dump) {
		v = acl_names_allowed(pol->acl, &c->addr);
		if (!v.allow) {
			log_info("%s: NAMES denied (%s%u)", c->peerstr,
			    v.line ? "rule at line " : "no rule matched ",
			    v.line);
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
		log_warnx("%s: cannot build %s reply", c->peerstr,
		    dump ? "DUMP" : "NAMES");
		free(o.p);
		conn_free(c);
		return;
	}
	log_debug("%s: %s: %zu nodes", c->peerstr, dump ? "DUMP" : "NAMES",
	    registry_count(reg));
	conn_reply(c, o.p, o.len, AFTER_CLOSE);
	free(o.p);
}

static void
do_alive2(struct conn *c, const struct wire_request *req,
    enum wire_status st, const char *errstr)
{
	enum registry_status	 rs;
	uint8_t			 out[8];
	uint32_t		 creation = WIRE_ERROR_CREATION;
	char			 name[WIRE_MAX_NAME_BYTES * 4 + 1];
	int			 ok = 0;

	util_escape(name, sizeof(name), req->node.name, req->node.namelen);
	if (st != WIRE_OK)
		log_info("%s: ALIVE2 refused: %s", c->peerstr, errstr);
	else {
		rs = registry_add(server_registry(c->srv), &req->node, c,
		    c->fd, (uint32_t)time(NULL), &creation);
		switch (rs) {
		case REGISTRY_OK:
			ok = 1;
			log_debug("%s: registered \"%s\" port %u creation %u",
			    c->peerstr, name, (unsigned)req->node.port,
			    (unsigned)creation);
			break;
		case REGISTRY_DUPLICATE:
			log_info("%s: ALIVE2 refused: \"%s\" is already "
			    "registered", c->peerstr, name);
			break;
		default:
			log_warnx("%s: ALIVE2 refused: node table full",
			    c->peerstr);
			break;
		}
		if (!ok)
			creation = WIRE_ERROR_CREATION;
	}
	if (ok && req->node.highvsn < 6)
		creation = registry_creation_v5(creation);
	/*
	 * A refused registration is closed after its reply; stock keeps it
	 * open and a later failure there could unregister the name's real
	 * holder.
	 */
	conn_reply(c, out, wire_encode_alive2_resp(out, sizeof(out),
	    req->node.highvsn, ok ? 0 : 1, creation),
	    ok ? AFTER_REGISTERED : AFTER_CLOSE);
}

static void
do_port2(struct conn *c, const struct wire_request *req)
{
	const struct server_policy	*pol = server_policy(c->srv);
	const struct wire_node		*n = NULL;
	struct acl_verdict		 v;
	uint8_t				 out[WIRE_MAX_PORT2_RESP];
	char				 name[WIRE_MAX_NAME_BYTES * 4 + 1];

	util_escape(name, sizeof(name), req->node.name, req->node.namelen);
	v = acl_check(pol->acl, &c->addr, ACL_SCOPE_PORT, req->node.name);
	if (!v.allow) {
		log_info("%s: PORT_PLEASE2 \"%s\" denied (%s%u)", c->peerstr,
		    name, v.line ? "rule at line " : "no rule matched ",
		    v.line);
		if (pol->port_refusal == CONF_PORT_CLOSE) {
			conn_free(c);
			return;
		}
	} else if ((n = registry_find(server_registry(c->srv),
	    req->node.name)) == NULL)
		log_debug("%s: PORT_PLEASE2 \"%s\" not found", c->peerstr,
		    name);
	else
		log_debug("%s: PORT_PLEASE2 \"%s\" port %u", c->peerstr, name,
		    (unsigned)n->port);
	/* A refusal looks exactly like "not registered". */
	conn_reply(c, out, wire_encode_port2_resp(out, sizeof(out), n),
	    AFTER_CLOSE);
}

static void
do_kill(struct conn *c)
{
	const struct server_config	*cfg = server_config(c->srv);

	if (!cfg->relaxed && registry_count(server_registry(c->srv)) > 0) {
		log_info("%s: KILL refused: nodes are registered",
		    c->peerstr);
		conn_reply(c, "NO", 2, AFTER_CLOSE);
		return;
	}
	log_info("%s: KILL: stopping", c->peerstr);
	conn_reply(c, "OK", 2, AFTER_KILL);
}

static void
do_stop(struct conn *c, const struct wire_request *req)
{
	void	*owner;
	char	 name[WIRE_MAX_NAME_BYTES * 4 + 1];

	util_escape(name, sizeof(name), req->node.name, req->node.namelen);
	if (!server_config(c->srv)->relaxed) {
		log_info("%s: STOP refused: no -relaxed_command_check",
		    c->peerstr);
		conn_free(c);
		return;
	}
	if (req->node.namelen == 0 ||
	    registry_remove_name(server_registry(c->srv), req->node.name,
	    &owner) != REGISTRY_OK) {
		/* Stock appends STOPPED here too. */
		log_info("%s: STOP \"%s\": not registered", c->peerstr, name);
		conn_reply(c, "NOEXIST", 7, AFTER_CLOSE);
		return;
	}
	log_info("%s: STOP \"%s\": unregistered", c->peerstr, name);
	/* The registration is already gone: close its connection. */
	conn_free(owner);
	conn_reply(c, "STOPPED", 7, AFTER_CLOSE);
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
	if (st == WIRE_BAD_FRAME) {
		log_info("%s: malformed request: %s", c->peerstr, errstr);
		conn_free(c);
		return;
	}
	/* Requests that change or reveal daemon state: local peers only. */
	if (!c->local_peer && (req.op == WIRE_OP_ALIVE2 ||
	    req.op == WIRE_OP_DUMP || req.op == WIRE_OP_KILL ||
	    req.op == WIRE_OP_STOP)) {
		log_info("%s: request %d refused: not a local peer",
		    c->peerstr, (int)req.op);
		conn_free(c);
		return;
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
		if (n == 0)
			log_debug("%s: closed after %zu bytes", c->peerstr,
			    c->got);
		else
			log_debug("%s: read: %s", c->peerstr,
			    strerror(errno));
		conn_free(c);
		return;
	}
	if (c->frame == NULL) {
		size_t	 have = c->got + (size_t)n;

		switch (wire_frame_check(tmp, have, &bodylen)) {
		case WIRE_BAD_FRAME:
			log_info("%s: malformed frame (length %u, %zu bytes "
			    "received)", c->peerstr,
			    have >= 2 ? (unsigned)((tmp[0] << 8) | tmp[1]) :
			    0U, have);
			conn_free(c);
			return;
		case WIRE_NEED_MORE:
			if (have < 2) {
				memcpy(c->hdr, tmp, have);
				c->got = have;
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
			    c->peerstr);
			conn_free(c);
			return;
		}
		memcpy(c->frame, tmp, have);
		c->got = have;
	} else
		c->got += (size_t)n;
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
			log_debug("%s: write: %s", c->peerstr,
			    n == 0 ? "nothing written" : strerror(errno));
			conn_free(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
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
		c->state = CONN_READING;
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
		log_info("%s: timeout after %zu bytes", c->peerstr, c->got);
		conn_free(c);
		return;
	}
	if (c->state == CONN_READING)
		conn_read(c);
	else
		conn_write(c);
}
