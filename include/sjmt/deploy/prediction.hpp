#pragma once
// What the predictor answers for one image: one entry per label space of the
// layout, in layout order, named as the layout names them.
//
//   const auto& e = p["emotion"];   // e.top_class(), e.probability("happy")
//   const auto& a = p["aus"];       // a.active_classes(): {"AU6", "AU12"}
//
// values holds, per output of the space:
//   exclusive   probabilities. Under the rule the network was trained with
//               (predictor_options::exclusive): sigmoid (the paper's selective
//               loss, naive joint) gives each class its own probability that
//               the face shows it, so they need not sum to 1; softmax
//               (selective_softmax_loss, loss_options::exclusive = softmax)
//               gives a distribution over the classes. top is the arg max:
//               the same class under either rule.
//   multilabel  per-label sigmoid probabilities; active[i] = values[i] >= threshold.
//   regression  the outputs as trained (landmark spaces: divided by the
//               model input's width and height); for coordinate spaces,
//               points holds them in the pixels of the image passed in.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../data/landmarks.hpp"
#include "../error.hpp"
#include "../labels/label_space.hpp"

namespace sjmt {

template <class T = float>
struct space_prediction {
  std::string_view name{};
  sjmt::kind kind = sjmt::kind::exclusive;
  std::vector<std::string_view> classes{};  ///< class names, as the layout orders the outputs
  std::vector<T> logits{};                  ///< the network's outputs for the space
  std::vector<T> values{};                  ///< probabilities or regression values (above)
  std::size_t top = 0;                      ///< exclusive: the most probable class
  std::vector<bool> active{};               ///< multilabel: values[i] >= threshold
  std::vector<data::point> points{};        ///< coordinate spaces: (x, y) in the input image's pixels

  /// The most probable class (exclusive spaces; the largest value otherwise).
  std::string_view top_class() const { return classes.empty() ? std::string_view{} : classes[top]; }

  /// The value of class `c`. Throws value_error naming the space's classes when it has none such.
  T value(std::string_view c) const {
    for (std::size_t i = 0; i < classes.size(); ++i)
      if (classes[i] == c) return values[i];
    std::string known;
    for (std::string_view k : classes) {
      if (!known.empty()) known += ", ";
      known += k;
    }
    detail::throw_error<value_error>(std::source_location::current(), "prediction: space '", name,
                                     "' has no class '", c, "'; it has ", known);
  }
  T probability(std::string_view c) const { return value(c); }

  /// Multilabel spaces: the names of the active labels, in layout order.
  std::vector<std::string_view> active_classes() const {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < active.size(); ++i)
      if (active[i]) out.push_back(classes[i]);
    return out;
  }
};

template <class T = float>
struct prediction {
  std::vector<space_prediction<T>> spaces{};
  int width = 0, height = 0;  ///< of the image passed in, before preprocessing

  /// The space called `name`. Throws value_error naming the layout's spaces when there is none.
  const space_prediction<T>& operator[](std::string_view name) const {
    for (const auto& s : spaces)
      if (s.name == name) return s;
    std::string known;
    for (const auto& s : spaces) {
      if (!known.empty()) known += ", ";
      known += s.name;
    }
    detail::throw_error<value_error>(std::source_location::current(), "prediction: no label space '", name,
                                     "'; the layout has ", known);
  }
};

}  // namespace sjmt
