# The README's examples, run as a reader would: its ```python block exports model.ferry from a
# churn-like DataFrame, then its ```cpp blocks, joined into one program, are built against the
# installed package with find_package(ferry) and run beside that file. The blocks are found by
# their fences (tests/support/readme_blocks.py), so every edit to the README stays tested.
#   -DSOURCE_DIR -DBUILD_DIR -DWORK_DIR -DCXX -DPYTHON (/usr/bin/python3 with scikit-learn)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/run ${WORK_DIR}/app)
set(readme ${SOURCE_DIR}/README.md)
set(blocks ${PYTHON} ${SOURCE_DIR}/tests/support/readme_blocks.py)
set(prefix ${WORK_DIR}/prefix)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${WORK_DIR}/run)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("the README's Python example" ${CMAKE_COMMAND} -E env PYTHONPATH=${SOURCE_DIR}/python ${blocks} python ${readme})
if(NOT EXISTS ${WORK_DIR}/run/model.ferry)
  message(FATAL_ERROR "the README's Python example ran but wrote no model.ferry in ${WORK_DIR}/run")
endif()

run("installing the build tree" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run("extracting the README's C++ examples" ${blocks} cpp ${readme} ${WORK_DIR}/app/main.cpp)
# The README's two lines for CMake users, plus the C++17 its code is written in.
file(WRITE ${WORK_DIR}/app/CMakeLists.txt [=[
cmake_minimum_required(VERSION 3.16)
project(readme_example LANGUAGES CXX)
find_package(ferry REQUIRED)
add_executable(app main.cpp)
target_compile_features(app PRIVATE cxx_std_17)
target_link_libraries(app PRIVATE ferry::ferry)
]=])
run("configuring the README's C++ example" ${CMAKE_COMMAND} -S ${WORK_DIR}/app -B ${WORK_DIR}/app/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX})
# A ferry installed elsewhere on the machine must not stand in for the one just built.
file(STRINGS ${WORK_DIR}/app/build/CMakeCache.txt ferry_dir REGEX "^ferry_DIR:")
string(FIND "${ferry_dir}" "=${prefix}/" at)
if(at EQUAL -1)
  message(FATAL_ERROR "find_package(ferry) did not find the fresh install in ${prefix}: ${ferry_dir}")
endif()
run("building the README's C++ example (${WORK_DIR}/app/main.cpp)" ${CMAKE_COMMAND} --build ${WORK_DIR}/app/build)

execute_process(COMMAND ${WORK_DIR}/app/build/app WORKING_DIRECTORY ${WORK_DIR}/run RESULT_VARIABLE rc
                OUTPUT_FILE ${WORK_DIR}/run/stdout.txt ERROR_FILE ${WORK_DIR}/run/stderr.txt)
if(NOT rc EQUAL 0)
  file(READ ${WORK_DIR}/run/stdout.txt out)
  file(READ ${WORK_DIR}/run/stderr.txt err)
  message(FATAL_ERROR "the README's C++ example exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
run("checking the README's C++ output against scikit-learn" ${blocks} check ${WORK_DIR}/run/reference.json
    ${WORK_DIR}/run/stdout.txt ${WORK_DIR}/run/stderr.txt)
message(STATUS "${last_output}")
