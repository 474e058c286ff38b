// linear_lif.cu: fused multi-step LIF / PLIF / DA-LIF (docs/neurons.md §2, §3, §6).
//
// One thread per neuron n loops over t on the time-major [T, N] layout (element t·N + n),
// so every step's loads and stores are coalesced across the warp.
//
// Forward, with L the leak target (v_reset for a hard reset, else 0):
//     H[t] = β·V[t−1] + α·X[t] (+ (1 − β)·L)      s[t] = Θ(H[t] − θ)
//     V[t] = H[t] − θ·s[t]                (soft)   V[t] = H[t] − s[t]·(H[t] − v_reset) (hard)
// Training stores H[t] only (docs/neurons.md §8), in the compute type (float32 for half
// inputs, so the backward recomputes exactly the forward's spikes).
//
// Backward, reverse time, g_V the gradient reaching V[t] from step t + 1:
//     σ' = Θ'(H[t] − θ)
//     g_H = g_V + σ'·(g_s − θ·g_V)                               (soft; g_V + σ'·g_s detached)
//     g_H = g_s·σ' + g_V·((1 − s) + (v_reset − H)·σ')            (hard; (1 − s) detached)
//     g_X[t] = α·g_H;  g_α += g_H·X[t];  g_β += g_H·(V[t−1] − L);  g_V ← β·g_H
// V[t−1] is recomputed from H[t−1], which the loop prefetches one step ahead anyway.
#include "snn_common.cuh"

