#include "text_fold.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "services/common/ids.h"

namespace infrashare {
namespace {

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool IsWordAscii(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// NFKC_Casefold, then NFD with the non-spacing marks left out. Both normalizers are process-wide
// ICU singletons and safe to share between threads.
icu::UnicodeString Fold(std::string_view text) {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(error);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  if (U_FAILURE(error)) return source;
  icu::UnicodeString folded = casefold->normalize(source, error);
  icu::UnicodeString decomposed = nfd->normalize(folded, error);
  if (U_FAILURE(error)) return source;
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length(); i = decomposed.moveIndex32(i, 1)) {
    UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) out.append(c);
  }
  return out;
}

// Letters that carry their stroke or ligature in the letter itself, so that decomposition leaves
// them as they are, written as people type them without it: "Lodz" finds Łódź, "orsted" Ørsted,
// "diyarbakir" Diyarbakır. Null for every other character.
const char* Spelled(UChar32 c) {
  switch (c) {
    case 0x0131:
      return "i";  // ı
    case 0x0142:
      return "l";  // ł
    case 0x00F8:
      return "o";  // ø
    case 0x0111:
      return "d";  // đ
    case 0x00F0:
      return "d";  // ð
    case 0x0127:
      return "h";  // ħ
    case 0x0167:
      return "t";  // ŧ
    case 0x00E6:
      return "ae";  // æ
    case 0x0153:
      return "oe";  // œ
    case 0x00FE:
      return "th";  // þ
    default:
      return nullptr;
  }
}

// Fold(text) with the Spelled letters written out.
icu::UnicodeString FoldSpelled(std::string_view text) {
  const icu::UnicodeString folded = Fold(text);
  icu::UnicodeString out;
  for (int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    const UChar32 c = folded.char32At(i);
    if (const char* plain = Spelled(c))
      out.append(icu::UnicodeString(plain, -1, icu::UnicodeString::kInvariant));
    else
      out.append(c);
  }
  return out;
}

}  // namespace

std::string FoldText(std::string_view text) {
  std::string out;
  if (IsAscii(text)) {
    out.assign(text);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  Fold(text).toUTF8String(out);
  return out;
}

std::string FoldName(std::string_view text) {
  if (IsAscii(text)) return FoldText(text);
  std::string name;
  FoldSpelled(text).toUTF8String(name);
  return name;
}

bool IsEmailAddress(std::string_view text) {
  const size_t at = text.find('@');
  if (text.size() > 254 || at == std::string_view::npos || at == 0 ||
      text.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = text.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  for (int32_t i = 0; i < unicode.length(); i = unicode.moveIndex32(i, 1)) {
    const UChar32 c = unicode.char32At(i);
    if (u_isUWhiteSpace(c) || u_iscntrl(c) || u_charType(c) == U_FORMAT_CHAR) return false;
  }
  return true;
}

bool IsSendableAddress(std::string_view address) {
  if (!IsEmailAddress(address)) return false;
  const size_t at = address.find('@');
  const std::string_view domain = address.substr(at + 1);
  if (at > 64 || domain.front() == '.' || domain.find("..") != std::string_view::npos) return false;
  return address.find_first_of("\"<>,;:()[]\\") == std::string_view::npos;
}

std::string FoldEmail(std::string_view text) {
  if (IsAscii(text)) {  // the common case, without ICU: NFKC case folding of ASCII is lower case
    std::string out = FoldText(text);
    const size_t begin = out.find_first_not_of(" \t\n\v\f\r");
    if (begin == std::string::npos) return "";
    return out.substr(begin, out.find_last_not_of(" \t\n\v\f\r") + 1 - begin);
  }
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(error);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString folded = U_SUCCESS(error) ? casefold->normalize(source, error) : source;
  if (U_FAILURE(error)) folded = source;
  int32_t begin = 0, end = folded.length();
  while (begin < end && u_isUWhiteSpace(folded.char32At(begin)))
    begin = folded.moveIndex32(begin, 1);
  while (end > begin && u_isUWhiteSpace(folded.char32At(folded.moveIndex32(end, -1))))
    end = folded.moveIndex32(end, -1);
  std::string out;
  folded.tempSubStringBetween(begin, end).toUTF8String(out);
  return out;
}

std::vector<std::string> FoldedWords(std::string_view text) {
  std::vector<std::string> words;
  if (IsAscii(text)) {
    std::string folded = FoldText(text), current;
    for (char c : folded) {
      if (IsWordAscii(c)) {
        current += c;
      } else if (!current.empty()) {
        words.push_back(std::move(current));
        current.clear();
      }
    }
    if (!current.empty()) words.push_back(std::move(current));
    return words;
  }
  icu::UnicodeString folded = FoldSpelled(text), current;
  auto flush = [&] {
    if (current.isEmpty()) return;
    words.emplace_back();
    current.toUTF8String(words.back());
    current.remove();
  };
  for (int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    UChar32 c = folded.char32At(i);
    if (u_isalnum(c) || u_charType(c) == U_COMBINING_SPACING_MARK) {
      current.append(c);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

bool IsBlank(std::string_view text) {
  if (IsAscii(text))
    return absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())).empty();
  const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  for (int32_t i = 0; i < unicode.length(); i = unicode.moveIndex32(i, 1)) {
    const UChar32 c = unicode.char32At(i);
    if (!u_isUWhiteSpace(c) && u_charType(c) != U_FORMAT_CHAR) return false;
  }
  return true;
}

std::string Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

size_t Characters(std::string_view text) {
  // Every byte that is not a continuation byte (10xxxxxx) starts a character; protobuf has checked
  // that string fields are UTF-8.
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsValidUtf8(std::string_view text) {
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::string PersonOf(absl::string_view address) {
  return SecretHash(FoldEmail(std::string_view(address.data(), address.size())));
}

}  // namespace infrashare
