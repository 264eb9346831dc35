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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "log.h"
#include "ratelimit.h"
#include "registry.h"
#include "server.h"
#include "systemd.h"
#include "util.h"

#define ACCEPT_BACKOFF_MS	100

#define ACCEPT_BATCH		16	/* accepts per wake-up, for fairness */

struct listener {
	struct server		*srv;
	int			 fd;
	struct event		*ev;
	char			 name[UTIL_ADDRSTRLEN];
	/* The bound address, when it is a specific one (not a wildcard). */
	struct sockaddr_storage	 addr;
	int			 specific;
};

struct server {
	struct server_config	 cfg;
	struct server_policy	 pol;
	struct event_base	*base;
	struct registry		*reg;
	struct listener		 listeners[SERVER_MAX_ADDRESSES + 2];
	size_t			 nlisteners;
	struct event		*backoff;
	int			 paused;
	int			 exhausted;	/* an EMFILE episode is on */
	unsigned long		 pauses;
	struct event		*sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct event		*counters;
	struct event		*metrics;
	int			 metrics_failing;	/* logged once a streak */
	struct event		*watchdog;
	size_t			 nconns;		/* all open connections */
	size_t			 nremote;		/* of which not local */
	struct rl_table		*rl;
	size_t			 reply_bytes;	/* unsent replies */
	struct event		*summary;
	int			 status;
};

struct server *
server_new(const struct server_config *cfg, const struct server_policy *pol)
{
	struct server	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = *cfg;
	s->pol = *pol;
	if ((s->reg = registry_new(cfg->max_nodes, cfg->max_freed)) == NULL) {
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

	if (util_parse_address(addr, s->cfg.port, &ss, &sslen, &errstr) ==
	    -1) {
		log_event(LOG_WARNING, "event=listen_error addr=\"%s\" "
		    "error=\"%s\"", log_quote(q, sizeof(q), addr), errstr);
		errno = EINVAL;
		return -1;
	}
	/* The same address given twice listens once. */
	l = &s->listeners[s->nlisteners];
	util_sockaddr_str((struct sockaddr *)&ss, l->name, sizeof(l->name));
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
		util_sockaddr_str((struct sockaddr *)&ss, l->name,
		    sizeof(l->name));
		/*
		 * NAMES and DUMP report the port; clients check it against
		 * the one they dialled, which is the socket unit's.
		 */
		if (i == 0 && (ss.ss_family == AF_INET ||
		    ss.ss_family == AF_INET6))
			s->cfg.port = ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)(void *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	}
	return SERVER_BIND_OK;
}

enum server_bind_status
server_bind(struct server *s)
{
	static const char	*loopback[] = { "127.0.0.1", "::1" };
	char			 q[256];
	size_t			 i;
	int			 in_use = 0, e;

	if (s->cfg.systemd)
		return systemd_bind(s);
	for (i = 0; i < s->cfg.naddresses; i++) {
		if (listen_on(s, s->cfg.addresses[i]) == 0)
			continue;
		if (errno == EADDRINUSE) {
			/* Not a warning: erl starts us whenever it starts. */
			log_event(LOG_INFO, "event=port_in_use port=%u "
			    "addr=\"%s\"", (unsigned)s->cfg.port,
			    log_quote(q, sizeof(q), s->cfg.addresses[i]));
			return SERVER_BIND_IN_USE;
		}
		e = errno;
		if (e != EINVAL)
			log_event(LOG_WARNING, "event=listen_error port=%u "
			    "addr=\"%s\" error=\"%s\"", (unsigned)s->cfg.port,
			    log_quote(q, sizeof(q), s->cfg.addresses[i]),
			    strerror(e));
		return SERVER_BIND_FAILED;
	}
	/*
	 * Loopback is always served; a host without IPv6 still starts. But
	 * loopback already taken means another epmd runs here (erl starts
	 * `epmd -daemon` every time): leave quietly, as stock does.
	 */
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		if (listen_on(s, loopback[i]) == 0)
			continue;
		if (errno == EADDRINUSE)
			in_use = 1;
		log_debug("cannot listen on %s port %u: %s", loopback[i],
		    (unsigned)s->cfg.port, strerror(errno));
	}
	if (in_use && s->cfg.naddresses == 0) {
		log_event(LOG_INFO, "event=port_in_use port=%u",
		    (unsigned)s->cfg.port);
		return SERVER_BIND_IN_USE;
	}
	if (s->nlisteners == 0) {
		log_event(LOG_WARNING, "event=listen_error port=%u "
		    "error=\"no address to listen on\"",
		    (unsigned)s->cfg.port);
		return SERVER_BIND_FAILED;
	}
	return SERVER_BIND_OK;
}

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

