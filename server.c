/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.c: listening sockets, accept, signals and the event loop.
 *
 * Listening sockets are opened before the process detaches and before
 * the event base exists (libevent's epoll does not survive fork). When
 * accept fails for lack of descriptors or memory the listeners pause for
 * a moment and resume: connections already open keep being served, the
 * daemon neither exits nor spins on a readable listener it cannot drain.
 */
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "conn.h"
#include "holder.h"
#include "log.h"
#include "owner_state.h"
#include "proto.h"
#include "registry.h"
#include "server.h"
#include "sockdiag_io.h"
#include "systemd.h"
#include "util.h"
#include "wire.h"

#define ACCEPT_BACKOFF_MS	100

#define ACCEPT_BATCH		16	/* accepts per wake-up, for fairness */

struct reload;
static void	policy_apply(struct server *);
static void	reload_discard(struct server *);

struct listener {
	struct server		*srv;
	int			 fd;
	struct event		*ev;
	char			 name[ADDR_STRLEN];
	/* The bound address, when it is a specific one (not a wildcard). */
	struct sockaddr_storage	 addr;
	int			 specific;
};

struct server {
	/* As started (a copy); the reloadable keys are read from pol. */
	struct conf		 conf;
	struct server_run	 run;
	struct server_policy	 pol;
	struct event_base	*base;
	struct proto		*proto;
	struct conn_ctx		 cc;		/* what connections share */
	struct listener		 listeners[SERVER_MAX_ADDRESSES + 2];
	size_t			 nlisteners;
	struct event		*backoff;
	int			 paused;
	int			 exhausted;	/* an EMFILE episode is on */
	unsigned long		 pauses;
	struct event		*counters;
	struct event		*metrics;
	int			 metrics_failing;	/* logged once a streak */
	struct event		*watchdog;
	struct event		*summary;
	struct reload		*reload;	/* a reload in progress */
	int			 reload_again;	/* SIGHUP during it */
	int			 status;
	/* sock_diag: NULL if the kernel or sandbox refused it (stock). */
	struct sockdiag_io	*sd;
	int			 sd_failing;	/* a lookup failure was logged */
};

static void	sd_failed(struct server *, const char *, const char *);
static int	peer_uid(void *, struct proto_peer *);

/*
 * Fill a policy from a loaded configuration: its reloadable keys, the ACL
 * (owned from now on) and a copy of the register lines. -1: no memory
 * (pol->acl is set all the same).
 */
static int
policy_of(struct server_policy *pol, const struct conf *c,
    const char *acl_path, struct acl *acl, int builtin)
{
	pol->acl = acl;
	pol->builtin = builtin;
	snprintf(pol->file, sizeof(pol->file), "%s", acl_path != NULL ?
	    acl_path : c->acl_file);
	pol->names_refusal = c->names_refusal;
	pol->port_refusal = c->port_refusal;
	pol->register_default = c->register_default;
	pol->check_port_owner = c->check_port_owner;
	pol->root_any_port = c->root_any_port;
	pol->dist_exposure = c->dist_exposure;
	if ((pol->reg = malloc(sizeof(*pol->reg))) == NULL)
		return -1;
	*pol->reg = c->reg;
	return 0;
}

/* Allocate a server for a configuration (copied) and its ACL (owned). */
struct server *
server_new(const struct conf *conf, const struct server_run *run,
    struct acl *acl, int builtin)
{
	struct server	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		acl_free(acl);
		return NULL;
	}
	s->conf = *conf;
	s->run = *run;
	if (policy_of(&s->pol, conf, run->acl_path, acl, builtin) == -1) {
		acl_free(acl);
		free(s);
		return NULL;
	}
	return s;
}

/* Open, bind and listen on one address. -1 with errno on failure. */
static int
listen_on(struct server *s, const char *addr)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*errstr;
	struct listener		*l;
	char			 q[256];
	int			 fd, on = 1, saved;

	if (util_parse_address(addr, s->conf.port, &ss, &sslen, &errstr) ==
	    -1) {
		log_event(LOG_WARNING, "event=listen_error addr=\"%s\" "
		    "error=\"%s\"", log_quote(q, sizeof(q), addr), errstr);
		errno = EINVAL;
		return -1;
	}
	/* The same address given twice listens once. */
	l = &s->listeners[s->nlisteners];
	addr_sockaddr_str((struct sockaddr *)&ss, l->name, sizeof(l->name));
	for (size_t i = 0; i < s->nlisteners; i++)
		if (strcmp(s->listeners[i].name, l->name) == 0)
			return 0;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	l->fd = fd;
	s->nlisteners++;
	return 0;
}

