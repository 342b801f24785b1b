# Static agent support: included from the top-level CMakeLists.txt when SI_STATIC_AGENT is ON,
# after add_subdirectory(src/common) and before add_subdirectory(src/agent).
#
# Provides:
#   LibtorrentRasterbar::torrent-rasterbar  the static libtorrent built by
#                                           cmake/build-static-libtorrent.sh (cached)
#   si_static::archive, ::zstd, ::z, ::deflate  static Debian archives as imported targets
#   si_static_deps                          INTERFACE target: all of the above, in link order
#   si_static_library(<new> FROM <lib>)     a copy of a project static library (same sources,
#                                           includes, definitions) linked against the static
#                                           deps instead of the PkgConfig:: (shared) ones
#   si_static_executable(<target>)          makes <target> one fully static, stripped binary
#
# Why a copy of si_common: si_common links PkgConfig::LIBTORRENT publicly, i.e. the shared
# libtorrent-rasterbar.so and -DTORRENT_LINKING_SHARED; a static link cannot take the .so, and
# every object touching libtorrent types must see the static build's compile definitions.
#
# Cache variables:
#   SI_STATIC_LIBTORRENT_PREFIX  an already built prefix; empty (default) runs the script
#   SI_STATIC_CACHE              where the script caches the build
include_guard(GLOBAL)

set(SI_STATIC_LIBTORRENT_PREFIX "" CACHE PATH
  "Prefix of a static libtorrent-rasterbar build; empty: run cmake/build-static-libtorrent.sh")
set(SI_STATIC_CACHE "/var/cache/systemimager-bittorrent" CACHE PATH
  "Where cmake/build-static-libtorrent.sh caches the static libtorrent build")

# ---- the static libtorrent (built once, cached; a cache hit costs well under a second) ---------
set(_si_lt_prefix "${SI_STATIC_LIBTORRENT_PREFIX}")
if(NOT _si_lt_prefix)
  message(STATUS "Static agent: ensuring the static libtorrent build (first time: about 15 min)")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env SI_STATIC_CACHE=${SI_STATIC_CACHE}
            sh ${CMAKE_CURRENT_LIST_DIR}/build-static-libtorrent.sh
    OUTPUT_VARIABLE _si_lt_out
    RESULT_VARIABLE _si_lt_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _si_lt_rc EQUAL 0)
    message(FATAL_ERROR "cmake/build-static-libtorrent.sh failed (exit ${_si_lt_rc})")
  endif()
  string(REGEX REPLACE "^.*\n" "" _si_lt_prefix "${_si_lt_out}") # the last line is the prefix
endif()
if(NOT EXISTS "${_si_lt_prefix}/lib/libtorrent-rasterbar.a")
  message(FATAL_ERROR "No static libtorrent in '${_si_lt_prefix}'")
endif()
message(STATUS "Static agent: libtorrent from ${_si_lt_prefix}")
# A changed patch makes another cache key: configure again, which builds that libtorrent.
file(GLOB _si_lt_patches "${CMAKE_CURRENT_LIST_DIR}/libtorrent-patches/*.patch")
set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${CMAKE_CURRENT_LIST_DIR}/build-static-libtorrent.sh" ${_si_lt_patches})

# The exported config re-finds OpenSSL, Boost and Threads; make OpenSSL resolve to the .a files
# (note: FindOpenSSL caches OPENSSL_SSL_LIBRARY etc. as the .a paths for this build tree).
# A new prefix (changed flags) must win over the _DIR cached by an earlier configure.
set(LibtorrentRasterbar_DIR "${_si_lt_prefix}/lib/cmake/LibtorrentRasterbar" CACHE PATH
    "Static libtorrent CMake config (set by cmake/StaticAgent.cmake)" FORCE)
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(LibtorrentRasterbar 2.0.8 EXACT CONFIG REQUIRED)
unset(OPENSSL_USE_STATIC_LIBS)

# The exported target adds TORRENT_USE_ASSERTS to Debug builds of its users, but the library was
# built without it (and Debian's pkg-config file never sets it): it changes class layouts, so a
# Debug agent would not match. Drop it.
get_target_property(_si_lt_defs LibtorrentRasterbar::torrent-rasterbar
                    INTERFACE_COMPILE_DEFINITIONS)
list(FILTER _si_lt_defs EXCLUDE REGEX "TORRENT_USE_ASSERTS")
set_target_properties(LibtorrentRasterbar::torrent-rasterbar PROPERTIES
                      INTERFACE_COMPILE_DEFINITIONS "${_si_lt_defs}")

