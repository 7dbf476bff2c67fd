# Sanitizer helpers for deploy/run_tests.sh's sanitizer stages, included by the top-level
# CMakeLists.txt, which calls citecheck_sanitizer_targets() once every target exists (a deferred
# call). The suppression files next to this one are the runtimes' (the script points
# ASAN_OPTIONS, LSAN_OPTIONS, UBSAN_OPTIONS and TSAN_OPTIONS at them).

# citecheck_executables(DIR OUT): every executable target defined in DIR and its subdirectories.
function(citecheck_executables dir out)
  set(found)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      list(APPEND found ${target})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    citecheck_executables(${subdir} below)
    list(APPEND found ${below})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# citecheck_links_to(TARGET LIBRARY OUT): OUT is TRUE when TARGET links LIBRARY, directly or
# through the project's own libraries.
function(citecheck_links_to target library out)
  set(${out} FALSE PARENT_SCOPE)
  get_target_property(links ${target} LINK_LIBRARIES)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY" OR NOT links)
    get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
  endif()
  foreach(link IN LISTS links)
    if(link STREQUAL library)
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
    if(TARGET ${link})
      get_target_property(imported ${link} IMPORTED)
      if(NOT imported)
        citecheck_links_to(${link} ${library} below)
        if(below)
          set(${out} TRUE PARENT_SCOPE)
          return()
        endif()
      endif()
    endif()
  endforeach()
endfunction()

# Test programs the ThreadSanitizer stage leaves out, each with its reason:
# - citecheck_client_test, api_test (since the hostile-clients merge: AccountServiceTest and
#   others) and server_in_process_test (the whole server with held fakes) run a gRPC server and
#   client in their process: Debian's gRPC 1.51 is
#   not instrumented and hands buffers between its threads with atomics TSan cannot see, so TSan
#   reports races inside gRPC and absl::Status (third-party code, too many places to suppress
#   one by one). ASan covers it; TSan covers the code it drives through the other unit tests.
set(CITECHECK_TSAN_LEFT_OUT citecheck_client_test api_test server_in_process_test)

function(citecheck_sanitizer_targets)
  # Target in_process_tests: every test program that runs the code in its own process, i.e. all
  # of tests/ but the programs that start the citecheck-server binary (those link the
  # integration harness), minus CITECHECK_TSAN_LEFT_OUT. The ThreadSanitizer stage builds only
  # these.
  if(CITECHECK_BUILD_TESTS)
    citecheck_executables(${PROJECT_SOURCE_DIR}/tests test_programs)
    set(in_process)
    foreach(program IN LISTS test_programs)
      citecheck_links_to(${program} citecheck_integration_harness starts_server)
      if(NOT starts_server AND NOT program IN_LIST CITECHECK_TSAN_LEFT_OUT)
        list(APPEND in_process ${program})
      endif()
    endforeach()
    add_custom_target(in_process_tests DEPENDS ${in_process})
  endif()

  # ThreadSanitizer does not see the locking inside Debian's (uninstrumented) Abseil: every
  # executable holds the annotations of tsan_absl_sync.cc (objects, so that the definitions are
  # the executable's own and come before the library's; exported, so that the libraries' calls
  # reach them).
  if(CITECHECK_SANITIZE STREQUAL "thread")
    add_library(citecheck_tsan_absl_sync OBJECT
      ${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan_absl_sync.cc)
    target_link_libraries(citecheck_tsan_absl_sync PUBLIC absl::synchronization absl::time
      ${CMAKE_DL_LIBS})
    citecheck_warnings(citecheck_tsan_absl_sync)
    citecheck_executables(${PROJECT_SOURCE_DIR} all_programs)
    foreach(program IN LISTS all_programs)
      target_link_libraries(${program} PRIVATE citecheck_tsan_absl_sync)
      set_target_properties(${program} PROPERTIES ENABLE_EXPORTS ON)
    endforeach()
  endif()
endfunction()
