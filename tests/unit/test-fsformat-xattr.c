/* Unit tests: extended attributes (fsformat/xattr.c). */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "fsf.h"
#include "super.h"
#include "unit.h"
#include "xattr.h"

#define BLOCKNR 1620

static uint8_t blk[2 * 65536];

struct attr {
  uint8_t index;
  const char *name;
  const char *value;
  uint32_t size;          /* 0: strlen (value) */
};

static void
fmt_of (struct fsf_xattr_fmt *fmt, uint32_t bs)
{
  memset (fmt, 0, sizeof *fmt);
  fmt->block_size = bs;
  fmt->csum_seed = 0x5eed5eed;
}

static uint32_t
attr_size (const struct attr *a)
{
  return a->size ? a->size : (uint32_t) strlen (a->value);
}

/* Lay out entries at area[first..) and values from area[size) down,
 * e_value_offs from area; each e_hash computed.  Returns the offset just
 * past the terminator.
 */
static uint32_t
put_attrs (uint8_t *area, uint32_t size, uint32_t first,
           const struct attr *a, int n)
{
  uint32_t off = first, vend = size;
  int i;

  for (i = 0; i < n; i++) {
    uint8_t *p = area + off;
    uint32_t vs = attr_size (&a[i]);
    size_t nl = strlen (a[i].name);
    struct fsf_xattr_entry e;

    vend = (vend - vs) & ~3U;
    p[0] = (uint8_t) nl;
    p[1] = a[i].index;
    fsf_put_le16 (p + 2, (uint16_t) (vs ? vend : 0));
    fsf_put_le32 (p + 4, 0);
    fsf_put_le32 (p + 8, vs);
    memcpy (p + 16, a[i].name, nl);
    memcpy (area + vend, a[i].value, vs);
    memset (&e, 0, sizeof e);
    e.name_len = (uint8_t) nl;
    e.name = p + 16;
    e.value_size = vs;
    e.value = area + vend;
    e.value_room = size - vend;
    fsf_put_le32 (p + 12, fsf_xattr_entry_hash (&e));
    off += (16 + (uint32_t) nl + 3) & ~3U;
  }
  fsf_put_le32 (area + off, 0);
  return off + 4;
}

static const struct attr two[] = {
  { 1, "test", "value", 0 },
  { 6, "selinux", "system_u:object_r:etc_t:s0", 0 },
};

static void
make_block (uint8_t *b, const struct fsf_xattr_fmt *fmt, const struct attr *a,
            int n)
{
  uint32_t h;

  memset (b, 0, fmt->block_size);
  fsf_put_le32 (b, FSF_XATTR_MAGIC);
  fsf_put_le32 (b + 4, 1);
  fsf_put_le32 (b + 8, 1);
  put_attrs (b, fmt->block_size, FSF_XATTR_HEADER_SIZE, a, n);
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (b, fmt->block_size,
                                         fmt->block_size, &h), 0);
  fsf_put_le32 (b + 12, h);
  CU_ASSERT_EQUAL (fsf_xattr_block_csum_set (fmt, BLOCKNR, b,
                                             fmt->block_size), 0);
}

struct seen {
  int n;
  char line[16][300];
  int bad_hash;
  int hashed;             /* entries whose stored e_hash was compared */
  uint32_t fold;          /* their e_hash folded as h_hash is */
};

/* "prefix+name (size) = value" for short values, as debugfs ea_list. */
static int
collect (const struct fsf_xattr_entry *e, void *opaque)
{
  struct seen *s = opaque;
  const char *prefix = fsf_xattr_prefix (e->name_index);
  int k;

  if (s->n >= 16)
    return 0;
  k = snprintf (s->line[s->n], sizeof s->line[0], "%s%.*s (%u)",
                prefix ? prefix : "?", e->name_len, (const char *) e->name,
                e->value_size);
  if (e->value && e->value_size && e->value_size < 40)
    snprintf (s->line[s->n] + k, sizeof s->line[0] - (size_t) k,
              " = \"%.*s\"", (int) e->value_size, (const char *) e->value);
  if (e->hash) {
    if (e->hash != fsf_xattr_entry_hash (e))
      s->bad_hash++;
    s->hashed++;
    s->fold = (s->fold << 16 | s->fold >> 16) ^ e->hash;
  }
  s->n++;
  return 0;
}