static void
backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	listeners_enable(s, 1);
}

/*
 * Accept a batch of connections. Out of descriptors or memory: stop
 * accepting for a moment (a level-triggered listener that cannot be
 * drained would spin) and keep serving the open connections.
 */
static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Log one connection refused by a cap, or count it for the summary. */
static void
refuse_conn(struct server *s, const struct sockaddr *peer,
    const struct sockaddr *local, const struct acl_addr *key,
    const char *why)
{
	const struct audit	 a = {
		.src = peer,
		.dst = local,
		.req = AUDIT_REQ_NONE,
		.verdict = AUDIT_CONN_LIMIT,
		.port = -1,
		.creation = -1,
		.names = -1,
		.reason = why,
	};
	enum rl_kind		 kind;

	if (key != NULL && audit_summarised(a.verdict, 0, &kind) &&
	    !rl_note_refusal(s->rl, key, kind, now_ms())) {
		log_count(a.req, a.verdict);
		return;
	}
	log_audit(&a);
}

/*
 * Admit or refuse one accepted connection. Excess connections are
 * accepted and closed at once, never left in the backlog where they
 * would starve everyone else. Local peers keep a reserved share of
 * max_connections; remote sources are capped one by one too.
 */
static void
admit(struct server *s, struct listener *l, int fd,
    const struct sockaddr *peer, socklen_t peerlen)
{
	const struct conf_limits	*lim = &s->cfg.lim;
	struct sockaddr_storage		 local;
	const struct sockaddr		*lp;
	struct acl_addr			 addr, key;
	socklen_t			 len = sizeof(local);
	int				 is_local;

	if (l->specific)
		lp = (const struct sockaddr *)&l->addr;
	else {
		if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
			memset(&local, 0, sizeof(local));
		lp = (const struct sockaddr *)&local;
	}
	is_local = acl_is_local_peer(peer, lp->sa_family == AF_UNSPEC ? NULL :
	    lp);
	if (s->nconns >= lim->max_connections) {
		close(fd);
		refuse_conn(s, peer, lp, NULL, "max_connections");
		return;
	}
	if (is_local) {
		s->nconns++;
		conn_new(s, fd, peer, peerlen, lp, 1, NULL);
		return;
	}
	if (acl_addr_from_sockaddr(peer, &addr) == -1) {
		close(fd);
		return;
	}
	rl_key(&addr, lim->v4len, lim->v6len, &key);
	if (s->nremote >= lim->max_connections - lim->loopback_reserved) {
		close(fd);
		refuse_conn(s, peer, lp, &key, "remote share full");
		return;
	}
	switch (rl_conn_open(s->rl, &key, now_ms(), (uint32_t)
	    (lim->max_per_source > UINT32_MAX ? UINT32_MAX :
	    lim->max_per_source))) {
	case RL_OK:
		break;
	case RL_LIMITED:
		close(fd);
		refuse_conn(s, peer, lp, &key, "max_connections_per_source");
		return;
	default:
		close(fd);
		refuse_conn(s, peer, lp, NULL, "source table full");
		return;
	}
	s->nconns++;
	s->nremote++;
	conn_new(s, fd, peer, peerlen, lp, 0, &key);
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
				    "conns=%zu pauses=%lu", s->nconns,
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
				    strerror(e), s->nconns, ACCEPT_BACKOFF_MS);
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

int
server_lookup_allowed(struct server *s, const struct acl_addr *peer,
    int local)
{
	const struct conf_limits	*lim = &s->cfg.lim;
	struct acl_addr			 key;

	if (local && !lim->limit_loopback)
		return 1;
	if (peer->family != AF_INET && peer->family != AF_INET6)
		return 0;
	rl_key(peer, lim->v4len, lim->v6len, &key);
	return rl_take(s->rl, &key, now_ms(), lim->rate, lim->burst) == RL_OK;
}

int
server_note_refusal(struct server *s, const struct acl_addr *peer,
    enum rl_kind kind)
{
	struct acl_addr	 key;

