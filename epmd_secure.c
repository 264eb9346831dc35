/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_secure.c: main: the command line and environment, start-up order,
 * detaching. Options are read left to right like stock epmd's, and a
 * client command runs as soon as it is reached, with the options before it.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "systemd.h"
#include "util.h"

#include <event2/event.h>

#ifndef EPMD_SECURE_VERSION
#define EPMD_SECURE_VERSION "unknown"
#endif

#define MAX_SECONDS	86400

static const char usage_text[] =
"usage: epmd_secure [-d|-debug] [-daemon] [-port No] [-address List]\n"
"                   [-relaxed_command_check] [-systemd]\n"
"                   [-packet_timeout Seconds] [-delay_accept Seconds]\n"
"                   [-delay_write Seconds] [-config File] [-acl File]\n"
"                   [-log_socket Path]\n"
"       epmd_secure [-config File] [-acl File] -t\n"
"       epmd_secure -version | -V\n"
"       epmd_secure [-port No] -names | -started | -dump | -kill |\n"
"                   -stop Name | -forget Name\n"
"\n"
"Daemon options\n"
"    -port No                 listen on port No (default 4369)\n"
"    -address List            also listen on these comma- or space-separated\n"
"                             addresses; 127.0.0.1 and ::1 are always served\n"
"    -daemon                  detach from the terminal\n"
"    -d, -debug               log to stderr, with debugging detail\n"
"                             (repeatable)\n"
"    -relaxed_command_check   allow -kill with live nodes, and -stop\n"
"    -systemd                 serve the sockets passed by systemd\n"
"    -packet_timeout Seconds  a request must arrive within this (default 10)\n"
"    -delay_accept Seconds    test aid: delay before reading a connection\n"
"    -delay_write Seconds     test aid: delay before each reply\n"
"    -config File             configuration file\n"
"                             (default " CONF_DEFAULT_FILE ")\n"
"    -acl File                ACL file (default: acl_file in the\n"
"                             configuration, else " CONF_DEFAULT_ACL ")\n"
"    -t                       check the configuration and ACL as start-up\n"
"                             would, list the files read and every\n"
"                             finding, then exit (1 on any error)\n"
"    -log_socket Path         syslog or journald socket (default /dev/log)\n"
"\n"
"Client commands (talk to the daemon on loopback)\n"
"    -names                   list registered nodes\n"
"    -started                 exit 0 if a daemon answers, silently\n"
"    -dump                    list active and old names with their fds\n"
"    -kill                    stop the daemon\n"
"    -stop Name               unregister Name (relaxed daemons only)\n"
"    -forget Name             release Name's sticky owner (root)\n"
"    -h                       print this help\n"
"    -version, -V             print the version\n"
"\n"
"Environment: ERL_EPMD_PORT, ERL_EPMD_ADDRESS, ERL_EPMD_RELAXED_COMMAND_CHECK\n"
"See epmd_secure(8).\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("epmd_secure: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The value after an option, or a clear error if there is none. */
static const char *
optarg_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		die("%s needs a value (see -h)", argv[*i]);
	return argv[++*i];
}

/* As stock: a client command must be the last argument. */
static void
last_arg(int argc, int i, const char *cmd)
{
	if (i + 1 < argc)
		die("%s must be the last argument (see -h)", cmd);
}

static unsigned
seconds_of(const char *opt, const char *v)
{
	unsigned long	 n;
	const char	*errstr;

	if (util_parse_uint(v, 0, MAX_SECONDS, &n, &errstr) == -1)
		die("%s: \"%s\" %s (0..%d seconds)", opt, v, errstr,
		    MAX_SECONDS);
	return (unsigned)n;
}

/* Split a comma- or space-separated address list into c's listen. */
static void
addresses_of(struct conf *c, const char *what, const char *list)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*errstr;
	char			*copy, *tok, *save = NULL;

	if ((copy = strdup(list)) == NULL)
		die("out of memory");
	/* A later list replaces an earlier one, and the file's. */
	c->nlisten = 0;
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (util_parse_address(tok, 0, &ss, &sslen, &errstr) == -1)
			die("%s: \"%s\" %s", what, tok, errstr);
		if (c->nlisten == CONF_MAX_LISTEN)
			die("%s: more than %d addresses", what,
			    CONF_MAX_LISTEN);
		if (strlen(tok) >= sizeof(c->listen[0]))
			die("%s: \"%s\" is too long", what, tok);
		memcpy(c->listen[c->nlisten++], tok, strlen(tok) + 1);
	}
	free(copy);
}

/* Signals: the daemon's, handled in the event loop. */
static struct event	*sig_ev[4];

