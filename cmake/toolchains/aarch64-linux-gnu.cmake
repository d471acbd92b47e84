# Cross build for 64-bit Arm Linux with Debian's cross compiler (g++-aarch64-linux-gnu) and
# multiarch libraries (zlib1g-dev:arm64, libfmt-dev:arm64, libgtest-dev:arm64, and optionally
# libsodium-dev:arm64); tests run under qemu-aarch64 (qemu-user). scripts/test_aarch64 installs
# all of it and runs the golden tests.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Headers that are the same on every architecture (Eigen, nlohmann-json, CLI11) come from the
# host's /usr/include; libraries only from the target's multiarch directories.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# `-L /usr/aarch64-linux-gnu` makes qemu start programs with the cross toolchain's loader
# (libc6-arm64-cross), so libc must be that loader's own, from the same directory: the multiarch
# libc6:arm64 is a different build, and paired with that loader a program that starts a thread
# spins forever. Hence the cross directory first; the multiarch one after it supplies the
# libraries the cross toolchain lacks (zlib, fmt, gtest, sodium).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu
    -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib:/usr/lib/aarch64-linux-gnu)
