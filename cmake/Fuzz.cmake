# CUTOVER_FUZZ=ON builds every libFuzzer target of the repository: each src/**/fuzz/*_fuzz.cpp
# becomes an executable of that name, linked against cutover_lib. The whole build is then
# instrumented (-fsanitize=fuzzer-no-link for coverage, address,undefined for findings) and
# the targets link with -fsanitize=fuzzer,address,undefined. Clang only; use a separate build
# directory (scripts/fuzz.sh uses build-fuzz/). `ninja fuzz_targets` builds them all.
if(CUTOVER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CUTOVER_FUZZ needs clang++: configure with CC=clang CXX=clang++ "
                        "in a fresh build directory (scripts/fuzz.sh does)")
  endif()
  if(CUTOVER_SANITIZE)
    message(FATAL_ERROR "CUTOVER_FUZZ brings address,undefined itself; leave CUTOVER_SANITIZE empty")
  endif()
  # -fno-sanitize=function: clang 14 cannot emit its prologue data together with coverage in
  # coroutines ("Cannot represent a difference across sections"); the other UBSan checks stay.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "cutover: libFuzzer targets with address,undefined")
endif()

# Called after cutover_lib exists.
function(cutover_add_fuzz_targets)
  if(NOT CUTOVER_FUZZ)
    return()
  endif()
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*_fuzz.cpp)
  list(FILTER _sources INCLUDE REGEX "/fuzz/[^/]+_fuzz\\.cpp$")
  add_custom_target(fuzz_targets)
  foreach(_src ${_sources})
    get_filename_component(_name ${_src} NAME_WE)
    add_executable(${_name} ${_src})
    target_link_libraries(${_name} PRIVATE cutover_lib)
    target_link_options(${_name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets ${_name})
  endforeach()
endfunction()
