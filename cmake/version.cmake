# Reads the version from include/cryptonn/version.h, the one place it is
# written, into CRYPTONN_HEADER_VERSION ("MAJOR.MINOR.PATCH") for project().
# Included before project(), so it uses nothing project() sets.
set(_cn_version_h "${CMAKE_CURRENT_LIST_DIR}/../include/cryptonn/version.h")
set(CRYPTONN_HEADER_VERSION "")
foreach(part MAJOR MINOR PATCH)
  file(STRINGS "${_cn_version_h}" _cn_line REGEX "^#define CRYPTONN_VERSION_${part} +[0-9]+$")
  list(LENGTH _cn_line _cn_count)
  if(NOT _cn_count EQUAL 1)
    message(FATAL_ERROR "include/cryptonn/version.h: expected one '#define CRYPTONN_VERSION_${part} <number>' line, found ${_cn_count}")
  endif()
  string(REGEX REPLACE "^#define CRYPTONN_VERSION_${part} +([0-9]+)$" "\\1" _cn_number "${_cn_line}")
  list(APPEND CRYPTONN_HEADER_VERSION ${_cn_number})
endforeach()
list(JOIN CRYPTONN_HEADER_VERSION "." CRYPTONN_HEADER_VERSION)
