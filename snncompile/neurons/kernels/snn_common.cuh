// snn_common.cuh: device helpers shared by every fused neuron kernel.
//
// Compiled three ways, from this same text:
//   * by NVRTC through CuPy (production): the Python loader pastes this file in place of
//     the #include line, so CuPy's source-hash disk cache sees every change;
//   * by nvcc (tests: every specialisation must compile for sm_80 and sm_90);
//   * by g++ as plain C++ (tests: host emulation), with SNN_EMULATION defined and a shim
//     header that supplies __global__, threadIdx, __syncthreads, atomicAdd, __fmul_rn...
// Hence: no standard headers (NVRTC has none), no CUDA headers (cuda_fp16.h is not
// guaranteed to be on NVRTC's include path); half and bfloat16 travel as raw 16-bit
// patterns and are converted here.
//
// Rounding: the forward recursions are written with explicitly rounded operations
// (mul_rn, add_rn, fma_rn, ...) because nvcc contracts a*b+c into an FMA by default and
// the CPU reference (torch on x86) fuses some operations and not others. Spikes at the
// threshold are only reproducible if every rounding step is the same (docs/neurons.md §10).
// The backwards follow the CPU autograd Functions' operation order as well (same
// roundings, same FMAs), so float32 gradients agree with the CPU path to the last few
// ulps instead of drifting apart through cancellations in BPTT; the golden files ask
// for rtol 1e-5 on entries as small as 1e-3. On the GPU these explicit operations cost
// nothing measurable: every kernel here is memory-bound.
#ifndef SNNCOMPILE_SNN_COMMON_CUH
#define SNNCOMPILE_SNN_COMMON_CUH

