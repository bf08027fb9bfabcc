/* nbdscrub: one inode as a whole (SCRUB_TYPE_INODE), as e2fsck pass 1
 * (with the pass 2 checks of inodes it marks bad) judges it.
 *
 * In use, as e2fsck decides: a reserved inode (below s_first_ino) always
 * is, except the root, which like any other inode is in use when its
 * link count is not 0.  Of an inode not in use only three things are
 * looked at: a dtime below the inode count (an orphan list refugee), a
 * zero dtime with a mode set (deleted without a dtime), and its checksum
 * (e2fsck checks every inode it scans).  Of an inode in use, in e2fsck's
 * order:
 *
 *   - flags against features: casefold, ea_inode, inline data, extents
 *     (and an extent header without the flag), imagic;
 *   - the reserved inodes' own rules: the bad blocks list, the root is a
 *     directory, the journal and orphan-file inodes are regular files,
 *     the quota inodes hold nothing without quota, the others have no
 *     mode, the resize inode's map is what mke2fs makes (super.c's
 *     check_resize_inode);
 *   - dtime set, i_faddr, the high halves a feature must allow,
 *     i_extra_isize and pre-1970 times;
 *   - the file type: a known one; devices, fifos and sockets without a
 *     map, size or flags they cannot have; symlinks (symlink.c);
 *   - then what check_blocks does: the xattrs (xattr.c), the map
 *     (extents.c), INDEX_FL, and i_size and i_blocks against what the map
 *     and xattrs own.
 *
 * Findings that e2fsck -n lets pass (PR_NO_OK) are PREEN.  The checksum
 * is reported whatever else is found: e2fsck reports it either as the
 * only problem or after the others, exit 4 both ways.
 *
 * Orphans that recovery will release (scrub_pass_orphan: on the orphan
 * list or in the orphan file of a filesystem whose journal needs
 * recovery) are a state the kernel leaves on disk while files are open
 * or being truncated, and finishes at its next mount.  e2fsck -n, which
 * does not release them, calls them corrupt; the oracle of SPEC 6.3
 * (e2fsck once the journal is replayed and the orphans released) does
 * not, nor do we: an orphan's dtime and size are not judged, and one
 * with no links still owns its blocks and is noted in use, as the
 * bitmaps have it.  Orphans no recovery will release are judged as
 * e2fsck -n judges them (and orphans.c says ORPHAN_UNRECOVERED).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap.h"
#include "bytes.h"
#include "extent.h"
#include "inode-priv.h"
#include "pass.h"

#define OS_HURD 1                 /* s_creator_os */
#define IMAGIC_FL 0x00002000
#define ENCRYPT_FL 0x00000800
#define USR_QUOTA_INO 3
#define GRP_QUOTA_INO 4
#define BOOT_LOADER_INO 5
#define EPOCH_MASK 3

struct icheck {
  struct scrub_ctx *sc;
  const struct fsf_sb *sb;
  uint32_t ino, group;
  const uint8_t *raw;
  struct fsf_inode in;
  bool badmap;                    /* map or type corrupt */
  bool dtime_done;                /* a dtime finding made already */
  int orphan;                     /* on the orphan list or file: 1 yes,
                                   * 0 no, -1 not looked yet */
};

static void
bad (struct icheck *ic, int code, uint64_t block, uint64_t expected,
     uint64_t found)
{
  chk_set_corrupt (ic->sc, code, ic->group, ic->ino, block, expected, found);
}

static bool
base_is_zero (const uint8_t *raw)
{
  unsigned i;

  for (i = 0; i < FSF_INODE_BASE_SIZE; i++)
    if (raw[i])
      return false;
  return true;
}

/* e2fsck trusts a small dtime to mean an orphan list link only when the
 * superblock's times are not themselves that small.
 */
static bool
low_dtime_check (const struct fsf_sb *sb)
{
  return !((sb->wtime && sb->wtime < sb->inodes_count)
           || (sb->mtime && sb->mtime < sb->inodes_count)
           || (sb->mkfs_time && sb->mkfs_time < sb->inodes_count));
}

/* Is the inode an orphan that recovery will release: unlinked or
 * truncated while open, on the orphan list or in the orphan file of a
 * filesystem whose journal needs recovery (orphans.c decides which)?
 * Mount finishes what was begun (e2fsck too, once it has replayed the
 * journal): its dtime, its links and its size are not yet what they
 * will be, and its blocks are still allocated.  Looked at only when a
 * finding would rest on it.
 */
