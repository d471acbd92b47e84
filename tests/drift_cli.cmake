# `ferry drift` and `ferry validate` run as a user would: exit codes (drift: 0 without an
# alert, 3 with one, 1 for a model without baselines; validate: 1 when anything is fatal), the
# text report sorted by PSI, the JSON report, and the HTML report rendered in headless
# Chromium (no console error, a PNG screenshot) and self-contained (no script, nothing fetched).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(case ${SOURCE_DIR}/tests/data/drift_churn)

function(expect code)
  execute_process(COMMAND ${FERRY} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL code)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "ferry ${cmd}: exit ${rc}, expected ${code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

# Undrifted traffic: no alert, exit 0.
expect(0 drift ${case}/model.ferry ${case}/undrifted.csv --json ${WORK_DIR}/calm.json)
if(NOT out MATCHES "^drift_churn 1\\.0\\.0: 2000 rows, drift (ok|warn)\n" OR out MATCHES " alert ")
  message(FATAL_ERROR "unexpected drift report of undrifted rows:\n${out}")
endif()
file(READ ${WORK_DIR}/calm.json calm)
string(JSON level GET "${calm}" level)
string(JSON rows GET "${calm}" rows)
if(level STREQUAL "alert" OR NOT rows EQUAL 2000)
  message(FATAL_ERROR "unexpected JSON report of undrifted rows: level ${level}, rows ${rows}")
endif()

# Drifted traffic: exit 3, the two drifted columns first (largest PSI first) and at alert.
set(page ${WORK_DIR}/report.html)
expect(3 drift ${case}/model.ferry ${case}/drifted.csv --html ${page} --json ${WORK_DIR}/drifted.json)
if(NOT out MATCHES "drift alert\n\ncolumn +psi +level[^\n]*\nmonthly_fee +[0-9.]+ +alert [^\n]*\nregion +[0-9.]+ +alert ")
  message(FATAL_ERROR "unexpected drift report of drifted rows:\n${out}")
endif()
file(READ ${WORK_DIR}/drifted.json drifted)
string(JSON first GET "${drifted}" columns 1 name)
string(JSON first_level GET "${drifted}" columns 1 level)
string(JSON unseen GET "${drifted}" columns 4 unseen)
if(NOT first STREQUAL "monthly_fee" OR NOT first_level STREQUAL "alert" OR unseen LESS 0.3)
  message(FATAL_ERROR "unexpected JSON report of drifted rows: ${first} ${first_level}, region unseen ${unseen}")
endif()

# A model exported without X_sample has nothing to compare with.
expect(1 drift ${SOURCE_DIR}/artifacts/iris/model.ferry ${SOURCE_DIR}/artifacts/iris/input.csv)
if(NOT err MATCHES "ferry unsupported error: model \"iris\" has no drift baselines")
  message(FATAL_ERROR "unexpected message: ${err}")
endif()

# validate: counted problems only -> 0, each listed with its rows and first row.
expect(0 validate ${SOURCE_DIR}/artifacts/churn/model.ferry ${SOURCE_DIR}/artifacts/churn/input.csv)
if(NOT out MATCHES "region +unknown category +counted +1 +150 +152 " OR NOT out MATCHES "rows read: 154; 0 fatal")
  message(FATAL_ERROR "unexpected validate output:\n${out}")
endif()
# A missing column and text in a numeric column are fatal -> 1.
file(WRITE ${WORK_DIR}/bad.csv "tenure_months,monthly_fee,support_calls,plan,region,payment_method\n1,x,2,basic,north,card\n3,4,5,pro,south,card\n")
expect(1 validate ${case}/model.ferry ${WORK_DIR}/bad.csv)
if(NOT out MATCHES "contract +missing column +fatal" OR NOT out MATCHES "monthly_fee +wrong type +fatal +1 +0 +2 ")
  message(FATAL_ERROR "unexpected validate output:\n${out}")
endif()

# The HTML report: self-contained, one histogram per column and output.
file(READ ${page} html)
if(html MATCHES "<script|<link|<img|<iframe|@import|url\\(|src=|href=")
  message(FATAL_ERROR "the report refers to something outside itself or runs a script")
endif()
string(REPLACE "http://www.w3.org/2000/svg" "" stripped "${html}")
if(stripped MATCHES "https?:")
  message(FATAL_ERROR "the report holds a URL")
endif()
string(REGEX MATCHALL "<svg " charts "${html}")
list(LENGTH charts n_charts)
if(NOT n_charts EQUAL 10)  # 7 columns, 2 outputs, the predicted classes
  message(FATAL_ERROR "the report has ${n_charts} charts, expected 10")
endif()

if(NOT CHROMIUM)
  message("SKIPPED: chromium is not installed (scripts/deps --test installs it)")
  return()
endif()
set(shot ${WORK_DIR}/report.png)
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
