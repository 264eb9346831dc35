/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.c: one connection from accept to close: I/O only.
 *
 * A connection carries one request (stock's protocol). Its whole life,
 * reading the frame and writing the reply, must fit in the packet timeout
 * counted from accept: dribbling bytes does not extend it (stock refreshes
 * it on every byte). A successful ALIVE2 turns the connection into the
 * registration's lifeline: any byte, EOF or error on it unregisters the
 * node. Idle connections hold no input buffer: a frame body is allocated,
 * at its exact size, once its length is known.
 *
 * One function, conn_drive(), owns every state transition, and one,
 * conn_destroy(), frees a connection: helpers only report what happened
 * (a status), they never free or re-arm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "conn.h"
#include "log.h"
#include "wire.h"

enum conn_state {
	CONN_DELAYED,		/* -delay_accept */
	CONN_READING,
	CONN_DISPATCH,		/* a whole frame is in: decide */
	CONN_REPLY_DELAYED,	/* -delay_write */
	CONN_WRITING,
	CONN_REGISTERED,
	CONN_CLOSING,
};

/* What a step of I/O came to. */
enum conn_io {
	IO_WAIT,		/* wait for the event armed */
	IO_DONE,		/* this state's work is done */
	IO_CLOSE,		/* close (any record already made) */
};

struct conn {
	struct conn_ctx		*ctx;
	struct conn		*prev, *next;	/* ctx->head list */
	int			 fd;
	struct event		*ev;
	enum conn_state		 state;
	enum proto_next		 after;		/* once the reply is written */
	struct proto_peer	 peer;
	struct timespec		 accepted;	/* CLOCK_MONOTONIC */
	struct timespec		 deadline;
	struct sockaddr_storage	 src;
	struct sockaddr_storage	 dst;
	uint8_t			 hdr[2];
	size_t			 got;		/* frame bytes read */
	uint8_t			*frame;		/* 2 + body length bytes */
	size_t			 framelen;
	uint8_t			*out;
	size_t			 outlen;
	size_t			 outoff;
	char			 peerstr[ADDR_STRLEN];	/* conn_peer() */
	char			*regname;	/* registered node, for logs */
	uint16_t		 regport;
	enum audit_req		 req;		/* the request being served */
};

static void	conn_event(evutil_socket_t, short, void *);
static void	conn_drive(struct conn *, short);
static void	conn_destroy(struct conn *, const char *);

/* The time, as the engine takes it. */
static struct proto_now
now_of(void)
{
	struct proto_now	 n;
	struct timespec		 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n.ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	n.epoch = (uint32_t)time(NULL);
	return n;
}

/* Set a deadline seconds from now. */
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
		addr_sockaddr_str((struct sockaddr *)&c->src, c->peerstr,
		    sizeof(c->peerstr));
	return c->peerstr;
}

/* Send or count the engine's record, and its operator warning. */
static void
conn_log(struct conn *c, const struct proto_out *out)
{
	if (out->warn != NULL)
		log_warnx("%s: %s", conn_peer(c), out->warn);
	switch (out->log) {
	case PROTO_LOG_FULL:
		log_audit(&out->audit);
		break;
	case PROTO_LOG_COUNT:
		log_count(out->audit.req, out->audit.verdict);
		break;
	case PROTO_LOG_NONE:
		break;
	}
}

/* Record a failure before a request was decided. */
static void
conn_refuse(struct conn *c, enum audit_verdict v, const char *reason)
{
	struct proto_out	 out;
	struct proto_now	 now = now_of();

	proto_refuse(c->ctx->proto, &c->peer, c->req, v, reason, &now, &out);
	conn_log(c, &out);
	proto_out_free(&out);
}

/*
 * (Re)arm the connection's one event for what, with the deadline if
 * timed. IO_WAIT, or IO_CLOSE if the event cannot be watched.
 */
static enum conn_io
conn_arm(struct conn *c, short what, int timed)
{
	struct timeval	 tv;
	int		 r;

	event_del(c->ev);
	event_assign(c->ev, c->ctx->base, what == 0 ? -1 : c->fd, what,
	    conn_event, c);
	if (timed) {
		tv = deadline_left(&c->deadline);
		r = event_add(c->ev, &tv);
	} else
		r = event_add(c->ev, NULL);
	if (r == -1) {
		/* Unwatched, a registration would never see its end. */
		log_warnx("%s: cannot watch the connection; closing it",
		    conn_peer(c));
		return IO_CLOSE;
	}
	return IO_WAIT;
}

