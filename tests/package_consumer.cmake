# Installs the build tree into a fresh prefix, then builds examples/consumer against it twice:
# with find_package(ferry) and with pkg-config. Runs both on a shipped artifact.
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

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/consumer -B ${WORK_DIR}/consumer -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/consumer ${SOURCE_DIR}/artifacts/iris/model.ferry "sepal length (cm)=5.1"
    "sepal width (cm)=3.5" "petal length (cm)=1.4" "petal width (cm)=0.2")
if(NOT last_output MATCHES "^iris 0\\.1\\.0: setosa")
  message(FATAL_ERROR "find_package consumer printed: ${last_output}")
endif()

find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(${PKG_CONFIG} --cflags --libs --static ferry)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} -std=c++17 ${SOURCE_DIR}/examples/consumer/main.cpp -o ${WORK_DIR}/consumer_pc ${flags})
# pkg-config gives no run path; a shared libferry is found through the loader path.
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/lib ${WORK_DIR}/consumer_pc ${SOURCE_DIR}/artifacts/diabetes/model.ferry)

run(${prefix}/bin/ferry verify ${SOURCE_DIR}/artifacts/breast_cancer/model.ferry)
message(STATUS "installed package works through find_package, pkg-config and the ferry tool")
