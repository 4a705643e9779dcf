#include "tiles/heat_render.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tiles/mvt_encoder.hpp"
#include "tiles/png.hpp"

namespace gridmap::tiles {
namespace {

constexpr int kBox = kHeatBins + 2 * kHeatMarginBins;
constexpr float kNil = 0.05f;  // smoothed heat below this is transparent

std::array<float, 2 * kHeatRadiusBins + 1> kernel() {
  std::array<float, 2 * kHeatRadiusBins + 1> k{};
  for (int i = -kHeatRadiusBins; i <= kHeatRadiusBins; ++i)
    k[size_t(i + kHeatRadiusBins)] =
        static_cast<float>(std::exp(-i * i / (2 * kHeatSigmaBins * kHeatSigmaBins)));
  return k;
}

double srgb_gamma(double c) {
  c = std::clamp(c, 0.0, 1.0);
  return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1 / 2.4) - 0.055;
}

// OKLab (Ottosson 2020) to 8-bit sRGB, clipped to the gamut.
std::array<uint8_t, 3> oklab_to_srgb(double L, double a, double b) {
  double l = L + 0.3963377774 * a + 0.2158037573 * b;
  double m = L - 0.1055613458 * a - 0.0638541728 * b;
  double s = L - 0.0894841775 * a - 1.2914855480 * b;
  l = l * l * l, m = m * m * m, s = s * s * s;
  double r = 4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s;
  double g = -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s;
  double bl = -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s;
  auto byte = [](double c) { return static_cast<uint8_t>(std::lround(srgb_gamma(c) * 255)); };
  return {byte(r), byte(g), byte(bl)};
}

std::string transparent_png(int size) {
  std::vector<uint8_t> px(size_t(size) * size_t(size) * 4, 0);
  return encode_png(size, size, px);
}

}  // namespace

CellBox heat_box(TileId t, int margin) {
  CellBox b;
  b.level = t.z + kHeatBinLevels;
  b.x0 = int64_t{t.x} * kHeatBins - margin;
  b.y0 = int64_t{t.y} * kHeatBins - margin;
  b.w = b.h = kHeatBins + 2 * margin;
  return b;
}

void suppress_small(std::span<uint32_t> bins) noexcept {
  for (uint32_t& c : bins)
    if (c < kHeatMinCount) c = 0;
}

const std::array<std::array<uint8_t, 3>, 256>& heat_ramp() {
  static const auto ramp = [] {
    std::array<std::array<uint8_t, 3>, 256> r{};
    for (int i = 0; i < 256; ++i) {
      double t = i / 255.0;
      double L = 0.22 + 0.72 * t;                             // even steps of lightness
      double hue = (300 + 170 * t) * std::numbers::pi / 180;  // violet, red, orange, yellow
      double chroma = 0.06 + 0.13 * std::sin(std::numbers::pi * std::min(1.0, t * 1.15));
      r[size_t(i)] = oklab_to_srgb(L, chroma * std::cos(hue), chroma * std::sin(hue));
    }
    return r;
  }();
  return ramp;
}

