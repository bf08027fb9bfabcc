/* nbdscrub: an inode's extended attributes (SCRUB_TYPE_XATTR), in the
 * inode body and in its xattr block, as e2fsck pass 1 checks them
 * (check_ea_in_inode, check_ext_attr).
 *
 * In the inode: the entries and values inside the body (fsformat's
 * walker), and each entry's hash where it is not 0 (old kernels left
 * it 0 there).  The block: inside the filesystem and only with the
 * ext_attr feature, its magic, h_blocks 1, its checksum, its entries,
 * a name index on each and every entry's hash (e2fsck checks e_hash in
 * a block, never h_hash).  The block is claimed with the pass however
 * it looks, as e2fsck -n does, so that its sharers are counted against
 * h_refcount (PR_XATTR_REFCOUNT, at the end of the inode phase).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "pass.h"
#include "xattr.h"

/* An entry's hash against what it should be: the name and the value as
 * unsigned, or (old kernels) signed chars.
 */
static bool
hash_ok (const struct fsf_xattr_entry *e)
{
  return e->hash == fsf_xattr_entry_hash (e)
    || e->hash == fsf_xattr_entry_hash_signed (e);
}

/* What block_entry returns to stop the walk (above every enum fsf_bad). */
#define EA_STOP 0x100

struct ea_walk {
  struct scrub_ctx *sc;
  uint32_t ino, group;
  uint64_t blk;
  bool bad;
};

static int
ibody_entry (const struct fsf_xattr_entry *e, void *opaque)
{
  struct ea_walk *w = opaque;

  /* e_hash may be 0 in older inodes' attributes. */
  if (e->value_inum == 0 && e->hash != 0 && !hash_ok (e)) {
    chk_set_corrupt (w->sc, PR_XATTR_IBODY_HASH, w->group, w->ino, 0,
                     fsf_xattr_entry_hash (e), e->hash);
    w->bad = true;
  }
  return 0;
}

static int
block_entry (const struct fsf_xattr_entry *e, void *opaque)
{
  struct ea_walk *w = opaque;

  if (e->name_index == 0) {
    chk_set_corrupt (w->sc, PR_XATTR_BLOCK_NAME, w->group, w->ino, w->blk,
                     0, 0);
    w->bad = true;
    return EA_STOP;
  }
  if (e->value_inum == 0 && !hash_ok (e)) {
    chk_set_corrupt (w->sc, PR_XATTR_BLOCK_HASH, w->group, w->ino, w->blk,
                     fsf_xattr_entry_hash (e), e->hash);
    w->bad = true;
  }
  return 0;
}

/* The attributes in the inode body, when i_extra_isize leaves room. */
static void
check_ibody (struct scrub_ctx *sc, struct ea_walk *w,
             const struct fsf_xattr_fmt *fmt, const uint8_t *raw)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  int r;

  if (sb->inode_size <= FSF_INODE_BASE_SIZE)
    return;
  r = fsf_xattr_ibody_iterate (raw, sb->inode_size, fmt, ibody_entry, w);
  if (r > 0 && !w->bad)
    chk_set_corrupt (sc, PR_XATTR_IBODY, w->group, w->ino, 0, 0,
                     (uint64_t) r);
}

