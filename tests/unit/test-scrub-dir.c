/* Unit tests: the directory and links scrubbers (scrub/directory.c,
 * scrub/links.c), on images made by mke2fs -d from a generated tree,
 * damaged with debugfs -w or byte edits at offsets found through
 * fsformat, with e2fsck -fn's verdict as the oracle: what it calls clean
 * gets no CORRUPT or XCORRUPT finding, what it flags gets the expected
 * code.
 *
 * Each image is scanned twice: by the full pass, and by these two
 * scrubbers alone, the test playing the inode phase itself (it notes
 * every inode in use with the pass, in increasing order, then runs the
 * directory scrubber per directory and the links scrubber), so that a
 * code found is known to be theirs.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytes.h"
#include "dir.h"
#include "dirhash.h"
#include "dirmap.h"
#include "pass.h"
#include "unit.h"

static char dir[] = "/tmp/nbdscrub-unit-dir.XXXXXX";
static bool dir_made;       /* (mkdtemp's suffix may itself end in X) */
static char img[96], tree[96];

#define ENV "PATH=/usr/sbin:/sbin:$PATH "
#define BASE "-t ext4 -b 1024"

static void
run_sh (const char *cmd)
{
  int st = system (cmd);

  CU_ASSERT_FATAL (st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

#define sh(...)                                                 \
  do {                                                          \
    char cmd_[1024];                                            \
    snprintf (cmd_, sizeof cmd_, __VA_ARGS__);                  \
    run_sh (cmd_);                                              \
  } while (0)

/* The tree every image holds: nested directories, a directory of many
 * long names (several blocks; indexed after e2fsck -D), hard links, a
 * symlink, an empty file.
 */
static void
make_tree (void)
{
  char path[256];
  FILE *f;
  int i;

  if (!dir_made) {
    CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
    dir_made = true;
    snprintf (img, sizeof img, "%s/fs.img", dir);
    snprintf (tree, sizeof tree, "%s/tree", dir);
  }
  else
    return;
  sh ("mkdir -p %s/d0/sub/deep %s/d1", tree, tree);
  sh ("mkdir -p %s/d2 %s/big", tree, tree);
  for (i = 0; i < 40; i++) {
    snprintf (path, sizeof path, "%s/d0/f%d", tree, i);
    f = fopen (path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (f);
    fprintf (f, "file %d\n", i);
    fclose (f);
  }
  for (i = 0; i < 600; i++) {
    snprintf (path, sizeof path, "%s/big/entry_with_a_longer_name_%04d",
              tree, i);
    f = fopen (path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (f);
    fclose (f);
  }
  /* Names whose bytes hash differently as signed and unsigned chars. */
  sh ("cd %s/big && for i in $(seq 1 60); do "
      ": > \"$(printf 'n\\303\\244m\\303\\251_%%d' $i)\"; "
      ": > \"$(printf 'x\\377\\376%%d' $i)\"; done", tree);
  sh ("echo data > %s/d2/file && touch %s/d0/empty", tree, tree);
  sh ("ln %s/d0/f1 %s/d0/hardlink", tree, tree);
  sh ("ln -s ../d1 %s/d0/sym%s", tree, "");
  sh ("ln %s/d0/f2 %s/d1/f2link", tree, tree);
}

/* A fresh image: mke2fs recipe -d tree, indexed by e2fsck -fyD when
 * htree is set.
 */
static void
mkfs (const char *recipe, bool htree)
{
  char cmd[1024];

  make_tree ();
  snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 16M %s && " ENV
            "mke2fs -q -F %s -d %s %s 2>/dev/null", img, img, recipe, tree,
            img);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  if (htree) {
    snprintf (cmd, sizeof cmd, ENV "e2fsck -fyD %s >/dev/null 2>&1", img);
    CU_ASSERT_FATAL (system (cmd) != -1);
  }
}

static void
debugfs_w (const char *cmds)
{
  char cmd[1024];

  snprintf (cmd, sizeof cmd, ENV "debugfs -w %s -f - >/dev/null 2>&1 "
            "<<'EOF'\n%s\nEOF\n", img, cmds);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
}

/* e2fsck -fn's exit status: 0 clean, 4 problems left, 8 it gave up. */
static int
e2fsck_rc (void)
{
  char cmd[512];
  int st;

  snprintf (cmd, sizeof cmd, ENV "e2fsck -fn %s >/dev/null 2>&1", img);
  st = system (cmd);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

/* --- an open image ------------------------------------------------------ */

struct img {
  int fd;
  struct fsf_source src;
  struct fsf_fs fs;
};

static void
img_open (struct img *im, int flags)
{
  struct stat st;

  im->fd = open (img, flags);
  CU_ASSERT_FATAL (im->fd >= 0 && fstat (im->fd, &st) == 0);
  fsf_source_fd (&im->src, &im->fd, (uint64_t) st.st_size);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_open (&im->fs, &im->src, 0), 0);
}

static void
img_close (struct img *im)
{
  fsf_fs_close (&im->fs);
  close (im->fd);
}

/* Where an entry is: its directory, block and offset in the block. */
struct loc {
  uint32_t dir;
  uint32_t ino;              /* what it names */
  uint64_t blk;
  uint32_t off;
  uint32_t rec_len;
};

struct find {
  const char *name;
  bool found;
  struct fsf_dirent de;
};

static int
find_cb (const struct fsf_dirent *de, void *opaque)
{
  struct find *f = opaque;

  if (de->inode && de->name_len == strlen (f->name)
      && memcmp (de->name, f->name, de->name_len) == 0) {
    f->found = true;
    f->de = *de;
    return 1;
  }
  return 0;
}

/* Find name in directory dino. */
static bool
find_in (struct img *im, uint32_t dino, const char *name, struct loc *l)
{
  const struct fsf_sb *sb = &im->fs.sb;
  struct scrub_dirmap dm;
  struct fsf_dir_fmt fmt;
  struct fsf_inode in;
  uint8_t *buf = malloc (sb->block_size);
  struct find f = { name, false, { 0 } };
  uint32_t k;

  CU_ASSERT_FATAL (buf != NULL);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_read_inode (&im->fs, dino, &in, NULL), 0);
  CU_ASSERT_EQUAL_FATAL (scrub_dirmap_read (&im->fs, dino, &in, &dm), 0);
  fsf_dir_fmt_init (&fmt, sb);
  for (k = 0; k < dm.n && !f.found; k++) {
    if (dm.map[k] == 0)
      continue;
    CU_ASSERT_EQUAL_FATAL (fsf_read (&im->fs.src, buf, sb->block_size,
                                     dm.map[k] * sb->block_size), 0);
    fmt.csum = fsf_has_metadata_csum (sb)
      && fsf_dir_tail_present (buf, sb->block_size, sb->block_size);
    fsf_dir_block_iterate (buf, sb->block_size, &fmt, find_cb, &f, NULL);
    if (f.found) {
      l->dir = dino;
      l->ino = f.de.inode;
      l->blk = dm.map[k];
      l->off = f.de.offset;
      l->rec_len = f.de.rec_len;
    }
  }
  scrub_dirmap_free (&dm);
  free (buf);
  return f.found;
}

/* The entry a path names ("d0/f1"), from the root. */
static struct loc
locate (const char *path)
{
  struct img im;
  struct loc l = { 0, FSF_ROOT_INO, 0, 0, 0 };
  char copy[256], *save = NULL, *c;

  snprintf (copy, sizeof copy, "%s", path);
  img_open (&im, O_RDONLY);
  for (c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    CU_ASSERT_FATAL (find_in (&im, l.ino, c, &l));
  img_close (&im);
  return l;
}

struct same_len {
  uint32_t skip_off;
  uint16_t name_len;
  char name[FSF_NAME_LEN + 1];
};

static int
same_len_cb (const struct fsf_dirent *de, void *opaque)
{
  struct same_len *s = opaque;

  if (de->inode && de->offset != s->skip_off && de->name_len == s->name_len
      && de->name[0] == 'f') {
    memcpy (s->name, de->name, de->name_len);
    s->name[de->name_len] = '\0';
    return 1;
  }
  return 0;
}

/* Another entry of l's block with a name as long as l's: its name. */
static bool
neighbour_of (const struct loc *l, uint16_t name_len, char *name)
{
  struct same_len s = { l->off, name_len, "" };
  struct fsf_dir_fmt fmt;
  struct img im;
  uint8_t buf[1024];

  img_open (&im, O_RDONLY);
  CU_ASSERT_FATAL (im.fs.sb.block_size == sizeof buf);
  CU_ASSERT_EQUAL_FATAL (fsf_read (&im.src, buf, sizeof buf,
                                   l->blk * sizeof buf), 0);
  fsf_dir_fmt_init (&fmt, &im.fs.sb);
  fsf_dir_block_iterate (buf, sizeof buf, &fmt, same_len_cb, &s, NULL);
  img_close (&im);
  strcpy (name, s.name);
  return s.name[0] != '\0';
}

/* An entry of d0 ("f<i>") that is not the last of its block: rec_len
 * is its own size.
 */
static struct loc
locate_inner (void)
{
  char path[32];
  int i;

  for (i = 5; i < 40; i++) {
    struct loc l;

    snprintf (path, sizeof path, "d0/f%d", i);
    l = locate (path);
    if (l.rec_len <= 16)
      return l;
  }
  CU_FAIL_FATAL ("no inner entry in d0");
  return locate ("d0/f5");
}

/* The physical block of logical block lblk of directory dino. */
static uint64_t
dir_block (uint32_t dino, uint32_t lblk)
{
  struct scrub_dirmap dm;
  struct fsf_inode in;
  struct img im;
  uint64_t b;

  img_open (&im, O_RDONLY);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_read_inode (&im.fs, dino, &in, NULL), 0);
  CU_ASSERT_EQUAL_FATAL (scrub_dirmap_read (&im.fs, dino, &in, &dm), 0);
  CU_ASSERT_FATAL (lblk < dm.n);
  b = dm.map[lblk];
  scrub_dirmap_free (&dm);
  img_close (&im);
  return b;
}

/* Rewrite n bytes at off of directory dino's block blk, then set the
 * block's checksum again (metadata_csum) unless keep_csum: only the
 * damage meant is left.
 */
static void
patch_dir (uint32_t dino, uint64_t blk, uint32_t off, const void *bytes,
           size_t n, bool keep_csum)
{
  struct fsf_dir_fmt fmt;
  struct fsf_inode in;
  struct img im;
  uint32_t bs;
  uint8_t *buf;

  img_open (&im, O_RDWR);
  bs = im.fs.sb.block_size;
  buf = malloc (bs);
  CU_ASSERT_FATAL (buf != NULL && off + n <= bs);
  CU_ASSERT_EQUAL_FATAL (fsf_read (&im.src, buf, bs, blk * bs), 0);
  memcpy (buf + off, bytes, n);
  fsf_dir_fmt_init (&fmt, &im.fs.sb);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_read_inode (&im.fs, dino, &in, NULL), 0);
  if (fmt.csum && !keep_csum) {
    if (fsf_dir_tail_present (buf, bs, bs))
      fsf_dir_block_csum_set (&fmt, dino, in.generation, buf, bs);
    else
      fsf_dx_csum_set (&fmt, dino, in.generation, buf, bs);
  }
  CU_ASSERT_EQUAL (pwrite (im.fd, buf, bs, (off_t) (blk * bs)),
                   (ssize_t) bs);
  free (buf);
  img_close (&im);
}

static void
patch_le16 (const struct loc *l, uint32_t field, uint16_t v)
{
  uint8_t b[2];

  fsf_put_le16 (b, v);
  patch_dir (l->dir, l->blk, l->off + field, b, 2, false);
}

static void
patch_le32 (const struct loc *l, uint32_t field, uint32_t v)
{
  uint8_t b[4];

  fsf_put_le32 (b, v);
  patch_dir (l->dir, l->blk, l->off + field, b, 4, false);
}

static void
patch_u8 (const struct loc *l, uint32_t field, uint8_t v)
{
  patch_dir (l->dir, l->blk, l->off + field, &v, 1, false);
}

/* --- a pass over the image ------------------------------------------- */

struct run {
  struct img im;
  struct scrub_pass p;
  int codes[512];
  unsigned ncodes;
  bool corrupt, preen, incomplete;
};

static void
collect (void *opaque, const struct scrub_ctx *sc,
         const struct scrub_finding *f)
{
  struct run *r = opaque;
  const struct scrub_problem *pr = scrub_problem (f->code);

  (void) sc;
  CU_ASSERT_PTR_NOT_NULL (pr);
  if (r->ncodes < 512)
    r->codes[r->ncodes++] = f->code;
  if (pr && (pr->severity == SEV_CORRUPT || pr->severity == SEV_XCORRUPT))
    r->corrupt = true;
  if (pr && pr->severity == SEV_PREEN)
    r->preen = true;
}

/* Does the inode phase read group g's inode i (pass.c's rule)? */
static bool
scanned (const struct fsf_fs *fs, uint32_t g, uint32_t i)
{
  const struct fsf_sb *sb = &fs->sb;
  struct fsf_gd gd;

  if (!fsf_has_metadata_csum (sb)
      && !fsf_has_ro_compat (sb, FSF_RO_COMPAT_GDT_CSUM))
    return true;
  if (fsf_fs_read_gd (fs, g, &gd, NULL) != 0)
    return true;
  if (gd.flags & FSF_BG_INODE_UNINIT)
    return false;
  return i < sb->inodes_per_group - gd.itable_unused;
}

/* The inode phase, played here: note the inodes in use, in order. */
static void
note_inodes (struct run *r)
{
  const struct fsf_sb *sb = &r->im.fs.sb;
  struct scrub_ctx sc = { .fs = &r->im.fs, .pass = &r->p };
  uint32_t ino;

  for (ino = 1; ino <= sb->inodes_count; ino++) {
    uint32_t g = (ino - 1) / sb->inodes_per_group;
    struct fsf_inode in;

    if (!scanned (&r->im.fs, g, (ino - 1) % sb->inodes_per_group))
      continue;
    if (fsf_fs_read_inode (&r->im.fs, ino, &in, NULL) != 0
        || in.links_count == 0)
      continue;
    CU_ASSERT_EQUAL (scrub_note_inode (&sc, ino, in.mode, in.links_count),
                     0);
  }
}

/* A pass over the image: the full pass (full), or only the directory
 * and links phases after the inodes in use are noted here, so that what
 * is found is these scrubbers' alone.
 */
static void
scan (struct run *r, bool full)
{
  size_t i;

  memset (r, 0, sizeof *r);
  img_open (&r->im, O_RDONLY);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&r->p, &r->im.fs, collect, r,
                                          NULL, NULL), 0);
  if (full)
    CU_ASSERT_EQUAL (scrub_pass_run (&r->p), 0);
  if (!full) {
    note_inodes (r);
    for (i = 0; i < r->p.ndirs; i++)
      CU_ASSERT_EQUAL (scrub_pass_request (&r->p, SCRUB_TYPE_DIRECTORY, 0,
                                           r->p.dirs[i].ino, NULL), 0);
    CU_ASSERT_EQUAL (scrub_pass_request (&r->p, SCRUB_TYPE_LINKS, 0, 0,
                                         NULL), 0);
  }
  scrub_pass_free (&r->p);
  img_close (&r->im);
}

