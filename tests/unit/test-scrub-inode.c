/* Unit tests: the inode, extents, xattr and symlink scrubbers
 * (scrub/inode.c, extents.c, xattr.c, symlink.c) inside a full pass, on
 * images made by mke2fs -d from a generated tree and damaged here (with
 * debugfs set_inode_field, or byte edits at offsets debugfs gives), with
 * e2fsck -fn's verdict as the oracle: what e2fsck calls clean has no
 * CORRUPT or XCORRUPT finding, what it calls corrupt has the expected
 * code.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "blockmap.h"
#include "bytes.h"
#include "extent.h"
#include "pass.h"
#include "unit.h"
#include "xattr.h"

static char dir[] = "/tmp/nbdscrub-unit-inode.XXXXXX";
static bool dir_made;
static char img[96], tree[96];

#define PATHS "PATH=/usr/sbin:/sbin:$PATH "

static int
shell (const char *fmt, ...)
{
  char cmd[2048];
  va_list ap;
  int st;

  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  st = system (cmd);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static void
write_file (const char *name, size_t size, char fill)
{
  char path[256];
  char buf[4096];
  FILE *fp;

  snprintf (path, sizeof path, "%s/%s", tree, name);
  fp = fopen (path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  memset (buf, fill, sizeof buf);
  while (size) {
    size_t n = size < sizeof buf ? size : sizeof buf;

    CU_ASSERT_EQUAL (fwrite (buf, 1, n, fp), n);
    size -= n;
  }
  fclose (fp);
}

static void
set_xattr (const char *name, const char *key, size_t len)
{
  char path[256], *val = malloc (len);

  CU_ASSERT_PTR_NOT_NULL_FATAL (val);
  memset (val, 'x', len);
  snprintf (path, sizeof path, "%s/%s", tree, name);
  CU_ASSERT_EQUAL (setxattr (path, key, val, len, 0), 0);
  free (val);
}

/* The source tree every image is made from: files small and large,
 * sparse (many extents: a tree of depth 1), fast and slow symlinks,
 * xattrs in the inode and in a block, devices, a fifo, a socket, a
 * directory of many entries, an empty one.
 */