/* Adopt the sockets systemd passed, each a listening TCP socket. */
static enum server_bind_status
systemd_bind(struct server *s)
{
	int			 fds[SERVER_MAX_ADDRESSES + 2];
	size_t			 i, n;
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	if (systemd_listen_fds(fds, sizeof(fds) / sizeof(fds[0]), &n) == -1)
		return SERVER_BIND_FAILED;
	for (i = 0; i < n; i++) {
		struct listener	*l = &s->listeners[s->nlisteners++];

		l->fd = fds[i];
		len = sizeof(ss);
		if (getsockname(fds[i], (struct sockaddr *)&ss, &len) == -1)
			ss.ss_family = AF_UNSPEC;
		addr_sockaddr_str((struct sockaddr *)&ss, l->name,
		    sizeof(l->name));
		/*
		 * NAMES and DUMP report the port; clients check it against
		 * the one they dialled, which is the socket unit's.
		 */
		if (i == 0 && (ss.ss_family == AF_INET ||
		    ss.ss_family == AF_INET6))
			s->conf.port = ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)(void *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	}
	return SERVER_BIND_OK;
}

/*
 * Is the port, where our bind found it taken, held by an epmd_secure
 * serving exactly the addresses we meant to serve (wanted[0..nwanted))?
 * Anything else is described in why.
 */
static int
held_by_us(struct server *s, const char **wanted, size_t nwanted,
    char *why, size_t whylen)
{
	struct holder		 h;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*errstr;
	char			 held[512];
	size_t			 i, j;
	int			 same = 1;

	holder_find(s->conf.port, &h);
	holder_describe(&h, held, sizeof(held));
	/* The same set of addresses, each bound exactly. */
	for (i = 0; i < nwanted && same; i++) {
		if (util_parse_address(wanted[i], s->conf.port, &ss, &sslen,
		    &errstr) == -1) {
			same = 0;
			break;
		}
		for (j = 0; j < h.n; j++)
			if (memcmp(&h.s[j].addr, &ss, sslen) == 0)
				break;
		same = j < h.n;
	}
	for (j = 0; j < h.n && same; j++) {
		for (i = 0; i < nwanted; i++)
			if (util_parse_address(wanted[i], s->conf.port, &ss,
			    &sslen, &errstr) == 0 &&
			    memcmp(&h.s[j].addr, &ss, sslen) == 0)
				break;
		same = i < nwanted;
	}
	if (same && holder_all_epmd_secure(&h)) {
		snprintf(why, whylen, "port %u is already served by "
		    "epmd_secure on the same addresses: %s",
		    (unsigned)s->conf.port, held);
		return 1;
	}
	snprintf(why, whylen, "port %u is already in use: %s",
	    (unsigned)s->conf.port, held);
	return 0;
}

/* 1 if a configured address is the wildcard of family. */
static int
wildcard_configured(struct server *s, int family)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*errstr;
	size_t			 i;

	for (i = 0; i < s->conf.nlisten; i++) {
		if (util_parse_address(s->conf.listen[i], 0, &ss, &sslen,
		    &errstr) == -1 || ss.ss_family != family)
			continue;
		if (family == AF_INET ? ((struct sockaddr_in *)(void *)&ss)->
		    sin_addr.s_addr == htonl(INADDR_ANY) :
		    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)
		    (void *)&ss)->sin6_addr))
			return 1;
	}
	return 0;
}