static bool
found (const struct run *r, int code)
{
  unsigned i;

  for (i = 0; i < r->ncodes; i++)
    if (r->codes[i] == code)
      return true;
  return false;
}

static void
print_codes (const struct run *r)
{
  unsigned i;

  for (i = 0; i < r->ncodes; i++) {
    const struct scrub_problem *pr = scrub_problem (r->codes[i]);

    fprintf (stderr, " %s", pr ? pr->name : "?");
  }
  fprintf (stderr, "\n");
}

/* The damage done: the expected code, and e2fsck's verdict ours, in
 * the full pass and from these scrubbers alone.  UNIT_VERBOSE=1 in the
 * environment lists every code found.
 */
static void
expect (int code)
{
  int rc = e2fsck_rc (), full;

  for (full = 0; full < 2; full++) {
    struct run r;

    scan (&r, full);
    if (!found (&r, code) || r.corrupt != (rc != 0)
        || getenv ("UNIT_VERBOSE")) {
      fprintf (stderr, "\n  %s: expected %s; e2fsck -fn exit %d; found:",
               full ? "full pass" : "dir+links",
               scrub_problem (code) ? scrub_problem (code)->name : "?", rc);
      print_codes (&r);
    }
    CU_ASSERT_TRUE (found (&r, code));
    CU_ASSERT_EQUAL (r.corrupt, rc != 0);
  }
}

