/*
 * tmpdir.h: the scratch folder of a unit test program, made by its
 * cmocka group set-up and removed, with all it holds, by its tear-down.
 * Header-only: each test is one program.
 */
#ifndef PARLEY_TESTS_TMPDIR_H
#define PARLEY_TESTS_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* Makes a new folder /tmp/parley-NAME-XXXXXX into dir; 0, or -1. */
static inline int
tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/parley-%s-XXXXXX", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Removes dir and everything in it; 0, or -1. */
static inline int
tmpdir_remove(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
