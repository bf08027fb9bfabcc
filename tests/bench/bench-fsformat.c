/* nbdscrub: fsformat micro-benchmarks (make bench).
 *
 * crc32c throughput with the CPU instruction and with the tables, and
 * how fast the decoders run, on buffers made here.  Prints one line per
 * measurement: name, value, unit.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "crc.h"
#include "inode.h"
#include "super.h"

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run fn over buf until at least 1 s has passed; bytes per second. */
static double
crc_rate (uint32_t (*fn) (uint32_t, const void *, size_t), const void *buf,
          size_t len, uint32_t *sink)
{
  double t0 = now (), t;
  uint64_t bytes = 0;

  do {
    *sink ^= fn (~0U, buf, len);
    bytes += len;
  } while ((t = now () - t0) < 1.0);
  return bytes / t;
}

int
main (void)
{
  const size_t len = 4 << 20;
  uint8_t *buf = malloc (len), sb_buf[FSF_SB_SIZE];
  uint32_t sink = 0;
  struct fsf_sb sb;
  double t0, t;
  uint64_t n;
  size_t i;

  if (buf == NULL)
    return 1;
  for (i = 0; i < len; i++)
    buf[i] = (uint8_t) (i * 2654435761u >> 24);

  printf ("crc32c_hw %.0f MiB/s%s\n",
          crc_rate (fsf_crc32c, buf, len, &sink) / 1048576,
          fsf_crc32c_hw () ? "" : " (no SSE4.2: tables)");
  printf ("crc32c_sw %.0f MiB/s\n",
          crc_rate (fsf_crc32c_sw, buf, len, &sink) / 1048576);
  printf ("crc32c_hw_4k %.0f MiB/s\n",
          crc_rate (fsf_crc32c, buf, 4096, &sink) / 1048576);

  /* A valid 4 KiB-block superblock, decoded and checksummed. */
  memset (sb_buf, 0, sizeof sb_buf);
  fsf_put_le32 (sb_buf + 0x00, 8192);
  fsf_put_le32 (sb_buf + 0x04, 32768);
  fsf_put_le32 (sb_buf + 0x18, 2);
  fsf_put_le32 (sb_buf + 0x1c, 2);
  fsf_put_le32 (sb_buf + 0x20, 32768);
  fsf_put_le32 (sb_buf + 0x24, 32768);
  fsf_put_le32 (sb_buf + 0x28, 8192);
  fsf_put_le16 (sb_buf + 0x38, FSF_SB_MAGIC);
  fsf_put_le32 (sb_buf + 0x4c, 1);
  fsf_put_le32 (sb_buf + 0x54, 11);
  fsf_put_le16 (sb_buf + 0x58, 256);
  fsf_put_le32 (sb_buf + 0x64, FSF_RO_COMPAT_METADATA_CSUM);
  sb_buf[0x175] = 1;
  fsf_sb_csum_set (sb_buf);
  n = 0;
  t0 = now ();
  do {
    for (i = 0; i < 1000; i++) {
      sink ^= fsf_sb_decode (sb_buf, sizeof sb_buf, &sb);
      sink ^= fsf_sb_csum_verify (sb_buf);
    }
    n += 1000;
  } while ((t = now () - t0) < 1.0);
  printf ("superblock_decode_verify %.0f ns/op\n", t / n * 1e9);

  /* A 256-byte inode with extra fields and its checksum: the per-inode
   * cost of reading an inode table.
   */
  {
    uint8_t ibuf[256];
    struct fsf_inode in;

    memset (ibuf, 0, sizeof ibuf);
    fsf_put_le16 (ibuf + 0x00, 0100644);
    fsf_put_le32 (ibuf + 0x04, 12345);
    fsf_put_le16 (ibuf + 0x1a, 1);
    fsf_put_le32 (ibuf + 0x20, FSF_EXTENTS_FL);
    fsf_put_le16 (ibuf + 0x80, 32);
    fsf_inode_csum_set (&sb, 12, ibuf);
    n = 0;
    t0 = now ();
    do {
      for (i = 0; i < 1000; i++) {
        sink ^= fsf_inode_decode (ibuf, sizeof ibuf, &sb, &in);
        sink ^= fsf_inode_csum_verify (&sb, 12, ibuf);
      }
      n += 1000;
    } while ((t = now () - t0) < 1.0);
    printf ("inode_decode_verify %.0f ns/inode\n", t / n * 1e9);
  }

  free (buf);
  return sink == 0x12345678; /* keep the work from being optimised away */
}
