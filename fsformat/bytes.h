/* nbdscrub fsformat: byte-order accessors.
 *
 * The byte order is part of the accessor's name: ext2/3/4 metadata is
 * little-endian (fsf_le*), the jbd2 journal is big-endian (fsf_be*).
 * They read unaligned bytes, so a decoder never casts a buffer to a
 * struct.
 */
#ifndef NBDSCRUB_FSF_BYTES_H
#define NBDSCRUB_FSF_BYTES_H

#include <stdint.h>

static inline uint16_t
fsf_le16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t
fsf_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
    | (uint32_t) p[3] << 24;
}

static inline uint64_t
fsf_le64 (const uint8_t *p)
{
  return (uint64_t) fsf_le32 (p) | (uint64_t) fsf_le32 (p + 4) << 32;
}

static inline uint16_t
fsf_be16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
fsf_be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
    | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

static inline uint64_t
fsf_be64 (const uint8_t *p)
{
  return (uint64_t) fsf_be32 (p) << 32 | fsf_be32 (p + 4);
}

static inline void
fsf_put_le16 (uint8_t *p, uint16_t v)
{
  p[0] = v;
  p[1] = v >> 8;
}

static inline void
fsf_put_le32 (uint8_t *p, uint32_t v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static inline void
fsf_put_be32 (uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
fsf_put_le64 (uint8_t *p, uint64_t v)
{
  fsf_put_le32 (p, (uint32_t) v);
  fsf_put_le32 (p + 4, (uint32_t) (v >> 32));
}

static inline int
fsf_is_pow2 (uint32_t v)
{
  return v && !(v & (v - 1));
}

/* lo | hi << 32, for the split 64-bit fields of ext4. */
static inline uint64_t
fsf_lohi (uint32_t lo, uint32_t hi)
{
  return (uint64_t) lo | (uint64_t) hi << 32;
}

#endif /* NBDSCRUB_FSF_BYTES_H */
