/* http: blocking HTTP(S) requests over libcurl (see http.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe in older libcurls: run it exactly once. */
static void
http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("http: curl_global_init failed");
}

static size_t
http_body_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *resp = arg;
	size_t len = size * nmemb;

	/* Returning less than len makes curl fail with CURLE_WRITE_ERROR. */
	if (resp->body.len + len > HTTP_MAX_RESPONSE)
		return 0;
	buf_add(&resp->body, data, len);
	return len;
}

/* Keeps the Date header: SNS's clock, for re-signing after RequestTimeTooSkewed. */
static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *resp = arg;
	size_t len = size * nmemb;
	char *value;
	time_t t;

	if (len > 5 && len < 256 && strncasecmp(data, "date:", 5) == 0) {
		value = xstrndup(data + 5, len - 5);
		value[strcspn(value, "\r\n")] = '\0';
		if ((t = curl_getdate(value, NULL)) > 0)
			resp->date = t;
		free(value);
	}
	return len;
}

/* Headers hold the Authorization, session and metadata tokens: wiped, then freed. */
static void
http_headers_free(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h != NULL; h = h->next)
		if (h->data != NULL)
			explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static int
http_headers(const struct http_request *req, struct curl_slist **list, char **cause)
{
	struct curl_slist *l = NULL, *n;
	char *line;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strpbrk(req->headers[i].name, "\r\n:") != NULL ||
		    strpbrk(req->headers[i].value, "\r\n") != NULL) {
			*cause = xasprintf("%s %s: header %s has a line break", req->method,
			                   req->url, req->headers[i].name);
			http_headers_free(l);
			return -1;
		}
		line = xasprintf("%s: %s", req->headers[i].name, req->headers[i].value);
		n = curl_slist_append(l, line);
		explicit_bzero(line, strlen(line));
		free(line);
		if (n == NULL)
			fatal("http: out of memory");
		l = n;
	}
	/*
	 * No "Expect: 100-continue" round trip; and no Content-Type unless the
	 * caller gave one (curl would add a form type to every body).
	 */
	if ((n = curl_slist_append(l, "Expect:")) == NULL)
		fatal("http: out of memory");
	l = n;
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Content-Type") == 0)
			break;
	}
	if (i == req->nheaders) {
		if ((n = curl_slist_append(l, "Content-Type:")) == NULL)
			fatal("http: out of memory");
		l = n;
	}
	*list = l;
	return 0;
}

static void
http_setopts(CURL *c, const struct http_request *req, struct http_response *resp,
             struct curl_slist *headers, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	if (req->no_proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (strcmp(req->method, "GET") != 0) {
		/* POSTFIELDS sends the body (also an empty one); CUSTOMREQUEST renames POST. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

int
http_request(const struct http_request *req, struct http_response *resp, char **cause)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	CURLcode rc;
	CURL *c;

	memset(resp, 0, sizeof *resp);
	/* Answers may carry tokens and credentials (instance metadata): wiped when freed. */
	buf_init_secret(&resp->body);
	pthread_once(&http_once, http_global_init);
	if (http_headers(req, &headers, cause) != 0)
		return -1;
	if ((c = curl_easy_init()) == NULL)
		fatal("http: curl_easy_init failed");
	errbuf[0] = '\0';
	http_setopts(c, req, resp, headers, errbuf);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_cleanup(c);
	http_headers_free(headers);
	if (rc == CURLE_WRITE_ERROR) { /* only http_body_cb fails writes */
		*cause = xasprintf("%s %s: answer larger than %d bytes", req->method, req->url,
		                   HTTP_MAX_RESPONSE);
	} else if (rc != CURLE_OK) {
		*cause = xasprintf("%s %s: %s", req->method, req->url,
		                   errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	if (rc != CURLE_OK) {
		http_response_free(resp);
		return -1;
	}
	return 0;
}

void
http_response_free(struct http_response *resp)
{
	buf_free(&resp->body);
	resp->status = 0;
	resp->date = 0;
}
