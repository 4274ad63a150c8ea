#pragma once
// Fully connected layer on the CPU: y (N, Out) = x (N, In) W (In, Out) + b,
// where x is any (N, H, W, C) tensor read as (N, H W C) and y is (N, 1, 1, Out).

#include <cstddef>

#include "intrinsics.hpp"  // before Eigen/Core (see intrinsics.hpp)
#include <Eigen/Core>

#include "../../tensor/host_tensor.hpp"
#include "conv2d.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

inline void check_linear(const shape4& x, const shape4& w, const shape4& b) {
  const std::size_t in = x[1] * x[2] * x[3];
  SJMT_CHECK(shape_error, w[0] == 1 && w[1] == 1 && w[2] == in, "linear: weight is (", w[0], ", ", w[1], ", ", w[2],
             ", ", w[3], "), expected (1, 1, ", in, ", Out) for an input of ", in, " features");
  SJMT_CHECK(shape_error, b == (shape4{1, 1, 1, w[3]}), "linear: bias is (", b[0], ", ", b[1], ", ", b[2], ", ", b[3],
             "), expected (1, 1, 1, ", w[3], ")");
}

template <class T>
void linear_forward(const host_tensor<T>& x, const host_tensor<T>& w, const host_tensor<T>& b, host_tensor<T>& y) {
  check_linear(x.shape(), w.shape(), b.shape());
  const auto N = static_cast<Eigen::Index>(x.shape()[0]);
  const auto in = static_cast<Eigen::Index>(w.shape()[2]), out = static_cast<Eigen::Index>(w.shape()[3]);
  ensure_shape(y, {x.shape()[0], 1, 1, w.shape()[3]});
  with_serial_eigen([&] {
    matrix_map<T> ym(y.data(), N, out);
    ym.noalias() = const_matrix_map<T>(x.data(), N, in) * const_matrix_map<T>(w.data(), in, out);
    ym.rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b.data(), out);
  });
}

template <class T>
void linear_backward(const host_tensor<T>& x, const host_tensor<T>& w, const host_tensor<T>& dy, host_tensor<T>& dx,
                     host_tensor<T>& dw, host_tensor<T>& db) {
  const auto N = static_cast<Eigen::Index>(x.shape()[0]);
  const auto in = static_cast<Eigen::Index>(w.shape()[2]), out = static_cast<Eigen::Index>(w.shape()[3]);
  SJMT_CHECK(shape_error, dy.shape() == (shape4{x.shape()[0], 1, 1, w.shape()[3]}), "linear_backward: dy is (",
             dy.shape()[0], ", ", dy.shape()[1], ", ", dy.shape()[2], ", ", dy.shape()[3], "), expected (",
             x.shape()[0], ", 1, 1, ", w.shape()[3], ")");
  ensure_shape(dx, x.shape());
  ensure_shape(dw, w.shape());
  ensure_shape(db, {1, 1, 1, w.shape()[3]});
  with_serial_eigen([&] {
    const_matrix_map<T> dym(dy.data(), N, out);
    matrix_map<T>(dx.data(), N, in).noalias() = dym * const_matrix_map<T>(w.data(), in, out).transpose();
    matrix_map<T>(dw.data(), in, out).noalias() = const_matrix_map<T>(x.data(), N, in).transpose() * dym;
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>(db.data(), out) = dym.colwise().sum();
  });
}

}  // namespace sjmt::detail::cpu