static void
test_xattr__good_block_iterates_every_entry (void)
{
  struct fsf_xattr_fmt fmt;
  struct fsf_xattr_header h;
  struct seen s = { 0 };
  uint32_t hash;

  fmt_of (&fmt, 4096);
  make_block (blk, &fmt, two, 2);
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (blk, 4096, &h), 0);
  CU_ASSERT_EQUAL (h.refcount, 1);
  CU_ASSERT_EQUAL (h.blocks, 1);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 4096, &fmt, collect, &s), 0);
  CU_ASSERT_EQUAL_FATAL (s.n, 2);
  CU_ASSERT_STRING_EQUAL (s.line[0], "user.test (5) = \"value\"");
  CU_ASSERT_STRING_EQUAL (s.line[1], "security.selinux (26) = "
                          "\"system_u:object_r:etc_t:s0\"");
  CU_ASSERT_EQUAL (s.bad_hash, 0);
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (blk, 4096, 4096, &hash), 0);
  CU_ASSERT_EQUAL (hash, h.hash);
  CU_ASSERT_NOT_EQUAL (hash, 0);
  CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 4096));
}

static void
test_xattr__truncated_by_one_byte_fails (void)
{
  struct fsf_xattr_fmt fmt;
  struct fsf_xattr_header h;
  uint32_t c;

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (blk, 31, &h), FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (blk, 32, &h), 0);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1023, &fmt, NULL, NULL),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (blk, 1023, 1024, &c),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_EQUAL (fsf_xattr_block_csum (&fmt, BLOCKNR, blk, 1023, &c),
                   FSF_BAD_TRUNCATED);
  CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 1023));
}

static void
test_xattr__bad_magic_and_header_fail (void)
{
  struct fsf_xattr_fmt fmt;
  struct fsf_xattr_header h;

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (blk, 0xea010000);       /* the v1 magic */
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (blk, 1024, &h), FSF_BAD_MAGIC);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_MAGIC);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (blk + 8, 2);
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (blk, 1024, &h), FSF_BAD_FIELD);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (blk + 4, 0);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
}

static void
test_xattr__any_flipped_byte_breaks_the_checksum (void)
{
  struct fsf_xattr_fmt fmt;
  uint32_t i;

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  for (i = 0; i < 1024; i++) {
    blk[i] ^= 0x02;
    CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 1024));
    blk[i] ^= 0x02;
  }
  CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 1024));
  /* Keyed by the block number, all 64 bits of it. */
  CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR + 1, blk,
                                                1024));
  CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR | 1ULL << 32,
                                                blk, 1024));
}

/* Each value and name rule, broken in entry 1 (at 0x20). */
static void
test_xattr__bad_entries_are_refused (void)
{
  struct fsf_xattr_fmt fmt;
  uint8_t *e = blk + FSF_XATTR_HEADER_SIZE;

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (e + 8, 1024);                   /* value past the block */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  make_block (blk, &fmt, two, 2);
  fsf_put_le16 (e + 2, 0x24);                   /* value over the entries */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  make_block (blk, &fmt, two, 2);
  fsf_put_le16 (e + 2, 0xffff);                 /* offset past the block */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (e + 4, 99);                     /* ea_inode, no feature */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  fmt.ea_inode = true;                          /* ... but offs not 0 */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  fsf_put_le16 (e + 2, 0);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL), 0);
  fsf_put_le32 (e + 8, 65537);                  /* over 64 KiB */
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  /* Entries running to the end without a terminator. */
  fmt.ea_inode = false;
  memset (blk, 0xff, 1024);
  fsf_put_le32 (blk, FSF_XATTR_MAGIC);
  fsf_put_le32 (blk + 4, 1);
  fsf_put_le32 (blk + 8, 1);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (blk, 1024, 1024, &(uint32_t) { 0 }),
                   FSF_BAD_FIELD);
}