static void
make_tree (void)
{
  char path[256];
  struct sockaddr_un sa;
  int fd, s, i;

  if (!dir_made) {
    CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
    dir_made = true;
  }
  snprintf (img, sizeof img, "%s/fs.img", dir);
  snprintf (tree, sizeof tree, "%s/tree", dir);
  if (access (tree, F_OK) == 0)
    return;
  CU_ASSERT_EQUAL_FATAL (mkdir (tree, 0755), 0);
  write_file ("small.txt", 100, 's');
  write_file ("big.bin", 300 * 1024, 'b');
  write_file ("empty", 0, 0);
  snprintf (path, sizeof path, "%s/sparse.bin", tree);
  fd = open (path, O_WRONLY | O_CREAT, 0644);
  CU_ASSERT_FATAL (fd >= 0);
  for (i = 0; i < 64; i++) {
    char b[4096];

    memset (b, 'a' + i % 26, sizeof b);
    CU_ASSERT_EQUAL (pwrite (fd, b, sizeof b, (off_t) i * 8192), 4096);
  }
  CU_ASSERT_EQUAL (ftruncate (fd, 64 * 8192 + 12345), 0);
  close (fd);
  /* 400 extents: several leaves, and depth 2 with 1 KiB blocks. */
  snprintf (path, sizeof path, "%s/sparse2.bin", tree);
  fd = open (path, O_WRONLY | O_CREAT, 0644);
  CU_ASSERT_FATAL (fd >= 0);
  for (i = 0; i < 400; i++) {
    char b[1024];

    memset (b, 'A' + i % 26, sizeof b);
    CU_ASSERT_EQUAL (pwrite (fd, b, sizeof b, (off_t) i * 8192), 1024);
  }
  close (fd);
  set_xattr ("small.txt", "user.small", 8);
  write_file ("xbig.txt", 10, 'x');
  set_xattr ("xbig.txt", "user.big", 700);
  snprintf (path, sizeof path, "%s/fast", tree);
  CU_ASSERT_EQUAL (symlink ("small.txt", path), 0);
  snprintf (path, sizeof path, "%s/slow", tree);
  CU_ASSERT_EQUAL (symlink ("a-target-that-is-longer-than-sixty-bytes/"
                            "so-it-needs-a-block-of-its-own/x/y/z", path), 0);
  snprintf (path, sizeof path, "%s/null", tree);
  CU_ASSERT_EQUAL (mknod (path, S_IFCHR | 0666, makedev (1, 3)), 0);
  snprintf (path, sizeof path, "%s/loop", tree);
  CU_ASSERT_EQUAL (mknod (path, S_IFBLK | 0660, makedev (7, 0)), 0);
  snprintf (path, sizeof path, "%s/fifo", tree);
  CU_ASSERT_EQUAL (mkfifo (path, 0644), 0);
  s = socket (AF_UNIX, SOCK_STREAM, 0);
  CU_ASSERT_FATAL (s >= 0);
  memset (&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s/sock", tree);
  CU_ASSERT_EQUAL (bind (s, (struct sockaddr *) &sa, sizeof sa), 0);
  close (s);
  snprintf (path, sizeof path, "%s/many", tree);
  CU_ASSERT_EQUAL (mkdir (path, 0755), 0);
  for (i = 0; i < 150; i++) {
    char name[128];

    snprintf (name, sizeof name,
              "many/entry-with-a-long-name-to-fill-blocks-%03d", i);
    write_file (name, (size_t) i, 'm');
  }
  snprintf (path, sizeof path, "%s/emptydir", tree);
  CU_ASSERT_EQUAL (mkdir (path, 0755), 0);
}

static void
mkfs (const char *recipe)
{
  make_tree ();
  CU_ASSERT_EQUAL_FATAL (shell ("rm -f %s && truncate -s 64M %s && " PATHS
                                "mke2fs -q -F %s -d %s %s 2>/dev/null",
                                img, img, recipe, tree, img), 0);
}

static int
e2fsck_rc (void)
{
  return shell (PATHS "e2fsck -fn %s >/dev/null 2>&1", img);
}

/* debugfs -w with commands, one per line. */
static void
debugfs_w (const char *fmt, ...)
{
  char cmd[1024], file[128];
  va_list ap;
  FILE *fp;

  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  snprintf (file, sizeof file, "%s/cmds", dir);
  fp = fopen (file, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  fprintf (fp, "%s\n", cmd);
  fclose (fp);
  CU_ASSERT_EQUAL (shell (PATHS "debugfs -w -f %s %s >/dev/null 2>&1",
                          file, img), 0);
}

/* One number from what debugfs prints: the first after key. */
static uint64_t
debugfs_num (const char *request, const char *key)
{
  char cmd[512], line[1024];
  uint64_t v = 0;
  bool got = false;
  FILE *fp;

  snprintf (cmd, sizeof cmd, PATHS "debugfs -R '%s' %s 2>/dev/null",
            request, img);
  fp = popen (cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL (fp);
  while (!got && fgets (line, sizeof line, fp)) {
    char *p = strstr (line, key);

    if (p) {
      v = strtoull (p + strlen (key), NULL, 0);
      got = true;
    }
  }
  pclose (fp);
  CU_ASSERT_TRUE (got);
  return v;
}

static uint32_t
ino_of (const char *path)
{
  char req[256];

  snprintf (req, sizeof req, "stat %s", path);
  return (uint32_t) debugfs_num (req, "Inode: ");
}

static void
readat (uint64_t off, void *bytes, size_t n)
{
  int fd = open (img, O_RDONLY);

  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL (pread (fd, bytes, n, (off_t) off), (ssize_t) n);
  close (fd);
}

static void
patch (uint64_t off, const void *bytes, size_t n)
{
  int fd = open (img, O_WRONLY);

  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL (pwrite (fd, bytes, n, (off_t) off), (ssize_t) n);
  close (fd);
}

static void
load_sb (struct fsf_sb *sb)
{
  uint8_t buf[FSF_SB_SIZE];

  readat (FSF_SB_OFFSET, buf, sizeof buf);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (buf, sizeof buf, sb), 0);
}

static uint32_t
block_size_of_img (void)
{
  struct fsf_sb sb;

  load_sb (&sb);
  return sb.block_size;
}

/* The image offset of path's inode (debugfs imap). */
static uint64_t
inode_offset (const char *path)
{
  char req[256];
  uint64_t blk, off;

  snprintf (req, sizeof req, "imap %s", path);
  blk = debugfs_num (req, "located at block ");
  off = debugfs_num (req, ", offset ");
  return blk * block_size_of_img () + off;
}

/* --- running a full pass -------------------------------------------------- */

struct run {
  int codes[1024];
  unsigned ncodes;
  uint64_t corrupt;             /* CORRUPT and XCORRUPT findings */
  uint64_t links_corrupt;       /* of which the links scrubber's */
};

static void
collect (void *opaque, const struct scrub_ctx *sc,
         const struct scrub_finding *f)
{
  struct run *r = opaque;
  const struct scrub_problem *p = scrub_problem (f->code);

  (void) sc;
  if (r->ncodes < sizeof r->codes / sizeof r->codes[0])
    r->codes[r->ncodes++] = f->code;
  if (p == NULL || p->severity == SEV_CORRUPT || p->severity == SEV_XCORRUPT) {
    r->corrupt++;
    if ((f->code >> 8) == SCRUB_TYPE_LINKS)
      r->links_corrupt++;
  }
  if (getenv ("UNIT_VERBOSE")) {
    char msg[256];

    scrub_format (f, msg, sizeof msg);
    fprintf (stderr, "\n    0x%04x %s", f->code, msg);
  }
}

static void
full_pass (struct run *r)
{
  struct fsf_source src;
  struct scrub_pass p;
  struct fsf_fs fs;
  struct stat st;
  int fd;

  memset (r, 0, sizeof *r);
  fd = open (img, O_RDONLY);
  CU_ASSERT_FATAL (fd >= 0 && fstat (fd, &st) == 0);
  fsf_source_fd (&src, &fd, (uint64_t) st.st_size);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_open (&fs, &src, 0), 0);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &fs, collect, r, NULL, NULL),
                         0);
  CU_ASSERT_EQUAL (scrub_pass_run (&p), 0);
  scrub_pass_free (&p);
  fsf_fs_close (&fs);
  close (fd);
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

/* The damage done, a full pass: the code expected is found, and the
 * verdict is e2fsck's (rc 0: no CORRUPT finding; 4: some).
 */
