/*
 * park.c: held long-polls. (Filled in with the event queue.)
 */
#include "httpd.h"

int park_init(void) { return 0; }
int park_start(struct MHD_Daemon *d) { (void)d; return 0; }
void park_stop(void) { }
void park_forget(struct conn *c) { (void)c; }

enum MHD_Result
park(struct conn *c)
{
	reply_error(&c->resp, &c->req, ERR_INTERNAL, NULL, "cannot wait");
	return send_response(c);
}
