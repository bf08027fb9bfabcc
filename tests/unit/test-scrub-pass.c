/* Unit tests: the cross-reference state of a full pass (scrub/pass.c):
 * block claims find a block owned twice and say so once per run, claims
 * outside the filesystem are ignored, memory is allocated only for the
 * groups that own something; inode and directory records, parents and
 * second links to a directory; lookups with and without a pass.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pass.h"
#include "unit.h"

static char dir[] = "/tmp/nbdscrub-unit-pass.XXXXXX";
static bool dir_made;
static char img[64];

struct fixture {
  int fd;
  struct fsf_source src;
  struct fsf_fs fs;
  struct scrub_pass pass;
  struct scrub_ctx sc;
  int codes[64];
  uint64_t found[64];
  uint32_t inos[64];
  unsigned n;
};

static void
collect (void *opaque, const struct scrub_ctx *sc,
         const struct scrub_finding *f)
{
  struct fixture *fx = opaque;

  (void) sc;
  if (fx->n < 64) {
    fx->codes[fx->n] = f->code;
    fx->found[fx->n] = f->found;
    fx->inos[fx->n] = f->ino;
    fx->n++;
  }
}

/* A 64 MiB ext4 image with 1 KiB blocks (eight groups), open, with a
 * pass set up and a context inside it.
 */
static void
setup (struct fixture *fx)
{
  char cmd[512];
  struct stat st;

  memset (fx, 0, sizeof *fx);
  if (!dir_made) {
    CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
    dir_made = true;
  }
  snprintf (img, sizeof img, "%s/fs.img", dir);
  snprintf (cmd, sizeof cmd, "rm -f %s && truncate -s 64M %s && "
            "PATH=/usr/sbin:/sbin:$PATH mke2fs -q -F -t ext4 -b 1024 %s "
            "2>/dev/null", img, img, img);
  CU_ASSERT_EQUAL_FATAL (system (cmd), 0);
  fx->fd = open (img, O_RDONLY);
  CU_ASSERT_FATAL (fx->fd >= 0 && fstat (fx->fd, &st) == 0);
  fsf_source_fd (&fx->src, &fx->fd, (uint64_t) st.st_size);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_open (&fx->fs, &fx->src, 0), 0);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&fx->pass, &fx->fs, collect, fx,
                                          NULL, NULL), 0);
  fx->sc.fs = &fx->fs;
  fx->sc.pass = &fx->pass;
  fx->sc.report = collect;
  fx->sc.opaque = fx;
}

static void
teardown (struct fixture *fx)
{
  scrub_pass_free (&fx->pass);
  fsf_fs_close (&fx->fs);
  close (fx->fd);
}

static void
test_pass__a_block_claimed_twice_is_found_once_per_run (void)
{
  struct fixture fx;
  uint32_t g;
  unsigned allocated = 0;

  setup (&fx);
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, 20000, 10), 0);
  CU_ASSERT_EQUAL (fx.n, 0);
  CU_ASSERT_TRUE (scrub_pass_owned (&fx.pass, 20000));
  CU_ASSERT_TRUE (scrub_pass_owned (&fx.pass, 20009));
  CU_ASSERT_FALSE (scrub_pass_owned (&fx.pass, 20010));
  CU_ASSERT_FALSE (scrub_pass_owned (&fx.pass, 19999));
  /* Overlapping by 4 blocks: one finding, naming the later owner, the
   * first shared block and how many.
   */
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 13, 20006, 8), 0);
  CU_ASSERT_EQUAL_FATAL (fx.n, 1);
  CU_ASSERT_EQUAL (fx.codes[0], PR_BBITMAP_MULTIPLY_CLAIMED);
  CU_ASSERT_EQUAL (fx.inos[0], 13);
  CU_ASSERT_EQUAL (fx.found[0], 4);
  CU_ASSERT_EQUAL (fx.pass.blocks_claimed, 14);
  /* Only the group that owns something has memory. */
  for (g = 0; g < fx.fs.sb.groups_count; g++)
    allocated += fx.pass.owned[g] != NULL;
  CU_ASSERT_EQUAL (allocated, 1);
  teardown (&fx);
}

static void
test_pass__claims_outside_the_filesystem_are_ignored (void)
{
  struct fixture fx;

  setup (&fx);
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, 0, 1), 0);
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, fx.fs.sb.blocks_count,
                                       100), 0);
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, UINT64_MAX - 1, 2), 0);
  CU_ASSERT_EQUAL (fx.pass.blocks_claimed, 0);
  CU_ASSERT_EQUAL (fx.n, 0);
  teardown (&fx);
}

static void
test_pass__a_standalone_request_claims_nothing (void)
{
  struct fixture fx;

  setup (&fx);
  fx.sc.pass = NULL;
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, 20000, 1), 0);
  CU_ASSERT_EQUAL (scrub_claim_blocks (&fx.sc, 12, 20000, 1), 0);
  CU_ASSERT_EQUAL (fx.n, 0);
  CU_ASSERT_FALSE (scrub_pass_owned (&fx.pass, 20000));
  teardown (&fx);
}

