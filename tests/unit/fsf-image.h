/* nbdscrub: real ext2/3/4 images for the fsformat unit tests.
 *
 * An image is made at test time: a shell snippet builds a tree in a
 * temporary directory, mke2fs -d copies it into a fresh image, and
 * debugfs (through popen) says what e2fsprogs reads there, to compare
 * with what fsformat decodes.  Everything lives under one mkdtemp
 * directory that fsf_image_close removes.
 */
#ifndef NBDSCRUB_FSF_IMAGE_H
#define NBDSCRUB_FSF_IMAGE_H

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsf.h"
#include "inode.h"
#include "super.h"

struct fsf_image {
  char dir[64];             /* the temporary directory */
  char path[96];            /* dir/img */
  int fd;
  struct fsf_source src;
  struct fsf_sb sb;
};

/* Build dir/tree with the shell snippet tree (run inside dir/tree), then
 * mke2fs mkfs_opts -d dir/tree dir/img size, and open it.
 */
static inline bool
fsf_image_make (struct fsf_image *img, const char *tree,
                const char *mkfs_opts, const char *size)
{
  uint8_t sbuf[FSF_SB_SIZE];
  char cmd[4096];
  struct stat st;

  memset (img, 0, sizeof *img);
  img->fd = -1;
  strcpy (img->dir, "/tmp/fsf-unit-XXXXXX");
  if (mkdtemp (img->dir) == NULL)
    return false;
  snprintf (img->path, sizeof img->path, "%s/img", img->dir);
  snprintf (cmd, sizeof cmd,
            "set -e; mkdir %s/tree; cd %s/tree; %s\n"
            "mke2fs -q -F %s -d %s/tree %s %s >/dev/null 2>&1",
            img->dir, img->dir, tree, mkfs_opts, img->dir, img->path, size);
  if (system (cmd) != 0)
    return false;
  img->fd = open (img->path, O_RDONLY | O_CLOEXEC);
  if (img->fd == -1 || fstat (img->fd, &st) == -1)
    return false;
  fsf_source_fd (&img->src, &img->fd, (uint64_t) st.st_size);
  if (fsf_read (&img->src, sbuf, sizeof sbuf, FSF_SB_OFFSET) != 0)
    return false;
  return fsf_sb_decode (sbuf, sizeof sbuf, &img->sb) == 0;
}

/* Run the shell snippet cmd in the temporary directory, with $IMG the
 * image (to change it with debugfs -w, say), then reread the superblock.
 */
static inline bool
fsf_image_run (struct fsf_image *img, const char *cmd)
{
  uint8_t sbuf[FSF_SB_SIZE];
  char line[8192];

  snprintf (line, sizeof line, "set -e; cd %s; IMG=%s; %s", img->dir,
            img->path, cmd);
  if (system (line) != 0)
    return false;
  if (fsf_read (&img->src, sbuf, sizeof sbuf, FSF_SB_OFFSET) != 0)
    return false;
  return fsf_sb_decode (sbuf, sizeof sbuf, &img->sb) == 0;
}

static inline void
fsf_image_close (struct fsf_image *img)
{
  char cmd[256];

  if (img->fd >= 0)
    close (img->fd);
  img->fd = -1;
  if (img->dir[0]) {
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", img->dir);
    if (system (cmd) != 0)
      fprintf (stderr, "could not remove %s\n", img->dir);
  }
}

/* What debugfs -R "request" prints on stdout, malloc'd ("" if nothing). */
static inline char *
fsf_image_debugfs (const struct fsf_image *img, const char *request)
{
  char cmd[1024];
  char *out = NULL;
  size_t len = 0, got;
  char chunk[4096];
  FILE *fp;

  snprintf (cmd, sizeof cmd, "debugfs -R '%s' %s 2>/dev/null", request,
            img->path);
  fp = popen (cmd, "r");
  if (fp == NULL)
    return NULL;
  while ((got = fread (chunk, 1, sizeof chunk, fp)) > 0) {
    char *n = realloc (out, len + got + 1);

    if (n == NULL)
      break;
    out = n;
    memcpy (out + len, chunk, got);
    len += got;
  }
  pclose (fp);
  if (out == NULL)
    out = calloc (1, 1);
  else
    out[len] = '\0';
  return out;
}

/* Where debugfs says path's inode sits: its number and byte offset in
 * the image ("Inode N is part of block group G\n located at block B,
 * offset 0xOFF").
 */
static inline bool
fsf_image_imap (const struct fsf_image *img, const char *path,
                uint32_t *ino, uint64_t *off)
{
  char req[512];
  char *out, *at;
  unsigned long long n, g, b, o;
  bool ok = false;

  snprintf (req, sizeof req, "imap %s", path);
  out = fsf_image_debugfs (img, req);
  if (out == NULL)
    return false;
  at = strstr (out, "Inode ");
  if (at && sscanf (at, "Inode %llu is part of block group %llu located at "
                    "block %llu, offset %llx", &n, &g, &b, &o) == 4) {
    *ino = (uint32_t) n;
    *off = b * img->sb.block_size + o;
    ok = true;
  }
  free (out);
  return ok;
}

/* The value after "key" in debugfs stat output (e.g. "Size: "). */
static inline bool
fsf_image_stat_field (const char *stat, const char *key,
                      unsigned long long *v)
{
  const char *at = strstr (stat, key);

  return at && sscanf (at + strlen (key), "%lli", v) == 1;
}

/* Read and decode the inode debugfs says path is (raw bytes to buf,
 * which holds at least inode_size bytes).
 */
static inline bool
fsf_image_inode (const struct fsf_image *img, const char *path, uint32_t *n,
                 uint8_t *buf, struct fsf_inode *ino)
{
  uint64_t off;

  if (!fsf_image_imap (img, path, n, &off))
    return false;
  if (fsf_read (&img->src, buf, img->sb.inode_size, off) != 0)
    return false;
  return fsf_inode_decode (buf, img->sb.inode_size, &img->sb, ino) == 0;
}

/* A source over a copy of the image in memory, for damaging it. */
struct fsf_image_mem {
  uint8_t *bytes;
  struct fsf_source src;
};

static inline int
fsf_image_mem_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  struct fsf_image_mem *m = opaque;

  memcpy (buf, m->bytes + off, len);
  return 0;
}

/* Over bytes (size bytes, not copied). */
static inline void
fsf_image_mem_over (struct fsf_image_mem *m, uint8_t *bytes, uint64_t size)
{
  m->bytes = bytes;
  m->src.read = fsf_image_mem_read;
  m->src.opaque = m;
  m->src.size = size;
}

/* Over a malloc'd copy of the whole image (free m->bytes). */
static inline bool
fsf_image_mem_load (const struct fsf_image *img, struct fsf_image_mem *m)
{
  uint8_t *b = malloc (img->src.size);

  if (b == NULL || fsf_read (&img->src, b, img->src.size, 0) != 0) {
    free (b);
    return false;
  }
  fsf_image_mem_over (m, b, img->src.size);
  return true;
}

#endif /* NBDSCRUB_FSF_IMAGE_H */