static bool
is_orphan (struct icheck *ic)
{
  struct scrub_pass tmp;

  if (ic->orphan >= 0)
    return ic->orphan;
  if (ic->sc->pass) {
    ic->orphan = scrub_pass_orphan (ic->sc->pass, ic->ino);
    return ic->orphan;
  }
  /* Standalone: the set a pass would have, made for this question. */
  memset (&tmp, 0, sizeof tmp);
  tmp.fs = (struct fsf_fs *) ic->sc->fs;
  ic->orphan = scrub_pass_collect_orphans (&tmp) == 0
    && scrub_pass_orphan (&tmp, ic->ino);
  free (tmp.orphans);
  return ic->orphan;
}

static void
check_low_dtime (struct icheck *ic)
{
  if (ic->in.dtime && low_dtime_check (ic->sb)
      && ic->in.dtime < ic->sb->inodes_count && !is_orphan (ic)) {
    bad (ic, PR_INODE_ORPHAN_DTIME, 0, 0, ic->in.dtime);
    ic->dtime_done = true;
  }
}

static void
check_csum (struct icheck *ic)
{
  if (fsf_has_metadata_csum (ic->sb)
      && !fsf_inode_csum_verify (ic->sb, ic->ino, ic->raw))
    bad (ic, PR_INODE_CSUM, 0, fsf_inode_csum (ic->sb, ic->ino, ic->raw),
         ic->in.checksum);
}

static bool
extent_fs (const struct fsf_sb *sb)
{
  return fsf_has_incompat (sb, FSF_INCOMPAT_EXTENTS);
}

/* Flags the features do not allow, as e2fsck checks them before it
 * looks at the reserved inodes.
 */
static void
check_flag_features (struct icheck *ic)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  enum fsf_ftype t = fsf_inode_ftype (in->mode);
  bool counts = in->links_count || ic->ino == FSF_BAD_INO
    || ic->ino == FSF_ROOT_INO || ic->ino == FSF_JOURNAL_INO;
  struct fsf_extent_header h;

  if ((in->flags & FSF_CASEFOLD_FL)
      && (t != FSF_FT_DIR || !fsf_has_incompat (sb, FSF_INCOMPAT_CASEFOLD)))
    bad (ic, PR_INODE_CASEFOLD, 0, 0, in->flags);
  if ((in->flags & FSF_EA_INODE_FL) && t != FSF_FT_REG)
    bad (ic, PR_INODE_EA_INODE_NONREG, 0, 0, in->flags);
  /* This version refuses inline_data filesystems: the flag is wrong. */
  if ((in->flags & FSF_INLINE_DATA_FL) && ic->ino >= sb->first_ino
      && !fsf_has_incompat (sb, FSF_INCOMPAT_INLINE_DATA)) {
    bad (ic, PR_INODE_INLINE_DATA, 0, 0, in->flags);
    ic->badmap = true;
  }
  if ((in->flags & FSF_EXTENTS_FL) && !extent_fs (sb) && counts) {
    bad (ic, PR_INODE_EXTENTS_FEATURE, 0, 0, in->flags);
    ic->badmap = true;
  }
  if (extent_fs (sb) && !(in->flags & FSF_EXTENTS_FL) && counts
      && (t == FSF_FT_REG || t == FSF_FT_DIR)
      && fsf_extent_header_decode (in->i_block, FSF_EXTENT_ROOT_SIZE, &h)
         == 0)
    bad (ic, PR_INODE_MISSING_EXTENTS_FL, 0, 0, in->flags);
}

/* Is i_size wrong for what the map holds, as check_blocks judges it?
 * *expect gets the size the map suggests.  A directory's size is whole
 * blocks covering its map (up to s_prealloc_dir_blocks past it); any
 * other file's must reach into its last written block, and stay within
 * what its map can address.
 */
