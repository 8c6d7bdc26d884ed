/*
 * walvfs.c: a VFS that writes a transaction's WAL frames in one system
 * call.
 *
 * SQLite appends each page of a commit to the WAL with two pwrite() calls
 * (the frame's 24-byte header, then the page), and a frame of 4,120 bytes
 * straddles the kernel's pages, so each costs the kernel three page-cache
 * updates: a quarter of the group committer's time in a send run (perf).
 * This VFS sits over the default one and gathers the WAL's writes in a
 * buffer per connection; one pwrite() writes them out.
 *
 * When the buffer must be in the file:
 *   - Before the commit becomes visible. SQLite publishes a commit by
 *     writing the WAL index header twice, with xShmBarrier() on the main
 *     database file between the copies; a reader trusts the header only
 *     when both copies agree. The commit frame is recognised as it is
 *     written (a frame header whose "database size" is not 0): the buffer
 *     is written out right after its page, so an error reaches SQLite as
 *     the write's error and the commit fails cleanly. Until the barrier,
 *     the transaction's later writes (rewritten checksums, padding) go
 *     straight to the file.
 *   - Before the WAL is read, synced, truncated, sized or closed by this
 *     connection.
 * The barrier writes out whatever is still buffered (nothing, unless a
 * commit frame was missed); if that write fails there is no way to tell
 * SQLite, and the process stops before the header's second copy is
 * written, so that readers never trust frames that are not in the file
 * (the next one to open the WAL recovers it from the frames that are).
 *
 * A crash loses nothing it would not have lost anyway: buffered frames
 * belong to a transaction that has not committed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The most a buffer holds before it is written out mid-transaction. */
#define BUF_MAX (8 << 20)
/* The most the unix VFS writes in one call: it masks a write's length
 * to 17 bits and reports a shorter write as a full disk. */
#define WRITE_MAX (124 * 1024)
#define FRAME_HEADER 24
/* Bytes written to the WAL between two starts of its writeback. */
#define KICK_BYTES (1 << 20)
/* struct file's kick_fd when it holds no descriptor. */
#define KICK_NOT_YET (-1)       /* a WAL file not written yet */
#define KICK_NEVER (-2)         /* not a WAL file, or the open failed */

struct file {
	sqlite3_file base;
	struct file *wal;       /* a database file: its WAL, while open */
	struct file *db;        /* a WAL file: its database file */
	unsigned char *buf;     /* a WAL file: the frames not yet written */
	size_t len, cap;
	sqlite3_int64 off;      /* where buf[0] goes in the file */
	sqlite3_int64 commit_page; /* the offset of the commit frame's page,
	                            * once its header is buffered; else -1 */
	bool direct;            /* the commit is written: no buffering until
	                         * the barrier */
	const char *path;       /* a WAL file: its name */
	int kick_fd;            /* a WAL file: a descriptor of its own for
	                         * kick_writeback(), opened at its first
	                         * write; or KICK_NOT_YET, KICK_NEVER */
	sqlite3_int64 kick_from, kick_to; /* written since the last kick */
	sqlite3_file real[];    /* the default VFS's file */
};

static sqlite3_vfs *real_vfs;

/*
 * With synchronous=NORMAL nothing syncs the WAL until a checkpoint, every
 * 10,000 pages: its fdatasync() then waited 15-21 ms for the 40 MB
 * written since the last, and every send waited with it (a fifth of a
 * send run's time). Each time KICK_BYTES have been written, the kernel
 * is asked to start writing them out (SYNC_FILE_RANGE_WRITE starts the
 * writes and waits for none), so that little is left for that sync. The
 * range is only a hint: a page written again later is written again.
 */
static void
kick_writeback(struct file *f, sqlite3_int64 off, size_t len)
{
	if (f->kick_fd == KICK_NOT_YET &&
	    (f->kick_fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		f->kick_fd = KICK_NEVER;
	if (f->kick_fd == KICK_NEVER)
		return;
	if (f->kick_to == f->kick_from || off < f->kick_from)
		f->kick_from = off;
	if (off + (sqlite3_int64)len > f->kick_to)
		f->kick_to = off + (sqlite3_int64)len;
	if (f->kick_to - f->kick_from < KICK_BYTES)
		return;
	(void)sync_file_range(f->kick_fd, f->kick_from,
	    f->kick_to - f->kick_from, SYNC_FILE_RANGE_WRITE);
	f->kick_from = f->kick_to;
}

static int
flush(struct file *f)
{
	size_t done, n;
	int rc = SQLITE_OK;

	for (done = 0; done < f->len && rc == SQLITE_OK; done += n) {
		n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
		    f->off + (sqlite3_int64)done);
	}
	if (rc == SQLITE_OK && f->len > 0 && f->db != NULL)
		kick_writeback(f, f->off, f->len);
	f->len = 0;
	return rc;
}

static int
buffer_write(struct file *f, const void *data, int amt, sqlite3_int64 off)
{
	size_t n = (size_t)amt;
	int rc;

	if (f->len > 0 && off >= f->off &&
	    off + amt <= f->off + (sqlite3_int64)f->len) {
		/* A frame rewritten in place. */
		memcpy(f->buf + (off - f->off), data, n);
		return SQLITE_OK;
	}
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
	    f->len + n > BUF_MAX)) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 64 * 1024;
		unsigned char *b;

		while (cap < f->len + n)
			cap *= 2;
		b = realloc(f->buf, cap);
		if (b == NULL) {
			rc = flush(f);
			return rc != SQLITE_OK ? rc :
			    f->real->pMethods->xWrite(f->real, data, amt, off);
		}
		f->buf = b;
		f->cap = cap;
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, n);
	f->len += n;
	return SQLITE_OK;
}

