// Label spaces, joint layouts, datasets, dataset unions and remappings.
#include <doctest/doctest.h>

#include <sjmt/labels.hpp>
#include <string>

namespace {

using namespace sjmt;
using spaces::emotion;
using spaces::emotionet_aus;
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
using layout = joint_layout<emotion, emotionet_aus, pose>;
using sfew = datasets::sfew;
using emotionet = datasets::emotionet;
using posed = dataset<"posed", emotion, pose>;
using domains = dataset_union<layout, sfew, emotionet, posed>;

// Compile-time facts, checked where they are computed.
static_assert(label_space_type<emotion> && label_space_type<emotionet_aus> && label_space_type<pose>);
static_assert(emotion::size == 7 && emotionet_aus::size == 11 && spaces::landmarks68::size == 136);
static_assert(layout::size == 21 && layout::num_spaces == 3);
static_assert(layout::offset<emotion> == 0 && layout::offset<emotionet_aus> == 7 && layout::offset<pose> == 18);
static_assert(layout::slice_of<emotionet_aus> == slice{7, 11});
static_assert(domains::domain_index<sfew> == 0 && domains::domain_index<posed> == 2);
static_assert(domains::mask<emotionet>()[7] && !domains::mask<emotionet>()[6]);
static_assert(emotion::kind == kind::exclusive && emotionet_aus::kind == kind::multilabel);

}  // namespace

TEST_CASE("label spaces carry their names, kinds and sizes") {
  CHECK(emotion::name == "emotion");
  CHECK(emotion::class_name(0) == "angry");
  CHECK(emotion::class_name(4) == "neutral");
  CHECK(emotion::index_of("happy") == 3);
  CHECK(emotion::index_of("contempt") == emotion::size);
  CHECK(to_string(pose::kind) == "regression");
}

TEST_CASE("au_space names its outputs by FACS number and knows their FACS names") {
  CHECK(emotionet_aus::class_name(0) == "AU1");
  CHECK(emotionet_aus::class_name(6) == "AU12");
  CHECK(emotionet_aus::class_name(10) == "AU26");
  CHECK(emotionet_aus::description(6) == "lip corner puller");
  CHECK(emotionet_aus::description(4) == "cheek raiser");
  CHECK(emotionet_aus::index_of_au(12) == 6);
  CHECK(emotionet_aus::index_of_au(15) == emotionet_aus::size);
  CHECK(spaces::disfa_aus::class_name(7) == "AU15");
}

TEST_CASE("coordinate_space interleaves x and y of each point") {
  using lm = spaces::landmarks68;
  CHECK(lm::class_name(0) == "x0");
  CHECK(lm::class_name(1) == "y0");
  CHECK(lm::class_name(2) == "x1");
  CHECK(lm::class_name(134) == "x67");
  CHECK(lm::class_name(135) == "y67");
}

TEST_CASE("joint_layout: spaces tile the outputs without gaps or overlaps (property)") {
  std::size_t expected_offset = 0;
  for (const space_info& s : layout::space_infos) {
    CHECK(s.outputs.offset == expected_offset);
    expected_offset += s.outputs.size;
  }
  CHECK(expected_offset == layout::size);
  for (std::size_t i = 0; i < layout::size; ++i) {
    const std::size_t s = layout::space_of(i);
    REQUIRE(s < layout::num_spaces);
    CHECK(layout::space_infos[s].outputs.contains(i));
    const output_name o = layout::output(i);
    CHECK(o.space == layout::space_infos[s].name);
    CHECK(layout::find(o.space, o.label) == i);  // names are unique and invertible
  }
  CHECK(layout::output(12).qualified() == "aus/AU9");
  CHECK(layout::output(20).qualified() == "pose/roll");
  CHECK(layout::find("aus", "AU99") == layout::size);
}

TEST_CASE("dataset_union: masks are exactly the slices of each dataset's spaces (property)") {
  for (std::size_t d = 0; d < domains::num_domains; ++d)
    for (std::size_t i = 0; i < layout::size; ++i) {
      const std::size_t s = layout::space_of(i);
      CHECK(domains::masks[d][i] == domains::annotates_space(d, s));
    }
  CHECK(domains::annotates_space(2, 0));   // posed: emotion
  CHECK(!domains::annotates_space(2, 1));  // posed: no AUs
  CHECK(domains::annotates_space(2, 2));   // posed: pose
  std::size_t annotated_by_sfew = 0;
  for (bool b : domains::mask<sfew>()) annotated_by_sfew += b;
  CHECK(annotated_by_sfew == emotion::size);
}

TEST_CASE("dataset_union: domain lookup by name, with a clear error for an unknown name") {
  CHECK(domains::domain_index_by_name("emotionet") == 1);
  CHECK(domains::domain_names[2] == "posed");
  try {
    (void)domains::domain_index_by_name("affectnet");
    FAIL("expected value_error");
  } catch (const value_error& e) {
    const std::string what = e.what();
    CHECK(what.find("affectnet") != std::string::npos);
    CHECK(what.find("sfew, emotionet, posed") != std::string::npos);
  }
}

TEST_CASE("remappings: FER2013 and CK+ codes to SFEW's order") {
  using fer = spaces::fer2013_emotion;
  for (std::size_t i = 0; i < fer::size; ++i)
    CHECK(emotion::class_name(spaces::fer2013_to_emotion::apply(i)) == fer::class_name(i));
  // The explicit table agrees with matching by name.
  for (std::size_t i = 0; i < fer::size; ++i)
    CHECK(spaces::fer2013_to_emotion::apply(i) == remap_by_name<fer, emotion>::apply(i));
  CHECK(spaces::fer2013_to_emotion::apply(6) == emotion::index_of("neutral"));
  CHECK(spaces::ckplus_to_emotion::apply(2) == unmapped);  // contempt
  CHECK(spaces::ckplus_to_emotion::apply(5) == emotion::index_of("happy"));
  CHECK(spaces::ckplus_to_emotion::apply(0) == emotion::index_of("neutral"));
}

TEST_CASE("predefined spaces follow DATA.md") {
  CHECK(spaces::emotionet_emotion::size == 16);
  CHECK(spaces::emotionet_emotion::class_name(0) == "angrily_disgusted");
  CHECK(spaces::emotionet_emotion::class_name(15) == "surprised");
  CHECK(spaces::compound_emotion::size == 8);
  CHECK(spaces::ckplus_emotion::size == 8);
  CHECK(spaces::ckplus_emotion::class_name(2) == "contempt");
  CHECK(spaces::bp4d_aus::class_name(10) == "AU23");
  CHECK(facs::au_name(26) == "jaw drop");
  CHECK(facs::au_name(3).empty());
}
