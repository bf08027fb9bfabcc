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

#include "crc.h"
#include "fsf.h"
#include "super.h"

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

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mem m = { data, size };
  struct fsf_source src = { mem_read, &m, size };

  fsf_crc32c (~0U, data, size);
  fsf_crc16 (0xffff, data, size < 4096 ? size : 4096);
  fuzz_super (&src);
  return 0;
}
