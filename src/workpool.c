#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define QUEUE 4096

struct job {
	void (*fn)(void *);
	void *arg;
};

static struct job queue[QUEUE];
static size_t head, count;
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
		pthread_mutex_unlock(&lock);
		j.fn(j.arg);
	}
	return NULL;
}

void workpool_start(int threads)
{
	for (int i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			fatal("cannot start the work pool");
		pthread_detach(t);
	}
}

int workpool_submit(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&lock);
	if (count == QUEUE) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	queue[(head + count) % QUEUE] = (struct job){ fn, arg };
	count++;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&lock);
	return 0;
}
