# Installs the build tree into a fresh prefix, then builds examples/consumer against it: with
# find_package(ferry) under several sets of SIMD flags (a consumer's flags must never matter,
# DESIGN.md §10), and with pkg-config. Runs each on a shipped artifact.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Eigen aligns its heap blocks to 16 bytes by default and to 32 or 64 under AVX flags; results
# allocated in libferry and freed by the consumer crashed when the two disagreed.
cmake_host_system_information(RESULT processor QUERY OS_PLATFORM)  # script mode has no CMAKE_HOST_*
set(flag_sets "default")
if(processor MATCHES "x86_64|AMD64")
  list(APPEND flag_sets "-march=native" "-mavx2 -mfma")
else()
  list(APPEND flag_sets "-march=native")
endif()
set(i 0)
foreach(flags IN LISTS flag_sets)
  set(dir ${WORK_DIR}/consumer${i})
  math(EXPR i "${i} + 1")
  set(cxx_flags "")
  if(NOT flags STREQUAL "default")
    set(cxx_flags "${flags}")
  endif()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/consumer -B ${dir} -DCMAKE_PREFIX_PATH=${prefix}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=${cxx_flags}")
  run(${CMAKE_COMMAND} --build ${dir})
  run(${dir}/consumer ${SOURCE_DIR}/artifacts/iris/model.ferry "sepal length (cm)=5.1"
      "sepal width (cm)=3.5" "petal length (cm)=1.4" "petal width (cm)=0.2")
  if(NOT last_output MATCHES "^iris 0\\.1\\.0: setosa \\(p=[0-9.]+\\)\nbecause of petal")
    message(FATAL_ERROR "find_package consumer built with ${flags} printed: ${last_output}")
  endif()
  message(STATUS "find_package consumer built with ${flags}: ok")
endforeach()

find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(${PKG_CONFIG} --cflags --libs --static ferry)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} -std=c++17 -O2 -march=native ${SOURCE_DIR}/examples/consumer/main.cpp -o ${WORK_DIR}/consumer_pc
    ${flags})
# pkg-config gives no run path; a shared libferry is found through the loader path.
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/lib ${WORK_DIR}/consumer_pc ${SOURCE_DIR}/artifacts/diabetes/model.ferry)

# Without the package's flags, a translation unit whose Eigen allocator differs from libferry's
# is refused at compile time with a message saying what to do.
if(processor MATCHES "x86_64|AMD64")
  execute_process(COMMAND ${CXX} -std=c++17 -mavx2 -fsyntax-only -I${prefix}/include -I${EIGEN_DIR}
                          ${SOURCE_DIR}/examples/consumer/main.cpp
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(rc EQUAL 0 OR NOT err MATCHES "ferry: Eigen is configured here with another allocator")
    message(FATAL_ERROR "a consumer compiled with -mavx2 and without the package's definitions was not refused: ${err}")
  endif()
endif()

run(${prefix}/bin/ferry verify ${SOURCE_DIR}/artifacts/breast_cancer/model.ferry)
message(STATUS "installed package works through find_package, pkg-config and the ferry tool")
