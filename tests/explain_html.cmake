# Renders the report of `ferry explain --html` in headless Chromium: the page must produce a
# non-empty PNG screenshot and no console error. The page must also be self-contained: no
# script, and no reference to anything outside it.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(page ${WORK_DIR}/report.html)
set(shot ${WORK_DIR}/report.png)

execute_process(COMMAND ${FERRY} explain ${SOURCE_DIR}/artifacts/churn/model.ferry ${SOURCE_DIR}/artifacts/churn/input.csv
                        -o ${WORK_DIR}/values.csv --html ${page}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ferry explain --html failed (${rc}): ${err}")
endif()
file(READ ${page} html)
if(html MATCHES "<script|<link|<img|<iframe|@import|url\\(|src=|href=")
  message(FATAL_ERROR "the report refers to something outside itself or runs a script")
endif()
string(REPLACE "http://www.w3.org/2000/svg" "" stripped "${html}")
if(stripped MATCHES "https?:")
  message(FATAL_ERROR "the report holds a URL")
endif()
if(NOT html MATCHES "<svg" OR NOT html MATCHES "first 50 of 154 rows")
  message(FATAL_ERROR "the report lacks its charts or the note on the rows it shows")
endif()

if(html MATCHES "class=\"terms\"")
  message(FATAL_ERROR "the report of a model without free text lists terms")
endif()
# A linear model on free text: each row's terms that moved its score most, in a table.
execute_process(COMMAND ${FERRY} explain ${SOURCE_DIR}/tests/data/text_tfidf_word/model.ferry
                        ${SOURCE_DIR}/tests/data/text_tfidf_word/input.csv -o ${WORK_DIR}/text_values.csv
                        --html ${WORK_DIR}/text.html
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ferry explain --html on the text model failed (${rc}): ${err}")
endif()
file(READ ${WORK_DIR}/text.html text_html)
if(NOT text_html MATCHES "<table class=\"terms\">" OR NOT text_html MATCHES "<td>text</td><td>[^<]+</td><td class=\"(pos|neg)\">")
  message(FATAL_ERROR "the report of a linear model on text lists no terms")
endif()

if(NOT CHROMIUM)
  message("SKIPPED: chromium is not installed (scripts/deps --test installs it)")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env HOME=${WORK_DIR}
                        ${CHROMIUM} --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
                        --user-data-dir=${WORK_DIR}/profile --enable-logging=stderr --v=0
                        --screenshot=${shot} --window-size=1200,900 file://${page}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE log TIMEOUT 180)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "chromium failed (${rc}):\n${log}")
endif()
if(log MATCHES "Uncaught|ERROR:CONSOLE|CONSOLE\\([0-9]+\\)")
  message(FATAL_ERROR "console errors while rendering the report:\n${log}")
endif()
if(NOT EXISTS ${shot})
  message(FATAL_ERROR "chromium wrote no screenshot:\n${log}")
endif()
file(SIZE ${shot} size)
file(READ ${shot} magic LIMIT 8 HEX)
if(size LESS 1000 OR NOT magic STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "the screenshot is not a PNG of a rendered page (${size} bytes, starts ${magic})")
endif()
message("rendered: ${shot}, ${size} bytes")
