// The emulated SYSPRO e.net REST service (sessions, business objects, the framing quirks).
#pragma once

#include "common/scheduler.hpp"
#include "common/service.hpp"

#include <memory>

namespace ferry::sandbox::syspro {

std::unique_ptr<service> make_service(scheduler& timers);

}  // namespace ferry::sandbox::syspro