/* Act on a signal: reload, counters, or stop. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		server_reload(srv);
		break;
	case SIGUSR1:
		server_counters(srv);
		break;
	default:
		log_event(LOG_INFO, "event=stop signal=%s",
		    sig == SIGTERM ? "TERM" : "INT");
		server_stop(srv, 0);
		break;
	}
}

/* Watch SIGTERM, SIGINT, SIGHUP and SIGUSR1 in srv's loop; -1 on failure. */
static int
signals_start(struct server *srv)
{
	static const int	 sigs[4] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	size_t			 i;

	for (i = 0; i < 4; i++)
		if ((sig_ev[i] = evsignal_new(server_base(srv), sigs[i],
		    signal_cb, srv)) == NULL || evsignal_add(sig_ev[i],
		    NULL) == -1) {
			log_warnx("cannot set up signal handling");
			return -1;
		}
	return 0;
}

/* Stop watching signals. */
static void
signals_stop(void)
{
	size_t	 i;

	for (i = 0; i < 4; i++) {
		if (sig_ev[i] != NULL)
			event_free(sig_ev[i]);
		sig_ev[i] = NULL;
	}
}

/*
 * Serve as many connections as the hard limit allows, and keep
 * max_connections below the descriptor limit so that the caps, not
 * EMFILE, decide who is served. Returns the cap to use.
 */
static size_t
raise_nofile(size_t max_connections)
{
	struct rlimit	 rl;
	size_t		 room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return max_connections;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Listeners, log and notify sockets, and some slack. */
	room = rl.rlim_cur > 96 ? (size_t)rl.rlim_cur - 64 : 32;
	if (max_connections > room) {
		log_event(LOG_NOTICE, "event=limit max_connections=%zu "
		    "reason=\"descriptor limit %llu\"", room,
		    (unsigned long long)rl.rlim_cur);
		return room;
	}
	return max_connections;
}

/*
 * Once the sockets are bound, stop being root: become user, with its
 * group and no supplementary groups, and check that root cannot be
 * regained. Any failure is fatal: running as root by mistake is worse
 * than not running.
 */
static void
drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		log_warnx("user %s: not running as root, keeping uid %u", user,
		    (unsigned)geteuid());
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s: no such user", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot become user %s", user);
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("user %s: root could be regained", user);
	log_event(LOG_INFO, "event=privileges user=%s uid=%u gid=%u", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
}

