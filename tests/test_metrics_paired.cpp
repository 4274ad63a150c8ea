// Paired comparisons over seeds (metrics/paired_test.hpp, experiment_table's
// baseline): the incomplete beta function, Student's t and the sign test against
// closed forms and hand-computed examples, and the pairing of runs by seed.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <sjmt/labels.hpp>
#include <sjmt/metrics/experiment_table.hpp>
#include <sjmt/metrics/paired_test.hpp>
#include <sjmt/metrics/report.hpp>
#include <string>
#include <vector>

#include "temp_path.hpp"

namespace {

using namespace sjmt;
namespace fs = std::filesystem;

using emo = label_space<"emo", kind::exclusive, "a", "b">;
using layout = joint_layout<emo>;
using domains = dataset_union<layout, dataset<"de", emo>>;

/// An evaluation of 4 emotion images of which `right` are classified correctly (accuracy right / 4).
metrics::evaluation_result accuracy_of(int right) {
  std::vector<float> z, y;
  for (int i = 0; i < 4; ++i) {
    const bool ok = i < right;
    z.insert(z.end(), {ok ? 1.0f : 0.0f, ok ? 0.0f : 1.0f});
    y.insert(y.end(), {1.0f, 0.0f});
  }
  const std::vector<std::int32_t> d(4, 0);
  metrics::evaluator<domains> eval;
  eval.update(z, y, d);
  return eval.result();
}

}  // namespace

TEST_CASE("regularized incomplete beta: closed forms") {
  using metrics::regularized_incomplete_beta;
  for (double x : {0.01, 0.2, 0.5, 0.77, 0.99}) {
    CHECK(regularized_incomplete_beta(3.5, 1, x) == doctest::Approx(std::pow(x, 3.5)).epsilon(1e-12));
    CHECK(regularized_incomplete_beta(1, 2.5, x) == doctest::Approx(1 - std::pow(1 - x, 2.5)).epsilon(1e-12));
  }
  CHECK(regularized_incomplete_beta(7, 7, 0.5) == doctest::Approx(0.5).epsilon(1e-13));
  CHECK(regularized_incomplete_beta(2, 3, 0) == 0);
  CHECK(regularized_incomplete_beta(2, 3, 1) == 1);
  CHECK_THROWS_AS(regularized_incomplete_beta(0, 1, 0.5), value_error);
  CHECK_THROWS_WITH_AS(regularized_incomplete_beta(1, 1, 1.5), doctest::Contains("x = 1.5"), value_error);
}

TEST_CASE("Student's t, two-sided: closed forms for 1, 2 and 4 degrees of freedom, and a table value") {
  using metrics::student_t_two_sided_p;
  for (double t : {0.0, 0.3, 1.0, 2.5, 12.0, -4.0}) {
    const double a = std::fabs(t);
    CHECK(student_t_two_sided_p(t, 1) == doctest::Approx(1 - 2 / std::numbers::pi * std::atan(a)).epsilon(1e-12));
    CHECK(student_t_two_sided_p(t, 2) == doctest::Approx(1 - a / std::sqrt(2 + t * t)).epsilon(1e-12));
    const double q = a / std::sqrt(1 + t * t / 4);  // df 4: F(t) = 1/2 + 3/8 q (1 - q^2 / 12)
    CHECK(student_t_two_sided_p(t, 4) == doctest::Approx(1 - 0.75 * q * (1 - q * q / 12)).epsilon(1e-12));
  }
  CHECK(student_t_two_sided_p(2.262157, 9) == doctest::Approx(0.05).epsilon(1e-5));  // t(0.975, 9) of the tables
  CHECK(student_t_two_sided_p(INFINITY, 3) == 0);
  CHECK(std::isnan(student_t_two_sided_p(NAN, 3)));
  CHECK_THROWS_AS(student_t_two_sided_p(1, 0), value_error);
}

