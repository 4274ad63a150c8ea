#pragma once
// The residual basic block of He et al. (2016):
//
//   out = relu( bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x) )
//
// conv1 is 3x3 with the block's stride, conv2 3x3 stride 1. The shortcut is
// the identity when the shape is kept; otherwise `Shortcut` (nn/shortcut.hpp)
// says which: projection_shortcut (option B, the default), a 1x1 convolution
// with the block's stride followed by batch norm, or zero_pad_shortcut (option
// A), the input subsampled with the stride and zero-padded to the block's
// channels, without parameters.
// Why option B by default: it is as fast as A and uses less memory in PyTorch
// (BENCHMARKING.md), and it is the form torchvision and most PyTorch CIFAR
// ResNets use, so weights carry across; it adds 3 small 1x1 convolutions per
// ResNet-CIFAR (about 0.5% of ResNet-32's weights). Option A is what He et
// al.'s CIFAR networks, and so the paper's, use; the default stays B so that
// existing checkpoints and results stay valid.

#include <optional>
#include <random>
#include <string>

#include "batch_norm.hpp"
#include "batch_norm_relu.hpp"
#include "conv2d.hpp"
#include "shortcut.hpp"

namespace sjmt {

/// Output-shaped buffers shared by the blocks of a stage (resnet_cifar): a and
/// b hold the gradients inside a block's backward (blocks run it one at a
/// time), and in inference also the intermediate activations. out[0] and
/// out[1] take turns: in inference as the block outputs (a block reads only
/// its predecessor's output), in backward as the input gradients of the blocks
/// that keep the shape (a block's dx is the one its dy is not, so that batch
/// norm's backward never writes its dz over its own dy, which the door does not
/// promise to allow; the block before reads dx and is done with it before the
/// next block writes that buffer). So a stage holds two input gradients, not
/// one per block (peak memory: docs/performance.md, "A stage's input gradients
/// in two buffers").
template <class Backend, class T>
struct block_scratch {
  typename Backend::template tensor<T> a, b, out[2];
};

template <class Backend, class T, shortcut_option Shortcut = projection_shortcut>
  requires backend_for<Backend, T>
class basic_block {
  static constexpr bool zero_pad = std::same_as<Shortcut, zero_pad_shortcut>;

 public:
  using tensor = typename Backend::template tensor<T>;
  using shortcut_type = Shortcut;

  /// `scratch`: shared gradient buffers, valid as long as the block; null:
  /// the block uses buffers of its own.
  basic_block(Backend& be, std::size_t in_channels, std::size_t out_channels, std::size_t stride,
              std::mt19937_64& rng, block_scratch<Backend, T>* scratch = nullptr)
      : m_be(&be),
        m_scratch(scratch),
        m_conv1(be, in_channels, out_channels, conv2d_geometry{3, stride, 1}, rng),
        m_bn1(be, out_channels),
        m_conv2(be, out_channels, out_channels, conv2d_geometry{3, 1, 1}, rng),
        m_bn2(be, out_channels) {
    if (stride == 1 && in_channels == out_channels) return;
    if constexpr (zero_pad) {
      SJMT_CHECK(value_error, out_channels >= in_channels, "basic_block: ", in_channels, " -> ", out_channels,
                 " channels; the zero-padded shortcut (option A) cannot drop channels (use projection_shortcut)");
      m_pad.emplace(be, stride, out_channels);
    } else {
      m_proj_conv.emplace(be, in_channels, out_channels, conv2d_geometry{1, stride, 0}, rng);
      m_proj_bn.emplace(be, out_channels);
    }
  }

  /// A 1x1 convolution and batch norm on the shortcut (option B where the shape changes).
  bool has_projection() const { return m_proj_conv.has_value(); }
  /// The shortcut is not the identity (the block changes the shape).
  bool changes_shape() const { return m_proj_conv.has_value() || m_pad.has_value(); }

