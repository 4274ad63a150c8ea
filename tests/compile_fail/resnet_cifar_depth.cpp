// resnet_cifar accepts only depths 6n + 2: depth 7 must not compile.
// expect: resnet_cifar: Depth must be 6n + 2 with n >= 1

#include <sjmt/nn/resnet_cifar.hpp>

// A backend that satisfies the concept without any kernels (no Eigen needed).
struct null_backend {
  template <class T>
  using tensor = sjmt::host_tensor<T>;
  template <class T>
  static sjmt::shape4 shape(const tensor<T>& t) { return t.shape(); }
  template <class T>
  static sjmt::host_tensor<T> download(const tensor<T>& t) { return t; }
  static void resize(auto&&...) {}
  static void fill(auto&&...) {}
  static void upload(auto&&...) {}
  static void copy(auto&&...) {}
  template <class T>
  static T* data(tensor<T>& t) { return t.data(); }
  template <class T>
  static const T* data(const tensor<T>& t) { return t.data(); }
  static void gather_columns(auto&&...) {}
  static void scatter_columns(auto&&...) {}
  static void loss_forward(auto&&...) {}
  static void conv2d_forward(auto&&...) {}
  static void conv2d_bn_add_relu_forward_infer(auto&&...) {}
  static void conv2d_backward_data(auto&&...) {}
  static void conv2d_backward_filter(auto&&...) {}
  static void batch_norm_forward_train(auto&&...) {}
  static void batch_norm_forward_infer(auto&&...) {}
  static void batch_norm_backward(auto&&...) {}
  static void batch_norm_add_relu_forward_train(auto&&...) {}
  static void batch_norm_add_relu_forward_infer(auto&&...) {}
  static void batch_norm_relu_backward(auto&&...) {}
  static void relu_forward(auto&&...) {}
  static void relu_backward(auto&&...) {}
  static void add(auto&&...) {}
  static void global_avg_pool_forward(auto&&...) {}
  static void global_avg_pool_backward(auto&&...) {}
  static void max_pool2_forward(auto&&...) {}
  static void max_pool2_backward(auto&&...) {}
  static void soft_argmax_forward(auto&&...) {}
  static void soft_argmax_backward(auto&&...) {}
  static void subsample_pad_forward(auto&&...) {}
  static void subsample_pad_backward(auto&&...) {}
  static void linear_forward(auto&&...) {}
  static void linear_backward(auto&&...) {}
  static void dropout_forward(auto&&...) {}
  static void dropout_backward(auto&&...) {}
  static void sgd_update(auto&&...) {}
};
static_assert(sjmt::backend_for<null_backend, float>);

#ifdef SJMT_FAILTEST_OK
constexpr std::size_t depth = 8;
#else
constexpr std::size_t depth = 7;
#endif

std::size_t size = sizeof(sjmt::resnet_cifar<null_backend, float, depth>);
