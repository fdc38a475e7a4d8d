/* admin: evhttp, the route table, the token and connection guards. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "admin.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

struct admin {
	struct event_base *base;
	struct evhttp *http;
	struct admin_ops ops;
	uint8_t token_hash[CRYPTO_SHA256_LEN];
	int have_token;
	/*
	 * Open connections, requests or not. At ADMIN_MAX_CLIENTS the listener
	 * stops accepting; more clients wait in the kernel's backlog until one
	 * closes. Connections just accepted wait in fresh (a reference held)
	 * until the sweep finds their evhttp_connection and sets its close
	 * callback: libevent 2.1 tells the application of a connection only at
	 * its first request, and has no limit of its own.
	 */
	struct evconnlistener *listener;
	size_t nconns;
	int paused;
	struct event *sweep;
	struct bufferevent *fresh[ADMIN_MAX_CLIENTS + 1];
	size_t nfresh;
};

enum admin_handler {
	ADMIN_HEALTH,
	ADMIN_STATUS,
	ADMIN_METRICS,
	ADMIN_REBUILD,
	ADMIN_VERIFY,
};

struct admin_route {
	enum evhttp_cmd_type method;
	const char *path;
	int needs_token;
	enum admin_handler handler;
	const char *list_param; /* the query parameter passed to the handler, or NULL */
};

static const struct admin_route admin_routes[] = {
	{ EVHTTP_REQ_GET, "/health", 0, ADMIN_HEALTH, NULL },
	{ EVHTTP_REQ_GET, "/status", 0, ADMIN_STATUS, NULL },
	{ EVHTTP_REQ_GET, "/metrics", 0, ADMIN_METRICS, NULL },
	{ EVHTTP_REQ_POST, "/admin/rebuild-cache", 1, ADMIN_REBUILD, "dataset" },
	{ EVHTTP_REQ_POST, "/admin/verify-backups", 1, ADMIN_VERIFY, "set" },
};
#define ADMIN_NROUTES (sizeof admin_routes / sizeof admin_routes[0])

void
admin_reply(struct admin_req *areq, int code, const char *content_type, const char *body,
            size_t len)
{
	struct evhttp_request *req = (struct evhttp_request *)areq;
	struct evbuffer *out = evbuffer_new();
	const char *reason;

	switch (code) {
	case 200:
		reason = "OK";
		break;
	case 202:
		reason = "Accepted";
		break;
	case 401:
		reason = "Unauthorized";
		break;
	case 403:
		reason = "Forbidden";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		break;
	case 409:
		reason = "Conflict";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "Error";
		break;
	}
	if (out == NULL)
		fatal("admin: out of memory");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  content_type != NULL ? content_type : "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evbuffer_add(out, body, len);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

/* {"error": message} with code. */
static void
admin_error(struct evhttp_request *req, int code, const char *message)
{
	struct buf out = BUF_INIT;
	struct json j;

	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "error", message);
	json_object_end(&j);
	buf_addc(&out, '\n');
	admin_reply((struct admin_req *)req, code, NULL, out.data, out.len);
	buf_free(&out);
}

static void
admin_conn_gone(struct admin *a)
{
	a->nconns--;
	if (a->paused && a->nconns < ADMIN_MAX_CLIENTS) {
		evconnlistener_enable(a->listener);
		a->paused = 0;
	}
}

static void
admin_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	admin_conn_gone(arg);
}

/*
 * evhttp made an evhttp_connection around each fresh bufferevent, with
 * itself as the callbacks' argument: that is where the close callback goes.
 * A connection already closed has its callbacks cleared: count it gone.
 */
static void
admin_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct admin *a = arg;
	void *evcon;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < a->nfresh; i++) {
		evcon = NULL;
		bufferevent_getcb(a->fresh[i], NULL, NULL, NULL, &evcon);
		if (evcon != NULL)
			evhttp_connection_set_closecb(evcon, admin_conn_closed, a);
		else
			admin_conn_gone(a);
		bufferevent_decref(a->fresh[i]);
	}
	a->nfresh = 0;
}

/* evhttp's hook for a new connection: the bufferevent it would make itself, counted. */
static struct bufferevent *
admin_accept(struct event_base *base, void *arg)
{
	struct admin *a = arg;
	struct bufferevent *bev;

	if (a->nfresh == ADMIN_MAX_CLIENTS)
		admin_sweep(-1, 0, a);
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	a->fresh[a->nfresh++] = bev;
	if (++a->nconns >= ADMIN_MAX_CLIENTS && !a->paused) {
		evconnlistener_disable(a->listener);
		a->paused = 1;
		log_warn("admin: %d connections open; more wait until one closes",
		         ADMIN_MAX_CLIENTS);
	}
	event_active(a->sweep, EV_TIMEOUT, 1);
	return bev;
}

/* Whether the request carries the bearer token; hashing first keeps the compare's time flat. */
static int
admin_token_ok(const struct admin *a, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	uint8_t got[CRYPTO_SHA256_LEN];

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	crypto_sha256(h, strlen(h), got);
	return crypto_memeq(got, a->token_hash, sizeof got);
}

