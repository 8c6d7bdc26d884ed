/*
 * h_service.c: GET /api/v1, /health, /ping.
 */
#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "text.h"

void
h_service_info(struct request *req, struct response *resp)
{
	char now[32];

	(void)req;
	time_format(now_ms(), now);
	reply_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "name", "parley",
	    "version", PARLEY_VERSION, "welcome", config.welcome, "time", now));
}

void
h_health(struct request *req, struct response *resp)
{
	if (db_ping() != ERR_OK) {
		reply_error(resp, req, ERR_UNAVAILABLE, NULL,
		    "the database does not answer");
		return;
	}
	reply_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

void
h_ping(struct request *req, struct response *resp)
{
	char now[32];

	(void)req;
	time_format(now_ms(), now);
	reply_json(resp, 200, json_pack("{s:s}", "time", now));
}