/* Link a connection into its ctx's list. */
static void
conn_link(struct conn *c)
{
	c->next = c->ctx->head;
	if (c->next != NULL)
		c->next->prev = c;
	c->ctx->head = c;
}

/* Create a connection and start it. */
void
conn_new(struct conn_ctx *ctx, int fd, const struct proto_peer *peer,
    const struct sockaddr *src, socklen_t srclen, const struct sockaddr *dst)
{
	struct conn	*c;

	ctx->nconns++;
	if (!peer->local)
		ctx->nremote++;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ev = event_new(ctx->base, fd, EV_READ, conn_event,
	    c)) == NULL) {
		log_warnx("out of memory for a new connection");
		free(c);
		close(fd);
		ctx->nconns--;
		if (!peer->local)
			ctx->nremote--;
		proto_close(ctx->proto, peer);
		return;
	}
	c->ctx = ctx;
	c->fd = fd;
	if (srclen > sizeof(c->src))
		srclen = sizeof(c->src);
	memcpy(&c->src, src, srclen);
	memcpy(&c->dst, dst, dst->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	c->peer = *peer;
	c->peer.src = (struct sockaddr *)&c->src;
	c->peer.dst = (struct sockaddr *)&c->dst;
	c->peer.owner = c;
	c->peer.fd = fd;
	c->req = AUDIT_REQ_NONE;
	conn_link(c);
	clock_gettime(CLOCK_MONOTONIC, &c->accepted);
	if (ctx->delay_accept > 0) {
		c->state = CONN_DELAYED;
		deadline_set(&c->deadline, ctx->delay_accept);
	} else {
		unsigned first = ctx->first_byte_timeout;

		c->state = CONN_READING;
		/* A short deadline for the first byte, then the packet one. */
		if (first == 0 || first > ctx->packet_timeout)
			first = ctx->packet_timeout;
		deadline_set(&c->deadline, first);
	}
	/* Clients send at once: try before waiting (saves two syscalls). */
	conn_drive(c, 0);
}

/*
 * The one place a connection is freed. A registration it holds ends
 * here (logged), unless reason says it already ended elsewhere.
 */
static void
conn_destroy(struct conn *c, const char *reason)
{
	struct conn_ctx		*ctx = c->ctx;
	struct proto_out	 out;

	if (c->regname != NULL) {
		if (proto_end(ctx->proto, &c->peer, c->regname, c->regport,
		    reason, &out))
			conn_log(c, &out);
		free(c->regname);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctx->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->ev);
	close(c->fd);
	free(c->frame);
	if (c->out != NULL)
		ctx->reply_bytes -= c->outlen < ctx->reply_bytes ? c->outlen :
		    ctx->reply_bytes;
	free(c->out);
	ctx->nconns--;
	if (!c->peer.local)
		ctx->nremote--;
	proto_close(ctx->proto, &c->peer);
	free(c);
}

/* Close every connection. */
void
conn_close_all(struct conn_ctx *ctx)
{
	while (ctx->head != NULL)
		conn_destroy(ctx->head, NULL);
}

/*
 * Take the engine's reply: write what the socket takes at once (most
 * replies fit its buffer), keep the rest within the daemon-wide budget.
 */
static enum conn_io
conn_take_reply(struct conn *c, const uint8_t *buf, size_t len)
{
	struct conn_ctx	*ctx = c->ctx;
	ssize_t		 n = 0;
	size_t		 rest;

	if (log_debug_level() > 0)
		log_debug("%s: replying %zu bytes", conn_peer(c), len);
	if (ctx->delay_write == 0) {
		do
			n = write(c->fd, buf, len);
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("%s: write: %s", conn_peer(c), strerror(errno));
			return IO_CLOSE;
		}
		if (n == -1)
			n = 0;
	}
	if ((size_t)n == len)
		return IO_DONE;
	rest = len - (size_t)n;
	if (rest > ctx->reply_budget - ctx->reply_bytes) {
		log_warnx("%s: reply of %zu bytes dropped: the reply memory "
		    "budget is full", conn_peer(c), len);
		return IO_CLOSE;
	}
	if ((c->out = malloc(rest)) == NULL) {
		log_warnx("%s: out of memory for a reply", conn_peer(c));
		return IO_CLOSE;
	}
	ctx->reply_bytes += rest;
	memcpy(c->out, buf + n, rest);
	c->outlen = rest;
	c->outoff = 0;
	return IO_DONE;
}

