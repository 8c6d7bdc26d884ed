/*
 * hello_fcgi.c: the baseline for parley.fcgi: a bare libfcgi responder with
 * the same structure (fcgiapp, a pool of threads each accepting on the
 * socket) answering every request with a fixed JSON body. Usage:
 * hello_fcgi SOCKET_PATH THREADS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>

static int sock;

static void *
worker(void *arg)
{
	FCGX_Request r;

	(void)arg;
	FCGX_InitRequest(&r, sock, 0);
	while (FCGX_Accept_r(&r) == 0) {
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json;"
		    " charset=utf-8\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
		    r.out);
		FCGX_Finish_r(&r);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	int i, n;

	if (argc != 3)
		return 2;
	unlink(argv[1]);
	FCGX_Init();
	sock = FCGX_OpenSocket(argv[1], 1024);
	if (sock < 0)
		return 1;
	n = atoi(argv[2]);
	for (i = 1; i < n; i++)
		pthread_create(&t, NULL, worker, NULL);
	worker(NULL);
	return 0;
}