static bool
size_wrong (const struct icheck *ic, const struct scrub_imap *map,
            uint64_t *expect)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  uint64_t size = in->size, bs = sb->block_size;
  uint64_t a = bs / 4;
  uint64_t max_map = (FSF_NDIR_BLOCKS + a + a * a + a * a * a) * bs;
  uint64_t max_ext = ((uint64_t) 1 << (32 + 10 + sb->log_block_size)) - 1;
  bool extents = extent_fs (sb) && (in->flags & FSF_EXTENTS_FL);

  if (fsf_inode_ftype (in->mode) == FSF_FT_DIR) {
    uint64_t nblock = size / bs;

    *expect = map->end * bs;
    return size % bs || nblock > map->end
      || (nblock < map->end
          && map->end - nblock > sb->prealloc_dir_blocks);
  }
  *expect = map->init_end * bs;
  if (map->init_end && size < (map->init_end - 1) * bs
      && !(in->flags & FSF_VERITY_FL))
    return true;
  *expect = extents ? max_ext : max_map;
  return size > *expect;
}

/* e2fsck's check_blocks: xattrs, the map, INDEX_FL, size, i_blocks.
 * ibody: check the in-inode xattrs too (not for reserved inodes).
 */
static int
check_blocks (struct icheck *ic, bool ibody)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  enum fsf_ftype t = fsf_inode_ftype (in->mode);
  struct scrub_imap map;
  uint64_t ea_blocks = 0, owned, expect, raw_blocks, size = in->size;
  bool huge = fsf_has_ro_compat (sb, FSF_RO_COMPAT_HUGE_FILE);
  int r;

  memset (&map, 0, sizeof map);
  r = scrub_inode_xattrs (ic->sc, ic->ino, in, ibody ? ic->raw : NULL,
                          &ea_blocks);
  if (r < 0)
    return r;
  if (scrub_inode_has_map (sb, in) && !ic->badmap) {
    r = scrub_inode_map (ic->sc, ic->ino, in, &map);
    if (r < 0)
      return r;
    if (map.corrupt)
      ic->badmap = true;
  }
  if (t == FSF_FT_SYMLINK && ic->in.links_count) {
    unsigned before = ic->sc->findings;

    r = scrub_inode_symlink (ic->sc, ic->ino, in, &map);
    if (r < 0)
      return r;
    if (ic->sc->findings != before)
      ic->badmap = true;
    else if (in->flags & (FSF_IMMUTABLE_FL | FSF_APPEND_FL))
      chk_set_corrupt (ic->sc, PR_INODE_SPECIAL_FLAGS, ic->group, ic->ino,
                       0, 0, in->flags);
  }

  if (in->flags & FSF_INDEX_FL) {
    if (t != FSF_FT_DIR)
      bad (ic, PR_INODE_HTREE_NODIR, 0, 0, in->flags);
    else if (!fsf_has_compat (sb, FSF_COMPAT_DIR_INDEX))
      bad (ic, PR_INODE_HTREE_FEATURE, 0, 0, in->flags);
  }
  /* e2fsck pass 2 counts these and asks for the feature. */
  if (t == FSF_FT_REG && size >= 0x80000000ULL
      && !fsf_has_ro_compat (sb, FSF_RO_COMPAT_LARGE_FILE))
    bad (ic, PR_INODE_LARGE_FILE, 0, 0, size);
  owned = map.blocks + ea_blocks;
  if (t == FSF_FT_DIR && owned == 0) {
    bad (ic, PR_INODE_ZERO_LENGTH_DIR, 0, 0, 0);
    ic->badmap = true;
  }
  if (ic->badmap)
    return 0;

  /* i_size against the map (symlinks are symlink.c's); an orphan's
   * truncation is the kernel's to finish.
   */
  if (t != FSF_FT_SYMLINK && size_wrong (ic, &map, &expect)
      && !is_orphan (ic))
    bad (ic, PR_INODE_SIZE, 0, expect, size);

  /* i_blocks against what the map and the xattr block own. */
  if (sb->creator_os == OS_HURD)
    return 0;
  raw_blocks = huge ? in->blocks : in->blocks & UINT32_MAX;
  expect = owned;
  if (!(huge && (in->flags & FSF_HUGE_FILE_FL)))
    expect *= sb->block_size / 512;
  if (expect != raw_blocks
      || (huge && (in->flags & FSF_HUGE_FILE_FL) && in->blocks_hi != 0))
    bad (ic, PR_INODE_I_BLOCKS, 0, expect, raw_blocks);
  return 0;
}

/* super.c's check_resize_inode: the only block is the double-indirect
 * one, which names the reserved GDT blocks, each listing its backups.
 */
