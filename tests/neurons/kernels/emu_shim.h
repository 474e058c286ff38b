// emu_shim.h: just enough CUDA for g++ to compile snncompile's kernel sources as C++.
//
// The kernels run on the host, one block at a time. A kernel that never synchronises
// runs its threads one after another; a kernel that calls __syncthreads (the parameter
// reductions) runs each block's threads as real std::threads joined by a std::barrier,
// so barrier placement and shared-memory races behave as on a GPU (a thread that skips a
// barrier deadlocks, which the harness turns into a test timeout instead of a wrong
// answer). __shared__ becomes `static`: one copy per kernel instance, shared by the
// threads of the one block that runs at a time.
//
// Build with -ffp-contract=off so that a*b+c is never fused behind our back: every FMA
// the kernels mean is written as fma_rn (std::fma here, __fmaf_rn on the GPU).
#pragma once

#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#define SNN_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

namespace snn_emu {
inline thread_local dim3 tl_thread_idx;
inline thread_local dim3 tl_block_idx;
inline dim3 g_block_dim;
inline dim3 g_grid_dim;
inline thread_local std::barrier<>* tl_barrier = nullptr;
inline std::mutex g_atomic_mutex;
}  // namespace snn_emu

#define threadIdx (snn_emu::tl_thread_idx)
#define blockIdx (snn_emu::tl_block_idx)
#define blockDim (snn_emu::g_block_dim)
#define gridDim (snn_emu::g_grid_dim)

inline void __syncthreads() {
  if (snn_emu::tl_barrier == nullptr) {
    std::fprintf(stderr, "emu: __syncthreads in a kernel launched without threads\n");
    std::abort();
  }
  snn_emu::tl_barrier->arrive_and_wait();
}

template <class T> inline T atomicAdd(T* address, T value) {
  std::lock_guard<std::mutex> lock(snn_emu::g_atomic_mutex);
  T old = *address;
  *address = old + value;
  return old;
}

// Correctly rounded single operations, as the __f*_rn / __d*_rn intrinsics are.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }

// Reinterprets the bits of x as a To (memcpy: no aliasing rules broken).
template <class To, class From> inline To snn_emu_bit_cast(From x) {
  static_assert(sizeof(To) == sizeof(From), "bit casts keep the size");
  To y;
  std::memcpy(&y, &x, sizeof y);
  return y;
}
inline unsigned int __float_as_uint(float f) { return snn_emu_bit_cast<unsigned int>(f); }
inline float __uint_as_float(unsigned int u) { return snn_emu_bit_cast<float>(u); }

// IEEE binary16 through the compiler's _Float16 (round to nearest even, like cvt.rn).
inline float snn_emu_half_to_float(unsigned short bits) {
  return static_cast<float>(snn_emu_bit_cast<_Float16>(bits));
}
inline unsigned short snn_emu_float_to_half(float f) {
  return snn_emu_bit_cast<unsigned short>(static_cast<_Float16>(f));
}

namespace snn_emu {

// Runs body() once per thread of a 1-D grid.
template <class F> void launch(unsigned grid, unsigned block, bool threaded, F&& body) {
  g_grid_dim = dim3{grid, 1, 1};
  g_block_dim = dim3{block, 1, 1};
  for (unsigned b = 0; b < grid; ++b) {
    if (!threaded) {
      for (unsigned t = 0; t < block; ++t) {
        tl_block_idx = dim3{b, 1, 1};
        tl_thread_idx = dim3{t, 1, 1};
        body();
      }
      continue;
    }
    std::barrier<> bar(block);
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t) {
      threads.emplace_back([&, t] {
        tl_block_idx = dim3{b, 1, 1};
        tl_thread_idx = dim3{t, 1, 1};
        tl_barrier = &bar;
        body();
        tl_barrier = nullptr;
      });
    }
    for (auto& th : threads) th.join();
  }
}

template <class T> constexpr char code() {
  if constexpr (std::is_pointer_v<T>) return 'p';
  else if constexpr (std::is_same_v<T, float>) return 'f';
  else if constexpr (std::is_same_v<T, double>) return 'd';
  else if constexpr (std::is_same_v<T, long long>) return 'q';
  else if constexpr (std::is_same_v<T, int>) return 'i';
  else return '?';
}

// "pppf..." : one letter per kernel parameter, checked against the Python arguments.
template <class... P> const char* signature(void (*)(P...)) {
  static const char sig[] = {code<std::remove_cv_t<P>>()..., '\0'};
  return sig;
}

template <class... P, std::size_t... I>
void invoke(void (*kernel)(P...), void** argv, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_cv_t<P>*>(argv[I])...);
}

template <class... P>
void run(void (*kernel)(P...), unsigned grid, unsigned block, int threaded, void** argv) {
  launch(grid, block, threaded != 0,
         [&] { invoke(kernel, argv, std::index_sequence_for<P...>{}); });
}

}  // namespace snn_emu
