#pragma once
// The paper's own numbers (Pons & Masip, arXiv 1802.06664, ../shared/PAPER.md:
// Tables 1, 2 and 4), printed beside what the trainer measured, and the one
// sentence under Table 2 that says what a run of this size can and cannot show.
//
// What is comparable is the ordering of the methods on the same data and seeds;
// what is not is the absolute level: the paper's networks saw real SFEW,
// EmotioNet and CK+ faces (ResNet-32/110 and VGG-16, 80,000 steps of 128),
// ours see synthetic 32x32 faces for a few thousand steps.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <sjmt/metrics.hpp>

namespace paper {

/// The paper's Table 1 (accuracy, %): single-task networks.
inline const char* table1_markdown() {
  return "The paper's Table 1 (accuracy; real faces, 80,000 steps for the ResNets):\n\n"
         "| method | SFEW emotion | CK+ emotion | EmotioNet AUs | CK+ AUs |\n"
         "|---|---|---|---|---|\n"
         "| Baseline | 35.9% | - | - | 94.5% |\n"
         "| OpenFace | - | - | 87.7% | - |\n"
         "| Azure | 33.8% | - | - | - |\n"
         "| VGG-16 | 37.5% | 93.0% | 93.2% | 95.0% |\n"
         "| ResNet-32 | 37.8% | 98.0% | 93.2% | 99.0% |\n"
         "| ResNet-110 | 41.3% | 99.0% | 93.9% | 99.1% |\n";
}

/// The paper's Table 2 (accuracy, %): classical multi-task against SJMT.
inline const char* table2_markdown() {
  return "The paper's Table 2 (accuracy; real SFEW and EmotioNet, 80,000 steps of 128):\n\n"
         "| method | network | SFEW emotion | EmotioNet AUs (Eq. 3) |\n"
         "|---|---|---|---|\n"
         "| classical multi-task | ResNet-32 | 39.4% | 93.7% |\n"
         "| classical multi-task | ResNet-110 | 40.3% | 93.6% |\n"
         "| SJMT | ResNet-32 | 40.6% | 93.5% |\n"
         "| SJMT | ResNet-110 | 45.9% | 93.9% |\n\n"
         "In the paper SJMT minus classical is +1.2 and +5.6 points of emotion accuracy (ResNet-32, -110) and\n"
         "-0.2 and +0.3 points of AU accuracy: one run each, no spread reported.\n";
}

/// The paper's Table 4 (accuracy, %): compound emotions, ResNet-110, 15 training images per class.
inline const char* table4_markdown() {
  return "The paper's Table 4 (ResNet-110; EmotioNet compound faces, 15 training images per class):\n\n"
         "| compound emotion | images | single task | SJMT |\n"
         "|---|---|---|---|\n"
         "| angrily disgusted | 19 | 15.8% | 42.1% |\n"
         "| angrily surprised | 25 | 36.0% | 64.0% |\n"
         "| fearfully angry | 19 | 15.8% | 63.1% |\n"
         "| fearfully surprised | 17 | 58.8% | 70.6% |\n"
         "| happily disgusted | 486 | 47.6% | 78.6% |\n"
         "| happily surprised | 36 | 61.1% | 72.2% |\n"
         "| sadly angry | 15 | 13.3% | 20.0% |\n"
         "| sadly disgusted | 105 | 31.4% | 64.7% |\n"
         "| mean over compounds | - | 34.9% | 59.4% |\n"
         "| all images | 722 | 43.4% | 73.1% |\n";
}

/// One sentence per compared column: what the paired runs show about `method` against the
/// table's baseline, and how far they can be trusted.
inline std::string verdict(const sjmt::metrics::experiment_table& t, const std::string& method) {
  std::string out;
  for (const auto& c : t.comparisons()) {
    if (c.method != method) continue;
    const sjmt::metrics::paired_comparison& p = c.test;
    char b[512];
    if (p.pairs == 0) continue;
    if (p.pairs == 1) {
      std::snprintf(b, sizeof b,
                    "%s, %s: %s minus %s is %+.3f on one seed, a single draw: seeds move these numbers by as much "
                    "(run --seeds 10 for the paired tests).\n",
                    c.model.c_str(), c.column.title.c_str(), method.c_str(), c.baseline.c_str(), p.mean_difference);
    } else {
      const bool both = p.t_p_value < 0.05 && p.sign_p_value < 0.05, one = p.t_p_value < 0.05 || p.sign_p_value < 0.05;
      std::snprintf(b, sizeof b,
                    "%s, %s: %s minus %s is %+.3f ± %.3f over %zu seeds (better on %zu, worse on %zu); p = %.3g "
                    "(paired t), %.3g (sign): %s.\n",
                    c.model.c_str(), c.column.title.c_str(), method.c_str(), c.baseline.c_str(), p.mean_difference,
                    p.std_difference, p.pairs, p.wins, p.losses, p.t_p_value, p.sign_p_value,
                    both  ? "a difference both tests see at 5%"
                    : one ? "only one test sees it at 5%; more seeds would decide"
                          : "not distinguishable from no difference at 5%");
    }
    out += b;
  }
  return out;
}

}  // namespace paper