static int
check_resize (struct icheck *ic)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  uint32_t per = sb->block_size / 4, gdt_off, i, j, ind_off;
  uint64_t blk = fsf_inode_i_block (in, FSF_BLOCKMAP_DIND), pblk;
  const char *why = NULL;
  uint8_t *dind, *ind;
  int r = 0;

  if (!fsf_has_compat (sb, FSF_COMPAT_RESIZE_INODE)) {
    for (i = 0; i < FSF_N_BLOCKS; i++)
      if (fsf_inode_i_block (in, i)) {
        bad (ic, PR_INODE_RESIZE_NOT_CLEAR, 0, 0, 0);
        return 0;
      }
    return 0;
  }
  for (i = 0; i < FSF_N_BLOCKS; i++)
    if (i != FSF_BLOCKMAP_DIND && fsf_inode_i_block (in, i))
      why = "blocks other than the double-indirect one";
  if (!blk || blk < sb->first_data_block || blk >= sb->blocks_count)
    why = "no valid double-indirect block";
  if (!in->links_count || !(in->mode & FSF_S_IFREG))
    why = "not an in-use regular file";
  if (why) {
    struct scrub_finding f = { PR_INODE_RESIZE_INVALID, ic->group, ic->ino,
                               blk, 0, 0, why };

    chk_set (ic->sc, &f);
    return 0;
  }
  dind = malloc ((size_t) sb->block_size * 2);
  if (dind == NULL)
    return -ENOMEM;
  ind = dind + sb->block_size;
  r = fsf_read (&ic->sc->fs->src, dind, sb->block_size,
                blk * sb->block_size);
  gdt_off = fsf_gd_table_blocks (sb);
  pblk = (uint64_t) sb->first_data_block + 1 + gdt_off;
  if (sb->block_size == 1024 && sb->first_data_block == 0)
    pblk++;
  for (i = 0; r == 0 && !why && i < sb->reserved_gdt_blocks / 4U;
       i++, gdt_off++, pblk++) {
    gdt_off %= per;
    if (fsf_le32 (dind + 4 * gdt_off) != pblk) {
      why = "the double-indirect block does not list the reserved GDT";
      break;
    }
    if (pblk >= sb->blocks_count
        || (r = fsf_read (&ic->sc->fs->src, ind, sb->block_size,
                          pblk * sb->block_size)) != 0)
      break;
    ind_off = 0;
    for (j = 1; j < sb->groups_count && ind_off < per; j++) {
      if (!fsf_sb_group_has_super (sb, j))
        continue;
      if (fsf_le32 (ind + 4 * ind_off)
          != (uint32_t) (pblk + (uint64_t) j * sb->blocks_per_group)) {
        why = "a reserved GDT block does not list its backups";
        break;
      }
      ind_off++;
    }
  }
  free (dind);
  if (r < 0)
    return r;
  if (why) {
    struct scrub_finding f = { PR_INODE_RESIZE_INVALID, ic->group, ic->ino,
                               blk, 0, 0, why };

    chk_set (ic->sc, &f);
  }
  return 0;
}

static int
note_used (struct icheck *ic)
{
  int r = scrub_note_inode (ic->sc, ic->ino, ic->in.mode,
                            ic->in.links_count);

  if (r == 0 && ic->badmap)
    scrub_note_badmap (ic->sc, ic->ino);
  return r;
}

/* The bad blocks inode (1): nothing but a list of blocks. */
static int
check_bad_blocks_inode (struct icheck *ic)
{
  const struct fsf_inode *in = &ic->in;
  struct scrub_imap map;
  bool csum_bad = fsf_has_metadata_csum (ic->sb)
    && !fsf_inode_csum_verify (ic->sb, ic->ino, ic->raw);
  unsigned i;
  int r;

  if (csum_bad || in->mode || (in->uid & 0xffff) || (in->gid & 0xffff)
      || in->links_count || (in->flags & FSF_INLINE_DATA_FL)
      || fsf_le32 (ic->raw + 0x68))    /* i_file_acl_lo, as e2fsck reads */
    bad (ic, PR_INODE_BAD_BLOCKS_INODE, 0, 0, 0);
  /* An empty list: libext2fs iterates no blocks, whatever the flags. */
  for (i = 0; i < FSF_N_BLOCKS; i++)
    if (fsf_inode_i_block (in, i))
      break;
  if (i < FSF_N_BLOCKS) {
    r = scrub_inode_map (ic->sc, ic->ino, in, &map);
    if (r < 0)
      return r;
  }
  return scrub_note_inode (ic->sc, ic->ino, in->mode, in->links_count);
}