enum server_bind_status
server_bind(struct server *s, char *why, size_t whylen)
{
	static const char	*loopback[] = { "127.0.0.1", "::1" };
	const char		*wanted[SERVER_MAX_ADDRESSES + 2];
	const char		*taken = NULL;
	size_t			 i, nwanted = 0;
	char			 held[640];

	snprintf(why, whylen, "no address to listen on");
	if (s->run.systemd)
		return systemd_bind(s);
	/*
	 * Every configured address must bind: serving a subset would split
	 * the registry (remote peers asking one epmd, local nodes
	 * registering with another).
	 */
	for (i = 0; i < s->conf.nlisten; i++) {
		wanted[nwanted++] = s->conf.listen[i];
		if (listen_on(s, s->conf.listen[i]) == 0)
			continue;
		if (errno == EADDRINUSE) {
			if (taken == NULL)
				taken = s->conf.listen[i];
			continue;
		}
		if (errno == EINVAL)
			snprintf(why, whylen, "listen address \"%s\" is not "
			    "a numeric address", s->conf.listen[i]);
		else
			snprintf(why, whylen, "cannot listen on %s port %u: "
			    "%s", s->conf.listen[i], (unsigned)s->conf.port,
			    strerror(errno));
		return SERVER_BIND_FAILED;
	}
	/*
	 * Loopback is always served, as stock does. An address family or a
	 * loopback address the kernel lacks (no IPv6) is no failure; a
	 * taken port is.
	 */
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		if (wildcard_configured(s, i == 0 ? AF_INET : AF_INET6))
			continue;	/* 0.0.0.0 or :: covers it */
		if (listen_on(s, loopback[i]) == 0) {
			wanted[nwanted++] = loopback[i];
			continue;
		}
		if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL) {
			log_debug("cannot listen on %s port %u: %s",
			    loopback[i], (unsigned)s->conf.port,
			    strerror(errno));
			continue;
		}
		wanted[nwanted++] = loopback[i];
		if (errno == EADDRINUSE) {
			if (taken == NULL)
				taken = loopback[i];
			continue;
		}
		snprintf(why, whylen, "cannot listen on %s port %u: %s",
		    loopback[i], (unsigned)s->conf.port, strerror(errno));
		return SERVER_BIND_FAILED;
	}
	if (taken != NULL) {
		int	 ours;

		/* Our own sockets out of the way: the holders are others. */
		for (i = 0; i < s->nlisteners; i++)
			close(s->listeners[i].fd);
		s->nlisteners = 0;
		ours = held_by_us(s, wanted, nwanted, held, sizeof(held));

		if (ours)
			snprintf(why, whylen, "%s", held);
		else
			snprintf(why, whylen, "cannot listen on %s: %s",
			    taken, held);
		return ours ? SERVER_BIND_SERVED : SERVER_BIND_IN_USE;
	}
	if (s->nlisteners == 0)
		return SERVER_BIND_FAILED;
	return SERVER_BIND_OK;
}

/* Start or stop watching every listener. */
static void
listeners_enable(struct server *s, int on)
{
	for (size_t i = 0; i < s->nlisteners; i++) {
		if (on)
			event_add(s->listeners[i].ev, NULL);
		else
			event_del(s->listeners[i].ev);
	}
	s->paused = !on;
}

/* The accept back-off is over: listen again. */
static void
backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	listeners_enable(s, 1);
}

/* Monotonic milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The engine's view of time. */
static struct proto_now
proto_now(void)
{
	struct proto_now	 n = { now_ms(), (uint32_t)time(NULL) };

	return n;
}

/*
 * Admit or refuse one accepted connection (proto_admit() applies the
 * caps); a refused one is closed at once and its record logged.
 */
static void
admit(struct server *s, struct listener *l, int fd,
    const struct sockaddr *peer, socklen_t peerlen)
{
	struct sockaddr_storage	 local;
	struct proto_peer	 pp;
	struct proto_out	 out;
	struct proto_now	 now = proto_now();
	socklen_t		 len = sizeof(local);

	if (l->specific)
		memcpy(&local, &l->addr, sizeof(local));
	else if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
		memset(&local, 0, sizeof(local));
	memset(&pp, 0, sizeof(pp));
	pp.src = peer;
	pp.dst = (const struct sockaddr *)&local;
	pp.local = acl_is_local_peer(peer, local.ss_family == AF_UNSPEC ?
	    NULL : (const struct sockaddr *)&local);
	(void)addr_from_sockaddr(peer, &pp.addr);
	pp.facts.uid = -1;
	/*
	 * A local peer's uid, for its per-uid cap: only once the local
	 * connections reach the cap (below it no uid can be over it), so
	 * that lookups pay no netlink round trip. Then every open local
	 * connection is attributed too, and the cap is exact.
	 */
	if (pp.local && s->sd != NULL && local.ss_family != AF_UNSPEC &&
	    s->cc.nconns - s->cc.nremote >= s->conf.lim.max_per_uid) {
		conn_attribute_all(&s->cc, peer_uid, s);
		(void)peer_uid(s, &pp);
	}
	if (!proto_admit(s->proto, &pp, s->cc.nconns, s->cc.nremote, &now,
	    &out)) {
		close(fd);
		if (out.log == PROTO_LOG_FULL)
			log_audit(&out.audit);
		else if (out.log == PROTO_LOG_COUNT)
			log_count(out.audit.req, out.audit.verdict);
		return;
	}
	conn_new(&s->cc, fd, &pp, peer, peerlen,
	    (const struct sockaddr *)&local);
}

