/* Unit tests: the journal, orphans and probe scrubbers (scrub/journal.c,
 * scrub/orphans.c, scrub/probe.c), on images made by mke2fs, debugfs and
 * byte edits, with e2fsck -fn's verdict as the oracle.  On an image whose
 * journal needs recovery the oracle is e2fsck -fn after e2fsck -E
 * journal_only -y on a copy (e2fsck -n skips replay; our engine reads
 * through it, and so does the kernel).  Each case asserts its problem
 * code and that "some CORRUPT or XCORRUPT finding" is exactly "e2fsck
 * found something" (exit status with bit 4).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pass.h"
#include "scrub.h"
#include "unit.h"

static char dir[] = "/tmp/nbdscrub-unit-journal.XXXXXX";
static bool dir_made;
static char img[96];

/* What every shell step starts with: where things are, and a way to
 * poke bytes.  IMG the image, BS its block size, JSB the byte offset of
 * the journal superblock, OFB that of the orphan file's first block
 * (inode 12 with -O orphan_file; 0 without).
 */
static const char prelude[] =
  "export PATH=/usr/sbin:/sbin:$PATH; IMG=%s; "
  "BS=$(dumpe2fs -h $IMG 2>/dev/null | awk '/^Block size:/ {print $3}'); "
  "JB=$(debugfs -R 'bmap <8> 0' $IMG 2>/dev/null); JSB=$((${JB:-0} * BS)); "
  "OB=$(debugfs -R 'bmap <12> 0' $IMG 2>/dev/null); OFB=$((${OB:-0} * BS)); "
  "be32 () { python3 -c \"import struct; f=open('$IMG','r+b'); "
  "f.seek($1); f.write(struct.pack('>I',$2))\"; }; "
  "le32 () { python3 -c \"import struct; f=open('$IMG','r+b'); "
  "f.seek($1); f.write(struct.pack('<I',$2))\"; }; "
  "xor8 () { python3 -c \"f=open('$IMG','r+b'); f.seek($1); "
  "b=f.read(1); f.seek($1); f.write(bytes([b[0]^$2]))\"; }; ";

static int
sh (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));