/* An entry without a hash makes the block's hash 0. */
static void
test_xattr__zero_entry_hash_zeroes_the_block_hash (void)
{
  struct fsf_xattr_fmt fmt;
  uint32_t h = 1;

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  fsf_put_le32 (blk + 0x20 + 12, 0);
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (blk, 1024, 1024, &h), 0);
  CU_ASSERT_EQUAL (h, 0);
}

static void
test_xattr__maximum_values (void)
{
  static char big[65536 - 64];
  struct fsf_xattr_fmt fmt;
  struct seen s = { 0 };
  char name[256];
  struct attr a[1];

  /* A 64 KiB block: a 255-byte name and a value filling the rest, its
   * size not a multiple of 4 (the hash reads its last word padded).
   */
  memset (name, 'n', 255);
  name[255] = '\0';
  memset (big, 'v', sizeof big);
  a[0].index = 4;
  a[0].name = name;
  a[0].value = big;
  a[0].size = 65536 - 32 - 16 - 256 - 4 - 3;
  fmt_of (&fmt, 65536);
  make_block (blk, &fmt, a, 1);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 65536, &fmt, collect, &s),
                   0);
  CU_ASSERT_EQUAL (s.n, 1);
  CU_ASSERT_EQUAL (s.bad_hash, 0);
  CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, UINT64_MAX >> 1, blk,
                                               65536) == false);
  CU_ASSERT_EQUAL (fsf_xattr_block_csum_set (&fmt, UINT64_MAX, blk, 65536),
                   0);
  CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, UINT64_MAX, blk,
                                               65536));
}

static void
test_xattr__trailing_garbage_is_ignored (void)
{
  struct fsf_xattr_fmt fmt;
  struct seen s = { 0 };

  fmt_of (&fmt, 1024);
  make_block (blk, &fmt, two, 2);
  memset (blk + 1024, 0xee, 1024);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 2048, &fmt, collect, &s), 0);
  CU_ASSERT_EQUAL (s.n, 2);
  CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 2048));
  /* Garbage in the free space between terminator and values: still
   * walks (but the checksum sees it).
   */
  memset (blk + 0x80, 0xee, 64);
  memset (&s, 0, sizeof s);
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (blk, 1024, &fmt, collect, &s), 0);
  CU_ASSERT_EQUAL (s.n, 2);
  CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, BLOCKNR, blk, 1024));
}

/* --- in the inode --------------------------------------------------- */

/* The first value is 8 bytes: it ends exactly at the inode's end. */
static const struct attr ibody[] = {
  { 1, "test", "value!!!", 0 },
  { 6, "selinux", "system_u:object_r:etc_t:s0", 0 },
};

static void
make_inode (uint8_t *ino, uint32_t size, uint16_t extra)
{
  memset (ino, 0, size);
  fsf_put_le16 (ino + 128, extra);
  fsf_put_le32 (ino + 128 + extra, FSF_XATTR_MAGIC);
  put_attrs (ino + 128 + extra + 4, size - 128 - extra - 4, 0, ibody, 2);
}

