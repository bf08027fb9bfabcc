/* nbdscrub dump: print what fsformat decodes (SPEC section 9).
 *
 *   nbdscrub dump IMAGE [--json] [--no-replay] [--groups] [--inode N]
 *                       [--journal]
 *
 * The superblock, like "dumpe2fs -h"; --json prints one JSON document
 * whose keys are e2fsprogs' field names in snake case.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "fsf.h"
#include "blockmap.h"
#include "dir.h"
#include "dirmap.h"
#include "extent.h"
#include "fs.h"
#include "journal.h"
#include "orphan.h"
#include "super.h"

struct dump_opts {
  const char *image;
  bool json;
  bool no_replay;
  bool groups;
  bool journal;
  uint32_t inode;             /* 0: none */
};

static void
format_uuid (const uint8_t *u, char *out)
{
  sprintf (out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
           u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static const char *
state_name (uint16_t state)
{
  if (state & FSF_STATE_ERROR)
    return (state & FSF_STATE_VALID) ? "clean with errors"
      : "not clean with errors";
  return (state & FSF_STATE_VALID) ? "clean" : "not clean";
}

static const char *
errors_name (uint16_t e)
{
  switch (e) {
  case 1: return "Continue";
  case 2: return "Remount read-only";
  case 3: return "Panic";
  }
  return "Unknown (continue)";
}

static json_t *
features_json (const struct fsf_sb *sb)
{
  char buf[1024], *save = NULL, *w;
  json_t *a = json_array ();

  fsf_sb_features (sb, buf, sizeof buf);
  for (w = strtok_r (buf, " ", &save); w; w = strtok_r (NULL, " ", &save))
    json_array_append_new (a, json_string (w));
  return a;
}

static json_t *
sb_json (const struct fsf_sb *sb, bool csum_ok)
{
  char uuid[37];
  json_t *o;

  format_uuid (sb->uuid, uuid);
  o = json_object ();
  json_object_set_new (o, "volume_name", json_string (sb->volume_name));
  json_object_set_new (o, "last_mounted", json_string (sb->last_mounted));
  json_object_set_new (o, "uuid", json_string (uuid));
  json_object_set_new (o, "magic", json_integer (sb->magic));
  json_object_set_new (o, "rev_level", json_integer (sb->rev_level));
  json_object_set_new (o, "features", features_json (sb));
  json_object_set_new (o, "state", json_string (state_name (sb->state)));
  json_object_set_new (o, "errors", json_integer (sb->errors));
  json_object_set_new (o, "inodes_count", json_integer (sb->inodes_count));
  json_object_set_new (o, "blocks_count",
                       json_integer ((json_int_t) sb->blocks_count));
  json_object_set_new (o, "r_blocks_count",
                       json_integer ((json_int_t) sb->r_blocks_count));
  json_object_set_new (o, "free_blocks_count",
                       json_integer ((json_int_t) sb->free_blocks_count));
  json_object_set_new (o, "free_inodes_count",
                       json_integer (sb->free_inodes_count));
  json_object_set_new (o, "first_data_block",
                       json_integer (sb->first_data_block));
  json_object_set_new (o, "block_size", json_integer (sb->block_size));
  json_object_set_new (o, "blocks_per_group",
                       json_integer (sb->blocks_per_group));
  json_object_set_new (o, "inodes_per_group",
                       json_integer (sb->inodes_per_group));
  json_object_set_new (o, "inode_size", json_integer (sb->inode_size));
  json_object_set_new (o, "first_ino", json_integer (sb->first_ino));
  json_object_set_new (o, "desc_size", json_integer (sb->desc_size));
  json_object_set_new (o, "groups_count", json_integer (sb->groups_count));
  json_object_set_new (o, "reserved_gdt_blocks",
                       json_integer (sb->reserved_gdt_blocks));
  json_object_set_new (o, "log_groups_per_flex",
                       json_integer (sb->log_groups_per_flex));
  json_object_set_new (o, "journal_inum", json_integer (sb->journal_inum));
  json_object_set_new (o, "last_orphan", json_integer (sb->last_orphan));
  json_object_set_new (o, "def_hash_version",
                       json_integer (sb->def_hash_version));
  json_object_set_new (o, "mnt_count", json_integer (sb->mnt_count));
  json_object_set_new (o, "max_mnt_count", json_integer (sb->max_mnt_count));
  json_object_set_new (o, "mkfs_time",
                       json_integer ((json_int_t) sb->mkfs_time));
  json_object_set_new (o, "mtime", json_integer ((json_int_t) sb->mtime));
  json_object_set_new (o, "wtime", json_integer ((json_int_t) sb->wtime));
  json_object_set_new (o, "min_extra_isize",
                       json_integer (sb->min_extra_isize));
  json_object_set_new (o, "want_extra_isize",
                       json_integer (sb->want_extra_isize));
  json_object_set_new (o, "checksum_type", json_integer (sb->checksum_type));
  json_object_set_new (o, "checksum", json_integer (sb->checksum));
  json_object_set_new (o, "checksum_ok", json_boolean (csum_ok));
  return o;
}

/* The same fields, spelt as dumpe2fs -h does. */
static void
sb_print (const struct fsf_sb *sb, bool csum_ok)
{
  char uuid[37], feat[1024];

  format_uuid (sb->uuid, uuid);
  fsf_sb_features (sb, feat, sizeof feat);
  printf ("Filesystem volume name:   %s\n",
          sb->volume_name[0] ? sb->volume_name : "<none>");
  printf ("Last mounted on:          %s\n",
          sb->last_mounted[0] ? sb->last_mounted : "<not available>");
  printf ("Filesystem UUID:          %s\n", uuid);
  printf ("Filesystem magic number:  0x%04X\n", sb->magic);
  printf ("Filesystem revision #:    %" PRIu32 " (%s)\n", sb->rev_level,
          sb->rev_level ? "dynamic" : "original");
  printf ("Filesystem features:      %s\n", feat);
  printf ("Filesystem state:         %s\n", state_name (sb->state));
  printf ("Errors behavior:          %s\n", errors_name (sb->errors));
  printf ("Inode count:              %" PRIu32 "\n", sb->inodes_count);
  printf ("Block count:              %" PRIu64 "\n", sb->blocks_count);
  printf ("Reserved block count:     %" PRIu64 "\n", sb->r_blocks_count);
  printf ("Free blocks:              %" PRIu64 "\n", sb->free_blocks_count);
  printf ("Free inodes:              %" PRIu32 "\n", sb->free_inodes_count);
  printf ("First block:              %" PRIu32 "\n", sb->first_data_block);
  printf ("Block size:               %" PRIu32 "\n", sb->block_size);
  printf ("Group descriptor size:    %" PRIu32 "\n", sb->desc_size);
  printf ("Reserved GDT blocks:      %u\n", sb->reserved_gdt_blocks);
  printf ("Blocks per group:         %" PRIu32 "\n", sb->blocks_per_group);
  printf ("Inodes per group:         %" PRIu32 "\n", sb->inodes_per_group);
  printf ("Block groups:             %" PRIu32 "\n", sb->groups_count);
  printf ("Flex block group size:    %u\n",
          1U << (sb->log_groups_per_flex & 31));
  printf ("Inode size:               %u\n", sb->inode_size);
  printf ("First inode:              %" PRIu32 "\n", sb->first_ino);
  printf ("Journal inode:            %" PRIu32 "\n", sb->journal_inum);
  printf ("First orphan inode:       %" PRIu32 "\n", sb->last_orphan);
  if (fsf_has_metadata_csum (sb))
    printf ("Checksum:                 0x%08" PRIx32 " (%s)\n", sb->checksum,
            csum_ok ? "ok" : "BAD");
}

/* Orphans: the s_last_orphan list and the orphan file, at most
 * DUMP_MAX_ORPHANS of them listed.
 */
#define DUMP_MAX_ORPHANS 65536

struct orphans {
  json_t *a;
  json_t *bad;
};

static int
add_orphan (void *opaque, uint32_t ino)
{
  struct orphans *o = opaque;

  if (json_array_size (o->a) < DUMP_MAX_ORPHANS)
    json_array_append_new (o->a, json_integer (ino));
  return 0;
}

static int
bad_orphan_block (void *opaque, uint32_t logical, int why)
{
  struct orphans *o = opaque;
  char msg[96];

  snprintf (msg, sizeof msg, "orphan file block %" PRIu32 ": %s", logical,
            fsf_bad_name (why));
  json_array_append_new (o->bad, json_string (msg));
  return 0;
}

static json_t *
orphans_json (const struct fsf_fs *fs)
{
  struct orphans o = { json_array (), json_array () };
  json_t *obj = json_object ();
  int r;

  r = fsf_orphan_list_walk (fs, add_orphan, &o);
  if (r != 0)
    json_array_append_new (o.bad, json_string (r < 0 ? strerror (-r)
                                               : fsf_bad_name (r)));
  if (fsf_has_compat (&fs->sb, FSF_COMPAT_ORPHAN_FILE)
      && fs->sb.orphan_file_inum) {
    r = fsf_orphan_file_walk (fs, add_orphan, bad_orphan_block, &o);
    if (r != 0)
      json_array_append_new (o.bad, json_string (r < 0 ? strerror (-r)
                                                 : fsf_bad_name (r)));
  }
  json_object_set_new (obj, "inodes", o.a);
  json_object_set_new (obj, "errors", o.bad);
  return obj;
}

static void
orphans_print (const struct fsf_fs *fs)
{
  json_t *o = orphans_json (fs), *a = json_object_get (o, "inodes"),
    *bad = json_object_get (o, "errors");
  size_t i;

  printf ("Orphan inodes:           ");
  for (i = 0; i < json_array_size (a); i++)
    printf (" %" JSON_INTEGER_FORMAT, json_integer_value (json_array_get (a, i)));
  printf ("%s\n", json_array_size (a) ? "" : " none");
  for (i = 0; i < json_array_size (bad); i++)
    printf ("Orphans:                  %s\n",
            json_string_value (json_array_get (bad, i)));
  json_decref (o);
}

/* --groups: one row per group descriptor. */
static int
dump_groups (const struct fsf_fs *fs, json_t *doc)
{
  const struct fsf_sb *sb = &fs->sb;
  uint8_t raw[FSF_MAX_DESC_SIZE];
  json_t *a = json_array ();
  uint32_t g;

  for (g = 0; g < sb->groups_count; g++) {
    struct fsf_gd gd;
    uint64_t first = fsf_sb_group_first_block (sb, g);
    bool ok;
    int r = fsf_fs_read_gd (fs, g, &gd, raw);

    if (r != 0) {
      cli_error ("group %" PRIu32 ": %s", g,
                 r < 0 ? strerror (-r) : fsf_bad_name (r));
      json_decref (a);
      return -1;
    }
    ok = fsf_gd_csum_verify (raw, sb, g);
    if (doc) {
      json_t *o = json_object ();

      json_object_set_new (o, "group", json_integer (g));
      json_object_set_new (o, "first_block", json_integer ((json_int_t) first));
      json_object_set_new (o, "block_bitmap",
                           json_integer ((json_int_t) gd.block_bitmap));
      json_object_set_new (o, "inode_bitmap",
                           json_integer ((json_int_t) gd.inode_bitmap));
      json_object_set_new (o, "inode_table",
                           json_integer ((json_int_t) gd.inode_table));
      json_object_set_new (o, "free_blocks_count",
                           json_integer (gd.free_blocks_count));
      json_object_set_new (o, "free_inodes_count",
                           json_integer (gd.free_inodes_count));
      json_object_set_new (o, "used_dirs_count",
                           json_integer (gd.used_dirs_count));
      json_object_set_new (o, "itable_unused",
                           json_integer (gd.itable_unused));
      json_object_set_new (o, "flags", json_integer (gd.flags));
      json_object_set_new (o, "checksum", json_integer (gd.checksum));
      json_object_set_new (o, "checksum_ok", json_boolean (ok));
      json_array_append_new (a, o);
    }
    else
      printf ("Group %" PRIu32 ": (Blocks %" PRIu64 "-%" PRIu64 ") csum "
              "0x%04" PRIx32 "%s%s%s%s\n"
              "  Block bitmap at %" PRIu64 ", Inode bitmap at %" PRIu64
              ", Inode table at %" PRIu64 "\n"
              "  %" PRIu32 " free blocks, %" PRIu32 " free inodes, %" PRIu32
              " directories, %" PRIu32 " unused inodes\n",
              g, first, first + fsf_sb_group_blocks (sb, g) - 1,
              gd.checksum, ok ? "" : " (BAD)",
              gd.flags & FSF_BG_INODE_UNINIT ? " [INODE_UNINIT]" : "",
              gd.flags & FSF_BG_BLOCK_UNINIT ? " [BLOCK_UNINIT]" : "",
              gd.flags & FSF_BG_ITABLE_ZEROED ? " [ITABLE_ZEROED]" : "",
              gd.block_bitmap, gd.inode_bitmap, gd.inode_table,
              gd.free_blocks_count, gd.free_inodes_count,
              gd.used_dirs_count, gd.itable_unused);
  }
  if (doc)
    json_object_set_new (doc, "groups", a);
  else
    json_decref (a);
  return 0;
}

/* Collect an inode's mapping as runs (logical, physical, length). */
struct runs {
  json_t *a;
  uint64_t count;
};

static void
add_run (struct runs *r, uint64_t logical, uint64_t physical, uint64_t len,
         bool unwritten)
{
  json_t *o;
  size_t n = json_array_size (r->a);

  /* Join a run that continues the last one (indirect maps). */
  if (n > 0 && !unwritten) {
    json_t *last = json_array_get (r->a, n - 1);
    uint64_t l = json_integer_value (json_object_get (last, "logical"));
    uint64_t p = json_integer_value (json_object_get (last, "physical"));
    uint64_t k = json_integer_value (json_object_get (last, "length"));

    if (!json_is_true (json_object_get (last, "unwritten"))
        && l + k == logical && p + k == physical) {
      json_object_set_new (last, "length", json_integer ((json_int_t) (k + len)));
      r->count += len;
      return;
    }
  }
  o = json_object ();
  json_object_set_new (o, "logical", json_integer ((json_int_t) logical));
  json_object_set_new (o, "physical", json_integer ((json_int_t) physical));
  json_object_set_new (o, "length", json_integer ((json_int_t) len));
  json_object_set_new (o, "unwritten", json_boolean (unwritten));
  json_array_append_new (r->a, o);
  r->count += len;
}

static int
run_extent (void *opaque, const struct fsf_extent *ex)
{
  add_run (opaque, ex->block, ex->start, ex->len, ex->unwritten);
  return 0;
}

static int
run_block (void *opaque, uint32_t logical, uint64_t physical)
{
  add_run (opaque, logical, physical, 1, false);
  return 0;
}

/* A name as JSON: as it is when it is UTF-8, else with \xNN for every
 * byte outside printable ASCII (names are bytes, not text).
 */
static json_t *
name_json (const uint8_t *name, size_t len)
{
  char esc[4 * 255 + 1], *q = esc;
  json_t *j = json_stringn ((const char *) name, len);
  size_t i;

  if (j)
    return j;
  for (i = 0; i < len && i < 255; i++) {
    if (name[i] >= 0x20 && name[i] < 0x7f)
      *q++ = name[i];
    else
      q += sprintf (q, "\\x%02x", name[i]);
  }
  *q = '\0';
  return json_string (esc);
}

/* Directory entries of one block, live ones only. */
struct dirlist {
  json_t *a;
};

static int
add_dirent (const struct fsf_dirent *de, void *opaque)
{
  struct dirlist *l = opaque;
  json_t *o;

  if (de->inode == 0)
    return 0;
  o = json_object ();
  json_object_set_new (o, "inode", json_integer (de->inode));
  json_object_set_new (o, "name", name_json (de->name, de->name_len));
  json_object_set_new (o, "file_type", json_integer (de->file_type));
  json_array_append_new (l->a, o);
  return 0;
}

/* htree: mark the index blocks (root, and up to two levels of nodes) so
 * they are not read as leaves, and list the root's "." and "..".
 */
static void
mark_dx_blocks (const struct fsf_fs *fs, const struct fsf_dir_fmt *fmt,
                const uint64_t *map, uint64_t n, bool *is_index,
                uint8_t *blk, struct dirlist *l)
{
  const struct fsf_sb *sb = &fs->sb;
  struct fsf_dx_block root, node;
  struct fsf_dirent de;
  unsigned i, j;

  if (map[0] == 0
      || fsf_read (&fs->src, blk, sb->block_size,
                   map[0] * sb->block_size) != 0
      || fsf_dx_root_decode (blk, sb->block_size, fmt, &root) != 0)
    return;
  is_index[0] = true;
  if (fsf_dirent_decode (blk, sb->block_size, 0, sb->block_size, fmt,
                         &de) == 0)
    add_dirent (&de, l);
  if (fsf_dirent_decode (blk, sb->block_size, 12, sb->block_size, fmt,
                         &de) == 0)
    add_dirent (&de, l);
  if (root.indirect_levels == 0)
    return;
  {
    uint32_t nodes[FSF_DIR_MAX_BLOCK / FSF_DX_ENTRY_SIZE];
    unsigned nnodes = 0;

    for (i = 0; i < root.count && nnodes < sizeof nodes / sizeof nodes[0];
         i++) {
      struct fsf_dx_entry e;

      fsf_dx_entry_get (blk, &root, i, &e);
      if (e.block < n)
        nodes[nnodes++] = e.block;
    }
    for (i = 0; i < nnodes; i++) {
      is_index[nodes[i]] = true;
      if (root.indirect_levels < 2 || map[nodes[i]] == 0
          || fsf_read (&fs->src, blk, sb->block_size,
                       map[nodes[i]] * sb->block_size) != 0
          || fsf_dx_node_decode (blk, sb->block_size, fmt, &node) != 0)
        continue;
      for (j = 0; j < node.count; j++) {
        struct fsf_dx_entry e;

        fsf_dx_entry_get (blk, &node, j, &e);
        if (e.block < n)
          is_index[e.block] = true;
      }
    }
  }
}

/* Every block of a directory, in logical order, read through the
 * replayed view; the first bad block is reported, the rest still listed.
 */
static void
list_dir (const struct fsf_fs *fs, uint32_t ino, const struct fsf_inode *in,
          json_t *o)
{
  const struct fsf_sb *sb = &fs->sb;
  uint8_t *blk = malloc (sb->block_size);
  struct dirlist l = { json_array () };
  struct fsf_dir_fmt fmt;
  struct scrub_dirmap dm;
  uint64_t n = 0, k, *map = NULL;
  bool reported = false, *is_index;

  if (scrub_dirmap_read (fs, ino, in, &dm) == 0) {
    map = dm.map;
    n = dm.n;
  }
  is_index = calloc (n ? n : 1, sizeof *is_index);

  fsf_dir_fmt_init (&fmt, sb);
  if (blk && map && is_index && (in->flags & FSF_INDEX_FL)
      && fsf_has_compat (sb, FSF_COMPAT_DIR_INDEX))
    mark_dx_blocks (fs, &fmt, map, n, is_index, blk, &l);
  for (k = 0; blk && map && is_index && k < n; k++) {
    uint32_t bad_off = 0;
    int r;

    if (map[k] == 0 || is_index[k])
      continue;
    r = fsf_read (&fs->src, blk, sb->block_size, map[k] * sb->block_size);
    if (r == 0)
      r = fsf_dir_block_iterate (blk, sb->block_size, &fmt, add_dirent,
                                 &l, &bad_off);
    if (r != 0 && !reported) {
      char msg[128];

      snprintf (msg, sizeof msg, "block %" PRIu64 " offset %" PRIu32
                ": %s", map[k], bad_off,
                r < 0 ? strerror (-r) : fsf_bad_name (r));
      json_object_set_new (o, "dir_error", json_string (msg));
      reported = true;
    }
  }
  free (blk);
  free (map);
  free (is_index);
  json_object_set_new (o, "entries", l.a);
}

/* A symlink's target: in i_block when fast, else in its first block. */
static void
link_target (const struct fsf_fs *fs, const struct fsf_inode *in,
             json_t *runs, json_t *o)
{
  const struct fsf_sb *sb = &fs->sb;
  uint8_t *blk;
  uint64_t p;

  if (fsf_inode_is_fast_symlink (sb, in)) {
    if (in->size < FSF_I_BLOCK_SIZE)
      json_object_set_new (o, "target", name_json (in->i_block, in->size));
    return;
  }
  if (json_array_size (runs) == 0 || in->size >= sb->block_size)
    return;
  p = json_integer_value (json_object_get (json_array_get (runs, 0),
                                           "physical"));
  blk = malloc (sb->block_size);
  if (blk && fsf_read (&fs->src, blk, sb->block_size,
                       p * sb->block_size) == 0)
    json_object_set_new (o, "target", name_json (blk, in->size));
  free (blk);
}

static json_t *
itime (const struct fsf_itime *t)
{
  return json_integer ((json_int_t) t->sec);
}

/* --inode N: like debugfs stat. */
static int
dump_inode (const struct fsf_fs *fs, uint32_t ino, json_t *doc)
{
  const struct fsf_sb *sb = &fs->sb;
  uint8_t raw[1 << FSF_MAX_BLOCK_LOG];
  struct fsf_inode in;
  struct runs runs = { json_array (), 0 };
  json_t *o;
  bool ok, has_map;
  int r = fsf_fs_read_inode (fs, ino, &in, raw);

  if (r != 0) {
    cli_error ("inode %" PRIu32 ": %s", ino,
               r < 0 ? strerror (-r) : fsf_bad_name (r));
    json_decref (runs.a);
    return -1;
  }
  ok = fsf_inode_csum_verify (sb, ino, raw);
  /* Fast symlinks and device inodes keep no block map in i_block. */
  has_map = !fsf_inode_is_fast_symlink (sb, &in)
    && fsf_inode_ftype (in.mode) != FSF_FT_CHR
    && fsf_inode_ftype (in.mode) != FSF_FT_BLK;
  if (has_map && (in.flags & FSF_EXTENTS_FL)) {
    struct fsf_extent_visitor v = { .extent = run_extent, .opaque = &runs };

    r = fsf_extent_walk (&fs->src, sb, ino, in.generation, in.i_block, &v,
                         FSF_EXTENT_WALK_CSUM);
  }
  else if (has_map) {
    struct fsf_blockmap_visitor v = { .data = run_block, .opaque = &runs };

    r = fsf_blockmap_walk (&fs->src, sb, in.i_block, &v, 0);
  }
  o = json_object ();
  json_object_set_new (o, "ino", json_integer (ino));
  json_object_set_new (o, "type",
                       json_string (fsf_ftype_name (fsf_inode_ftype (in.mode))));
  json_object_set_new (o, "mode", json_integer (in.mode));
  json_object_set_new (o, "uid", json_integer (in.uid));
  json_object_set_new (o, "gid", json_integer (in.gid));
  json_object_set_new (o, "size", json_integer ((json_int_t) in.size));
  json_object_set_new (o, "links_count", json_integer (in.links_count));
  json_object_set_new (o, "blocks", json_integer ((json_int_t) in.blocks));
  json_object_set_new (o, "flags", json_integer (in.flags));
  json_object_set_new (o, "generation", json_integer (in.generation));
  json_object_set_new (o, "file_acl", json_integer ((json_int_t) in.file_acl));
  json_object_set_new (o, "atime", itime (&in.atime));
  json_object_set_new (o, "ctime", itime (&in.ctime));
  json_object_set_new (o, "mtime", itime (&in.mtime));
  json_object_set_new (o, "dtime", json_integer (in.dtime));
  json_object_set_new (o, "checksum_ok",
                       json_boolean (!fsf_has_metadata_csum (sb) || ok));
  json_object_set_new (o, "extents", runs.a);
  if (r != 0)
    json_object_set_new (o, "map_error",
                         json_string (r < 0 ? strerror (-r) : fsf_bad_name (r)));
  if (fsf_inode_ftype (in.mode) == FSF_FT_DIR)
    list_dir (fs, ino, &in, o);
  else if (fsf_inode_ftype (in.mode) == FSF_FT_SYMLINK)
    link_target (fs, &in, runs.a, o);
  if (doc) {
    json_object_set_new (doc, "inode", o);
    return 0;
  }
  printf ("Inode: %" PRIu32 "   Type: %s    Mode:  %04o   Flags: 0x%" PRIx32
          "\nGeneration: %" PRIu32 "\nUser: %5" PRIu32 "   Group: %5" PRIu32
          "   Size: %" PRIu64 "\nFile ACL: %" PRIu64 "\nLinks: %u   "
          "Blockcount: %" PRIu64 "\nChecksum: %s\n",
          ino, fsf_ftype_name (fsf_inode_ftype (in.mode)), in.mode & 07777,
          in.flags, in.generation, in.uid, in.gid, in.size, in.file_acl,
          in.links_count, in.blocks,
          !fsf_has_metadata_csum (sb) ? "none" : ok ? "ok" : "BAD");
  if (json_array_size (runs.a)) {
    size_t i;

    printf ("%s:\n", (in.flags & FSF_EXTENTS_FL) ? "EXTENTS" : "BLOCKS");
    for (i = 0; i < json_array_size (runs.a); i++) {
      json_t *e = json_array_get (runs.a, i);

      printf ("  (%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT
              "):%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT "%s\n",
              json_integer_value (json_object_get (e, "logical")),
              json_integer_value (json_object_get (e, "logical"))
              + json_integer_value (json_object_get (e, "length")) - 1,
              json_integer_value (json_object_get (e, "physical")),
              json_integer_value (json_object_get (e, "physical"))
              + json_integer_value (json_object_get (e, "length")) - 1,
              json_is_true (json_object_get (e, "unwritten"))
              ? " [uninit]" : "");
    }
  }
  if (r != 0)
    printf ("Block map: %s\n", r < 0 ? strerror (-r) : fsf_bad_name (r));
  if (json_object_get (o, "target"))
    printf ("Link target: \"%s\"\n",
            json_string_value (json_object_get (o, "target")));
  if (json_object_get (o, "entries")) {
    json_t *ents = json_object_get (o, "entries");
    size_t i;

    printf ("Entries:\n");
    for (i = 0; i < json_array_size (ents); i++) {
      json_t *e = json_array_get (ents, i);

      printf ("  %10" JSON_INTEGER_FORMAT "  %s\n",
              json_integer_value (json_object_get (e, "inode")),
              json_string_value (json_object_get (e, "name")));
    }
  }
  if (json_object_get (o, "dir_error"))
    printf ("Directory: %s\n",
            json_string_value (json_object_get (o, "dir_error")));
  json_decref (o);
  return 0;
}

/* --journal: the journal superblock and what recovery found. */
static int
dump_journal (struct fsf_fs *fs, json_t *doc)
{
  struct fsf_jsb jsb;
  json_t *o;
  int r = fsf_fs_journal_sb (fs, &jsb);

  if (r != 0) {
    cli_error ("journal: %s", r < 0 ? strerror (-r) : fsf_bad_name (r));
    return -1;
  }
  o = json_object ();
  json_object_set_new (o, "journal_version", json_integer (jsb.version));
  json_object_set_new (o, "journal_block_size", json_integer (jsb.blocksize));
  json_object_set_new (o, "journal_maxlen", json_integer (jsb.maxlen));
  json_object_set_new (o, "journal_first", json_integer (jsb.first));
  json_object_set_new (o, "journal_sequence", json_integer (jsb.sequence));
  json_object_set_new (o, "journal_start", json_integer (jsb.start));
  json_object_set_new (o, "journal_errno", json_integer (jsb.errno_));
  json_object_set_new (o, "needs_recovery", json_boolean (fs->needs_recovery));
  json_object_set_new (o, "replayed", json_boolean (fs->replayed));
  if (fs->replayed) {
    json_object_set_new (o, "transactions",
                         json_integer (fs->jr.transactions));
    json_object_set_new (o, "first_tid", json_integer (fs->jr.first_tid));
    json_object_set_new (o, "end_tid", json_integer (fs->jr.end_tid));
    json_object_set_new (o, "blocks_replayed",
                         json_integer ((json_int_t) fs->jr.nblocks));
    json_object_set_new (o, "revokes",
                         json_integer ((json_int_t) fs->jr.nr_revokes));
    json_object_set_new (o, "stop",
                         json_string (fsf_jstop_name (fs->jr.stop)));
  }
  if (doc) {
    json_object_set_new (doc, "journal", o);
    return 0;
  }
  printf ("Journal version:          %d\n"
          "Journal size:             %" PRIu32 " blocks of %" PRIu32 "\n"
          "Journal first block:      %" PRIu32 "\n"
          "Journal sequence:         0x%08" PRIx32 "\n"
          "Journal start:            %" PRIu32 "\n"
          "Journal errno:            %" PRId32 "\n",
          jsb.version, jsb.maxlen, jsb.blocksize, jsb.first, jsb.sequence,
          jsb.start, jsb.errno_);
  if (fs->replayed)
    printf ("Recovery:                 %" PRIu32 " transaction(s) "
            "(%" PRIu32 "..%" PRIu32 "), %zu block(s) replayed in memory, "
            "%" PRIu64 " revoke(s); stopped: %s\n",
            fs->jr.transactions, fs->jr.first_tid, fs->jr.end_tid,
            fs->jr.nblocks, fs->jr.nr_revokes, fsf_jstop_name (fs->jr.stop));
  else
    printf ("Recovery:                 %s\n", fs->needs_recovery
            ? "needed, not replayed (--no-replay)" : "not needed");
  json_decref (o);
  return 0;
}

static int
parse (int argc, char **argv, struct dump_opts *o)
{
  static const struct option longopts[] = {
    { "json", no_argument, NULL, 'j' },
    { "no-replay", no_argument, NULL, 'n' },
    { "groups", no_argument, NULL, 'g' },
    { "journal", no_argument, NULL, 'J' },
    { "inode", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  memset (o, 0, sizeof *o);
  optind = 1;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'j': o->json = true; break;
    case 'n': o->no_replay = true; break;
    case 'g': o->groups = true; break;
    case 'J': o->journal = true; break;
    case 'i': {
      char *end;
      unsigned long v;

      errno = 0;
      v = strtoul (optarg, &end, 10);
      if (errno || *end || end == optarg || v == 0 || v > UINT32_MAX) {
        cli_error ("dump: --inode: '%s' is not an inode number", optarg);
        return -1;
      }
      o->inode = (uint32_t) v;
      break;
    }
    case 'h':
      printf ("usage: nbdscrub dump IMAGE [--json] [--no-replay] [--groups]"
              " [--inode N] [--journal]\n");
      exit (EXIT_CLEAN);
    default:
      return -1;
    }
  }
  if (optind + 1 != argc) {
    cli_error ("dump: give exactly one IMAGE");
    return -1;
  }
  o->image = argv[optind];
  return 0;
}

int
cli_dump (int argc, char **argv)
{
  struct dump_opts o;
  struct cli_image im;
  struct fsf_fs fs;
  bool csum_ok;
  int status = EXIT_CLEAN;

  if (parse (argc, argv, &o) == -1) {
    fprintf (stderr, "usage: nbdscrub dump IMAGE [--json] [--no-replay] "
             "[--groups] [--inode N] [--journal]\n");
    return EXIT_USAGE;
  }
  if (cli_image_open (&im, &fs, o.image, !o.no_replay) == -1)
    return EXIT_OPERATIONAL;
  csum_ok = !fsf_has_metadata_csum (&fs.sb) || fsf_sb_csum_verify (fs.sb_buf);

  if (o.json) {
    json_t *doc = json_object ();

    json_object_set_new (doc, "superblock", sb_json (&fs.sb, csum_ok));
    json_object_set_new (doc, "needs_recovery",
                         json_boolean (fs.needs_recovery));
    json_object_set_new (doc, "replayed", json_boolean (fs.replayed));
    json_object_set_new (doc, "orphans", orphans_json (&fs));
    if ((o.groups && dump_groups (&fs, doc) == -1)
        || (o.inode && dump_inode (&fs, o.inode, doc) == -1)
        || (o.journal && dump_journal (&fs, doc) == -1))
      status = EXIT_OPERATIONAL;
    json_dumpf (doc, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    putchar ('\n');
    json_decref (doc);
  }
  else {
    sb_print (&fs.sb, csum_ok);
    orphans_print (&fs);
    if (fs.replayed)
      printf ("Journal:                  replayed in memory (%" PRIu32
              " transaction(s)); the image is unchanged\n",
              fs.jr.transactions);
    if (o.groups) {
      putchar ('\n');
      if (dump_groups (&fs, NULL) == -1)
        status = EXIT_OPERATIONAL;
    }
    if (o.inode) {
      putchar ('\n');
      if (dump_inode (&fs, o.inode, NULL) == -1)
        status = EXIT_OPERATIONAL;
    }
    if (o.journal) {
      putchar ('\n');
      if (dump_journal (&fs, NULL) == -1)
        status = EXIT_OPERATIONAL;
    }
  }
  cli_image_close (&im, &fs);
  return status;
}