/*
 * Accept a batch of connections. Out of descriptors or memory: stop
 * accepting for a moment (a level-triggered listener that cannot be
 * drained would spin) and keep serving the open connections.
 */
static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct listener		*l = arg;
	struct server		*s = l->srv;
	struct sockaddr_storage	 peer;
	struct timeval		 tv = { 0, ACCEPT_BACKOFF_MS * 1000 };
	socklen_t		 len;
	int			 fd, i, e;

	(void)what;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			if (s->exhausted) {
				log_event(LOG_NOTICE, "event=fd_recovered "
				    "conns=%zu pauses=%lu", s->cc.nconns,
				    s->pauses);
				s->exhausted = 0;
			}
			admit(s, l, fd, (struct sockaddr *)&peer, len);
			continue;
		}
		e = errno;
		switch (e) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* One record per episode, not one per pause. */
			if (!s->exhausted) {
				log_note_fd_episode();
				log_event(LOG_WARNING, "event=fd_exhausted "
				    "error=\"%s\" conns=%zu pause_ms=%d",
				    strerror(e), s->cc.nconns, ACCEPT_BACKOFF_MS);
				s->exhausted = 1;
				s->pauses = 0;
			}
			s->pauses++;
			listeners_enable(s, 0);
			evtimer_add(s->backoff, &tv);
			return;
		default:
			log_warnx("accept on %s: %s", l->name, strerror(e));
			return;
		}
	}
}

/* Log one refusal summary line. */
static void
summary_line(const char *line, void *arg)
{
	(void)arg;
	log_event(LOG_NOTICE, "%s", line);
}

/* Summarise refusals per source, every summary_interval. */
static void
summary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	proto_summarise(s->proto, now_ms(), summary_line, NULL);
}

/* Note a listener's address if it is specific, to spare getsockname(). */
static void
listener_addr(struct listener *l)
{
	socklen_t			 len = sizeof(l->addr);
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	l->specific = 0;
	if (getsockname(l->fd, (struct sockaddr *)&l->addr, &len) == -1)
		return;
	if (l->addr.ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)&l->addr;
		l->specific = sin->sin_addr.s_addr != htonl(INADDR_ANY);
	} else if (l->addr.ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)&l->addr;
		l->specific = !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	}
}

/* Rewrite metrics_file; say when it starts and stops failing. */
static void
metrics_write(struct server *s)
{
	if (log_metrics_write(s->conf.metrics_file, s->cc.nconns,
	    registry_count(proto_registry(s->proto))) == -1) {
		if (!s->metrics_failing)
			log_event(LOG_WARNING, "event=metrics_error "
			    "error=\"%s\"", strerror(errno));
		s->metrics_failing = 1;
	} else if (s->metrics_failing) {
		log_event(LOG_NOTICE, "event=metrics_recovered");
		s->metrics_failing = 0;
	}
}

static void
metrics_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	metrics_write(arg);
}

/* Write the periodic counters record. */
static void
counters_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	server_counters(s);
}

/* Tell systemd's watchdog we are alive. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	systemd_notify_watchdog();
}

/* Write the counters record. */
void
server_counters(struct server *s)
{
	struct proto_uid_stats	 st;
	char			 extra[128];

	proto_uid_stats(s->proto, &st);
	snprintf(extra, sizeof(extra), "max_connections_per_uid=%zu "
	    "local_uids=%zu uid_cap_refused=%llu", s->conf.lim.max_per_uid,
	    st.uids, st.refused);
	log_counters(s->cc.nconns, registry_count(proto_registry(s->proto)),
	    extra);
	if (s->conf.metrics_file[0] != '\0')
		metrics_write(s);
}

/*
 * A sock_diag lookup failed. Say so once per episode: a registration
 * that needed it gets verdict=unverified meanwhile.
 */
static void
sd_failed(struct server *s, const char *what, const char *errstr)
{
	if (!s->sd_failing)
		log_event(LOG_WARNING, "event=attribution_failed lookup=%s "
		    "error=\"%s\"", what, errstr);
	s->sd_failing = 1;
}

