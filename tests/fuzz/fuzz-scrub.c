/* nbdscrub: libFuzzer target over the whole scrub engine.
 *
 * The input is a filesystem image served from memory.  It is opened as
 * nbdscrub check opens one (refusing unsupported features, replaying the
 * journal in memory) and a full pass runs over it: every scrubber, the
 * cross-reference state, the space phase.  ASan, UBSan and libFuzzer's
 * own time and memory limits turn any out-of-bounds access, overflow,
 * hang or runaway allocation into a crash.  Build and run: make fuzz.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fs.h"
#include "pass.h"

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

/* Every finding is formatted, as the command would print it. */
static void
on_finding (void *opaque, const struct scrub_ctx *sc,
            const struct scrub_finding *f)
{
  char msg[512];

  (void) opaque;
  (void) sc;
  scrub_format (f, msg, sizeof msg);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mem m = { data, size };
  struct fsf_source src = { mem_read, &m, size };
  struct fsf_fs fs;
  struct scrub_pass pass;
  char names[512];

  if (fsf_fs_open (&fs, &src, 0) != 0)
    return 0;
  if (fsf_sb_unsupported (&fs.sb, names, sizeof names) == 0
      && scrub_pass_init (&pass, &fs, on_finding, NULL, NULL, NULL) == 0) {
    scrub_pass_run (&pass);
    scrub_pass_free (&pass);
  }
  fsf_fs_close (&fs);
  return 0;
}
