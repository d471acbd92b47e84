// Umbrella header: the whole public API.
#ifndef FERRY_FERRY_HPP
#define FERRY_FERRY_HPP

#include "ferry/error.hpp"
#include "ferry/explanation.hpp"
#include "ferry/input.hpp"
#include "ferry/matrix.hpp"
#include "ferry/metadata.hpp"
#include "ferry/model.hpp"
#include "ferry/monitor.hpp"
#include "ferry/options.hpp"
#include "ferry/prediction.hpp"
#include "ferry/schema.hpp"
#include "ferry/table.hpp"
#include "ferry/validation.hpp"
#include "ferry/version.hpp"

#endif  // FERRY_FERRY_HPP
