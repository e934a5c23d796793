// The emulated Shopify Admin API (GraphQL, the REST subset, webhook delivery, throttling).
#pragma once

#include "common/scheduler.hpp"
#include "common/service.hpp"

#include <memory>

namespace ferry::sandbox::shopify {

std::unique_ptr<service> make_service(scheduler& timers);

}  // namespace ferry::sandbox::shopify
