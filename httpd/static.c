/*
 * static.c: the browser client's files, from --www, for GET and HEAD.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/config.h"
#include "httpd.h"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *
type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* True if path is safe to join to --www: absolute, plain characters, and
 * no "." or ".." segment or hidden file. */
static bool
path_ok(const char *path)
{
	const char *p;

	if (path[0] != '/' || strlen(path) > 200)
		return false;
	for (p = path; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '\\' || *p == '%' ||
		    (unsigned char)*p >= 0x7f)
			return false;
		if (*p == '/' && p[1] == '.')
			return false;
	}
	return true;
}

enum MHD_Result
serve_static(struct conn *c)
{
	char file[PATH_MAX];
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result ret;
	int fd = -1;

	if (strcmp(c->req.method, "GET") != 0 &&
	    strcmp(c->req.method, "HEAD") != 0) {
		response_header(&c->resp, "Allow", "GET, HEAD");
		api_reject(&c->req, &c->resp, ERR_METHOD_NOT_ALLOWED);
		return send_response(c);
	}
	if (path_ok(c->req.path)) {
		snprintf(file, sizeof(file), "%s%s%s", config.www_dir,
		    c->req.path, c->req.path[strlen(c->req.path) - 1] == '/' ?
		    "index.html" : "");
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		api_reject(&c->req, &c->resp, ERR_NOT_FOUND);
		return send_response(c);
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type_of(file));
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* The client's files change with each release: revalidate. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c->mhd, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	c->resp.status = 200;
	api_finish(&c->req, &c->resp);
	return ret;
}
