# DANEGUARD_SANITIZE=address,undefined instruments everything built after this point,
# including the tests, so that CI runs the whole suite under ASan+UBSan.
if(DANEGUARD_SANITIZE)
  add_compile_options(-fsanitize=${DANEGUARD_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${DANEGUARD_SANITIZE})
endif()
