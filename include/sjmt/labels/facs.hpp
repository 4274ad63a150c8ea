#pragma once
// FACS Action Unit names (Ekman & Friesen; muscle basis as in PMC7264164,
// Table 1), for the AUs that sjmt's label spaces and renderer use.

#include <string_view>

namespace sjmt::facs {

/// FACS name of Action Unit `au`, or "" where `au` is not in this table.
constexpr std::string_view au_name(int au) {
  switch (au) {
    case 1: return "inner brow raiser";
    case 2: return "outer brow raiser";
    case 4: return "brow lowerer";
    case 5: return "upper lid raiser";
    case 6: return "cheek raiser";
    case 7: return "lid tightener";
    case 9: return "nose wrinkler";
    case 10: return "upper lip raiser";
    case 11: return "nasolabial deepener";
    case 12: return "lip corner puller";
    case 13: return "sharp lip puller";
    case 14: return "dimpler";
    case 15: return "lip corner depressor";
    case 16: return "lower lip depressor";
    case 17: return "chin raiser";
    case 18: return "lip pucker";
    case 20: return "lip stretcher";
    case 22: return "lip funneler";
    case 23: return "lip tightener";
    case 24: return "lip pressor";
    case 25: return "lips part";
    case 26: return "jaw drop";
    case 27: return "mouth stretch";
    case 28: return "lip suck";
    case 43: return "eyes closed";
    case 45: return "blink";
    default: return "";
  }
}

}  // namespace sjmt::facs
