#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 4096

struct job {
	void (*fn)(void *);
	void *arg;
};

static struct job queue[QUEUE];
static size_t head, count;
static int threads_n = 1, running;
static double avg_us;          /* moving average of a job's duration; 0 before the first */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;

static void *worker(void *unused)
{
	(void)unused;
	/* hashing yields the CPU to request handling: Linux applies nice per thread */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (count == 0)
			pthread_cond_wait(&ready, &lock);
		struct job j = queue[head];
		head = (head + 1) % QUEUE;
		count--;
		running++;
		pthread_mutex_unlock(&lock);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		j.fn(j.arg);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double us = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
		pthread_mutex_lock(&lock);
		running--;
		avg_us = avg_us == 0 ? us : avg_us * 0.8 + us * 0.2;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

void workpool_start(int threads)
{
	threads_n = threads > 0 ? threads : 1;
	for (int i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			fatal("cannot start the work pool");
		pthread_detach(t);
	}
}

int workpool_submit(void (*fn)(void *), void *arg, long *wait_ms)
{
	pthread_mutex_lock(&lock);
	/* behind every queued job, and the running ones half done on average */
	double wait = ((double)count + (double)running / 2) * avg_us / threads_n / 1000;
	*wait_ms = (long)wait;
	if (count == QUEUE || wait > WORKPOOL_MAX_WAIT_MS) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	queue[(head + count) % QUEUE] = (struct job){ fn, arg };
	count++;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&lock);
	return 0;
}
