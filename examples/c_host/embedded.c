/* A firmware-style C host: the model is compiled into the program (`ferry embed MODEL
 * --name model_data > model_data.h`), loaded from memory with its embedded test rows
 * re-checked, and optionally required to be signed by a trusted key.
 *
 *   c_host_embedded [PUBLIC_KEY_HEX] x1 x2 ... xn
 *
 * prints the prediction of the one row given (the class label for a classifier).
 */
#include <ferry/ferry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_data.h"

int main(int argc, char** argv) {
  ferry_load_options options = FERRY_LOAD_OPTIONS_INIT;
  options.verify = 1;
  const char* key = NULL;
  int first = 1;
  if (argc > 1 && strlen(argv[1]) == 64) { /* a public key, not a number */
    key = argv[1];
    options.trusted_keys = &key;
    options.n_trusted_keys = 1;
    first = 2;
  }
  ferry_model* model = NULL;
  if (ferry_model_load_from_memory_with_options(model_data, model_data_size, &options, &model) != FERRY_OK) {
    fprintf(stderr, "c_host_embedded: load: %s\n", ferry_last_error());
    return 1;
  }
  const size_t n = ferry_model_n_inputs(model);
  if ((size_t)(argc - first) != n) {
    fprintf(stderr, "c_host_embedded: the model takes %zu values, %d given\n", n, argc - first);
    ferry_model_free(model);
    return 2;
  }
  double row[64];
  if (n > sizeof row / sizeof row[0]) {
    ferry_model_free(model);
    return 2;
  }
  for (size_t j = 0; j < n; ++j) row[j] = strtod(argv[first + (int)j], NULL);
  double predicted[16];
  const size_t width = ferry_model_output_width(model, FERRY_PREDICT);
  if (width > 16 || ferry_compute_d(model, FERRY_PREDICT, row, 1, n, predicted, width) != FERRY_OK) {
    fprintf(stderr, "c_host_embedded: predict: %s\n", ferry_last_error());
    ferry_model_free(model);
    return 1;
  }
  if (ferry_model_is_classifier(model)) {
    printf("%s\n", ferry_model_class_label(model, (size_t)predicted[0]));
  } else {
    printf("%.17g\n", predicted[0]);
  }
  ferry_model_free(model);
  return 0;
}
