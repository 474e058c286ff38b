// ilif.cu: fused multi-step ILIF, the official InhibitoryLIFNeuron (docs/neurons.md §5).
//
// Forward, per step (β = 1 − 1/τ, c the current inhibition, k the membrane inhibition;
// soft reset only), in the operation order of functional/ilif.py:
//     I[t]  = c·(I[t−1] + X[t−1]·s[t−1])        κ[t] = 1[I[t] ≥ 0]  (clamp mask)
//     H[t]  = β·V[t−1] + (X[t] − max(I[t], 0))   s[t] = Θ(H[t] − θ)
//     V′[t] = H[t] − θ·s[t]                      M[t] = k·(M[t−1] + s[t]·V′[t])
//     V[t]  = V′[t] − s[t]·sigmoid(M[t])
// (GAIN = 0 specialises k = 1: the exact ×1 is skipped, as in functional/ilif.py.)
// Training stores H[0..T−1], M[0..T−2] and κ (docs/neurons.md §8), κ as bits: word w of neuron
// n holds κ[32w .. 32w + 31] in mask[w·N + n], so the mask costs 4/T bytes per
// neuron-step (not 1 B as a bool tensor would).
//
// Backward, reverse time; g_V, g_M reach V[t], M[t] from step t + 1 (g_M = k·G_M[t+1],
// through the bracket of M[t+1]) and q = c·G_I[t+1] is what I[t + 1] passes back through
// its product (all 0 at t = T − 1, so that step is g_H = g_s·σ' and M[T−1] need not be
// stored); r = sigmoid(M[t]):
//     G_M  = g_M − g_V·s·r·(1 − r)
//     G_B  = k·G_M                              (gradient of the bracket M[t−1] + s·V′)
//     G_V′ = g_V + G_B·s
//     G_s  = g_s + q·X[t] + G_B·V′ − [not detached] (θ·G_V′ + r·g_V)
//     g_H  = G_V′ + G_s·σ'
//     g_X[t] = g_H + q·s                        (X[t] also feeds I[t + 1])
//     G_I[t] = q − κ·g_H;  q ← c·G_I[t];  g_V ← β·g_H;  g_M ← G_B
// rounded in the order autograd evaluates the functional step, as cpu/ilif.py does.
// detach_reset detaches the s of the two reset terms only (θ·s and s·sigmoid(M)); the
// s in M and in I keeps its gradient, as in functional/ilif.py.
// The backward reads X[t] again: ∂I[t+1]/∂s[t] = c·X[t] cannot be rebuilt from H and M.
#include "snn_common.cuh"

