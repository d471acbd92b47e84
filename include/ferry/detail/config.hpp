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

#endif  // FERRY_DETAIL_CONFIG_HPP