/* --- clean images ----------------------------------------------------- */

/* No CORRUPT or XCORRUPT finding where e2fsck -fn finds nothing. */
static void
expect_clean (const char *what)
{
  int rc = e2fsck_rc (), full;

  CU_ASSERT_EQUAL (rc, 0);
  for (full = 0; full < 2; full++) {
    struct run r;

    scan (&r, full);
    if (r.corrupt || rc != 0) {
      fprintf (stderr, "\n  %s (%s): e2fsck -fn exit %d; found:", what,
               full ? "full pass" : "dir+links", rc);
      print_codes (&r);
    }
    CU_ASSERT_FALSE (r.corrupt);
  }
}

static void
check_clean (const char *recipe, bool htree)
{
  mkfs (recipe, htree);
  expect_clean (recipe);
}

static void
test_dir__clean_images_of_every_profile (void)
{
  static const char *const recipes[] = {
    "-t ext4", BASE, "-t ext3", "-t ext2", "-t ext4 -O ^metadata_csum",
    "-t ext4 -O ^metadata_csum,^64bit -I 128", "-t ext3 -b 1024",
    "-t ext2 -O ^filetype",
  };
  size_t i;

  for (i = 0; i < sizeof recipes / sizeof recipes[0]; i++) {
    check_clean (recipes[i], false);
    check_clean (recipes[i], true);
  }
}

