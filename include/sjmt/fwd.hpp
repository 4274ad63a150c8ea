#pragma once
// Forward declarations of sjmt's public templates. Rule: this header includes
// nothing and defines nothing; it only declares, so that any header may use it.

namespace sjmt {

enum class kind : unsigned char;
enum class reduction : unsigned char;

template <class Union, class T>
class selective_loss;
template <class Union, class T>
class naive_joint_loss;
template <class Union, class T>
class selective_softmax_loss;

class error;
class shape_error;
class value_error;
class io_error;

}  // namespace sjmt