static int
sh (const char *fmt, ...)
{
  char cmd[4096];
  size_t n = (size_t) snprintf (cmd, sizeof cmd, prelude, img);
  va_list ap;
  int st;

  va_start (ap, fmt);
  vsnprintf (cmd + n, sizeof cmd - n, fmt, ap);
  va_end (ap);
  st = system (cmd);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

/* A fresh image: mke2fs with recipe over five 20000-byte files f1..f5
 * (inodes 12..16, or 13..17 beside an orphan file), then debugfs -w
 * commands (one per line, may be NULL), then a shell step (may be NULL).
 */
static void
make_image (const char *recipe, const char *cmds, const char *shell)
{
  if (!dir_made) {
    CU_ASSERT_PTR_NOT_NULL_FATAL (mkdtemp (dir));
    dir_made = true;
    snprintf (img, sizeof img, "%s/fs.img", dir);
    CU_ASSERT_EQUAL_FATAL (sh ("mkdir -p %s/tree && for i in 1 2 3 4 5; do "
                               "head -c 20000 /dev/urandom "
                               ">%s/tree/f$i; done", dir, dir), 0);
  }
  CU_ASSERT_EQUAL_FATAL (sh ("rm -f $IMG && truncate -s 64M $IMG && "
                             "mke2fs -q -F %s -d %s/tree $IMG 2>/dev/null",
                             recipe, dir), 0);
  if (cmds)
    CU_ASSERT_EQUAL_FATAL (sh ("printf '%s' | debugfs -w -f - $IMG "
                               ">/dev/null 2>&1", cmds), 0);
  if (shell)
    CU_ASSERT_EQUAL_FATAL (sh ("%s", shell), 0);
}

/* The journal needs recovery: the raw superblock says needs_recovery,
 * and there is a journal to recover (as fsf_fs_open decides).
 */
static bool
needs_recovery (void)
{
  return sh ("dumpe2fs -h $IMG 2>/dev/null | grep '^Filesystem features:' "
             "| grep needs_recovery | grep -q has_journal") == 0;
}

/* e2fsck -fn's exit status, after journal_only recovery on a copy when
 * the image needs it.
 */
static int
oracle (void)
{
  if (needs_recovery ())
    return sh ("cp $IMG $IMG.o && e2fsck -E journal_only -y $IMG.o "
               ">/dev/null 2>&1; e2fsck -fn $IMG.o >/dev/null 2>&1");
  return sh ("e2fsck -fn $IMG >/dev/null 2>&1");
}

struct run {
  int codes[8192];
  unsigned ncodes;
  bool corrupt;               /* a CORRUPT or XCORRUPT finding */
};

static void
collect (void *opaque, const struct scrub_ctx *sc,
         const struct scrub_finding *f)
{
  const struct scrub_problem *p = scrub_problem (f->code);
  struct run *r = opaque;

  (void) sc;
  CU_ASSERT_PTR_NOT_NULL (p);
  if (r->ncodes < sizeof r->codes / sizeof r->codes[0])
    r->codes[r->ncodes++] = f->code;
  if (p && (p->severity == SEV_CORRUPT || p->severity == SEV_XCORRUPT))
    r->corrupt = true;
}

struct opened {
  int fd;
  struct fsf_source src;
  struct fsf_fs fs;
};

static void
open_image (struct opened *o)
{
  struct stat st;

  o->fd = open (img, O_RDONLY);
  CU_ASSERT_FATAL (o->fd >= 0 && fstat (o->fd, &st) == 0);
  fsf_source_fd (&o->src, &o->fd, (uint64_t) st.st_size);
  CU_ASSERT_EQUAL_FATAL (fsf_fs_open (&o->fs, &o->src, 0), 0);
}

static void
close_image (struct opened *o)
{
  fsf_fs_close (&o->fs);
  close (o->fd);
}

/* Run every filesystem-wide and group scrubber this branch has, as
 * standalone requests.
 */
static void
scrub_all (struct run *r)
{
  struct opened o;
  int t;

  memset (r, 0, sizeof *r);
  open_image (&o);
  for (t = 0; t < SCRUB_TYPE_NR; t++) {
    const struct scrub_ops *ops = scrub_ops[t];
    uint32_t g, n;

    if (ops == NULL || ops->scope == SCRUB_SCOPE_INODE)
      continue;
    if (ops->has && !ops->has (&o.fs.sb))
      continue;
    n = ops->scope == SCRUB_SCOPE_GROUP ? o.fs.sb.groups_count : 1;
    for (g = 0; g < n; g++) {
      struct scrub_request req = { (enum scrub_type) t, g, 0, 0, 0 };
      struct scrub_ctx sc;

      CU_ASSERT_EQUAL (scrub_run (&sc, &o.fs, &req, true, collect, r), 0);
    }
  }
  close_image (&o);
}

/* A full pass, every scrubber and the cross-references. */
static void
pass_all (struct run *r)
{
  struct scrub_pass p;
  struct opened o;

  memset (r, 0, sizeof *r);
  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, collect, r, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_run (&p), 0);
  scrub_pass_free (&p);
  close_image (&o);
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
show (const char *name, const struct run *r, int rc)
{
  unsigned i;

  fprintf (stderr, "\n  %s: e2fsck %d, findings:", name, rc);
  for (i = 0; i < r->ncodes && i < 24; i++)
    fprintf (stderr, " %s", scrub_problem (r->codes[i])->name);
}

/* One case: the image, the code expected (0: none of ours), whether the
 * verdict is corrupt, and e2fsck's agreement.
 */
struct jcase {
  const char *name;
  const char *recipe;
  const char *cmds;
  const char *shell;
  int code;
  bool corrupt;
};

static void
run_case (const struct jcase *c)
{
  struct run r;
  int rc;

  make_image (c->recipe, c->cmds, c->shell);
  rc = oracle ();
  scrub_all (&r);
  if ((c->code && !found (&r, c->code)) || r.corrupt != c->corrupt
      || c->corrupt != ((rc & 4) != 0))
    show (c->name, &r, rc);
  if (c->code)
    CU_ASSERT (found (&r, c->code));
  CU_ASSERT_EQUAL (r.corrupt, c->corrupt);
  CU_ASSERT_EQUAL (c->corrupt, (rc & 4) != 0);
  /* The whole engine agrees too. */
  pass_all (&r);
  if ((c->code && !found (&r, c->code)) || r.corrupt != c->corrupt) {
    fprintf (stderr, "\n  full pass:");
    show (c->name, &r, rc);
  }
  if (c->code)
    CU_ASSERT (found (&r, c->code));
  CU_ASSERT_EQUAL (r.corrupt, c->corrupt);
}

static void
run_cases (const struct jcase *cases, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    run_case (&cases[i]);
}

#define N(a) (sizeof (a) / sizeof (a)[0])

/* An orphan chain of files f1 -> f2 -> f3 (inodes 12, 13, 14), unlinked
 * from / but open: links 0, each dtime the next.
 */
#define UNLINK3 "unlink f1\nunlink f2\nunlink f3\n"
#define CHAIN3                                                          \
  UNLINK3 "ssv last_orphan 12\nsif <12> links_count 0\nsif <12> dtime 13\n" \
  "sif <13> links_count 0\nsif <13> dtime 14\nsif <14> links_count 0\n"

/* A crash image as the kernel leaves one: the orphans' inodes written
 * home, the superblock naming the list only in a committed transaction
 * of the journal, needs_recovery set.
 */
#define CRASH_WITH_ORPHANS                                              \
  "SB=$((1024 / BS)); dd if=$IMG of=$IMG.sb0 bs=$BS skip=$SB count=1 "  \
  "status=none && debugfs -w -R 'ssv last_orphan 12' $IMG >/dev/null 2>&1 " \
  "&& dd if=$IMG of=$IMG.sb1 bs=$BS skip=$SB count=1 status=none && "   \
  "dd if=$IMG.sb0 of=$IMG bs=$BS seek=$SB conv=notrunc status=none && "  \
  "printf 'jo\\njw -b '$SB' '$IMG.sb1'\\njc\\n' | debugfs -w -f - $IMG "  \
  ">/dev/null 2>&1 && dumpe2fs -h $IMG 2>/dev/null | grep -q needs_recovery"

static void
test_journal__clean_images_have_no_corruption (void)
{
  static const struct jcase cases[] = {
    { "ext4 4k", "-t ext4 -b 4096", NULL, NULL, 0, false },
    { "ext4 1k", "-t ext4 -b 1024", NULL, NULL, 0, false },
    { "ext3", "-t ext3", NULL, NULL, 0, false },
    { "ext4 no csum", "-t ext4 -O ^metadata_csum,uninit_bg", NULL, NULL, 0,
      false },
    { "ext4 orphan_file", "-t ext4 -O orphan_file", NULL, NULL, 0, false },
    { "ext4 journal csum v3", "-t ext4", "jo -c\njc\n", NULL, 0, false },
    { "ext2", "-t ext2", NULL, NULL, 0, false },
  };

  run_cases (cases, N (cases));
}

/* Images whose journal needs recovery: a transaction not yet home, and
 * orphans a mounted filesystem had open.  Normal, not corrupt.
 */
static void
test_journal__crash_images_are_not_corrupt (void)
{
  static const struct jcase cases[] = {
    { "needs recovery, one transaction", "-t ext4 -b 4096", NULL,
      "dd if=$IMG of=$IMG.blk bs=$BS skip=3000 count=1 status=none && "
      "printf 'jo -c\\njw -b 3000 '$IMG.blk'\\njc\\n' | "
      "debugfs -w -f - $IMG >/dev/null 2>&1", 0, false },
    { "crash with an orphan chain, 4k", "-t ext4 -b 4096",
      UNLINK3 "sif <12> links_count 0\nsif <12> dtime 13\n"
      "sif <13> links_count 0\nsif <13> dtime 14\nsif <14> links_count 0\n",
      CRASH_WITH_ORPHANS, 0, false },
    { "crash with an orphan chain, 1k", "-t ext4 -b 1024",
      UNLINK3 "sif <12> links_count 0\nsif <12> dtime 13\n"
      "sif <13> links_count 0\nsif <13> dtime 14\nsif <14> links_count 0\n",
      CRASH_WITH_ORPHANS, 0, false },
    { "crash with a truncation orphan", "-t ext4",
      "ssv last_orphan 12\nsif <12> dtime 13\nfeature needs_recovery\n",
      NULL, 0, false },
    { "crash with an ext3 orphan chain", "-t ext3",
      CHAIN3 "feature needs_recovery\n", NULL, 0, false },
  };
  size_t i;

  run_cases (cases, N (cases));
  for (i = 0; i < N (cases); i++) {
    make_image (cases[i].recipe, cases[i].cmds, cases[i].shell);
    CU_ASSERT (needs_recovery ());
  }
}

static void
test_journal__damage_is_found_as_e2fsck_finds_it (void)
{
  static const struct jcase cases[] = {
    { "jsb bad magic", "-t ext4 -b 4096", NULL, "be32 $JSB 0x12345678",
      PR_JNL_SB_MAGIC, true },
    { "jsb block size", "-t ext4 -b 4096", NULL, "be32 $((JSB + 12)) 1024",
      PR_JNL_SB_BLOCKSIZE, true },
    { "jsb maxlen past the inode", "-t ext4 -b 1024", NULL,
      "be32 $((JSB + 16)) 100000", PR_JNL_SB_MAXLEN, true },
    { "jsb block type", "-t ext4", NULL, "be32 $((JSB + 4)) 1",
      PR_JNL_SB_TYPE, true },
    { "jsb unknown incompat", "-t ext4", NULL,
      "be32 $((JSB + 0x28)) 0x100", PR_JNL_SB_FEATURES, true },
    { "jsb two users", "-t ext4", NULL, "be32 $((JSB + 0x40)) 2",
      PR_JNL_SB_USERS, true },
    { "jsb csum v3 bad checksum", "-t ext4", "jo -c\njc\n",
      "be32 $((JSB + 0xfc)) 0x1234", PR_JNL_SB_CSUM, true },
    { "jsb csum v2 and v3", "-t ext4", NULL, "be32 $((JSB + 0x28)) 0x18",
      PR_JNL_SB_FEATURES, true },
    { "jsb csum type not crc32c", "-t ext4", "jo -c\njc\n",
      "xor8 $((JSB + 0x50)) 5", PR_JNL_SB_FEATURES, true },
    { "jsb fast commit area too large", "-t ext4 -J size=1", NULL,
      "be32 $((JSB + 0x28)) 0x20", PR_JNL_FC_BLOCKS, true },
    { "jsb fast commit area fits", "-t ext4 -J size=4", NULL,
      "be32 $((JSB + 0x28)) 0x20", 0, false },
    { "jsb recorded an abort", "-t ext4", NULL,
      "be32 $((JSB + 0x20)) 0xfffffffb", PR_JNL_ERRNO, false },
    { "jsb s_first 0 (e2fsck does not look)", "-t ext4", NULL,
      "be32 $((JSB + 0x14)) 0", PR_JNL_SB_LAYOUT, false },
    { "jsb s_start past the log", "-t ext4", NULL,
      "be32 $((JSB + 28)) 99999", PR_JNL_SB_LAYOUT, false },
    { "jsb maxlen below the inode", "-t ext4", NULL,
      "be32 $((JSB + 16)) 3000", 0, false },
    { "journal inode a directory", "-t ext4", "sif <8> mode 040600\n", NULL,
      PR_JNL_INODE_INVALID, true },
    { "journal inode not in use", "-t ext4", "sif <8> links_count 0\n",
      NULL, PR_JNL_INODE_INVALID, true },
    { "journal inode zero size", "-t ext4", "sif <8> size 0\n", NULL,
      PR_JNL_INODE_INVALID, true },
    { "journal inode cleared", "-t ext4 -b 4096", "clri <8>\n", NULL,
      PR_JNL_INODE_INVALID, true },
    { "journal inum an unused inode", "-t ext4", "ssv journal_inum 20\n",
      NULL, PR_JNL_INODE_INVALID, true },
    { "has_journal, journal inum 0", "-t ext4", "ssv journal_inum 0\n",
      NULL, PR_SB_JOURNAL_INUM, true },
    { "ext3 journal a directory, backup good", "-t ext3",
      "sif <8> mode 040600\n", NULL, PR_JNL_INODE_MODE, true },
    { "ext3 journal not in use, backup good", "-t ext3",
      "sif <8> links_count 0\n", NULL, PR_JNL_INODE_BACKUP, false },
    { "journal block map backup stale", "-t ext4",
      "ssv jnl_blocks[3] 12345\n", NULL, PR_JNL_BACKUP_DIFFERS, false },
    { "needs_recovery without a journal", "-t ext4",
      "feature ^has_journal\nssv journal_inum 0\nfeature needs_recovery\n",
      NULL, PR_JNL_RECOVER_NO_JOURNAL, true },
    { "journal uuid with an internal journal", "-t ext4",
      "ssv journal_uuid 01234567-89ab-cdef-0123-456789abcdef\n", NULL,
      PR_JNL_UUID_INTERNAL, true },
    { "has_journal clear, journal present", "-t ext4",
      "feature ^has_journal\n", NULL, PR_JNL_FEATURE_OFF, false },
    { "journal data without needs_recovery", "-t ext4", NULL,
      "be32 $((JSB + 28)) 5", PR_JNL_DATA_NO_RECOVERY, false },
    { "inode 8 not the journal but not clear", "-t ext4",
      "feature ^has_journal\nssv journal_inum 0\nfeature needs_recovery\n",
      NULL, PR_JNL_INODE8_NOT_CLEAR, true },
  };

  run_cases (cases, N (cases));
}

static void
test_orphans__damage_is_found_as_e2fsck_finds_it (void)
{
  static const struct jcase cases[] = {
    { "crash, orphan link out of range", "-t ext4",
      UNLINK3 "ssv last_orphan 12\nsif <12> links_count 0\n"
      "sif <12> dtime 13\nsif <13> links_count 0\nsif <13> dtime 99999999\n"
      "feature needs_recovery\n", NULL, PR_ORPHAN_LINK_RANGE, true },
    { "crash, orphan link to a reserved inode", "-t ext4",
      UNLINK3 "ssv last_orphan 12\nsif <12> links_count 0\n"
      "sif <12> dtime 13\nsif <13> links_count 0\nsif <13> dtime 5\n"
      "feature needs_recovery\n", NULL, PR_ORPHAN_LINK_RANGE, true },
    { "crash, orphan not in use", "-t ext4",
      "ssv last_orphan 100\nfeature needs_recovery\n", NULL,
      PR_ORPHAN_NOT_IN_USE, true },
    { "crash, orphan cycle", "-t ext4",
      CHAIN3 "sif <14> dtime 12\nfeature needs_recovery\n", NULL,
      PR_ORPHAN_LIST_LOOP, false },
    { "no recovery, orphan chain", "-t ext4", CHAIN3, NULL,
      PR_ORPHAN_UNRECOVERED, true },
    { "no recovery, orphan cycle", "-t ext4", CHAIN3 "sif <14> dtime 12\n",
      NULL, PR_ORPHAN_UNRECOVERED, true },
    { "no recovery, in-use orphan links on", "-t ext4",
      "ssv last_orphan 12\nsif <12> dtime 13\n", NULL,
      PR_ORPHAN_UNRECOVERED, true },
    { "no recovery, unlinked last orphan", "-t ext4",
      "unlink f1\nssv last_orphan 12\nsif <12> links_count 0\n", NULL,
      PR_ORPHAN_UNRECOVERED, true },
    { "no recovery, one truncation orphan", "-t ext4",
      "ssv last_orphan 12\n", NULL, 0, false },
    { "first orphan out of range", "-t ext4", "ssv last_orphan 99999\n",
      NULL, PR_SB_LAST_ORPHAN, false },
    { "orphan file block bad magic", "-t ext4 -O orphan_file", NULL,
      "xor8 $((OFB + BS - 8)) 1", PR_ORPHAN_FILE_MAGIC, true },
    { "orphan file block bad checksum", "-t ext4 -O orphan_file", NULL,
      "xor8 $((OFB + 40)) 1", PR_ORPHAN_FILE_CSUM, true },
    { "orphan file entry, no recovery", "-t ext4 -O orphan_file,"
      "^metadata_csum", "unlink f1\nsif <13> links_count 0\n",
      "le32 $((OFB + 8)) 13", PR_ORPHAN_FILE_UNRECOVERED, true },
    { "orphan_present without orphan_file", "-t ext4",
      "feature orphan_present\n", NULL, PR_ORPHAN_PRESENT_NO_FILE, true },
    { "orphan_present, orphan file clean", "-t ext4 -O orphan_file",
      "feature orphan_present\n", NULL, PR_ORPHAN_PRESENT_CLEAN, true },
  };

  run_cases (cases, N (cases));
}

/* Inside a pass, the orphans recovery will release are known before the
 * inode phase, and only those.
 */
static void
test_orphans__pass_knows_what_recovery_releases (void)
{
  struct scrub_pass p;
  struct opened o;

  make_image ("-t ext4", UNLINK3 "sif <12> links_count 0\n"
              "sif <12> dtime 13\nsif <13> links_count 0\nsif <13> dtime 14\n"
              "sif <14> links_count 0\n", CRASH_WITH_ORPHANS);
  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, NULL, NULL, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_collect_orphans (&p), 0);
  CU_ASSERT (scrub_pass_orphan (&p, 12));
  CU_ASSERT (scrub_pass_orphan (&p, 13));
  CU_ASSERT (scrub_pass_orphan (&p, 14));
  CU_ASSERT (!scrub_pass_orphan (&p, 15));
  CU_ASSERT (!scrub_pass_orphan (&p, 2));
  scrub_pass_free (&p);
  close_image (&o);

  /* Without pending recovery nothing is released. */
  make_image ("-t ext4", CHAIN3, NULL);
  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, NULL, NULL, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_collect_orphans (&p), 0);
  CU_ASSERT_EQUAL (p.norphans, 0);
  scrub_pass_free (&p);
  close_image (&o);

  /* A cycle ends; the inode holding a bad link is not released. */
  make_image ("-t ext4", CHAIN3 "sif <14> dtime 12\nsif <13> dtime 99999\n"
              "feature needs_recovery\n", NULL);
  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, NULL, NULL, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_collect_orphans (&p), 0);
  CU_ASSERT (scrub_pass_orphan (&p, 12));
  CU_ASSERT (!scrub_pass_orphan (&p, 13));
  scrub_pass_free (&p);
  close_image (&o);

  /* Nor one that is free already (ORPHAN_NOT_IN_USE). */
  make_image ("-t ext4", "ssv last_orphan 100\nfeature needs_recovery\n",
              NULL);
  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, NULL, NULL, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_collect_orphans (&p), 0);
  CU_ASSERT_EQUAL (p.norphans, 0);
  scrub_pass_free (&p);
  close_image (&o);
}

