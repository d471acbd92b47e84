// Build configuration shared by every public header: symbol export and the versioned
// namespace. Kept apart so each public header can include it without pulling in others.
#ifndef FERRY_DETAIL_CONFIG_HPP
#define FERRY_DETAIL_CONFIG_HPP

// FERRY_SHARED is defined for consumers and for the build itself when ferry is a shared
// library (the CMake target sets it as a usage requirement); static builds need no markup.
#if defined(FERRY_SHARED)
#  if defined(_WIN32)
#    if defined(FERRY_BUILDING)
#      define FERRY_API __declspec(dllexport)
#    else
#      define FERRY_API __declspec(dllimport)
#    endif
#  else
#    define FERRY_API __attribute__((visibility("default")))
#  endif
#else
#  define FERRY_API
#endif

// Inline namespace: an ABI break bumps it, so mixing incompatible builds fails to link
// instead of misbehaving at run time.
#define FERRY_BEGIN_NAMESPACE \
  namespace ferry {           \
  inline namespace v1 {
#define FERRY_END_NAMESPACE \
  }                         \
  }

// Results (Prediction, Explanation, ...) hold Eigen matrices that libferry allocates and the
// host frees, so both sides must use one Eigen allocator. Eigen picks it from the SIMD flags
// of each translation unit (16-byte malloc by default, a 32- or 64-byte hand-aligned block
// under -mavx or -march=native), so the package pins it for the library and for every consumer
// (CMake's ferry::ferry and `pkg-config --cflags ferry` define both macros); ferry/matrix.hpp
// refuses to compile a translation unit where Eigen is configured otherwise. 16 bytes with the
// system malloc is what a default x86-64 or aarch64 build already uses, and what Eigen
// documents for mixing SSE and AVX code.
#define FERRY_EIGEN_MAX_ALIGN_BYTES 16
#if defined(__LP64__) || defined(_WIN64)  // malloc's alignment is 16 on these
#  define FERRY_EIGEN_MALLOC_ALREADY_ALIGNED 1
#else
#  define FERRY_EIGEN_MALLOC_ALREADY_ALIGNED 0
#endif

#endif  // FERRY_DETAIL_CONFIG_HPP