namespace snn {

// H = β·V + α·X (+ c) in the operation order of cpu/linear_lif.py::_charge:
//   α a scalar equal to 1 and β per channel: torch.mul(v, β) then add x (two roundings);
//   otherwise x·α then add(alpha=β) / addcmul(v, β), which torch fuses into one FMA.
//   The leak term c is added last (out.add_(c)).
template <int AMODE, int BMODE, int LEAK, class A>
__device__ __forceinline__ A lin_charge(A x, A v, A a, A b, A c) {
  A h;
  if (AMODE != P_CHANNEL && BMODE == P_CHANNEL && a == A(1)) {
    h = add_rn(mul_rn(v, b), x);
  } else {
    h = fma_rn(b, v, mul_rn(x, a));
  }
  if (LEAK) h = add_rn(h, c);
  return h;
}

// c = (1 − β)·L, evaluated as the CPU path does: in double for a per-layer β (it is a
// Python float there), in the compute type for a per-channel β (tensor arithmetic).
template <int BMODE, class A>
__device__ __forceinline__ A lin_leak(A b, A leak_const, A lt) {
  if (BMODE == P_CONST) return leak_const;
  if (BMODE == P_LAYER) return A((1.0 - (double)b) * (double)lt);
  return mul_rn(sub_rn(A(1), b), lt);
}

template <int DT, int RESET, int SMOOTH, int SG, int AMODE, int BMODE, int LEAK, int TRAIN,
          int RECORD>
__global__ void __launch_bounds__(256)
    linear_lif_fwd(const typename IO<DT>::io* __restrict__ x, typename IO<DT>::io* __restrict__ s_out,
                   typename IO<DT>::acc* __restrict__ h_out, typename IO<DT>::acc* __restrict__ v_out,
                   const typename IO<DT>::acc* __restrict__ a_ptr,
                   const typename IO<DT>::acc* __restrict__ b_ptr, typename IO<DT>::acc a_val,
                   typename IO<DT>::acc b_val, i64 a_inner, i64 a_c, i64 b_inner, i64 b_c,
                   typename IO<DT>::acc theta, typename IO<DT>::acc v_reset,
                   typename IO<DT>::acc leak_const, typename IO<DT>::acc lt,
                   typename IO<DT>::acc c0, typename IO<DT>::acc c1, typename IO<DT>::acc c2,
                   i64 N, int T) {
  SNN_KERNEL_BEGIN(n, N, T);
  const A a = load_param<AMODE>(a_val, a_ptr, n, a_inner, a_c);
  const A b = load_param<BMODE>(b_val, b_ptr, n, b_inner, b_c);
  const A c = LEAK ? lin_leak<BMODE>(b, leak_const, lt) : A(0);
  A v = A(0);
  i64 off = n;
  // Software pipelining: the next step's input is requested before this step's
  // arithmetic, so two loads per thread are in flight (the loop is latency-bound
  // otherwise: each step needs the previous V).
  A x_next = IO<DT>::load(x + off);
  for (int t = 0; t < T; ++t) {
    const A xt = x_next;
    if (t + 1 < T) x_next = IO<DT>::load(x + off + N);
    const A h = lin_charge<AMODE, BMODE, LEAK>(xt, v, a, b, c);
    const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
    IO<DT>::store(s_out + off, s);
    if (TRAIN) h_out[off] = h;
    v = reset_v<RESET>(h, s, theta, v_reset);
    if (RECORD) v_out[off] = v;
    off += N;
  }
}

template <int DT, int RESET, int DETACH, int SMOOTH, int SG, int AMODE, int BMODE, int LEAK,
          int GX, int GA, int GB, int BLOCK>
__global__ void __launch_bounds__(BLOCK)
    linear_lif_bwd(const typename IO<DT>::io* __restrict__ gs,
                   const typename IO<DT>::acc* __restrict__ h_seq,
                   const typename IO<DT>::io* __restrict__ x, typename IO<DT>::io* __restrict__ gx,
                   typename IO<DT>::acc* __restrict__ ga, typename IO<DT>::acc* __restrict__ gb,
                   const typename IO<DT>::acc* __restrict__ a_ptr,
                   const typename IO<DT>::acc* __restrict__ b_ptr, typename IO<DT>::acc a_val,
                   typename IO<DT>::acc b_val, i64 a_inner, i64 a_c, i64 b_inner, i64 b_c,
                   typename IO<DT>::acc theta, typename IO<DT>::acc v_reset,
                   typename IO<DT>::acc lt, typename IO<DT>::acc c0, typename IO<DT>::acc c1,
                   typename IO<DT>::acc c2, i64 N, int T) {
  typedef typename IO<DT>::acc A;
  const i64 n = (i64)blockIdx.x * BLOCK + threadIdx.x;
  const bool valid = n < N && T > 0;
  A acc_a = A(0), acc_b = A(0);  // per-thread partial sums over t of g_α and g_β
  if (valid) {
    const A a = load_param<AMODE>(a_val, a_ptr, n, a_inner, a_c);
    const A b = load_param<BMODE>(b_val, b_ptr, n, b_inner, b_c);
    A g_v = A(0);
    i64 off = (i64)(T - 1) * N + n;
    A h = h_seq[off];
    for (int t = T - 1; t >= 0; --t) {
      // Prefetch H[t−1]: the next iteration's H, and V[t−1]'s source for g_β.
      const A h_prev = t > 0 ? h_seq[off - N] : A(0);
      const A g_s = IO<DT>::load(gs + off);
      // Operation order of cpu/linear_lif.py::_LinearLIF.backward (torch.sub with
      // alpha and addcmul are single FMAs on the CPU).
      const A u = sub_rn(h, theta);
      const A sg = Surrogate<SG>::grad(u, c0, c1, c2);
      A g_h;
      if (RESET == RESET_SOFT) {
        g_h = DETACH ? g_s : fma_rn(-theta, g_v, g_s);
        g_h = add_rn(mul_rn(g_h, sg), g_v);
      } else {
        const A s = fire<SG, SMOOTH>(h, theta, c0, c1, c2);
        A dv_dh = sub_rn(A(1), s);
        if (!DETACH) dv_dh = fma_rn(sub_rn(v_reset, h), sg, dv_dh);
        g_h = fma_rn(g_v, dv_dh, mul_rn(g_s, sg));
      }
      if (GX) IO<DT>::store(gx + off, mul_rn(g_h, a));
      if (GA) acc_a = fma_rn(g_h, IO<DT>::load(x + off), acc_a);
      if (GB) {
        if (t > 0) {
          const A s_prev = fire<SG, SMOOTH>(h_prev, theta, c0, c1, c2);
          A v_prev = reset_v<RESET>(h_prev, s_prev, theta, v_reset);
          if (LEAK) v_prev = sub_rn(v_prev, lt);
          acc_b = fma_rn(g_h, v_prev, acc_b);
        } else if (LEAK) {
          acc_b = fma_rn(-lt, g_h, acc_b);  // V[−1] = 0, so V[−1] − L = −L
        }
      }
      g_v = mul_rn(g_h, b);
      h = h_prev;
      off -= N;
    }
  }
  if (GA || GB) {
    __shared__ A sh_v[BLOCK];
    __shared__ i64 sh_k[BLOCK];
    if (GA) block_reduce_param<AMODE, BLOCK>(acc_a, n, N, a_inner, a_c, ga, sh_v, sh_k);
    if (GB) block_reduce_param<BMODE, BLOCK>(acc_b, n, N, b_inner, b_c, gb, sh_v, sh_k);
  }
}

}  // namespace snn
