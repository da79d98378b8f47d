# One place for the warning set; every project target calls daneguard_set_warnings().
# -Wold-style-cast is left out: OpenSSL 3's STACK_OF macros expand to C casts in our code.
function(daneguard_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual -Wformat=2
    -Wimplicit-fallthrough -Wmissing-declarations -Woverloaded-virtual)
  # GCC 12 reports -Wmaybe-uninitialized inside std::optional at -O2 (false positives seen in
  # the Release build); sanitizer and valgrind runs are the check for real ones.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(DANEGUARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_definitions(${target} PRIVATE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
endfunction()
