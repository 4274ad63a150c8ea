#pragma once
// Points from a feature map: a 1x1 convolution turns the trunk's last map
// (N, h, w, C) into one heat map per point, and a soft-argmax reads each
// map's expected cell centre (ops::soft_argmax_forward), giving (N, 1, 1, 2P)
// ordered x0, y0, x1, y1, ... in [0, 1] of the map's width and height: the
// order and the normalisation of a coordinate_space. A mean of cell centres
// lies in [1/(2w), 1 - 1/(2w)]: on an 8x8 map (32x32 input) points within
// 2 pixels of the border are out of reach. The map covers the image exactly
// when its sides are multiples of 4 (each stride-2 stage rounds up).
//
// Why: a ResNet trunk ends in global average pooling, which keeps what is in
// the picture and drops where it is; a linear layer on the pooled features
// cannot do better than the mean shape plus what the content says about the
// pose. The heat maps keep position (integral regression: Sun et al. 2018,
// "Integral Human Pose Regression"; Nibali et al. 2018, DSNT), and the
// expectation makes the output differentiable and finer than the map's cells.

#include <cstddef>
#include <random>
#include <string>

#include "conv2d.hpp"
#include "layer.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class soft_argmax_points {
 public:
  using tensor = typename Backend::template tensor<T>;

  /// `channels` of the map, `points` heat maps. The default initialisation
  /// (U(+-1/sqrt(C))) starts every map nearly flat: every point near the
  /// centre of the map, with a gradient for every cell.
  soft_argmax_points(Backend& be, std::size_t channels, std::size_t points, std::mt19937_64& rng,
                     initializer init = {init_rule::fan_in_uniform})
      : m_be(&be), m_heat(be, channels, points, conv2d_geometry{1, 1, 0}, rng, true, init), m_points(points) {
    SJMT_CHECK(value_error, points > 0, "soft_argmax_points: no point");
  }

  std::size_t points() const { return m_points; }

  /// map (N, h, w, C) -> (N, 1, 1, 2P).
  const tensor& forward(const tensor& map, mode m) {
    ops::soft_argmax_forward(*m_be, m_heat.forward(map, m), m_p, m_y);
    m_ran = true;
    return m_y;
  }

  /// dy (N, 1, 1, 2P) -> dL/dmap (N, h, w, C).
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_ran, "soft_argmax_points::backward: called before forward");
    ops::soft_argmax_backward(*m_be, m_p, m_y, dy, m_dz);
    return m_heat.backward(m_dz);
  }

  /// Appends the heat maps' filter (R = S = 1, C, P) as <prefix>weight; `group` as in parameter.
  void collect(parameter_list<Backend, T>& out, const std::string& prefix, int group = shared_group) {
    const std::size_t first = out.size();
    m_heat.collect(out, prefix);
    for (std::size_t i = first; i < out.size(); ++i) out[i].group = group;
  }

  tensor& weight() { return m_heat.weight(); }

 private:
  Backend* m_be;
  conv2d<Backend, T> m_heat;
  std::size_t m_points;
  tensor m_p, m_y, m_dz;
  bool m_ran = false;
};

}  // namespace sjmt
