#include "core/random.hpp"

#include <random>

namespace cutover {

Random& Random::thread_local_instance() {
  thread_local Random r{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                        std::random_device{}()};
  return r;
}

}  // namespace cutover
