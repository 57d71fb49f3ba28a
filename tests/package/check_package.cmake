# Installs the built project into a scratch prefix, then configures, builds and runs the
# consumer project against it: find_package(TaskTools) from the prefix, then add_subdirectory().
# Usage: cmake -DBUILD_DIR=<build> -DSOURCE_DIR=<source> -DWORK_DIR=<scratch> -P check_package.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR)
    if(NOT ${var})
        message(FATAL_ERROR "${var} is required")
    endif()
endforeach()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        string(REPLACE ";" " " command "${ARGN}")
        message(FATAL_ERROR "failed (${result}): ${command}")
    endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(file include/tasktools/tasktools.h include/tasktools/tasktools_export.h)
    if(NOT EXISTS ${prefix}/${file})
        message(FATAL_ERROR "not installed: ${file}")
    endif()
endforeach()
file(GLOB_RECURSE private_headers ${prefix}/include/*_p.h)
if(private_headers)
    message(FATAL_ERROR "private headers installed: ${private_headers}")
endif()

# 1. find_package() against the install prefix.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/installed
    -G Ninja -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/installed)
run(${WORK_DIR}/installed/consumer)

# 2. add_subdirectory() of the source tree.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/subdirectory
    -G Ninja -DTASKTOOLS_SOURCE_DIR=${SOURCE_DIR} -DTASKTOOLS_BUILD_EXAMPLES=OFF
    -DTASKTOOLS_BUILD_BENCHMARKS=OFF -DTASKTOOLS_BUILD_QML=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdirectory)
run(${WORK_DIR}/subdirectory/consumer)
message(STATUS "package check passed")