TEST_CASE("sign test, exact and two-sided") {
  using metrics::sign_test_two_sided_p;
  CHECK(sign_test_two_sided_p(10, 0) == doctest::Approx(2.0 / 1024).epsilon(1e-12));
  CHECK(sign_test_two_sided_p(1, 9) == doctest::Approx(2.0 * 11 / 1024).epsilon(1e-12));
  CHECK(sign_test_two_sided_p(5, 0) == doctest::Approx(0.0625).epsilon(1e-12));  // 5 seeds cannot reach 0.05
  CHECK(sign_test_two_sided_p(6, 0) == doctest::Approx(0.03125).epsilon(1e-12));
  CHECK(sign_test_two_sided_p(3, 3) == 1);
  CHECK(sign_test_two_sided_p(0, 0) == 1);
  CHECK(sign_test_two_sided_p(60, 40) == doctest::Approx(0.056887).epsilon(1e-4));  // large m through logs
}

TEST_CASE("compare_paired: a hand-computed example") {
  // b - a = {1, 2, 0, 2, 2}: mean 1.4, sample variance 3.2 / 4 = 0.8, t = 1.4 / sqrt(0.8 / 5) = 3.5, df 4.
  const std::vector<double> a{1, 2, 3, 4, 5}, b{2, 4, 3, 6, 7};
  const metrics::paired_comparison c = metrics::compare_paired(a, b);
  CHECK(c.pairs == 5);
  CHECK(c.mean_difference == doctest::Approx(1.4));
  CHECK(c.std_difference == doctest::Approx(std::sqrt(0.8)));
  CHECK(c.t == doctest::Approx(3.5));
  CHECK(c.t_p_value == doctest::Approx(0.0248961634602).epsilon(1e-10));
  CHECK(c.wins == 4);
  CHECK(c.losses == 0);
  CHECK(c.ties == 1);
  CHECK(c.sign_p_value == doctest::Approx(0.125));  // 4 of 4 once the tie is dropped

  // The order of b and a flips the signs and keeps the p-values.
  const metrics::paired_comparison r = metrics::compare_paired(b, a);
  CHECK(r.t == doctest::Approx(-3.5));
  CHECK(r.t_p_value == doctest::Approx(c.t_p_value));
  CHECK(r.losses == 4);
}

TEST_CASE("compare_paired: undefined runs, one pair, no spread, mismatched lengths") {
  const std::vector<double> a{0.5, NAN, 0.4}, b{0.6, 0.9, NAN};
  const metrics::paired_comparison one = metrics::compare_paired(a, b);
  CHECK(one.pairs == 1);
  CHECK(one.mean_difference == doctest::Approx(0.1));
  CHECK(std::isnan(one.t_p_value));  // one pair: no t-test
  CHECK(one.sign_p_value == 1);
  const std::vector<double> x{0.1, 0.2, 0.3}, y{0.2, 0.3, 0.4};
  const metrics::paired_comparison flat = metrics::compare_paired(x, y);  // every difference 0.1
  CHECK(flat.std_difference == doctest::Approx(0).epsilon(1e-9));
  CHECK(flat.t_p_value < 1e-6);
  const std::vector<double> none{NAN};
  CHECK(metrics::compare_paired(none, none).pairs == 0);
  CHECK(std::isnan(metrics::compare_paired(none, none).mean_difference));
  const std::vector<double> two{1, 2};
  CHECK_THROWS_WITH_AS(metrics::compare_paired(two, x), doctest::Contains("2 runs against 3"), value_error);
}

