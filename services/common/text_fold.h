// Text folded the way people search it, with ICU's Unicode data: case folded, compatibility forms
// spelled out (ĳ → ij, ﬁ → fi) and diacritics removed (Één → een, COÖP → coop, Café → cafe).
// Indexing and queries fold alike, so either side may carry the accents.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace infrashare {

// `text` folded (NFKC case fold, then canonical decomposition without non-spacing marks).
std::string FoldText(std::string_view text);

// A name as it sorts and is found (the search index's by-name order): FoldText with the letters
// FoldedWords spells out spelled alike (Łódź → lodz, Ørsted → orsted, Æble → aeble), so a name
// sorts where people look for it. FoldText itself keeps those letters: natural-key import ids
// hash it, and changing it would change stored ids.
std::string FoldName(std::string_view text);

// An e-mail address as it is matched (personal data of one person is found by it): NFKC case
// folded, which also drops invisible characters such as U+200B, then trimmed of Unicode white
// space (U+00A0, U+3000 ...). Diacritics stay: müller@ and muller@ are different addresses.
std::string FoldEmail(std::string_view text);

// Whether `text` is well-formed UTF-8 (ICU's U8_NEXT): what gRPC guarantees of every string
// field, and what text from a form must be checked for before it is stored.
bool IsValidUtf8(std::string_view text);

// Who an address is to the indexes that find one person's data without holding the address (the
// e-mail preferences, waiting e-mails, bookers' addresses): the hex BLAKE2b of FoldEmail(address)
// (SecretHash), so no key or link holds an address.
std::string PersonOf(absl::string_view address);

// Whether `text` is accepted as an e-mail address: at most 254 bytes, one '@' with something
// before it and a dotted domain after it, no white space or control characters anywhere.
bool IsEmailAddress(std::string_view text);

// Whether infrashare sends e-mail to (or from) `address` (services/mail): IsEmailAddress, and
// nothing that could name a second recipient or end a header in SMTP or RFC 5322 (quotes, angle
// brackets, commas, semicolons, colons, parentheses, square brackets, backslashes), at most 64
// bytes before the '@', no empty label in the domain. Stricter than RFC 5321: quoted local parts
// and address literals are refused.
bool IsSendableAddress(std::string_view address);

// Whether `text` shows nothing: empty, or only white space (U+00A0, U+2003, U+3000 ... too) and
// invisible format characters (U+200B). What a required name or text may not be.
bool IsBlank(std::string_view text);

// At most the first `max_bytes` bytes of UTF-8 `text`, cut before a character rather than within
// one: what an error message may quote of someone's input (a cut character would make the
// message itself invalid UTF-8).
std::string Utf8Prefix(std::string_view text, size_t max_bytes);

// The number of characters (code points) of UTF-8 `text`: "Één loket Café" is 14 characters in 17
// bytes. Lengths people are told ("at most 200 characters") are counted with it, never in bytes.
size_t Characters(std::string_view text);

// The folded words of `text`: maximal runs of Unicode letters and digits, with letters whose
// stroke or ligature does not decompose (ł ø đ ð ı ħ ŧ æ œ þ) spelled as people type them without
// it (l o d d i h t ae oe th).
std::vector<std::string> FoldedWords(std::string_view text);

}  // namespace infrashare
