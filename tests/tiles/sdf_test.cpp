// Signed distance fields against a brute-force distance transform.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "geo/error.hpp"
#include "tiles/sdf.hpp"

using namespace gridmap;

namespace {

// The field of a 0/255 bitmap by definition: distance between pixel centres to the nearest
// ink (outside) or the nearest blank pixel of the padded grid (inside).
std::vector<uint8_t> brute_force(const std::vector<uint8_t>& alpha, int w, int h, int buffer) {
  int pw = w + 2 * buffer, ph = h + 2 * buffer;
  auto ink = [&](int x, int y) {
    x -= buffer, y -= buffer;
    return x >= 0 && y >= 0 && x < w && y < h && alpha[static_cast<size_t>(y) * w + x] == 255;
  };
  std::vector<uint8_t> out;
  for (int y = 0; y < ph; ++y)
    for (int x = 0; x < pw; ++x) {
      bool inside = ink(x, y);
      double best = 1e10;  // nothing to measure to: as far as the transform's infinity
      for (int v = 0; v < ph; ++v)
        for (int u = 0; u < pw; ++u)
          if (ink(u, v) != inside) best = std::min(best, std::hypot(u - x, v - y));
      double d = inside ? -best : best;
      out.push_back(
          static_cast<uint8_t>(std::clamp(std::round(255 - 255 * (d / 8 + 0.25)), 0.0, 255.0)));
    }
  return out;
}

}  // namespace

TEST_CASE("the field of random black-and-white bitmaps equals a brute-force distance transform") {
  auto seed = std::random_device{}();
  std::cout << "sdf_test seed " << seed << "\n";
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    int w = std::uniform_int_distribution(0, 12)(rng),
        h = std::uniform_int_distribution(0, 12)(rng);
    double density = std::uniform_real_distribution(0.0, 1.0)(rng);
    std::vector<uint8_t> alpha(static_cast<size_t>(w) * h);
    for (auto& a : alpha) a = std::bernoulli_distribution(density)(rng) ? 255 : 0;
    INFO("round " << round << ": " << w << " x " << h);
    auto field = tiles::signed_distance_field(alpha, w, h);
    REQUIRE(field.size() == static_cast<size_t>(w + 6) * (h + 6));
    CHECK(field == brute_force(alpha, w, h, 3));
  }
}

TEST_CASE("a square of ink is bright inside, 191 at its edge and 0 far outside") {
  int w = 20, h = 20;
  std::vector<uint8_t> alpha(static_cast<size_t>(w) * h, 0);
  for (int y = 5; y < 15; ++y)
    for (int x = 5; x < 15; ++x) alpha[static_cast<size_t>(y) * w + x] = 255;
  alpha[static_cast<size_t>(2) * w + 2] = 128;  // a lone half-covered pixel: on the edge
  auto f = tiles::signed_distance_field(alpha, w, h);
  int pw = w + 6;
  auto at = [&](int x, int y) { return int(f[static_cast<size_t>(y + 3) * pw + x + 3]); };
  CHECK(at(10, 10) == 255);       // 5 px inside
  CHECK(at(5, 10) == 223);        // on the first inked column: 1 px from blank
  CHECK(at(4, 10) == 159);        // first blank column: 1 px from ink
  CHECK(at(2, 2) == 191);         // the edge itself
  CHECK(at(19, 0) == 0);          // 6.4 px and more from any ink
  CHECK(at(-3, 19) < at(4, 19));  // falling away from the ink
}

TEST_CASE("a bitmap that does not match its size is refused") {
  std::vector<uint8_t> alpha(10);
  CHECK_THROWS_AS(tiles::signed_distance_field(alpha, 3, 3), Error);
  CHECK_THROWS_AS(tiles::signed_distance_field(alpha, -2, -5), Error);
  CHECK(tiles::signed_distance_field({}, 0, 0).size() == 36);
}
