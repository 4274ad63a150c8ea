#pragma once
// A small deterministic PRNG for the data layer. std:: distributions are not
// used anywhere in sjmt::data because their outputs differ between standard
// libraries; everything here is defined bit for bit, so a seed gives the same
// faces, labels and batches with libstdc++, libc++ and MSVC.

#include <cstdint>

namespace sjmt::data {

/// splitmix64 step (Steele, Lea & Flood 2014): a bijective 64-bit mix.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Seed of stream `stream` derived from `seed`, e.g. sample i of a domain.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  return splitmix64(seed ^ splitmix64(stream + 0x632be59bd9b4e019ull));
}

/// xoshiro128+-like generator with a 64-bit state advanced by splitmix64.
/// Ensures: the same seed gives the same sequence on every platform.
class rng {
 public:
  explicit constexpr rng(std::uint64_t seed) : m_state(seed) {}

  /// Next 64 uniformly distributed bits.
  constexpr std::uint64_t next() {
    m_state += 0x9e3779b97f4a7c15ull;
    std::uint64_t x = m_state;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  /// Uniform in [0, 1), 24 bits of precision.
  constexpr float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
  /// Uniform in [lo, hi).
  constexpr float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n). Requires: n > 0. (Lemire's multiply-shift, no modulo bias
  /// worth noting for n < 2^32.)
  constexpr std::uint32_t below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  /// True with probability p.
  constexpr bool bernoulli(float p) { return uniform() < p; }
  /// Approximately standard normal: the Irwin-Hall sum of four 16-bit uniforms, rescaled to unit
  /// variance (no libm call, so identical everywhere; tails are cut at +-3.46).
  constexpr float normal() {
    const std::uint64_t b = next();  // four 16-bit uniforms from one draw
    const float s = static_cast<float>((b & 0xffff) + ((b >> 16) & 0xffff) + ((b >> 32) & 0xffff) + (b >> 48));
    return (s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
  }

 private:
  std::uint64_t m_state;
};

}  // namespace sjmt::data