/* The kernel's own directories: indexed by ext4 as they grow, entries
 * deleted and renamed, hard links, directories made and removed.  Needs
 * root and a loop device; passes with a note when there are none.
 */
static void
kernel_image (const char *recipe)
{
  char cmd[2048];

  make_tree ();
  snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 64M %s && " ENV
            "mke2fs -q -F %s %s && mkdir -p %s/mnt && "
            "mount -o loop %s %s/mnt 2>/dev/null", img, img, recipe, img,
            dir, img, dir);
  if (system (cmd) != 0) {
    fprintf (stderr, "(no loop mount here: skipped) ");
    return;
  }
  snprintf (cmd, sizeof cmd, "cd %s/mnt && mkdir -p a/b/c big many && "
            "bash -c 'touch big/a_rather_long_file_name_{1..4000} && "
            "rm -f big/a_rather_long_file_name_{1..4000..3} && "
            "mkdir many/{1..300} && rmdir many/{1..300..7} && "
            "mv a/b/c a/c2 && ln big/a_rather_long_file_name_2 a/hl && "
            "mv big/a_rather_long_file_name_5 a/moved && "
            "echo data > a/b/file && ln -s ../big a/sym && "
            "touch big/again_{1..500} big/$(printf \"\\377\\376\")_{1..300} "
            "big/$(printf \"n\\303\\244m\\303\\251\")_{1..300}'; "
            "cd / && umount %s/mnt", dir, dir);
  CU_ASSERT_EQUAL (system (cmd), 0);
  expect_clean (recipe);
}

static void
test_dir__kernel_written_images (void)
{
  kernel_image ("-t ext4 -b 4096");
  kernel_image ("-t ext4 -b 1024");
  kernel_image ("-t ext4 -O ^metadata_csum -b 4096");
  kernel_image ("-t ext3 -b 1024");
}

/* Files and a directory unlinked while open, the image taken while
 * mounted: orphans the kernel will release are neither unattached nor
 * disconnected.  The oracle is e2fsck -fn after e2fsck -E journal_only
 * on a copy (SPEC 6.3).
 */
static void
test_dir__kernel_orphans (void)
{
  char cmd[2048];
  int full, rc;

  make_tree ();
  snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 64M %s && " ENV
            "mke2fs -q -F -t ext4 %s && mkdir -p %s/mnt && "
            "mount -o loop %s %s/mnt 2>/dev/null", img, img, img, dir, img,
            dir);
  if (system (cmd) != 0) {
    fprintf (stderr, "(no loop mount here: skipped) ");
    return;
  }
  snprintf (cmd, sizeof cmd, "cd %s/mnt && mkdir -p a/gone a/b && "
            "echo data > a/f && touch a/g && exec 3<a/f 4<a/gone 5<a/g && "
            "rm a/f a/g && rmdir a/gone && sync && sleep 1 && "
            "cp --sparse=always %s %s.snap; exec 3<&- 4<&- 5<&-; "
            "cd / && umount %s/mnt && mv %s.snap %s", dir, img, img, dir,
            img, img);
  CU_ASSERT_EQUAL (system (cmd), 0);
  for (full = 0; full < 2; full++) {
    struct run r;

    scan (&r, full);
    if (r.corrupt)
      print_codes (&r);
    CU_ASSERT_FALSE (r.corrupt);
  }
  snprintf (cmd, sizeof cmd, ENV "e2fsck -E journal_only -y %s "
            ">/dev/null 2>&1; true", img);
  CU_ASSERT_EQUAL (system (cmd), 0);
  rc = e2fsck_rc ();
  CU_ASSERT_EQUAL (rc, 0);
}

static void
test_dir__htree_image_has_an_index (void)
{
  struct img im;
  struct loc l;
  struct fsf_inode in;

  mkfs (BASE, true);
  l = locate ("big");
  img_open (&im, O_RDONLY);
  CU_ASSERT_EQUAL (fsf_fs_read_inode (&im.fs, l.ino, &in, NULL), 0);
  CU_ASSERT_TRUE (in.flags & FSF_INDEX_FL);
  CU_ASSERT_TRUE (in.size / im.fs.sb.block_size > 10);
  img_close (&im);
}

