/*
 * admin: the admin HTTP API, on libevent's evhttp (the only module that
 * includes <event2/http.h>). One route table (method, path, whether it needs
 * the bearer token, handler) in admin.c; the handlers belong to the daemon,
 * which passes them in struct admin_ops and answers through admin_reply,
 * possibly later (GET /health waits for a fresh check).
 *
 * Guards: POST routes need "Authorization: Bearer <token>" equal to the
 * token file's (constant-time compare): 401 otherwise, 403 when no token
 * file is configured. Bodies over 64 KiB: 413. Unknown path: 404; a known
 * path with the wrong method: 405. A client that stalls is dropped after
 * ADMIN_TIMEOUT_S; at most ADMIN_MAX_CLIENTS connections are open at once:
 * then the listener pauses and more clients wait in the kernel's backlog.
 */
#ifndef CW_ADMIN_H
#define CW_ADMIN_H

#include <stddef.h>

struct event_base;
struct admin;
struct admin_req;

#define ADMIN_MAX_BODY    (64 * 1024)
#define ADMIN_TIMEOUT_S   10
#define ADMIN_MAX_CLIENTS 64

struct admin_ops {
	void *arg;
	void (*health)(void *arg, struct admin_req *req);
	void (*status)(void *arg, struct admin_req *req);
	void (*metrics)(void *arg, struct admin_req *req);
	/* list: the ?dataset= or ?set= value (comma separated), or NULL */
	void (*rebuild)(void *arg, struct admin_req *req, const char *list);
	void (*verify)(void *arg, struct admin_req *req, const char *list);
};

/*
 * Listens on listen ("host:port"). token: the bearer token (copied; NULL =
 * POST routes answer 403). NULL and a cause when the address cannot be bound.
 */
struct admin *admin_new(struct event_base *base, const char *listen, const char *token,
                        const struct admin_ops *ops, char **cause);
/* Replaces the token after a reload (NULL: none). */
void admin_set_token(struct admin *a, const char *token);
void admin_free(struct admin *a);

/* Answers a request and releases it; content_type NULL means application/json. */
void admin_reply(struct admin_req *req, int code, const char *content_type, const char *body,
                 size_t len);

#endif