static void
test_xattr__ibody_good_and_bad (void)
{
  struct fsf_xattr_fmt fmt;
  uint8_t ino[256];
  struct seen s = { 0 };

  fmt_of (&fmt, 4096);
  make_inode (ino, 256, 32);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 256, &fmt, collect, &s), 0);
  CU_ASSERT_EQUAL_FATAL (s.n, 2);
  CU_ASSERT_STRING_EQUAL (s.line[0], "user.test (8) = \"value!!!\"");
  CU_ASSERT_EQUAL (s.bad_hash, 0);

  /* One byte short: the last value now leaves the inode. */
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 255, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  /* No magic: no in-inode xattrs, and nothing to call. */
  memset (&s, 0, sizeof s);
  ino[128 + 32] ^= 1;
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 256, &fmt, collect, &s), 0);
  CU_ASSERT_EQUAL (s.n, 0);
  /* i_extra_isize unaligned, or past the inode. */
  make_inode (ino, 256, 32);
  fsf_put_le16 (ino + 128, 30);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 256, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  fsf_put_le16 (ino + 128, 132);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 256, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  /* 128-byte inodes have no room at all. */
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 128, &fmt, NULL, NULL), 0);
  /* A value reaching back over the entries. */
  make_inode (ino, 256, 32);
  fsf_put_le16 (ino + 128 + 32 + 4 + 2, 4);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, 256, &fmt, NULL, NULL),
                   FSF_BAD_FIELD);
  /* Trailing bytes after the inode change nothing. */
  {
    uint8_t two_inodes[512];

    make_inode (two_inodes, 256, 32);
    memset (two_inodes + 256, 0xcc, 256);
    CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (two_inodes, 256, &fmt, NULL,
                                              NULL), 0);
  }
}

static void
test_xattr__signed_hash_differs_only_for_high_bytes (void)
{
  struct fsf_xattr_entry e;

  memset (&e, 0, sizeof e);
  e.name = (const uint8_t *) "plain";
  e.name_len = 5;
  CU_ASSERT_EQUAL (fsf_xattr_entry_hash (&e),
                   fsf_xattr_entry_hash_signed (&e));
  e.name = (const uint8_t *) "caf\xc3\xa9";
  CU_ASSERT_NOT_EQUAL (fsf_xattr_entry_hash (&e),
                       fsf_xattr_entry_hash_signed (&e));
  CU_ASSERT_STRING_EQUAL (fsf_xattr_prefix (2), "system.posix_acl_access");
  CU_ASSERT_PTR_NULL (fsf_xattr_prefix (5));
}

/* Random and mutated blocks and inodes: every walk returns, none reads
 * outside its buffer (ASan would say), every answer 0 or an enum fsf_bad.
 */
static void
test_xattr__random_bytes_never_crash (void)
{
  uint32_t x = 777;
  int round;

  for (round = 0; round < 2000; round++) {
    struct fsf_xattr_fmt fmt;
    struct seen s = { 0 };
    uint32_t bs = round % 2 ? 1024 : 4096, isz = 128 << (round % 4), i, h;
    uint8_t *b = malloc (bs), *ino = malloc (isz);
    int r;

    CU_ASSERT_PTR_NOT_NULL_FATAL (b);
    CU_ASSERT_PTR_NOT_NULL_FATAL (ino);
    fmt_of (&fmt, bs);
    fmt.ea_inode = round & 4;
    make_block (b, &fmt, two, 2);
    memset (ino, 0, isz);
    if (isz >= 256)
      make_inode (ino, isz, 32);
    for (i = 0; i < 6; i++) {
      x = x * 1103515245 + 12345;
      b[(x >> 8) % 128] = (uint8_t) (x >> 24);
      if (isz > 128)
        ino[128 + (x >> 4) % (isz - 128)] = (uint8_t) (x >> 16);
    }
    /* Keep the magic most of the time, so the walk is reached. */
    if (round % 8)
      fsf_put_le32 (b, FSF_XATTR_MAGIC);
    r = fsf_xattr_block_iterate (b, bs, &fmt, collect, &s);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    r = fsf_xattr_ibody_iterate (ino, isz, &fmt, collect, &s);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    r = fsf_xattr_block_hash (b, bs, bs, &h);
    CU_ASSERT (r >= 0 && r <= FSF_BAD_UNSUPPORTED);
    fsf_xattr_block_csum_verify (&fmt, BLOCKNR, b, bs);
    free (b);
    free (ino);
  }
}

/* --- real images ---------------------------------------------------- */

static char *
run (const char *cmd)
{
  static char out[65536];
  size_t n;
  FILE *fp = popen (cmd, "r");

  if (fp == NULL)
    return NULL;
  n = fread (out, 1, sizeof out - 1, fp);
  out[n] = '\0';
  pclose (fp);
  return out;
}