# ---- ABI check: the static build must define exactly what Debian's shared build defines -------
# The agent is tested both dynamically and statically linked; both must be the same libtorrent.
# Options such as deprecated-functions, dht or logging change TORRENT_ABI_VERSION and class
# layouts: a mismatch here would be a silent ODR violation, so it is an error.
if(LIBTORRENT_FOUND) # pkg_check_modules(LIBTORRENT ...) of the top-level CMakeLists.txt
  set(_si_shared_defs "")
  foreach(flag IN LISTS LIBTORRENT_CFLAGS_OTHER)
    # Not ABI switches: TORRENT_LINKING_SHARED only picks symbol visibility; BOOST_ALL_NO_LIB
    # (from Boost::headers, which the static target gets too) only stops MSVC auto-linking.
    if(flag MATCHES "^-D(.+)$")
      set(def "${CMAKE_MATCH_1}")
      if(NOT def MATCHES "^(TORRENT_LINKING_SHARED|BOOST_ALL_NO_LIB)$")
        list(APPEND _si_shared_defs "${def}")
      endif()
    endif()
  endforeach()
  set(_si_static_defs "")
  foreach(def IN LISTS _si_lt_defs)
    if(NOT def MATCHES "^\\$<") # generator expressions are not ABI switches here
      list(APPEND _si_static_defs "${def}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _si_shared_defs)
  list(REMOVE_DUPLICATES _si_static_defs)
  list(SORT _si_shared_defs)
  list(SORT _si_static_defs)
  if(NOT _si_shared_defs STREQUAL _si_static_defs)
    message(FATAL_ERROR "Static libtorrent defines [${_si_static_defs}] differ from the "
      "packaged libtorrent-rasterbar's [${_si_shared_defs}]: rebuild it with Debian's options "
      "(cmake/build-static-libtorrent.sh)")
  endif()
endif()

# ---- Debian's static archives ----------------------------------------------------------------
# Only what the agent's libarchive calls pull in: tar reader, gzip + zstd filters, disk writer
# with xattrs and ACLs (see docs/building-static-agent.md). A call that needs more (xz, bzip2,
# other formats) fails to link loudly; then add the archive here (liblzma.a: liblzma-dev, ...).
set(SI_STATIC_ARCHIVE_DEPS acl zstd z) # in link order

function(_si_static_import name file)
  if(TARGET si_static::${name})
    return()
  endif()
  find_library(SI_STATIC_LIB_${name} NAMES ${file} NO_CACHE)
  if(NOT SI_STATIC_LIB_${name})
    message(FATAL_ERROR "Static library ${file} not found (install its Debian -dev package)")
  endif()
  add_library(si_static::${name} STATIC IMPORTED GLOBAL)
  set_target_properties(si_static::${name} PROPERTIES IMPORTED_LOCATION "${SI_STATIC_LIB_${name}}")
  set_property(TARGET si_static::${name} APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${ARGN})
endfunction()

_si_static_import(z libz.a)
_si_static_import(zstd libzstd.a Threads::Threads)
_si_static_import(acl libacl.a) # libacl 2.3 needs no libattr: glibc has the xattr calls
_si_static_import(lzma liblzma.a Threads::Threads)
_si_static_import(bz2 libbz2.a)
set(_si_archive_deps "")
foreach(dep IN LISTS SI_STATIC_ARCHIVE_DEPS)
  list(APPEND _si_archive_deps si_static::${dep})
endforeach()
_si_static_import(archive libarchive.a ${_si_archive_deps})
find_library(_si_deflate_a NAMES libdeflate.a NO_CACHE)
if(_si_deflate_a)
  _si_static_import(deflate libdeflate.a)
endif()

add_library(si_static_deps INTERFACE)
target_link_libraries(si_static_deps INTERFACE
  si_static::archive LibtorrentRasterbar::torrent-rasterbar si_static::zstd si_static::z
  Threads::Threads)

# ---- si_static_library(<new> FROM <lib>) -----------------------------------------------------
# Shared (PkgConfig::) dependencies are swapped for static ones; libraries already copied with
# this function are swapped for their copy.
set_property(GLOBAL PROPERTY SI_STATIC_SWAP
  "PkgConfig::LIBTORRENT=LibtorrentRasterbar::torrent-rasterbar"
  "PkgConfig::LIBARCHIVE=si_static::archive"
  "PkgConfig::ZSTD=si_static::zstd"
  "PkgConfig::DEFLATE=si_static::deflate")

function(_si_static_swap out)
  get_property(swap GLOBAL PROPERTY SI_STATIC_SWAP)
  set(result "")
  foreach(lib IN LISTS ARGN)
    set(new "${lib}")
    foreach(pair IN LISTS swap)
      string(REPLACE "=" ";" pair "${pair}")
      list(GET pair 0 from)
      list(GET pair 1 to)
      if(lib STREQUAL from)
        set(new "${to}")
      endif()
    endforeach()
    # The server's XML reader (disk layouts) stays shared in si_btd, as glibc does; the agent
    # never links it.
    if(new MATCHES "^PkgConfig::" AND NOT new STREQUAL "PkgConfig::TINYXML2")
      message(FATAL_ERROR "si_static_library: no static replacement for ${new}")
    endif()
    list(APPEND result "${new}")
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

function(si_static_library new)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FROM" "")
  set(lib "${arg_FROM}")
  get_target_property(srcs ${lib} SOURCES)
  get_target_property(dir ${lib} SOURCE_DIR)
  list(TRANSFORM srcs REPLACE "^([^/$].*)$" "${dir}/\\1")
  add_library(${new} STATIC ${srcs})
  foreach(prop INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES COMPILE_DEFINITIONS
               INTERFACE_COMPILE_DEFINITIONS COMPILE_OPTIONS INTERFACE_COMPILE_OPTIONS
               COMPILE_FEATURES INTERFACE_COMPILE_FEATURES CXX_STANDARD)
    get_target_property(value ${lib} ${prop})
    if(value)
      set_property(TARGET ${new} PROPERTY ${prop} "${value}")
    endif()
  endforeach()
  # Directory-level definitions (add_compile_definitions) of the original's directory, which the
  # copy's directory may not have; include dirs and options are already in the target properties.
  get_directory_property(dir_defs DIRECTORY "${dir}" COMPILE_DEFINITIONS)
  if(dir_defs)
    target_compile_definitions(${new} PRIVATE ${dir_defs})
  endif()
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(value ${lib} ${prop})
    if(value)
      _si_static_swap(value ${value})
      set_property(TARGET ${new} PROPERTY ${prop} "${value}")
    endif()
  endforeach()
  target_compile_options(${new} PRIVATE -ffunction-sections -fdata-sections)
  set_property(GLOBAL APPEND PROPERTY SI_STATIC_SWAP "${lib}=${new}")
endfunction()

# ---- si_static_executable(<target>) ----------------------------------------------------------
# Links <target> with -static (glibc, libstdc++, libgcc included), drops unused sections, and
# after each build splits it: <target> stripped, <target>.debug the symbols for gdb (linked by
# .gnu_debuglink; `gdb <target>` finds it next to the binary).
function(_si_static_check_deps target seen)
  get_target_property(libs ${target} LINK_LIBRARIES)
  get_target_property(ilibs ${target} INTERFACE_LINK_LIBRARIES)
  foreach(lib IN LISTS libs ilibs)
    if(lib MATCHES "^PkgConfig::")
      message(FATAL_ERROR "${target} links ${lib} (a shared library) into a static executable: "
        "link the copy made by si_static_library() instead")
    endif()
    if(TARGET ${lib} AND NOT lib IN_LIST seen)
      get_target_property(imported ${lib} IMPORTED)
      if(NOT imported)
        list(APPEND seen ${lib})
        _si_static_check_deps(${lib} "${seen}")
      endif()
    endif()
  endforeach()
endfunction()

function(si_static_executable target)
  _si_static_check_deps(${target} "")
  target_link_libraries(${target} PRIVATE si_static_deps)
  target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
  target_link_options(${target} PRIVATE
    -static -static-libstdc++ -static-libgcc -pthread -Wl,--gc-sections -Wl,-O1)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} --only-keep-debug $<TARGET_FILE:${target}> $<TARGET_FILE:${target}>.debug
    COMMAND ${CMAKE_STRIP} --strip-all $<TARGET_FILE:${target}>
    COMMAND ${CMAKE_OBJCOPY} --add-gnu-debuglink=$<TARGET_FILE:${target}>.debug
            $<TARGET_FILE:${target}>
    WORKING_DIRECTORY $<TARGET_FILE_DIR:${target}>
    COMMENT "Splitting ${target}: stripped binary + ${target}.debug"
    VERBATIM)
endfunction()

# The shared layer every static program needs (the include comes after src/common).
if(TARGET si_common AND NOT TARGET si_common_static)
  si_static_library(si_common_static FROM si_common)
endif()