TEST_CASE("experiment_table: rows compared with the baseline seed by seed, in files") {
  metrics::experiment_table t("T", {{"emo", "accuracy", "acc"}});
  t.set_baseline("base");
  // seeds added in another order for the two rows; seed 4 only in the method's row.
  t.add("base", "net", accuracy_of(1), 1);
  t.add("base", "net", accuracy_of(2), 2);
  t.add("base", "net", accuracy_of(2), 3);
  t.add("new", "net", accuracy_of(4), 4);
  t.add("new", "net", accuracy_of(2), 3);
  t.add("new", "net", accuracy_of(3), 2);
  t.add("new", "net", accuracy_of(2), 1);
  t.add("new", "other", accuracy_of(2), 1);  // no baseline for this model: not compared
  CHECK_THROWS_WITH_AS(t.add("new", "net", accuracy_of(1), 2), doctest::Contains("seed 2 already"), value_error);

  const auto cs = t.comparisons();
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].method == "new");
  CHECK(cs[0].seeds == std::vector<std::uint64_t>{1, 2, 3});
  // differences by seed: 1: 0.5 - 0.25, 2: 0.75 - 0.5, 3: 0.5 - 0.5
  CHECK(cs[0].test.pairs == 3);
  CHECK(cs[0].test.mean_difference == doctest::Approx(0.5 / 3));
  CHECK(cs[0].test.wins == 2);
  CHECK(cs[0].test.ties == 1);

  const fs::path dir = test::unique_temp("sjmt_test_paired_table");
  fs::create_directories(dir);
  const std::string md = t.write(dir, "t", "notes");
  CHECK(md.find("Paired by seed, row minus base") != std::string::npos);
  CHECK(md.find("| new | net | acc | +0.167 ± 0.144 | 2 / 0 / 1 |") != std::string::npos);
  CHECK(metrics::read_file(dir / "t-paired.csv").find("new,net,base,emo,accuracy,3,") != std::string::npos);
  CHECK(metrics::read_file(dir / "t.json").find("\"p_sign\"") != std::string::npos);
  fs::remove_all(dir);

  // An error column (lower is better): the same differences, counted the other way.
  metrics::experiment_table errors("E", {{"emo", "accuracy", "acc as an error", true}});
  errors.set_baseline("base");
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    errors.add("base", "net", accuracy_of(seed == 1 ? 1 : 2), seed);
    errors.add("new", "net", accuracy_of(seed == 1 ? 2 : seed == 2 ? 3 : 2), seed);
  }
  const auto es = errors.comparisons();
  REQUIRE(es.size() == 1);
  CHECK(es[0].test.mean_difference == doctest::Approx(0.5 / 3));
  CHECK(es[0].test.wins == 0);
  CHECK(es[0].test.losses == 2);
  CHECK(es[0].test.ties == 1);

  // Rows with baselines of their own (an ablation: each method with and without a change).
  metrics::experiment_table ablation("A", {{"emo", "accuracy", "acc"}});
  ablation.set_baseline("x, changed", "x");
  ablation.set_baseline("y, changed", "y");
  CHECK_THROWS_WITH_AS(ablation.set_baseline("x", "x"), doctest::Contains("its own baseline"), value_error);
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    ablation.add("x", "net", accuracy_of(1), seed);
    ablation.add("x, changed", "net", accuracy_of(2), seed);  // +0.25 over x
    ablation.add("y", "net", accuracy_of(3), seed);
    ablation.add("y, changed", "net", accuracy_of(seed == 1 ? 2 : 3), seed);  // -0.25, then 0
  }
  const auto as = ablation.comparisons();
  REQUIRE(as.size() == 2);  // x and y have no baseline: only the changed rows are compared
  CHECK(as[0].method == "x, changed");
  CHECK(as[0].baseline == "x");
  CHECK(as[0].test.mean_difference == doctest::Approx(0.25));
  CHECK(as[0].test.wins == 2);
  CHECK(as[1].baseline == "y");
  CHECK(as[1].test.mean_difference == doctest::Approx(-0.125));
  CHECK(as[1].test.losses == 1);
  CHECK(as[1].test.ties == 1);
  const fs::path adir = test::unique_temp("sjmt_test_paired_ablation");
  fs::create_directories(adir);
  const std::string amd = ablation.write(adir, "a", "notes");
  CHECK(amd.find("row minus its baseline") != std::string::npos);
  CHECK(amd.find("| x | x, changed | net | acc | +0.250 ± 0.000 | 2 / 0 / 0 |") != std::string::npos);
  CHECK(amd.find("| y | y, changed | net | acc | -0.125 ± 0.177 | 0 / 1 / 1 |") != std::string::npos);
  fs::remove_all(adir);
  // A table baseline and a row's own: the row's wins.
  ablation.set_baseline("y");
  const auto both = ablation.comparisons();
  REQUIRE(both.size() == 3);  // x against y, x changed against x, y changed against y
  CHECK(both[0].method == "x");
  CHECK(both[0].baseline == "y");
  CHECK(both[1].baseline == "x");

  metrics::experiment_table plain("P", {{"emo", "accuracy", "acc"}});  // no baseline: no paired section
  plain.add("a", "net", accuracy_of(1), 1);
  CHECK(plain.comparisons().empty());
}