/* Reserved inodes other than the root: their own rules, then
 * check_blocks.  Returns 1 when the inode is done with, 0 when it goes
 * on as an ordinary inode (e2fsck does that with a journal or quota
 * inode number the features do not use), or -errno.
 */
static int
check_reserved (struct icheck *ic)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  uint32_t ino = ic->ino;
  bool holds = in->links_count || (in->blocks & UINT32_MAX)
    || fsf_inode_i_block (in, 0);
  bool reg = (in->mode & FSF_S_IFMT) == FSF_S_IFREG;
  int r;

  if (ino == FSF_JOURNAL_INO) {
    if (sb->journal_inum == FSF_JOURNAL_INO) {
      if (!reg)
        bad (ic, PR_INODE_RESERVED_MODE, 0, 0, in->mode);
      r = check_blocks (ic, false);
      return r < 0 ? r : 1;
    }
    if (holds)
      bad (ic, PR_INODE_RESERVED_NOT_CLEAR, 0, 0, 0);
    return 0;
  }
  if (ino == USR_QUOTA_INO || ino == GRP_QUOTA_INO) {
    /* This version refuses quota filesystems: these must be clear. */
    if (holds)
      bad (ic, PR_INODE_RESERVED_NOT_CLEAR, 0, 0, 0);
    return 0;
  }
  if (sb->orphan_file_inum && ino == sb->orphan_file_inum) {
    if (fsf_has_compat (sb, FSF_COMPAT_ORPHAN_FILE)) {
      if (!reg)
        bad (ic, PR_INODE_RESERVED_MODE, 0, 0, in->mode);
      r = check_blocks (ic, false);
      return r < 0 ? r : 1;
    }
    if (holds)
      bad (ic, PR_INODE_RESERVED_NOT_CLEAR, 0, 0, 0);
    return 0;
  }
  if (ino >= sb->first_ino)
    return 0;
  if ((ino == BOOT_LOADER_INO && (in->mode & FSF_S_IFMT) == FSF_S_IFDIR)
      || (ino == FSF_RESIZE_INO && in->mode && !reg)
      || (ino != BOOT_LOADER_INO && ino != FSF_RESIZE_INO && in->mode))
    bad (ic, PR_INODE_RESERVED_MODE, 0, 0, in->mode);
  if (ino == FSF_RESIZE_INO && (r = check_resize (ic)) < 0)
    return r;
  r = check_blocks (ic, false);
  return r < 0 ? r : 1;
}

/* Fields e2fsck pass 1 marks bad and pass 2 then reports. */
static void
check_fields (struct icheck *ic)
{
  const struct fsf_sb *sb = ic->sb;
  const struct fsf_inode *in = &ic->in;
  const uint8_t *raw = ic->raw;
  enum fsf_ftype t = fsf_inode_ftype (in->mode);

  if (in->faddr)
    bad (ic, PR_INODE_FADDR, 0, 0, in->faddr);
  if (t == FSF_FT_DIR && (in->size >> 32)
      && !fsf_has_incompat (sb, FSF_INCOMPAT_LARGEDIR)
      && (in->blocks & UINT32_MAX)
         < (uint64_t) 1 << (29 - 10 - sb->log_block_size))
    bad (ic, PR_INODE_DIR_SIZE_HIGH, 0, 0, in->size >> 32);
  if (sb->creator_os != OS_HURD) {
    uint16_t acl_hi = fsf_le16 (raw + 0x76), blocks_hi = fsf_le16 (raw + 0x74);

    if (!fsf_has_incompat (sb, FSF_INCOMPAT_64BIT) && acl_hi)
      bad (ic, PR_INODE_FILE_ACL_HI, 0, 0, acl_hi);
    if (!fsf_has_ro_compat (sb, FSF_RO_COMPAT_HUGE_FILE) && blocks_hi)
      bad (ic, PR_INODE_BLOCKS_HI, 0, 0, blocks_hi);
  }
  if ((in->flags & IMAGIC_FL)
      && !fsf_has_compat (sb, FSF_COMPAT_IMAGIC_INODES))
    bad (ic, PR_INODE_IMAGIC, 0, 0, in->flags);
}

