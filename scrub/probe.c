/* nbdscrub: the probe scrubber (SCRUB_TYPE_PROBE), the whole filesystem.
 *
 * The cheapest request there is: that the filesystem opens.  By the time
 * a scrubber runs, fsf_fs_open has read and decoded the superblock (the
 * magic, a geometry that fits the device) and replayed the journal if it
 * needed it; a filesystem that fails any of that never reaches here, and
 * the caller reports why.  The server runs a probe before each pass to
 * re-detect the filesystem (a client may have run mkfs since the last
 * one) without the cost of the superblock scrubber's backup reads.
 *
 * So it records nothing and returns 0.  What the superblock holds, and
 * which features this version cannot check (SB_UNSUPPORTED), are the
 * superblock scrubber's to say.
 */

#include "scrub.h"

static int
scrub_probe (struct scrub_ctx *sc)
{
  (void) sc;
  return 0;
}

const struct scrub_ops scrub_probe_ops = {
  .scope = SCRUB_SCOPE_FS,
  .scrub = scrub_probe,
};
