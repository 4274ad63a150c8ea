#pragma once
// Predefined label spaces and datasets of the paper and its datasets
// (formats and orders from shared DATA.md, sections 1 and 3).

#include "dataset.hpp"
#include "label_space.hpp"
#include "remap.hpp"

namespace sjmt::spaces {

/// The 7 basic emotions in SFEW 2.0's order (its folders, alphabetical):
/// Angry, Disgust, Fear, Happy, Neutral, Sad, Surprise. The layout's emotion space.
using emotion = label_space<"emotion", kind::exclusive, "angry", "disgust", "fear", "happy",
                            "neutral", "sad", "surprise">;

/// FER2013's label order: 0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral.
using fer2013_emotion = label_space<"fer2013_emotion", kind::exclusive, "angry", "disgust", "fear",
                                    "happy", "sad", "surprise", "neutral">;
/// FER2013 code -> index in `emotion` (SFEW order).
using fer2013_to_emotion = label_remap<fer2013_emotion, emotion, 0, 1, 2, 3, 5, 6, 4>;

/// CK+ emotion codes 0..7: neutral, anger, contempt, disgust, fear, happy, sadness, surprise.
using ckplus_emotion = label_space<"ckplus_emotion", kind::exclusive, "neutral", "angry", "contempt",
                                   "disgust", "fear", "happy", "sad", "surprise">;
/// CK+ code -> index in `emotion`; contempt has no SFEW class and maps to `unmapped`.
using ckplus_to_emotion = remap_by_name<ckplus_emotion, emotion, partial_remap::allow>;

/// The 8 compound emotions of the paper's Table 4 (Du, Tao & Martinez 2014 categories
/// that EmotioNet's Track 2 also carries).
using compound_emotion =
    label_space<"compound_emotion", kind::exclusive, "happily_surprised", "happily_disgusted",
                "sadly_angry", "sadly_disgusted", "fearfully_angry", "fearfully_surprised",
                "angrily_surprised", "angrily_disgusted">;

/// EmotioNet Track 2's 16 categories, in the file's (alphabetical) column order. No neutral.
using emotionet_emotion =
    label_space<"emotionet_emotion", kind::exclusive, "angrily_disgusted", "angrily_surprised",
                "angry", "appalled", "awed", "disgusted", "fearful", "fearfully_angry",
                "fearfully_surprised", "happily_disgusted", "happily_surprised", "happy", "sad",
                "sadly_angry", "sadly_disgusted", "surprised">;

/// The 11 Action Units of the EmotioNet 2017 challenge (Track 1).
using emotionet_aus = au_space<"aus", 1, 2, 4, 5, 6, 9, 12, 17, 20, 25, 26>;
/// DISFA's 12 AUs.
using disfa_aus = au_space<"disfa_aus", 1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26>;
/// The 11 AUs of FERA 2015 (BP4D occurrence).
using bp4d_aus = au_space<"bp4d_aus", 1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23>;

/// 68 facial landmarks (iBUG 300-W / Multi-PIE order), 136 outputs x0, y0, ..., x67, y67.
using landmarks68 = coordinate_space<"landmarks", 68>;

}  // namespace sjmt::spaces

namespace sjmt::datasets {

/// SFEW 2.0: emotion labels only (remapped to `spaces::emotion`, which is its own order).
using sfew = dataset<"sfew", spaces::emotion>;
/// EmotioNet Track 1: the 11 AUs only; 999 marks an AU as unknown (see the known-mask).
using emotionet = dataset<"emotionet", spaces::emotionet_aus>;
/// FER2013, its labels remapped to `spaces::emotion` with `spaces::fer2013_to_emotion`.
using fer2013 = dataset<"fer2013", spaces::emotion>;
/// 300-W (and the synthetic w300-like): 68 landmarks only.
using w300 = dataset<"w300", spaces::landmarks68>;

}  // namespace sjmt::datasets
