// clif.cu: fused multi-step CLIF, the official ComplementaryLIFNeuron (docs/neurons.md §4).
//
// Forward, per step (β = 1 − 1/τ; bias = v_reset/τ for a non-zero hard reset, else 0):
//     H[t] = β·V[t−1] + bias + X[t]     a[t] = sigmoid(H[t]/τ)     s[t] = Θ(H[t] − θ)
//     m[t] = m[t−1]·a[t] + s[t]         r[t] = sigmoid(m[t])
//     V[t] = H[t] − θ·s[t] − s[t]·r[t]                         (soft)
//     V[t] = H[t] − s[t]·(H[t] − v_reset) − s[t]·r[t]         (hard)
// with the operation order of functional/clif.py (v·β, + bias, + x; ...). Training stores
// H[0..T−1] and m[0..T−2] (docs/neurons.md §8: H and m[t−1]); the backward reads m[t] for r
// and m[t−1] for the forming term, each element once thanks to a one-step prefetch.
//
// Backward, reverse time, g_V and g_m the gradients reaching V[t] and m[t] from t + 1
// (0 at t = T − 1, so that step is g_H = g_s·σ' and m[T−1] need not be stored):
//     G_m = g_m − g_V·s·r·(1 − r)
//     G_s = g_s + G_m + g_V·∂V/∂s        ∂V/∂s = −θ − r (soft), v_reset − H − r (hard),
//                                        0 with detach_reset (the s inside m keeps its
//                                        gradient: it is not a reset term)
//     g_H = G_s·σ' + g_V·∂V/∂H + G_m·m[t−1]·a·(1 − a)/τ     ∂V/∂H = 1 (soft), 1 − s (hard)
//     g_X[t] = g_H;   g_V ← β·g_H;   g_m ← G_m·a
// rounded in the order autograd evaluates the functional step (as cpu/clif.py does), so
// float32 gradients match the golden file and the CPU path to the last bits.
#include "snn_common.cuh"

namespace snn {

template <int DT, int RESET, int SMOOTH, int SG, int BIAS, int TRAIN, int RECORD>
__global__ void __launch_bounds__(256)
    clif_fwd(const typename IO<DT>::io* __restrict__ x, typename IO<DT>::io* __restrict__ s_out,
             typename IO<DT>::acc* __restrict__ h_out, typename IO<DT>::acc* __restrict__ m_out,
             typename IO<DT>::acc* __restrict__ v_out, typename IO<DT>::acc beta,
             typename IO<DT>::acc tau, typename IO<DT>::acc bias, typename IO<DT>::acc theta,
             typename IO<DT>::acc v_reset, typename IO<DT>::acc c0, typename IO<DT>::acc c1,
             typename IO<DT>::acc c2, i64 N, int T) {
  SNN_KERNEL_BEGIN(n, N, T);
  A v = A(0), m = A(0);
  i64 off = n;
  A x_next = IO<DT>::load(x + off);
  for (int t = 0; t < T; ++t) {
    const A xt = x_next;
    if (t + 1 < T) x_next = IO<DT>::load(x + off + N);
    A h = mul_rn(v, beta);
    if (BIAS) h = add_rn(h, bias);
    h = add_rn(h, xt);
    m = mul_rn(m, sigmoid_rn(div_rn(h, tau)));  // forming, on the pre-fire H
    const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
    m = add_rn(m, s);  // strengthen
    v = sub_rn(reset_v<RESET>(h, s, theta, v_reset), mul_rn(sigmoid_rn(m), s));
    IO<DT>::store(s_out + off, s);
    if (TRAIN) h_out[off] = h;
    if ((TRAIN && t + 1 < T) || RECORD) m_out[off] = m;  // m[T−1] is never read back
    if (RECORD) v_out[off] = v;
    off += N;
  }
}

template <int DT, int RESET, int DETACH, int SMOOTH, int SG>
__global__ void __launch_bounds__(256)
    clif_bwd(const typename IO<DT>::io* __restrict__ gs,
             const typename IO<DT>::acc* __restrict__ h_seq,
             const typename IO<DT>::acc* __restrict__ m_seq, typename IO<DT>::io* __restrict__ gx,
             typename IO<DT>::acc beta, typename IO<DT>::acc tau, typename IO<DT>::acc theta,
             typename IO<DT>::acc v_reset, typename IO<DT>::acc c0, typename IO<DT>::acc c1,
             typename IO<DT>::acc c2, i64 N, int T) {
  SNN_KERNEL_BEGIN(n, N, T);
  i64 off = (i64)(T - 1) * N + n;
  // t = T − 1: nothing reaches V[T−1] or m[T−1], so g_H = g_s·σ' (m[T−1] is not stored).
  A h = h_seq[off];
  A g_h = mul_rn(IO<DT>::load(gs + off), Surrogate<SG>::grad(sub_rn(h, theta), c0, c1, c2));
  IO<DT>::store(gx + off, g_h);
  A g_v = mul_rn(g_h, beta), g_m = A(0);
  A m = T > 1 ? m_seq[off - N] : A(0);  // m[t] for the step below
  for (int t = T - 2; t >= 0; --t) {
    off -= N;
    h = h_seq[off];
    const A m_prev = t > 0 ? m_seq[off - N] : A(0);  // m[−1] = 0; prefetched
    const A g_s = IO<DT>::load(gs + off);
    // The order in which autograd evaluates the functional step (cpu/clif.py does the
    // same): one rounding per product or sum, no fusion where it would round differently.
    const A sg = Surrogate<SG>::grad(sub_rn(h, theta), c0, c1, c2);
    const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
    const A r = sigmoid_rn(m);
    // G_m = g_m − ((g_V·s)·(1 − r))·r         (sigmoid_backward's order)
    const A G_m = sub_rn(g_m, mul_rn(mul_rn(mul_rn(g_v, s), sub_rn(A(1), r)), r));
    // G_s = ((g_s − g_V·r) − g_V·∂(reset)/∂s) + G_m; the g_V terms vanish if detached
    A G_s = g_s;
    if (!DETACH) {
      G_s = sub_rn(G_s, mul_rn(g_v, r));
      const A dreset = RESET == RESET_HARD ? mul_rn(sub_rn(h, v_reset), g_v) : mul_rn(g_v, theta);
      G_s = sub_rn(G_s, dreset);
    }
    G_s = add_rn(G_s, G_m);
    // g_H = g_V·∂V/∂H + G_s·σ';  ∂V/∂H = 1 (soft) or 1 − s (hard: g_V − g_V·s)
    const A dv = RESET == RESET_HARD ? sub_rn(g_v, mul_rn(g_v, s)) : g_v;
    g_h = add_rn(mul_rn(G_s, sg), dv);
    if (t > 0) {  // forming: + ((G_m·m[t−1])·(1 − a))·a/τ; nothing reaches m[−1]
      const A a = sigmoid_rn(div_rn(h, tau));
      g_h = add_rn(g_h, div_rn(mul_rn(mul_rn(mul_rn(G_m, m_prev), sub_rn(A(1), a)), a), tau));
      g_v = mul_rn(g_h, beta);
      g_m = mul_rn(G_m, a);
    }
    IO<DT>::store(gx + off, g_h);
    m = m_prev;
  }
}

}  // namespace snn