	if (peer->family != AF_INET && peer->family != AF_INET6)
		return 1;
	rl_key(peer, s->cfg.lim.v4len, s->cfg.lim.v6len, &key);
	return rl_note_refusal(s->rl, &key, kind, now_ms());
}

static void
summary_one(const struct acl_addr *key, const uint64_t *counts,
    uint64_t since, void *arg)
{
	const struct conf_limits	*lim = arg;
	char				 a[64];
	uint64_t			 now = now_ms();

	inet_ntop(key->family, key->addr, a, sizeof(a));
	/* The keys are the verdicts of the records these stand for. */
	log_event(LOG_NOTICE, "event=refusal_summary src=%s/%u seconds=%llu "
	    "rate_limited=%llu conn_limit=%llu malformed=%llu not_local=%llu "
	    "no_request=%llu timeout=%llu", a,
	    key->family == AF_INET ? lim->v4len : lim->v6len,
	    (unsigned long long)((now - since + 500) / 1000),
	    (unsigned long long)counts[RL_KIND_RATE],
	    (unsigned long long)counts[RL_KIND_CONN],
	    (unsigned long long)counts[RL_KIND_MALFORMED],
	    (unsigned long long)counts[RL_KIND_NOT_LOCAL],
	    (unsigned long long)counts[RL_KIND_NO_REQUEST],
	    (unsigned long long)counts[RL_KIND_TIMEOUT]);
}

static void
summary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	rl_summarise(s->rl, now_ms(), (uint64_t)s->cfg.lim.summary_interval *
	    1000, summary_one, &s->cfg.lim);
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
	if (log_metrics_write(s->cfg.metrics_file, s->nconns,
	    registry_count(s->reg)) == -1) {
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

static void
counters_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	log_counters(s->nconns, registry_count(s->reg));
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	systemd_notify_watchdog();
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*s = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		server_reload(s);
		break;
	case SIGUSR1:
		log_counters(s->nconns, registry_count(s->reg));
		if (s->cfg.metrics_file != NULL)
			metrics_write(s);
		break;
	default:
		log_event(LOG_INFO, "event=stop signal=%s",
		    sig == SIGTERM ? "TERM" : "INT");
		server_stop(s, 0);
		break;
	}
}