/* The value of one query parameter, or NULL; the caller frees it. */
static char *
admin_query_param(struct evhttp_request *req, const char *name)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq params;
	const char *v;
	char *rv = NULL;

	if (query == NULL || name == NULL)
		return NULL;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0 &&
	    (v = evhttp_find_header(&params, name)) != NULL)
		rv = xstrdup(v);
	evhttp_clear_headers(&params);
	return rv;
}

static void
admin_dispatch(struct admin *a, const struct admin_route *r, struct evhttp_request *req)
{
	struct admin_req *areq = (struct admin_req *)req;
	char *list;

	switch (r->handler) {
	case ADMIN_HEALTH:
		a->ops.health(a->ops.arg, areq);
		break;
	case ADMIN_STATUS:
		a->ops.status(a->ops.arg, areq);
		break;
	case ADMIN_METRICS:
		a->ops.metrics(a->ops.arg, areq);
		break;
	case ADMIN_REBUILD:
	case ADMIN_VERIFY:
		list = admin_query_param(req, r->list_param);
		if (r->handler == ADMIN_REBUILD)
			a->ops.rebuild(a->ops.arg, areq, list);
		else
			a->ops.verify(a->ops.arg, areq, list);
		free(list);
		break;
	}
}

static void
admin_request(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct admin_route *found = NULL;
	struct buf allow = BUF_INIT;
	size_t i;

	for (i = 0; path != NULL && i < ADMIN_NROUTES; i++) {
		if (strcmp(admin_routes[i].path, path) != 0)
			continue;
		buf_adds(&allow, allow.len > 0 ? ", " : "");
		buf_adds(&allow, admin_routes[i].method == EVHTTP_REQ_GET ? "GET" : "POST");
		if (admin_routes[i].method == method ||
		    (method == EVHTTP_REQ_HEAD && admin_routes[i].method == EVHTTP_REQ_GET))
			found = &admin_routes[i];
	}
	if (found == NULL) {
		if (allow.len > 0) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			                  allow.data);
			admin_error(req, 405, "method not allowed");
		} else
			admin_error(req, 404, "no such path");
		buf_free(&allow);
		return;
	}
	buf_free(&allow);
	if (found->needs_token && !a->have_token) {
		admin_error(req, 403, "POST routes are off: no [admin] token_file is configured");
		return;
	}
	if (found->needs_token && !admin_token_ok(a, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer");
		admin_error(req, 401, "a valid bearer token is required");
		return;
	}
	admin_dispatch(a, found, req);
}

void
admin_set_token(struct admin *a, const char *token)
{
	a->have_token = token != NULL && *token != '\0';
	if (a->have_token)
		crypto_sha256(token, strlen(token), a->token_hash);
	else
		memset(a->token_hash, 0, sizeof a->token_hash);
}

/* Splits "host:port" ("[v6]:port" too); 0, or -1. */
static int
admin_split(const char *listen, char **host, unsigned short *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (colon == NULL)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	if (listen[0] == '[' && colon > listen && colon[-1] == ']')
		*host = xasprintf("%.*s", (int)(colon - listen - 2), listen + 1);
	else
		*host = xasprintf("%.*s", (int)(colon - listen), listen);
	*port = (unsigned short)p;
	return 0;
}

struct admin *
admin_new(struct event_base *base, const char *listen, const char *token,
          const struct admin_ops *ops, char **cause)
{
	struct admin *a = xcalloc(1, sizeof *a);
	struct evhttp_bound_socket *bound;
	unsigned short port;
	char *host;

	if (admin_split(listen, &host, &port) != 0) {
		*cause = xasprintf("admin: '%s' is not host:port", listen);
		free(a);
		return NULL;
	}
	a->base = base;
	a->ops = *ops;
	if ((a->http = evhttp_new(base)) == NULL)
		fatal("admin: cannot create the HTTP server");
	evhttp_set_max_body_size(a->http, ADMIN_MAX_BODY);
	evhttp_set_max_headers_size(a->http, 16 * 1024);
	evhttp_set_timeout(a->http, ADMIN_TIMEOUT_S);
	/* Every method reaches the route table, which answers 405 with Allow. */
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->http, admin_request, a);
	evhttp_set_bevcb(a->http, admin_accept, a);
	if ((a->sweep = event_new(base, -1, 0, admin_sweep, a)) == NULL)
		fatal("admin: cannot create an event");
	admin_set_token(a, token);
	if ((bound = evhttp_bind_socket_with_handle(a->http, host, port)) == NULL) {
		*cause = xasprintf("admin: cannot listen on %s: %s", listen,
		                   evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		evhttp_free(a->http);
		event_free(a->sweep);
		free(host);
		free(a);
		return NULL;
	}
	a->listener = evhttp_bound_socket_get_listener(bound);
	free(host);
	return a;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	admin_sweep(-1, 0, a);
	evhttp_free(a->http); /* close callbacks still count down into a */
	event_free(a->sweep);
	crypto_wipe(a->token_hash, sizeof a->token_hash);
	free(a);
}
