/*
 * tmpdir.h: the scratch folder of a unit test program, made by its
 * cmocka group set-up and removed, with all it holds, by
 * tmpdir_teardown(). Header-only: each test is one program.
 */
#ifndef PARLEY_TESTS_TMPDIR_H
#define PARLEY_TESTS_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* The folder, /tmp/parley-NAME-XXXXXX once tmpdir_make() made it. */
static char tmpdir[64];

/* Makes tmpdir for the test program name; 0, or -1. */
static inline int
tmpdir_make(const char *name)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/parley-%s-XXXXXX", name);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* A cmocka group tear-down: removes tmpdir and everything in it. */
static inline int
tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