static void
test_dir__links_alone_is_incomplete (void)
{
  struct scrub_request req = { SCRUB_TYPE_LINKS, 0, 0, 0, 0 };
  struct scrub_ctx sc;
  struct img im;

  mkfs (BASE, false);
  img_open (&im, O_RDONLY);
  CU_ASSERT_EQUAL (scrub_run (&sc, &im.fs, &req, true, NULL, NULL), 0);
  CU_ASSERT_EQUAL (sc.oflags, SCRUB_OFLAG_INCOMPLETE);
  CU_ASSERT_EQUAL (sc.findings, 0);
  img_close (&im);
}

static void
test_dir__directory_alone_reads_the_inode_table (void)
{
  struct scrub_request req = { SCRUB_TYPE_DIRECTORY, 0, 0, 0, 0 };
  struct scrub_ctx sc;
  struct img im;
  struct loc l;

  mkfs (BASE, true);
  l = locate ("d0/f3");
  patch_u8 (&l, 7, FSF_FT_DIR);
  req.ino = l.dir;
  img_open (&im, O_RDONLY);
  CU_ASSERT_EQUAL (scrub_run (&sc, &im.fs, &req, true, NULL, NULL), 0);
  CU_ASSERT_EQUAL (sc.oflags, SCRUB_OFLAG_XCORRUPT);
  req.ino = locate ("big").ino;
  CU_ASSERT_EQUAL (scrub_run (&sc, &im.fs, &req, true, NULL, NULL), 0);
  CU_ASSERT_EQUAL (sc.oflags, 0);
  img_close (&im);
}

/* --- damaged entries ---------------------------------------------------- */

static void
test_dir__rec_len_too_small (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f5");
  patch_le16 (&l, 4, 8);
  expect (PR_DIR_REC_LEN_SMALL);
}

static void
test_dir__rec_len_unaligned (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f5");
  patch_le16 (&l, 4, (uint16_t) (l.rec_len + 2));
  expect (PR_DIR_REC_LEN_ALIGN);
}

static void
test_dir__rec_len_past_the_block (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f5");
  patch_le16 (&l, 4, 1024);
  expect (PR_DIR_REC_LEN_PAST_END);
}

static void
test_dir__name_len_too_big (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate_inner ();
  patch_u8 (&l, 6, 200);
  expect (PR_DIR_NAME_LEN);
}

static void
test_dir__inode_number_out_of_range (void)
{
  struct loc l;

  mkfs ("-t ext4", false);
  l = locate ("d0/f5");
  patch_le32 (&l, 0, 1000000);
  expect (PR_DIR_BAD_INODE);
}

static void
test_dir__entry_to_a_reserved_inode (void)
{
  struct loc l;

  mkfs ("-t ext3", false);
  l = locate ("d0/f5");
  patch_le32 (&l, 0, 8);
  expect (PR_DIR_BAD_INODE);
}

static void
test_dir__entry_to_an_unused_inode (void)
{
  mkfs (BASE, false);
  debugfs_w ("sif /d0/f6 links_count 0");
  expect (PR_DIR_UNUSED_INODE);
}

static void
test_dir__entry_to_an_uninitialised_inode (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f6");
  patch_le32 (&l, 0, 1900);
  expect (PR_DIR_INOREF_UNINIT);
}

static void
test_dir__wrong_file_type (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f7");
  patch_u8 (&l, 7, FSF_FT_SYMLINK);
  expect (PR_DIR_BAD_FILETYPE);
}

/* A missing file type is one e2fsck -n lets pass: PREEN, exit 0. */
static void
test_dir__missing_file_type_is_preen (void)
{
  struct loc l;
  struct run r;

  mkfs (BASE, false);
  l = locate ("d0/f7");
  patch_u8 (&l, 7, 0);
  scan (&r, true);
  CU_ASSERT_TRUE (found (&r, PR_DIR_FILETYPE_UNSET));
  CU_ASSERT_TRUE (r.preen);
  CU_ASSERT_FALSE (r.corrupt);
  CU_ASSERT_EQUAL (e2fsck_rc (), 0);
}

static void
test_dir__file_type_without_the_feature (void)
{
  struct loc l;

  mkfs ("-t ext2 -O ^filetype", false);
  l = locate ("d0/f7");
  patch_u8 (&l, 7, FSF_FT_REG);
  expect (PR_DIR_FILETYPE_NO_FEATURE);
}

static void
test_dir__first_entry_not_dot (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d1/.");
  patch_u8 (&l, 8, 'x');
  expect (PR_DIR_NO_DOT);
}

static void
test_dir__dot_names_another_inode (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d1/.");
  patch_le32 (&l, 0, locate ("d2").ino);
  expect (PR_DIR_DOT_INODE);
}

static void
test_dir__second_entry_not_dotdot (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d1/..");
  patch_u8 (&l, 9, 'x');
  expect (PR_DIR_NO_DOTDOT);
}

static void
test_dir__dotdot_names_the_wrong_parent (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/sub/..");
  patch_le32 (&l, 0, locate ("d1").ino);
  expect (PR_LINKS_BAD_DOTDOT);
}

static void
test_dir__slash_in_a_name (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f12");
  patch_u8 (&l, 9, '/');
  expect (PR_DIR_BAD_NAME);
}

static void
test_dir__empty_name (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f13");
  patch_u8 (&l, 6, 0);
  expect (PR_DIR_NULL_NAME);
}