static void
expect (const char *what, int code, int e2fsck_expected)
{
  struct run r;
  int rc = e2fsck_rc ();

  full_pass (&r);
  if (!found (&r, code) || rc != e2fsck_expected
      || (rc == 0) != (r.corrupt == 0)) {
    unsigned i;

    fprintf (stderr, "\n  %s: e2fsck %d, corrupt %llu, codes:", what, rc,
             (unsigned long long) r.corrupt);
    for (i = 0; i < r.ncodes; i++)
      fprintf (stderr, " 0x%04x", r.codes[i]);
  }
  CU_ASSERT_TRUE (found (&r, code));
  CU_ASSERT_EQUAL (rc, e2fsck_expected);
  CU_ASSERT_EQUAL (rc == 0, r.corrupt == 0);
}

/* --- clean images -------------------------------------------------------- */

/* (64 MiB is "small" to mke2fs: 1 KiB blocks unless -b says.) */
static const char *const profiles[] = {
  "-t ext4", "-t ext4 -b 4096", "-t ext4 -O ^metadata_csum,uninit_bg",
  "-t ext4 -O ^64bit -I 128", "-t ext3", "-t ext3 -b 4096", "-t ext2",
  "-t ext2 -b 4096", "-t ext4 -O orphan_file", "-t ext4 -I 1024",
  "-t ext4 -O meta_bg,^resize_inode",
};

static void
test_inode__clean_images_have_no_corrupt_finding (void)
{
  size_t i;

  for (i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
    struct run r;

    mkfs (profiles[i]);
    debugfs_w ("ea_set /empty user.later 12345");
    CU_ASSERT_EQUAL (e2fsck_rc (), 0);
    full_pass (&r);
    if (r.corrupt) {
      unsigned k;

      fprintf (stderr, "\n  %s:", profiles[i]);
      for (k = 0; k < r.ncodes; k++)
        fprintf (stderr, " 0x%04x", r.codes[k]);
    }
    CU_ASSERT_EQUAL (r.corrupt, 0);
  }
}

/* Two inodes share one xattr block, its h_refcount says 2: clean. */
static void
test_inode__shared_xattr_block_is_clean (void)
{
  struct fsf_sb sb;
  struct fsf_xattr_fmt fmt;
  uint64_t blk;
  uint32_t blocks;
  uint8_t *buf;
  struct run r;

  mkfs ("-t ext4");
  load_sb (&sb);
  blk = debugfs_num ("stat /xbig.txt", "File ACL: ");
  blocks = (uint32_t) debugfs_num ("stat /small.txt", "Blockcount: ");
  debugfs_w ("sif /small.txt file_acl %llu", (unsigned long long) blk);
  debugfs_w ("sif /small.txt blocks %u", blocks + sb.block_size / 512);
  buf = malloc (sb.block_size);
  readat (blk * sb.block_size, buf, sb.block_size);
  fsf_put_le32 (buf + 4, 2);
  fsf_xattr_fmt_init (&fmt, &sb);
  fsf_xattr_block_csum_set (&fmt, blk, buf, sb.block_size);
  patch (blk * sb.block_size, buf, sb.block_size);
  free (buf);
  CU_ASSERT_EQUAL (e2fsck_rc (), 0);
  full_pass (&r);
  CU_ASSERT_EQUAL (r.corrupt, 0);
}

/* --- damage: inode fields (debugfs set_inode_field) --------------------- */

struct sif_case {
  const char *recipe;
  const char *cmd;              /* a debugfs -w command */
  int code;
  int rc;                       /* e2fsck -fn's */
};

