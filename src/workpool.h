/* A fixed pool of threads for CPU-heavy work (bcrypt, PBKDF2), so that hashing never
 * blocks the HTTP workers: a request hands its job here and is resumed when it is done.
 * The threads run at a lower CPU priority (nice 10), so a storm of sign-ins queues here
 * instead of slowing every other request.
 *
 * The queue is bounded by time, not length: the pool keeps a moving average of how long a
 * job takes, and a job that would wait longer than WORKPOOL_MAX_WAIT_MS behind those queued
 * and running is refused at once, so a flood of sign-ins answers 503 quickly instead of
 * every one of them waiting many seconds. */
#ifndef PLANYARD_WORKPOOL_H
#define PLANYARD_WORKPOOL_H

#include "common.h"

#define WORKPOOL_MAX_WAIT_MS 2000

void workpool_start(int threads);

/* Queues fn(arg); -1 when the queue is full or the expected wait is over the bound (the
 * caller answers 503). *wait_ms receives the expected wait either way. */
int workpool_submit(void (*fn)(void *), void *arg, long *wait_ms) WUR;

#endif
