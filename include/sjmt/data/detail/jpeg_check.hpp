#pragma once
// A guard for a defect of stb_image 2.27 (Debian's), found by scripts/fuzz: a JPEG DHT
// segment whose 16 code counts add up to more than 256 makes stbi__build_huffman and
// the value loop write past their 257- and 256-entry tables (a heap/stack overflow
// from a corrupt file). stb 2.28 rejects such a table; until the system stb has that
// fix, read_image walks the JPEG's segments as stb does and refuses the file first.

#include <cstddef>
#include <cstdint>

namespace sjmt::detail {

/// False when `p` is a JPEG (FF D8) with a Huffman table of more than 256 codes.
/// The start of image is found as stb finds it: any number of FF fill bytes may
/// come before its D8 (a fuzzed file of 70 FFs and then a bad table reached stb's
/// overflow past a guard that looked only at the first two bytes). Segments are
/// walked as stb_image walks them: markers with a 16-bit length are
/// skipped by it, fill bytes, RSTn and stuffed FF 00 inside entropy-coded data are
/// passed over, and each DHT table is read as stb reads it (17 bytes, then its codes)
/// for as long as the segment's length says there is more.
inline bool jpeg_huffman_tables_fit(const unsigned char* p, std::size_t n) {
  if (n < 2 || p[0] != 0xFF) return true;  // not a JPEG: not this decoder
  std::size_t i = 1;
  while (i < n && p[i] == 0xFF) ++i;  // fill bytes before the start of image, as stbi__get_marker skips them
  if (i >= n || p[i] != 0xD8) return true;
  ++i;
  while (i < n) {
    if (p[i] != 0xFF) {  // entropy-coded data (or junk) up to the next marker
      ++i;
      continue;
    }
    while (i < n && p[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) break;
    const unsigned m = p[i++];
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // stuffed byte, TEM, RSTn, SOI
    if (m == 0xD9) break;                                              // EOI
    if (i + 2 > n) break;
    const std::size_t length = std::size_t(p[i]) << 8 | p[i + 1];
    if (m == 0xC4) {  // DHT: tables until the length is used up, as stb's loop
      long rest = static_cast<long>(length) - 2;
      std::size_t j = i + 2;
      while (rest > 0) {
        std::size_t codes = 0;
        for (std::size_t k = 0; k < 16; ++k) codes += j + 1 + k < n ? p[j + 1 + k] : 0;  // stb reads 0 past the end
        if (codes > 256) return false;
        rest -= static_cast<long>(17 + codes);
        j += 17 + codes;
        if (j >= n) break;
      }
    }
    i += length;  // the segment (for SOS: its header; the entropy data follows)
  }
  return true;
}

}  // namespace sjmt::detail
