/*
 * accept.c: parleyd's own listening socket, dealing connections out to
 * libmicrohttpd's threads in turn.
 *
 * libmicrohttpd's pool threads share one listening socket, and the thread
 * that wakes first accepts up to ten connections in a row: 64 clients
 * connecting at once landed on 3 to 7 of the 64 threads. A thread serves
 * its connections one at a time, and a send keeps its thread until its
 * group commit is done (db/commit.c), so the sends of the connections
 * sharing a thread queued for it: batches of 2-3 sends, and a third of
 * the CPU idle (docs/BENCHMARKS.md). Here one thread accepts and hands
 * each connection to MHD_add_connection(), which gives it to the pool
 * thread its descriptor number picks, so consecutive connections go to
 * different threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"

static int lsock = -1;
static struct MHD_Daemon *daemon_;
static pthread_t thread;
static bool running;

int
accept_listen(const struct sockaddr *addr, socklen_t len, int backlog)
{
	int one = 1;

	lsock = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0)
		return -1;
	(void)setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lsock, addr, len) != 0 || listen(lsock, backlog) != 0) {
		int e = errno;

		close(lsock);
		lsock = -1;
		errno = e;
		return -1;
	}
	return 0;
}

unsigned
accept_port(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(lsock, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void *
acceptor(void *unused)
{
	(void)unused;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lsock, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			/* Closes fd itself when it fails (at the connection
			 * limit, out of memory). */
			(void)MHD_add_connection(daemon_, fd,
			    (struct sockaddr *)&ss, len);
			continue;
		}
		if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			usleep(10000); /* until a connection ends */
		else if (errno != EINTR && errno != ECONNABORTED &&
		    errno != EAGAIN && errno != EPROTO && errno != EPERM)
			fprintf(stderr, "parleyd: accept: %s\n", strerror(errno));
	}
	return NULL;
}

int
accept_start(struct MHD_Daemon *d)
{
	daemon_ = d;
	__atomic_store_n(&running, true, __ATOMIC_RELEASE);
	if (pthread_create(&thread, NULL, acceptor, NULL) != 0) {
		running = false;
		return -1;
	}
	return 0;
}

void
accept_stop(void)
{
	if (lsock < 0)
		return;
	if (__atomic_exchange_n(&running, false, __ATOMIC_ACQ_REL)) {
		/* Ends the accept() the thread is blocked in (EINVAL). */
		shutdown(lsock, SHUT_RDWR);
		pthread_join(thread, NULL);
	}
	close(lsock);
	lsock = -1;
}