static const struct sif_case sif_cases[] = {
  { "-t ext4", "sif /small.txt dtime 1600000000", PR_INODE_SET_DTIME, 4 },
  { "-t ext4", "sif /small.txt mode 0170644", PR_INODE_BAD_MODE, 4 },
  { "-t ext4", "sif /null size 100", PR_INODE_SPECIAL_SIZE, 4 },
  { "-t ext4", "sif /fifo flags 0x80000", PR_INODE_BAD_SPECIAL, 4 },
  { "-t ext4", "sif /null flags 0x10", PR_INODE_SPECIAL_FLAGS, 0 },
  { "-t ext4", "sif /big.bin size 100", PR_INODE_SIZE, 4 },
  { "-t ext4", "sif /many size 1000", PR_INODE_SIZE, 4 },
  { "-t ext4", "sif /big.bin blocks 8", PR_INODE_I_BLOCKS, 4 },
  { "-t ext4", "sif /small.txt extra_isize 2", PR_INODE_EXTRA_ISIZE, 4 },
  { "-t ext4", "sif /small.txt faddr 7", PR_INODE_FADDR, 4 },
  { "-t ext3", "sif /small.txt blocks_hi 1", PR_INODE_BLOCKS_HI, 4 },
  { "-t ext3", "sif /big.bin flags 0x80000", PR_INODE_EXTENTS_FEATURE, 4 },
  { "-t ext4", "sif /small.txt flags 0x81000", PR_INODE_HTREE_NODIR, 4 },
  { "-t ext4", "sif /small.txt flags 0x10080000", PR_INODE_INLINE_DATA, 4 },
  /* e2fsck -n cannot go on without a root directory: exit 12. */
  { "-t ext4", "sif <2> mode 0100644", PR_INODE_ROOT_NOT_DIR, 12 },
  { "-t ext4", "sif <6> mode 0100644", PR_INODE_RESERVED_MODE, 4 },
  { "-t ext4", "sif <1> mode 0100644", PR_INODE_BAD_BLOCKS_INODE, 4 },
  { "-t ext4", "sif <7> block[DIND] 0", PR_INODE_RESIZE_INVALID, 4 },
  { "-t ext4", "sif /emptydir links_count 0", PR_INODE_ZERO_DTIME, 4 },
  { "-t ext4", "sif /small.txt file_acl 99999999", PR_XATTR_BLOCK_RANGE,
    4 },
  { "-t ext2 -O ^ext_attr", "sif /small.txt file_acl 100",
    PR_XATTR_BLOCK_NO_FEATURE, 4 },
  { "-t ext4", "sif /fast size 3", PR_SYMLINK_SIZE, 4 },
  { "-t ext4", "sif /slow size 0", PR_SYMLINK_SIZE, 4 },
  { "-t ext4", "sif /fast flags 0x80000", PR_SYMLINK_FLAGS, 4 },
  { "-t ext3", "sif /slow block[1] 1234", PR_SYMLINK_MAP, 4 },
  { "-t ext4", "sif /small.txt block[0] 0", PR_EXTENT_HEADER, 4 },
  { "-t ext4", "sif /big.bin block[4] 0", PR_EXTENT_ZERO_LEN, 4 },
  { "-t ext4", "sif /big.bin block[5] 0xfffffff0", PR_EXTENT_BAD_START, 4 },
  { "-t ext4", "sif /emptydir block[4] 0x8001", PR_EXTENT_UNINIT_DIR, 4 },
  { "-t ext3", "sif /big.bin block[0] 0x7ffffff0", PR_BLOCKMAP_BAD_BLOCK,
    4 },
  { "-t ext3", "sif /slow block[1] 1234", PR_MAP_TOO_BIG, 4 },
  { "-t ext4", "sif /small.txt flags 0x40080000", PR_INODE_CASEFOLD, 4 },
  { "-t ext4", "sif /small.txt flags 0x82000", PR_INODE_IMAGIC, 4 },
  { "-t ext4", "sif /emptydir flags 0x280000", PR_INODE_EA_INODE_NONREG,
    0 },
  { "-t ext4", "sif /big.bin flags 0", PR_INODE_MISSING_EXTENTS_FL, 4 },
  { "-t ext4", "sif /emptydir size 0x100001000", PR_INODE_DIR_SIZE_HIGH,
    4 },
  { "-t ext4", "sif <3> block[0] 5", PR_INODE_RESERVED_NOT_CLEAR, 4 },
  { "-t ext4 -O ^resize_inode", "sif <7> block[0] 100",
    PR_INODE_RESIZE_NOT_CLEAR, 0 },
  { "-t ext4", "sif /emptydir block[0] 0xf30a", PR_INODE_ZERO_LENGTH_DIR,
    4 },
  { "-t ext4", "sif /sparse.bin block[1] 0x60004", PR_EXTENT_DEPTH, 4 },
  { "-t ext2 -O ^large_file", "sif /big.bin size 0x90000000",
    PR_INODE_LARGE_FILE, 4 },
  { "-t ext4", "sif /emptydir block[3] 1", PR_MAP_DIR_HOLE, 4 },
  { "-t ext4", "sif /small.txt flags 0x80800", PR_INODE_ENCRYPT, 4 },
  { "-t ext4 -b 4096", "sif /big.bin size 4096", PR_INODE_SIZE, 4 },
  { "-t ext4 -b 4096", "sif /sparse2.bin blocks 16", PR_INODE_I_BLOCKS, 4 },
  { "-t ext3 -b 4096", "sif /big.bin block[IND] 0", PR_INODE_I_BLOCKS, 4 },
  /* ext3, 1 KiB blocks: group 0's inode table is blocks 260-771. */
  { "-t ext3", "sif <1> block[0] 300", PR_INODE_BAD_BLOCKS_INODE, 4 },
  { "-t ext3", "sif <1> block[0] 258", PR_INODE_BAD_BLOCKS_INODE, 4 },
  { "-t ext4 -O ^dir_index", "sif /many flags 0x81000",
    PR_INODE_HTREE_FEATURE, 4 },
  /* 64 MiB is "small" to mke2fs: 65536 blocks of 1 KiB; big.bin's
   * one extent (300 blocks) would run past the end from here.
   */
  { "-t ext4", "sif /big.bin block[5] 65534", PR_EXTENT_ENDS_BEYOND, 4 },
  { "-t ext4", "sif /fast size 59\nsif /fast block[0] 0x41414141\n"
    "sif /fast block[1] 0x41414141\nsif /fast block[2] 0x41414141\n"
    "sif /fast block[3] 0x41414141\nsif /fast block[4] 0x41414141\n"
    "sif /fast block[5] 0x41414141\nsif /fast block[6] 0x41414141\n"
    "sif /fast block[7] 0x41414141\nsif /fast block[8] 0x41414141\n"
    "sif /fast block[9] 0x41414141\nsif /fast block[10] 0x41414141\n"
    "sif /fast block[11] 0x41414141\nsif /fast block[IND] 0x41414141\n"
    "sif /fast block[DIND] 0x41414141\nsif /fast block[TIND] 0x41414141",
    PR_SYMLINK_TARGET, 4 },
};

static void
test_inode__set_inode_field_damage (void)
{
  size_t i;

  for (i = 0; i < sizeof sif_cases / sizeof sif_cases[0]; i++) {
    const struct sif_case *c = &sif_cases[i];
    char what[256];

    mkfs (c->recipe);
    debugfs_w ("%s", c->cmd);
    snprintf (what, sizeof what, "%s: %s", c->recipe, c->cmd);
    expect (what, c->code, c->rc);
  }
}

