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
#include "super.h"

struct dump_opts {
  const char *image;
  bool json;
  bool no_replay;
};

/* An image file or block device, opened read-only, as a source. */
struct image {
  int fd;
  struct fsf_source src;
};

static int
image_open (struct image *im, const char *path)
{
  struct stat st;
  uint64_t size;

  im->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (im->fd == -1 || fstat (im->fd, &st) == -1) {
    cli_error ("%s: %s", path, strerror (errno));
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    if (ioctl (im->fd, BLKGETSIZE64, &size) == -1) {
      cli_error ("%s: %s", path, strerror (errno));
      return -1;
    }
  }
  else if (S_ISREG (st.st_mode))
    size = (uint64_t) st.st_size;
  else {
    cli_error ("%s: not a regular file or block device", path);
    return -1;
  }
  fsf_source_fd (&im->src, &im->fd, size);
  return 0;
}

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

static int
parse (int argc, char **argv, struct dump_opts *o)
{
  static const struct option longopts[] = {
    { "json", no_argument, NULL, 'j' },
    { "no-replay", no_argument, NULL, 'n' },
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
    case 'h':
      printf ("usage: nbdscrub dump IMAGE [--json] [--no-replay]\n");
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
  uint8_t buf[FSF_SB_SIZE];
  struct dump_opts o;
  struct image im;
  struct fsf_sb sb;
  bool csum_ok;
  int r;

  if (parse (argc, argv, &o) == -1) {
    fprintf (stderr, "usage: nbdscrub dump IMAGE [--json] [--no-replay]\n");
    return EXIT_USAGE;
  }
  if (image_open (&im, o.image) == -1)
    return EXIT_OPERATIONAL;

  if (im.src.size < FSF_SB_OFFSET + FSF_SB_SIZE) {
    cli_error ("%s: too small (%" PRIu64 " bytes) to hold an ext2/3/4 "
               "superblock", o.image, im.src.size);
    close (im.fd);
    return EXIT_OPERATIONAL;
  }
  r = fsf_read (&im.src, buf, sizeof buf, FSF_SB_OFFSET);
  if (r < 0) {
    cli_error ("%s: reading the superblock: %s", o.image, strerror (-r));
    close (im.fd);
    return EXIT_OPERATIONAL;
  }
  r = fsf_sb_decode (buf, sizeof buf, &sb);
  if (r != 0) {
    cli_error ("%s: no ext2/3/4 superblock: %s", o.image, fsf_bad_name (r));
    close (im.fd);
    return EXIT_OPERATIONAL;
  }
  csum_ok = !fsf_has_metadata_csum (&sb) || fsf_sb_csum_verify (buf);

  if (o.json) {
    json_t *doc = json_object ();

    json_object_set_new (doc, "superblock", sb_json (&sb, csum_ok));
    json_dumpf (doc, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    putchar ('\n');
    json_decref (doc);
  }
  else
    sb_print (&sb, csum_ok);
  close (im.fd);
  return EXIT_CLEAN;
}