/* Close a registration whose node was removed by STOP. */
static void
conn_stopped(struct conn_ctx *ctx, void *owner)
{
	struct conn	*o;

	/* Only ever a connection of ours: check rather than trust. */
	for (o = ctx->head; o != NULL && o != owner; o = o->next)
		;
	if (o != NULL)
		conn_destroy(o, "stopped");
}

/*
 * Decide the request in the frame and take the reply. The state after
 * is WRITING, REPLY_DELAYED or CLOSING.
 */
static void
conn_dispatch(struct conn *c)
{
	struct proto_out	 out;
	struct proto_now	 now = now_of();

	proto_request(c->ctx->proto, &c->peer, c->frame + 2, c->framelen - 2,
	    &now, &out);
	c->req = out.audit.req;
	conn_log(c, &out);
	if (out.regname != NULL) {
		c->regname = out.regname;
		c->regport = out.regport;
		out.regname = NULL;
	}
	/* The registration is gone: close its connection, logging its end. */
	if (out.stopped != NULL)
		conn_stopped(c->ctx, out.stopped);
	c->after = out.next;
	c->state = CONN_CLOSING;
	if (out.next != PROTO_CLOSE &&
	    conn_take_reply(c, out.reply, out.replylen) == IO_DONE) {
		if (c->ctx->delay_write > 0) {
			c->state = CONN_REPLY_DELAYED;
			/* The test aid may overrun the packet timeout. */
			deadline_set(&c->deadline, c->ctx->delay_write);
		} else
			c->state = CONN_WRITING;
	}
	proto_out_free(&out);
}

/* The reason a frame that fails wire_frame_check() is refused. */
static const char *
frame_error(const uint8_t *tmp, size_t have)
{
	if (tmp[0] == 0 && tmp[1] == 0)
		return "zero length";
	if (have - 2 > (((size_t)tmp[0] << 8) | tmp[1]))
		return "bytes past the end of the frame";
	return "length over 3057";
}

/*
 * Read what is there. Before the length is known, read into a stack
 * buffer as large as the largest frame, so that bytes beyond the frame
 * sent with it are seen (stock closes on them); after, read exactly the
 * rest of the frame. IO_DONE once the frame is whole.
 */
static enum conn_io
conn_read(struct conn *c)
{
	uint8_t		 tmp[2 + WIRE_MAX_BODY + 1];
	size_t		 bodylen, have;
	ssize_t		 n;
	int		 first_bytes = c->got == 0;

	if (c->frame == NULL) {
		memcpy(tmp, c->hdr, c->got);
		n = read(c->fd, tmp + c->got, sizeof(tmp) - c->got);
	} else
		n = read(c->fd, c->frame + c->got, c->framelen - c->got);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return IO_WAIT;
	if (n <= 0) {
		if (n == 0 && c->got == 0)
			conn_refuse(c, AUDIT_NO_REQUEST, NULL);
		else
			conn_refuse(c, AUDIT_MALFORMED, n == 0 ?
			    "end of stream inside the frame" :
			    "read error inside the frame");
		return IO_CLOSE;
	}
	if (first_bytes) {
		/* The packet timeout counts from accept, not from now. */
		c->deadline = c->accepted;
		c->deadline.tv_sec += c->ctx->packet_timeout;
	}
	if (c->frame != NULL) {
		c->got += (size_t)n;
		return c->got < c->framelen ? IO_WAIT : IO_DONE;
	}
	have = c->got + (size_t)n;
	switch (wire_frame_check(tmp, have, &bodylen)) {
	case WIRE_BAD_FRAME:
		if (have > 2)
			c->req = proto_req_of(tmp[2]);
		conn_refuse(c, AUDIT_MALFORMED, frame_error(tmp, have));
		return IO_CLOSE;
	case WIRE_NEED_MORE:
		if (have < 2) {
			memcpy(c->hdr, tmp, have);
			c->got = have;
			return IO_WAIT;
		}
		bodylen = ((size_t)tmp[0] << 8) | tmp[1];
		break;
	default:
		break;
	}
	c->framelen = 2 + bodylen;
	if ((c->frame = malloc(c->framelen)) == NULL) {
		log_warnx("%s: out of memory for a frame", conn_peer(c));
		return IO_CLOSE;
	}
	memcpy(c->frame, tmp, have);
	c->got = have;
	return c->got < c->framelen ? IO_WAIT : IO_DONE;
}