static void
test_dir__two_entries_with_one_name (void)
{
  char other[FSF_NAME_LEN + 1];
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f14");
  CU_ASSERT_FATAL (neighbour_of (&l, 3, other));
  patch_dir (l.dir, l.blk, l.off + 8, other, 3, false);
  expect (PR_DIR_DUP_NAME);
}

static void
test_dir__second_dot_entry (void)
{
  struct loc l;

  mkfs (BASE, false);
  l = locate ("d0/f9");
  patch_u8 (&l, 9, '.');
  patch_u8 (&l, 8, '.');          /* f9 becomes .. */
  expect (PR_DIR_DUP_DOTDOT);
}

static void
test_dir__leaf_checksum (void)
{
  struct loc l;
  struct img im;
  uint8_t b;

  mkfs (BASE, false);
  l = locate ("d0/f3");
  /* Flip the checksum's last byte (a fixed value would match it once
   * in 256 filesystems, whose UUID seeds the checksum).
   */
  img_open (&im, O_RDONLY);
  CU_ASSERT_EQUAL_FATAL (fsf_read (&im.src, &b, 1, l.blk * 1024 + 1023), 0);
  img_close (&im);
  b ^= 0xff;
  patch_dir (l.dir, l.blk, 1024 - 1, &b, 1, true);
  expect (PR_DIR_LEAF_CSUM);
}

static void
test_dir__leaf_without_a_tail (void)
{
  struct loc l;
  uint8_t b = 0x00;

  mkfs (BASE, false);
  l = locate ("d0/f3");
  patch_dir (l.dir, l.blk, 1024 - 12 + 7, &b, 1, true);
  expect (PR_DIR_LEAF_NO_TAIL);
}

/* Run the directory scrubber alone on directory ino: its findings. */
static void
scan_one (uint32_t ino, struct run *r)
{
  struct scrub_request req = { SCRUB_TYPE_DIRECTORY, 0, ino, 0, 0 };
  struct scrub_ctx sc;

  memset (r, 0, sizeof *r);
  img_open (&r->im, O_RDONLY);
  CU_ASSERT_EQUAL (scrub_run (&sc, &r->im.fs, &req, true, collect, r), 0);
  img_close (&r->im);
}

/* A hole: the map scrubber's finding in a full pass, this one's alone. */
static void
test_dir__hole_in_a_directory (void)
{
  uint32_t big;
  struct run r;

  mkfs ("-t ext2", false);
  big = locate ("big").ino;
  debugfs_w ("sif /big block[2] 0");
  scan (&r, true);
  CU_ASSERT_TRUE (found (&r, PR_MAP_DIR_HOLE));
  CU_ASSERT_FALSE (found (&r, PR_DIR_HOLE));
  CU_ASSERT_TRUE (r.corrupt);
  scan_one (big, &r);
  CU_ASSERT_TRUE (found (&r, PR_DIR_HOLE));
  CU_ASSERT_NOT_EQUAL (e2fsck_rc (), 0);
}

static void
test_dir__directory_without_blocks (void)
{
  uint32_t d1;
  struct run r;

  mkfs ("-t ext3", false);
  d1 = locate ("d1").ino;
  debugfs_w ("sif /d1 block[0] 0\nsif /d1 size 0");
  scan (&r, true);
  CU_ASSERT_TRUE (found (&r, PR_INODE_ZERO_LENGTH_DIR));
  CU_ASSERT_FALSE (found (&r, PR_DIR_NO_BLOCKS));
  CU_ASSERT_TRUE (r.corrupt);
  scan_one (d1, &r);
  CU_ASSERT_TRUE (found (&r, PR_DIR_NO_BLOCKS));
  CU_ASSERT_NOT_EQUAL (e2fsck_rc (), 0);
}

/* --- htree -------------------------------------------------------------- */

/* The root block of /big, indexed, and its entry i's offset. */
static struct loc
dx_root (void)
{
  struct loc l = locate ("big");

  l.dir = l.ino;
  l.blk = dir_block (l.ino, 0);
  l.off = 0;
  return l;
}

#define DX_ENTRY(i) (0x20 + 8 * (i))

static uint32_t
dx_read32 (const struct loc *root, uint32_t off)
{
  uint8_t b[4];
  int fd = open (img, O_RDONLY);

  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL (pread (fd, b, 4, (off_t) (root->blk * 1024 + off)), 4);
  close (fd);
  return fsf_le32 (b);
}

static void
test_dir__dx_bad_hash_version (void)
{
  struct loc r;

  mkfs (BASE, true);
  r = dx_root ();
  patch_u8 (&r, 0x1c, 7);
  expect (PR_DIR_DX_HASH_VERSION);
}

static void
test_dir__dx_too_deep (void)
{
  struct loc r;

  mkfs (BASE, true);
  r = dx_root ();
  patch_u8 (&r, 0x1e, 2);
  expect (PR_DIR_DX_DEPTH);
}

static void
test_dir__dx_root_reserved_field (void)
{
  struct loc r;

  mkfs (BASE, true);
  r = dx_root ();
  patch_u8 (&r, 0x18, 1);
  expect (PR_DIR_DX_ROOT_BAD);
}

static void
test_dir__dx_checksum (void)
{
  struct loc r;
  uint8_t b;

  mkfs (BASE, true);
  r = dx_root ();
  b = (uint8_t) (dx_read32 (&r, DX_ENTRY (1)) ^ 0x40);
  patch_dir (r.dir, r.blk, DX_ENTRY (1), &b, 1, true);
  expect (PR_DIR_DX_CSUM);
}