/* Fill a local peer's uid from sock_diag: 0, or -1 (logged once). */
static int
peer_uid(void *arg, struct proto_peer *peer)
{
	struct server		*s = arg;
	struct sockdiag_sock	 sk;
	const char		*errstr = NULL;

	if (s->sd == NULL || peer->src == NULL || peer->dst == NULL)
		return -1;
	if (sockdiag_io_peer(s->sd, peer->src, peer->dst, &sk, &errstr) == -1) {
		sd_failed(s, "peer", errstr);
		return -1;
	}
	s->sd_failing = 0;
	peer->facts.uid = (long)sk.uid;
	return 0;
}

/* The facts hook: what the kernel says about a local peer's request. */
static void
conn_facts(void *arg, struct proto_peer *peer, const uint8_t *body,
    size_t len, struct conn_facts *buf)
{
	struct server	*s = arg;
	struct passwd	 pw, *res = NULL;
	char		 pwbuf[1024];
	const char	*errstr = NULL;
	uint16_t	 port;

	if (s->sd == NULL || len < 1)
		return;
	/* Who asks, for requests that change or reveal state. */
	if (peer->facts.uid < 0 && (body[0] == WIRE_OP_ALIVE2 ||
	    body[0] == WIRE_OP_STOP || body[0] == WIRE_OP_KILL ||
	    body[0] == WIRE_OP_DUMP || body[0] == WIRE_OP_FORGET))
		(void)peer_uid(s, peer);
	/* The user's name, for records of requests that change state. */
	if (peer->facts.uid >= 0 && (body[0] == WIRE_OP_ALIVE2 ||
	    body[0] == WIRE_OP_STOP || body[0] == WIRE_OP_KILL ||
	    body[0] == WIRE_OP_DUMP) && getpwuid_r((uid_t)peer->facts.uid,
	    &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL &&
	    strlen(pw.pw_name) < sizeof(buf->user)) {
		snprintf(buf->user, sizeof(buf->user), "%s", pw.pw_name);
		peer->facts.user = buf->user;
	}
	/* ALIVE2: who listens on the announced port, bound where. */
	if (body[0] != WIRE_OP_ALIVE2 || len < 3 ||
	    (!s->pol.check_port_owner &&
	    s->pol.dist_exposure == CONF_DIST_IGNORE))
		return;
	port = (uint16_t)(body[1] << 8 | body[2]);
	if (sockdiag_io_listeners(s->sd, port, &buf->listeners,
	    &errstr) == -1) {
		sd_failed(s, "listeners", errstr);
		return;
	}
	s->sd_failing = 0;
	peer->facts.listeners = &buf->listeners;
}

/* Load the sticky owners at start: never a reason not to start. */
static void
sticky_load(struct server *s)
{
	char	 err[CONF_PATH_LEN + 160], q[4 * sizeof(err) + 1];

	if (s->conf.state_file[0] == '\0')
		return;
	switch (owner_state_load(s->conf.state_file, proto_sticky(s->proto),
	    err, sizeof(err))) {
	case OWNER_LOAD_OK:
		log_info("sticky owners: %zu names from %s",
		    owner_sticky_count(proto_sticky(s->proto)),
		    s->conf.state_file);
		break;
	case OWNER_LOAD_MISSING:
		break;
	case OWNER_LOAD_IGNORED:
		log_event(LOG_WARNING, "event=state_file_ignored error=\"%s\" "
		    "names=0", log_quote(q, sizeof(q), err));
		break;
	}
}

/* The sticky table changed: write it out before anything else runs. */
static void
sticky_save(void *arg)
{
	struct server	*s = arg;
	char		 err[CONF_PATH_LEN + 160], q[4 * sizeof(err) + 1];

	if (s->conf.state_file[0] == '\0')
		return;
	if (owner_state_save(s->conf.state_file, proto_sticky(s->proto), err,
	    sizeof(err)) == -1)
		log_event(LOG_WARNING, "event=state_file_error error=\"%s\"",
		    log_quote(q, sizeof(q), err));
}

/* Stop the loop from a KILL. */
static void
conn_stop(void *arg, int status)
{
	server_stop(arg, status);
}

/* Create the event base, the engine and the timers; start serving. */
int
server_start(struct server *s)
{
	struct event_config	*ecfg;
	unsigned long long	 wd;
	uint64_t		 seed;
	size_t			 i;

	/*
	 * The changelist batches epoll_ctl calls until the next wait: a
	 * connection served and closed within one pass costs no epoll_ctl.
	 */
	if ((ecfg = event_config_new()) == NULL ||
	    event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) ||
	    (s->base = event_base_new_with_config(ecfg)) == NULL) {
		log_warnx("cannot create the event base");
		if (ecfg != NULL)
			event_config_free(ecfg);
		return -1;
	}
	event_config_free(ecfg);
	/*
	 * Keep large blocks (a big ACL's arrays) in mmap()ed memory that
	 * free() returns at once: glibc would otherwise raise the threshold
	 * after the first such free, and a reload's ACL would stay in the
	 * heap after a smaller one replaced it.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	for (i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		l->srv = s;
		listener_addr(l);
		if ((l->ev = event_new(s->base, l->fd, EV_READ | EV_PERSIST,
		    accept_cb, l)) == NULL || event_add(l->ev, NULL) == -1) {
			log_warnx("cannot watch listener %s", l->name);
			return -1;
		}
	}
	if ((s->backoff = evtimer_new(s->base, backoff_cb, s)) == NULL) {
		log_warnx("cannot set up the accept back-off timer");
		return -1;
	}
	if (s->conf.metrics_file[0] != '\0') {
		struct timeval tv = { (time_t)s->conf.metrics_interval, 0 };

		if (tv.tv_sec == 0)
			tv.tv_sec = 1;
		if ((s->metrics = event_new(s->base, -1, EV_PERSIST,
		    metrics_cb, s)) == NULL || event_add(s->metrics, &tv)) {
			log_warnx("cannot set up the metrics timer");
			return -1;
		}
	}
	if (s->conf.counters_interval > 0) {
		struct timeval tv = { (time_t)s->conf.counters_interval, 0 };

		if ((s->counters = event_new(s->base, -1, EV_PERSIST,
		    counters_cb, s)) == NULL || event_add(s->counters, &tv)) {
			log_warnx("cannot set up the counters timer");
			return -1;
		}
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	{
		const struct proto_config pc = {
			.port = s->conf.port,
			.relaxed = s->conf.relaxed,
			.max_nodes = s->conf.max_nodes,
			.max_freed = s->run.max_freed,
			.seed = seed,
			.lim = s->conf.lim,
		};

		if ((s->proto = proto_new(&pc)) == NULL) {
			log_warnx("cannot allocate the node and source tables");
			return -1;
		}
	}
	/*
	 * sock_diag tells who is on the other end of a local connection and
	 * who listens on a port. Without it (not Linux, AF_NETLINK outside
	 * RestrictAddressFamilies) the daemon registers as stock does.
	 */
	{
		const char	*errstr = "";

		if ((s->sd = sockdiag_io_open(&errstr)) == NULL)
			log_event(LOG_WARNING, "event=attribution_unavailable "
			    "error=\"%s: %s\" effect=\"registration checks "
			    "off, registrations as stock epmd\"", errstr,
			    strerror(errno));
	}
	policy_apply(s);
	sticky_load(s);
	s->cc.facts = conn_facts;
	s->cc.facts_arg = s;
	s->cc.sticky_changed = sticky_save;
	s->cc.sticky_arg = s;
	s->cc.base = s->base;
	s->cc.proto = s->proto;
	s->cc.packet_timeout = s->conf.packet_timeout;
	s->cc.first_byte_timeout = s->conf.lim.first_byte_timeout;
	s->cc.delay_accept = s->run.delay_accept;
	s->cc.delay_write = s->run.delay_write;
	s->cc.reply_budget = SERVER_REPLY_BUDGET;
	s->cc.stop = conn_stop;
	s->cc.stop_arg = s;
	{
		struct timeval tv = { (time_t)s->conf.lim.summary_interval, 0 };

		if ((s->summary = event_new(s->base, -1, EV_PERSIST,
		    summary_cb, s)) == NULL || event_add(s->summary, &tv)) {
			log_warnx("cannot set up the summary timer");
			return -1;
		}
	}
	if ((wd = systemd_watchdog_interval()) > 0) {
		struct timeval tv = { (time_t)(wd / 1000000),
		    (suseconds_t)(wd % 1000000) };

		if ((s->watchdog = event_new(s->base, -1, EV_PERSIST,
		    watchdog_cb, s)) == NULL || event_add(s->watchdog, &tv)) {
			log_warnx("cannot set up the watchdog timer");
			return -1;
		}
	}
	if (log_start(s->base) == -1) {
		log_warnx("cannot start the log pipeline");
		return -1;
	}
	/* The file exists from the start, zeros included. */
	if (s->conf.metrics_file[0] != '\0')
		metrics_write(s);
	return 0;
}