/* --- damage: byte edits -------------------------------------------------- */

/* sparse.bin's inode: its raw bytes (256 at most) and its offset. */
static uint64_t
load_inode (const char *path, uint8_t *raw, struct fsf_inode *in)
{
  struct fsf_sb sb;
  uint64_t off = inode_offset (path);

  load_sb (&sb);
  readat (off, raw, sb.inode_size);
  CU_ASSERT_EQUAL_FATAL (fsf_inode_decode (raw, sb.inode_size, &sb, in), 0);
  return off;
}

/* The first leaf of sparse.bin's extent tree (its root has depth 1). */
static uint64_t
first_leaf (uint32_t *ino, uint32_t *gen)
{
  uint8_t raw[1024];
  struct fsf_inode in;
  struct fsf_extent_header h;
  struct fsf_extent_index ix;

  load_inode ("/sparse.bin", raw, &in);
  CU_ASSERT_EQUAL_FATAL (fsf_extent_header_decode (in.i_block, 60, &h), 0);
  CU_ASSERT_EQUAL_FATAL (h.depth, 1);
  fsf_extent_index_decode (in.i_block + 12, 12, &ix);
  *ino = ino_of ("/sparse.bin");
  *gen = in.generation;
  return ix.leaf;
}

/* Edit the first leaf: fn changes the block, then (keep_csum) its tail
 * is set again.
 */
