#include "explain/model_agnostic.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

FERRY_BEGIN_NAMESPACE
namespace detail::explain {
namespace {

// Hybrid rows per model run: large enough that the pipeline's per-call cost vanishes, small
// enough to stay in cache.
constexpr Index kRowsPerRun = 4096;

// v(S) for many coalitions of one row. fill(q, members) writes coalition q's membership (one
// byte per raw column, 1 = the column comes from x) into members; v is n_coalitions x k.
template <typename Fill>
void coalition_values(const detail::Engine& model, const detail::Background& bg, const double* x, Index n_coalitions,
                      Fill&& fill, RowMatrixXd& v) {
  const Index B = bg.raw.rows(), M = bg.raw.cols(), k = model.estimator->n_scores();
  const Index per_run = std::max<Index>(1, kRowsPerRun / B);
  std::vector<std::uint8_t> members(static_cast<std::size_t>(M));
  v.resize(n_coalitions, k);
  RowMatrixXd H;
  for (Index q0 = 0; q0 < n_coalitions; q0 += per_run) {
    const Index nq = std::min(per_run, n_coalitions - q0);
    H.resize(nq * B, M);
    for (Index q = 0; q < nq; ++q) {
      fill(q0 + q, members.data());
      for (Index b = 0; b < B; ++b) {
        double* h = H.row(q * B + b).data();
        const double* r = bg.raw.row(b).data();
        for (Index j = 0; j < M; ++j) h[j] = members[static_cast<std::size_t>(j)] ? x[j] : r[j];
      }
    }
    const RowMatrixXd s = model.scores(model.run_pipeline(std::move(H)));
    for (Index q = 0; q < nq; ++q)
      for (Index c = 0; c < k; ++c) {
        double sum = 0.0;
        for (Index b = 0; b < B; ++b) sum += bg.weights[b] * s(q * B + b, c);
        v(q0 + q, c) = sum;
      }
  }
}

int count_bits(Index S) {
  int n = 0;
  for (; S != 0; S &= S - 1) ++n;
  return n;
}

std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

}  // namespace

Eigen::RowVectorXd background_scores(const detail::Engine& model, const detail::Background& bg) {
  const RowMatrixXd s = model.scores(bg.transformed);
  Eigen::RowVectorXd base = Eigen::RowVectorXd::Zero(s.cols());
  for (Index b = 0; b < s.rows(); ++b) base += bg.weights[b] * s.row(b);
  return base;
}

void shapley_enumerated(const detail::Engine& model, const detail::Background& bg, const RowMatrixXd& raw,
                        const RowMatrixXd& scores, const Eigen::RowVectorXd& base, RowMatrixXd& phi) {
  const Index M = raw.cols(), k = scores.cols(), full = (Index(1) << M) - 1;
  // W[s] = s! (M - 1 - s)! / M!, the weight of a coalition of s columns without j.
  std::vector<double> W(static_cast<std::size_t>(std::max<Index>(M, 1)));
  for (Index s = 0; s < M; ++s) {
    double binomial = 1.0;  // C(M - 1, s), exact in double for M ≤ 54
    for (Index t = 1; t <= s; ++t) binomial = binomial * static_cast<double>(M - s - 1 + t) / static_cast<double>(t);
    W[static_cast<std::size_t>(s)] = 1.0 / (static_cast<double>(M) * binomial);
  }
  phi.setZero(raw.rows(), (M + 1) * k);
  RowMatrixXd v, inner;
  for (Index i = 0; i < raw.rows(); ++i) {
    // Coalitions 1 .. full - 1 through the model; ∅ and the full set are known.
    coalition_values(model, bg, raw.row(i).data(), std::max<Index>(full - 1, 0),
                     [M](Index q, std::uint8_t* members) {
                       for (Index j = 0; j < M; ++j) members[j] = static_cast<std::uint8_t>(((q + 1) >> j) & 1);
                     },
                     inner);
    v.resize(full + 1, k);
    v.row(0) = base;
    if (full > 1) v.middleRows(1, full - 1) = inner;
    v.row(full) = scores.row(i);
    double* p = phi.row(i).data();
    for (Index S = 0; S < full; ++S) {
      const double w = W[static_cast<std::size_t>(count_bits(S))];
      for (Index j = 0; j < M; ++j) {
        if ((S >> j) & 1) continue;
        const Index with = S | (Index(1) << j);
        for (Index c = 0; c < k; ++c) p[j * k + c] += w * (v(with, c) - v(S, c));
      }
    }
    for (Index c = 0; c < k; ++c) p[M * k + c] = base[c];
  }
}

void shapley_sampled(const detail::Engine& model, const detail::Background& bg, const RowMatrixXd& raw,
                     const RowMatrixXd& scores, const Eigen::RowVectorXd& base, int permutations, std::uint64_t seed,
                     Index first_row, RowMatrixXd& phi, RowMatrixXd& se) {
  const Index M = raw.cols(), k = scores.cols();
  const Index pairs = std::max(1, (permutations + 1) / 2);
  phi.setZero(raw.rows(), (M + 1) * k);
  se.setZero(raw.rows(), (M + 1) * k);
  // Orderings of pair p: order[2p] and its reverse order[2p + 1].
  std::vector<Index> order(static_cast<std::size_t>(2 * pairs * M));
  std::vector<double> estimate(static_cast<std::size_t>(M * k)), mean(static_cast<std::size_t>(M * k)),
      m2(static_cast<std::size_t>(M * k));
  RowMatrixXd v;
  for (Index i = 0; i < raw.rows(); ++i) {
    // mt19937_64's sequence is fixed by the standard (unlike std::shuffle's use of it), so the
    // orderings, and hence the values, are the same on every platform.
    std::mt19937_64 rng(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(first_row + i))));
    for (Index p = 0; p < pairs; ++p) {
      Index* fwd = order.data() + 2 * p * M;
      std::iota(fwd, fwd + M, Index(0));
      for (Index j = M - 1; j > 0; --j) std::swap(fwd[j], fwd[rng() % static_cast<std::uint64_t>(j + 1)]);
      std::reverse_copy(fwd, fwd + M, fwd + M);
    }
    // The prefixes of 1 .. M - 1 columns of every ordering; the empty and full ones are known.
    const Index per_order = std::max<Index>(M - 1, 0);
    coalition_values(model, bg, raw.row(i).data(), 2 * pairs * per_order,
                     [&](Index q, std::uint8_t* members) {
                       const Index* o = order.data() + (q / per_order) * M;
                       std::memset(members, 0, static_cast<std::size_t>(M));
                       for (Index t = 0; t <= q % per_order; ++t) members[o[t]] = 1;
                     },
                     v);
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(m2.begin(), m2.end(), 0.0);
    for (Index p = 0; p < pairs; ++p) {
      std::fill(estimate.begin(), estimate.end(), 0.0);
      for (Index d = 0; d < 2; ++d) {
        const Index o = 2 * p + d;
        const Index* ord = order.data() + o * M;
        for (Index t = 0; t < M; ++t)
          for (Index c = 0; c < k; ++c) {
            const double before = t == 0 ? base[c] : v(o * per_order + t - 1, c);
            const double after = t == M - 1 ? scores(i, c) : v(o * per_order + t, c);
            estimate[static_cast<std::size_t>(ord[t] * k + c)] += 0.5 * (after - before);
          }
      }
      // Welford's update over the pairs' estimates.
      for (std::size_t e = 0; e < estimate.size(); ++e) {
        const double delta = estimate[e] - mean[e];
        mean[e] += delta / static_cast<double>(p + 1);
        m2[e] += delta * (estimate[e] - mean[e]);
      }
    }
    double* out = phi.row(i).data();
    double* err = se.row(i).data();
    for (Index e = 0; e < M * k; ++e) {
      out[e] = mean[static_cast<std::size_t>(e)];
      err[e] = pairs > 1 ? std::sqrt(m2[static_cast<std::size_t>(e)] / static_cast<double>(pairs * (pairs - 1)))
                         : std::numeric_limits<double>::quiet_NaN();
    }
    for (Index c = 0; c < k; ++c) out[M * k + c] = base[c];
  }
}

}  // namespace detail::explain
FERRY_END_NAMESPACE