/* The kernel's own crash image: a mounted ext4 with three files open but
 * unlinked, copied while mounted (so it needs recovery and its orphans
 * are in the journal).  Skipped where loop mounts are not allowed.
 */
static const char kernel_crash[] =
  "M=$IMG.mnt; mkdir -p $M && mount -o loop,commit=1 $IMG $M || exit 77; "
  "for i in 1 2 3; do head -c 300000 /dev/urandom >$M/held$i; done; "
  "mkdir $M/d && for i in $(seq 1 20); do echo $i >$M/d/f$i; done; "
  "sh -c 'exec 3<'$M/held1' 4<'$M/held2' 5<'$M/held3'; exec sleep 60' & "
  "H=$!; sleep 1; rm $M/held1 $M/held2 $M/held3 && sync && sleep 3; "
  "cp $IMG $IMG.crash; r=$?; kill $H; wait $H 2>/dev/null; "
  "umount $M; exit $r";

static void
kernel_case (const char *recipe, bool oracle_agrees)
{
  struct scrub_pass p;
  struct opened o;
  struct run r;
  int rc;

  make_image (recipe, NULL, NULL);
  rc = sh ("%s", kernel_crash);
  if (rc == 77) {
    fprintf (stderr, "\n  skipped: cannot loop-mount here");
    return;
  }
  CU_ASSERT_EQUAL_FATAL (rc, 0);
  CU_ASSERT_EQUAL_FATAL (sh ("mv $IMG.crash $IMG"), 0);
  CU_ASSERT (needs_recovery ());
  rc = oracle ();
  scrub_all (&r);
  if (r.corrupt)
    show (recipe, &r, rc);
  CU_ASSERT (!r.corrupt);
  if (oracle_agrees)
    CU_ASSERT_EQUAL (rc & 4, 0);
  pass_all (&r);
  if (r.corrupt)
    show (recipe, &r, rc);
  CU_ASSERT (!r.corrupt);

  open_image (&o);
  CU_ASSERT_EQUAL_FATAL (scrub_pass_init (&p, &o.fs, NULL, NULL, NULL,
                                          NULL), 0);
  CU_ASSERT_EQUAL (scrub_pass_collect_orphans (&p), 0);
  CU_ASSERT_EQUAL (p.norphans, 3);
  scrub_pass_free (&p);
  close_image (&o);
}

