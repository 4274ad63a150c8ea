#pragma once
// Label spaces: what one group of outputs means, fixed at compile time.
//
// Contract of a label space type S (checked by the concept `label_space_type`):
//   S::name            std::string_view, unique within a joint layout
//   S::kind            kind::exclusive (one of K), multilabel (K binary) or regression (K reals)
//   S::size            K > 0, the number of outputs
//   S::class_name(i)   std::string_view name of output i, for i < K
// Three models are provided: `label_space` (names listed), `au_space` (FACS
// Action Units by number) and `coordinate_space` (x/y pairs of points).

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "facs.hpp"

namespace sjmt {

/// How the outputs of a space relate to each other, and so how they are trained.
enum class kind : unsigned char {
  exclusive,   ///< one of K classes (emotions); sigmoid per class (the paper) or softmax
  multilabel,  ///< K independent binary labels (Action Units)
  regression,  ///< K real values (landmark coordinates)
};

constexpr std::string_view to_string(kind k) {
  switch (k) {
    case kind::exclusive: return "exclusive";
    case kind::multilabel: return "multilabel";
    case kind::regression: return "regression";
  }
  return "?";
}

template <class S>
concept label_space_type = requires(std::size_t i) {
  { S::name } -> std::convertible_to<std::string_view>;
  { S::kind } -> std::convertible_to<kind>;
  { S::size } -> std::convertible_to<std::size_t>;
  { S::class_name(i) } -> std::convertible_to<std::string_view>;
};

namespace detail {

template <std::size_t N>
constexpr bool none_empty(const std::array<std::string_view, N>& names) {
  for (std::string_view n : names)
    if (n.empty()) return false;
  return true;
}

template <std::size_t N>
constexpr bool none_has_slash(const std::array<std::string_view, N>& names) {
  for (std::string_view n : names)
    if (n.find('/') != std::string_view::npos) return false;
  return true;
}

template <class T, std::size_t N>
constexpr bool unique(const std::array<T, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j)
      if (names[i] == names[j]) return false;
  return true;
}

/// Index of `name` in `names`, or N when absent.
template <std::size_t N>
constexpr std::size_t find(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name) return i;
  return N;
}

}  // namespace detail

/// A label space whose class names are listed, e.g.
///   using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
template <detail::fixed_string Name, kind Kind, detail::fixed_string... Classes>
struct label_space {
  static_assert(Name.size() > 0,
                "sjmt::label_space: the space has an empty name; give it a name that is unique "
                "within its joint_layout, e.g. label_space<\"pose\", ...>.");
  static_assert(sizeof...(Classes) > 0,
                "sjmt::label_space: the space is empty; list at least one class name after the "
                "kind, e.g. label_space<\"pose\", kind::regression, \"yaw\", \"pitch\", \"roll\">.");

  static constexpr std::string_view name = Name.view();
  static constexpr sjmt::kind kind = Kind;
  static constexpr std::size_t size = sizeof...(Classes);
  static constexpr std::array<std::string_view, size> class_names{Classes.view()...};

  static_assert(detail::none_empty(class_names),
                "sjmt::label_space: a class name is empty; give every class of the space a name, "
                "e.g. label_space<\"pose\", kind::regression, \"yaw\", \"pitch\", \"roll\">.");
  static_assert(Name.view().find('/') == std::string_view::npos,
                "sjmt::label_space: the space name contains '/', which separates the space from the "
                "class in output names (\"pose/yaw\"); use another character, such as '_'.");
  static_assert(detail::none_has_slash(class_names),
                "sjmt::label_space: a class name contains '/', which separates the space from the "
                "class in output names (\"pose/yaw\"); use another character, such as '_'.");
  static_assert(detail::unique(class_names),
                "sjmt::label_space: two classes of the space share one name; give every class of "
                "a space its own name.");

  static constexpr std::string_view class_name(std::size_t i) { return class_names[i]; }
  /// Index of the class called `c`, or `size` if there is none.
  static constexpr std::size_t index_of(std::string_view c) { return detail::find(class_names, c); }
};

namespace detail {

constexpr std::size_t decimal_digits(int v) {
  std::size_t n = 1;
  while (v >= 10) v /= 10, ++n;
  return n;
}

/// Storage for generated class names: all names back to back, with offsets.
template <std::size_t Count, std::size_t Chars>
struct name_table {
  std::array<char, Chars> text{};
  std::array<std::size_t, Count + 1> begin{};

