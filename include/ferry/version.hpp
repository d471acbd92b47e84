// Library and artifact-format versions. The library version is checked against the CMake
// project version at configure time, so the two cannot drift apart.
#ifndef FERRY_VERSION_HPP
#define FERRY_VERSION_HPP

#define FERRY_VERSION_MAJOR 0
#define FERRY_VERSION_MINOR 1
#define FERRY_VERSION_PATCH 0
#define FERRY_VERSION_STRING "0.1.0"

// The newest artifact format this library reads and the one it writes (docs/format.md).
#define FERRY_FORMAT_MAJOR 1
#define FERRY_FORMAT_MINOR 3

#endif  // FERRY_VERSION_HPP
