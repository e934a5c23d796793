// Counters, gauges and histograms, rendered in the Prometheus text format for /metrics.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::host {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_registry {
public:
    void add(std::string_view name, const metric_labels& labels, double delta = 1);
    void set(std::string_view name, const metric_labels& labels, double value);
    // Observes a duration in seconds.
    void observe(std::string_view name, const metric_labels& labels, double seconds);

    // The current value of a counter or gauge (0 when never set), or a histogram's count.
    double value(std::string_view name, const metric_labels& labels) const;
    std::string render() const;

private:
    enum class kind { counter, gauge, histogram };
    struct series {
        double value = 0;                  // counter, gauge; histogram: sum
        std::vector<uint64_t> buckets;     // histogram only, cumulative at render
        uint64_t count = 0;                // histogram only
    };
    struct family {
        kind type = kind::counter;
        std::map<std::string, series> series_by_labels;  // rendered label set
    };
    static std::string label_text(const metric_labels& labels);
    family& family_of(std::string_view name, kind type);

    mutable std::mutex mutex_;
    std::map<std::string, family, std::less<>> families_;
};

}  // namespace ferry::host