/* i_extra_isize and the extra times; false when the in-inode xattrs
 * cannot be looked at.
 */
static bool
check_extra (struct icheck *ic)
{
  const struct fsf_sb *sb = ic->sb;
  const uint8_t *raw = ic->raw;
  uint32_t max = sb->inode_size - FSF_INODE_BASE_SIZE;
  uint16_t extra;
  static const unsigned times[][2] = {   /* xtime, its _extra */
    { 0x08, 0x8c }, { 0x0c, 0x84 }, { 0x90, 0x94 }, { 0x10, 0x88 },
  };
  unsigned i;

  if (sb->inode_size <= FSF_INODE_BASE_SIZE)
    return false;
  extra = fsf_le16 (raw + 0x80);
  if (extra && (extra < 4 || extra > max || (extra & 3))) {
    bad (ic, PR_INODE_EXTRA_ISIZE, 0, 0, extra);
    return false;
  }
  for (i = 0; i < sizeof times / sizeof times[0]; i++) {
    if (times[i][1] + 4 > FSF_INODE_BASE_SIZE + (unsigned) extra)
      continue;
    if ((fsf_le32 (raw + times[i][0]) & 0x80000000U)
        && (fsf_le32 (raw + times[i][1]) & EPOCH_MASK) == EPOCH_MASK) {
      chk_set_corrupt (ic->sc, PR_INODE_TIME_EPOCH, ic->group, ic->ino, 0,
                       0, 0);
      break;
    }
  }
  return true;
}

/* Device, fifo and socket inodes: e2fsck_pass1_check_device_inode. */
static bool
special_ok (const struct fsf_inode *in)
{
  unsigned i;

  if (in->flags & (FSF_INDEX_FL | FSF_EXTENTS_FL))
    return false;
  if (in->flags & (FSF_IMMUTABLE_FL | FSF_APPEND_FL))
    for (i = 4; i < FSF_N_BLOCKS; i++)
      if (fsf_inode_i_block (in, i))
        return false;
  return true;
}

static void
check_type (struct icheck *ic)
{
  const struct fsf_inode *in = &ic->in;

  switch (fsf_inode_ftype (in->mode)) {
  case FSF_FT_DIR:
  case FSF_FT_REG:
  case FSF_FT_SYMLINK:
    break;
  case FSF_FT_CHR:
  case FSF_FT_BLK:
  case FSF_FT_FIFO:
  case FSF_FT_SOCK:
    if (!special_ok (in)) {
      bad (ic, PR_INODE_BAD_SPECIAL, 0, 0, in->flags);
      ic->badmap = true;
      break;
    }
    /* e2fsck -n leaves these flags (PR_NO_OK): PREEN. */
    if (in->flags & (FSF_INLINE_DATA_FL | FSF_IMMUTABLE_FL | FSF_APPEND_FL))
      chk_set_corrupt (ic->sc, PR_INODE_SPECIAL_FLAGS, ic->group, ic->ino,
                       0, 0, in->flags);
    if (in->size)
      bad (ic, PR_INODE_SPECIAL_SIZE, 0, 0, in->size);
    break;
  default:
    bad (ic, PR_INODE_BAD_MODE, 0, 0, in->mode);
    ic->badmap = true;
    break;
  }
}

/* An orphan unlinked while open: not in use for e2fsck -n, but still
 * allocated until the kernel (or e2fsck without -n) releases it, and
 * the bitmaps say so.  Its map and xattr block are walked and owned, it
 * is noted in use with no links; nothing else of it is judged.
 */
static int
check_unlinked_orphan (struct icheck *ic)
{
  struct scrub_imap map;
  uint64_t ea_blocks;
  int r;

  check_csum (ic);
  r = scrub_inode_xattrs (ic->sc, ic->ino, &ic->in, NULL, &ea_blocks);
  if (r >= 0 && scrub_inode_has_map (ic->sb, &ic->in)
      && !((ic->in.flags & FSF_EXTENTS_FL) && !extent_fs (ic->sb)))
    r = scrub_inode_map (ic->sc, ic->ino, &ic->in, &map);
  if (r < 0)
    return r;
  return scrub_note_inode (ic->sc, ic->ino, ic->in.mode, 0);
}