/* Run the loop until stopped, then close the open connections. */
int
server_run(struct server *s)
{
	event_base_dispatch(s->base);
	/* Close what is open: each registration logs its end. */
	conn_close_all(&s->cc);
	return s->status;
}

/* Stop the loop after the current callbacks. */
void
server_stop(struct server *s, int status)
{
	s->status = status;
	event_base_loopbreak(s->base);
}

/* Close everything and free the server. */
void
server_free(struct server *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].ev != NULL)
			event_free(s->listeners[i].ev);
		close(s->listeners[i].fd);
	}
	if (s->backoff != NULL)
		event_free(s->backoff);
	if (s->counters != NULL)
		event_free(s->counters);
	if (s->metrics != NULL)
		event_free(s->metrics);
	if (s->watchdog != NULL)
		event_free(s->watchdog);
	if (s->summary != NULL)
		event_free(s->summary);
	reload_discard(s);
	conn_close_all(&s->cc);
	proto_free(s->proto);
	sockdiag_io_close(s->sd);
	log_shutdown();
	acl_free(s->pol.acl);
	free(s->pol.reg);
	if (s->base != NULL)
		event_base_free(s->base);
	free(s);
}

/* Describe the listening sockets. */
size_t
server_listeners(struct server *s, char *buf, size_t len)
{
	size_t	 i, off = 0;

	if (len == 0)
		return s->nlisteners;
	buf[0] = '\0';
	for (i = 0; i < s->nlisteners && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
		    s->listeners[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return s->nlisteners;
}

/* The event base. */
struct event_base *
server_base(struct server *s)
{
	return s->base;
}

/* The configuration in use. */
const struct conf *
server_conf(struct server *s)
{
	return &s->conf;
}

/* The policy in use. */
const struct server_policy *
server_policy(struct server *s)
{
	return &s->pol;
}

/* Hand the current policy to the engine. */
static void
policy_apply(struct server *s)
{
	const struct proto_policy	 pp = {
		.acl = s->pol.acl,
		.names_refusal = s->pol.names_refusal,
		.port_refusal = s->pol.port_refusal,
		.attribution = s->sd != NULL,
		.reg = s->pol.reg,
		.register_default = s->pol.register_default,
		.check_port_owner = s->pol.check_port_owner,
		.root_any_port = s->pol.root_any_port,
		.dist_exposure = s->pol.dist_exposure,
	};

	proto_set_policy(s->proto, &pp);
}

/* Describe a policy for the logs. */
static void
policy_describe(const struct server_policy *p, char *buf, size_t len)
{
	if (p->builtin)
		snprintf(buf, len, "built-in loopback-only ACL (%zu rules)",
		    acl_count(p->acl));
	else
		snprintf(buf, len, "ACL %s (%zu rules)", p->file,
		    acl_count(p->acl));
}

/*
 * A reload in progress. Reading and compiling a 100,000-rule ACL takes
 * far longer than a lookup may wait, so it runs in a thread of its own:
 * conf_load() is pure (files in, a policy out) and shares nothing with
 * the loop. The thread's result comes back through a pipe, and only the
 * swap happens on the loop.
 */
struct reload {
	struct server		*s;
	pthread_t		 thread;
	int			 pipe[2];
	struct event		*ev;
	int			 rc;
	struct conf		 c;
	struct conf_errors	 errs;
	struct server_policy	 np;
};

/* The reload thread: load and compile, then wake the loop. */
static void *
reload_run(void *arg)
{
	struct reload	*r = arg;
	struct server	*s = r->s;
	ssize_t		 n;

	r->rc = conf_load(s->run.config_file, s->run.config_explicit,
	    s->run.acl_path, &r->c, &r->np.acl, &r->np.builtin, &r->errs);
	do
		n = write(r->pipe[1], "", 1);
	while (n == -1 && errno == EINTR);
	return NULL;
}

/* Wait for a reload thread and release its thread, pipe and event. */
static void
reload_reap(struct reload *r)
{
	pthread_join(r->thread, NULL);
	event_free(r->ev);
	close(r->pipe[0]);
	close(r->pipe[1]);
}

/* At exit: wait for a reload in progress and drop its result. */
static void
reload_discard(struct server *s)
{
	if (s->reload == NULL)
		return;
	reload_reap(s->reload);
	acl_free(s->reload->np.acl);
	free(s->reload);
	s->reload = NULL;
}

/* Log the outcome of a reload and swap the new policy in. */
static void
reload_finish(struct server *s, struct reload *r)
{
	struct server_policy	*np = &r->np;
	char			 was[CONF_PATH_LEN + 64], now[CONF_PATH_LEN + 64];
	char			 q[4 * (CONF_PATH_LEN + 160) + 1];
	size_t			 i;

	if (r->rc == -1) {
		for (i = 0; i < r->errs.n; i++)
			log_event(LOG_WARNING, "event=reload_error error=\"%s\"",
			    log_quote(q, sizeof(q), r->errs.msg[i]));
		log_event(LOG_WARNING, "event=reload result=error errors=%zu "
		    "rules=%zu kept=yes", r->errs.total, acl_count(s->pol.acl));
		systemd_notify_ready("reload failed; previous policy kept");
		return;
	}
	for (i = 0; i < r->errs.n; i++)	/* warnings only: it loaded */
		log_event(LOG_WARNING, "event=reload_warning warning=\"%s\"",
		    log_quote(q, sizeof(q), r->errs.msg[i]));
	if (policy_of(np, &r->c, s->run.acl_path, np->acl, np->builtin) ==
	    -1) {
		log_warnx("reload: out of memory; keeping the current policy");
		acl_free(np->acl);
		np->acl = NULL;
		systemd_notify_ready("reload failed: out of memory");
		return;
	}
	policy_describe(&s->pol, was, sizeof(was));
	policy_describe(np, now, sizeof(now));
	log_event(LOG_INFO, "event=reload result=ok rules_before=%zu "
	    "rules_after=%zu acl=\"%s\"", acl_count(s->pol.acl),
	    acl_count(np->acl), log_quote(q, sizeof(q), np->builtin ?
	    "(built-in)" : np->file));
	log_debug("reload: %s replaces %s", now, was);
	acl_free(s->pol.acl);
	free(s->pol.reg);
	s->pol = *np;
	np->acl = NULL;
	np->reg = NULL;
	policy_apply(s);
	/* A large ACL replaced by a small one: give the memory back. */
	malloc_trim(0);
	if ((r->c.set & CONF_SET_PORT) && r->c.port != s->conf.port)
		log_event(LOG_WARNING, "event=reload_ignored key=port "
		    "reason=\"read at start only\"");
	if (r->c.set & CONF_SET_LISTEN)
		log_event(LOG_INFO, "event=reload_ignored key=listen "
		    "reason=\"read at start only\"");
	systemd_notify_ready("serving; policy reloaded");
}

/* The reload thread is done: apply its result; start a queued reload. */
static void
reload_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;
	struct reload	*r = s->reload;

	(void)fd;
	(void)what;
	reload_reap(r);
	s->reload = NULL;
	reload_finish(s, r);
	free(r);
	if (s->reload_again) {
		s->reload_again = 0;
		server_reload(s);
	}
}

/* Start a reload of the configuration and ACL files. */
int
server_reload(struct server *s)
{
	struct reload	*r;

	if (s->reload != NULL) {
		/* One at a time; the files may change again meanwhile. */
		s->reload_again = 1;
		return 0;
	}
	systemd_notify_reloading();
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warnx("reload: out of memory; keeping the current policy");
		systemd_notify_ready("reload failed: out of memory");
		return -1;
	}
	r->s = s;
	if (pipe2(r->pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("reload: pipe; keeping the current policy");
		free(r);
		systemd_notify_ready("reload failed");
		return -1;
	}
	if ((r->ev = event_new(s->base, r->pipe[0], EV_READ, reload_done_cb,
	    s)) == NULL || event_add(r->ev, NULL) == -1 ||
	    pthread_create(&r->thread, NULL, reload_run, r) != 0) {
		log_warnx("reload: cannot start; keeping the current policy");
		if (r->ev != NULL)
			event_free(r->ev);
		close(r->pipe[0]);
		close(r->pipe[1]);
		free(r);
		systemd_notify_ready("reload failed");
		return -1;
	}
	s->reload = r;
	return 0;
}