/* Detach: the parent exits 0 once the child runs in its own session. */
static void
detach(void)
{
	int	 fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * A start that cannot serve as configured. Before the event loop runs,
 * log.c copies warnings to stderr: an admin or erl starting us sees the
 * reason, and a detached daemon's log keeps it.
 */
static void
startup_failed(enum server_bind_status st, unsigned port, const char *why)
{
	char	 q[4 * 1024 + 1];

	log_event(LOG_ERR, "event=%s port=%u reason=\"not starting: %s\"",
	    st == SERVER_BIND_FAILED ? "listen_error" : "port_in_use", port,
	    log_quote(q, sizeof(q), why));
}

/*
 * Print every finding, one per line, as "file:line: error|warning:
 * message" (prefixed with the program's name outside -t).
 */
static void
print_errors(const struct conf_errors *errs, const char *prefix)
{
	size_t	 i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s%s\n", prefix, errs->msg[i]);
	if (errs->total + errs->warnings > errs->n)
		fprintf(stderr, "%s... and %zu more errors or warnings\n",
		    prefix, errs->total + errs->warnings - errs->n);
}

/* -t: the files read, every finding, a verdict; exit 1 on any error. */
static int
check_only(const struct conf_errors *errs, int loaded)
{
	size_t	 i;

	for (i = 0; i < errs->nread; i++)
		printf("%s\n", errs->read[i]);
	fflush(stdout);
	print_errors(errs, "");
	if (!loaded) {
		fprintf(stderr, "epmd_secure: configuration invalid (%zu "
		    "errors, %zu warnings)\n", errs->total, errs->warnings);
		return 1;
	}
	if (errs->warnings > 0)
		printf("configuration OK (%zu warnings)\n", errs->warnings);
	else
		printf("configuration OK\n");
	return 0;
}

/*
 * First pass: the options that decide which files to read (-config,
 * -acl), whether a client command or -t is coming, and -h.
 */
static void
scan_files(int argc, char **argv, struct server_run *run, int *client,
    int *test)
{
	int	 i;

	for (i = 1; i < argc; i++) {
		const char	*a = argv[i];

		if (strcmp(a, "-version") == 0 || strcmp(a, "-V") == 0) {
			printf("epmd_secure %s\n", EPMD_SECURE_VERSION);
			exit(0);
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0 ||
		    strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (strcmp(a, "-config") == 0) {
			run->config_file = optarg_of(argc, argv, &i);
			run->config_explicit = 1;
		} else if (strcmp(a, "-acl") == 0)
			run->acl_path = optarg_of(argc, argv, &i);
		else if (strcmp(a, "-t") == 0)
			*test = 1;
		else if (strcmp(a, "-names") == 0 || strcmp(a, "-started") == 0 ||
		    strcmp(a, "-dump") == 0 || strcmp(a, "-kill") == 0 ||
		    strcmp(a, "-stop") == 0 || strcmp(a, "-forget") == 0) {
			*client = 1;
			return;
		} else if (strcmp(a, "-port") == 0 || strcmp(a, "-address") == 0 ||
		    strcmp(a, "-packet_timeout") == 0 ||
		    strcmp(a, "-delay_accept") == 0 ||
		    strcmp(a, "-delay_write") == 0 ||
		    strcmp(a, "-log_socket") == 0)
			i++;
	}
}

int
main(int argc, char **argv)
{
	struct server_run	 run;
	struct conf		 conf;
	struct acl		*acl = NULL;
	struct conf_errors	*errs;
	struct server		*srv;
	const char		*env, *errstr;
	int			 i, debug = 0, daemonize = 0, status;
	int			 client = 0, test = 0, loaded, fac, builtin = 0;
	struct log_config	 lc;
	const struct server_policy *pol;
	char			 listeners[512], quoted[4 * CONF_PATH_LEN + 1];
	char			 status_line[128], why[1024];
	enum server_bind_status	 st;
	size_t			 k;

	memset(&run, 0, sizeof(run));
	run.config_file = CONF_DEFAULT_FILE;
	scan_files(argc, argv, &run, &client, &test);

	/*
	 * Precedence: command line > environment > configuration file >
	 * built-in defaults: the environment and the command line are
	 * applied to the loaded conf itself, which the server then reads.
	 * Client commands read the file only for its port, and quietly do
	 * without a file they cannot read.
	 */
	if ((errs = calloc(1, sizeof(*errs))) == NULL)
		die("out of memory");
	loaded = conf_load(run.config_file, run.config_explicit, run.acl_path,
	    &conf, client ? NULL : &acl, &builtin, errs) == 0;
	if (test && !client) {
		status = check_only(errs, loaded);
		free(errs);
		acl_free(acl);
		return status;
	}
	if (!loaded && !client) {
		print_errors(errs, "epmd_secure: ");
		return 1;
	}
	if (loaded && !client)
		print_errors(errs, "epmd_secure: ");	/* warnings */
	free(errs);
	if (!loaded)
		conf_defaults(&conf);
	if ((env = getenv("ERL_EPMD_PORT")) != NULL &&
	    util_parse_port(env, &conf.port, &errstr) == -1)
		die("ERL_EPMD_PORT: \"%s\" %s", env, errstr);
	if ((env = getenv("ERL_EPMD_ADDRESS")) != NULL)
		addresses_of(&conf, "ERL_EPMD_ADDRESS", env);
	if (getenv("ERL_EPMD_RELAXED_COMMAND_CHECK") != NULL)
		conf.relaxed = 1;

	for (i = 1; i < argc; i++) {
		const char	*a = argv[i], *v;

		if (strcmp(a, "-d") == 0 || strcmp(a, "-debug") == 0)
			debug++;
		else if (strcmp(a, "-daemon") == 0)
			daemonize = 1;
		else if (strcmp(a, "-relaxed_command_check") == 0)
			conf.relaxed = 1;
		else if (strcmp(a, "-systemd") == 0)
			run.systemd = 1;
		else if (strcmp(a, "-port") == 0) {
			v = optarg_of(argc, argv, &i);
			if (util_parse_port(v, &conf.port, &errstr) == -1)
				die("-port: \"%s\" %s", v, errstr);
		} else if (strcmp(a, "-address") == 0)
			addresses_of(&conf, "-address",
			    optarg_of(argc, argv, &i));
		else if (strcmp(a, "-packet_timeout") == 0) {
			v = optarg_of(argc, argv, &i);
			conf.packet_timeout = seconds_of(a, v);
			if (conf.packet_timeout == 0)
				die("-packet_timeout: must be at least 1");
		} else if (strcmp(a, "-delay_accept") == 0)
			run.delay_accept = seconds_of(a,
			    optarg_of(argc, argv, &i));
		else if (strcmp(a, "-delay_write") == 0)
			run.delay_write = seconds_of(a,
			    optarg_of(argc, argv, &i));
		else if (strcmp(a, "-config") == 0 || strcmp(a, "-acl") == 0)
			i++;	/* read in the first pass */
		else if (strcmp(a, "-t") == 0)
			;
		else if (strcmp(a, "-names") == 0) {
			last_arg(argc, i, a);
			return client_names(conf.port, 0);
		} else if (strcmp(a, "-started") == 0) {
			last_arg(argc, i, a);
			return client_names(conf.port, 1);
		} else if (strcmp(a, "-dump") == 0) {
			last_arg(argc, i, a);
			return client_dump(conf.port);
		} else if (strcmp(a, "-kill") == 0) {
			last_arg(argc, i, a);
			return client_kill(conf.port);
		} else if (strcmp(a, "-stop") == 0) {
			v = optarg_of(argc, argv, &i);
			last_arg(argc, i, a);
			return client_stop(conf.port, v);
		} else if (strcmp(a, "-forget") == 0) {
			v = optarg_of(argc, argv, &i);
			last_arg(argc, i, a);
			return client_forget(conf.port, v);
		}
		else if (strcmp(a, "-log_socket") == 0) {
			v = optarg_of(argc, argv, &i);
			if (v[0] != '/' || strlen(v) >= CONF_SUN_PATH_LEN)
				die("-log_socket: an absolute path under %zu "
				    "bytes is expected", CONF_SUN_PATH_LEN);
			snprintf(conf.log_socket, sizeof(conf.log_socket),
			    "%s", v);
		}
		else
			die("unknown option \"%s\" (see -h)", a);
	}

	/* As stock: -d keeps fewer freed names around. */
	run.max_freed = debug ? REGISTRY_MAX_FREED_DEBUG : REGISTRY_MAX_FREED;
	/* -d logs to stderr unless the file chose a target. */
	memset(&lc, 0, sizeof(lc));
	lc.debug = debug;
	lc.ident = conf.log_ident;
	lc.facility = (fac = log_facility_code(conf.log_facility)) == -1 ?
	    LOG_DAEMON : fac;
	lc.target = (enum log_target)conf.log_target;
	if (debug && !(conf.set & CONF_SET_LOG_TARGET))
		lc.target = LOG_TARGET_STDERR;
	if (conf.log_socket[0] != '\0')	/* the file's or -log_socket */
		lc.socket_path = conf.log_socket;
	/* Detached, stderr is /dev/null: -d alone does not send logs there. */
	if (daemonize && lc.target == LOG_TARGET_STDERR &&
	    !(conf.set & CONF_SET_LOG_TARGET))
		lc.target = LOG_TARGET_SYSLOG;
	log_init(&lc);
	conf.lim.max_connections = raise_nofile(conf.lim.max_connections);
	if (conf.lim.loopback_reserved >= conf.lim.max_connections)
		conf.lim.loopback_reserved = conf.lim.max_connections / 4;
	/* A lowered max_connections lowers the per-uid cap with it. */
	if (conf.lim.max_per_uid >= conf.lim.max_connections)
		conf.lim.max_per_uid = conf.lim.max_connections / 8 > 0 ?
		    conf.lim.max_connections / 8 : 1;

	if ((srv = server_new(&conf, &run, acl, builtin)) == NULL)
		fatalx("out of memory");
	switch ((st = server_bind(srv, why, sizeof(why)))) {
	case SERVER_BIND_OK:
		break;
	case SERVER_BIND_SERVED:
		/*
		 * As stock: erl runs `epmd -daemon` at every node start, and
		 * an epmd already serving is the normal case.
		 */
		if (daemonize) {
			log_debug("%s", why);
			server_free(srv);
			return 0;
		}
		startup_failed(SERVER_BIND_IN_USE, conf.port, why);
		server_free(srv);
		return 1;
	default:
		/* Unlike stock (exit 0): see epmd_secure(8), START-UP. */
		startup_failed(st, conf.port, why);
		server_free(srv);
		return 1;
	}
	if (daemonize)
		detach();
	if (conf.user[0] != '\0')
		drop_privileges(conf.user);
	/* A peer closing early must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (server_start(srv) == -1 || signals_start(srv) == -1) {
		signals_stop();
		server_free(srv);
		return 1;
	}
	k = server_listeners(srv, listeners, sizeof(listeners));
	pol = server_policy(srv);
	log_event(LOG_INFO, "event=start version=%s log_format=%d port=%u "
	    "listeners=\"%s\" systemd_fds=%zu acl=\"%s\" rules=%zu",
	    EPMD_SECURE_VERSION, LOG_FORMAT_VERSION,
	    (unsigned)server_conf(srv)->port, listeners, run.systemd ? k : 0,
	    log_quote(quoted, sizeof(quoted), pol->builtin ? "(built-in)" :
	    pol->file), acl_count(pol->acl));
	snprintf(status_line, sizeof(status_line), "serving port %u",
	    (unsigned)server_conf(srv)->port);
	systemd_notify_ready(status_line);
	status = server_run(srv);
	systemd_notify_stopping();
	log_event(LOG_INFO, "event=stopped status=%d", status);
	signals_stop();
	server_free(srv);
	return status;
}