int
scrub_inode_check (struct scrub_ctx *sc, uint32_t ino, const uint8_t *raw)
{
  struct icheck ic;
  bool ibody;
  int r;

  memset (&ic, 0, sizeof ic);
  ic.orphan = -1;
  ic.sc = sc;
  ic.sb = &sc->fs->sb;
  ic.ino = ino;
  ic.raw = raw;
  fsf_group_of_inode (ic.sb, ino, &ic.group);

  /* Never used since the table was zeroed: nothing to look at. */
  if (ino >= ic.sb->first_ino && fsf_le16 (raw + 0x1a) == 0
      && base_is_zero (raw))
    return 0;
  r = fsf_inode_decode (raw, ic.sb->inode_size, ic.sb, &ic.in);
  if (r < 0 || r == FSF_BAD_TRUNCATED)
    return r < 0 ? r : -EIO;

  check_low_dtime (&ic);
  if (ic.in.links_count == 0 && ino >= ic.sb->first_ino) {
    if (ic.in.mode && (ic.in.dtime == 0 || ic.in.dtime < ic.sb->inodes_count)
        && is_orphan (&ic))
      return check_unlinked_orphan (&ic);
    if (!ic.in.dtime && ic.in.mode)
      bad (&ic, PR_INODE_ZERO_DTIME, 0, 0, 0);
    check_csum (&ic);
    return 0;
  }
  check_csum (&ic);
  check_flag_features (&ic);

  if (ino == FSF_BAD_INO)
    return check_bad_blocks_inode (&ic);
  if (ino == FSF_ROOT_INO
      && fsf_inode_ftype (ic.in.mode) != FSF_FT_DIR) {
    bad (&ic, PR_INODE_ROOT_NOT_DIR, 0, 0, ic.in.mode);
    ic.badmap = true;
  }
  if (ino != FSF_ROOT_INO) {
    r = check_reserved (&ic);
    if (r < 0)
      return r;
    if (r == 1)
      return note_used (&ic);
  }
  if (ic.in.links_count == 0) {
    /* The root or a journal or quota inode number with no links:
     * reserved numbers are in use all the same, the root is not.
     */
    if (ino != FSF_ROOT_INO)
      return scrub_note_inode (sc, ino, ic.in.mode, 0);
    return 0;
  }

  /* An orphan's dtime links the orphan list. */
  if (ic.in.dtime && !ic.dtime_done
      && !(ic.in.dtime < ic.sb->inodes_count && is_orphan (&ic)))
    bad (&ic, PR_INODE_SET_DTIME, 0, 0, ic.in.dtime);
  check_fields (&ic);
  ibody = check_extra (&ic);
  if (extent_fs (ic.sb) && (ic.in.flags & FSF_EXTENTS_FL)
      && fsf_inode_ftype (ic.in.mode) == FSF_FT_SYMLINK
      && !scrub_inode_has_map (ic.sb, &ic.in)
      && !scrub_is_fast_symlink (&ic.in)) {
    bad (&ic, PR_SYMLINK_FLAGS, 0, 0, ic.in.flags);
    ic.badmap = true;
  }
  /* e2fsck looks for the encryption context such an inode must have;
   * this version refuses encrypt filesystems, so none can be valid.
   */
  if ((ic.in.flags & ENCRYPT_FL)
      && !fsf_has_incompat (ic.sb, FSF_INCOMPAT_ENCRYPT))
    bad (&ic, PR_INODE_ENCRYPT, 0, 0, ic.in.flags);
  check_type (&ic);
  r = check_blocks (&ic, ibody);
  if (r < 0)
    return r;
  return note_used (&ic);
}

/* --- the scrubber ------------------------------------------------------ */

static int
scrub_inode (struct scrub_ctx *sc)
{
  struct fsf_inode inode;
  uint8_t *raw;
  int r;

  if (sc->inode_raw)
    return scrub_inode_check (sc, sc->req.ino, sc->inode_raw);
  raw = malloc (sc->fs->sb.inode_size);
  if (raw == NULL)
    return -ENOMEM;
  r = fsf_fs_read_inode (sc->fs, sc->req.ino, &inode, raw);
  if (r == 0 || r == FSF_BAD_FIELD)
    r = scrub_inode_check (sc, sc->req.ino, raw);
  else if (r > 0)
    r = 0;                      /* its table is the gdt scrubber's */
  free (raw);
  return r;
}

const struct scrub_ops scrub_inode_ops = {
  .scope = SCRUB_SCOPE_INODE,
  .scrub = scrub_inode,
};