std::string render_heat(std::span<const uint32_t> bins, double busy_cell, int scale) {
  static const std::string empty1 = transparent_png(256), empty2 = transparent_png(512);
  const std::string& empty = scale == 2 ? empty2 : empty1;
  if (std::all_of(bins.begin(), bins.end(), [](uint32_t c) { return c == 0; })) return empty;
  static const auto k = kernel();
  // Separable smoothing: rows, then columns.
  std::array<float, kBox * kBox> across{}, heat{};
  for (int y = 0; y < kBox; ++y)
    for (int x = 0; x < kBox; ++x) {
      uint32_t c = bins[size_t(y * kBox + x)];
      if (!c) continue;
      for (int d = -kHeatRadiusBins; d <= kHeatRadiusBins; ++d)
        if (x + d >= 0 && x + d < kBox)
          across[size_t(y * kBox + x + d)] += float(c) * k[size_t(d + kHeatRadiusBins)];
    }
  for (int y = 0; y < kBox; ++y)
    for (int x = 0; x < kBox; ++x) {
      float c = across[size_t(y * kBox + x)];
      if (c == 0) continue;
      for (int d = -kHeatRadiusBins; d <= kHeatRadiusBins; ++d)
        if (y + d >= 0 && y + d < kBox)
          heat[size_t((y + d) * kBox + x)] += c * k[size_t(d + kHeatRadiusBins)];
    }
  // Per bin: the position on the ramp, 0..1, on the zoom's logarithmic scale.
  float kernel_sum = 0;
  for (float w : k) kernel_sum += w;
  double top = std::log1p(busy_cell * kernel_sum * kernel_sum);
  std::array<float, kBox * kBox> level{};
  bool any = false;
  for (size_t i = 0; i < heat.size(); ++i)
    if (heat[i] >= kNil) {
      level[i] = static_cast<float>(std::min(1.0, std::log1p(heat[i]) / top));
      any = true;
    }
  if (!any) return empty;
  // Sample bilinearly at every pixel's centre.
  int size = 256 * scale, per_bin = size / kHeatBins;
  std::vector<int> i0(size_t(size), 0);
  std::vector<float> f(size_t(size), 0);
  for (int p = 0; p < size; ++p) {
    double u = kHeatMarginBins + (p + 0.5) / per_bin - 0.5;
    i0[size_t(p)] = static_cast<int>(std::floor(u));
    f[size_t(p)] = static_cast<float>(u - std::floor(u));
  }
  const auto& ramp = heat_ramp();
  std::vector<uint8_t> rgba(size_t(size) * size_t(size) * 4, 0);
  for (int py = 0; py < size; ++py) {
    int by = i0[size_t(py)];
    float fy = f[size_t(py)];
    const float* h0 = &heat[size_t(by * kBox)];
    const float* h1 = h0 + kBox;
    const float* l0 = &level[size_t(by * kBox)];
    const float* l1 = l0 + kBox;
    uint8_t* out = &rgba[size_t(py) * size_t(size) * 4];
    for (int px = 0; px < size; ++px, out += 4) {
      int bx = i0[size_t(px)];
      float fx = f[size_t(px)];
      float a0 = h0[bx] + (h0[bx + 1] - h0[bx]) * fx, a1 = h1[bx] + (h1[bx + 1] - h1[bx]) * fx;
      if (a0 + (a1 - a0) * fy < kNil) continue;
      float b0 = l0[bx] + (l0[bx + 1] - l0[bx]) * fx, b1 = l1[bx] + (l1[bx + 1] - l1[bx]) * fx;
      float t = b0 + (b1 - b0) * fy;
      const auto& c = ramp[size_t(std::lround(t * 255))];
      out[0] = c[0], out[1] = c[1], out[2] = c[2];
      out[3] = static_cast<uint8_t>(std::lround(255 * std::min(1.0f, 0.2f + 1.6f * t)));
    }
  }
  return encode_png(size, size, rgba);
}

std::string render_density(std::span<const uint32_t> counts, std::span<const uint32_t> households) {
  LayerBuilder layer("density");
  constexpr int32_t cell = static_cast<int32_t>(kExtent) / kHeatBins;
  for (int y = 0; y < kHeatBins; ++y)
    for (int x = 0; x < kHeatBins; ++x) {
      size_t i = size_t(y * kHeatBins + x);
      if (!counts[i]) continue;
      IPolygon square{{{{x * cell, y * cell},
                        {(x + 1) * cell, y * cell},
                        {(x + 1) * cell, (y + 1) * cell},
                        {x * cell, (y + 1) * cell}}}};
      Property props[2] = {{"count", int64_t{counts[i]}}, {"per_100_households", 0.0}};
      size_t n = 1;
      if (households[i]) {
        props[1].value = std::round(1000.0 * counts[i] / households[i]) / 10;
        n = 2;
      }
      layer.add_polygons(i, std::span<const IPolygon>(&square, 1),
                         std::span<const Property>(props, n));
    }
  const LayerBuilder* layers[] = {&layer};
  return encode_tile(layers);
}

}  // namespace gridmap::tiles