namespace snn {

template <int DT, int SMOOTH, int SG, int GAIN, int TRAIN, int RECORD>
__global__ void __launch_bounds__(256)
    ilif_fwd(const typename IO<DT>::io* __restrict__ x, typename IO<DT>::io* __restrict__ s_out,
             typename IO<DT>::acc* __restrict__ h_out, typename IO<DT>::acc* __restrict__ mem_out,
             unsigned int* __restrict__ mask_out, typename IO<DT>::acc* __restrict__ v_out,
             typename IO<DT>::acc* __restrict__ i_out, typename IO<DT>::acc beta,
             typename IO<DT>::acc ci, typename IO<DT>::acc gain, typename IO<DT>::acc theta,
             typename IO<DT>::acc c0, typename IO<DT>::acc c1, typename IO<DT>::acc c2, i64 N,
             int T) {
  SNN_KERNEL_BEGIN(n, N, T);
  A v = A(0), cur = A(0), mem = A(0), x_prev = A(0), s_prev = A(0);
  unsigned int bits = 0u;
  i64 off = n;
  A x_next = IO<DT>::load(x + off);
  for (int t = 0; t < T; ++t) {
    const A xt = x_next;
    if (t + 1 < T) x_next = IO<DT>::load(x + off + N);
    cur = mul_rn(ci, add_rn(cur, mul_rn(x_prev, s_prev)));
    // torch.clamp(i, min=0): NaN stays NaN; its gradient passes where I ≥ 0.
    const A clamped = cur < A(0) ? A(0) : cur;
    const A h = add_rn(mul_rn(v, beta), sub_rn(xt, clamped));
    const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
    const A vs = reset_v<RESET_SOFT>(h, s, theta, A(0));
    mem = add_rn(mem, mul_rn(s, vs));
    if (GAIN) mem = mul_rn(mem, gain);  // M = k·(M + s·V′)
    v = sub_rn(vs, mul_rn(s, sigmoid_rn(mem)));
    IO<DT>::store(s_out + off, s);
    if (TRAIN) {
      h_out[off] = h;
      if (cur >= A(0)) bits |= 1u << (t & 31);
      if ((t & 31) == 31 || t + 1 == T) {
        mask_out[(i64)(t >> 5) * N + n] = bits;
        bits = 0u;
      }
    }
    if ((TRAIN && t + 1 < T) || RECORD) mem_out[off] = mem;  // M[T−1] is never read back
    if (RECORD) {
      v_out[off] = v;
      i_out[off] = cur;
    }
    x_prev = xt;
    s_prev = s;
    off += N;
  }
}

template <int DT, int DETACH, int SMOOTH, int SG, int GAIN>
__global__ void __launch_bounds__(256)
    ilif_bwd(const typename IO<DT>::io* __restrict__ gs,
             const typename IO<DT>::acc* __restrict__ h_seq,
             const typename IO<DT>::acc* __restrict__ mem_seq,
             const unsigned int* __restrict__ mask, const typename IO<DT>::io* __restrict__ x,
             typename IO<DT>::io* __restrict__ gx, typename IO<DT>::acc beta,
             typename IO<DT>::acc ci, typename IO<DT>::acc gain, typename IO<DT>::acc theta,
             typename IO<DT>::acc c0, typename IO<DT>::acc c1, typename IO<DT>::acc c2, i64 N,
             int T) {
  SNN_KERNEL_BEGIN(n, N, T);
  A g_v = A(0), g_mem = A(0), q = A(0);  // q = c·G_I[t+1]
  unsigned int bits = 0u;
  i64 off = (i64)(T - 1) * N + n;
  A h = h_seq[off];
  for (int t = T - 1; t >= 0; --t) {
    const A h_prev = t > 0 ? h_seq[off - N] : A(0);  // prefetch
    if (t == T - 1 || (t & 31) == 31) bits = mask[(i64)(t >> 5) * N + n];
    const A g_s = IO<DT>::load(gs + off);
    const A sg = Surrogate<SG>::grad(sub_rn(h, theta), c0, c1, c2);
    A g_h;
    if (t == T - 1) {
      // Nothing reaches V[T−1], M[T−1] or I[T]: g_H = g_s·σ' (M[T−1] is not stored).
      g_h = mul_rn(g_s, sg);
      IO<DT>::store(gx + off, g_h);
    } else {
      // The order in which autograd evaluates the functional step (cpu/ilif.py too).
      const A xt = IO<DT>::load(x + off);
      const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
      const A vs = reset_v<RESET_SOFT>(h, s, theta, A(0));  // V′, as in the forward
      const A r = sigmoid_rn(mem_seq[off]);
      // G_M = g_M − ((g_V·s)·(1 − r))·r     (sigmoid_backward's order)
      g_mem = sub_rn(g_mem, mul_rn(mul_rn(mul_rn(g_v, s), sub_rn(A(1), r)), r));
      if (GAIN) g_mem = mul_rn(g_mem, gain);  // G_B = k·G_M, also what M[t−1] receives
      const A g_vs = add_rn(mul_rn(g_mem, s), g_v);  // G_V′ = g_V + G_B·s
      // G_s = (((g_s + q·X) − g_V·r) + G_B·V′) − θ·G_V′   (reset terms: not detached)
      A G_s = add_rn(mul_rn(q, xt), g_s);
      if (!DETACH) G_s = sub_rn(G_s, mul_rn(g_v, r));
      G_s = add_rn(G_s, mul_rn(g_mem, vs));
      if (!DETACH) G_s = sub_rn(G_s, mul_rn(g_vs, theta));
      g_h = add_rn(mul_rn(G_s, sg), g_vs);              // g_H = G_V′ + G_s·σ'
      IO<DT>::store(gx + off, add_rn(g_h, mul_rn(q, s)));  // X[t] also feeds I[t+1]
    }
    if (t > 0) {  // G_I[t] = q − κ[t]·g_H; q ← c·G_I[t]; I[0] is a constant
      const A kappa = ((bits >> (t & 31)) & 1u) ? A(1) : A(0);
      q = mul_rn(sub_rn(q, mul_rn(g_h, kappa)), ci);
      g_v = mul_rn(g_h, beta);
    }
    h = h_prev;
    off -= N;
  }
}

}  // namespace snn