  // bn1 + ReLU and bn2 + shortcut + ReLU are fused layers (batch_norm_relu.hpp).
  // Inference on the stage's scratch goes further: each convolution applies
  // its batch norm (with the residual and ReLU) in its own epilogue
  // (forward_after), so no pre-norm activation is written. Without scratch the
  // block runs the composed layers (the reference the tests compare with).
  const tensor& forward(const tensor& x, mode m) {
    m_x = &x;
    if (m == mode::infer && m_scratch) {
      auto& s = *m_scratch;
      const tensor& h = m_bn1.forward_after(m_conv1, x, nullptr, s.b);
      const tensor& shortcut = m_proj_conv ? m_proj_bn->forward_after(*m_proj_conv, x) : shortcut_forward(x, m);
      tensor& out = &x == &s.out[0] ? s.out[1] : s.out[0];
      return m_bn2.forward_after(m_conv2, h, &shortcut, out);
    }
    const tensor& h = m_bn1.forward(m_conv1.forward(x, m), m);
    const tensor& shortcut = shortcut_forward(x, m);
    return m_bn2.forward(m_conv2.forward(h, m), &shortcut, m);
  }

  // The gradient at the sum, dsum, is written straight into dx (identity
  // shortcut, where it has dx's shape) or m_dsum (a block that changes the
  // shape), and dx then becomes dbranch + dshort in place. The branch's
  // gradients alternate between the two scratch buffers; the conv1 gradient of
  // a block that changes the shape has the input's shape and stays in conv1.
  // dx is the stage's out[] buffer that dy is not (block_scratch) where the
  // block keeps the shape and has stage scratch, else the block's own m_dx:
  // valid until the next backward or inference forward on the same scratch.
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_x != nullptr, "basic_block::backward: called before forward");
    auto& s = m_scratch ? *m_scratch : m_own_scratch;
    tensor& dx = (changes_shape() || !m_scratch) ? m_dx : (&dy == &s.out[0] ? s.out[1] : s.out[0]);
    tensor& dsum = changes_shape() ? m_dsum : dx;
    const tensor& d_conv2 = m_conv2.backward(m_bn2.backward(dy, s.a, &dsum), s.b);
    const tensor& d_bn1 = m_bn1.backward(d_conv2, s.a, nullptr);
    const tensor& dbranch = changes_shape() ? m_conv1.backward(d_bn1) : m_conv1.backward(d_bn1, s.b);
    const tensor& dshort = shortcut_backward(dsum);
    ops::add(*m_be, dbranch, dshort, dx);  // add allows y to alias an input
    return dx;
  }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    m_conv1.collect(out, prefix + "conv1.");
    m_bn1.collect(out, prefix + "bn1.");
    m_conv2.collect(out, prefix + "conv2.");
    m_bn2.collect(out, prefix + "bn2.");
    if (has_projection()) {
      m_proj_conv->collect(out, prefix + "shortcut.0.");
      m_proj_bn->collect(out, prefix + "shortcut.1.");
    }
  }

 private:
  const tensor& shortcut_forward(const tensor& x, mode m) {
    if (m_pad) return m_pad->forward(x, m);
    return has_projection() ? m_proj_bn->forward(m_proj_conv->forward(x, m), m) : x;
  }
  const tensor& shortcut_backward(const tensor& dsum) {
    if (m_pad) return m_pad->backward(dsum);
    return has_projection() ? m_proj_conv->backward(m_proj_bn->backward(dsum)) : dsum;
  }

  Backend* m_be;
  block_scratch<Backend, T>* m_scratch;
  block_scratch<Backend, T> m_own_scratch;  // used when m_scratch is null
  conv2d<Backend, T> m_conv1;
  batch_norm_relu<Backend, T> m_bn1;
  conv2d<Backend, T> m_conv2;
  batch_norm_relu<Backend, T> m_bn2;
  std::optional<conv2d<Backend, T>> m_proj_conv;
  std::optional<batch_norm<Backend, T>> m_proj_bn;
  std::optional<subsample_pad<Backend, T>> m_pad;  // option A blocks that change the shape
  tensor m_dx, m_dsum;  // m_dx: without stage scratch or where the shape changes; m_dsum: the latter
  const tensor* m_x = nullptr;
};

}  // namespace sjmt