static void
test_dir__dx_hash_order (void)
{
  struct loc r;
  uint32_t h1, h2;

  mkfs (BASE, true);
  r = dx_root ();
  h1 = dx_read32 (&r, DX_ENTRY (1));
  h2 = dx_read32 (&r, DX_ENTRY (2));
  patch_le32 (&r, DX_ENTRY (1), h2);
  patch_le32 (&r, DX_ENTRY (2), h1);
  expect (PR_DIR_DX_HASH_ORDER);
}

static void
test_dir__dx_leaf_hash_out_of_range (void)
{
  struct loc r;
  uint32_t h1, h2;

  mkfs (BASE, true);
  r = dx_root ();
  h1 = dx_read32 (&r, DX_ENTRY (1));
  h2 = dx_read32 (&r, DX_ENTRY (2));
  patch_le32 (&r, DX_ENTRY (1), (uint32_t) (h1 / 2 + h2 / 2) & ~1U);
  expect (PR_DIR_DX_MIN_HASH);
}

static void
test_dir__dx_block_past_the_directory (void)
{
  struct loc r;

  mkfs (BASE, true);
  r = dx_root ();
  patch_le32 (&r, DX_ENTRY (1) + 4, 5000);
  expect (PR_DIR_DX_BAD_BLOCK);
}

static void
test_dir__dx_leaf_not_referenced (void)
{
  struct loc r;
  uint8_t cl[4];
  int fd;

  mkfs (BASE, true);
  r = dx_root ();
  fd = open (img, O_RDONLY);
  CU_ASSERT_EQUAL (pread (fd, cl, 4, (off_t) (r.blk * 1024 + 0x20)), 4);
  close (fd);
  patch_le16 (&r, 0x22, (uint16_t) (fsf_le16 (cl + 2) - 1));
  expect (PR_DIR_DX_NOTREF);
}

static void
test_dir__dx_block_referenced_twice (void)
{
  struct loc r;

  mkfs (BASE, true);
  r = dx_root ();
  patch_le32 (&r, DX_ENTRY (2) + 4, dx_read32 (&r, DX_ENTRY (1) + 4));
  expect (PR_DIR_DX_DUPREF);
}

/* A two-level index: /huge, 3000 long names on 1 KiB blocks, indexed by
 * e2fsck -D.  Returns the root's location and, in *node, the first
 * index node's.
 */
static struct loc
dx_two_levels (struct loc *node)
{
  char cmd[1024];
  struct loc r;
  uint8_t levels;
  int fd;

  make_tree ();
  sh ("mkdir -p %s/tree2/huge && cd %s/tree2/huge && for i in $(seq 1 3000); "
      "do : > a_long_enough_name_to_fill_leaves_$i; done", dir, dir);
  snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 16M %s && " ENV
            "mke2fs -q -F " BASE " -d %s/tree2 %s 2>/dev/null && " ENV
            "e2fsck -fyD %s >/dev/null 2>&1; true", img, img, dir, img, img);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  r = locate ("huge");
  r.dir = r.ino;
  r.blk = dir_block (r.ino, 0);
  r.off = 0;
  fd = open (img, O_RDONLY);
  CU_ASSERT_EQUAL (pread (fd, &levels, 1, (off_t) (r.blk * 1024 + 0x1e)), 1);
  close (fd);
  CU_ASSERT_EQUAL_FATAL (levels, 1);
  *node = r;
  node->blk = dir_block (r.ino, dx_read32 (&r, DX_ENTRY (0) + 4));
  return r;
}

#define DX_NODE_ENTRY(i) (0x08 + 8 * (i))

static void
test_dir__dx_node_hash_order (void)
{
  struct loc node;
  uint32_t h1, h2;

  dx_two_levels (&node);
  h1 = dx_read32 (&node, DX_NODE_ENTRY (1));
  h2 = dx_read32 (&node, DX_NODE_ENTRY (2));
  patch_le32 (&node, DX_NODE_ENTRY (1), h2);
  patch_le32 (&node, DX_NODE_ENTRY (2), h1);
  expect (PR_DIR_DX_HASH_ORDER);
}

/* A wrong limit in the root is DX_LIMIT; in a node it makes the block
 * no node at all, for e2fsck as here: its leaves are unreferenced.
 */
static void
test_dir__dx_limit (void)
{
  struct loc root, node;

  root = dx_two_levels (&node);
  patch_le16 (&root, 0x20, 100);
  expect (PR_DIR_DX_LIMIT);
  root = dx_two_levels (&node);
  patch_le16 (&node, DX_NODE_ENTRY (0), 100);
  expect (PR_DIR_DX_NOTREF);
}

/* Both of the root's first entries name the first node: it is referenced
 * twice, the second node not at all.
 */
static void
test_dir__dx_node_referenced_twice (void)
{
  struct loc root, node;

  root = dx_two_levels (&node);
  patch_le32 (&root, DX_ENTRY (1) + 4, dx_read32 (&root, DX_ENTRY (0) + 4));
  expect (PR_DIR_DX_DUPREF);
}

/* --- links -------------------------------------------------------------- */

static void
test_dir__second_hard_link_to_a_directory (void)
{
  mkfs (BASE, false);
  debugfs_w ("link /d1 /d0/dlink");
  expect (PR_DIR_LINK_DIR);
}

static void
test_dir__link_count_too_high (void)
{
  mkfs (BASE, false);
  debugfs_w ("sif /d0/f8 links_count 5");
  expect (PR_LINKS_COUNT);
}

static void
test_dir__link_count_too_low (void)
{
  mkfs (BASE, false);
  debugfs_w ("sif /d0/hardlink links_count 1");
  expect (PR_LINKS_COUNT);
}

static void
test_dir__directory_link_count (void)
{
  mkfs ("-t ext3", false);
  debugfs_w ("sif /d0 links_count 2");
  expect (PR_LINKS_COUNT);
}

