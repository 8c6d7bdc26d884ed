/*
 * wait.c: a worker thread's wait for its user's bell. (Filled in with the
 * event queue.)
 */
#include "cgi.h"

int bell_open(void) { return 0; }
void bell_ring_all(void) { }
void
wait_for_bell(int64_t user, int64_t deadline_ms, volatile sig_atomic_t *stopping)
{
	(void)user; (void)deadline_ms; (void)stopping;
}