int
server_start(struct server *s)
{
	struct event_config	*ecfg;
	unsigned long long	 wd;
	uint64_t		 seed;
	size_t			 i;

	signal(SIGPIPE, SIG_IGN);
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
	s->backoff = evtimer_new(s->base, backoff_cb, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, signal_cb, s);
	s->sig_int = evsignal_new(s->base, SIGINT, signal_cb, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, signal_cb, s);
	s->sig_usr1 = evsignal_new(s->base, SIGUSR1, signal_cb, s);
	if (s->backoff == NULL || s->sig_term == NULL || s->sig_int == NULL ||
	    s->sig_hup == NULL || s->sig_usr1 == NULL ||
	    evsignal_add(s->sig_term, NULL) == -1 ||
	    evsignal_add(s->sig_int, NULL) == -1 ||
	    evsignal_add(s->sig_hup, NULL) == -1 ||
	    evsignal_add(s->sig_usr1, NULL) == -1) {
		log_warnx("cannot set up signal handling");
		return -1;
	}
	if (s->cfg.metrics_file != NULL) {
		struct timeval tv = { (time_t)s->cfg.metrics_interval, 0 };

		if (tv.tv_sec == 0)
			tv.tv_sec = 1;
		if ((s->metrics = event_new(s->base, -1, EV_PERSIST,
		    metrics_cb, s)) == NULL || event_add(s->metrics, &tv)) {
			log_warnx("cannot set up the metrics timer");
			return -1;
		}
		metrics_write(s);
	}
	if (s->cfg.counters_interval > 0) {
		struct timeval tv = { (time_t)s->cfg.counters_interval, 0 };

		if ((s->counters = event_new(s->base, -1, EV_PERSIST,
		    counters_cb, s)) == NULL || event_add(s->counters, &tv)) {
			log_warnx("cannot set up the counters timer");
			return -1;
		}
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	if ((s->rl = rl_new(s->cfg.lim.max_sources, seed)) == NULL) {
		log_warnx("cannot allocate the source table");
		return -1;
	}
	{
		struct timeval tv = { (time_t)s->cfg.lim.summary_interval, 0 };

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
	return 0;
}

int
server_run(struct server *s)
{
	event_base_dispatch(s->base);
	return s->status;
}

void
server_stop(struct server *s, int status)
{
	s->status = status;
	event_base_loopbreak(s->base);
}

int
server_reply_reserve(struct server *s, size_t bytes)
{
	if (bytes > SERVER_REPLY_BUDGET - s->reply_bytes)
		return -1;
	s->reply_bytes += bytes;
	return 0;
}

void
server_reply_release(struct server *s, size_t bytes)
{
	s->reply_bytes -= bytes < s->reply_bytes ? bytes : s->reply_bytes;
}

void
server_conn_closed(struct server *s, int local, const struct acl_addr *key)
{
	s->nconns--;
	if (!local)
		s->nremote--;
	if (key != NULL)
		rl_conn_close(s->rl, key);
}

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
	if (s->sig_term != NULL)
		event_free(s->sig_term);
	if (s->sig_int != NULL)
		event_free(s->sig_int);
	if (s->sig_hup != NULL)
		event_free(s->sig_hup);
	if (s->sig_usr1 != NULL)
		event_free(s->sig_usr1);
	if (s->counters != NULL)
		event_free(s->counters);
	if (s->metrics != NULL)
		event_free(s->metrics);
	if (s->watchdog != NULL)
		event_free(s->watchdog);
	if (s->summary != NULL)
		event_free(s->summary);
	rl_free(s->rl);
	log_shutdown();
	registry_free(s->reg);
	acl_free(s->pol.acl);
	if (s->base != NULL)
		event_base_free(s->base);
	free(s);
}

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

struct event_base *
server_base(struct server *s)
{
	return s->base;
}

struct registry *
server_registry(struct server *s)
{
	return s->reg;
}

const struct server_config *
server_config(struct server *s)
{
	return &s->cfg;
}

const struct server_policy *
server_policy(struct server *s)
{
	return &s->pol;
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

int
server_reload(struct server *s)
{
	struct conf		 c;
	struct conf_errors	*errs;
	struct server_policy	 np;
	char			 was[CONF_PATH_LEN + 64], now[CONF_PATH_LEN + 64];
	char			 q[4 * (CONF_PATH_LEN + 160) + 1];
	size_t			 i;

	systemd_notify_reloading();
	if ((errs = calloc(1, sizeof(*errs))) == NULL) {
		log_warnx("reload: out of memory; keeping the current policy");
		systemd_notify_ready("reload failed: out of memory");
		return -1;
	}
	if (conf_load(s->cfg.config_file, s->cfg.config_explicit,
	    s->cfg.acl_path, &c, &np.acl, &np.builtin, errs) == -1) {
		for (i = 0; i < errs->n; i++)
			log_event(LOG_WARNING, "event=reload_error error=\"%s\"",
			    log_quote(q, sizeof(q), errs->msg[i]));
		log_event(LOG_WARNING, "event=reload result=error errors=%zu "
		    "rules=%zu kept=yes", errs->total, acl_count(s->pol.acl));
		free(errs);
		systemd_notify_ready("reload failed; previous policy kept");
		return -1;
	}
	for (i = 0; i < errs->n; i++)	/* warnings only: it loaded */
		log_event(LOG_WARNING, "event=reload_warning warning=\"%s\"",
		    log_quote(q, sizeof(q), errs->msg[i]));
	free(errs);
	np.names_refusal = c.names_refusal;
	np.port_refusal = c.port_refusal;
	snprintf(np.file, sizeof(np.file), "%s", s->cfg.acl_path != NULL ?
	    s->cfg.acl_path : c.acl_file);
	policy_describe(&s->pol, was, sizeof(was));
	policy_describe(&np, now, sizeof(now));
	log_event(LOG_INFO, "event=reload result=ok rules_before=%zu "
	    "rules_after=%zu acl=\"%s\"", acl_count(s->pol.acl),
	    acl_count(np.acl), log_quote(q, sizeof(q), np.builtin ?
	    "(built-in)" : np.file));
	log_debug("reload: %s replaces %s", now, was);
	acl_free(s->pol.acl);
	s->pol = np;
	if ((c.set & CONF_SET_PORT) && c.port != s->cfg.port)
		log_event(LOG_WARNING, "event=reload_ignored key=port "
		    "reason=\"read at start only\"");
	if (c.set & CONF_SET_LISTEN)
		log_event(LOG_INFO, "event=reload_ignored key=listen "
		    "reason=\"read at start only\"");
	systemd_notify_ready("serving; policy reloaded");
	return 0;
}