static int
wal_write(struct file *f, const void *data, int amt, sqlite3_int64 off)
{
	const unsigned char *p = data;
	int rc;

	if (f->direct)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	rc = buffer_write(f, data, amt, off);
	if (rc != SQLITE_OK) {
		f->len = 0;
		return rc;
	}
	/* A frame header: page number, then the database's size in pages
	 * after a commit (0 in every other frame), big-endian. */
	if (amt == FRAME_HEADER && (p[4] | p[5] | p[6] | p[7]) != 0)
		f->commit_page = off + FRAME_HEADER;
	else if (off == f->commit_page) {
		f->commit_page = -1;
		f->direct = true;
		return flush(f);
	}
	return SQLITE_OK;
}

static int
x_close(sqlite3_file *file)
{
	struct file *f = (struct file *)file;
	int rc = flush(f), rc2;

	if (f->db != NULL)
		f->db->wal = NULL;
	if (f->wal != NULL)
		f->wal->db = NULL;
	rc2 = f->real->pMethods->xClose(f->real);
	if (f->kick_fd >= 0)
		close(f->kick_fd);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
x_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
	struct file *f = (struct file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    f->real->pMethods->xRead(f->real, data, amt, off);
}

static int
x_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct file *f = (struct file *)file;

	if (f->db != NULL)
		return wal_write(f, data, amt, off);
	return f->real->pMethods->xWrite(f->real, data, amt, off);
}

static int
x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct file *f = (struct file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    f->real->pMethods->xTruncate(f->real, size);
}

static int
x_sync(sqlite3_file *file, int flags)
{
	struct file *f = (struct file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct file *f = (struct file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    f->real->pMethods->xFileSize(f->real, size);
}

static void
x_shm_barrier(sqlite3_file *file)
{
	struct file *f = (struct file *)file;

	if (f->wal != NULL) {
		if (flush(f->wal) != SQLITE_OK) {
			fprintf(stderr, "db: cannot write the WAL before its"
			    " commit is published; stopping\n");
			abort();
		}
		f->wal->direct = false;
		f->wal->commit_page = -1;
	}
	f->real->pMethods->xShmBarrier(f->real);
}

/* The rest only pass through. */
static int
x_lock(sqlite3_file *file, int lock)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xLock(r, lock);
}

static int
x_unlock(sqlite3_file *file, int lock)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xUnlock(r, lock);
}

static int
x_check_reserved_lock(sqlite3_file *file, int *out)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xCheckReservedLock(r, out);
}

static int
x_file_control(sqlite3_file *file, int op, void *arg)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xFileControl(r, op, arg);
}

static int
x_sector_size(sqlite3_file *file)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xSectorSize(r);
}

static int
x_device_characteristics(sqlite3_file *file)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xDeviceCharacteristics(r);
}

static int
x_shm_map(sqlite3_file *file, int page, int size, int extend,
    void volatile **out)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int
x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xShmLock(r, offset, n, flags);
}

static int
x_shm_unmap(sqlite3_file *file, int delete_flag)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xShmUnmap(r, delete_flag);
}

static int
x_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xFetch(r, off, amt, out);
}

static int
x_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	sqlite3_file *r = ((struct file *)file)->real;
	return r->pMethods->xUnfetch(r, off, p);
}

static const sqlite3_io_methods io_methods = {
	3, x_close, x_read, x_write, x_truncate, x_sync, x_file_size,
	x_lock, x_unlock, x_check_reserved_lock, x_file_control,
	x_sector_size, x_device_characteristics, x_shm_map, x_shm_lock,
	x_shm_barrier, x_shm_unmap, x_fetch, x_unfetch,
};

static int
x_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *file,
    int flags, int *out_flags)
{
	struct file *f = (struct file *)file;
	int rc;

	memset(f, 0, sizeof(*f));
	f->commit_page = -1;
	f->kick_fd = KICK_NEVER;
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	/* SQLite calls xClose after a failed xOpen that set pMethods. */
	f->base.pMethods = f->real->pMethods != NULL ? &io_methods : NULL;
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && name != NULL) {
		f->db = (struct file *)sqlite3_database_file_object(name);
		f->db->wal = f;
		f->path = name;
		f->kick_fd = KICK_NOT_YET;
	}
	return rc;
}

static sqlite3_vfs vfs;

static int
x_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
x_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
x_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
x_dl_open(sqlite3_vfs *v, const char *name)
{
	return real_vfs->xDlOpen(real_vfs, name);
}

static void
x_dl_error(sqlite3_vfs *v, int n, char *msg)
{
	real_vfs->xDlError(real_vfs, n, msg);
}

static void (*x_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
x_dl_close(sqlite3_vfs *v, void *h)
{
	real_vfs->xDlClose(real_vfs, h);
}

static int
x_randomness(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
x_sleep(sqlite3_vfs *v, int us)
{
	return real_vfs->xSleep(real_vfs, us);
}

static int
x_current_time(sqlite3_vfs *v, double *out)
{
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
x_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
x_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void
register_vfs(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL || real_vfs->iVersion < 2)
		return;
	vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = "parley-wal",
		.xOpen = x_open, .xDelete = x_delete, .xAccess = x_access,
		.xFullPathname = x_full_pathname, .xDlOpen = x_dl_open,
		.xDlError = x_dl_error, .xDlSym = x_dl_sym,
		.xDlClose = x_dl_close, .xRandomness = x_randomness,
		.xSleep = x_sleep, .xCurrentTime = x_current_time,
		.xGetLastError = x_get_last_error,
		.xCurrentTimeInt64 = x_current_time_int64,
	};
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
		real_vfs = NULL;
}

const char *
walvfs_name(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, register_vfs);
	return real_vfs != NULL ? vfs.zName : NULL;
}
