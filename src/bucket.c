/* bucket: a thread-safe token bucket. */
#include "config.h"

#include <time.h>

#include "bucket.h"
#include "clocks.h"

void
bucket_init(struct bucket *b, double rate, double burst)
{
	pthread_mutex_init(&b->lock, NULL);
	b->rate = rate;
	b->burst = burst > 0 ? burst : 1;
	/* Start empty: a full bucket would let the first burst exceed the rate. */
	b->tokens = 0;
	b->last = clocks_mono();
}

void
bucket_destroy(struct bucket *b)
{
	pthread_mutex_destroy(&b->lock);
}

double
bucket_reserve(struct bucket *b, double n, double now)
{
	double wait = 0;

	if (b->rate <= 0)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
	/* Reserve now, pay by sleeping: later takers queue behind the debt. */
	b->tokens -= n;
	if (b->tokens < 0)
		wait = -b->tokens / b->rate;
	pthread_mutex_unlock(&b->lock);
	return wait;
}

void
bucket_take(struct bucket *b, double n)
{
	if (b->rate > 0)
		clocks_sleep(bucket_reserve(b, n, clocks_mono()));
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