/* Write what is left of the reply. IO_DONE once all is written. */
static enum conn_io
conn_write(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return IO_WAIT;
		if (n <= 0) {
			log_debug("%s: write: %s", conn_peer(c),
			    n == 0 ? "nothing written" : strerror(errno));
			return IO_CLOSE;
		}
		c->outoff += (size_t)n;
	}
	c->ctx->reply_bytes -= c->outlen < c->ctx->reply_bytes ? c->outlen :
	    c->ctx->reply_bytes;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	return IO_DONE;
}

/*
 * The state machine: run the connection from its state on event what
 * (EV_READ, EV_WRITE, EV_TIMEOUT, or 0 when entered without one) until it
 * waits for an event or is freed. Every transition is made here.
 */
static void
conn_drive(struct conn *c, short what)
{
	enum conn_io	 io;
	uint8_t		 b;

	for (;;) {
		switch (c->state) {
		case CONN_DELAYED:
			if (!(what & EV_TIMEOUT)) {
				io = conn_arm(c, 0, 1);
				break;
			}
			/* Stock sleeps before accept(): deadlines start now. */
			clock_gettime(CLOCK_MONOTONIC, &c->accepted);
			deadline_set(&c->deadline, c->ctx->packet_timeout);
			c->state = CONN_READING;
			io = conn_arm(c, EV_READ, 1);
			break;
		case CONN_READING:
			if (what & EV_TIMEOUT) {
				if (c->got > 2)
					c->req = proto_req_of(c->frame[2]);
				conn_refuse(c, AUDIT_TIMEOUT, c->got == 0 ?
				    "no bytes" : "incomplete frame");
				io = IO_CLOSE;
				break;
			}
			if ((io = conn_read(c)) == IO_WAIT)
				io = conn_arm(c, EV_READ, 1);
			else if (io == IO_DONE)
				c->state = CONN_DISPATCH;
			break;
		case CONN_DISPATCH:
			conn_dispatch(c);
			io = IO_DONE;
			break;
		case CONN_REPLY_DELAYED:
			if (!(what & EV_TIMEOUT)) {
				io = conn_arm(c, 0, 1);
				break;
			}
			deadline_set(&c->deadline, c->ctx->packet_timeout);
			c->state = CONN_WRITING;
			io = IO_DONE;
			break;
		case CONN_WRITING:
			if (what & EV_TIMEOUT) {
				/* The request has its record: a slow reader. */
				log_debug("%s: reply not read in time",
				    conn_peer(c));
				io = IO_CLOSE;
				break;
			}
			if ((io = conn_write(c)) == IO_WAIT) {
				io = conn_arm(c, EV_WRITE, 1);
				break;
			}
			if (io == IO_CLOSE)
				break;
			switch (c->after) {
			case PROTO_REPLY_KEEP:
				free(c->frame);
				c->frame = NULL;
				c->state = CONN_REGISTERED;
				io = conn_arm(c, EV_READ, 0);
				break;
			case PROTO_REPLY_KILL:
				c->ctx->stop(c->ctx->stop_arg, 0);
				io = IO_CLOSE;
				break;
			default:
				io = IO_CLOSE;
				break;
			}
			break;
		case CONN_REGISTERED:
			/* Any byte, EOF or error ends the registration. */
			if (what == 0 || (read(c->fd, &b, 1) == -1 &&
			    (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)))
				io = conn_arm(c, EV_READ, 0);
			else
				io = IO_CLOSE;
			break;
		case CONN_CLOSING:
		default:
			io = IO_CLOSE;
			break;
		}
		if (io == IO_CLOSE) {
			conn_destroy(c, NULL);
			return;
		}
		if (io == IO_WAIT)
			return;
		/* A new state: run it without an event. */
		what = 0;
	}
}

/* libevent's callback: drive the connection with the event. */
static void
conn_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	conn_drive(arg, what);
}