static void
test_dir__unattached_inode (void)
{
  mkfs (BASE, false);
  debugfs_w ("unlink /d0/f10");
  expect (PR_LINKS_UNATTACHED);
}

static void
test_dir__unattached_empty_inode (void)
{
  mkfs (BASE, false);
  debugfs_w ("unlink /d0/empty");
  expect (PR_LINKS_UNATTACHED_EMPTY);
}

static void
test_dir__disconnected_directory (void)
{
  mkfs (BASE, false);
  debugfs_w ("unlink /d2");
  expect (PR_LINKS_UNCONNECTED_DIR);
}

static void
test_dir__directory_loop (void)
{
  mkfs (BASE, false);
  debugfs_w ("link /d0 /d0/sub/deep/up\nunlink /d0");
  expect (PR_LINKS_BAD_DOTDOT);
}

/* Two directories each other's parent, '..' and link counts agreeing,
 * cut off from the root: e2fsck -fn passes it (exit 0); a warning here.
 */
static void
test_dir__detached_cycle_is_a_warning (void)
{
  struct loc dotdot;
  uint32_t deep;
  char cmds[256];
  int full;

  mkfs (BASE, false);
  dotdot = locate ("d0/sub/..");
  deep = locate ("d0/sub/deep").ino;
  snprintf (cmds, sizeof cmds, "link /d0/sub /d0/sub/deep/x\n"
            "unlink /d0/sub\nsif /d0 links_count 2\n"
            "sif <%u> links_count 3", deep);
  debugfs_w (cmds);
  patch_le32 (&dotdot, 0, deep);
  for (full = 0; full < 2; full++) {
    struct run r;

    scan (&r, full);
    CU_ASSERT_TRUE (found (&r, PR_LINKS_DIR_LOOP));
    CU_ASSERT_FALSE (r.corrupt);
  }
  CU_ASSERT_EQUAL (e2fsck_rc (), 0);
}

static void
test_dir__link_to_the_root (void)
{
  mkfs (BASE, false);
  debugfs_w ("link / /d1/root");
  expect (PR_DIR_LINK_ROOT);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_dir__clean_images_of_every_profile),
  UNIT_TEST (test_dir__htree_image_has_an_index),
  UNIT_TEST (test_dir__kernel_written_images),
  UNIT_TEST (test_dir__kernel_orphans),
  UNIT_TEST (test_dir__links_alone_is_incomplete),
  UNIT_TEST (test_dir__directory_alone_reads_the_inode_table),
  UNIT_TEST (test_dir__rec_len_too_small),
  UNIT_TEST (test_dir__rec_len_unaligned),
  UNIT_TEST (test_dir__rec_len_past_the_block),
  UNIT_TEST (test_dir__name_len_too_big),
  UNIT_TEST (test_dir__inode_number_out_of_range),
  UNIT_TEST (test_dir__entry_to_a_reserved_inode),
  UNIT_TEST (test_dir__entry_to_an_unused_inode),
  UNIT_TEST (test_dir__entry_to_an_uninitialised_inode),
  UNIT_TEST (test_dir__wrong_file_type),
  UNIT_TEST (test_dir__missing_file_type_is_preen),
  UNIT_TEST (test_dir__file_type_without_the_feature),
  UNIT_TEST (test_dir__first_entry_not_dot),
  UNIT_TEST (test_dir__dot_names_another_inode),
  UNIT_TEST (test_dir__second_entry_not_dotdot),
  UNIT_TEST (test_dir__dotdot_names_the_wrong_parent),
  UNIT_TEST (test_dir__slash_in_a_name),
  UNIT_TEST (test_dir__empty_name),
  UNIT_TEST (test_dir__two_entries_with_one_name),
  UNIT_TEST (test_dir__second_dot_entry),
  UNIT_TEST (test_dir__leaf_checksum),
  UNIT_TEST (test_dir__leaf_without_a_tail),
  UNIT_TEST (test_dir__hole_in_a_directory),
  UNIT_TEST (test_dir__directory_without_blocks),
  UNIT_TEST (test_dir__dx_bad_hash_version),
  UNIT_TEST (test_dir__dx_too_deep),
  UNIT_TEST (test_dir__dx_root_reserved_field),
  UNIT_TEST (test_dir__dx_checksum),
  UNIT_TEST (test_dir__dx_hash_order),
  UNIT_TEST (test_dir__dx_leaf_hash_out_of_range),
  UNIT_TEST (test_dir__dx_block_past_the_directory),
  UNIT_TEST (test_dir__dx_leaf_not_referenced),
  UNIT_TEST (test_dir__dx_block_referenced_twice),
  UNIT_TEST (test_dir__dx_node_hash_order),
  UNIT_TEST (test_dir__dx_limit),
  UNIT_TEST (test_dir__dx_node_referenced_twice),
  UNIT_TEST (test_dir__second_hard_link_to_a_directory),
  UNIT_TEST (test_dir__link_count_too_high),
  UNIT_TEST (test_dir__link_count_too_low),
  UNIT_TEST (test_dir__directory_link_count),
  UNIT_TEST (test_dir__unattached_inode),
  UNIT_TEST (test_dir__unattached_empty_inode),
  UNIT_TEST (test_dir__disconnected_directory),
  UNIT_TEST (test_dir__directory_loop),
  UNIT_TEST (test_dir__link_to_the_root),
  UNIT_TEST (test_dir__detached_cycle_is_a_warning),
};

UNIT_MAIN_RMDIR ("scrub/dir", tests, dir, dir_made)
