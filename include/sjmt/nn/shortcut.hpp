#pragma once
// The two shortcuts of He et al. (2016, section 3.3) for a residual block
// whose shape changes (stride 2, more channels), as tags (STYLE.md 8), and
// the parameter-free layer of option A.
//
//   projection_shortcut  option B: a 1x1 convolution with the block's stride
//                        and batch norm. sjmt's default (basic_block.hpp says why).
//   zero_pad_shortcut    option A: the input at every stride-th pixel, its
//                        channels followed by zeros; no parameters. What He et
//                        al.'s CIFAR networks (section 4.2), and so the paper's
//                        ResNet-32 and ResNet-110, use.

#include <concepts>
#include <cstddef>
#include <string>

#include "layer.hpp"

namespace sjmt {

struct projection_shortcut {};
struct zero_pad_shortcut {};

template <class S>
concept shortcut_option = std::same_as<S, projection_shortcut> || std::same_as<S, zero_pad_shortcut>;

/// Option A's shortcut as a layer: (N, H, W, C) -> (N, ceil(H / stride),
/// ceil(W / stride), K), the C channels of every stride-th pixel, then K - C zeros.
/// Zeros after the input's channels, as the Torch code of He et al.'s group
/// (fb.resnet.torch, shortcutType 'A': a 1x1 stride-s average pooling, then
/// the input concatenated with zeros); the PyTorch CIFAR copies that pad
/// (K - C) / 2 on each side differ by a fixed permutation of channels, which a
/// network trained from a random start does not notice.
template <class Backend, class T>
  requires backend_for<Backend, T>
class subsample_pad {
 public:
  using tensor = typename Backend::template tensor<T>;

  /// Requires: stride >= 1, out_channels >= in_channels (checked at the first forward).
  subsample_pad(Backend& be, std::size_t stride, std::size_t out_channels)
      : m_be(&be), m_stride(stride), m_out_channels(out_channels) {}

  const tensor& forward(const tensor& x, mode) {
    m_x_shape = m_be->shape(x);
    m_ran = true;
    ops::subsample_pad_forward(*m_be, x, m_stride, m_out_channels, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_ran, "subsample_pad::backward: called before forward");
    ops::subsample_pad_backward(*m_be, dy, m_stride, m_x_shape, m_dx);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>&, const std::string&) {}

 private:
  Backend* m_be;
  std::size_t m_stride, m_out_channels;
  tensor m_y, m_dx;
  shape4 m_x_shape{};
  bool m_ran = false;
};

}  // namespace sjmt
