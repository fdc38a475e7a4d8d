/*
 * crc: the two CRCs verify computes over every byte it reads, fast enough
 * to stay off the critical path (BLAKE2b is the slow one):
 *
 *   crc_32  zlib's crc32() (IEEE 802.3, reflected 0xedb88320, inverted in
 *           and out); the value of "123456789" is 0xcbf43926
 *   crc_64  Redis's CRC-64 of RDB files (Jones polynomial, reflected
 *           0x95ac9329ac4bc9b5, no inversion); the value of "123456789" is
 *           0xe9c6d914c4b8d9ca
 *
 * Both start from 0 and take the previous result back for the next chunk,
 * so a stream can be fed in pieces of any size. On x86-64 with PCLMULQDQ
 * the bulk is folded 64 bytes at a time with carry-less multiplication;
 * elsewhere, and for short inputs, tables are used eight bytes at a time.
 * The results are the same either way. Thread-safe; no allocation.
 */
#ifndef CW_CRC_H
#define CW_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc_32(uint32_t crc, const void *data, size_t len);
uint64_t crc_64(uint64_t crc, const void *data, size_t len);

/* For tests: 0 forces the table code, 1 restores the CPU's best; returns the previous. */
int crc_set_fold(int on);

#endif