static void
test_pass__inodes_and_directories_are_recorded (void)
{
  struct fixture fx;
  struct scrub_istate *is;
  struct scrub_dirinfo *di;
  enum fsf_ftype ft;
  bool used;

  setup (&fx);
  CU_ASSERT_EQUAL (scrub_note_inode (&fx.sc, 2, FSF_S_IFDIR | 0755, 4), 0);
  CU_ASSERT_EQUAL (scrub_note_inode (&fx.sc, 12, FSF_S_IFDIR | 0755, 2),
                   0);
  CU_ASSERT_EQUAL (scrub_note_inode (&fx.sc, 13, FSF_S_IFREG | 0644, 2),
                   0);
  CU_ASSERT_EQUAL (scrub_note_inode (&fx.sc, 9000, FSF_S_IFDIR | 0755, 2),
                   0);
  CU_ASSERT_EQUAL (fx.pass.inodes_used, 4);
  CU_ASSERT_EQUAL (fx.pass.ndirs, 3);

  /* Entries: a file twice (a hard link), a directory twice (the second
   * link to a directory is refused with 1).
   */
  CU_ASSERT_EQUAL (scrub_note_dirent (&fx.sc, 2, 13), 0);
  CU_ASSERT_EQUAL (scrub_note_dirent (&fx.sc, 12, 13), 0);
  CU_ASSERT_EQUAL (scrub_note_dirent (&fx.sc, 2, 12), 0);
  CU_ASSERT_EQUAL (scrub_note_dirent (&fx.sc, 9000, 12), 1);
  scrub_note_dotdot (&fx.sc, 12, 2);
  is = scrub_pass_istate (&fx.pass, 13);
  CU_ASSERT_PTR_NOT_NULL_FATAL (is);
  CU_ASSERT_EQUAL (is->refs, 2);
  CU_ASSERT_EQUAL (is->links, 2);
  CU_ASSERT_EQUAL (is->ftype, FSF_FT_REG);
  di = scrub_pass_dirinfo (&fx.pass, 12);
  CU_ASSERT_PTR_NOT_NULL_FATAL (di);
  CU_ASSERT_EQUAL (di->parent, 2);
  CU_ASSERT_EQUAL (di->dotdot, 2);
  CU_ASSERT_PTR_NULL (scrub_pass_dirinfo (&fx.pass, 13));
  CU_ASSERT_PTR_NOT_NULL (scrub_pass_dirinfo (&fx.pass, 9000));

  /* Lookups inside the pass come from the records. */
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, 13, &used, &ft), 0);
  CU_ASSERT_TRUE (used);
  CU_ASSERT_EQUAL (ft, FSF_FT_REG);
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, 14, &used, &ft), 0);
  CU_ASSERT_FALSE (used);
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, 0, &used, &ft), 0);
  CU_ASSERT_FALSE (used);
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, UINT32_MAX, &used, &ft), 0);
  CU_ASSERT_FALSE (used);
  /* Standalone, the inode table answers: the root is a directory,
   * inode 12 of a fresh filesystem is not in use.
   */
  fx.sc.pass = NULL;
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, 2, &used, &ft), 0);
  CU_ASSERT_TRUE (used);
  CU_ASSERT_EQUAL (ft, FSF_FT_DIR);
  CU_ASSERT_EQUAL (scrub_inode_lookup (&fx.sc, 13, &used, &ft), 0);
  CU_ASSERT_FALSE (used);
  /* Out of range or out of order notes are refused. */
  fx.sc.pass = &fx.pass;
  CU_ASSERT_NOT_EQUAL (scrub_note_inode (&fx.sc, 0, FSF_S_IFREG, 1), 0);
  CU_ASSERT_NOT_EQUAL (scrub_note_inode (&fx.sc, fx.fs.sb.inodes_count + 1,
                                         FSF_S_IFREG, 1), 0);
  CU_ASSERT_NOT_EQUAL (scrub_note_inode (&fx.sc, 100, FSF_S_IFDIR, 1), 0);
  teardown (&fx);
}

static void
test_pass__a_fresh_filesystem_passes_clean (void)
{
  struct fixture fx;

  setup (&fx);
  CU_ASSERT_EQUAL (scrub_pass_run (&fx.pass), 0);
  CU_ASSERT_EQUAL (fx.pass.problems[SEV_CORRUPT], 0);
  CU_ASSERT_EQUAL (fx.pass.problems[SEV_XCORRUPT], 0);
  CU_ASSERT_EQUAL (fx.pass.stats[SCRUB_TYPE_GDT].runs,
                   fx.fs.sb.groups_count);
  CU_ASSERT_EQUAL (fx.pass.stats[SCRUB_TYPE_GDT].clean,
                   fx.fs.sb.groups_count);
  CU_ASSERT_EQUAL (fx.pass.stats[SCRUB_TYPE_SUPERBLOCK].runs, 1);
  /* Every group's metadata is owned: the superblock, the inode table. */
  CU_ASSERT_TRUE (scrub_pass_owned (&fx.pass, 1));
  CU_ASSERT (fx.pass.blocks_claimed >= fx.fs.sb.groups_count
             * (uint64_t) (fx.fs.sb.itable_blocks + 2));
  teardown (&fx);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_pass__a_block_claimed_twice_is_found_once_per_run),
  UNIT_TEST (test_pass__claims_outside_the_filesystem_are_ignored),
  UNIT_TEST (test_pass__a_standalone_request_claims_nothing),
  UNIT_TEST (test_pass__inodes_and_directories_are_recorded),
  UNIT_TEST (test_pass__a_fresh_filesystem_passes_clean),
};

UNIT_MAIN ("scrub pass", tests)
