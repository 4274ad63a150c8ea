#pragma once
// ResNet for CIFAR-size inputs (He et al. 2016, section 4.2), depth 6n + 2:
// a 3x3 convolution to 16 channels, three stages of n basic blocks with 16, 32
// and 64 channels (the 2nd and 3rd start with stride 2), global average pooling.
// This is the trunk: input (N, H, W, C_in), output features (N, 1, 1, 64).
// A head (nn/heads.hpp) turns features into outputs; see nn/network.hpp.
// `Shortcut` (nn/shortcut.hpp) is that of the two blocks that change the
// shape: projection_shortcut (option B, the default) or zero_pad_shortcut
// (option A, parameter-free: He et al.'s CIFAR networks; 2,752 trainable values
// fewer at every depth, the two projections and their batch norms).

#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "activation.hpp"
#include "basic_block.hpp"
#include "batch_norm.hpp"
#include "batch_norm_relu.hpp"
#include "conv2d.hpp"

namespace sjmt {

template <class Backend, class T, std::size_t Depth, shortcut_option Shortcut = projection_shortcut>
  requires backend_for<Backend, T>
class resnet_cifar {
  static_assert(Depth >= 8 && (Depth - 2) % 6 == 0,
                "resnet_cifar: Depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 56, 110, ...).");

 public:
  using backend = Backend;
  using value_type = T;
  using tensor = typename Backend::template tensor<T>;
  using shortcut_type = Shortcut;
  static constexpr std::size_t depth = Depth;
  static constexpr std::size_t blocks_per_stage = (Depth - 2) / 6;
  static constexpr std::size_t features = 64;
  static constexpr std::size_t map_channels = 64;  ///< of map()

  /// `in_channels`: of the input images (1 grey, 3 RGB, or any count);
  /// `input_gradient`: also compute the gradient with respect to the image.
  resnet_cifar(Backend& be, std::mt19937_64& rng, std::size_t in_channels = 3, bool input_gradient = false)
      : m_backend(&be),
        m_stem(be, in_channels, 16, conv2d_geometry{3, 1, 1}, rng, input_gradient),
        m_stem_bn(be, 16),
        m_scratch(std::make_unique<std::array<block_scratch<Backend, T>, 3>>()),
        m_pool(be) {
    std::size_t channels = 16;
    m_blocks.reserve(3 * blocks_per_stage);  // built in place, once
    for (std::size_t stage = 0; stage < 3; ++stage) {
      const std::size_t width = std::size_t(16) << stage;
      for (std::size_t b = 0; b < blocks_per_stage; ++b) {
        m_blocks.emplace_back(be, channels, width, stage > 0 && b == 0 ? 2 : 1, rng, &(*m_scratch)[stage]);
        channels = width;
      }
    }
  }

  /// x (N, H, W, C_in) -> (N, 1, 1, 64).
  const tensor& forward(const tensor& x, mode m) {
    const tensor* h =
        m == mode::infer ? &m_stem_bn.forward_after(m_stem, x) : &m_stem_bn.forward(m_stem.forward(x, m), m);
    for (auto& block : m_blocks) h = &block.forward(*h, m);
    m_map = h;
    return m_pool.forward(*h, m);
  }

  /// The last forward's feature map before pooling, (N, H/4, W/4, 64): what a
  /// head that needs position reads (nn/points.hpp). Valid until the next forward.
  const tensor& map() const {
    SJMT_CHECK(value_error, m_map != nullptr, "resnet_cifar::map: called before forward");
    return *m_map;
  }

  /// dy (N, 1, 1, 64) -> dx (empty unless built with input_gradient); `dmap`
  /// (the map's shape, may be null) is a gradient with respect to map() from
  /// a head that read it, added to the pooling's.
  const tensor& backward(const tensor& dy, const tensor* dmap = nullptr) {
    const tensor* g = &m_pool.backward(dy);
    if (dmap) {
      ops::add(*m_backend, *g, *dmap, m_dmap);
      g = &m_dmap;
    }
    for (auto it = m_blocks.rbegin(); it != m_blocks.rend(); ++it) g = &it->backward(*g);
    return m_stem.backward(m_stem_bn.backward(*g));
  }

  /// Names follow the usual PyTorch CIFAR ResNet: conv1, bn1, layer{1,2,3}.{i}.*.
  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    m_stem.collect(out, prefix + "conv1.");
    m_stem_bn.collect(out, prefix + "bn1.");
    for (std::size_t i = 0; i < m_blocks.size(); ++i)
      m_blocks[i].collect(out, prefix + "layer" + std::to_string(i / blocks_per_stage + 1) + "." +
                                   std::to_string(i % blocks_per_stage) + ".");
  }

 private:
  Backend* m_backend;
  conv2d<Backend, T> m_stem;
  batch_norm_relu<Backend, T> m_stem_bn;
  // Gradient scratch shared by the blocks of each stage (heap: stays put if the trunk moves).
  std::unique_ptr<std::array<block_scratch<Backend, T>, 3>> m_scratch;
  std::vector<basic_block<Backend, T, Shortcut>> m_blocks;
  global_avg_pool<Backend, T> m_pool;
  const tensor* m_map = nullptr;
  tensor m_dmap;
};

}  // namespace sjmt
