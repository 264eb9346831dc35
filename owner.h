/* SPDX-License-Identifier: Apache-2.0 */
/*
 * owner.h: who may register a node name, for which port (pure).
 *
 * The decisions of registration integrity, with every fact a parameter:
 * the registering uid (from sock_diag), what the ACL's first matching
 * `register` line says, register_default, the sticky table, and the
 * sockets listening on the announced port. Also the sticky table itself
 * and its state-file text format (parse and serialize); owner_state.c
 * reads and writes the file.
 */
#ifndef OWNER_H
#define OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "sockdiag.h"

/* Sticky names kept in all, and per uid (its least recently registered
 * name not registered now makes room for a new one). */
#define OWNER_STICKY_MAX	65536
#define OWNER_STICKY_PER_UID	256
#define OWNER_STATE_HEADER	"# epmd_secure sticky owners v1"

/* What the first matching `register` line says about the uid. */
enum owner_rule {
	OWNER_RULE_NONE = 0,	/* no line matches: register_default */
	OWNER_RULE_ALLOWS,	/* the uid is one of the line's users */
	OWNER_RULE_DENIES,	/* a line matches; the uid is not on it */
};

/* register_default. */
enum owner_default {
	OWNER_DEFAULT_ANY = 0,	/* stock: anyone */
	OWNER_DEFAULT_DENY,
	OWNER_DEFAULT_STICKY,	/* the first uid to register a name owns it */
};

/* dist_exposure. */
enum owner_exposure {
	OWNER_EXPOSURE_WARN = 0,
	OWNER_EXPOSURE_REFUSE,
	OWNER_EXPOSURE_IGNORE,
};

enum owner_verdict {
	OWNER_OK = 0,
	OWNER_NOT_OWNER,	/* register rule, deny or another's sticky */
	OWNER_STICKY_FULL,	/* no room to remember a new sticky name */
	OWNER_UNVERIFIED,	/* a check needs a fact sock_diag did not give */
	OWNER_PORT_NOT_OWNED,	/* no listener of this uid on the port */
	OWNER_DIST_EXPOSED,	/* refused: listener reachable off-host */
};

struct owner_sticky;

/* Everything one ALIVE2 decision depends on. */
struct owner_request {
	const char			*name;
	uint32_t			 uid;
	int				 uid_known;
	enum owner_rule			 rule;
	enum owner_default		 def;
	const struct owner_sticky	*sticky;	/* NULL: empty */
	/* Listeners on the announced port; NULL if not looked up. */
	const struct sockdiag_result	*listeners;
	int				 check_port_owner;
	int				 root_any_port;
	enum owner_exposure		 exposure;
};

struct owner_decision {
	enum owner_verdict	 verdict;
	/* OWNER_OK under sticky for a name nobody owns yet: the caller
	 * records (name, uid) with owner_sticky_claim() on success. */
	int			 claim;
	uint32_t		 holder;	/* NOT_OWNER by sticky: owner */
	int			 exposed;	/* listener off loopback */
	struct sockdiag_addr	 bind;		/* the exposed address */
};

/*
 * Decide an ALIVE2: name ownership first, then the port's owner, then
 * distribution exposure (reported in exposed even when allowed).
 */
void owner_decide(const struct owner_request *, struct owner_decision *);

/* Return the verdict's audit word: "not_owner", "port_not_owned" ... */
const char *owner_verdict_str(enum owner_verdict);

/* An empty sticky table; NULL if out of memory. */
struct owner_sticky *owner_sticky_new(void);

/* Free the table (NULL is fine). */
void owner_sticky_free(struct owner_sticky *);

/* Number of names in the table. */
size_t owner_sticky_count(const struct owner_sticky *);

/* Owner of name: 0 and *uid, or -1 if nobody owns it. */
int owner_sticky_lookup(const struct owner_sticky *, const char *name,
    uint32_t *uid);

enum owner_status {
	OWNER_ST_OK = 0,
	OWNER_ST_FULL,		/* OWNER_STICKY_MAX names, none evictable */
	OWNER_ST_NOMEM,
	OWNER_ST_BAD,		/* bad name, or owned by another uid */
};

/*
 * Record that uid registered name (a claim, or a use of a name it owns,
 * which makes it the most recently used). When uid already owns
 * OWNER_STICKY_PER_UID names, its least recently used name for which
 * in_use(name, arg) is 0 is forgotten first (in_use may be NULL: none is
 * in use); *evicted (if non-NULL) is set to 1 then.
 */
enum owner_status owner_sticky_claim(struct owner_sticky *,
    const char *name, uint32_t uid, int (*in_use)(const char *, void *),
    void *arg, int *evicted);

/* Forget name: 0, or -1 if it was not in the table. */
int owner_sticky_forget(struct owner_sticky *, const char *name);

/*
 * Parse the state file's text into an empty table. Any malformed line
 * makes the whole file untrusted: the table is left empty and -1 returned
 * with *errline (1-based, 0 for the file as a whole) and *errstr.
 */
int owner_state_parse(struct owner_sticky *, const char *text, size_t len,
    unsigned *errline, const char **errstr);

/*
 * Serialize the table, least recently used first, into a new buffer
 * (*text, *len; caller frees). 0, or -1 if out of memory.
 */
int owner_state_serialize(const struct owner_sticky *, char **text,
    size_t *len);

#endif
