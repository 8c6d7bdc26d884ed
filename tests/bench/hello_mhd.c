/*
 * hello_mhd.c: the baseline for parleyd: a bare libmicrohttpd server with
 * the same threading parleyd uses (epoll, a pool of one thread per core)
 * answering every request with a fixed JSON body. Answers on the second
 * call, as parleyd does (MEASURED.md: answering on the first closes
 * keep-alive connections). Usage: hello_mhd PORT
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static const char body[] = "{\"ok\":true}";

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)data;
	if (*state == NULL) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (*size != 0) {
		*size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type",
	    "application/json; charset=utf-8");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	sigset_t s;
	int sig;

	if (argc != 2)
		return 2;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)atoi(argv[1]),
	    NULL, NULL, answer, NULL, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)sysconf(_SC_NPROCESSORS_ONLN), MHD_OPTION_CONNECTION_LIMIT,
	    20000u, MHD_OPTION_END) == NULL)
		return 1;
	sigwait(&s, &sig);
	return 0;
}