static void
edit_leaf (void (*fn) (uint8_t *), bool keep_csum)
{
  struct fsf_sb sb;
  uint32_t ino, gen;
  uint64_t leaf;
  uint8_t *buf;

  load_sb (&sb);
  leaf = first_leaf (&ino, &gen);
  buf = malloc (sb.block_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL (buf);
  readat (leaf * sb.block_size, buf, sb.block_size);
  fn (buf);
  if (keep_csum && fsf_has_metadata_csum (&sb))
    fsf_extent_block_csum_set (&sb, ino, gen, buf);
  patch (leaf * sb.block_size, buf, sb.block_size);
  free (buf);
}

/* sparse2.bin (400 extents over several leaves): the last extent of
 * its first leaf runs into the second leaf's range.
 */
static void
test_inode__extent_end_out_of_bounds (void)
{
  struct fsf_sb sb;
  struct fsf_inode in;
  struct fsf_extent_header h;
  struct fsf_extent_index ix0, ix1;
  struct fsf_extent ex;
  uint8_t raw[1024], *node, *buf;
  uint32_t ino;
  size_t at;

  mkfs ("-t ext4");
  load_sb (&sb);
  load_inode ("/sparse2.bin", raw, &in);
  ino = ino_of ("/sparse2.bin");
  buf = malloc (sb.block_size);
  node = malloc (sb.block_size);
  CU_ASSERT_FATAL (buf && node);
  memcpy (node, in.i_block, 60);
  /* Down the first index entries to the node above the leaves. */
  CU_ASSERT_EQUAL_FATAL (fsf_extent_header_decode (in.i_block, 60, &h), 0);
  while (h.depth > 1) {
    fsf_extent_index_decode (node + 12, 12, &ix0);
    readat (ix0.leaf * sb.block_size, node, sb.block_size);
    CU_ASSERT_EQUAL_FATAL (fsf_extent_header_decode (node, sb.block_size,
                                                     &h), 0);
  }
  CU_ASSERT_FATAL (h.depth == 1 && h.entries >= 2);
  fsf_extent_index_decode (node + 12, 12, &ix0);
  fsf_extent_index_decode (node + 24, 12, &ix1);
  readat (ix0.leaf * sb.block_size, buf, sb.block_size);
  CU_ASSERT_EQUAL_FATAL (fsf_extent_header_decode (buf, sb.block_size, &h),
                         0);
  at = 12 + (size_t) (h.entries - 1) * 12;
  fsf_extent_decode (buf + at, 12, &ex);
  /* Its last block now sits past the next leaf's first logical block. */
  fsf_put_le32 (buf + at, ix1.block - ex.len + 5);
  fsf_extent_block_csum_set (&sb, ino, in.generation, buf);
  patch (ix0.leaf * sb.block_size, buf, sb.block_size);
  free (buf);
  free (node);
  expect ("extent past its index range", PR_EXTENT_END_BOUNDS, 4);
}

static void
zap_magic (uint8_t *b)
{
  b[0] = 0;
}

static void
touch_generation (uint8_t *b)
{
  b[8] ^= 1;                            /* eh_generation: unused */
}

static void
overlap_second (uint8_t *b)
{
  /* Extent 1 starts where extent 0 does. */
  memcpy (b + 12 + 12, b + 12, 4);
}

static void
shift_first (uint8_t *b)
{
  /* Extent 0 no longer starts at its index's logical block (0). */
  fsf_put_le32 (b + 12, 1);
}

static void
test_inode__extent_leaf_magic (void)
{
  mkfs ("-t ext4 -O ^metadata_csum");
  edit_leaf (zap_magic, false);
  expect ("extent leaf magic", PR_EXTENT_HEADER, 4);
}

static void
test_inode__extent_leaf_checksum (void)
{
  mkfs ("-t ext4");
  edit_leaf (touch_generation, false);
  expect ("extent leaf checksum", PR_EXTENT_CSUM, 4);
}

static void
test_inode__extent_overlap (void)
{
  mkfs ("-t ext4");
  edit_leaf (overlap_second, true);
  expect ("extent overlap", PR_EXTENT_ORDER, 4);
}

static void
test_inode__extent_index_start (void)
{
  mkfs ("-t ext4 -b 1024");
  edit_leaf (shift_first, true);
  expect ("extent index start", PR_EXTENT_INDEX_START, 4);
}

/* A byte of an in-use inode changed behind its checksum. */
static void
test_inode__checksum (void)
{
  uint64_t off;
  uint8_t b;

  mkfs ("-t ext4");
  off = inode_offset ("/small.txt");
  readat (off + 0x02, &b, 1);           /* i_uid */
  b ^= 0x40;
  patch (off + 0x02, &b, 1);
  expect ("inode checksum", PR_INODE_CSUM, 4);
}

/* l_i_file_acl_high set without 64bit (checksum kept). */
static void
test_inode__file_acl_high (void)
{
  struct fsf_sb sb;
  struct fsf_inode in;
  uint8_t raw[1024];
  uint64_t off;

  mkfs ("-t ext4 -O ^64bit");
  load_sb (&sb);
  off = load_inode ("/small.txt", raw, &in);
  fsf_put_le16 (raw + 0x76, 1);
  fsf_inode_csum_set (&sb, ino_of ("/small.txt"), raw);
  patch (off, raw, sb.inode_size);
  expect ("i_file_acl_hi", PR_INODE_FILE_ACL_HI, 4);
}

/* The hash of small.txt's in-inode xattr, changed (checksum kept). */
static void
test_inode__ibody_xattr_hash (void)
{
  struct fsf_sb sb;
  struct fsf_inode in;
  uint8_t raw[1024];
  uint64_t off;
  uint32_t ino, e;

  mkfs ("-t ext4");
  load_sb (&sb);
  ino = ino_of ("/small.txt");
  off = load_inode ("/small.txt", raw, &in);
  e = FSF_INODE_BASE_SIZE + in.extra_isize;
  CU_ASSERT_EQUAL_FATAL (fsf_le32 (raw + e), FSF_XATTR_MAGIC);
  raw[e + 4 + 12] ^= 0x5a;              /* first entry's e_hash */
  fsf_inode_csum_set (&sb, ino, raw);
  patch (off, raw, sb.inode_size);
  expect ("in-inode xattr hash", PR_XATTR_IBODY_HASH, 4);
}

/* xbig.txt's xattr block, edited; keep_csum sets its checksum again. */
static void
edit_xattr_block (size_t at, uint32_t value, bool keep_csum)
{
  struct fsf_xattr_fmt fmt;
  struct fsf_sb sb;
  uint64_t blk;
  uint8_t *buf;

  load_sb (&sb);
  blk = debugfs_num ("stat /xbig.txt", "File ACL: ");
  CU_ASSERT_FATAL (blk != 0);
  buf = malloc (sb.block_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL (buf);
  readat (blk * sb.block_size, buf, sb.block_size);
  fsf_put_le32 (buf + at, value);
  fsf_xattr_fmt_init (&fmt, &sb);
  if (keep_csum && fsf_has_metadata_csum (&sb))
    fsf_xattr_block_csum_set (&fmt, blk, buf, sb.block_size);
  patch (blk * sb.block_size, buf, sb.block_size);
  free (buf);
}

static void
test_inode__xattr_block_magic (void)
{
  mkfs ("-t ext4");
  edit_xattr_block (0, 0xea010000, true);
  expect ("xattr block magic", PR_XATTR_BLOCK_MAGIC, 4);
}

static void
test_inode__xattr_block_checksum (void)
{
  mkfs ("-t ext4");
  edit_xattr_block (0x14, 0x12345678, false);     /* h_reserved */
  expect ("xattr block checksum", PR_XATTR_BLOCK_CSUM, 4);
}

static void
test_inode__xattr_block_entry_hash (void)
{
  mkfs ("-t ext4 -O ^metadata_csum,uninit_bg");
  edit_xattr_block (0x20 + 12, 0x1234567, false); /* first e_hash */
  expect ("xattr entry hash", PR_XATTR_BLOCK_HASH, 4);
}

static void
test_inode__xattr_block_refcount (void)
{
  mkfs ("-t ext4");
  edit_xattr_block (0x04, 2, true);
  expect ("xattr refcount", PR_XATTR_REFCOUNT, 4);
}

static void
test_inode__xattr_block_h_blocks (void)
{
  mkfs ("-t ext4 -b 1024");
  edit_xattr_block (0x08, 2, true);
  expect ("xattr h_blocks", PR_XATTR_BLOCK_HBLOCKS, 4);
}

static void
test_inode__xattr_block_name_index (void)
{
  struct fsf_sb sb;
  uint64_t blk;
  uint8_t b[4];

  mkfs ("-t ext4 -O ^metadata_csum");
  load_sb (&sb);
  blk = debugfs_num ("stat /xbig.txt", "File ACL: ");
  readat (blk * sb.block_size + 0x20, b, 4);
  b[1] = 0;                             /* e_name_index */
  patch (blk * sb.block_size + 0x20, b, 4);
  expect ("xattr name index", PR_XATTR_BLOCK_NAME, 4);
}

static void
test_inode__xattr_block_value_size (void)
{
  mkfs ("-t ext4");
  edit_xattr_block (0x20 + 8, 0x100000, true);    /* e_value_size */
  expect ("xattr value size", PR_XATTR_BLOCK_ENTRY, 4);
}

/* small.txt's in-inode value offset, far past the inode. */
static void
test_inode__ibody_xattr_value_offset (void)
{
  struct fsf_sb sb;
  struct fsf_inode in;
  uint8_t raw[1024];
  uint64_t off;
  uint32_t e;

  mkfs ("-t ext4");
  load_sb (&sb);
  off = load_inode ("/small.txt", raw, &in);
  e = FSF_INODE_BASE_SIZE + in.extra_isize + 4;
  fsf_put_le16 (raw + e + 2, 0x7f00);   /* e_value_offs */
  fsf_inode_csum_set (&sb, ino_of ("/small.txt"), raw);
  patch (off, raw, sb.inode_size);
  expect ("in-inode xattr value offset", PR_XATTR_IBODY, 4);
}

/* small.txt's extent maps big.bin's first block too. */
static void
test_inode__multiply_claimed (void)
{
  uint8_t raw[1024];
  struct fsf_inode in;
  struct fsf_extent ex;

  mkfs ("-t ext4");
  load_inode ("/big.bin", raw, &in);
  fsf_extent_decode (in.i_block + 12, 12, &ex);
  debugfs_w ("sif /small.txt block[5] %llu", (unsigned long long) ex.start);
  expect ("multiply claimed", PR_BBITMAP_MULTIPLY_CLAIMED, 4);
}

/* ext3: big.bin's indirect block names itself. */
static void
test_inode__blockmap_loop (void)
{
  struct fsf_sb sb;
  uint8_t raw[1024];
  struct fsf_inode in;
  uint32_t ind;
  uint8_t v[4];

  mkfs ("-t ext3");
  load_sb (&sb);
  load_inode ("/big.bin", raw, &in);
  ind = fsf_inode_i_block (&in, FSF_BLOCKMAP_IND);
  CU_ASSERT_FATAL (ind != 0);
  fsf_put_le32 (v, ind);
  patch ((uint64_t) ind * sb.block_size + 8, v, 4);
  expect ("block map loop", PR_BLOCKMAP_LOOP, 4);
}

/* ext2: a directory's only block moved to logical block 1. */
static void
test_inode__blockmap_dir_hole (void)
{
  uint64_t b0;

  mkfs ("-t ext2");
  b0 = debugfs_num ("bmap /emptydir 0", "");
  CU_ASSERT_FATAL (b0 != 0);
  debugfs_w ("sif /emptydir block[1] %llu\nsif /emptydir block[0] 0\n"
             "sif /emptydir size %u", (unsigned long long) b0,
             2 * block_size_of_img ());
  expect ("block map directory hole", PR_MAP_DIR_HOLE, 4);
}

/* ext2, 4 KiB blocks: big.bin's indirect block full of entries past
 * the end; the walk gives up after MAP_FINDINGS_MAX of them.
 */
static void
test_inode__map_too_many_findings (void)
{
  struct fsf_sb sb;
  struct fsf_inode in;
  uint8_t raw[1024], *buf;
  uint32_t ind, i;

  mkfs ("-t ext2 -b 4096");
  load_sb (&sb);
  load_inode ("/big.bin", raw, &in);
  ind = fsf_inode_i_block (&in, FSF_BLOCKMAP_IND);
  CU_ASSERT_FATAL (ind != 0);
  buf = malloc (sb.block_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL (buf);
  for (i = 0; i < sb.block_size / 4; i++)
    fsf_put_le32 (buf + 4 * i, 0xfffffff0 - i);
  patch ((uint64_t) ind * sb.block_size, buf, sb.block_size);
  free (buf);
  expect ("too many map findings", PR_MAP_TOO_MANY, 4);
}

/* Bad blocks listed where e2fsck does not mind: a backup superblock,
 * the never-used tail of a checksummed inode table.
 */
static void
test_inode__bad_blocks_e2fsck_tolerates (void)
{
  static const char *const cmds[] = {
    "sif <1> block[0] 8193",          /* group 1's backup superblock */
    "sif <1> block[0] 700",           /* group 0's unused itable tail */
  };
  size_t i;

  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    struct run r;

    mkfs ("-t ext4");
    debugfs_w ("%s", cmds[i]);
    full_pass (&r);
    CU_ASSERT_EQUAL (e2fsck_rc (), 0);
    CU_ASSERT_EQUAL (r.corrupt, 0);
  }
}

/* A dtime below the inode count on an in-use inode: an orphan list
 * link left behind.
 */
static void
test_inode__orphan_dtime (void)
{
  mkfs ("-t ext4");
  debugfs_w ("sif /small.txt dtime 5");
  expect ("orphan dtime", PR_INODE_ORPHAN_DTIME, 4);
}

/* e2fsck's verdict once the kernel's (or e2fsck -y's) mount-time work
 * is done on a copy: the orphans released, as the oracle for images
 * taken while mounted (SPEC 6.3) has them.
 */
static int
e2fsck_rc_released (void)
{
  return shell ("cp %s %s.rel && " PATHS "e2fsck -fy -E journal_only %s.rel"
                " >/dev/null 2>&1; " PATHS "e2fsck -fn %s.rel >/dev/null 2>&1",
                img, img, img, img);
}

/* Orphans, as a snapshot of a mounted filesystem has them (its journal
 * needing recovery): a file unlinked while open, and one truncated with
 * its blocks not yet freed.  Not corrupt: the kernel finishes both at
 * its next mount.  (e2fsck -n alone, which neither replays nor releases
 * orphans, calls both corrupt.)
 */
static void
test_inode__orphans_are_not_corrupt (void)
{
  struct run r;
  uint32_t unlinked, truncated;

  mkfs ("-t ext4");
  unlinked = ino_of ("/big.bin");
  truncated = ino_of ("/sparse2.bin");
  debugfs_w ("unlink /big.bin\nsif <%u> links_count 0\n"
             "sif /sparse2.bin size 100\nsif /sparse2.bin dtime %u\n"
             "ssv last_orphan %u\nfeature needs_recovery", unlinked,
             unlinked, truncated);
  full_pass (&r);
  /* Link counts are the links scrubber's to excuse for orphans. */
  CU_ASSERT_EQUAL (r.corrupt - r.links_corrupt, 0);
  CU_ASSERT_EQUAL (e2fsck_rc (), 4);
  CU_ASSERT_EQUAL (e2fsck_rc_released (), 0);
}

/* A pre-1970 time in the old encoding: e2fsck -n lets it pass. */
static void
test_inode__time_epoch_is_preen (void)
{
  mkfs ("-t ext4");
  debugfs_w ("sif /small.txt ctime 0x80000000");
  debugfs_w ("sif /small.txt ctime_extra 3");
  expect ("time epoch", PR_INODE_TIME_EPOCH, 0);
}

/* The standalone scrubbers on one inode each: no pass, no findings on
 * a clean image, the finding on a damaged one.
 */
static void
test_inode__standalone_requests (void)
{
  static const enum scrub_type types[] = {
    SCRUB_TYPE_INODE, SCRUB_TYPE_EXTENTS, SCRUB_TYPE_XATTR,
    SCRUB_TYPE_SYMLINK,
  };
  const char *const paths[] = { "/sparse.bin", "/sparse.bin", "/xbig.txt",
                                "/slow" };
  struct fsf_source src;
  struct fsf_fs fs;
  struct stat st;
  struct run r;
  size_t i;
  int fd;

  mkfs ("-t ext4");
  debugfs_w ("sif /fast size 3");
  fd = open (img, O_RDONLY);
  CU_ASSERT_FATAL (fd >= 0 && fstat (fd, &st) == 0);
  fsf_source_fd (&src, &fd, (uint64_t) st.st_size);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_open (&fs, &src, 0), 0);
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    struct scrub_request req = { types[i], 0, ino_of (paths[i]), 0, 0 };
    struct scrub_ctx sc;

    memset (&r, 0, sizeof r);
    CU_ASSERT_EQUAL (scrub_run (&sc, &fs, &req, true, collect, &r), 0);
    CU_ASSERT_EQUAL (sc.oflags, 0);
  }
  {
    struct scrub_request req = { SCRUB_TYPE_SYMLINK, 0, ino_of ("/fast"), 0,
                                 0 };
    struct scrub_ctx sc;

    memset (&r, 0, sizeof r);
    CU_ASSERT_EQUAL (scrub_run (&sc, &fs, &req, true, collect, &r), 0);
    CU_ASSERT_TRUE (found (&r, PR_SYMLINK_SIZE));
  }
  fsf_fs_close (&fs);
  close (fd);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_inode__clean_images_have_no_corrupt_finding),
  UNIT_TEST (test_inode__shared_xattr_block_is_clean),
  UNIT_TEST (test_inode__set_inode_field_damage),
  UNIT_TEST (test_inode__checksum),
  UNIT_TEST (test_inode__extent_leaf_magic),
  UNIT_TEST (test_inode__extent_leaf_checksum),
  UNIT_TEST (test_inode__extent_overlap),
  UNIT_TEST (test_inode__extent_index_start),
  UNIT_TEST (test_inode__extent_end_out_of_bounds),
  UNIT_TEST (test_inode__file_acl_high),
  UNIT_TEST (test_inode__ibody_xattr_hash),
  UNIT_TEST (test_inode__xattr_block_magic),
  UNIT_TEST (test_inode__xattr_block_checksum),
  UNIT_TEST (test_inode__xattr_block_entry_hash),
  UNIT_TEST (test_inode__xattr_block_refcount),
  UNIT_TEST (test_inode__xattr_block_h_blocks),
  UNIT_TEST (test_inode__xattr_block_name_index),
  UNIT_TEST (test_inode__xattr_block_value_size),
  UNIT_TEST (test_inode__ibody_xattr_value_offset),
  UNIT_TEST (test_inode__multiply_claimed),
  UNIT_TEST (test_inode__blockmap_loop),
  UNIT_TEST (test_inode__blockmap_dir_hole),
  UNIT_TEST (test_inode__map_too_many_findings),
  UNIT_TEST (test_inode__bad_blocks_e2fsck_tolerates),
  UNIT_TEST (test_inode__orphan_dtime),
  UNIT_TEST (test_inode__orphans_are_not_corrupt),
  UNIT_TEST (test_inode__time_epoch_is_preen),
  UNIT_TEST (test_inode__standalone_requests),
};

int
main (void)
{
  int r = unit_run ("scrub/inode", tests, sizeof tests / sizeof tests[0]);

  if (dir_made && shell ("rm -rf %s", dir) != 0)
    r = 1;
  return r;
}
