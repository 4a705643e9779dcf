#include "tiles/sdf.hpp"

#include <algorithm>
#include <cmath>

#include "geo/error.hpp"

namespace gridmap::tiles {
namespace {

constexpr double kInf = 1e20;

// Squared distances along one row or column, in place (Felzenszwalb & Huttenlocher 2012):
// the lower envelope of the parabolas rooted at each sample. f, v, z are scratch space of
// at least n, n and n + 1 entries.
void edt_1d(double* grid, size_t stride, int n, double* f, int* v, double* z) {
  v[0] = 0;
  z[0] = -kInf;
  z[1] = kInf;
  f[0] = grid[0];
  for (int q = 1, k = 0; q < n; ++q) {
    f[q] = grid[q * stride];
    double s = 0;
    for (;;) {
      int r = v[k];
      s = (f[q] - f[r] + static_cast<double>(q) * q - static_cast<double>(r) * r) / (q - r) / 2;
      // z[0] is -inf, so the envelope keeps at least its first parabola.
      if (s > z[k] || k == 0) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = kInf;
  }
  for (int q = 0, k = 0; q < n; ++q) {
    while (z[k + 1] < q) ++k;
    int r = v[k];
    double d = q - r;
    grid[q * stride] = f[r] + d * d;
  }
}

void edt_2d(std::vector<double>& grid, int width, int height) {
  int n = std::max(width, height);
  std::vector<double> f(n), z(n + 1);
  std::vector<int> v(n);
  for (int x = 0; x < width; ++x)
    edt_1d(grid.data() + x, width, height, f.data(), v.data(), z.data());
  for (int y = 0; y < height; ++y)
    edt_1d(grid.data() + static_cast<size_t>(y) * width, 1, width, f.data(), v.data(), z.data());
}

}  // namespace

std::vector<uint8_t> signed_distance_field(std::span<const uint8_t> alpha, int width, int height,
                                           const SdfOptions& o) {
  if (width < 0 || height < 0 || o.buffer < 0 || !(o.radius > 0) ||
      alpha.size() != static_cast<size_t>(width) * height)
    throw_invalid("signed_distance_field: the bitmap does not match its size");
  int w = width + 2 * o.buffer, h = height + 2 * o.buffer;
  size_t len = static_cast<size_t>(w) * h;
  // Squared distance to the nearest ink (outer) and to the nearest blank (inner); partly
  // covered pixels place the edge inside the pixel by their coverage, as TinySDF does.
  std::vector<double> outer(len, kInf), inner(len, 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t a = alpha[static_cast<size_t>(y) * width + x];
      if (a == 0) continue;
      size_t j = static_cast<size_t>(y + o.buffer) * w + x + o.buffer;
      if (a == 255) {
        outer[j] = 0;
        inner[j] = kInf;
      } else {
        double d = 0.5 - a / 255.0;
        outer[j] = d > 0 ? d * d : 0;
        inner[j] = d < 0 ? d * d : 0;
      }
    }
  if (w > 0 && h > 0) {
    edt_2d(outer, w, h);
    edt_2d(inner, w, h);
  }
  std::vector<uint8_t> out(len);
  for (size_t i = 0; i < len; ++i) {
    double d = std::sqrt(outer[i]) - std::sqrt(inner[i]);
    double v = std::round(255 - 255 * (d / o.radius + o.cutoff));
    out[i] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
  }
  return out;
}

}  // namespace gridmap::tiles
