#pragma once
// Fully connected layer on the CPU: y (N, Out) = x (N, In) W (In, Out) + b,
// where x is any (N, H, W, C) tensor read as (N, H W C) and y is (N, 1, 1, Out).
// Shapes are checked, and outputs sized, by the caller (backend/ops.hpp).

#include <cstddef>

#include "intrinsics.hpp"  // before Eigen/Core (see intrinsics.hpp)
#include <Eigen/Core>

#include "../../tensor/host_tensor.hpp"
#include "conv2d.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

template <class T>
void linear_forward(const host_tensor<T>& x, const host_tensor<T>& w, const host_tensor<T>& b, host_tensor<T>& y) {
  const auto N = static_cast<Eigen::Index>(x.shape()[0]);
  const auto in = static_cast<Eigen::Index>(w.shape()[2]), out = static_cast<Eigen::Index>(w.shape()[3]);
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
  with_serial_eigen([&] {
    const_matrix_map<T> dym(dy.data(), N, out);
    matrix_map<T>(dx.data(), N, in).noalias() = dym * const_matrix_map<T>(w.data(), in, out).transpose();
    matrix_map<T>(dw.data(), in, out).noalias() = const_matrix_map<T>(x.data(), N, in).transpose() * dym;
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>(db.data(), out) = dym.colwise().sum();
  });
}

}  // namespace sjmt::detail::cpu