static int
cmp_line (const void *a, const void *b)
{
  return strcmp (a, b);
}

/* The attribute lines of debugfs ea_list, sorted, against ours. */
static void
compare_with_ea_list (const char *img, const char *path, struct seen *s)
{
  char cmd[256], *line, *save = NULL;
  static char want[16][300];
  int n = 0, i;

  snprintf (cmd, sizeof cmd, "debugfs -R 'ea_list %s' %s 2>/dev/null", path,
            img);
  for (line = strtok_r (run (cmd), "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "  ", 2) == 0 && n < 16)
      snprintf (want[n++], sizeof want[0], "%s", line + 2);
  CU_ASSERT_EQUAL_FATAL (s->n, n);
  qsort (want, (size_t) n, sizeof want[0], cmp_line);
  qsort (s->line, (size_t) n, sizeof s->line[0], cmp_line);
  for (i = 0; i < n; i++)
    CU_ASSERT_STRING_EQUAL (s->line[i], want[i]);
}

/* Read the inode of path: debugfs imap gives its block and offset. */
static void
read_inode (int fd, const char *img, const char *path,
            const struct fsf_sb *sb, uint8_t *ino)
{
  char cmd[256], *p;
  unsigned long long block;
  unsigned off;

  snprintf (cmd, sizeof cmd, "debugfs -R 'imap %s' %s 2>/dev/null", path,
            img);
  p = strstr (run (cmd), "located at block ");
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL_FATAL (sscanf (p, "located at block %llu, offset 0x%x",
                                 &block, &off), 2);
  CU_ASSERT_EQUAL_FATAL (pread (fd, ino, sb->inode_size,
                                (off_t) (block * sb->block_size + off)),
                         (ssize_t) sb->inode_size);
}

static void
check_xattr_image (const char *mkfs_opts)
{
  char dir[] = "/tmp/nbdscrub-unit-xattr.XXXXXX", cmd[1024], img[64];
  uint8_t sbuf[FSF_SB_SIZE], ino[1024];
  static uint8_t b[65536];
  struct fsf_sb sb;
  struct fsf_xattr_fmt fmt;
  struct fsf_xattr_header h;
  struct seen s = { 0 };
  unsigned long long acl;
  uint32_t hash;
  char *p;
  int fd;

  CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
  snprintf (img, sizeof img, "%s/fs.img", dir);
  snprintf (cmd, sizeof cmd,
            "(set -e; cd %s; mkdir root; echo hi > root/file; "
            "echo hi > root/big; head -c 600 /dev/zero | tr '\\0' v > big; "
            "head -c 300 /dev/zero | tr '\\0' w > big2; "
            "mke2fs -q -F %s -d root fs.img 8M; "
            "debugfs -w -R 'ea_set /file user.test value' fs.img; "
            "debugfs -w -R 'ea_set /file trusted.t2 second' fs.img; "
            "debugfs -w -R 'ea_set -f big /big user.big' fs.img; "
            "debugfs -w -R 'ea_set -f big2 /big user.big2' fs.img; "
            "debugfs -w -R 'ea_set /big user.small tiny' fs.img; "
            "debugfs -w -R 'ea_set /big security.s3 three-three' fs.img"
            ") >/dev/null 2>&1", dir, mkfs_opts);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  fd = open (img, O_RDONLY);
  CU_ASSERT_FATAL (fd >= 0);
  CU_ASSERT_EQUAL_FATAL (pread (fd, sbuf, sizeof sbuf, FSF_SB_OFFSET),
                         (ssize_t) sizeof sbuf);
  CU_ASSERT_EQUAL_FATAL (fsf_sb_decode (sbuf, sizeof sbuf, &sb), 0);
  fsf_xattr_fmt_init (&fmt, &sb);

  /* Small values stay in the inode. */
  read_inode (fd, img, "/file", &sb, ino);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, sb.inode_size, &fmt,
                                            collect, &s), 0);
  CU_ASSERT_EQUAL (s.n, 2);
  CU_ASSERT_EQUAL (s.bad_hash, 0);
  compare_with_ea_list (img, "/file", &s);

  /* The large one spills into a block. */
  memset (&s, 0, sizeof s);
  read_inode (fd, img, "/big", &sb, ino);
  CU_ASSERT_EQUAL (fsf_xattr_ibody_iterate (ino, sb.inode_size, &fmt,
                                            collect, &s), 0);
  snprintf (cmd, sizeof cmd, "debugfs -R 'stat /big' %s 2>/dev/null", img);
  p = strstr (run (cmd), "File ACL: ");
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  acl = strtoull (p + 10, NULL, 10);
  CU_ASSERT_FATAL (acl != 0);
  CU_ASSERT_EQUAL_FATAL (pread (fd, b, sb.block_size,
                                (off_t) (acl * sb.block_size)),
                         (ssize_t) sb.block_size);
  CU_ASSERT_EQUAL (fsf_xattr_header_decode (b, sb.block_size, &h), 0);
  s.hashed = 0;
  s.fold = 0;
  CU_ASSERT_EQUAL (fsf_xattr_block_iterate (b, sb.block_size, &fmt, collect,
                                            &s), 0);
  /* Two small values in the inode, the two large ones in the block. */
  CU_ASSERT_EQUAL (s.n, 4);
  /* e2fsprogs hashed every entry it wrote to the block: ours agree. */
  CU_ASSERT_EQUAL (s.hashed, 2);
  CU_ASSERT_EQUAL (s.bad_hash, 0);
  compare_with_ea_list (img, "/big", &s);
  /* e2fsprogs 1.47.0 leaves h_hash 0 when it writes a block (only the
   * kernel and tune2fs's rewrite set it), so compare with the fold of
   * the e_hash values e2fsprogs wrote.
   */
  CU_ASSERT_EQUAL (fsf_xattr_block_hash (b, sb.block_size, sb.block_size,
                                         &hash), 0);
  CU_ASSERT_EQUAL (hash, s.fold);
  CU_ASSERT (h.hash == 0 || h.hash == hash);
  if (fsf_has_metadata_csum (&sb)) {
    CU_ASSERT_TRUE (fsf_xattr_block_csum_verify (&fmt, acl, b,
                                                 sb.block_size));
    b[sb.block_size - 1] ^= 1;
    CU_ASSERT_FALSE (fsf_xattr_block_csum_verify (&fmt, acl, b,
                                                  sb.block_size));
  }
  else
    CU_ASSERT_EQUAL (h.checksum, 0);

  close (fd);
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  CU_ASSERT_EQUAL (system (cmd), 0);
}

