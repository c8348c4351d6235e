#include "mutator.h"

#include <algorithm>
#include <iterator>

namespace freshet::fuzz {
namespace {

constexpr uint8_t kInterestingBytes[] = {0x00, 0x01, 0x02, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff};
constexpr uint16_t kInterestingShorts[] = {0x0000, 0x0001, 0x007f, 0x0080, 0x00ff, 0x0100,
                                           0x7fff, 0x8000, 0xfffe, 0xffff};
constexpr uint32_t kInterestingInts[] = {0x00000000, 0x00000001, 0x0000003c, 0x0000003d, 0x00000100,
                                         0x00010000, 0x00100000, 0x7fffffff, 0x80000000, 0xfffffffe,
                                         0xffffffff};
// Unsigned varints at the edges: the largest 5-byte value, an overlong
// encoding, a dangling continuation, and a length of 2^31.
constexpr uint8_t kInterestingVarints[][6] = {
    {5, 0xff, 0xff, 0xff, 0xff, 0x0f}, {5, 0xff, 0xff, 0xff, 0xff, 0x7f}, {1, 0x80, 0, 0, 0, 0},
    {5, 0x80, 0x80, 0x80, 0x80, 0x08}, {2, 0xff, 0x7f, 0, 0, 0},          {1, 0x00, 0, 0, 0, 0}};

void put_be(Input& data, size_t pos, uint64_t value, size_t width) {
  for (size_t i = 0; i < width && pos + i < data.size(); ++i)
    data[pos + i] = static_cast<uint8_t>(value >> (8 * (width - 1 - i)));
}

}  // namespace

uint64_t Mutator::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Input Mutator::mutate(const Input& input, std::span<const Input> corpus) {
  Input data = input;
  const size_t rounds = 1 + below(below(2) == 0 ? 2 : 8);
  for (size_t i = 0; i < rounds; ++i) mutate_once(data, corpus);
  if (data.size() > max_size_bytes_) data.resize(max_size_bytes_);
  return data;
}

void Mutator::mutate_once(Input& data, std::span<const Input> corpus) {
  const size_t n = data.size();
  // Positions near the front (headers, lengths, counts) matter most: half of
  // the mutations pick among the first 64 bytes.
  const auto pos = [&]() { return below(2) == 0 ? below(std::min<size_t>(n, 64)) : below(n); };
  switch (n == 0 ? 7 : below(13)) {
    case 0: {
      size_t p = pos();
      data[p] ^= static_cast<uint8_t>(1u << below(8));
      break;
    }
    case 1: data[pos()] = static_cast<uint8_t>(next()); break;
    case 2: data[pos()] = kInterestingBytes[below(std::size(kInterestingBytes))]; break;
    case 3: put_be(data, pos(), kInterestingShorts[below(std::size(kInterestingShorts))], 2); break;
    case 4: put_be(data, pos(), kInterestingInts[below(std::size(kInterestingInts))], 4); break;
    case 5: {
      size_t p = pos();
      data[p] = static_cast<uint8_t>(data[p] + static_cast<int>(below(33)) - 16);
      break;
    }
    case 6: data.resize(below(n)); break;  // truncate
    case 7: {                              // insert random bytes
      size_t p = n == 0 ? 0 : below(n + 1);
      size_t count = 1 + below(16);
      Input bytes(count);
      for (auto& b : bytes) b = static_cast<uint8_t>(next());
      data.insert(data.begin() + static_cast<std::ptrdiff_t>(p), bytes.begin(), bytes.end());
      break;
    }
    case 8: {  // erase a range
      size_t p = below(n);
      size_t count = 1 + below(std::min<size_t>(n - p, 32));
      data.erase(data.begin() + static_cast<std::ptrdiff_t>(p), data.begin() + static_cast<std::ptrdiff_t>(p + count));
      break;
    }
    case 9: {  // duplicate a range somewhere else
      size_t from = below(n);
      size_t count = 1 + below(std::min<size_t>(n - from, 64));
      Input chunk(data.begin() + static_cast<std::ptrdiff_t>(from),
                  data.begin() + static_cast<std::ptrdiff_t>(from + count));
      size_t to = below(n + 1);
      data.insert(data.begin() + static_cast<std::ptrdiff_t>(to), chunk.begin(), chunk.end());
      break;
    }
    case 10: {  // splice: our prefix, another input's suffix
      if (corpus.empty()) break;
      const Input& other = corpus[below(corpus.size())];
      if (other.empty()) break;
      size_t cut = below(n + 1);
      size_t from = below(other.size());
      data.resize(cut);
      data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
    case 11: {  // overwrite with an edge-case varint
      const uint8_t* v = kInterestingVarints[below(std::size(kInterestingVarints))];
      size_t p = pos();
      for (size_t i = 0; i < v[0] && p + i < data.size(); ++i) data[p + i] = v[1 + i];
      break;
    }
    case 12: {  // copy a range over another place (keeps the size)
      size_t from = below(n);
      size_t to = below(n);
      size_t count = 1 + below(std::min<size_t>(std::min(n - from, n - to), 16));
      std::copy_n(Input(data.begin() + static_cast<std::ptrdiff_t>(from),
                        data.begin() + static_cast<std::ptrdiff_t>(from + count)).begin(),
                  count, data.begin() + static_cast<std::ptrdiff_t>(to));
      break;
    }
  }
}

}  // namespace freshet::fuzz