namespace snn {

typedef long long i64;

// The start of every per-neuron kernel (template argument DT, one thread per neuron):
// the compute type A, the flat neuron index `n` of this thread, and an immediate return
// from a thread past the last of the N neurons, or for an empty sequence (T <= 0).
#define SNN_KERNEL_BEGIN(n, N, T)                            \
  typedef typename IO<DT>::acc A;                            \
  const i64 n = (i64)blockIdx.x * blockDim.x + threadIdx.x;  \
  if ((n) >= (N) || (T) <= 0) return

// ---------------------------------------------------------------------------------------
// dtype codes (template argument DT) and their storage / compute types
// ---------------------------------------------------------------------------------------
enum { DT_F32 = 0, DT_F64 = 1, DT_F16 = 2, DT_BF16 = 3 };
enum { RESET_SOFT = 0, RESET_HARD = 1 };
enum { SG_RECTANGLE = 0, SG_SIGMOID = 1, SG_ATAN = 2 };
// How a learnable parameter is laid out (linear LIF family):
//   P_CONST   a Python float, passed by value (no gradient);
//   P_LAYER   one value in device memory (a 0-dim tensor): read once per thread, no
//             host sync; its gradient is reduced per block into partial[blockIdx.x];
//   P_CHANNEL values indexed by (n / inner) % C for the flat neuron index n: its gradient
//             is reduced per block and per channel run, one atomicAdd per run.
enum { P_CONST = 0, P_LAYER = 1, P_CHANNEL = 2 };

__device__ __forceinline__ float half_bits_to_float(unsigned short h) {
#if defined(__CUDA_ARCH__)
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#elif defined(SNN_EMULATION)
  return snn_emu_half_to_float(h);
#else
  return 0.0f;  // nvcc host pass only; never executed
#endif
}

__device__ __forceinline__ unsigned short float_to_half_bits(float f) {
#if defined(__CUDA_ARCH__)
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#elif defined(SNN_EMULATION)
  return snn_emu_float_to_half(f);
#else
  return 0;
#endif
}

// Bits of a float and back: the CUDA intrinsics (the host emulation's shim,
// tests/neurons/kernels/emu_shim.h, defines them with memcpy).
__device__ __forceinline__ unsigned int float_bits(float f) { return __float_as_uint(f); }
__device__ __forceinline__ float bits_float(unsigned int u) { return __uint_as_float(u); }

// bfloat16 <-> float in integer arithmetic: identical on every architecture and in the
// emulation (cvt.rn.bf16.f32 would need sm_80). Round to nearest even; NaN stays NaN.
__device__ __forceinline__ float bf16_bits_to_float(unsigned short b) {
  return bits_float(((unsigned int)b) << 16);
}

__device__ __forceinline__ unsigned short float_to_bf16_bits(float f) {
  unsigned int u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}

// IO<DT>: storage type io (what tensors hold), compute type acc (registers, saved
// states), load/store. Half types are computed in float32; float64 stays float64.
template <int DT> struct IO;

template <> struct IO<DT_F32> {
  typedef float io;
  typedef float acc;
  static __device__ __forceinline__ float load(const float* p) { return *p; }
  static __device__ __forceinline__ void store(float* p, float v) { *p = v; }
};

template <> struct IO<DT_F64> {
  typedef double io;
  typedef double acc;
  static __device__ __forceinline__ double load(const double* p) { return *p; }
  static __device__ __forceinline__ void store(double* p, double v) { *p = v; }
};

// The 16-bit formats: stored as their bits, computed in float.
template <int DT16> struct IO16 {
  typedef unsigned short io;
  typedef float acc;
  static __device__ __forceinline__ float load(const unsigned short* p) {
    return DT16 == DT_F16 ? half_bits_to_float(*p) : bf16_bits_to_float(*p);
  }
  static __device__ __forceinline__ void store(unsigned short* p, float v) {
    *p = DT16 == DT_F16 ? float_to_half_bits(v) : float_to_bf16_bits(v);
  }
};
template <> struct IO<DT_F16> : IO16<DT_F16> {};
template <> struct IO<DT_BF16> : IO16<DT_BF16> {};

// ---------------------------------------------------------------------------------------
// Explicitly rounded arithmetic (never contracted into an FMA by the compiler)
// ---------------------------------------------------------------------------------------
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ float fma_rn(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ double div_rn(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ double fma_rn(double a, double b, double c) {
  return __fma_rn(a, b, c);
}

// exp for float32, bit-identical to torch's CPU sigmoid. torch.sigmoid on a contiguous
// float32 CPU tensor computes 1 / (1 + exp(−x)) with SLEEF's expf_u10 (AVX2/AVX512
// builds, FMA variant): checked bit for bit on 3·2^20 random inputs. Reproducing that
// algorithm here (Cody–Waite reduction by ln 2, degree-6 polynomial, scaling by 2^q in two
// halves) makes CLIF/ILIF's sigmoid(H/τ), sigmoid(m) and the Sigmoid surrogate equal to
// the CPU reference instead of 1–2 ulp away (CUDA's expf), which BPTT cancellations
// amplified past the golden files' rtol 1e-5. It is ~15 flops: free in these
// memory-bound kernels. float64 uses the libm exp (torch uses SLEEF's expd there; the
// difference is ~1e-16, far inside the float64 tolerances).
__device__ __forceinline__ float pow2i_(int q) { return bits_float((unsigned int)(q + 0x7f) << 23); }

__device__ __forceinline__ float exp_(float d) {
  // q = rint(d / ln 2); clamped so that NaN and huge |d| stay defined (the selects at the
  // end decide those cases, as in SLEEF; the clamp never binds for −104 ≤ d ≤ 100).
  const float qf = fminf(fmaxf(rintf(mul_rn(d, 1.442695040888963407359924681001892137f)), -256.0f), 256.0f);
  const int q = (int)qf;
  float s = fma_rn(qf, -0.693145751953125f, d);
  s = fma_rn(qf, -1.428606765330187045e-06f, s);
  float u = 0.000198527617612853646278381f;
  u = fma_rn(u, s, 0.00139304355252534151077271f);
  u = fma_rn(u, s, 0.00833336077630519866943359f);
  u = fma_rn(u, s, 0.0416664853692054748535156f);
  u = fma_rn(u, s, 0.166666671633720397949219f);
  u = fma_rn(u, s, 0.5f);
  u = add_rn(1.0f, fma_rn(mul_rn(s, s), u, s));
  u = mul_rn(mul_rn(u, pow2i_(q >> 1)), pow2i_(q - (q >> 1)));
  if (d < -104.0f) u = 0.0f;
  if (100.0f < d) u = bits_float(0x7f800000u);
  return u;
}
__device__ __forceinline__ double exp_(double x) { return exp(x); }
__device__ __forceinline__ float atan_(float x) { return atanf(x); }
__device__ __forceinline__ double atan_(double x) { return atan(x); }
__device__ __forceinline__ float abs_(float x) { return fabsf(x); }
__device__ __forceinline__ double abs_(double x) { return fabs(x); }

// sigmoid(z) = 1 / (1 + exp(−z)), the formula of torch's CPU kernel, rounded step by step.
template <class A> __device__ __forceinline__ A sigmoid_rn(A z) {
  return div_rn(A(1), add_rn(A(1), exp_(-z)));
}

// ---------------------------------------------------------------------------------------
// Surrogates, acting on u = H − θ (snncompile/neurons/surrogate.py). The three constants
// c0..c2 are computed on the host exactly as torch casts the Python scalars:
//   rectangle: c0 = α/2, c1 = 1/α, c2 = α       Θ'(u) = c1·1[|u| ≤ c0]   (closed window)
//                                               primitive = clamp(u/c2 + 1/2, 0, 1)
//   sigmoid:   c0 = α                           Θ'(u) = c0·σ(c0·u)·(1 − σ(c0·u))
//                                               primitive = σ(c0·u)
//   atan:      c0 = α/2, c1 = π/2·α, c2 = π     Θ'(u) = c0 / (1 + (c1·u)²)
//                                               primitive = atan(c1·u)/c2 + 1/2
// ---------------------------------------------------------------------------------------
template <int SG> struct Surrogate;

template <> struct Surrogate<SG_RECTANGLE> {
  template <class A> static __device__ __forceinline__ A grad(A u, A c0, A c1, A) {
    return abs_(u) <= c0 ? c1 : A(0);
  }
  template <class A> static __device__ __forceinline__ A primitive(A u, A, A, A c2) {
    A p = add_rn(div_rn(u, c2), A(0.5));
    return p < A(0) ? A(0) : (p > A(1) ? A(1) : p);
  }
};

template <> struct Surrogate<SG_SIGMOID> {
  template <class A> static __device__ __forceinline__ A grad(A u, A c0, A, A) {
    A sg = sigmoid_rn(mul_rn(c0, u));
    return mul_rn(mul_rn(c0, sg), sub_rn(A(1), sg));
  }
  template <class A> static __device__ __forceinline__ A primitive(A u, A c0, A, A) {
    return sigmoid_rn(mul_rn(c0, u));
  }
};

template <> struct Surrogate<SG_ATAN> {
  template <class A> static __device__ __forceinline__ A grad(A u, A c0, A c1, A) {
    A z = mul_rn(c1, u);
    return div_rn(c0, add_rn(A(1), mul_rn(z, z)));
  }
  template <class A> static __device__ __forceinline__ A primitive(A u, A, A c1, A c2) {
    return add_rn(div_rn(atan_(mul_rn(c1, u)), c2), A(0.5));
  }
};

// s[t] = Θ(H − θ) (inclusive: fires at H == θ), or the smooth primitive in smooth mode.
template <int SG, int SMOOTH, class A>
__device__ __forceinline__ A fire(A h, A theta, A c0, A c1, A c2) {
  if (SMOOTH) return Surrogate<SG>::primitive(sub_rn(h, theta), c0, c1, c2);
  return h >= theta ? A(1) : A(0);
}

// V = reset(H, s) as in functional/common.py::reset and cpu/linear_lif.py::_reset:
//   soft: H − θ·s, computed by torch.sub(h, s, alpha=θ), which is one FMA on x86
//         (exact anyway for s ∈ {0, 1});
//   hard: H − s·(H − v_reset), three rounded steps, arithmetic so NaN/Inf propagate.
template <int RESET, class A>
__device__ __forceinline__ A reset_v(A h, A s, A theta, A v_reset) {
  if (RESET == RESET_SOFT) return fma_rn(-theta, s, h);
  return sub_rn(h, mul_rn(sub_rn(h, v_reset), s));
}

// ---------------------------------------------------------------------------------------
// Per-block reduction of a learnable parameter's gradient (linear LIF family).
//
// Every thread holds its neuron's partial sum over t. Within a block the neurons are
// consecutive, so the run index key = n / inner is non-decreasing in threadIdx.x and
// each run of equal keys belongs to one channel (key % C). A Hillis–Steele suffix scan
// restricted to equal keys leaves, at the first thread of every run, the run's total:
// after the step with offset d, sh_v[i] = Σ v_j over j ∈ [i, i + 2d) with key_j = key_i
// (keys are monotone, so the equal-key part of any window is its prefix).
//   P_LAYER:   one run per block; thread 0 writes partial[blockIdx.x] (no atomics,
//              deterministic; the host sums the gridDim.x partials).
//   P_CHANNEL: the head of each run does one atomicAdd into out[key % C]; a block
//              touches at most BLOCK/inner + 2 channels, so atomics are spread over
//              channels and never serialise on one address.
// All BLOCK threads must call this (it contains __syncthreads); threads without a
// neuron pass v = 0.
// ---------------------------------------------------------------------------------------
template <int MODE, int BLOCK, class A>
__device__ __forceinline__ void block_reduce_param(A v, i64 n, i64 N, i64 inner, i64 C,
                                                   A* out, A* sh_v, i64* sh_k) {
  const int tid = (int)threadIdx.x;
  const i64 key = (MODE == P_CHANNEL) ? n / inner : 0;
  sh_v[tid] = v;
  sh_k[tid] = key;
  __syncthreads();
#pragma unroll
  for (int d = 1; d < BLOCK; d <<= 1) {
    A add = A(0);
    if (tid + d < BLOCK && sh_k[tid + d] == key) add = sh_v[tid + d];
    __syncthreads();
    sh_v[tid] += add;
    __syncthreads();
  }
  if (MODE == P_LAYER) {
    if (tid == 0) out[blockIdx.x] = sh_v[0];
  } else if (n < N && (tid == 0 || sh_k[tid - 1] != key)) {
    atomicAdd(out + key % C, sh_v[tid]);
  }
  __syncthreads();  // sh_v / sh_k may be reused by the next call
}

template <int MODE, class A>
__device__ __forceinline__ A load_param(A value, const A* p, i64 n, i64 inner, i64 C) {
  if (MODE == P_CONST) return value;
  if (MODE == P_LAYER) return p[0];
  return p[(n / inner) % C];
}

}  // namespace snn

#endif  // SNNCOMPILE_SNN_COMMON_CUH
