/*
 * bucket: a token bucket shared by threads, capping a rate (rows per second
 * read from MySQL across all warm workers, bytes per second read by all
 * verify workers). A rate of 0 means no cap.
 * The caller owns the struct; bucket_init/bucket_destroy bracket its use.
 */
#ifndef CW_BUCKET_H
#define CW_BUCKET_H

#include <pthread.h>

struct bucket {
	pthread_mutex_t lock;
	double rate;   /* tokens per second; 0 = unlimited */
	double burst;  /* most tokens that can be saved up */
	double tokens; /* may go negative: a reservation others wait behind */
	double last;   /* monotonic seconds of the last refill */
};

void bucket_init(struct bucket *b, double rate, double burst);
void bucket_destroy(struct bucket *b);
/* Takes n tokens, sleeping as long as the rate requires. */
void bucket_take(struct bucket *b, double n);
/*
 * The arithmetic of bucket_take at monotonic time now: takes n tokens and
 * returns the seconds the taker must wait. For the tests, which pass their
 * own clock.
 */
double bucket_reserve(struct bucket *b, double n, double now);
/* Gives back tokens taken but not used (a batch shorter than reserved). */
void bucket_refund(struct bucket *b, double n);

#endif
