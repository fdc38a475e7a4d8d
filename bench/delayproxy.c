/*
 * delayproxy: a TCP forwarder on 127.0.0.1 that holds every chunk of data
 * for a fixed delay in each direction, so that a benchmark on loopback sees
 * a network round trip (2 x delay) the way it would to RDS or ElastiCache;
 * the kernel's netem is not available on the machines we measure on.
 *
 *   cc -O2 -o delayproxy bench/delayproxy.c
 *   delayproxy LISTEN_PORT TARGET_PORT DELAY_US
 *
 * Bandwidth is not limited; a direction with more than 16 MiB held stops
 * reading until it drains. One thread, epoll; runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK    65536
#define HOLD_MAX (16 << 20)
#define MAXCONN  256

struct chunk {
	struct chunk *next;
	long long due; /* microseconds, monotonic */
	size_t len, off;
	char data[];
};

struct dir {
	int from, to;
	struct chunk *head, *tail;
	size_t held;
	int eof, shut;
};

struct pair {
	int used;
	struct dir d[2]; /* 0: client to server, 1: back */
};

static struct pair pairs[MAXCONN];
static long long delay_us;
static int ep;

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
nonblock(int fd)
{
	int one = 1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* What fd waits for: reading for the direction it feeds, writing when blocked. */
static void
interest(struct pair *p, int fd, int want_out)
{
	struct epoll_event ev = { 0 };
	int i;

	for (i = 0; i < 2; i++)
		if (p->d[i].from == fd && !p->d[i].eof && p->d[i].held < HOLD_MAX)
			ev.events |= EPOLLIN;
	if (want_out)
		ev.events |= EPOLLOUT;
	ev.data.u64 = ((uint64_t)(p - pairs) << 32) | (uint32_t)fd;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void
close_pair(struct pair *p)
{
	struct chunk *c, *n;
	int i;

	for (i = 0; i < 2; i++)
		for (c = p->d[i].head; c != NULL; c = n) {
			n = c->next;
			free(c);
		}
	close(p->d[0].from);
	close(p->d[0].to);
	memset(p, 0, sizeof *p);
}

static void
do_read(struct pair *p, struct dir *d)
{
	struct chunk *c = malloc(sizeof *c + CHUNK);
	ssize_t n;

	if (c == NULL)
		abort();
	n = read(d->from, c->data, CHUNK);
	if (n <= 0) {
		free(c);
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			d->eof = 1;
		return;
	}
	c->next = NULL;
	c->len = (size_t)n;
	c->off = 0;
	c->due = now_us() + delay_us;
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->held += (size_t)n;
	(void)p;
}

/* Writes what is due; returns 1 when blocked on the peer's window. */
static int
do_write(struct dir *d, long long now)
{
	struct chunk *c;
	ssize_t n;

	while ((c = d->head) != NULL && c->due <= now) {
		n = write(d->to, c->data + c->off, c->len - c->off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : -1;
		c->off += (size_t)n;
		d->held -= (size_t)n;
		if (c->off < c->len)
			return 1;
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	if (d->head == NULL && d->eof && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = 1;
	}
	return 0;
}

static void
service(struct pair *p, long long now)
{
	int blocked[2], i;

	for (i = 0; i < 2; i++)
		if ((blocked[i] = do_write(&p->d[i], now)) < 0) {
			close_pair(p);
			return;
		}
	if (p->d[0].shut && p->d[1].shut) {
		close_pair(p);
		return;
	}
	/* d[0] writes to the server (d[1].from), d[1] to the client (d[0].from). */
	interest(p, p->d[0].from, blocked[1]);
	interest(p, p->d[1].from, blocked[0]);
}

static void
accept_one(int lfd, int target)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)target) };
	struct epoll_event ev = { 0 };
	struct pair *p = NULL;
	int c, s, i;

	if ((c = accept(lfd, NULL, NULL)) < 0)
		return;
	for (i = 0; i < MAXCONN && p == NULL; i++)
		if (!pairs[i].used)
			p = &pairs[i];
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (p == NULL || (s = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		close(c);
		return;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(c);
		close(s);
		return;
	}
	nonblock(c);
	nonblock(s);
	p->used = 1;
	p->d[0].from = c, p->d[0].to = s;
	p->d[1].from = s, p->d[1].to = c;
	ev.events = EPOLLIN;
	ev.data.u64 = ((uint64_t)(p - pairs) << 32) | (uint32_t)c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	ev.data.u64 = ((uint64_t)(p - pairs) << 32) | (uint32_t)s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event evs[64], ev = { 0 };
	long long next, now, wait;
	struct timespec ts;
	int lfd, target, one = 1, n, i, j;

	if (argc != 4) {
		fprintf(stderr, "usage: delayproxy LISTEN_PORT TARGET_PORT DELAY_US\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	target = atoi(argv[2]);
	delay_us = atoll(argv[3]);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 64) != 0) {
		perror("delayproxy: bind");
		return 69;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		next = -1;
		for (i = 0; i < MAXCONN; i++)
			for (j = 0; pairs[i].used && j < 2; j++)
				if (pairs[i].d[j].head != NULL &&
				    (next < 0 || pairs[i].d[j].head->due < next))
					next = pairs[i].d[j].head->due;
		now = now_us();
		/* epoll_pwait2: a microsecond timeout, for sub-millisecond delays without spinning. */
		wait = next < 0 ? 1000000 : next <= now ? 0 : next - now;
		ts.tv_sec = wait / 1000000;
		ts.tv_nsec = (wait % 1000000) * 1000;
		n = epoll_pwait2(ep, evs, 64, &ts, NULL);
		for (i = 0; i < n; i++) {
			struct pair *p;

			if (evs[i].data.u64 == UINT64_MAX) {
				accept_one(lfd, target);
				continue;
			}
			p = &pairs[evs[i].data.u64 >> 32];
			if (!p->used)
				continue;
			for (j = 0; j < 2; j++)
				if ((int)(uint32_t)evs[i].data.u64 == p->d[j].from &&
				    (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					do_read(p, &p->d[j]);
		}
		now = now_us();
		for (i = 0; i < MAXCONN; i++)
			if (pairs[i].used)
				service(&pairs[i], now);
	}
}
