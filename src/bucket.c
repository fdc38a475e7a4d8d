/* bucket: a thread-safe token bucket. */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "bucket.h"

double
bucket_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bucket_init(struct bucket *b, double rate, double burst)
{
	pthread_mutex_init(&b->lock, NULL);
	b->rate = rate;
	b->burst = burst > 0 ? burst : 1;
	/* Start empty: a full bucket would let the first burst exceed the rate. */
	b->tokens = 0;
	b->last = bucket_now();
}

void
bucket_destroy(struct bucket *b)
{
	pthread_mutex_destroy(&b->lock);
}

void
bucket_take(struct bucket *b, double n)
{
	struct timespec ts;
	double now, wait = 0;

	if (b->rate <= 0)
		return;
	pthread_mutex_lock(&b->lock);
	now = bucket_now();
	b->tokens += (now - b->last) * b->rate;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->last = now;
	/* Reserve now, pay by sleeping: later takers queue behind the debt. */
	b->tokens -= n;
	if (b->tokens < 0)
		wait = -b->tokens / b->rate;
	pthread_mutex_unlock(&b->lock);
	if (wait <= 0)
		return;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
bucket_refund(struct bucket *b, double n)
{
	if (b->rate <= 0 || n <= 0)
		return;
	pthread_mutex_lock(&b->lock);
	b->tokens += n;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	pthread_mutex_unlock(&b->lock);
}
