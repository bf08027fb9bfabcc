/* nbdscrub fsformat: the checksums of ext4 and jbd2.
 *
 * fsf_crc32c is the raw CRC-32C (Castagnoli, reflected polynomial
 * 0x82F63B78) with the caller's initial value and no final inversion:
 * what the kernel's crc32c_le and e2fsprogs' ext2fs_crc32c_le compute, and
 * what ext4 and jbd2 store.  The standard check value is
 * ~fsf_crc32c (~0, "123456789", 9) == 0xE3069283.  It uses the SSE4.2
 * crc32 instruction where the CPU has it, tables otherwise; both give the
 * same answer.
 *
 * fsf_crc16 is the CRC-16 of gdt_csum (uninit_bg): reflected polynomial
 * 0xA001 (0x8005), the caller's initial value, no inversion, as
 * ext2fs_crc16.
 */
#ifndef NBDSCRUB_FSF_CRC_H
#define NBDSCRUB_FSF_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern uint32_t fsf_crc32c (uint32_t crc, const void *buf, size_t len);

/* The big-endian CRC-32 (polynomial 0x04C11DB7, most significant bit
 * first, the caller's initial value, no inversion): the kernel's crc32_be,
 * used by jbd2's old transaction checksums (compat journal_checksum).
 * fsf_crc32_be (~0, "123456789", 9) == 0x0376E6E7 (CRC-32/MPEG-2).
 */
extern uint32_t fsf_crc32_be (uint32_t crc, const void *buf, size_t len);
extern uint16_t fsf_crc16 (uint16_t crc, const void *buf, size_t len);

/* How every per-inode metadata_csum checksum starts (directory leaves
 * and index blocks, extent blocks, orphan-file blocks):
 * fsf_crc32c (seed, le32 ino, le32 generation).
 */
extern uint32_t fsf_crc32c_owner (uint32_t seed, uint32_t ino,
                                  uint32_t generation);

/* fsf_crc32c (crc, buf[0..len)) with the 4 bytes at hole read as zero:
 * a structure checksummed with its own checksum field blanked.
 */
extern uint32_t fsf_crc32c_hole (uint32_t crc, const void *buf, size_t len,
                                 size_t hole);

/* The table-driven path alone, for tests and benchmarks. */
extern uint32_t fsf_crc32c_sw (uint32_t crc, const void *buf, size_t len);
/* Whether fsf_crc32c uses the CPU's instruction. */
extern bool fsf_crc32c_hw (void);

#endif /* NBDSCRUB_FSF_CRC_H */
