# The step and estimator types the C++ reader knows, generated from spec/steps.json: one
# FERRY_STEP_TYPE(type) or FERRY_ESTIMATOR_TYPE(type) line per spec entry, whose factory
# make_<type> the kernel's file defines. A type in the spec without a kernel fails to link,
# naming the missing make_<type>; a kernel without a spec entry is never reachable.
#   ferry_generate_spec_types(<spec.json> <output .inc>)
function(ferry_generate_spec_types spec output)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${spec})
  file(READ ${spec} text)
  string(JSON steps GET "${text}" steps)
  string(JSON count LENGTH "${steps}")
  math(EXPR last "${count} - 1")
  set(lines "// Generated from spec/steps.json by cmake/FerrySpecTypes.cmake; do not edit.\n")
  foreach(i RANGE ${last})
    string(JSON type MEMBER "${steps}" ${i})
    string(JSON kind GET "${steps}" ${type} kind)
    if(NOT type MATCHES "^[a-z][a-z0-9_]*$")
      message(FATAL_ERROR "${spec}: step type \"${type}\" is not a C++ identifier")
    endif()
    if(kind STREQUAL "preprocessing")
      string(APPEND lines "FERRY_STEP_TYPE(${type})\n")
    elseif(kind STREQUAL "estimator")
      string(APPEND lines "FERRY_ESTIMATOR_TYPE(${type})\n")
    else()
      message(FATAL_ERROR "${spec}: step type \"${type}\" has unknown kind \"${kind}\"")
    endif()
  endforeach()
  file(CONFIGURE OUTPUT ${output} CONTENT "${lines}" @ONLY)  # rewritten only when it changes
endfunction()
