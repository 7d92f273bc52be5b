/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and btrfs.
 *
 * The state's snapshot carries one per resource line (docs/state.md): cheap
 * enough to check every line of a 55 MB snapshot on each load (the SSE 4.2
 * instruction where the processor has it, ~10 GB/s; a table otherwise).
 */
#ifndef LF_UTIL_CRC32C_H
#define LF_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of `len` bytes at `p`, continuing from `crc` (0 to start). */
uint32_t lf_crc32c(uint32_t crc, const void *p, size_t len);

#endif
