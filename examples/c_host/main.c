/* A plain C host: loads a model through ferry's C API, predicts every row of a numeric CSV
 * file (a header line, then one row of numbers per line, columns in the model's input order)
 * and prints one line per row: the prediction (the class label for a classifier), then the
 * class probabilities when the model has them.
 *
 *   c_host MODEL.ferry INPUT.csv
 */
#include <ferry/ferry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what) {
  fprintf(stderr, "c_host: %s: %s\n", what, ferry_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_host MODEL.ferry INPUT.csv\n");
    return 2;
  }
  ferry_model* model = NULL;
  if (ferry_model_load(argv[1], /*verify=*/1, &model) != FERRY_OK) return fail("load");

  const size_t n = ferry_model_n_inputs(model);
  FILE* in = fopen(argv[2], "r");
  if (in == NULL) {
    fprintf(stderr, "c_host: cannot open %s\n", argv[2]);
    ferry_model_free(model);
    return 1;
  }
  /* Read every row: numbers separated by commas, after one header line. */
  size_t rows = 0, capacity = 64;
  double* X = malloc(capacity * n * sizeof(double));
  char line[65536];
  int header = 1, status = 0;
  while (X != NULL && fgets(line, sizeof line, in) != NULL) {
    if (header) {
      header = 0;
      continue;
    }
    if (rows == capacity) {
      double* grown = realloc(X, 2 * capacity * n * sizeof(double));
      if (grown == NULL) break;
      X = grown;
      capacity *= 2;
    }
    char* cursor = line;
    for (size_t j = 0; j < n; ++j) {
      char* end = NULL;
      X[rows * n + j] = strtod(cursor, &end);
      if (end == cursor) {
        fprintf(stderr, "c_host: line %zu: column %zu is not a number\n", rows + 2, j + 1);
        status = 1;
      }
      cursor = *end == ',' ? end + 1 : end;
    }
    ++rows;
  }
  fclose(in);
  if (X == NULL) return fail("out of memory");

  const size_t classes = ferry_model_output_width(model, FERRY_PREDICT_PROBA);
  const size_t width = ferry_model_output_width(model, FERRY_PREDICT);
  double* predicted = malloc((rows * width + 1) * sizeof(double));
  double* proba = malloc((rows * classes + 1) * sizeof(double));
  if (status == 0 && ferry_compute_d(model, FERRY_PREDICT, X, rows, n, predicted, rows * width) != FERRY_OK)
    status = fail("predict");
  if (status == 0 && classes > 0 &&
      ferry_compute_d(model, FERRY_PREDICT_PROBA, X, rows, n, proba, rows * classes) != FERRY_OK)
    status = fail("predict_proba");
  for (size_t i = 0; status == 0 && i < rows; ++i) {
    if (ferry_model_is_classifier(model)) {
      printf("%s", ferry_model_class_label(model, (size_t)predicted[i]));
    } else {
      for (size_t k = 0; k < width; ++k) printf(k ? ",%.17g" : "%.17g", predicted[i * width + k]);
    }
    for (size_t c = 0; c < classes; ++c) printf(",%.17g", proba[i * classes + c]);
    printf("\n");
  }
  free(proba);
  free(predicted);
  free(X);
  ferry_model_free(model);
  return status;
}