/* The xattr block blk, read into buf. */
static int
check_block (struct scrub_ctx *sc, struct ea_walk *w,
             const struct fsf_xattr_fmt *fmt, uint64_t blk, uint8_t *buf)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct fsf_xattr_header h;
  uint32_t csum = 0;
  int r;

  r = fsf_read (&sc->fs->src, buf, sb->block_size, blk * sb->block_size);
  if (r < 0)
    return r;
  w->blk = blk;
  fsf_xattr_header_decode (buf, sb->block_size, &h);
  if (h.magic != FSF_XATTR_MAGIC) {
    chk_set_corrupt (sc, PR_XATTR_BLOCK_MAGIC, w->group, w->ino, blk,
                     FSF_XATTR_MAGIC, h.magic);
    return scrub_claim_xattr_block (sc, w->ino, blk, h.refcount);
  }
  if (h.blocks != 1)
    chk_set_corrupt (sc, PR_XATTR_BLOCK_HBLOCKS, w->group, w->ino, blk, 1,
                     h.blocks);
  if (fsf_has_metadata_csum (sb)
      && !fsf_xattr_block_csum_verify (fmt, blk, buf, sb->block_size)) {
    fsf_xattr_block_csum (fmt, blk, buf, sb->block_size, &csum);
    chk_set_corrupt (sc, PR_XATTR_BLOCK_CSUM, w->group, w->ino, blk, csum,
                     h.checksum);
  }
  /* A zero h_refcount is the refcount cross-reference's finding; the
   * walker refuses such a header, so the entries wait for it.
   */
  if (h.blocks == 1 && h.refcount != 0) {
    r = fsf_xattr_block_iterate (buf, sb->block_size, fmt, block_entry, w);
    if (r > 0 && r != EA_STOP && !w->bad)
      chk_set_corrupt (sc, PR_XATTR_BLOCK_ENTRY, w->group, w->ino, blk, 0,
                       (uint64_t) r);
  }
  return scrub_claim_xattr_block (sc, w->ino, blk, h.refcount);
}

int
scrub_inode_xattrs (struct scrub_ctx *sc, uint32_t ino,
                    const struct fsf_inode *inode, const uint8_t *raw,
                    uint64_t *blocks)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct fsf_xattr_fmt fmt;
  struct ea_walk w = { sc, ino, 0, 0, false };
  /* The high half counts only with 64bit (ext2fs_file_acl_block). */
  uint64_t blk = fsf_has_incompat (&sc->fs->sb, FSF_INCOMPAT_64BIT)
    ? inode->file_acl : inode->file_acl & UINT32_MAX;
  uint8_t small[4096], *buf;
  int r;

  *blocks = 0;
  fsf_group_of_inode (sb, ino, &w.group);
  fsf_xattr_fmt_init (&fmt, sb);
  if (raw)
    check_ibody (sc, &w, &fmt, raw);
  if (blk == 0)
    return 0;
  /* e2fsck pass 2 clears such an i_file_acl (FILE_ACL_ZERO, _BAD) of
   * an inode a directory names; reserved inodes other than the root
   * are named by none, so their i_file_acl goes unread.
   */
  if (ino < sb->first_ino && ino != FSF_ROOT_INO
      && (!fsf_has_compat (sb, FSF_COMPAT_EXT_ATTR)
          || blk < sb->first_data_block || blk >= sb->blocks_count))
    return 0;
  if (!fsf_has_compat (sb, FSF_COMPAT_EXT_ATTR)) {
    chk_set_corrupt (sc, PR_XATTR_BLOCK_NO_FEATURE, w.group, ino, blk, 0,
                     0);
    return 0;
  }
  if (blk < sb->first_data_block || blk >= sb->blocks_count) {
    chk_set_corrupt (sc, PR_XATTR_BLOCK_RANGE, w.group, ino, blk, 0, 0);
    return 0;
  }
  /* Most blocks fit the stack; no allocation per inode for them. */
  buf = sb->block_size <= sizeof small ? small : malloc (sb->block_size);
  if (buf == NULL)
    return -ENOMEM;
  w.bad = false;
  r = check_block (sc, &w, &fmt, blk, buf);
  if (buf != small)
    free (buf);
  if (r < 0)
    return r;
  *blocks = 1;
  return 0;
}

/* --- the standalone scrubber --------------------------------------------- */

static int
scrub_xattr (struct scrub_ctx *sc)
{
  const struct fsf_sb *sb = &sc->fs->sb;
  struct fsf_inode inode;
  uint64_t blocks;
  uint8_t *raw;
  int r;

  raw = malloc (sb->inode_size);
  if (raw == NULL)
    return -ENOMEM;
  r = fsf_fs_read_inode (sc->fs, sc->req.ino, &inode, raw);
  if (r == 0 && (inode.links_count || sc->req.ino < sb->first_ino))
    r = scrub_inode_xattrs (sc, sc->req.ino, &inode, raw, &blocks);
  free (raw);
  return r < 0 ? r : 0;
}

const struct scrub_ops scrub_xattr_ops = {
  .scope = SCRUB_SCOPE_INODE,
  .has = NULL,
  .scrub = scrub_xattr,
};
