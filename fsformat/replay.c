/* nbdscrub fsformat: journal recovery in memory (see replay.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "fsf.h"
#include "journal.h"
#include "crc.h"
#include "replay.h"

/* One tag of the log: fsblock's new content is journal block jblock. */
struct rec {
  uint64_t fsblock;
  uint64_t jblock;
  uint32_t tid;
  uint32_t flags;
  uint32_t csum;
  size_t order;               /* position in the log */
};

/* One revoke record. */
struct rev {
  uint64_t fsblock;
  uint32_t tid;
};

/* The state of one recovery. */
struct walk {
  fsf_jbmap_fn bmap;
  void *opaque;
  const struct fsf_source *fs;
  const struct fsf_jsb *jsb;
  uint32_t bs;
  uint64_t ring;              /* s_maxlen - s_first */
  struct rec *recs;
  size_t nrecs, caprecs;
  struct rev *revs;
  size_t nrevs, caprevs;
  uint32_t settled;           /* transactions before this one committed */
  uint64_t open_revokes;      /* records read in the open transaction */
  uint64_t done_revokes;      /* ... and in committed ones */
  bool bad_revoke;            /* an r_count past the block ... */
  uint32_t bad_revoke_tid;    /* ... in this transaction (the first) */
};

/* Grow an array of *cap elements of size sz so that one more fits. */
static int
grow (void **arr, size_t *cap, size_t n, size_t sz)
{
  size_t ncap;
  void *p;

  if (n < *cap)
    return 0;
  ncap = *cap ? *cap * 2 : 64;
  if (ncap > SIZE_MAX / sz)
    return -ENOMEM;
  p = realloc (*arr, ncap * sz);
  if (p == NULL)
    return -ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

/* Read journal block jblock (one block) into buf. */
static int
read_jblock (const struct walk *w, uint64_t jblock, uint8_t *buf)
{
  uint64_t fsblock;
  int r;

  if (jblock >= w->jsb->maxlen)
    return FSF_BAD_RANGE;
  r = w->bmap (w->opaque, jblock, &fsblock);
  if (r)
    return r;
  if (fsblock >= w->fs->size / w->bs)
    return FSF_BAD_RANGE;
  return fsf_read (w->fs, buf, w->bs, fsblock * w->bs);
}

/* The log block n blocks after jblock, wrapping to s_first. */
static uint64_t
advance (const struct walk *w, uint64_t jblock, uint64_t n)
{
  uint64_t first = w->jsb->first;

  return first + (jblock - first + n) % w->ring;
}

static int
note_tags (struct walk *w, const uint8_t *buf, uint64_t next, uint32_t tid,
           uint64_t order)
{
  struct fsf_jtag tag;
  size_t off = 0;
  uint64_t i = 0;
  int r;

  while (fsf_jtag_next (w->jsb, buf, &off, &tag)) {
    struct rec *rc;

    r = grow ((void **) &w->recs, &w->caprecs, w->nrecs, sizeof *w->recs);
    if (r)
      return r;
    rc = &w->recs[w->nrecs++];
    rc->fsblock = tag.blocknr;
    rc->jblock = advance (w, next, i);
    rc->tid = tid;
    rc->flags = tag.flags;
    rc->csum = tag.checksum;
    rc->order = (size_t) (order + i);
    i++;
  }
  return 0;
}

static int
cmp_rev_tid (const void *a, const void *b)
{
  const struct rev *x = a, *y = b;

  if (x->fsblock != y->fsblock)
    return x->fsblock < y->fsblock ? -1 : 1;
  return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Squeeze the revoke records while the scan runs, so a log that revokes
 * the same blocks over and over costs memory for the distinct ones only:
 * exact duplicates go, and of a block's records from transactions known
 * to have committed only the newest is kept (that is all PASS_REVOKE
 * asks of them).  Records of transactions still open are kept apart:
 * whether they count depends on commits not yet read.
 */
static void
compact_revokes (struct walk *w)
{
  size_t i, n = 0;

  if (w->nrevs > 1)
    qsort (w->revs, w->nrevs, sizeof *w->revs, cmp_rev_tid);
  for (i = 0; i < w->nrevs; i++) {
    struct rev *last = n ? &w->revs[n - 1] : NULL;
    const struct rev *cur = &w->revs[i];

    if (last && last->fsblock == cur->fsblock) {
      bool last_done = fsf_tid_gt (w->settled, last->tid);
      bool cur_done = fsf_tid_gt (w->settled, cur->tid);

      if (last->tid == cur->tid)
        continue;
      if (last_done && cur_done) {
        if (fsf_tid_gt (cur->tid, last->tid))
          last->tid = cur->tid;
        continue;
      }
    }
    w->revs[n++] = *cur;
  }
  w->nrevs = n;
}

static int
note_revokes (struct walk *w, const uint8_t *buf, uint32_t tid)
{
  size_t rlen = w->jsb->feature_incompat & FSF_JINCOMPAT_64BIT ? 8 : 4;
  size_t max = w->bs - (w->jsb->csum ? FSF_JTAIL_SIZE : 0);
  uint32_t rcount = fsf_be32 (buf + 12);
  size_t off;
  int r;

  if (rcount > max) {
    if (!w->bad_revoke) {
      w->bad_revoke = true;
      w->bad_revoke_tid = tid;
    }
    return 0;
  }
  for (off = FSF_JREVOKE_HDR_SIZE; off + rlen <= rcount; off += rlen) {
    uint64_t fsblock = rlen == 8 ? fsf_be64 (buf + off) : fsf_be32 (buf + off);
    struct rev *rv;

    w->open_revokes++;
    /* A block past the device is never replayed: nothing to revoke. */
    if (fsblock >= w->fs->size / w->bs)
      continue;
    /* Full: squeeze first, and grow only if that freed too little. */
    if (w->nrevs == w->caprevs && w->caprevs) {
      compact_revokes (w);
      if (w->nrevs > w->caprevs / 2)
        r = grow ((void **) &w->revs, &w->caprevs, w->nrevs,
                  sizeof *w->revs);
      else
        r = 0;
    }
    else
      r = grow ((void **) &w->revs, &w->caprevs, w->nrevs, sizeof *w->revs);
    if (r)
      return r;
    rv = &w->revs[w->nrevs++];
    rv->fsblock = fsblock;
    rv->tid = tid;
  }
  return 0;
}

/* The v1 commit checksum: h_chksum_type (0x0c), h_chksum_size (0x0d) and
 * h_chksum[0] (0x10).  A crc32 of 4 bytes that matches the sum, or no
 * checksum at all (type, size and value 0), as the kernel accepts.
 */
static bool
v1_commit_ok (const uint8_t *commit, uint32_t crc32_sum)
{
  uint32_t found = fsf_be32 (commit + 0x10);

  if (commit[0x0c] == 1 && commit[0x0d] == 4)
    return found == crc32_sum;
  return commit[0x0c] == 0 && commit[0x0d] == 0 && found == 0;
}

/* Pass 1, the kernel's PASS_SCAN: find where the committed log ends,
 * noting tags and revoke records on the way.  Returns 0 or an error.
 */
static int
scan (struct walk *w, uint8_t *buf, struct fsf_jreplay *jr)
{
  const struct fsf_jsb *jsb = w->jsb;
  bool async = jsb->feature_incompat & FSF_JINCOMPAT_ASYNC_COMMIT;
  /* compat journal_checksum (the v1 scheme): a crc32_be over each
   * transaction's descriptor and data blocks, checked at its commit.
   */
  bool v1 = jsb->feature_compat & FSF_JCOMPAT_CHECKSUM;
  uint64_t next = jsb->start, walked = 0, last_time = 0;
  uint32_t tid = jsb->sequence, end = 0, crc32_sum = ~0U;
  bool end_set = false, need_check = false;
  struct fsf_jhdr h;
  int r;

  for (;;) {
    uint64_t here = next, commit_time;
    uint32_t n;

    if (walked >= w->ring) {
      jr->stop = FSF_JSTOP_BOUND;
      break;
    }
    r = read_jblock (w, here, buf);
    if (r)
      return r;
    walked++;
    next = advance (w, here, 1);
    jr->stop_jblock = here;

    if (fsf_jhdr_decode (buf, w->bs, &h)) {
      jr->stop = FSF_JSTOP_NO_MAGIC;
      break;
    }
    if (h.sequence != tid) {
      jr->stop = FSF_JSTOP_SEQUENCE;
      break;
    }
    switch (h.blocktype) {
    case FSF_JBT_DESCRIPTOR:
      /* A bad checksum may be a stale block of an older log: the
       * commit block that follows tells (below).
       */
      if (!fsf_jtail_csum_verify (jsb, buf))
        need_check = true;
      n = fsf_jdesc_count_tags (jsb, buf);
      if (v1 && !end_set)
        crc32_sum = fsf_crc32_be (crc32_sum, buf, w->bs);
      r = note_tags (w, buf, next, tid, walked);
      if (r)
        return r;
      if (v1 && !end_set) {
        uint32_t i;

        /* n is bounded by the tags a block holds. */
        for (i = 0; i < n; i++) {
          r = read_jblock (w, advance (w, next, i), buf);
          if (r)
            return r;
          crc32_sum = fsf_crc32_be (crc32_sum, buf, w->bs);
        }
      }
      walked += n;
      next = advance (w, next, n);
      continue;

    case FSF_JBT_COMMIT:
      commit_time = fsf_be64 (buf + FSF_JCOMMIT_SEC_OFFSET);
      if (need_check) {
        if (commit_time >= last_time)
          return FSF_BAD_CSUM;
        jr->stop = FSF_JSTOP_STALE;
        goto done;
      }
      if (v1 && end_set) {
        /* An earlier commit failed under async_commit: the kernel
         * stops here.
         */
        jr->stop = FSF_JSTOP_COMMIT_CSUM;
        goto done;
      }
      if (!fsf_jcommit_csum_verify (jsb, buf)
          || (v1 && !v1_commit_ok (buf, crc32_sum))) {
        if (commit_time < last_time) {
          jr->stop = FSF_JSTOP_STALE;
          goto done;
        }
        end = tid;
        end_set = true;
        if (!async) {
          jr->stop = FSF_JSTOP_COMMIT_CSUM;
          goto done;
        }
      }
      crc32_sum = ~0U;
      last_time = commit_time;
      tid++;
      if (!end_set) {
        w->settled = tid;
        w->done_revokes += w->open_revokes;
      }
      w->open_revokes = 0;
      continue;

    case FSF_JBT_REVOKE:
      if (!fsf_jtail_csum_verify (jsb, buf))
        need_check = true;
      r = note_revokes (w, buf, tid);
      if (r)
        return r;
      continue;

    default:
      jr->stop = FSF_JSTOP_BLOCKTYPE;
      goto done;
    }
  }
 done:
  jr->blocks_walked = walked;
  jr->end_tid = end_set ? end : tid;
  jr->transactions = jr->end_tid - jr->first_tid;
  return 0;
}

static int
cmp_rec (const void *a, const void *b)
{
  const struct rec *x = a, *y = b;

  if (x->fsblock != y->fsblock)
    return x->fsblock < y->fsblock ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_rev (const void *a, const void *b)
{
  const struct rev *x = a, *y = b;

  return x->fsblock < y->fsblock ? -1 : x->fsblock > y->fsblock;
}

/* Pass 2, the kernel's PASS_REVOKE: keep the records of committed
 * transactions, one per block, with the newest tid.
 */
static void
settle_revokes (struct walk *w, struct fsf_jreplay *jr)
{
  size_t i, n = 0;

  for (i = 0; i < w->nrevs; i++)
    if (fsf_tid_gt (jr->end_tid, w->revs[i].tid))
      w->revs[n++] = w->revs[i];
  /* Records read, not those left after squeezing (compact_revokes). */
  jr->nr_revokes = w->done_revokes;
  if (n > 1)
    qsort (w->revs, n, sizeof *w->revs, cmp_rev);
  w->nrevs = 0;
  for (i = 0; i < n; i++) {
    struct rev *last = w->nrevs ? &w->revs[w->nrevs - 1] : NULL;

    if (last && last->fsblock == w->revs[i].fsblock) {
      if (fsf_tid_gt (w->revs[i].tid, last->tid))
        last->tid = w->revs[i].tid;
    }
    else
      w->revs[w->nrevs++] = w->revs[i];
  }
}

static bool
revoked (const struct walk *w, const struct rec *rc)
{
  struct rev key = { .fsblock = rc->fsblock };
  const struct rev *rv;

  if (w->nrevs == 0)
    return false;
  rv = bsearch (&key, w->revs, w->nrevs, sizeof *w->revs, cmp_rev);
  return rv && !fsf_tid_gt (rc->tid, rv->tid);
}

/* Pass 3, the kernel's PASS_REPLAY, into the overlay. */
static int
replay (struct walk *w, uint8_t *buf, struct fsf_jreplay *jr)
{
  uint64_t fs_blocks = w->fs->size / w->bs;
  size_t i, n = 0, slots = 0;
  int r;

  /* Keep what will be replayed, before sizing the overlay by it. */
  for (i = 0; i < w->nrecs; i++) {
    const struct rec *rc = &w->recs[i];

    if (!fsf_tid_gt (jr->end_tid, rc->tid))
      continue;
    if (rc->fsblock >= fs_blocks) {
      jr->nr_out_of_range++;
      continue;
    }
    if (revoked (w, rc)) {
      jr->nr_revoke_hits++;
      continue;
    }
    w->recs[n++] = *rc;
  }
  w->nrecs = n;
  if (n > 1)
    qsort (w->recs, n, sizeof *w->recs, cmp_rec);
  for (i = 0; i < n; i++)
    slots += i == 0 || w->recs[i].fsblock != w->recs[i - 1].fsblock;
  if (slots == 0)
    return 0;
  if (slots > SIZE_MAX / w->bs)
    return -ENOMEM;
  jr->blocknr = calloc (slots, sizeof *jr->blocknr);
  jr->data = malloc (slots * w->bs);
  if (jr->blocknr == NULL || jr->data == NULL)
    return -ENOMEM;

  for (i = 0; i < n; i++) {
    const struct rec *rc = &w->recs[i];
    uint8_t *slot;

    r = read_jblock (w, rc->jblock, buf);
    if (r)
      return r;
    if (w->jsb->csum) {
      struct fsf_jtag tag = { .checksum = rc->csum };

      if (!fsf_jtag_csum_verify (w->jsb, rc->tid, &tag, buf)) {
        jr->nr_bad_tags++;
        continue;
      }
    }
    if (jr->nblocks == 0 || jr->blocknr[jr->nblocks - 1] != rc->fsblock)
      jr->blocknr[jr->nblocks++] = rc->fsblock;
    slot = jr->data + (jr->nblocks - 1) * w->bs;
    memcpy (slot, buf, w->bs);
    if (rc->flags & FSF_JFLAG_ESCAPE)
      fsf_put_be32 (slot, FSF_JBD2_MAGIC);
    jr->nr_replays++;
  }
  return 0;
}

static int
load_sb (struct walk *w, uint8_t *buf, struct fsf_jreplay *jr)
{
  uint64_t fsblock;
  int r;

  r = w->bmap (w->opaque, 0, &fsblock);
  if (r)
    return r;
  if (fsblock >= w->fs->size / w->bs)
    return FSF_BAD_RANGE;
  r = fsf_read (w->fs, buf, w->bs, fsblock * w->bs);
  if (r)
    return r;
  r = fsf_jsb_decode (buf, w->bs, &jr->jsb);
  if (r)
    return r;
  if (jr->jsb.csum && !fsf_jsb_csum_verify (buf))
    return FSF_BAD_CSUM;
  if (jr->jsb.blocksize != w->bs)
    return FSF_BAD_FIELD;
  return 0;
}

int
fsf_jreplay_scan (fsf_jbmap_fn bmap, void *opaque,
                  const struct fsf_source *fs, uint32_t fs_block_size,
                  struct fsf_jreplay *jr)
{
  struct walk w = {
    .bmap = bmap, .opaque = opaque, .fs = fs, .bs = fs_block_size,
    .jsb = &jr->jsb,
  };
  uint8_t *buf;
  int r;

  memset (jr, 0, sizeof *jr);
  if (fs_block_size < 1024 || fs_block_size > 65536
      || !fsf_is_pow2 (fs_block_size))
    return -EINVAL;
  jr->block_size = fs_block_size;
  buf = malloc (fs_block_size);
  if (buf == NULL)
    return -ENOMEM;
  r = load_sb (&w, buf, jr);
  if (r)
    goto out;
  w.ring = jr->jsb.maxlen - jr->jsb.first;
  w.settled = jr->jsb.sequence;
  jr->first_tid = jr->end_tid = jr->jsb.sequence;
  jr->fc_present = jr->jsb.feature_incompat & FSF_JINCOMPAT_FAST_COMMIT;
  if (jr->jsb.start == 0) {
    jr->stop = FSF_JSTOP_CLEAN;
    goto out;
  }
  r = scan (&w, buf, jr);
  if (r)
    goto out;
  if (w.bad_revoke && fsf_tid_gt (jr->end_tid, w.bad_revoke_tid)) {
    r = FSF_BAD_FIELD;
    goto out;
  }
  settle_revokes (&w, jr);
  r = replay (&w, buf, jr);
 out:
  free (buf);
  free (w.recs);
  free (w.revs);
  if (r)
    fsf_jreplay_free (jr);
  return r;
}

void
fsf_jreplay_free (struct fsf_jreplay *jr)
{
  free (jr->blocknr);
  free (jr->data);
  jr->blocknr = NULL;
  jr->data = NULL;
  jr->nblocks = 0;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

  return x < y ? -1 : x > y;
}

const uint8_t *
fsf_jreplay_lookup (const struct fsf_jreplay *jr, uint64_t fsblock)
{
  const uint64_t *p;

  if (jr->nblocks == 0)
    return NULL;
  p = bsearch (&fsblock, jr->blocknr, jr->nblocks, sizeof *jr->blocknr,
               cmp_u64);
  return p ? jr->data + (size_t) (p - jr->blocknr) * jr->block_size : NULL;
}

const char *
fsf_jstop_name (enum fsf_jstop stop)
{
  switch (stop) {
  case FSF_JSTOP_CLEAN: return "clean journal";
  case FSF_JSTOP_NO_MAGIC: return "no magic";
  case FSF_JSTOP_SEQUENCE: return "unexpected sequence";
  case FSF_JSTOP_BLOCKTYPE: return "unknown block type";
  case FSF_JSTOP_COMMIT_CSUM: return "bad commit checksum";
  case FSF_JSTOP_STALE: return "stale block";
  case FSF_JSTOP_BOUND: return "walked the whole journal";
  }
  return "unknown";
}

/* Read [off, off+len): runs of blocks the overlay does not hold come from
 * the base in one read each; overlay blocks are copied.
 */
static int
replay_read (void *opaque, void *buf, size_t len, uint64_t off)
{
  const struct fsf_replay_view *v = opaque;
  uint32_t bs = v->jr->block_size;
  uint8_t *p = buf;
  uint64_t pending = off;     /* start of the run still to read */
  uint8_t *pending_p = p;
  int r;

  if (v->jr->nblocks == 0)
    return fsf_read (v->base, buf, len, off);
  while (len > 0) {
    uint64_t blk = off / bs;
    size_t in = off % bs;
    size_t n = bs - in < len ? bs - in : len;
    const uint8_t *ov = fsf_jreplay_lookup (v->jr, blk);

    if (ov) {
      if (off > pending) {
        r = fsf_read (v->base, pending_p, off - pending, pending);
        if (r)
          return r;
      }
      memcpy (p, ov + in, n);
      pending = off + n;
      pending_p = p + n;
    }
    p += n;
    off += n;
    len -= n;
  }
  if (off > pending)
    return fsf_read (v->base, pending_p, off - pending, pending);
  return 0;
}

void
fsf_source_replay (struct fsf_source *src, struct fsf_replay_view *view)
{
  src->read = replay_read;
  src->opaque = view;
  src->size = view->base->size;
}
