# kono_add_part(NAME part SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
# One library per top-level part: target kono_<part>, alias kono::<part>, include prefix
# <kono/<part>/...>, installed and exported in the single konoTargets export set.
function(kono_add_part)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(tgt kono_${ARG_NAME})
  if(ARG_SOURCES)
    add_library(${tgt} ${ARG_SOURCES})
    set(scope PUBLIC)
    kono_set_warnings(${tgt})
  else()
    add_library(${tgt} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(kono::${ARG_NAME} ALIAS ${tgt})
  set_target_properties(${tgt} PROPERTIES EXPORT_NAME ${ARG_NAME} OUTPUT_NAME kono_${ARG_NAME})
  target_include_directories(${tgt} ${scope}
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${tgt} ${scope} cxx_std_17)
  target_link_libraries(${tgt} ${scope} ${ARG_PUBLIC_DEPS})
  if(ARG_PRIVATE_DEPS)
    target_link_libraries(${tgt} PRIVATE ${ARG_PRIVATE_DEPS})
  endif()
  install(TARGETS ${tgt} EXPORT konoTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
endfunction()

function(kono_set_warnings tgt)
  target_compile_options(${tgt} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wpedantic>
                                        $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-Wall -Wextra>)
  if(kono_WERROR)
    target_compile_options(${tgt} PRIVATE $<$<CXX_COMPILER_ID:GNU,Clang>:-Werror>)
  endif()
  # FFTW and OpenBLAS pick their SIMD kernels at run time; kono's own loops (activations,
  # elementwise ops) only use AVX2/AVX-512 when compiled for them.
  if(kono_NATIVE)
    target_compile_options(${tgt} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-march=native>)
  endif()
endfunction()
