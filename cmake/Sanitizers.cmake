# CUTOVER_SANITIZE=address,undefined | thread  — one switch for every sanitizer build.
set(CUTOVER_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined or thread")
if(CUTOVER_SANITIZE)
  set(_san "-fsanitize=${CUTOVER_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_san})
  add_link_options(${_san})
  message(STATUS "cutover: sanitizers ${CUTOVER_SANITIZE}")
endif()
