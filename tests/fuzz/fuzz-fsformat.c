/* nbdscrub: libFuzzer target over fsformat's decoders.
 *
 * The input is the start of a filesystem image, served from memory
 * through a struct fsf_source.  Every decoder that takes bytes from that
 * image is driven with them; ASan and UBSan (and libFuzzer's own limits
 * on time and memory) turn any out-of-bounds access, overflow, hang or
 * runaway allocation into a crash.  Build and run: make fuzz.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blockmap.h"
#include "crc.h"
#include "dir.h"
#include "extent.h"
#include "fs.h"
#include "fsf.h"
#include "journal.h"
#include "orphan.h"
#include "super.h"
#include "xattr.h"

struct mem {
  const uint8_t *data;
  size_t size;
};

static int
mem_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  const struct mem *m = opaque;

  if (off > m->size || len > m->size - off)
    return -EIO;
  memcpy (buf, m->data + off, len);
  return 0;
}

/* The superblock and everything derived from it. */
static void
fuzz_super (const struct fsf_source *src)
{
  uint8_t buf[FSF_SB_SIZE];
  struct fsf_sb sb;
  char names[1024];
  uint32_t g;

  if (fsf_read (src, buf, sizeof buf, FSF_SB_OFFSET) != 0)
    return;
  fsf_sb_csum_verify (buf);
  if (fsf_sb_decode (buf, sizeof buf, &sb) != 0)
    return;
  fsf_sb_features (&sb, names, sizeof names);
  fsf_sb_unsupported (&sb, names, sizeof names);
  for (g = 0; g < sb.groups_count && g < 1024; g++) {
    fsf_sb_group_has_super (&sb, g);
    fsf_sb_group_blocks (&sb, g);
  }
}

static int
count_extent (void *opaque, const struct fsf_extent *ex)
{
  *(uint64_t *) opaque += ex->len;
  return 0;
}

static int
count_block (void *opaque, uint32_t logical, uint64_t physical)
{
  (void) logical;
  (void) physical;
  ++*(uint64_t *) opaque;
  return 0;
}

static int
count_dirent (const struct fsf_dirent *de, void *opaque)
{
  (void) de;
  ++*(uint64_t *) opaque;
  return 0;
}

static int
count_orphan (void *opaque, uint32_t ino)
{
  (void) ino;
  ++*(uint64_t *) opaque;
  return 0;
}

static int
count_xattr (const struct fsf_xattr_entry *e, void *opaque)
{
  (void) e;
  ++*(uint64_t *) opaque;
  return 0;
}

/* Everything that reads the filesystem, through the replayed journal as
 * dump and the scrubber do: group descriptors, the first inodes, their
 * block maps, directory blocks and xattrs, the journal superblock.
 */
static void
fuzz_fs (const struct fsf_source *src)
{
  static uint8_t blk[1 << FSF_MAX_BLOCK_LOG];
  uint8_t raw[1 << FSF_MAX_BLOCK_LOG];
  struct fsf_dir_fmt dfmt;
  struct fsf_xattr_fmt xfmt;
  struct fsf_jsb jsb;
  struct fsf_fs fs;
  uint64_t n = 0;
  uint32_t g, ino;

  if (fsf_fs_open (&fs, src, 0) != 0)
    return;
  fsf_dir_fmt_init (&dfmt, &fs.sb);
  fsf_xattr_fmt_init (&xfmt, &fs.sb);
  for (g = 0; g < fs.sb.groups_count && g < 64; g++) {
    struct fsf_gd gd;

    if (fsf_fs_read_gd (&fs, g, &gd, raw) == 0)
      fsf_gd_csum_verify (raw, &fs.sb, g);
  }
  for (ino = 1; ino <= fs.sb.inodes_count && ino <= 32; ino++) {
    struct fsf_extent_visitor ev = { .extent = count_extent, .opaque = &n };
    struct fsf_blockmap_visitor bv = { .data = count_block, .opaque = &n };
    struct fsf_inode in;

    if (fsf_fs_read_inode (&fs, ino, &in, raw) != 0)
      continue;
    fsf_inode_csum_verify (&fs.sb, ino, raw);
    fsf_xattr_ibody_iterate (raw, fs.sb.inode_size, &xfmt, count_xattr, &n);
    if (in.file_acl
        && fsf_read (&fs.src, blk, fs.sb.block_size,
                     in.file_acl * fs.sb.block_size) == 0)
      fsf_xattr_block_iterate (blk, fs.sb.block_size, &xfmt, count_xattr,
                               &n);
    if (in.flags & FSF_EXTENTS_FL)
      fsf_extent_walk (&fs.src, &fs.sb, ino, in.generation, in.i_block, &ev,
                       FSF_EXTENT_WALK_CSUM | FSF_EXTENT_WALK_KEEP_GOING);
    else
      fsf_blockmap_walk (&fs.src, &fs.sb, in.i_block, &bv, 0);
    if (fsf_inode_ftype (in.mode) == FSF_FT_DIR) {
      uint64_t b = fsf_inode_i_block (&in, 0);
      uint32_t bad;

      /* The first directory block, wherever i_block[0] says. */
      if (fsf_read (&fs.src, blk, fs.sb.block_size,
                    b * fs.sb.block_size) == 0)
        fsf_dir_block_iterate (blk, fs.sb.block_size, &dfmt, count_dirent,
                               &n, &bad);
    }
  }
  fsf_fs_journal_sb (&fs, &jsb);
  fsf_orphan_list_walk (&fs, count_orphan, &n);
  if (fs.sb.orphan_file_inum)
    fsf_orphan_file_walk (&fs, count_orphan, NULL, &n);
  fsf_fs_close (&fs);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mem m = { data, size };
  struct fsf_source src = { mem_read, &m, size };

  fsf_crc32c (~0U, data, size);
  fsf_crc16 (0xffff, data, size < 4096 ? size : 4096);
  fuzz_super (&src);
  fuzz_fs (&src);
  return 0;
}