  constexpr std::string_view operator[](std::size_t i) const {
    return {text.data() + begin[i], begin[i + 1] - begin[i]};
  }
};

constexpr std::size_t write_decimal(char* out, int v) {
  const std::size_t n = decimal_digits(v);
  for (std::size_t k = n; k-- > 0; v /= 10) out[k] = static_cast<char>('0' + v % 10);
  return n;
}

}  // namespace detail

/// A multilabel space of FACS Action Units named "AU<k>", e.g.
///   using aus = au_space<"aus", 1, 2, 4, 5, 6, 9, 12, 17, 20, 25, 26>;
template <detail::fixed_string Name, int... AUs>
struct au_space {
  static_assert(Name.size() > 0,
                "sjmt::au_space: the space has an empty name; give it a name that is unique within "
                "its joint_layout, e.g. au_space<\"aus\", 1, 2, 4>.");
  static_assert(sizeof...(AUs) > 0,
                "sjmt::au_space: the space is empty; list at least one Action Unit number, e.g. "
                "au_space<\"aus\", 6, 12>.");
  static_assert(((!facs::au_name(AUs).empty()) && ...),
                "sjmt::au_space: an Action Unit number is not in the FACS table of "
                "<sjmt/labels/facs.hpp>; use FACS AU numbers (1, 2, 4, 5, 6, 7, 9, 10, 12, ...).");

  static constexpr std::string_view name = Name.view();
  static constexpr sjmt::kind kind = sjmt::kind::multilabel;
  static constexpr std::size_t size = sizeof...(AUs);
  /// The FACS number of each output, in order.
  static constexpr std::array<int, size> au{AUs...};

 private:
  static constexpr auto names = [] {
    detail::name_table<size, ((2 + detail::decimal_digits(AUs)) + ...)> t;
    std::size_t pos = 0, i = 0;
    for (int a : au) {
      t.begin[i++] = pos;
      t.text[pos++] = 'A';
      t.text[pos++] = 'U';
      pos += detail::write_decimal(t.text.data() + pos, a);
    }
    t.begin[size] = pos;
    return t;
  }();

 public:
  static_assert(detail::unique(au),
                "sjmt::au_space: an Action Unit is listed twice; list each AU number once.");
  static constexpr std::string_view class_name(std::size_t i) { return names[i]; }
  /// FACS name of output i, e.g. "lip corner puller" for AU12.
  static constexpr std::string_view description(std::size_t i) { return facs::au_name(au[i]); }
  /// Output index of AU number `a`, or `size` if the space lacks it.
  static constexpr std::size_t index_of_au(int a) {
    for (std::size_t i = 0; i < size; ++i)
      if (au[i] == a) return i;
    return size;
  }
};

/// A regression space of `Points` 2-D points, outputs ordered x0, y0, x1, y1, ...
template <detail::fixed_string Name, std::size_t Points>
struct coordinate_space {
  static_assert(Name.size() > 0,
                "sjmt::coordinate_space: the space has an empty name; give it a name, e.g. "
                "coordinate_space<\"landmarks\", 68>.");
  static_assert(Points > 0,
                "sjmt::coordinate_space: the space is empty; it needs at least one point.");

  static constexpr std::string_view name = Name.view();
  static constexpr sjmt::kind kind = sjmt::kind::regression;
  static constexpr std::size_t points = Points;
  static constexpr std::size_t size = 2 * Points;

 private:
  static constexpr auto names = [] {
    detail::name_table<size, [] {
      std::size_t c = 0;
      for (std::size_t p = 0; p < Points; ++p) c += 2 * (1 + detail::decimal_digits(int(p)));
      return c;
    }()> t;
    std::size_t pos = 0;
    for (std::size_t p = 0; p < Points; ++p)
      for (char axis : {'x', 'y'}) {
        t.begin[2 * p + (axis == 'y')] = pos;
        t.text[pos++] = axis;
        pos += detail::write_decimal(t.text.data() + pos, int(p));
      }
    t.begin[size] = pos;
    return t;
  }();

 public:
  static constexpr std::string_view class_name(std::size_t i) { return names[i]; }
};

/// True for a coordinate_space: its outputs are (x, y) pairs (a head may read them from a map, nn/heads.hpp).
template <class S>
inline constexpr bool is_coordinate_space_v = false;
template <detail::fixed_string Name, std::size_t P>
inline constexpr bool is_coordinate_space_v<coordinate_space<Name, P>> = true;

}  // namespace sjmt