static void
test_orphans__kernel_crash_images_are_not_corrupt (void)
{
  kernel_case ("-t ext4 -b 4096", true);
  kernel_case ("-t ext4 -b 1024", true);
  /* e2fsck 1.47.0 releases orphan-file inodes without clearing their
   * entries, then calls the block not clean (fixed in 1.47.2): its
   * verdict is not the oracle here.
   */
  kernel_case ("-t ext4 -O orphan_file", false);
}

/* The probe records nothing; the journal scrubber is there only for a
 * filesystem with something journal-like.
 */
static void
test_probe__records_nothing_and_journal_needs_a_journal (void)
{
  struct scrub_request probe = { SCRUB_TYPE_PROBE, 0, 0, 0, 0 };
  struct scrub_request jnl = { SCRUB_TYPE_JOURNAL, 0, 0, 0, 0 };
  struct scrub_ctx sc;
  struct run r;
  struct opened o;

  memset (&r, 0, sizeof r);
  make_image ("-t ext2", NULL, NULL);
  open_image (&o);
  CU_ASSERT_EQUAL (scrub_run (&sc, &o.fs, &probe, true, collect, &r), 0);
  CU_ASSERT_EQUAL (sc.oflags, 0);
  CU_ASSERT_EQUAL (scrub_run (&sc, &o.fs, &jnl, true, collect, &r),
                   -ENOENT);
  jnl.group = 1;
  CU_ASSERT_EQUAL (scrub_validate (&o.fs, &jnl, true), -ENOENT);
  close_image (&o);
  CU_ASSERT_EQUAL (r.ncodes, 0);

  make_image ("-t ext4", NULL, NULL);
  open_image (&o);
  CU_ASSERT_EQUAL (scrub_validate (&o.fs, &jnl, true), -EINVAL);
  jnl.group = 0;
  CU_ASSERT_EQUAL (scrub_run (&sc, &o.fs, &jnl, true, collect, &r), 0);
  close_image (&o);
}

static void
test_journal__cleanup (void)
{
  if (dir_made)
    CU_ASSERT_EQUAL (sh ("rm -rf %s", dir), 0);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_journal__clean_images_have_no_corruption),
  UNIT_TEST (test_journal__crash_images_are_not_corrupt),
  UNIT_TEST (test_journal__damage_is_found_as_e2fsck_finds_it),
  UNIT_TEST (test_orphans__damage_is_found_as_e2fsck_finds_it),
  UNIT_TEST (test_orphans__pass_knows_what_recovery_releases),
  UNIT_TEST (test_orphans__kernel_crash_images_are_not_corrupt),
  UNIT_TEST (test_probe__records_nothing_and_journal_needs_a_journal),
  UNIT_TEST (test_journal__cleanup),
};

UNIT_MAIN ("scrub-journal", tests)