static void
test_xattr__real_ext4_metadata_csum (void)
{
  check_xattr_image ("-t ext4 -O metadata_csum -I 256");
}

static void
test_xattr__real_ext4_1k_without_metadata_csum (void)
{
  check_xattr_image ("-t ext4 -b 1024 -O ^metadata_csum -I 256");
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_xattr__good_block_iterates_every_entry),
  UNIT_TEST (test_xattr__truncated_by_one_byte_fails),
  UNIT_TEST (test_xattr__bad_magic_and_header_fail),
  UNIT_TEST (test_xattr__any_flipped_byte_breaks_the_checksum),
  UNIT_TEST (test_xattr__bad_entries_are_refused),
  UNIT_TEST (test_xattr__zero_entry_hash_zeroes_the_block_hash),
  UNIT_TEST (test_xattr__maximum_values),
  UNIT_TEST (test_xattr__trailing_garbage_is_ignored),
  UNIT_TEST (test_xattr__ibody_good_and_bad),
  UNIT_TEST (test_xattr__signed_hash_differs_only_for_high_bytes),
  UNIT_TEST (test_xattr__random_bytes_never_crash),
  UNIT_TEST (test_xattr__real_ext4_metadata_csum),
  UNIT_TEST (test_xattr__real_ext4_1k_without_metadata_csum),
};

UNIT_MAIN ("fsformat/xattr", tests)
